//! The GPU engine against the CPU reference: identical spikes, recorded values and provenance.

mod common;

use spinnsim::engine::cpu::CpuEngine;
use spinnsim::engine::gpu::GpuEngine;
use spinnsim::engine::Engine;
use spinnsim::mapping::{map, MapOptions};
use spinnsim::model::*;

fn gpu_or_skip() -> bool {
    match spinnsim::engine::gpu::device::GpuContext::open() {
        Ok(_) => true,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("no GPU adapter, GPU test skipped: {e}");
            false
        }
        Err(e) => panic!("CI needs a GPU adapter (lavapipe): {e}"),
    }
}

fn compare(net: &Network, chunks: &[u32]) {
    let image = map(net, MapOptions::default()).unwrap();
    let mut cpu = CpuEngine::with_threads(image.clone(), Some(1)).unwrap();
    let mut gpu = GpuEngine::new(image).unwrap();
    for &c in chunks {
        cpu.run(c).unwrap();
        gpu.run(c).unwrap();
        let (a, b) = (cpu.provenance(), gpu.provenance());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x, y, "provenance of core {}", x.core);
        }
    }
    let (a, b) = (cpu.recordings(), gpu.recordings());
    assert_eq!(a.spikes, b.spikes, "spikes");
    for (x, y) in a.sampled.iter().zip(&b.sampled) {
        assert_eq!(x, y, "{} of population {}", x.variable, x.population);
    }
    assert_eq!(a, b);
    assert_eq!(cpu.unrouted_packets, gpu.unrouted_packets());
}

fn dataset(name: &str) -> Network {
    load_toml(&std::fs::read_to_string(format!("{}/datasets/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()).unwrap()
}

#[test]
fn synfire_dataset() {
    if gpu_or_skip() {
        compare(&dataset("synfire.toml"), &[200, 150]);
    }
}

#[test]
fn poisson_dataset() {
    if gpu_or_skip() {
        compare(&dataset("poisson_driven.toml"), &[300]);
    }
}

#[test]
fn vogels_abbott_dataset() {
    if gpu_or_skip() {
        compare(&dataset("vogels_abbott_cuba.toml"), &[200]);
    }
}
