//! The April-2019 SpiNNaker recordings of the synfire ring (oracles.md §1), in both profiles, on
//! both engines: every check runs on the CPU engine and on the GPU engine.

mod common;

use common::{read_csv, synfire};
use spinnsim::engine::cpu::CpuEngine;
use spinnsim::engine::gpu::GpuEngine;
use spinnsim::engine::Engine;
use spinnsim::machine::Machine;
use spinnsim::mapping::{map, MapOptions, Profile};
use spinnsim::record::Recordings;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum On {
    Cpu,
    Gpu,
}

fn simulate(
    on: On,
    n: u32,
    delay: f64,
    ticks: u32,
    per_core: Option<u32>,
    record_all: bool,
    profile: Profile,
) -> Recordings {
    let net = synfire(n, delay, per_core, record_all);
    let image = map(&net, MapOptions { profile, ..Default::default() }).expect("maps");
    let mut machine = Machine::new(image).expect("machine");
    match on {
        On::Cpu => CpuEngine::new(None).expect("engine").run(&mut machine, ticks).expect("runs"),
        On::Gpu => GpuEngine::new(&machine).expect("GPU engine").run(&mut machine, ticks).expect("runs on the GPU"),
    }
    machine.recordings()
}

fn expected_spikes(name: &str) -> Vec<(u32, u32)> {
    let mut v: Vec<(u32, u32)> = read_csv(name).into_iter().map(|(n, t, _)| (t, n)).collect();
    v.sort_unstable();
    v
}

/// (tick, neuron) → raw s16.15 from a CSV whose values are exact multiples of 2^-15.
fn expected_raw(name: &str) -> Vec<(u32, u32, i32)> {
    let mut v: Vec<(u32, u32, i32)> = read_csv(name)
        .into_iter()
        .map(|(n, t, x)| {
            let raw = x * 32768.0;
            assert_eq!(raw, raw.round(), "{name}: {x} is not a multiple of 2^-15");
            (t, n, raw as i32)
        })
        .collect();
    v.sort_unstable();
    v
}

fn check_exact(on: On, case: &str, n: u32, delay: f64, ticks: u32) {
    if on == On::Gpu && !common::gpu_or_skip() {
        return;
    }
    let rec = simulate(on, n, delay, ticks, None, true, Profile::Spinnaker2019);
    assert_eq!(
        rec.population_spikes(0, 0),
        expected_spikes(&format!("{case}_spikes.csv")),
        "{case} spikes on the {on:?} engine"
    );
    for (var, file) in [("v", "v"), ("gsyn_exc", "gsyn")] {
        let got = rec.population_samples(0, 0, var);
        let want = expected_raw(&format!("{case}_{file}.csv"));
        assert_eq!(got.len(), want.len(), "{case} {var}: sample count on the {on:?} engine");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(
                g, w,
                "{case} {var} on the {on:?} engine: first difference at (tick, neuron) = ({}, {})",
                w.0, w.1
            );
        }
    }
}

fn check_close(on: On, case: &str, n: u32, delay: f64, ticks: u32) {
    if on == On::Gpu && !common::gpu_or_skip() {
        return;
    }
    let rec = simulate(on, n, delay, ticks, None, true, Profile::Spinnaker7);
    assert_eq!(
        rec.population_spikes(0, 0),
        expected_spikes(&format!("{case}_spikes.csv")),
        "{case} spikes on the {on:?} engine"
    );
    for (var, file, rtol) in [("v", "v", 1e-3), ("gsyn_exc", "gsyn", 1e-4)] {
        let got = rec.population_samples(0, 0, var);
        let want = expected_raw(&format!("{case}_{file}.csv"));
        assert_eq!(got.len(), want.len(), "{case} {var}: sample count on the {on:?} engine");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!((g.0, g.1), (w.0, w.1));
            let (a, b) = (g.2 as f64 / 32768.0, w.2 as f64 / 32768.0);
            // numpy.allclose: |a - b| <= atol + rtol * |b|, atol = 1e-8.
            assert!(
                (a - b).abs() <= 1e-8 + rtol * b.abs(),
                "{case} {var} on the {on:?} engine at (tick, neuron) = ({}, {}): {a} vs {b}",
                w.0,
                w.1
            );
        }
    }
}

fn check_200_17(on: On) {
    if on == On::Gpu && !common::gpu_or_skip() {
        return;
    }
    let want = expected_spikes("200_17_spikes.csv");
    for profile in [Profile::Spinnaker2019, Profile::Spinnaker7] {
        let rec = simulate(on, 200, 17.0, 5000, Some(100), false, profile);
        assert_eq!(rec.population_spikes(0, 0), want, "{profile:?} on the {on:?} engine");
    }
}

#[test]
fn synfire_20_delay_1_bit_exact_in_2019_profile() {
    check_exact(On::Cpu, "20_1", 20, 1.0, 100);
}

#[test]
fn synfire_20_delay_7_bit_exact_in_2019_profile() {
    check_exact(On::Cpu, "20_7", 20, 7.0, 200);
}

#[test]
fn synfire_20_delay_17_bit_exact_in_2019_profile() {
    check_exact(On::Cpu, "20_17", 20, 17.0, 500);
}

#[test]
fn synfire_200_delay_17_spikes_exact_in_both_profiles() {
    check_200_17(On::Cpu);
}

#[test]
fn synfire_20_delay_1_within_spynnaker_tolerances_in_default_profile() {
    check_close(On::Cpu, "20_1", 20, 1.0, 100);
}

#[test]
fn synfire_20_delay_7_within_spynnaker_tolerances_in_default_profile() {
    check_close(On::Cpu, "20_7", 20, 7.0, 200);
}

#[test]
fn synfire_20_delay_17_within_spynnaker_tolerances_in_default_profile() {
    check_close(On::Cpu, "20_17", 20, 17.0, 500);
}

#[test]
fn gpu_synfire_20_delay_1_bit_exact_in_2019_profile() {
    check_exact(On::Gpu, "20_1", 20, 1.0, 100);
}

#[test]
fn gpu_synfire_20_delay_7_bit_exact_in_2019_profile() {
    check_exact(On::Gpu, "20_7", 20, 7.0, 200);
}

#[test]
fn gpu_synfire_20_delay_17_bit_exact_in_2019_profile() {
    check_exact(On::Gpu, "20_17", 20, 17.0, 500);
}

#[test]
fn gpu_synfire_200_delay_17_spikes_exact_in_both_profiles() {
    check_200_17(On::Gpu);
}

#[test]
fn gpu_synfire_20_delay_1_within_spynnaker_tolerances_in_default_profile() {
    check_close(On::Gpu, "20_1", 20, 1.0, 100);
}

#[test]
fn gpu_synfire_20_delay_7_within_spynnaker_tolerances_in_default_profile() {
    check_close(On::Gpu, "20_7", 20, 7.0, 200);
}

#[test]
fn gpu_synfire_20_delay_17_within_spynnaker_tolerances_in_default_profile() {
    check_close(On::Gpu, "20_17", 20, 17.0, 500);
}
