//! Bad, odd and extreme inputs get a clear error or a run that says what the machine does with
//! them, never a panic, a hang or a silently wrong result (the reproductions of issue 10, each of
//! which failed before its fix). `tests/fuzz.rs` generates many more.

mod common;

use spinnsim::engine::Backend;
use spinnsim::mapping::MapOptions;
use spinnsim::model::load_toml;
use spinnsim::sim::Simulation;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn spinnsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spinnsim"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spinnsim-robust-{name}-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// A network from TOML, mapped and run on the CPU engine (and on the GPU engine where one opens).
fn run_toml(toml: &str, ms: f64) -> spinnsim::Result<Vec<String>> {
    let net = load_toml(toml)?;
    let mut sim = Simulation::new(net.clone(), Default::default(), Some(2))?;
    sim.run(ms)?;
    if common::gpu_or_skip() {
        let mut gpu = Simulation::with_backend(net, Default::default(), None, Backend::Gpu)?;
        gpu.run(ms)?;
        assert_eq!(gpu.recordings(), sim.recordings());
    }
    Ok(sim.warnings())
}

const LIF1: &str = "[[population]]\nlabel = \"a\"\nsize = 1\ncell_type = \"IF_curr_exp\"\n";

#[test]
fn an_empty_network_runs_on_both_engines_and_from_the_command_line() {
    assert!(run_toml("run_ms = 10", 10.0).unwrap().is_empty());
    let dir = scratch("empty");
    let file = write(&dir, "empty.toml", "run_ms = 10\n");
    let o =
        spinnsim().arg("run").arg(&file).arg("--out").arg(dir.join("out")).args(["--backend", "cpu"]).output().unwrap();
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.contains("ran 10 ms (10 ticks)") && !err.contains("panicked"), "{out}{err}");
}

#[test]
fn connectors_that_cannot_place_their_connections_say_why() {
    for (connector, why) in [
        ("FixedTotalNumberConnector\", n = 1, allow_self_connections = false", "no pairs of neurons to choose from"),
        (
            "FixedTotalNumberConnector\", n = 1, allow_self_connections = false, with_replacement = false",
            "no pairs of neurons",
        ),
        (
            "FixedNumberPreConnector\", n = 1, allow_self_connections = false, with_replacement = true",
            "no pre-synaptic neurons",
        ),
        (
            "FixedNumberPostConnector\", n = 2, allow_self_connections = false, with_replacement = true",
            "no post-synaptic neurons",
        ),
    ] {
        let toml = format!("{LIF1}[[projection]]\npre = \"a\"\npost = \"a\"\nconnector = {{ type = \"{connector} }}\n");
        let start = Instant::now();
        let err = run_toml(&toml, 10.0).unwrap_err().to_string();
        assert!(
            err.contains("parameter `n`") && err.contains(why) && err.contains("one neuron without self-connections"),
            "{err}"
        );
        assert!(start.elapsed() < Duration::from_secs(5));
    }
    // Without replacement, no more than the pairs that are allowed.
    let toml = "[[population]]\nlabel = \"a\"\nsize = 3\ncell_type = \"IF_curr_exp\"\n[[projection]]\npre = \"a\"\npost = \"a\"\n\
                connector = { type = \"FixedTotalNumberConnector\", n = 7, allow_self_connections = false, with_replacement = false }\n";
    let err = run_toml(toml, 1.0).unwrap_err().to_string();
    assert!(err.contains("7 exceeds the 6 available pairs of neurons"), "{err}");
}

#[test]
fn distributions_are_refused_when_their_sampler_cannot_draw_and_never_hang() {
    let param = |dist: &str| {
        format!(
            "[[population]]\nlabel = \"a\"\nsize = 50\ncell_type = \"IF_curr_exp\"\nparameters = {{ v = {dist} }}\n"
        )
    };
    for (dist, why) in [
        ("{ distribution = \"poisson\", lam = 1e20 }", "poisson: lambda is too large"),
        ("{ distribution = \"uniform\", low = -1.7e308, high = 1.7e308 }", "wider than a float can hold"),
        ("{ distribution = \"binomial\", n = 1e300, p = 0.5 }", "whole number in [0, 2^53]"),
        ("{ distribution = \"uniform_int\", low = -1e300, high = 0 }", "within ±2^53"),
        ("{ distribution = \"normal_clipped\", mu = 0, sigma = 1, low = 60, high = 61 }", "draws all fell outside"),
    ] {
        let err = run_toml(&param(dist), 1.0).unwrap_err().to_string();
        assert!(err.contains("population `a`") && err.contains("parameter `v`") && err.contains(why), "{dist}: {err}");
    }
    // The von Mises sampler at the extremes of κ ends, with angles around mu.
    for kappa in ["1e-12", "1e-6", "3e7", "1e300"] {
        let start = Instant::now();
        let toml = param(&format!("{{ distribution = \"vonmises\", mu = -65, kappa = {kappa} }}"));
        run_toml(&toml, 1.0).unwrap();
        assert!(start.elapsed() < Duration::from_secs(10), "vonmises kappa {kappa}");
    }
    let draw = |kappa: f64| {
        let d = spinnsim::model::Distribution::Vonmises { mu: 1.0, kappa };
        let mut rng = spinnsim::model::host_rng(1, &[9]);
        (0..2000).map(|_| d.sample(&mut rng).unwrap()).collect::<Vec<f64>>()
    };
    let spread = |v: &[f64]| v.iter().map(|x| (x - 1.0).abs()).fold(0.0, f64::max);
    assert!(spread(&draw(1e-12)) > 3.0 && spread(&draw(1e-12)) <= std::f64::consts::PI + 1e-9, "uniform on the circle");
    assert!(spread(&draw(1e12)) < 1e-4, "concentrated at mu");
    // A weight drawn infinite is refused, not stored as the largest word.
    let toml = format!(
        "{LIF1}[[projection]]\npre = \"a\"\npost = \"a\"\nconnector = {{ type = \"AllToAllConnector\" }}\n\
         weight = {{ distribution = \"lognormal\", mu = 1000, sigma = 0 }}\n"
    );
    let err = run_toml(&toml, 1.0).unwrap_err().to_string();
    assert!(err.contains("parameter `weight`") && err.contains("drew the weight inf"), "{err}");
}

