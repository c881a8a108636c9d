//! Parameter sweeps end to end (docs/sweeps.md): each instance's tables are those of `spinnsim
//! run` of its exported network file, on either engine; batch sizes, order, shards, resumes and a
//! SIGKILL change no byte; a saturated or failing instance leaves the others alone.

mod common;

use arrow_array::{Array, RecordBatch, UInt32Array};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use spinnsim::engine::Backend;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn spinnsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spinnsim"))
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("spinnsim-sweep-{name}-{}", std::process::id()));
    std::fs::remove_dir_all(&d).ok();
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn ok(c: &mut Command) -> String {
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "{:?}: {}{}",
        c,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A random small network that maps and runs: Poisson and array sources, one of four neuron
/// models, fixed-probability, all-to-all and one-to-one projections, long delays (delay
/// extensions) and sometimes STDP and a DC source; and the axes that apply to it.
fn random_case(seed: u64) -> (String, Vec<String>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut f = String::new();
    let cells = ["IF_curr_exp", "IF_cond_exp", "IF_curr_delta", "Izhikevich"];
    let cell = cells[rng.random_range(0..cells.len())];
    let conductance = cell == "IF_cond_exp";
    let w = |rng: &mut StdRng| if conductance { rng.random_range(0.01..0.05) } else { rng.random_range(0.5..3.0) };
    let n_exc = rng.random_range(8..40);
    writeln!(f, "timestep = 1.0\nseed = {}", rng.random_range(0..100)).unwrap();
    let n_src = rng.random_range(5..20);
    writeln!(
        f,
        "[[population]]\nlabel = \"src\"\nsize = {n_src}\ncell_type = \"SpikeSourcePoisson\"\nparameters = {{ rate = {:.1} }}\nseed = {}\nrecord = [{{ variable = \"spikes\" }}]",
        rng.random_range(20.0..80.0),
        rng.random_range(1..1000)
    )
    .unwrap();
    writeln!(
        f,
        "[[population]]\nlabel = \"arr\"\nsize = 3\ncell_type = \"SpikeSourceArray\"\nspike_times = [2.0, 9.0, 31.0]"
    )
    .unwrap();
    let tau = if cell == "Izhikevich" { String::new() } else { format!("tau_m = {:.1}", rng.random_range(8.0..25.0)) };
    writeln!(
        f,
        "[[population]]\nlabel = \"exc\"\nsize = {n_exc}\ncell_type = \"{cell}\"\nparameters = {{ {tau} }}\n\
         record = [{{ variable = \"spikes\" }}, {{ variable = \"v\", neurons = [0, 1] }}]"
    )
    .unwrap();
    let proj = |f: &mut String, label: &str, pre: &str, conn: &str, weight: f64, delay: f64| {
        writeln!(f, "[[projection]]\nlabel = \"{label}\"\npre = \"{pre}\"\npost = \"exc\"\nconnector = {conn}\nweight = {weight}\ndelay = {delay:.1}").unwrap();
    };
    let p = rng.random_range(0.3..0.8);
    proj(
        &mut f,
        "drive",
        "src",
        &format!("{{ type = \"FixedProbabilityConnector\", p_connect = {p:.2} }}"),
        w(&mut rng),
        1.0 + rng.random_range(0..3) as f64,
    );
    let long = [1.0, 5.0, 24.0, 40.0][rng.random_range(0..4)];
    proj(&mut f, "late", "arr", "{ type = \"AllToAllConnector\" }", w(&mut rng), long);
    let stdp = rng.random_bool(0.4);
    proj(&mut f, "rec", "exc", "{ type = \"FixedProbabilityConnector\", p_connect = 0.1 }", w(&mut rng) / 4.0, 2.0);
    if stdp {
        writeln!(
            f,
            "[projection.synapse_dynamics]\ntiming = {{ rule = \"SpikePairRule\", tau_plus = 16.7, tau_minus = 33.7, A_plus = 0.01, A_minus = 0.012 }}\n\
             weight_dependence = {{ dependence = \"AdditiveWeightDependence\", w_min = 0.0, w_max = {:.3} }}",
            w(&mut rng)
        )
        .unwrap();
    }
    let dc = !conductance && rng.random_bool(0.5);
    if dc {
        writeln!(f, "[[current_source]]\npopulation = \"exc\"\nsource = {{ type = \"DCSource\", amplitude = 0.2, start = 5.0, stop = 60.0 }}").unwrap();
    }
    let mut axes = vec![
        format!("name = \"w\"\npath = \"projection.drive.weight\"\nvalues = [{:.3}, {:.3}]", w(&mut rng), w(&mut rng)),
        "name = \"p\"\npath = \"projection.drive.connector.p_connect\"\nvalues = [0.2, 0.5]".into(),
        "name = \"rate\"\npath = \"population.src.parameters.rate\"\nvalues = [15.0, 60.0]".into(),
        "name = \"src_seed\"\npath = \"population.src.seed\"\nvalues = [3, 4]".into(),
        "name = \"seed\"\npath = \"seed\"\nvalues = [5, 6]".into(),
        format!("name = \"late_delay\"\npath = \"projection.late.delay\"\nvalues = [1.0, {long:.1}, 33.0]"),
    ];
    if cell != "Izhikevich" {
        axes.push("name = \"tau_m\"\npath = \"population.exc.parameters.tau_m\"\nlinspace = { start = 10.0, stop = 20.0, num = 2 }".into());
    }
    if stdp {
        axes.push(
            "name = \"a_plus\"\npath = \"projection.rec.synapse_dynamics.timing.A_plus\"\nvalues = [0.005, 0.05]"
                .into(),
        );
    }
    if dc {
        axes.push("name = \"dc\"\npath = \"current_source.0.source.amplitude\"\nvalues = [0.1, 0.6]".into());
    }
    (f, axes)
}

/// A sweep file over two of the case's axes, on a grid; or, with `method = "zip"` in `extra`,
/// over every axis of the case at once (each with its first two values).
fn write_sweep(dir: &Path, seed: u64, tables: &str, extra: &str) -> PathBuf {
    let (net, axes) = random_case(seed);
    std::fs::write(dir.join("net.toml"), net).unwrap();
    let mut rng = StdRng::seed_from_u64(seed ^ 0xABCD);
    let mut chosen: Vec<&String> = Vec::new();
    let two_values: Vec<String>;
    if extra.contains("method = \"zip\"") {
        two_values = axes.iter().map(|a| a.replace(", 33.0]", "]")).collect();
        chosen = two_values.iter().collect();
    }
    while chosen.len() < 2 {
        let a = &axes[rng.random_range(0..axes.len())];
        if !chosen.contains(&a) {
            chosen.push(a);
        }
    }
    let mut s = format!("network = \"net.toml\"\nrun_ms = 80\ntables = [{tables}]\n{extra}\n");
    for a in chosen {
        writeln!(s, "[[axis]]\n{a}").unwrap();
    }
    let path = dir.join("sweep.toml");
    std::fs::write(&path, s).unwrap();
    path
}

const ALL_TABLES: &str = "\"summary\", \"spikes\", \"samples\", \"provenance\", \"connections\"";

/// A parquet file (or every file of a table folder) as one batch.
fn read_parquet(path: &Path) -> Option<RecordBatch> {
    let mut files = Vec::new();
    collect_parquet(path, &mut files);
    files.sort();
    let mut batches = Vec::new();
    for f in files {
        let r = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&f).unwrap()).unwrap().build().unwrap();
        batches.extend(r.map(|b| b.unwrap()));
    }
    let first = batches.first()?.schema();
    let strip = std::sync::Arc::new(first.as_ref().clone().with_metadata(std::collections::HashMap::new()));
    let batches: Vec<RecordBatch> = batches.into_iter().map(|b| b.with_schema(strip.clone()).unwrap()).collect();
    Some(arrow_select::concat::concat_batches(&strip, &batches).unwrap())
}

