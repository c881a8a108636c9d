//! Every neuron model, on both engines, against an independent fixed-point reference.
//!
//! The fixtures in `tests/fixtures/neuron_models/` are written by
//! `tools/reference/neuron_models.py`, a whole-network reference for tiny networks
//! (SpikeSourceArray → 1–4 neurons through FromList projections, DC and step current sources)
//! whose neuron-update arithmetic is the Python models of `tools/binaries/check_fragments.py`,
//! checked bit for bit against the sPyNNaker 7.4.1 ARM code under emulation, and whose derived
//! constants were recomputed by the binaries' own initialisation code (`--check-binaries`).
//!
//! Each fixture holds the network in spinnsim's serde shape, the run() chunks, the ring-buffer
//! shifts and derived constants the reference used, and the expected v, gsyn_exc, gsyn_inh
//! (raw s16.15) and spikes of every tick. Everything is compared for integer equality. Each
//! fixture runs on the CPU engine (`<case>::cpu`) and on the GPU engine (`<case>::gpu`), which
//! must also give the CPU engine's recordings and provenance of every population.

mod common;

use serde_json::Value;
use spinnsim::engine::Backend;
use spinnsim::mapping::{CoreKind, MapOptions, NeuronArrays};
use spinnsim::model::Network;
use spinnsim::record::Recordings;
use spinnsim::sim::Simulation;
use std::path::{Path, PathBuf};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/neuron_models")
}

fn ints(v: &Value, what: &str) -> Vec<i64> {
    v.as_array()
        .unwrap_or_else(|| panic!("{what} is not an array"))
        .iter()
        .map(|x| x.as_i64().unwrap_or_else(|| panic!("{what}: {x} is not an integer")))
        .collect()
}

/// The engine's value of a derived constant named as in the fixture.
fn engine_constant(a: &NeuronArrays, name: &str) -> Option<Vec<i64>> {
    let s = |v: &[i32]| v.iter().map(|&x| x as i64).collect::<Vec<_>>();
    let u = |v: &[u32]| v.iter().map(|&x| x as i64).collect::<Vec<_>>();
    Some(match name {
        "exp_tc" => s(&a.exp_tc),
        "r_membrane" => s(&a.r_membrane),
        "t_refract" => s(&a.t_refract),
        "delta_scale" => s(&a.delta_scale),
        "this_h" => s(&a.this_h),
        "reset_h" => s(&a.reset_h),
        "exc_decay" => u(&a.exc_decay),
        "exc_init" => u(&a.exc_init),
        "inh_decay" => u(&a.inh_decay),
        "inh_init" => u(&a.inh_init),
        _ => return None,
    })
}

/// The first differences between two sorted sample lists, as readable lines.
fn sample_diff(var: &str, want: &[(u32, u32, i32)], got: &[(u32, u32, i32)]) -> Vec<String> {
    let mut out = Vec::new();
    if want.len() != got.len() {
        out.push(format!("{var}: {} samples expected, {} recorded", want.len(), got.len()));
    }
    for (w, g) in want.iter().zip(got) {
        if w != g {
            out.push(format!(
                "{var}: first difference at tick {} neuron {}: expected {} ({:.6}), engine {} ({:.6}) [engine entry: tick {} neuron {}]",
                w.0,
                w.1,
                w.2,
                w.2 as f64 / 32768.0,
                g.2,
                g.2 as f64 / 32768.0,
                g.0,
                g.1
            ));
            break;
        }
    }
    out
}

/// `net` run on `backend` in the runs of `runs` ticks.
fn simulate(net: &Network, runs: &[u32], backend: Backend) -> Simulation {
    let mut sim =
        Simulation::with_backend(net.clone(), MapOptions::default(), None, backend).expect("the network maps");
    for &chunk in runs {
        sim.run_ticks(chunk).unwrap_or_else(|e| panic!("a run on the {backend} engine: {e}"));
    }
    sim
}