#[test]
fn memory_is_refused_before_it_is_needed() {
    // Without replacement, 10 pairs of 10^10: spinnsim's own generator draws them without making
    // the list of pairs (the machine's expander draws once per pair).
    let toml = "draws = \"spinnsim\"\n[[population]]\nlabel = \"a\"\nsize = 100000\ncell_type = \"IF_curr_exp\"\n\
                [[population]]\nlabel = \"b\"\nsize = 100000\ncell_type = \"IF_curr_exp\"\n\
                [[projection]]\npre = \"a\"\npost = \"b\"\n\
                connector = { type = \"FixedTotalNumberConnector\", n = 10, with_replacement = false }\n";
    let net = load_toml(toml).unwrap();
    let start = Instant::now();
    let sim = Simulation::new(net, Default::default(), Some(2)).unwrap();
    assert_eq!(sim.connections(0).unwrap().len(), 10);
    assert!(start.elapsed() < Duration::from_secs(30));
    // 3e8 connections on 10 x 10: rows of 3e6 synapses, refused before anything is drawn.
    let toml = "[[population]]\nlabel = \"a\"\nsize = 10\ncell_type = \"IF_curr_exp\"\n\
                [[projection]]\npre = \"a\"\npost = \"a\"\nconnector = { type = \"FixedTotalNumberConnector\", n = 300000000 }\n";
    let start = Instant::now();
    let err = Simulation::new(load_toml(toml).unwrap(), Default::default(), Some(2)).err().unwrap().to_string();
    assert!(err.contains("a row has") && err.contains("more than the 256 a SpiNNaker row can hold"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(5), "refused before drawing");
    // A network larger than the memory is refused with its biggest part named.
    let toml = "[[population]]\nlabel = \"a\"\nsize = 60000\ncell_type = \"IF_curr_exp\"\n\
                [[projection]]\npre = \"a\"\npost = \"a\"\nconnector = { type = \"FixedProbabilityConnector\", p_connect = 0.9 }\n";
    let refusal = |draws: &str| {
        let net = load_toml(&format!("{draws}{toml}")).unwrap();
        spinnsim::mapping::memory::check_before_drawing(&net, 8.0 * (1u64 << 30) as f64, false).unwrap_err().to_string()
    };
    // The machine's expander holds no connections on the host, spinnsim's own draws do.
    let err = refusal("");
    assert!(
        err.contains("GiB of memory to map and run, but only 8 GiB is available")
            && err.contains("the largest part is the synaptic matrices in sPyNNaker's padded layout"),
        "{err}"
    );
    let err = refusal("draws = \"spinnsim\"\n");
    assert!(err.contains("drawn connections"), "{err}");
}

#[test]
fn what_the_machine_does_differently_is_said_once() {
    // Poisson rates of 65536 Hz and above wrap, as in the binary.
    let toml = "[[population]]\nlabel = \"fast\"\nsize = 2\ncell_type = \"SpikeSourcePoisson\"\nparameters = { rate = [70000.0, 10.0] }\n";
    let w = run_toml(toml, 1.0).unwrap();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("population `fast`") && w[0].contains("70000 Hz runs at 4464 Hz"), "{w:?}");
    // A weight larger than a synaptic word holds is kept modulo 2^16 (with spinnsim's draws, which
    // take it as it is); the synapse expander cannot be given one past S1615 at all.
    let huge = |draws: &str, weight: f64| {
        format!(
            "{draws}{LIF1}[[population]]\nlabel = \"s\"\nsize = 1\ncell_type = \"SpikeSourceArray\"\nspike_times = [1.0]\n\
             [[projection]]\nlabel = \"huge\"\npre = \"s\"\npost = \"a\"\nconnector = {{ type = \"OneToOneConnector\" }}\nweight = {weight}\n"
        )
    };
    let w = run_toml(&huge("draws = \"spinnsim\"\n", 1e9), 5.0).unwrap();
    assert!(
        w.iter().any(|w| w.contains("projection `huge`: 1 of 1 weights are larger than a synaptic word holds")
            && w.contains("the largest, 1000000000 nA")),
        "{w:?}"
    );
    let err = run_toml(&huge("", 1e9), 5.0).unwrap_err().to_string();
    assert!(err.contains("projection `huge`") && err.contains("cannot be written for the synapse expander"), "{err}");

    // p_connect = 1, which the 7.4.1 host cannot give the expander: every pair, said once.
    let toml = format!(
        "{LIF1}[[population]]\nlabel = \"s\"\nsize = 3\ncell_type = \"SpikeSourceArray\"\nspike_times = [1.0]\n\
         [[projection]]\nlabel = \"all\"\npre = \"s\"\npost = \"a\"\nconnector = {{ type = \"FixedProbabilityConnector\", p_connect = 1.0 }}\n"
    );
    let w = run_toml(&toml, 2.0).unwrap();
    let said: Vec<_> =
        w.iter().filter(|w| w.contains("projection `all`: sPyNNaker 7.4.1 cannot give p_connect = 1")).collect();
    assert_eq!(said.len(), 1, "{w:?}");
    let sim = Simulation::new(load_toml(&toml).unwrap(), Default::default(), Some(1)).unwrap();
    assert_eq!(sim.connections(0).unwrap().len(), 3, "every pair");
    // Plastic synapses with a delay field of 0 are never delivered.
    let toml = "[[population]]\nlabel = \"a\"\nsize = 4\ncell_type = \"IF_curr_exp\"\n\
         [[population]]\nlabel = \"s\"\nsize = 4\ncell_type = \"SpikeSourcePoisson\"\nparameters = { rate = 20.0 }\n\
         [[projection]]\nlabel = \"learn\"\npre = \"s\"\npost = \"a\"\nconnector = { type = \"OneToOneConnector\" }\nweight = 0.5\ndelay = 16.0\n\
         [projection.synapse_dynamics]\ntiming = { rule = \"SpikePairRule\" }\nweight_dependence = { dependence = \"AdditiveWeightDependence\" }\n".to_string();
    let w = run_toml(&toml, 5.0).unwrap();
    assert!(
        w.iter().any(|w| w
            .contains("projection `learn`: 4 of 4 plastic synapses have a delay that is a multiple of 16 ticks")
            && w.contains("never delivered")),
        "{w:?}"
    );
    // Rows the expander writes are counted after expansion: once per projection, over its two
    // cores (256 atoms a core, delays to 40 ms: 32 ticks in the core).
    let toml = "[[population]]\nlabel = \"a\"\nsize = 300\ncell_type = \"IF_curr_exp\"\nseed = 3\n\
         [[population]]\nlabel = \"s\"\nsize = 30\ncell_type = \"SpikeSourcePoisson\"\nparameters = { rate = 20.0 }\n\
         [[projection]]\nlabel = \"learn\"\npre = \"s\"\npost = \"a\"\n\
         connector = { type = \"FixedProbabilityConnector\", p_connect = 0.1 }\nweight = 0.5\n\
         delay = { distribution = \"uniform\", low = 1.0, high = 40.0 }\n\
         [projection.synapse_dynamics]\ntiming = { rule = \"SpikePairRule\" }\nweight_dependence = { dependence = \"AdditiveWeightDependence\" }\n";
    let sim = Simulation::new(load_toml(toml).unwrap(), Default::default(), Some(1)).unwrap();
    let conns = sim.connections(0).unwrap();
    let m = 32.0;
    let never = conns.iter().filter(|c| c[3] % m == 0.0).count();
    assert!(never > 0 && never < conns.len(), "{never} of {}", conns.len());
    let said: Vec<_> = sim.warnings().iter().filter(|w| w.contains("projection `learn`")).cloned().collect();
    assert_eq!(said.len(), 1, "{said:?}");
    let want = format!("{never} of {} plastic synapses have a delay that is a multiple of 32 ticks", conns.len());
    assert!(said[0].contains(&want), "{said:?}, want {want}");
    // --time 0: no rate of NaN.
    let dir = scratch("time0");
    let file = write(&dir, "net.toml", &format!("{LIF1}record = [{{ variable = \"spikes\" }}]\n"));
    let o = spinnsim()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(dir.join("out"))
        .args(["--time", "0", "--backend", "cpu"])
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert!(o.status.success() && !out.contains("NaN") && out.contains("a: 0 spikes"), "{out}{err}");
}