fn collect_parquet(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        out.push(path.to_path_buf());
    } else if let Ok(entries) = std::fs::read_dir(path) {
        for e in entries.flatten() {
            collect_parquet(&e.path(), out);
        }
    }
}

/// The rows of `instance` in a sweep table, without the instance column.
fn rows_of(table: &RecordBatch, instance: u32) -> RecordBatch {
    let inst = table.column(0).as_any().downcast_ref::<UInt32Array>().unwrap();
    let mask = arrow_array::BooleanArray::from_iter((0..inst.len()).map(|i| Some(inst.value(i) == instance)));
    let rows = arrow_select::filter::filter_record_batch(table, &mask).unwrap();
    rows.project(&(1..rows.num_columns()).collect::<Vec<_>>()).unwrap()
}

/// Per instance and table, the rows (as bytes of an Arrow IPC stream).
fn per_instance(out: &Path, n: u32) -> BTreeMap<(u32, String), Vec<u8>> {
    let mut m = BTreeMap::new();
    for t in ["summary", "spikes", "samples", "provenance", "connections"] {
        let Some(table) = read_parquet(&out.join(t)) else { continue };
        for i in 0..n {
            m.insert((i, t.to_string()), ipc_bytes(&rows_of(&table, i)));
        }
    }
    m
}

