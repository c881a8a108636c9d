//! Parameter sweeps (docs/sweeps.md) against the same instances run one by one: Vogels–Abbott
//! (and the 0.1-scale microcircuit) at 1, 4, 16, 64 and 256 instances over excitatory weight ×
//! seed, summary only and with spikes. Reports the wall time of planning (mapping every
//! instance) and of running (each instance mapped again, run and its tables written), the
//! per-stage sums of the commit records (map, run, write), instance-model-seconds per
//! wall-second, the speed-up over the same instances run one by one on the same engine and the
//! scaling against one instance on one thread. Before any figure is reported, three instances are
//! run singly and their summary and spike rows compared with the sweep's, byte for byte: a speed-up
//! without identity is not reported.
//!
//! ```text
//! cargo bench --bench sweep                                           # Vogels–Abbott on the CPU engine
//! cargo bench --bench sweep -- --engine gpu --instances 1,4,16,64,256 --networks va,microcircuit --ms 1000
//! ```
//!
//! On lavapipe (Mesa's Vulkan on the CPU) GPU figures are CPU-emulated Vulkan, not GPU figures.
//! Each network first runs one unreported instance (the first run of a process also grows its
//! heap). Without `--bench` (as `cargo test --benches` runs it) it runs 4 instances of 20 ms once.

use arrow_array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use spinnsim::engine::Backend;
use spinnsim::sim::Simulation;
use spinnsim::sweep::dataset::Dataset;
use spinnsim::sweep::run::{run_shard, RunOptions, Select};
use spinnsim::sweep::spec::Table;
use spinnsim::sweep::tables::instance_tables;
use spinnsim::sweep::Sweep;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

struct Args {
    engine: Backend,
    instances: Vec<usize>,
    networks: Vec<String>,
    ms: Option<f64>,
    bench: bool,
}

fn parse_args() -> Args {
    let mut a = Args {
        engine: Backend::Cpu,
        instances: vec![1, 4, 16, 64, 256],
        networks: vec!["va".into()],
        ms: None,
        bench: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().unwrap_or_else(|| panic!("{name} needs a value"));
        match arg.as_str() {
            "--bench" => a.bench = true,
            "--engine" => a.engine = Backend::from_name(&value("--engine")).expect("--engine cpu or gpu"),
            "--instances" => {
                a.instances = value("--instances")
                    .split(',')
                    .map(|n| n.trim().parse().expect("--instances: e.g. 1,4,16"))
                    .collect()
            }
            "--networks" => a.networks = value("--networks").split(',').map(|s| s.trim().to_string()).collect(),
            "--ms" => a.ms = Some(value("--ms").parse().expect("--ms: a number of milliseconds")),
            _ => {}
        }
    }
    if !a.bench {
        a.instances = vec![4];
        a.ms = Some(20.0);
    }
    a
}

/// A network of the benchmark: its file, the path of its excitatory weight, that weight, and
/// the model time it runs by default.
fn network(name: &str) -> (PathBuf, &'static str, f64, f64) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    match name {
        "va" => (root.join("datasets/vogels_abbott_cuba.toml"), "projection.e2e.weight", 0.0162, 1000.0),
        "microcircuit" => {
            (root.join("datasets/microcircuit.toml"), "projection.L23E_L23E.weight.mu", 0.277647978563, 200.0)
        }
        other => panic!("--networks: va or microcircuit, not {other}"),
    }
}