/// A run's files replace every file of an earlier run in the folder, and a bad folder fails
/// before the network is mapped.
#[test]
fn output_files_are_written_as_a_set() {
    let dir = scratch("sets");
    let stdp = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/stdp_pair.toml");
    let synfire = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/synfire.toml");
    let out = dir.join("out");
    let o = spinnsim()
        .arg("run")
        .arg(stdp)
        .arg("--out")
        .arg(&out)
        .args(["--backend", "cpu", "--format", "parquet"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o).1);
    assert!(out.join("connections.parquet").exists());
    std::fs::create_dir_all(out.join(".spinnsim-staging-4000000000")).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let o = spinnsim().arg("run").arg(synfire).arg("--out").arg(&out).args(["--backend", "cpu"]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o).1);
    let mut names: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(
        names,
        ["notes.txt", "samples.arrow", "spikes.arrow"],
        "the earlier run's files, and an abandoned staging folder, are gone"
    );
    // An --out that is a file, or that cannot be made, fails before mapping.
    for bad in [dir.join("notes.txt"), PathBuf::from("/proc/spinnsim-cannot-be-here")] {
        if bad.ends_with("notes.txt") {
            std::fs::write(&bad, "x").unwrap();
        }
        let o = spinnsim().arg("run").arg(synfire).arg("--out").arg(&bad).output().unwrap();
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(1), "{out}{err}");
        assert!(err.starts_with("error: output ") && !err.contains("engine:") && out.is_empty(), "{err}");
    }
}