fn ipc_bytes(b: &RecordBatch) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut buf, &b.schema()).unwrap();
    w.write(b).unwrap();
    w.finish().unwrap();
    drop(w);
    buf
}

fn instances(out: &Path) -> (u32, Vec<String>) {
    let t = read_parquet(&out.join("instances.parquet")).unwrap();
    let status = t.column_by_name("status").unwrap().as_any().downcast_ref::<arrow_array::StringArray>().unwrap();
    (t.num_rows() as u32, (0..status.len()).map(|i| status.value(i).to_string()).collect())
}

/// Every instance of random sweeps over every kind of axis: its tables are those `spinnsim run`
/// writes for its exported network file, on the same engine.
fn each_instance_is_its_own_run(backend: Backend) {
    let cases = if backend == Backend::Gpu { 4 } else { 8 };
    for seed in 0..cases {
        let dir = scratch(&format!("identity-{backend}-{seed}"));
        // Every other case sweeps every kind of axis its network has at once.
        let extra = if seed % 2 == 0 { "batch_size = 3" } else { "batch_size = 3\nmethod = \"zip\"" };
        let spec = write_sweep(&dir, seed, ALL_TABLES, extra);
        let out = dir.join("out");
        ok(spinnsim().args(["sweep", "run"]).arg(&spec).arg("--out").arg(&out).args(["--backend", backend.name()]));
        let (n, status) = instances(&out);
        let sweep_rows = per_instance(&out, n);
        for i in 0..n {
            let net = dir.join(format!("instance-{i}.toml"));
            ok(spinnsim().args(["sweep", "export"]).arg(&out).arg(i.to_string()).arg("--to").arg(&net));
            let single = dir.join(format!("single-{i}"));
            let o = spinnsim()
                .arg("run")
                .arg(&net)
                .arg("--out")
                .arg(&single)
                .args(["--format", "parquet", "--connections", "--provenance", "--backend", backend.name()])
                .output()
                .unwrap();
            assert_eq!(o.status.success(), status[i as usize] == "ok", "seed {seed} instance {i}: {o:?}");
            for t in ["spikes", "samples", "provenance", "connections"] {
                let Some(want) = read_parquet(&single.join(format!("{t}.parquet"))) else { continue };
                let got = &sweep_rows[&(i, t.to_string())];
                assert!(*got == ipc_bytes(&want), "seed {seed} instance {i}: table {t} differs from its own run");
            }
            let spikes = read_parquet(&single.join("spikes.parquet")).unwrap();
            let summary = read_parquet(&out.join("summary")).unwrap();
            let s = rows_of(&summary, i);
            let counted: u64 = s
                .column_by_name("spikes")
                .unwrap()
                .as_any()
                .downcast_ref::<arrow_array::UInt64Array>()
                .unwrap()
                .iter()
                .flatten()
                .sum();
            assert_eq!(counted, spikes.num_rows() as u64, "seed {seed} instance {i}: the summary counts every spike");
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}

common::on_both_engines!(each_instance_is_its_own_run);

/// Plans and runs a sweep file into `out` in this process, with `extra` settings.
fn sweep_in_process(
    dir: &Path,
    seed: u64,
    extra: &str,
    out: &Path,
    select: spinnsim::sweep::run::Select,
    backend: Backend,
) {
    sweep_tables_in_process(dir, seed, ALL_TABLES, extra, out, select, backend)
}

/// [`sweep_in_process`] writing the tables `tables`.
fn sweep_tables_in_process(
    dir: &Path,
    seed: u64,
    tables: &str,
    extra: &str,
    out: &Path,
    select: spinnsim::sweep::run::Select,
    backend: Backend,
) {
    let spec = write_sweep(dir, seed, tables, extra);
    let sweep = spinnsim::sweep::Sweep::from_file(&spec).unwrap();
    let plan = spinnsim::sweep::plan::plan(&sweep, &|_| {}).unwrap();
    spinnsim::sweep::dataset::Dataset::create(out, &sweep, &plan).unwrap();
    let options = spinnsim::sweep::run::RunOptions {
        backend,
        threads: Some(2),
        select,
        stale_after: std::time::Duration::from_secs(3600),
    };
    spinnsim::sweep::run::run_shard(out, &options, &|_| {}).unwrap();
}

fn all() -> spinnsim::sweep::run::Select {
    spinnsim::sweep::run::Select::Shard { index: 0, count: 1 }
}

/// The instances in batches of 1, 3 and all give the same rows (on the GPU: one engine advances
/// a whole batch together).
fn batch_sizes_do_not_change_an_instance(backend: Backend) {
    let dir = scratch(&format!("batches-{backend}"));
    let mut seen = Vec::new();
    for size in ["batch_size = 1", "batch_size = 3", "batch_size = 1000"] {
        let out = dir.join(size.replace(" = ", ""));
        sweep_in_process(&dir, 11, size, &out, all(), backend);
        let (n, status) = instances(&out);
        assert!(status.iter().all(|s| s == "ok"), "{status:?}");
        if backend == Backend::Gpu {
            // One engine advanced each whole batch.
            let (ds, _, plan) = spinnsim::sweep::dataset::Dataset::open(&out).unwrap();
            for (b, c) in ds.commits(&plan).unwrap() {
                let device = c.device.expect("a GPU batch records how it ran");
                assert_eq!(device.engines, [plan.batches[b as usize].instances.len() as u32], "batch {b}");
            }
        }
        seen.push(per_instance(&out, n));
    }
    assert!(seen[0] == seen[1] && seen[1] == seen[2]);
    std::fs::remove_dir_all(&dir).ok();
}

/// A sweep that writes only the summary keeps spike tallies, not spikes (on the GPU they are
/// updated on the device and no spike bitfield is read back); its summary rows are those of the
/// same sweep made from the spikes it records.
fn a_summary_only_sweep_summarizes_the_spikes_it_does_not_keep(backend: Backend) {
    let dir = scratch(&format!("summary-only-{backend}"));
    let (whole, only) = (dir.join("whole"), dir.join("only"));
    sweep_tables_in_process(&dir, 12, ALL_TABLES, "batch_size = 4", &whole, all(), backend);
    sweep_tables_in_process(&dir, 12, "\"summary\"", "batch_size = 4", &only, all(), backend);
    let (n, status) = instances(&only);
    assert!(status.iter().all(|s| s == "ok"), "{status:?}");
    assert!(!only.join("spikes").exists());
    let summary = |out: &Path| per_instance(out, n).into_iter().filter(|(k, _)| k.1 == "summary").collect::<Vec<_>>();
    let (a, b) = (summary(&whole), summary(&only));
    assert_eq!(a.len(), n as usize);
    assert!(a == b, "the summaries differ");
    std::fs::remove_dir_all(&dir).ok();
}

common::on_both_engines!(
    a_summary_only_sweep_summarizes_the_spikes_it_does_not_keep,
    batch_sizes_do_not_change_an_instance,
    a_saturated_or_failing_instance_leaves_the_others_alone
);

/// The CPU and the GPU engine write the same data files, byte for byte.
#[test]
fn both_engines_write_the_same_files() {
    if !common::gpu_or_skip() {
        return;
    }
    let dir = scratch("engines");
    let mut files = Vec::new();
    for backend in [Backend::Cpu, Backend::Gpu] {
        let out = dir.join(backend.name());
        sweep_in_process(&dir, 6, "batch_size = 4", &out, all(), backend);
        files.push(files_of(&out));
    }
    assert!(files[0].len() > 5);
    assert_same_files(&files[0], &files[1]);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn reversing_the_points_gives_each_point_the_same_tables() {
    let dir = scratch("reverse");
    let points = |reverse: bool| {
        let mut p = [(0.5, 3), (2.0, 3), (1.0, 4)];
        if reverse {
            p.reverse();
        }
        p.iter().map(|(w, s)| format!("[[point]]\nw = {w}\nsrc_seed = {s}\n")).collect::<String>()
    };
    let mut got = Vec::new();
    for reverse in [false, true] {
        let (net, _) = random_case(2);
        std::fs::write(dir.join("net.toml"), net).unwrap();
        let spec = format!(
            "network = \"net.toml\"\nrun_ms = 60\nmethod = \"list\"\ntables = [{ALL_TABLES}]\n\
             [[axis]]\nname = \"w\"\npath = \"projection.drive.weight\"\n[[axis]]\nname = \"src_seed\"\npath = \"population.src.seed\"\n{}",
            points(reverse)
        );
        std::fs::write(dir.join("sweep.toml"), spec).unwrap();
        let out = dir.join(format!("out-{reverse}"));
        ok(spinnsim()
            .args(["sweep", "run"])
            .arg(dir.join("sweep.toml"))
            .arg("--out")
            .arg(&out)
            .args(["--backend", "cpu"]));
        got.push(per_instance(&out, 3));
    }
    for i in 0..3u32 {
        for t in ["spikes", "samples", "provenance", "connections", "summary"] {
            assert!(got[0][&(i, t.into())] == got[1][&(2 - i, t.into())], "point {i}, table {t}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// One instance saturates its ring buffers (all its neurons fire together into each other,
/// against a shift made for no input), another cannot be mapped (a row longer than a SpiNNaker row): the other instances'
/// tables are those of a sweep without them.
fn a_saturated_or_failing_instance_leaves_the_others_alone(backend: Backend) {
    let dir = scratch(&format!("isolation-{backend}"));
    let (net, _) =
        (4..).map(random_case).find(|(n, _)| n.contains("\"IF_curr_exp\"") && !n.contains("synapse_dynamics")).unwrap();
    // The excitatory neurons all connected to each other, so that they excite each other together.
    let net = net.replace(
        "pre = \"exc\"\npost = \"exc\"\nconnector = { type = \"FixedProbabilityConnector\", p_connect = 0.1 }",
        "pre = \"exc\"\npost = \"exc\"\nconnector = { type = \"AllToAllConnector\" }",
    );
    let at = net.find("pre = \"exc\"\npost = \"exc\"").unwrap();
    let delay = at + net[at..].find("delay = 2.0").unwrap();
    // Delays over 8 ticks: a slot then takes the spikes of several ticks, which the shift does not foresee.
    let net = format!(
        "{}delay = {{ distribution = \"uniform\", low = 1.0, high = 8.0 }}{}",
        &net[..delay],
        &net[delay + "delay = 2.0".len()..]
    );
    std::fs::write(dir.join("net.toml"), net).unwrap();
    let long_row: Vec<String> = (0..300).map(|_| "[0, 0, 1.0, 1.0]".to_string()).collect();
    let run = |points: &[&str], name: &str| {
        let spec = format!(
            "network = \"net.toml\"\nrun_ms = 60\nmethod = \"list\"\nbatch_size = 8\ntables = [{ALL_TABLES}]\n\
             [[axis]]\nname = \"w\"\npath = \"projection.late.weight\"\n\
             [[axis]]\nname = \"late\"\npath = \"projection.late.connector\"\n\
             [[axis]]\nname = \"sps\"\npath = \"population.exc.spikes_per_second\"\n\
             [[axis]]\nname = \"sigma\"\npath = \"population.exc.ring_buffer_sigma\"\n\
             [[axis]]\nname = \"i_offset\"\npath = \"population.exc.parameters.i_offset\"\n\
             [[axis]]\nname = \"w_rec\"\npath = \"projection.rec.weight\"\n{}",
            points.iter().map(|p| format!("[[point]]\n{p}\n")).collect::<String>()
        );
        std::fs::write(dir.join(format!("{name}.toml")), spec).unwrap();
        let out = dir.join(name);
        ok(spinnsim()
            .args(["sweep", "run"])
            .arg(dir.join(format!("{name}.toml")))
            .arg("--out")
            .arg(&out)
            .args(["--backend", "cpu"]));
        out
    };
    let usual = "sps = 30.0\nsigma = 5.0\ni_offset = 0.0\nw_rec = 0.1";
    let plain = format!("w = 1.0\nlate = {{ type = \"AllToAllConnector\" }}\n{usual}");
    let other = format!("w = 2.0\nlate = {{ type = \"AllToAllConnector\" }}\n{usual}");
    // A ring-buffer shift made for no input at all, and every neuron driven to fire with the others.
    let saturating =
        "w = 1.0\nlate = { type = \"AllToAllConnector\" }\nsps = 0.0\nsigma = 0.0\ni_offset = 20.0\nw_rec = 20.0";
    let failing =
        format!("w = 1.0\nlate = {{ type = \"FromListConnector\", conn_list = [{}] }}\n{usual}", long_row.join(", "));
    let alone = run(&[&plain, &other], "alone");
    let together = run(&[&plain, saturating, &failing, &other], "together");
    let (_, status) = instances(&together);
    assert_eq!(status, ["ok", "ok", "failed", "ok"]);
    let inst = read_parquet(&together.join("instances.parquet")).unwrap();
    let msg = inst.column_by_name("message").unwrap().as_any().downcast_ref::<arrow_array::StringArray>().unwrap();
    assert!(msg.value(2).contains("row") && msg.value(2).contains("256"), "{}", msg.value(2));
    let prov = read_parquet(&together.join("provenance")).unwrap();
    let sat = rows_of(&prov, 1);
    let col = sat
        .column_by_name("synaptic_weight_saturations")
        .unwrap()
        .as_any()
        .downcast_ref::<arrow_array::UInt64Array>()
        .unwrap();
    assert!(col.iter().flatten().sum::<u64>() > 0, "instance 1 saturates");
    let (a, t) = (per_instance(&alone, 2), per_instance(&together, 4));
    for tb in ["spikes", "samples", "provenance", "connections", "summary"] {
        assert!(a[&(0, tb.into())] == t[&(0, tb.into())], "table {tb}, first instance");
        assert!(a[&(1, tb.into())] == t[&(3, tb.into())], "table {tb}, last instance");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Fails naming the files that only one folder holds and those whose bytes differ.
fn assert_same_files(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) {
    let only = |x: &BTreeMap<String, Vec<u8>>, y: &BTreeMap<String, Vec<u8>>| {
        x.keys().filter(|k| !y.contains_key(*k)).cloned().collect::<Vec<_>>()
    };
    let differ: Vec<&String> = a.iter().filter(|(k, v)| b.get(*k).is_some_and(|w| w != *v)).map(|(k, _)| k).collect();
    assert!(
        a == b,
        "only in the first: {:?}; only in the second: {:?}; different bytes: {differ:?}",
        only(a, b),
        only(b, a)
    );
}

/// Every file of a sweep folder that a reader reads, with its bytes.
fn files_of(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = Vec::new();
    collect_parquet(out, &mut files);
    files
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "parquet"))
        .map(|f| (f.strip_prefix(out).unwrap().display().to_string(), std::fs::read(&f).unwrap()))
        .collect()
}

#[test]
fn one_shard_and_three_concurrent_shards_write_the_same_files() {
    let dir = scratch("shards");
    let spec = write_sweep(&dir, 7, ALL_TABLES, "batch_size = 1");
    let one = dir.join("one");
    ok(spinnsim().args(["sweep", "run"]).arg(&spec).arg("--out").arg(&one).args(["--backend", "cpu"]));
    let three = dir.join("three");
    ok(spinnsim().args(["sweep", "plan"]).arg(&spec).arg("--out").arg(&three));
    let workers: Vec<_> = (0..3)
        .map(|i| {
            spinnsim()
                .args(["sweep", "run"])
                .arg(&three)
                .args(["--shard", &format!("{i}/3"), "--backend", "cpu", "--threads", "1"])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut w in workers {
        assert!(w.wait().unwrap().success());
    }
    assert_same_files(&files_of(&one), &files_of(&three));
    assert!(ok(spinnsim().args(["sweep", "status"]).arg(&three)).contains("complete"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_sweep_killed_and_resumed_writes_the_files_of_one_uninterrupted() {
    let dir = scratch("resume");
    let (net, _) = random_case(9);
    std::fs::write(dir.join("net.toml"), net).unwrap();
    let spec = format!(
        "network = \"net.toml\"\nrun_ms = 3000\nbatch_size = 1\ntables = [{ALL_TABLES}]\n\
         [[axis]]\nname = \"rate\"\npath = \"population.src.parameters.rate\"\nlinspace = {{ start = 10.0, stop = 40.0, num = 8 }}"
    );
    std::fs::write(dir.join("sweep.toml"), spec).unwrap();
    let whole = dir.join("whole");
    ok(spinnsim()
        .args(["sweep", "run"])
        .arg(dir.join("sweep.toml"))
        .arg("--out")
        .arg(&whole)
        .args(["--backend", "cpu"]));
    let killed = dir.join("killed");
    ok(spinnsim().args(["sweep", "plan"]).arg(dir.join("sweep.toml")).arg("--out").arg(&killed));
    let mut worker = spinnsim()
        .args(["sweep", "run"])
        .arg(&killed)
        .args(["--backend", "cpu", "--threads", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let commits = |d: &Path| std::fs::read_dir(d.join("_commits")).map(|r| r.count()).unwrap_or(0);
    let start = std::time::Instant::now();
    while commits(&killed) < 2 && start.elapsed().as_secs() < 120 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    worker.kill().unwrap(); // SIGKILL
    worker.wait().unwrap();
    // What a kill in the middle of writing a batch leaves (whether or not this one did).
    let host = spinnsim::sweep::dataset::host_name();
    let left = killed.join(format!("_staging/{host}-{}-7", worker.id()));
    std::fs::create_dir_all(&left).unwrap();
    std::fs::write(left.join("summary.parquet"), b"half a file").unwrap();
    let k = commits(&killed);
    assert!((2..8).contains(&k), "killed after {k} batches");
    let status = ok(spinnsim().args(["sweep", "status"]).arg(&killed));
    assert!(status.contains("missing batches"), "{status}");
    ok(spinnsim().args(["sweep", "run"]).arg(&killed).args(["--backend", "cpu"]));
    assert!(!left.exists(), "the killed worker's staging folder is removed");
    assert_same_files(&files_of(&whole), &files_of(&killed));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn shard_auto_takes_the_slurm_array_task() {
    let dir = scratch("slurm");
    let spec = write_sweep(&dir, 5, "\"summary\"", "batch_size = 1");
    let out = dir.join("out");
    ok(spinnsim().args(["sweep", "plan"]).arg(&spec).arg("--out").arg(&out));
    ok(spinnsim()
        .args(["sweep", "run"])
        .arg(&out)
        .args(["--shard", "auto", "--backend", "cpu"])
        .env("SLURM_ARRAY_TASK_ID", "11")
        .env("SLURM_ARRAY_TASK_MIN", "10")
        .env("SLURM_ARRAY_TASK_COUNT", "2"));
    let mut committed: Vec<String> = std::fs::read_dir(out.join("_commits"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    committed.sort();
    let n = instances(&out).0;
    let want: Vec<String> = (0..n).filter(|b| b % 2 == 1).map(|b| format!("batch-{b}.toml")).collect();
    let mut want = want;
    want.sort();
    assert_eq!(committed, want);
    // What `sweep status` says to resubmit: `--batch auto`, one missing batch per array task.
    let status = ok(spinnsim().args(["sweep", "status"]).arg(&out));
    assert!(status.contains("--batch auto") && status.contains("missing batches: 0,"), "{status}");
    ok(spinnsim()
        .args(["sweep", "run"])
        .arg(&out)
        .args(["--batch", "auto", "--backend", "cpu"])
        .env("SLURM_ARRAY_TASK_ID", "0"));
    assert!(out.join("_commits/batch-0.toml").exists() && !out.join("_commits/batch-2.toml").exists());
    let o = spinnsim()
        .args(["sweep", "run"])
        .arg(&out)
        .args(["--shard", "auto"])
        .env_remove("SLURM_ARRAY_TASK_ID")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("SLURM_ARRAY_TASK_ID is not set"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_folder_of_another_sweep_is_refused() {
    let dir = scratch("refuse");
    let spec = write_sweep(&dir, 3, "\"summary\"", "");
    let out = dir.join("out");
    ok(spinnsim().args(["sweep", "plan"]).arg(&spec).arg("--out").arg(&out));
    // The same sweep again is a resume; another is refused before anything runs.
    ok(spinnsim().args(["sweep", "plan"]).arg(&spec).arg("--out").arg(&out));
    let text = std::fs::read_to_string(&spec).unwrap().replace("run_ms = 80", "run_ms = 81");
    std::fs::write(&spec, text).unwrap();
    let o = spinnsim().args(["sweep", "run"]).arg(&spec).arg("--out").arg(&out).output().unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("resuming with a different spec is refused"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_axes_are_named_before_anything_runs() {
    let dir = scratch("bad");
    let (net, _) = random_case(1);
    std::fs::write(dir.join("net.toml"), net).unwrap();
    for (axis, want) in [
        ("name = \"x\"\npath = \"projection.nothing.weight\"\nvalues = [1.0]", "no `projection` is labelled `nothing`"),
        (
            "name = \"x\"\npath = \"population.exc.parameters.tau_m\"\nvalues = [\"long\"]",
            "axis `x` (population.exc.parameters.tau_m) = \"long\"",
        ),
        (
            "name = \"x\"\npath = \"population.src.parameters.rate\"\nvalues = [10.0, -5.0]",
            "axis `x` (population.src.parameters.rate) = -5.0",
        ),
        ("name = \"x\"\npath = \"population.exc.paramters.tau_m\"\nvalues = [10.0]", "paramters"),
    ] {
        std::fs::write(dir.join("s.toml"), format!("network = \"net.toml\"\nrun_ms = 10\n[[axis]]\n{axis}")).unwrap();
        let out = dir.join("out");
        let o = spinnsim().args(["sweep", "run"]).arg(dir.join("s.toml")).arg("--out").arg(&out).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(want), "{axis}: {err}");
        assert!(!out.exists(), "nothing is written for a bad sweep");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// The Slurm recipe as an array task runs it: `--shard auto` from the task's variables.
#[test]
fn the_slurm_recipe_runs_its_array_task_shard() {
    let dir = scratch("slurm-recipe");
    let spec = write_sweep(&dir, 8, "\"summary\"", "batch_size = 1");
    let out = dir.join("out");
    ok(spinnsim().args(["sweep", "plan"]).arg(&spec).arg("--out").arg(&out));
    let bin = Path::new(env!("CARGO_BIN_EXE_spinnsim")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sweeps/slurm_array.sh");
    for task in 0..2 {
        ok(Command::new("bash")
            .arg(script)
            .env("PATH", &path)
            .env("SWEEP", &out)
            .env("SLURM_ARRAY_TASK_ID", task.to_string())
            .env("SLURM_ARRAY_TASK_MIN", "0")
            .env("SLURM_ARRAY_TASK_COUNT", "2"));
    }
    assert!(ok(spinnsim().args(["sweep", "status"]).arg(&out)).contains("complete"));
    std::fs::remove_dir_all(&dir).ok();
}
