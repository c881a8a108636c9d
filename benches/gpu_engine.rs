//! The GPU engine on a network file (default: datasets/vogels_abbott_cuba.toml, 1 s of model
//! time), beside the CPU engine on the same machine: wall time of the run, synaptic events per
//! second, dispatches and submissions per tick, GPU memory per synapse. See docs/performance.md.
//!
//! ```text
//! cargo bench --bench gpu_engine                          # best of 3
//! cargo bench --bench gpu_engine -- --repeats 5 --ms 1000 --network datasets/x.toml
//! ```
//!
//! On lavapipe (Mesa's Vulkan on the CPU) the figures are CPU-emulated Vulkan, not GPU figures.
//! Without `--bench` (as `cargo test --benches` runs it) it runs 10 ms once, as a smoke test.

use spinnsim::engine::cpu::CpuEngine;
use spinnsim::engine::gpu::GpuEngine;
use spinnsim::engine::Engine;
use spinnsim::machine::Machine;
use spinnsim::mapping::{map, MapOptions};
use spinnsim::model::Network;
use std::time::Instant;

#[derive(serde::Deserialize)]
struct NetworkFile {
    #[serde(default)]
    run_ms: Option<f64>,
    #[serde(flatten)]
    network: Network,
}

fn main() {
    let mut network = format!("{}/datasets/vogels_abbott_cuba.toml", env!("CARGO_MANIFEST_DIR"));
    let (mut ms, mut repeats, mut bench, mut cpu_threads) = (None, 3usize, false, None);
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--bench" => bench = true,
            "--network" => network = it.next().expect("--network FILE"),
            "--ms" => ms = Some(it.next().expect("--ms N").parse::<f64>().expect("--ms: a number")),
            "--repeats" => repeats = it.next().expect("--repeats N").parse().expect("--repeats: a count"),
            "--cpu-threads" => cpu_threads = Some(it.next().expect("--cpu-threads N").parse().expect("a count")),
            _ => {}
        }
    }
    if !bench {
        ms = Some(10.0);
        repeats = 1;
    }
    let text = std::fs::read_to_string(&network).unwrap_or_else(|e| panic!("{network}: {e}"));
    let file: NetworkFile = toml::from_str(&text).unwrap_or_else(|e| panic!("{network}: {e}"));
    let net = file.network;
    let run_ms = ms.or(file.run_ms).unwrap_or(1000.0);
    let ticks = (run_ms / net.timestep - 1e-9).ceil() as u32;
    let image = map(&net, MapOptions::default()).expect("the network maps");

    let mut best_gpu = f64::INFINITY;
    let mut gpu_out = None;
    for _ in 0..repeats {
        let mut m = Machine::new(image.clone()).expect("machine");
        let mut e = match GpuEngine::new(&m) {
            Ok(e) => e,
            Err(err) => {
                println!("no GPU engine: {err}");
                return;
            }
        };
        let t = Instant::now();
        e.run(&mut m, ticks).expect("GPU run");
        best_gpu = best_gpu.min(t.elapsed().as_secs_f64());
        gpu_out = Some((e, m));
    }
    let (gpu, gpu_machine) = gpu_out.expect("a GPU run");
    let mut best_cpu = f64::INFINITY;
    let mut cpu_out = None;
    for _ in 0..repeats {
        let mut m = Machine::new(image.clone()).expect("machine");
        let mut e = CpuEngine::new(cpu_threads).expect("CPU engine");
        let t = Instant::now();
        e.run(&mut m, ticks).expect("CPU run");
        best_cpu = best_cpu.min(t.elapsed().as_secs_f64());
        cpu_out = Some(m);
    }
    let cpu = cpu_out.expect("a CPU run");
    let identical = cpu.recordings() == gpu_machine.recordings() && cpu.provenance() == gpu_machine.provenance();
    let events: u64 = gpu_machine.provenance().iter().map(|p| p.pre_synaptic_events).sum();
    let synapses = gpu.synaptic_words();
    let a = gpu.adapter().expect("a GPU engine has an adapter");
    let kind = if a.is_hardware { "GPU" } else { "CPU-emulated Vulkan (not GPU figures)" };
    println!("network {network}, {run_ms} ms = {ticks} ticks, best of {repeats}");
    println!("adapter: {} ({}, {}), {kind}", a.name, a.backend, a.driver);
    println!("GPU engine: {best_gpu:.3} s, {:.3e} synaptic events/s", events as f64 / best_gpu);
    println!(
        "CPU engine ({} threads): {best_cpu:.3} s, {:.3e} synaptic events/s",
        cpu_threads.map(|t| t.to_string()).unwrap_or_else(|| "all".into()),
        events as f64 / best_cpu
    );
    println!("results identical: {identical}");
    let st = gpu.stats;
    println!(
        "per tick: {:.2} dispatches (one of them indirect), {:.4} submissions; {} synaptic events in all",
        st.dispatches as f64 / st.ticks as f64,
        st.submissions as f64 / st.ticks as f64,
        events
    );
    println!(
        "GPU memory: {} bytes for {synapses} synapses = {:.2} bytes per synapse (everything but recording buffers)",
        gpu.gpu_memory_bytes(),
        gpu.gpu_memory_bytes() as f64 / synapses.max(1) as f64
    );
    let per_synapse: u64 = gpu
        .gpu_buffers()
        .iter()
        .filter(|(name, _)| name.starts_with("synaptic words") || *name == "row starts")
        .map(|(_, b)| b)
        .sum();
    println!(
        "  of which the synapses' own (words and row starts): {:.2} bytes per synapse; the rest grows with neurons and cores:",
        per_synapse as f64 / synapses.max(1) as f64
    );
    for (name, b) in gpu.gpu_buffers() {
        println!("    {name:<22} {b:>12}");
    }
    println!(
        "bytes read per synaptic event: the 4-byte synaptic word and the 4-byte ring-buffer entry (one atomic add); \
         per row (not per synapse) a 32-byte row job, the row start and the pop-table search"
    );
    assert!(identical, "the GPU engine's results differ from the CPU engine's");
}