fn check(name: &str, backend: Backend) {
    let path = fixture_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let fx: Value = serde_json::from_str(&text).unwrap();
    let net: Network = serde_json::from_value(fx["network"].clone()).expect("the network deserializes");
    let runs: Vec<u32> = ints(&fx["runs"], "runs").into_iter().map(|x| x as u32).collect();
    let label = fx["population"].as_str().unwrap();
    let sim = simulate(&net, &runs, backend);
    let image = sim.image();
    let pop = image.population_labels.iter().position(|l| l == label).expect("target population");
    let mut failures = Vec::new();

    // Host side: ring-buffer shifts.
    let shifts = ints(&fx["host"]["ring_buffer_shifts"], "ring_buffer_shifts");
    let got = image.ring_buffer_shifts[pop].map(|s| vec![s[0] as i64, s[1] as i64]);
    if got.as_deref() != Some(&shifts[..]) {
        failures.push(format!("ring-buffer shifts: expected {shifts:?}, mapping {got:?}"));
    }

    // Derived constants (the population is one core).
    let cores = &image.population_cores[pop];
    assert_eq!(cores.len(), 1, "the target population fits one core");
    let CoreKind::Neuron(nc) = &image.cores[cores[0] as usize].kind else { panic!("not a neuron core") };
    for (cname, want) in fx["constants"].as_object().unwrap() {
        let want = ints(want, cname);
        match engine_constant(&nc.neurons, cname) {
            Some(got) if got == want => {}
            Some(got) => failures.push(format!("constant {cname}: expected {want:?}, mapping {got:?}")),
            None => failures.push(format!("constant {cname}: unknown to this test")),
        }
    }

    // Run in the fixture's chunks; the GPU engine must also agree with the CPU engine bit for bit
    // on what the fixture does not hold (the other populations, provenance).
    let rec: Recordings = sim.recordings();
    if backend == Backend::Gpu {
        let cpu = simulate(&net, &runs, Backend::Cpu);
        if rec != cpu.recordings() || sim.provenance() != cpu.provenance() {
            failures.push("the GPU engine's recordings or provenance differ from the CPU engine's".into());
        }
    }
    let exp = &fx["expected"];
    let neurons: Vec<u32> = ints(&exp["neurons"], "neurons").into_iter().map(|x| x as u32).collect();
    let ticks = exp["ticks"].as_u64().unwrap() as usize;
    assert_eq!(ticks, runs.iter().map(|&r| r as usize).sum::<usize>());
    for var in ["v", "gsyn_exc", "gsyn_inh"] {
        let rows = exp[var].as_array().unwrap();
        assert_eq!(rows.len(), ticks, "{var}: one row per tick");
        let mut want = Vec::with_capacity(ticks * neurons.len());
        for (t, row) in rows.iter().enumerate() {
            let row = ints(row, var);
            assert_eq!(row.len(), neurons.len());
            for (&n, &x) in neurons.iter().zip(&row) {
                want.push((t as u32, n, i32::try_from(x).expect("raw s16.15 fits i32")));
            }
        }
        want.sort_unstable();
        let got = rec.population_samples(pop, 0, var);
        failures.extend(sample_diff(var, &want, &got));
    }
    let want_spikes: Vec<(u32, u32)> = exp["spikes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let s = ints(s, "spike");
            (s[0] as u32, s[1] as u32)
        })
        .collect();
    let got_spikes = rec.population_spikes(pop, 0);
    if got_spikes != want_spikes {
        let first = want_spikes
            .iter()
            .zip(&got_spikes)
            .position(|(a, b)| a != b)
            .unwrap_or(want_spikes.len().min(got_spikes.len()));
        failures.push(format!(
            "spikes: {} expected, {} recorded; first difference at index {first}: expected {:?}, engine {:?}",
            want_spikes.len(),
            got_spikes.len(),
            want_spikes.get(first),
            got_spikes.get(first)
        ));
    }
    assert!(
        failures.is_empty(),
        "{name} on the {backend} engine ({}):\n  {}",
        fx["description"].as_str().unwrap_or(""),
        failures.join("\n  ")
    );
}

macro_rules! cases {
    ($($(#[$attr:meta])* $test:ident => $file:literal,)*) => {
        $( $(#[$attr])* fn $test(backend: Backend) { check($file, backend); } )*
        common::on_both_engines!($($test),*);

        /// Every fixture in the directory has a test above, and every test has its fixture.
        #[test]
        fn every_fixture_is_tested() {
            let listed: std::collections::BTreeSet<&str> = [$($file),*].into_iter().collect();
            let on_disk: std::collections::BTreeSet<String> = std::fs::read_dir(fixture_dir())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter_map(|f| f.strip_suffix(".json").map(str::to_string))
                .collect();
            let on_disk: std::collections::BTreeSet<&str> = on_disk.iter().map(String::as_str).collect();
            assert_eq!(listed, on_disk);
        }
    };
}

cases! {
    if_curr_exp_dt1 => "if_curr_exp_dt1",
    if_curr_exp_dt0_1 => "if_curr_exp_dt0.1",
    if_curr_exp_step_resume => "if_curr_exp_step_resume",
    if_cond_exp_dt1 => "if_cond_exp_dt1",
    if_cond_exp_dt0_1 => "if_cond_exp_dt0.1",
    if_cond_exp_step_dt1 => "if_cond_exp_step_dt1",
    if_curr_delta_dt1 => "if_curr_delta_dt1",
    if_curr_delta_dt0_1 => "if_curr_delta_dt0.1",
    if_curr_delta_single_dt0_1 => "if_curr_delta_single_dt0.1",
    izhikevich_dt1 => "izhikevich_dt1",
    izhikevich_dt0_1 => "izhikevich_dt0.1",
    izhikevich_step_resume_dt0_1 => "izhikevich_step_resume_dt0.1",
    izhikevich_cond_dt1 => "izhikevich_cond_dt1",
    izhikevich_cond_dt0_1 => "izhikevich_cond_dt0.1",
}
