//! The Vogels–Abbott CUBA benchmark (datasets/vogels_abbott_cuba.toml): maps the network and runs
//! 1 s of model time (10,000 ticks of 0.1 ms) on the CPU engine, for the default rayon pool and for
//! 1 and 2 threads, and reports wall time, real-time factor, synaptic events per second, peak
//! memory and bytes per synapse. See docs/performance.md.
//!
//! ```text
//! cargo bench --bench vogels_abbott                                  # all threads, 1, 2; best of 3
//! cargo bench --bench vogels_abbott -- --repeats 5 --threads 1,2 --ms 1000
//! ```
//!
//! Every measurement runs in a fresh child process (this executable again), so that its peak
//! memory (VmHWM) is its own. Without `--bench` (as `cargo test --benches` runs it) it only runs
//! 100 ticks once, as a smoke test.

use spinnsim::engine::cpu::CpuEngine;
use spinnsim::engine::Engine;
use spinnsim::machine::Machine;
use spinnsim::mapping::{map, CoreKind, MachineImage, MapOptions};
use spinnsim::model::Network;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

const CHILD_FLAG: &str = "--child-threads";

#[derive(serde::Deserialize)]
struct NetworkFile {
    #[serde(default)]
    run_ms: Option<f64>,
    #[serde(flatten)]
    network: Network,
}

struct Args {
    network: PathBuf,
    ms: Option<f64>,
    repeats: usize,
    /// 0 stands for rayon's global pool (all cores).
    threads: Vec<usize>,
    child: Option<usize>,
    bench: bool,
}

fn parse_args() -> Args {
    let mut a = Args {
        network: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("datasets/vogels_abbott_cuba.toml"),
        ms: None,
        repeats: 3,
        threads: vec![0, 1, 2],
        child: None,
        bench: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().unwrap_or_else(|| panic!("{name} needs a value"));
        match arg.as_str() {
            "--bench" => a.bench = true,
            "--network" => a.network = PathBuf::from(value("--network")),
            "--ms" => a.ms = Some(value("--ms").parse().expect("--ms: a number of milliseconds")),
            "--repeats" => a.repeats = value("--repeats").parse().expect("--repeats: a count"),
            "--threads" => {
                a.threads = value("--threads")
                    .split(',')
                    .map(|t| t.trim().parse().expect("--threads: e.g. 0,1,2 (0 = all)"))
                    .collect()
            }
            CHILD_FLAG => a.child = Some(value(CHILD_FLAG).parse().expect("thread count")),
            // cargo bench passes filters and harness flags through; none of them apply here.
            _ => {}
        }
    }
    a
}

/// A field of /proc/self/status in KiB (0 where there is no /proc).
fn status_kib(field: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(field).and_then(|r| r.strip_prefix(':')))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// What the synaptic data of the image holds.
#[derive(Default)]
struct SynapseCount {
    /// Synaptic words present in rows (one per synapse).
    synapses: u64,
    /// Words of all synaptic matrices (rows padded to the longest row, with their 3 header words).
    matrix_words: u64,
    /// Words of all master population tables and address lists.
    pop_table_words: u64,
    /// Rows in all blocks, and the synapse words reserved in them (row length, not counting headers).
    rows: u64,
    reserved_words: u64,
}