#[test]
fn command_line_errors_are_one_line_that_names_the_file() {
    let dir = scratch("errors");
    // A mapping error: the delay is beyond what the delay extensions reach.
    let lif256 = LIF1.replace("size = 1", "size = 256");
    let file = write(&dir, "far.toml", &format!("run_ms = 10\n{lif256}[[projection]]\npre = \"a\"\npost = \"a\"\nconnector = {{ type = \"OneToOneConnector\" }}\ndelay = 2000.0\n"));
    let o =
        spinnsim().arg("run").arg(&file).arg("--out").arg(dir.join("out")).env("RUST_BACKTRACE", "1").output().unwrap();
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(err.lines().count(), 1, "one line, no backtrace: {err}");
    assert!(err.starts_with(&format!("error: in {}: ", file.display())) && err.contains("parameter `delay`"), "{err}");
    // Negative times are refused by the range check, not mistaken for a flag.
    for time in [["--time", "-5"], ["--time=-5", ""]] {
        let o = spinnsim().arg("run").arg(&file).args(time.iter().filter(|a| !a.is_empty())).output().unwrap();
        let (_, err) = text(&o);
        assert!(err.contains("--time -5: the model time must be a finite number of ms >= 0"), "{err}");
    }
    let o = spinnsim().arg("run").arg(&file).args(["--threads", "0"]).output().unwrap();
    assert!(text(&o).1.contains("--threads 0: give at least 1"), "{}", text(&o).1);
}

#[test]
fn no_display_probe_noise_without_a_display_session() {
    let o = spinnsim().arg("devices").env_remove("XDG_RUNTIME_DIR").env_remove("NODEVICE_SELECT").output().unwrap();
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("XDG_RUNTIME_DIR") && !out.contains("XDG_RUNTIME_DIR"), "{err}");
}

