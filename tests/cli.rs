//! The CLI end to end: run the synfire dataset, read its Arrow files back, check them against the
//! hardware recording; bad files give clear errors.

mod common;

use arrow_array::{Array, UInt32Array};
use std::process::Command;

fn spinnsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spinnsim"))
}

#[test]
fn run_writes_arrow_files_that_match_the_hardware_spikes() {
    let out = std::env::temp_dir().join(format!("spinnsim-cli-{}", std::process::id()));
    let dataset = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/synfire.toml");
    let o =
        spinnsim().args(["run", dataset, "--out"]).arg(&out).args(["--profile", "spinnaker-2019"]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("pop_1: 27 spikes"), "{stdout}");
    let file = std::fs::File::open(out.join("spikes.arrow")).unwrap();
    let reader = arrow_ipc::reader::FileReader::try_new(file, None).unwrap();
    assert_eq!(reader.schema().metadata()["spinnsim.profile"], "spinnaker-2019");
    let mut got = Vec::new();
    for batch in reader {
        let b = batch.unwrap();
        let n = b.column_by_name("neuron").unwrap().as_any().downcast_ref::<UInt32Array>().unwrap().clone();
        let t = b.column_by_name("tick").unwrap().as_any().downcast_ref::<UInt32Array>().unwrap().clone();
        got.extend((0..b.num_rows()).map(|i| (t.value(i), n.value(i))));
    }
    got.sort_unstable();
    let mut want: Vec<(u32, u32)> = common::read_csv("20_17_spikes.csv").into_iter().map(|(n, t, _)| (t, n)).collect();
    want.sort_unstable();
    assert_eq!(got, want);
    assert!(out.join("samples.arrow").exists());
    assert!(!out.join("spikes.arrow.partial").exists());
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_bad_parameter_is_named_in_the_error() {
    let dir = std::env::temp_dir().join(format!("spinnsim-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(
        &path,
        "run_ms = 10\n[[population]]\nlabel = \"exc\"\nsize = 4\ncell_type = \"IF_curr_exp\"\nparameters = { tau_m = -3.0 }\n",
    )
    .unwrap();
    let o = spinnsim().args(["run"]).arg(&path).output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("population `exc`") && err.contains("tau_m") && err.contains("must be > 0"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn devices_lists_the_adapters_or_says_there_are_none() {
    let o = spinnsim().arg("devices").output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let adapters = spinnsim::engine::gpu::device::adapters();
    if adapters.is_empty() {
        assert!(stdout.contains("no GPU adapter"), "{stdout}");
    } else {
        for a in &adapters {
            assert!(stdout.contains(&a.name) && stdout.contains(&a.backend), "{stdout}");
        }
        assert!(stdout.contains("max storage binding size") && stdout.contains("workgroups per dimension"), "{stdout}");
        assert!(stdout.contains("--backend auto runs on"), "{stdout}");
    }
}

#[test]
fn the_gpu_backend_writes_the_same_files_as_the_cpu_backend() {
    if !common::gpu_or_skip() {
        return;
    }
    let base = std::env::temp_dir().join(format!("spinnsim-backends-{}", std::process::id()));
    for dataset in ["synfire.toml", "poisson_driven.toml"] {
        let path = format!("{}/datasets/{dataset}", env!("CARGO_MANIFEST_DIR"));
        let mut stderr = Vec::new();
        for backend in ["cpu", "gpu"] {
            let o = spinnsim()
                .args(["run", &path, "--backend", backend, "--time", "300", "--out"])
                .arg(base.join(backend))
                .output()
                .unwrap();
            assert!(o.status.success(), "{backend}: {}", String::from_utf8_lossy(&o.stderr));
            stderr.push(String::from_utf8_lossy(&o.stderr).into_owned());
        }
        assert!(stderr[0].contains("engine: cpu"), "{}", stderr[0]);
        assert!(stderr[1].contains("engine: gpu on `"), "{}", stderr[1]);
        for file in ["spikes.arrow", "samples.arrow"] {
            let cpu = std::fs::read(base.join("cpu").join(file)).unwrap();
            let gpu = std::fs::read(base.join("gpu").join(file)).unwrap();
            assert!(cpu == gpu, "{dataset}: {file} differs between --backend cpu and --backend gpu");
        }
    }
    std::fs::remove_dir_all(&base).ok();
}

#[test]
fn an_unknown_backend_is_refused_with_the_valid_choices() {
    let dataset = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/synfire.toml");
    let o = spinnsim().args(["run", dataset, "--backend", "tpu"]).output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("tpu") && err.contains("auto, cpu or gpu"), "{err}");
    let e = spinnsim::engine::Backend::from_name("cuda").unwrap_err().to_string();
    assert!(e.contains("cuda") && e.contains("auto, cpu or gpu"), "{e}");
    assert_eq!(spinnsim::engine::Backend::from_name("GPU").unwrap(), spinnsim::engine::Backend::Gpu);
}

/// `run` writes the learned weights of plastic projections to `connections`, equal to what the
/// library reads back after one run of the same length (the CLI runs the file as one run).
#[test]
fn run_writes_the_learned_weights_of_plastic_projections() {
    use arrow_array::Float64Array;
    let out = std::env::temp_dir().join(format!("spinnsim-cli-stdp-{}", std::process::id()));
    let dataset = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/stdp_pair.toml");
    let o = spinnsim().args(["run", dataset, "--backend", "cpu", "--out"]).arg(&out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let file = std::fs::File::open(out.join("connections.arrow")).unwrap();
    let mut got = Vec::new();
    for batch in arrow_ipc::reader::FileReader::try_new(file, None).unwrap() {
        let b = batch.unwrap();
        let col = |name: &str| b.column_by_name(name).unwrap().clone();
        let (pre, post) = (col("pre"), col("post"));
        let (pre, post) =
            (pre.as_any().downcast_ref::<UInt32Array>().unwrap(), post.as_any().downcast_ref::<UInt32Array>().unwrap());
        let (w, d) = (col("weight"), col("delay_ms"));
        let (w, d) =
            (w.as_any().downcast_ref::<Float64Array>().unwrap(), d.as_any().downcast_ref::<Float64Array>().unwrap());
        got.extend((0..b.num_rows()).map(|i| [pre.value(i) as f64, post.value(i) as f64, w.value(i), d.value(i)]));
    }
    let net = spinnsim::model::load_toml(&std::fs::read_to_string(dataset).unwrap()).unwrap();
    let plastic = net.projections.iter().position(|p| p.synapse_dynamics.is_some()).unwrap();
    let mut sim = spinnsim::sim::Simulation::new(net.clone(), Default::default(), Some(1)).unwrap();
    let before = sim.connections(plastic).unwrap();
    sim.run(net.run_ms.unwrap()).unwrap();
    let after = sim.connections(plastic).unwrap();
    assert_eq!(got, after);
    assert_ne!(before, after, "the dataset's weights did not change");
    // Static projections only with --connections.
    assert_eq!(got.len(), before.len());
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn map_names_the_stdp_rule_of_a_core() {
    let dataset = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/stdp_pair.toml");
    let o = spinnsim().args(["map", dataset]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let post = stdout.lines().find(|l| l.trim_start().starts_with("post(")).expect("the post core's line");
    assert!(post.ends_with("STDP pair additive"), "{post}");
}

#[test]
fn map_warns_of_additive_amplitudes_as_large_as_the_weight_range() {
    let dataset = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/stdp_pair.toml");
    let o = spinnsim().args(["map", dataset]).output().unwrap();
    assert!(
        o.status.success() && !String::from_utf8_lossy(&o.stderr).contains("warning"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The dataset with A+ = 8 (four times w_max − w_min = 2): NEST's A+ written for SpiNNaker.
    let text = std::fs::read_to_string(dataset).unwrap();
    assert!(text.contains("A_plus = 0.05"));
    let file = std::env::temp_dir().join(format!("spinnsim-cli-amplitude-{}.toml", std::process::id()));
    std::fs::write(&file, text.replace("A_plus = 0.05", "A_plus = 8.0")).unwrap();
    let o = spinnsim().arg("map").arg(&file).output().unwrap();
    std::fs::remove_file(&file).ok();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: projection") && stderr.contains("A_plus = 8 is 4.000 times the weight range"),
        "{stderr}"
    );
}