/// Counts the synapses by walking every row of every block the pop tables point to.
fn count_synapses(image: &MachineImage) -> SynapseCount {
    let mut c = SynapseCount::default();
    for core in &image.cores {
        let CoreKind::Neuron(nc) = &core.kind else { continue };
        let (pop, m) = (&nc.pop_table, &nc.synaptic_matrix);
        c.matrix_words += m.len() as u64;
        c.pop_table_words += pop.len() as u64;
        let n_entries = pop[0] as usize;
        let list = 2 + 5 * n_entries;
        // (start word, row stride in words) of every valid block, in address order.
        let mut blocks: Vec<(usize, usize)> = pop[list..]
            .iter()
            .filter(|&&item| item >> 8 != 0xFF_FFFF)
            .map(|&item| (((item >> 8) as usize * 16) / 4, (item & 0xFF) as usize + 1 + 3))
            .collect();
        blocks.sort_unstable();
        blocks.dedup();
        for (b, &(start, stride)) in blocks.iter().enumerate() {
            let end = blocks.get(b + 1).map(|n| n.0).unwrap_or(m.len());
            let mut row = start;
            while row + stride <= end {
                let plastic = m[row] as usize;
                c.synapses += m[row + 1 + plastic] as u64;
                c.rows += 1;
                c.reserved_words += stride as u64 - 3;
                row += stride;
            }
        }
    }
    c
}

/// One measurement: map, build the engine, run; prints one JSON line.
fn child(args: &Args, threads: usize) {
    let rss_start = status_kib("VmRSS");
    let text = std::fs::read_to_string(&args.network).unwrap_or_else(|e| panic!("{}: {e}", args.network.display()));
    let file: NetworkFile = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", args.network.display()));
    let net = file.network;
    let run_ms = args.ms.or(file.run_ms).unwrap_or(1000.0);
    let ticks = (run_ms / net.timestep - 1e-9).ceil() as u32;

    let t0 = Instant::now();
    let image = map(&net, MapOptions::default()).expect("the network maps");
    let map_s = t0.elapsed().as_secs_f64();
    let counts = count_synapses(&image);
    let n_cores = image.cores.len();
    let mut machine = Machine::new(image).expect("machine");
    let mut engine = CpuEngine::new(if threads == 0 { None } else { Some(threads) }).expect("engine");
    let held = machine.memory_bytes();
    let rss_built = status_kib("VmRSS");
    let hwm_built = status_kib("VmHWM");

    let t1 = Instant::now();
    engine.run(&mut machine, ticks).expect("run");
    let run_s = t1.elapsed().as_secs_f64();
    let hwm_end = status_kib("VmHWM");

    let prov = machine.provenance();
    let events: u64 = prov.iter().map(|p| p.pre_synaptic_events).sum();
    let saturations: u64 = prov.iter().map(|p| p.synaptic_weight_saturations).sum();
    let rec = machine.recordings();
    let rates: Vec<serde_json::Value> = net
        .populations
        .iter()
        .enumerate()
        .map(|(pi, p)| {
            let spikes: usize = rec.spikes.iter().filter(|s| s.population == pi).map(|s| s.spikes.len()).sum();
            serde_json::json!({ "label": p.label, "spikes": spikes, "rate_hz": spikes as f64 / p.size as f64 / (run_ms / 1000.0) })
        })
        .collect();
    let out = serde_json::json!({
        "threads": threads,
        "rayon_threads": if threads == 0 { rayon::current_num_threads() } else { threads },
        "cores": n_cores,
        "ticks": ticks,
        "model_ms": run_ms,
        "map_s": map_s,
        "run_s": run_s,
        "events": events,
        "saturations": saturations,
        "synapses": counts.synapses,
        "matrix_words": counts.matrix_words,
        "pop_table_words": counts.pop_table_words,
        "rows": counts.rows,
        "reserved_words": counts.reserved_words,
        "engine_bytes": held,
        "rss_start_kib": rss_start,
        "rss_built_kib": rss_built,
        "hwm_built_kib": hwm_built,
        "hwm_end_kib": hwm_end,
        "populations": rates,
    });
    println!("{out}");
}

fn measure(args: &Args, threads: usize) -> serde_json::Value {
    let exe = std::env::current_exe().expect("own executable");
    let mut cmd = Command::new(exe);
    cmd.arg(CHILD_FLAG).arg(threads.to_string()).arg("--network").arg(&args.network);
    if let Some(ms) = args.ms {
        cmd.arg("--ms").arg(ms.to_string());
    }
    let out = cmd.output().expect("run the measurement");
    assert!(out.status.success(), "measurement failed: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().rev().find(|l| l.starts_with('{')).expect("a JSON line");
    serde_json::from_str(line).expect("JSON")
}

fn f(v: &serde_json::Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("{k}"))
}