/// Ctrl-C stops a run at a tick boundary and writes what was recorded, marked incomplete.
#[cfg(unix)]
#[test]
fn an_interrupted_run_writes_what_it_recorded() {
    let dir = scratch("interrupt");
    let file = write(
        &dir,
        "long.toml",
        "run_ms = 100000000\n[[population]]\nlabel = \"a\"\nsize = 100\ncell_type = \"IF_curr_exp\"\n\
         parameters = { i_offset = 2.0 }\nrecord = [{ variable = \"spikes\" }]\n",
    );
    let out = dir.join("out");
    let child = spinnsim()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .args(["--backend", "cpu"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let sent = Instant::now();
    assert!(Command::new("sh").arg("-c").arg(format!("kill -INT {}", child.id())).status().unwrap().success());
    let o = child.wait_with_output().unwrap();
    assert!(sent.elapsed() < Duration::from_secs(10));
    let (stdout, err) = text(&o);
    assert_eq!(o.status.code(), Some(130), "{stdout}{err}");
    assert!(err.contains("interrupted: ran") && err.contains("of 100000000 ticks"), "{err}");
    let reader =
        arrow_ipc::reader::FileReader::try_new(std::fs::File::open(out.join("spikes.arrow")).unwrap(), None).unwrap();
    assert!(reader.schema().metadata()["spinnsim.incomplete"].starts_with("interrupted after"));
    let rows: usize = reader.map(|b| b.unwrap().num_rows()).sum();
    assert!(rows > 0, "the spikes recorded before the interrupt are kept");
}

#[test]
fn random_neuron_values_the_machine_draws_otherwise_are_said() {
    let pop = |draws: &str, values: &str| {
        format!("{draws}[[population]]\nlabel = \"p\"\nsize = 3\ncell_type = \"IF_curr_exp\"\n{values}\n")
    };
    // A list of values keeps the population off the neuron expander: the host draws with numpy.
    let mixed = "parameters = { tau_m = [10.0, 20.0, 30.0] }\ninitial_values = { v = { distribution = \"uniform\", low = -70.0, high = -60.0 } }";
    let w = run_toml(&pop("", mixed), 1.0).unwrap();
    assert!(w.len() == 1 && w[0].contains("population `p`") && w[0].contains("`v`") && w[0].contains("numpy"), "{w:?}");
    // uniform_int is a continuous uniform on the machine.
    let ints = "initial_values = { v = { distribution = \"uniform_int\", low = -70.0, high = -60.0 } }";
    let w = run_toml(&pop("", ints), 1.0).unwrap();
    assert!(w.len() == 1 && w[0].contains("continuous uniform") && w[0].contains("`v`"), "{w:?}");
    // With spinnsim's draws, asked for, nothing is said.
    assert!(run_toml(&pop("draws = \"spinnsim\"\n", mixed), 1.0).unwrap().is_empty());
    // The machine's draw is checked: a negative time constant is refused, naming the neuron.
    let negative = "parameters = { tau_m = { distribution = \"uniform\", low = -5.0, high = -1.0 } }";
    let err = run_toml(&pop("", negative), 1.0).unwrap_err().to_string();
    assert!(err.contains("population `p`") && err.contains("tau_m") && err.contains("must be > 0"), "{err}");
}

#[test]
fn projections_over_views_check_the_views_and_say_what_the_machine_does() {
    let pop = "[[population]]\nlabel = \"pop\"\nsize = 120\ncell_type = \"IF_curr_exp\"\nmax_atoms_per_core = 64\n";
    let proj = |views: &str, connector: &str| {
        format!("{pop}[[projection]]\nlabel = \"v\"\npre = \"pop\"\npost = \"pop\"\nconnector = {connector}\n{views}")
    };
    let no_self = "{ type = \"AllToAllConnector\", allow_self_connections = false }";
    // Views outside the population, or of no neuron, are refused naming the projection and side.
    for (views, why) in [
        ("post_view = { start = 100, stop = 130 }\n", "neurons 100..130 are outside `pop`, which has 120 neurons"),
        ("pre_view = { start = 5, stop = 5 }\n", "neurons 5..5 of `pop` are no neurons"),
    ] {
        let err = run_toml(&proj(views, no_self), 1.0).unwrap_err().to_string();
        assert!(err.contains("projection `v`") && err.contains("_view") && err.contains(why), "{err}");
    }
    // Connector indices count from the start of the view, and must fall inside it.
    let list = "{ type = \"FromListConnector\", conn_list = [[0, 30, 0.5, 1.0]] }";
    let err = run_toml(&proj("post_view = { start = 100, stop = 120 }\n", list), 1.0).unwrap_err().to_string();
    assert!(err.contains("post index 30 is outside 0..20"), "{err}");
    // Two different views of one population: self connections stay, and the run says which.
    let views = "pre_view = { start = 0, stop = 60 }\npost_view = { start = 40, stop = 120 }\n";
    let w = run_toml(&proj(views, no_self), 1.0).unwrap();
    let said: Vec<_> = w.iter().filter(|w| w.contains("leaves neurons 40..=59 of `pop` free to connect")).collect();
    assert_eq!(said.len(), 1, "{w:?}");
    let sim = Simulation::new(load_toml(&proj(views, no_self)).unwrap(), Default::default(), Some(1)).unwrap();
    let conns = sim.connections(0).unwrap();
    assert_eq!(conns.len(), 60 * 80);
    assert_eq!(conns.iter().filter(|c| c[0] == c[1]).count(), 20, "self connections of 40..59");
    assert!(conns.iter().all(|c| c[0] < 60.0 && c[1] >= 40.0), "inside the views");
    // One view on both sides compares equal: no self connection, nothing to say.
    let same = "pre_view = { start = 0, stop = 60 }\npost_view = { start = 0, stop = 60 }\n";
    let w = run_toml(&proj(same, no_self), 1.0).unwrap();
    assert!(!w.iter().any(|w| w.contains("projection `v`")), "{w:?}");
    let sim = Simulation::new(load_toml(&proj(same, no_self)).unwrap(), Default::default(), Some(1)).unwrap();
    assert_eq!(sim.connections(0).unwrap().len(), 60 * 59);
    // Built on the host (a list), where 7.4.1 ignores the views' offsets: said once.
    let w = run_toml(&proj("post_view = { start = 100, stop = 120 }\n", &list.replace("30", "3")), 1.0).unwrap();
    let said: Vec<_> = w.iter().filter(|w| w.contains("on the host without the views' offsets")).collect();
    assert_eq!(said.len(), 1, "{w:?}");
    // spinnsim's own draws of a connector 7.4.1 generates on the machine: nothing to say of its host.
    let all = "{ type = \"AllToAllConnector\" }";
    let w = run_toml(&format!("draws = \"spinnsim\"\n{}", proj("post_view = { start = 100, stop = 120 }\n", all)), 1.0)
        .unwrap();
    assert!(!w.iter().any(|w| w.contains("views' offsets")), "{w:?}");
}

#[test]
fn one_to_one_offset_connects_alike_on_the_machine_and_on_the_host_and_refuses_what_7_4_1_refuses() {
    // `header`: network settings (`draws`).
    let net = |n_post: u32, connector: &str, header: &str| {
        format!(
            "{header}[[population]]\nlabel = \"a\"\nsize = 40\ncell_type = \"SpikeSourceArray\"\nspike_times = [1.0]\nmax_atoms_per_core = 16\n\
             [[population]]\nlabel = \"b\"\nsize = {n_post}\ncell_type = \"IF_curr_exp\"\nmax_atoms_per_core = 16\n\
             [[projection]]\nlabel = \"shift\"\npre = \"a\"\npost = \"b\"\nconnector = {connector}\nweight = 0.5\n"
        )
    };
    let conns = |toml: &str| {
        let sim = Simulation::new(load_toml(toml).unwrap(), Default::default(), Some(1)).unwrap();
        let mut c: Vec<(u32, u32)> = sim.connections(0).unwrap().iter().map(|c| (c[0] as u32, c[1] as u32)).collect();
        c.sort_unstable();
        c
    };
    for (offset, wrap, group) in [(3, true, 10), (-2, false, 8), (1, true, 40), (-5, true, 20), (4, false, 40)] {
        let connector = format!(
            "{{ type = \"OneToOneOffsetConnector\", offset = {offset}, wrap = {wrap}, n_neurons_per_group = {group} }}"
        );
        let machine = conns(&net(40, &connector, ""));
        // The connections are those the connector describes, group by group.
        let want: Vec<(u32, u32)> = {
            let mut w: Vec<(u32, u32)> = (0..40i32)
                .filter_map(|post| {
                    let base = post / group * group;
                    let pre = post - offset;
                    let inside = (base..base + group).contains(&pre);
                    let pre = if inside { pre } else { (pre - base).rem_euclid(group) + base };
                    (inside || wrap).then_some((pre as u32, post as u32))
                })
                .collect();
            w.sort_unstable();
            w
        };
        assert_eq!(machine, want, "offset {offset}, wrap {wrap}, group {group}");
        // spinnsim's own draws connect as the expander does.
        assert_eq!(conns(&net(40, &connector, "draws = \"spinnsim\"\n")), machine, "host, offset {offset}");
    }
    for (n_post, connector, header, why) in [
        (
            30,
            "{ type = \"OneToOneOffsetConnector\", offset = 1, wrap = true }",
            "",
            "needs pre and post of one size (40 and 30)",
        ),
        (
            40,
            "{ type = \"OneToOneOffsetConnector\", offset = 1, wrap = true, n_neurons_per_group = 7 }",
            "",
            "7 does not divide",
        ),
        (
            40,
            "{ type = \"OneToOneOffsetConnector\", offset = 11, wrap = true, n_neurons_per_group = 10 }",
            "",
            "11 is larger than the 10 neurons",
        ),
    ] {
        let err = run_toml(&net(n_post, connector, header), 1.0).unwrap_err().to_string();
        assert!(err.contains("projection `shift`") && err.contains(why), "{err}");
    }
    // Built on the host (weights per connection): said when there are groups, where 7.4.1's host
    // code differs from its expander.
    let weights = format!("[{}]", vec!["0.5"; 40].join(", "));
    for (group, said) in [(10, 1), (40, 0)] {
        let connector =
            format!("{{ type = \"OneToOneOffsetConnector\", offset = 3, wrap = true, n_neurons_per_group = {group} }}");
        let toml = net(40, &connector, "").replace("weight = 0.5", &format!("weight = {weights}"));
        let w = run_toml(&toml, 1.0).unwrap();
        let n = w.iter().filter(|w| w.contains("projection `shift`: sPyNNaker 7.4.1's host builds")).count();
        assert_eq!(n, said, "group {group}: {w:?}");
    }
    let view = net(60, "{ type = \"OneToOneOffsetConnector\", offset = 1, wrap = true }", "")
        + "pre_view = { start = 0, stop = 40 }\npost_view = { start = 20, stop = 60 }\n";
    let err = run_toml(&view, 1.0).unwrap_err().to_string();
    assert!(err.contains("post_view") && err.contains("must start at neuron 0"), "{err}");
}

#[test]
fn all_but_me_connects_every_pair_of_a_group_but_the_diagonal_on_every_path() {
    let net = |n_post: u32, connector: &str, header: &str| {
        format!(
            "{header}[[population]]\nlabel = \"a\"\nsize = 40\ncell_type = \"IF_curr_exp\"\nmax_atoms_per_core = 16\n\
             [[population]]\nlabel = \"b\"\nsize = {n_post}\ncell_type = \"IF_curr_exp\"\nmax_atoms_per_core = 16\n\
             [[projection]]\nlabel = \"wta\"\npre = \"a\"\npost = \"b\"\nconnector = {connector}\nweight = 0.5\n"
        )
    };
    let conns = |toml: &str| {
        let sim = Simulation::new(load_toml(toml).unwrap(), Default::default(), Some(1)).unwrap();
        let mut c: Vec<(u32, u32)> = sim.connections(0).unwrap().iter().map(|c| (c[0] as u32, c[1] as u32)).collect();
        c.sort_unstable();
        c
    };
    for group in [Some(10), Some(1), Some(40), None] {
        let connector = match group {
            Some(g) => format!("{{ type = \"AllButMeConnector\", n_neurons_per_group = {g} }}"),
            None => "{ type = \"AllButMeConnector\" }".to_string(),
        };
        let g = group.unwrap_or(40);
        let mut want: Vec<(u32, u32)> = (0..40)
            .flat_map(|post| (0..40).map(move |pre| (pre, post)))
            .filter(|&(i, j)| i / g == j / g && i != j)
            .collect();
        want.sort_unstable();
        assert_eq!(conns(&net(40, &connector, "")), want, "group {group:?}");
        assert_eq!(conns(&net(40, &connector, "draws = \"spinnsim\"\n")), want, "spinnsim's draws, group {group:?}");
    }
    for (n_post, connector, why) in [
        (30, "{ type = \"AllButMeConnector\" }", "AllButMeConnector needs pre and post of one size (40 and 30)"),
        (40, "{ type = \"AllButMeConnector\", n_neurons_per_group = 7 }", "7 does not divide"),
        (40, "{ type = \"AllButMeConnector\", n_neurons_per_group = 0 }", "0 neurons per group"),
    ] {
        let err = run_toml(&net(n_post, connector, ""), 1.0).unwrap_err().to_string();
        assert!(err.contains("projection `wta`") && err.contains(why), "{err}");
    }
}

/// An AllButMeConnector's own group weights: the machine's weights (pre value `i`, post value
/// `j`: entry `i·(g − 1) + j`, less one past the diagonal) on the expander and with spinnsim's
/// draws; 7.4.1's host writes the projection's weight instead, and the run says so.
#[test]
fn all_but_me_takes_its_groups_weights_where_the_machine_builds_it() {
    let weights: Vec<f64> = (1..=12).map(|k| k as f64 / 4.0).collect();
    let toml = |header: &str| {
        format!(
            "{header}[[population]]\nlabel = \"a\"\nsize = 24\ncell_type = \"IF_curr_exp\"\nmax_atoms_per_core = 8\n\
             [[projection]]\nlabel = \"wta\"\npre = \"a\"\npost = \"a\"\nweight = 0.125\n\
             connector = {{ type = \"AllButMeConnector\", n_neurons_per_group = 4, weights = {weights:?} }}\n"
        )
    };
    let want: Vec<[f64; 4]> = (0..24u32)
        .flat_map(|i| (0..24u32).map(move |j| (i, j)))
        .filter(|&(i, j)| i / 4 == j / 4 && i != j)
        .map(|(i, j)| {
            let (a, b) = (i % 4, j % 4);
            [i as f64, j as f64, weights[(a * 3 + b - u32::from(b > a)) as usize], 1.0]
        })
        .collect();
    for header in ["", "draws = \"spinnsim\"\n"] {
        let sim = Simulation::new(load_toml(&toml(header)).unwrap(), MapOptions::default(), Some(1)).unwrap();
        let mut got = sim.connections(0).unwrap();
        got.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert_eq!(got, want, "{header}");
        assert!(!sim.warnings().iter().any(|w| w.contains("ignores the AllButMeConnector")), "{header}");
    }
    let board = MapOptions { virtual_board: true, ..Default::default() };
    let sim = Simulation::new(load_toml(&toml("")).unwrap(), board, Some(1)).unwrap();
    assert!(sim.connections(0).unwrap().iter().all(|c| c[2] == 0.125), "the host writes the projection's weight");
    assert!(sim
        .warnings()
        .iter()
        .any(|w| w.contains("projection `wta`") && w.contains("ignores the AllButMeConnector")));
    let short = toml("").replace("weights = [", "weights = [9.0, ");
    let err =
        load_toml(&short).and_then(|n| Simulation::new(n, Default::default(), Some(1))).err().unwrap().to_string();
    assert!(err.contains("13 weights for groups of 4") && err.contains("4 × (4 − 1) = 12"), "{err}");
}

/// A connector's `rng_seed`: the host's numpy draws where 7.4.1's host builds the rows (here the
/// gamma weights have no on-chip generator), independent of the network seed; said to be ignored
/// where the machine generates the projection.
#[test]
fn a_seeded_connector_draws_as_numpy_on_the_host_and_is_ignored_on_the_machine() {
    let toml = |seed: u64, weight: &str| {
        format!(
            "seed = {seed}\n{LIF1}[[population]]\nlabel = \"s\"\nsize = 40\ncell_type = \"SpikeSourceArray\"\nspike_times = [1.0]\n\
             [[projection]]\nlabel = \"seeded\"\npre = \"s\"\npost = \"a\"\n\
             connector = {{ type = \"FixedProbabilityConnector\", p_connect = 0.5, rng_seed = 5 }}\nweight = {weight}\n"
        )
    };
    let gamma = "{ distribution = \"gamma\", k = 2.0, theta = 0.1 }";
    let pairs = |seed: u64| {
        let sim = Simulation::new(load_toml(&toml(seed, gamma)).unwrap(), Default::default(), Some(1)).unwrap();
        assert!(!sim.warnings().iter().any(|w| w.contains("rng_seed")), "{:?}", sim.warnings());
        let mut p: Vec<(u32, u32)> = sim.connections(0).unwrap().iter().map(|c| (c[0] as u32, c[1] as u32)).collect();
        p.sort_unstable();
        p
    };
    let numpy: Vec<(u32, u32)> = spinnsim::model::numpy_fixed_probability_pairs(0.5, false, 5, (40, 1), 256);
    assert_eq!(pairs(1), numpy);
    assert_eq!(pairs(2), numpy, "the network seed does not move numpy's draws");
    let w = run_toml(&toml(1, "0.5"), 1.0).unwrap();
    let said: Vec<_> =
        w.iter().filter(|w| w.contains("projection `seeded`: the connector's rng_seed 5 is ignored")).collect();
    assert_eq!(said.len(), 1, "{w:?}");
}

/// A distribution's `rng_seed`: numpy's weights where 7.4.1's host builds the rows, whatever the
/// network seed; ignored, and said once, where the machine generates them; delays numpy draws
/// below the timestep raised to it, and said.
#[test]
fn a_seeded_distribution_draws_as_numpy_on_the_host_and_is_ignored_on_the_machine() {
    let toml = |seed: u64, weight: &str, delay: &str| {
        format!(
            "seed = {seed}\n{LIF1}[[population]]\nlabel = \"s\"\nsize = 40\ncell_type = \"SpikeSourceArray\"\nspike_times = [1.0]\n\
             [[projection]]\nlabel = \"seeded\"\npre = \"s\"\npost = \"a\"\n\
             connector = {{ type = \"AllToAllConnector\" }}\nweight = {weight}\ndelay = {delay}\n"
        )
    };
    let gamma = "{ distribution = \"gamma\", k = 2.0, theta = 0.1, rng_seed = 8 }";
    let weights = |seed: u64| {
        let sim = Simulation::new(load_toml(&toml(seed, gamma, "1.0")).unwrap(), Default::default(), Some(1)).unwrap();
        assert!(!sim.warnings().iter().any(|w| w.contains("rng_seed")), "{:?}", sim.warnings());
        sim.connections(0).unwrap().iter().map(|c| c[2]).collect::<Vec<f64>>()
    };
    assert_eq!(weights(1), weights(2), "the network seed does not move numpy's draws");
    // The host's seed for the one post core, then that core's draws (one per connection, pre-major).
    let core_seed = (spinnsim::model::RandomState::new(8).random_sample() * f64::from(0x7FFF_FFFFu32)) as u32;
    let want = spinnsim::model::RandomState::new(core_seed)
        .pynn_next(&spinnsim::model::Distribution::Gamma { k: 2.0, theta: 0.1 }, 40)
        .unwrap();
    let got = weights(1);
    assert_eq!(got.len(), 40);
    // Read back from the 16-bit words (whole multiples of 1 / scale): numpy's values rounded.
    let scale = (0..40).map(|k| 2f64.powi(k)).find(|s| got.iter().all(|w| (w * s).fract() == 0.0)).unwrap();
    // 7.4.1's shift from scipy's gamma(a = 2, loc = 0.1): 40 synapses of at most 10.86 (its
    // ppf(1 − 0.01/40)) sum to 434.3 < 2^9, so shift 9 and 2^(15 − 9) steps per nA.
    assert_eq!(scale, 64.0);
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() <= 0.5 / scale, "{g} against numpy's {w}");
    }
    let normal = "{ distribution = \"normal\", mu = 0.5, sigma = 0.1, rng_seed = 8 }";
    let said = run_toml(&toml(1, normal, "1.0"), 1.0).unwrap();
    let ignored: Vec<_> = said
        .iter()
        .filter(|w| w.contains("projection `seeded`: the rng_seed 8 of the weight distribution is ignored"))
        .collect();
    assert_eq!(ignored.len(), 1, "{said:?}");
    let low = "{ distribution = \"normal\", mu = 1.0, sigma = 1.0, rng_seed = 3 }";
    let said = run_toml(&toml(1, gamma, low), 1.0).unwrap();
    assert!(said.iter().any(|w| w.contains("delays drawn below the timestep (1 ms) were raised to it")), "{said:?}");
}