/// The sweep of `n` instances: about √n weights × √n seeds.
fn sweep_file(dir: &Path, name: &str, n: usize, ms: f64, tables: &str) -> PathBuf {
    let (file, path, w, _) = network(name);
    let seeds = (n as f64).sqrt().floor().max(1.0) as usize;
    let weights = n / seeds;
    assert_eq!(weights * seeds, n, "{n} instances: give a square or a multiple of its square root");
    let spec = format!(
        "network = {:?}\nrun_ms = {ms}\ntables = [{tables}]\nbatch_size = 64\n\
         [[axis]]\nname = \"w_exc\"\npath = \"{path}\"\nlinspace = {{ start = {}, stop = {}, num = {weights} }}\n\
         [[axis]]\nname = \"seed\"\npath = \"seed\"\nrange = {{ start = 1, stop = {} }}\n",
        file.display(),
        w * 0.9,
        w * 1.1,
        seeds + 1
    );
    let at = dir.join("sweep.toml");
    std::fs::write(&at, spec).unwrap();
    at
}

/// What one configuration measured.
struct Figures {
    plan_s: f64,
    run_s: f64,
    sums: [f64; 3],
    one_by_one_s: f64,
    single_thread_s: f64,
    /// GPU: dispatches, submissions, device bytes per instance.
    device: (u64, u64, u64),
}

fn read_table(files: &[PathBuf]) -> Vec<RecordBatch> {
    files
        .iter()
        .flat_map(|f| {
            let r = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(f).unwrap()).unwrap().build().unwrap();
            r.map(|b| b.unwrap()).collect::<Vec<_>>()
        })
        .collect()
}

/// The rows of `instance` in a table read back (instance column first), as Arrow IPC bytes.
fn rows_bytes(batches: &[RecordBatch], instance: u32) -> Vec<u8> {
    use arrow_array::{Array, UInt32Array};
    let mut buf = Vec::new();
    let mut schema = None;
    let mut parts = Vec::new();
    for b in batches {
        let inst = b.column(0).as_any().downcast_ref::<UInt32Array>().unwrap();
        let mask = arrow_array::BooleanArray::from_iter((0..inst.len()).map(|i| Some(inst.value(i) == instance)));
        let rows = arrow_select::filter::filter_record_batch(b, &mask).unwrap();
        let rows = RecordBatch::try_new(
            std::sync::Arc::new(arrow_schema::Schema::new(rows.schema().fields().clone())),
            rows.columns().to_vec(),
        )
        .unwrap();
        schema = Some(rows.schema());
        parts.push(rows);
    }
    let schema = schema.unwrap();
    let joined = arrow_select::concat::concat_batches(&schema, &parts).unwrap();
    let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut buf, &schema).unwrap();
    w.write(&joined).unwrap();
    w.finish().unwrap();
    drop(w);
    buf
}

/// Runs instance `i` alone on `engine` with `threads`; returns its tables and the wall time.
fn single(sweep: &Sweep, i: usize, engine: Backend, threads: Option<usize>) -> (Vec<(Table, RecordBatch)>, f64) {
    let start = Instant::now();
    let mut sim = Simulation::with_backend(sweep.network(i).unwrap(), sweep.map_options(), threads, engine).unwrap();
    let ticks = sim.ticks_for(sweep.run_ms).unwrap();
    sim.run_ticks(ticks).unwrap();
    let tables = instance_tables(&sim, &sweep.tables, i as u32).unwrap();
    (tables, start.elapsed().as_secs_f64())
}

/// The instances' rows of the sweep, against the same instances run singly: equal, or a panic.
fn check_identity(out: &Path, sweep: &Sweep, engine: Backend) {
    let (ds, _, plan) = Dataset::open(out).unwrap();
    let n = sweep.instances.len();
    for i in [0, n / 2, n - 1] {
        let (tables, _) = single(sweep, i, engine, None);
        for (t, want) in tables {
            let got = read_table(&ds.committed_files(&plan, t).unwrap());
            assert!(
                rows_bytes(&got, i as u32) == rows_bytes(&[want], i as u32),
                "instance {i}: the sweep's {} rows are not those of its single run",
                t.name()
            );
        }
    }
}