fn main() {
    let mut args = parse_args();
    if let Some(t) = args.child {
        child(&args, t);
        return;
    }
    if !args.bench {
        // `cargo test --benches`: a quick check that the benchmark still works.
        args.ms = Some(10.0);
        child(&args, 1);
        return;
    }
    println!("network {}, best wall time of {} runs, each in a fresh process", args.network.display(), args.repeats);
    println!(
        "{:>8} {:>7} {:>9} {:>9} {:>10} {:>12} {:>9} {:>9}  rates (Hz)",
        "threads", "map s", "run s", "runs s", "× real", "events/s", "VmHWM MiB", "RSS MiB"
    );
    let mut first: Option<serde_json::Value> = None;
    for &threads in &args.threads {
        let runs: Vec<serde_json::Value> = (0..args.repeats.max(1)).map(|_| measure(&args, threads)).collect();
        let best = runs.iter().min_by(|a, b| f(a, "run_s").total_cmp(&f(b, "run_s"))).expect("a run").clone();
        let all: Vec<String> = runs.iter().map(|r| format!("{:.3}", f(r, "run_s"))).collect();
        let rates: Vec<String> = best["populations"]
            .as_array()
            .expect("populations")
            .iter()
            .map(|p| format!("{} {:.2}", p["label"].as_str().unwrap_or("?"), p["rate_hz"].as_f64().unwrap_or(0.0)))
            .collect();
        let label = if threads == 0 { format!("all ({})", best["rayon_threads"]) } else { threads.to_string() };
        println!(
            "{:>8} {:>7.3} {:>9.3} {:>9} {:>10.2} {:>12.3e} {:>9.1} {:>9.1}  {}",
            label,
            f(&best, "map_s"),
            f(&best, "run_s"),
            format!("[{}]", all.join(" ")),
            f(&best, "model_ms") / 1000.0 / f(&best, "run_s"),
            f(&best, "events") / f(&best, "run_s"),
            f(&best, "hwm_end_kib") / 1024.0,
            f(&best, "rss_built_kib") / 1024.0,
            rates.join(", ")
        );
        if let Some(fr) = &first {
            if fr["populations"] != best["populations"] || fr["events"] != best["events"] {
                println!("         warning: spikes or events differ from the first configuration");
            }
        } else {
            first = Some(best.clone());
        }
        println!("{best}");
    }
    if let Some(b) = first {
        let syn = f(&b, "synapses");
        println!(
            "{} synapses on {} cores; {} synaptic events in {} ticks; {} ring-buffer saturations",
            syn, b["cores"], b["events"], b["ticks"], b["saturations"]
        );
        println!(
            "{} rows: {:.2} synapses per row on average, {:.2} words reserved per row (+ 3 header words)",
            b["rows"],
            syn / f(&b, "rows"),
            f(&b, "reserved_words") / f(&b, "rows")
        );
        println!(
            "bytes per synapse: sPyNNaker's padded matrices in the image {:.2} (matrix words × 4 / synapses), with pop tables {:.2}; \
             everything the engine holds (packed rows) {:.2} ({:.1} MiB); resident growth from start to built engine {:.2}; \
             peak resident (VmHWM) {:.2}",
            4.0 * f(&b, "matrix_words") / syn,
            4.0 * (f(&b, "matrix_words") + f(&b, "pop_table_words")) / syn,
            f(&b, "engine_bytes") / syn,
            f(&b, "engine_bytes") / 1048576.0,
            1024.0 * (f(&b, "rss_built_kib") - f(&b, "rss_start_kib")) / syn,
            1024.0 * f(&b, "hwm_end_kib") / syn,
        );
    }
}