/// Where 7.4.1's host builds the rows (here: gamma weights, which the expander cannot draw), a
/// FixedNumberPre with `rng_seed` connects numpy's pre neurons, whatever the network seed; a
/// FixedNumberPost connects nothing, as 7.4.1's host, and the run says so once; with spinnsim's
/// own draws it is connected. The run's metadata names the projections whose host draws 7.4.1
/// would make without a seed.
#[test]
fn fixed_number_connectors_on_the_host_are_the_hosts() {
    let toml = |seed: u64, connector: &str, draws: &str| {
        format!(
            "seed = {seed}\n{draws}[[population]]\nlabel = \"a\"\nsize = 30\ncell_type = \"IF_curr_exp\"\n\
             [[population]]\nlabel = \"s\"\nsize = 20\ncell_type = \"SpikeSourceArray\"\nspike_times = [1.0]\n\
             [[projection]]\nlabel = \"fixed\"\npre = \"s\"\npost = \"a\"\nconnector = {connector}\n\
             weight = {{ distribution = \"gamma\", k = 2.0, theta = 0.1 }}\ndelay = 1.0\n"
        )
    };
    let pre = "{ type = \"FixedNumberPreConnector\", n = 4, rng_seed = 21 }";
    let pairs = |seed: u64| {
        let sim = Simulation::new(load_toml(&toml(seed, pre, "")).unwrap(), Default::default(), Some(1)).unwrap();
        assert!(!sim.warnings().iter().any(|w| w.contains("rng_seed")), "{:?}", sim.warnings());
        let mut p: Vec<(u32, u32)> = sim.connections(0).unwrap().iter().map(|c| (c[0] as u32, c[1] as u32)).collect();
        p.sort_unstable();
        p
    };
    assert_eq!(pairs(1), pairs(2), "the network seed does not move numpy's draws");
    // numpy's `choice(20, 4, False)` per post neuron, one RandomState(21) for them all.
    let mut rs = spinnsim::model::RandomState::new(21);
    let mut want: Vec<(u32, u32)> =
        (0..30).flat_map(|m| rs.choice(20, 4, false).into_iter().map(move |i| (i, m))).collect();
    want.sort_unstable();
    assert_eq!(pairs(1), want);
    // The gamma weights have no rng_seed: 7.4.1's host would draw them from OS entropy.
    let unseeded =
        |sim: &Simulation| sim.spikes_batch().unwrap().schema().metadata()["spinnsim.unseeded_projections"].clone();
    let sim = Simulation::new(load_toml(&toml(1, pre, "")).unwrap(), Default::default(), Some(1)).unwrap();
    assert_eq!(unseeded(&sim), "fixed");
    let seeded = toml(1, pre, "").replace("theta = 0.1 }", "theta = 0.1, rng_seed = 3 }");
    let sim = Simulation::new(load_toml(&seeded).unwrap(), Default::default(), Some(1)).unwrap();
    assert_eq!(unseeded(&sim), "", "every host draw is seeded");
    let unseeded_pre = seeded.replace(", rng_seed = 21 }", " }");
    let sim = Simulation::new(load_toml(&unseeded_pre).unwrap(), Default::default(), Some(1)).unwrap();
    assert_eq!(unseeded(&sim), "fixed", "the connector draws without a seed");

    let post = "{ type = \"FixedNumberPostConnector\", n = 3 }";
    let sim = Simulation::new(load_toml(&toml(1, post, "")).unwrap(), Default::default(), Some(1)).unwrap();
    assert!(sim.connections(0).unwrap().is_empty());
    let said = sim.warnings();
    let nothing = said.iter().filter(|w| w.contains("projection `fixed`: sPyNNaker 7.4.1's host builds no connection"));
    assert_eq!(nothing.count(), 1, "{said:?}");
    let own =
        Simulation::new(load_toml(&toml(1, post, "draws = \"spinnsim\"\n")).unwrap(), Default::default(), Some(1))
            .unwrap();
    assert_eq!(own.connections(0).unwrap().len(), 60);
    assert!(!own.warnings().iter().any(|w| w.contains("builds no connection")), "{:?}", own.warnings());
}