fn measure(name: &str, n: usize, ms: f64, tables: &str, engine: Backend) -> Figures {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("target/bench-sweep/{name}-{n}-{}", tables.len()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).unwrap();
    let sweep = Sweep::from_file(&sweep_file(&dir, name, n, ms, tables)).unwrap();
    let out = dir.join("out");
    let start = Instant::now();
    let plan = spinnsim::sweep::plan::plan(&sweep, &|_| {}).unwrap();
    Dataset::create(&out, &sweep, &plan).unwrap();
    let plan_s = start.elapsed().as_secs_f64();
    let options = RunOptions {
        backend: engine,
        threads: None,
        select: Select::Shard { index: 0, count: 1 },
        stale_after: Duration::from_secs(3600),
    };
    let start = Instant::now();
    let report = run_shard(&out, &options, &|_| {}).unwrap();
    let run_s = start.elapsed().as_secs_f64();
    assert!(report.committed.iter().all(|c| c.outcomes.iter().all(|o| o.ok)), "every instance runs");
    check_identity(&out, &sweep, engine);
    let sums = report
        .committed
        .iter()
        .fold([0.0; 3], |s, c| [s[0] + c.timings.map_s, s[1] + c.timings.run_s, s[2] + c.timings.write_s]);
    // One by one: every instance for small sweeps, else 4 of them, scaled up.
    let k = n.min(4);
    let one_by_one: f64 = (0..k).map(|i| single(&sweep, i * n / k, engine, None).1).sum::<f64>() * n as f64 / k as f64;
    // One instance on one thread, its mapping included (which otherwise uses every core).
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let single_thread_s =
        if engine == Backend::Cpu { one_thread.install(|| single(&sweep, 0, engine, Some(1)).1) } else { f64::NAN };
    let device = report.committed.iter().filter_map(|c| c.device.as_ref()).fold((0u64, 0u64, 0u64), |d, r| {
        (
            d.0 + r.dispatches,
            d.1 + r.submissions,
            d.2.max(r.device_bytes / r.engines.iter().max().copied().unwrap_or(1).max(1) as u64),
        )
    });
    std::fs::remove_dir_all(&dir).ok();
    Figures { plan_s, run_s, sums, one_by_one_s: one_by_one, single_thread_s, device }
}

fn main() {
    spinnsim::engine::gpu::device::quiet_display_probe();
    let a = parse_args();
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!(
        "sweep benchmark ({threads} threads; engine {}); 3 instances per row checked against their single runs first",
        a.engine
    );
    println!(
        "| network | instances | tables | plan s | run s | map/run/write s (sums) | inst-model-s per s | vs one by one | vs N/{threads} single-thread runs | dispatches, submissions | device bytes per instance |"
    );
    println!("|---|---:|---|---:|---:|---|---:|---:|---:|---:|---:|");
    for name in &a.networks {
        let ms = a.ms.unwrap_or(network(name).3);
        // One instance first, not reported: the first run of a process also pays for growing
        // its heap, which would be charged to the first row.
        measure(name, 1, ms, "\"summary\"", a.engine);
        for &n in &a.instances {
            for tables in ["\"summary\"", "\"summary\", \"spikes\""] {
                let f = measure(name, n, ms, tables, a.engine);
                let rate = n as f64 * ms / 1000.0 / f.run_s;
                let ideal = n as f64 / threads as f64 * f.single_thread_s;
                let scaling = if ideal.is_finite() { format!("{:.2}", f.run_s / ideal) } else { "–".into() };
                let (d, sub, bytes) = f.device;
                let device =
                    if sub > 0 { (format!("{d}, {sub}"), bytes.to_string()) } else { ("–".into(), "–".into()) };
                println!(
                    "| {name} | {n} | {} | {:.2} | {:.2} | {:.2} / {:.2} / {:.2} | {rate:.3} | {:.2}× | {scaling} | {} | {} |",
                    tables.replace('"', ""),
                    f.plan_s,
                    f.run_s,
                    f.sums[0],
                    f.sums[1],
                    f.sums[2],
                    f.one_by_one_s / f.run_s,
                    device.0,
                    device.1
                );
            }
        }
    }
}
