//! `spinnsim sweep plan | run | status | export`: parameter sweeps as one dataset (docs/sweeps.md).

use super::parse_backend;
use super::report::duration;
use crate::engine::Backend;
use crate::sweep::dataset::Dataset;
use crate::sweep::run::{run_shard, Event, RunOptions, Select, ShardReport};
use crate::sweep::Sweep;
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(clap::Subcommand)]
pub(super) enum SweepCommand {
    /// Resolve a sweep file, map every instance and write the folder: sweep.toml (frozen),
    /// plan.toml and instances.parquet. Planning into the folder of the same sweep again is a no-op.
    Plan {
        spec: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Run the uncommitted batches of a planned folder (or plan a sweep file into --out first).
    Run(RunArgs),
    /// List the committed, running and missing batches of a folder, and how to resubmit the missing.
    Status { out: PathBuf },
    /// Write the network file of one instance: `spinnsim run` of it gives that instance's tables.
    Export {
        out: PathBuf,
        instance: usize,
        /// The file to write (default: stdout).
        #[arg(long = "to")]
        to: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
pub(super) struct RunArgs {
    /// A planned sweep folder, or a sweep file (then --out names the folder).
    target: PathBuf,
    /// The folder to plan a sweep file into (with a sweep file as the target).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run the batches b with b mod N == i (`i/N`), or `auto`: the shard of this Slurm array task.
    #[arg(long, conflicts_with = "batch")]
    shard: Option<String>,
    /// Run only these batches (comma-separated; `auto`: SLURM_ARRAY_TASK_ID).
    #[arg(long)]
    batch: Option<String>,
    /// Engine: auto, cpu or gpu (as for `spinnsim run`).
    #[arg(long, default_value = "auto", value_parser = parse_backend)]
    backend: Backend,
    /// CPU engine threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Take over a batch's lock after this many seconds (a lock of a process gone from this host
    /// is taken over at once).
    #[arg(long, default_value_t = 6 * 3600)]
    stale_after: u64,
}

pub(super) fn sweep(command: SweepCommand) -> Result<u8> {
    match command {
        SweepCommand::Plan { spec, out } => plan_into(&spec, &out).map(|_| 0),
        SweepCommand::Run(a) => run(a),
        SweepCommand::Status { out } => status(&out).map(|_| 0),
        SweepCommand::Export { out, instance, to } => export(&out, instance, to.as_deref()).map(|_| 0),
    }
}

/// Plans `spec` into `out`; returns the number of instances.
fn plan_into(spec: &Path, out: &Path) -> Result<()> {
    let sweep = Sweep::from_file(spec).with_context(|| format!("in {}", spec.display()))?;
    let n = sweep.instances.len();
    let bar = count_bar(n as u64, "mapping instances");
    let (_, p) = Dataset::plan_into(out, &sweep, &|done| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    let failed = p.instances.iter().filter(|i| i.error.is_some()).count();
    let structures = {
        let mut s: Vec<&str> = p.batches.iter().map(|b| b.structure.as_str()).collect();
        s.dedup();
        s.len()
    };
    println!(
        "planned {n} instances in {} batches ({structures} structures) into {}{}",
        p.batches.len(),
        out.display(),
        if failed > 0 { format!("; {failed} could not be mapped (see instances.parquet)") } else { String::new() }
    );
    Ok(())
}

fn count_bar(n: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(n);
    if let Ok(style) = ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} ({elapsed}, {eta} left)") {
        bar.set_style(style);
    }
    bar.set_message(what.to_string());
    bar
}

fn select(a: &RunArgs) -> Result<Select> {
    Ok(match (&a.shard, &a.batch) {
        (Some(s), _) => Select::parse_shard(s)?,
        (None, Some(b)) if b == "auto" => {
            let id = std::env::var("SLURM_ARRAY_TASK_ID").context("--batch auto: SLURM_ARRAY_TASK_ID is not set")?;
            Select::Batches(vec![id.trim().parse().with_context(|| format!("SLURM_ARRAY_TASK_ID = `{id}`"))?])
        }
        (None, Some(b)) => Select::Batches(
            b.split(',')
                .map(|x| x.trim().parse::<u32>().with_context(|| format!("--batch {b}")))
                .collect::<Result<_>>()?,
        ),
        (None, None) => Select::Shard { index: 0, count: 1 },
    })
}

fn run(a: RunArgs) -> Result<u8> {
    let select = select(&a)?;
    let out = if a.target.is_file() {
        let out = a.out.clone().context("a sweep file needs --out, the folder to plan it into")?;
        plan_into(&a.target, &out)?;
        out
    } else {
        a.target.clone()
    };
    let options =
        RunOptions { backend: a.backend, threads: a.threads, select, stale_after: Duration::from_secs(a.stale_after) };
    let bar = count_bar(0, "instances");
    let started = Instant::now();
    let observe = |e: Event| match e {
        Event::Started { engine, batches, instances } => {
            bar.println(format!("engine: {engine}; {batches} batches, {instances} instances to run"));
            bar.set_length(instances as u64);
        }
        Event::BatchStarted { batch, instances } => bar.set_message(format!("batch {batch} ({instances} instances)")),
        Event::InstanceDone { .. } => bar.inc(1),
        Event::BatchSkipped { batch, holder } => bar.println(match holder {
            Some(h) => format!("batch {batch}: skipped, run by pid {} on {}", h.pid, h.host),
            None => format!("batch {batch}: skipped, locked by another worker"),
        }),
        Event::BatchCommitted(c) => {
            let failed = c.outcomes.iter().filter(|o| !o.ok).count();
            let f = if failed > 0 { format!(", {failed} failed") } else { String::new() };
            bar.println(format!(
                "batch {}: {} instances{f} in {}",
                c.batch,
                c.outcomes.len(),
                duration(c.timings.wall_s)
            ));
        }
    };
    let report = run_shard(&out, &options, &observe).with_context(|| format!("in {}", out.display()))?;
    bar.finish_and_clear();
    summary(&out, &report, started.elapsed().as_secs_f64())?;
    Ok(0)
}

/// Instances done and failed (with the reasons), and the speed in instance-model-seconds per
/// wall-second.
fn summary(out: &Path, r: &ShardReport, wall: f64) -> Result<()> {
    let (_, sweep, _) = Dataset::open(out)?;
    let outcomes: Vec<_> = r.committed.iter().flat_map(|c| &c.outcomes).collect();
    let ok = outcomes.iter().filter(|o| o.ok).count();
    let model_s = ok as f64 * sweep.run_ms / 1000.0;
    println!(
        "ran {} instances in {} batches in {} ({ok} ok, {} failed; {:.3} instance-model-seconds per wall-second)",
        outcomes.len(),
        r.committed.len(),
        duration(wall),
        outcomes.len() - ok,
        model_s / wall.max(1e-9)
    );
    let mut walls: Vec<f64> = r.committed.iter().map(|c| c.timings.wall_s).collect();
    walls.sort_by(f64::total_cmp);
    if let (Some(lo), Some(hi)) = (walls.first(), walls.last()) {
        let median = walls[walls.len() / 2];
        println!(
            "  batch wall time: {} (fastest) / {} (median) / {} (slowest)",
            duration(*lo),
            duration(median),
            duration(*hi)
        );
    }
    for o in outcomes.iter().filter(|o| !o.ok) {
        println!("  failed: {}: {}", sweep.describe(o.instance as usize), o.message.as_deref().unwrap_or(""));
    }
    if r.already > 0 {
        println!("  {} batches of this shard were committed already", r.already);
    }
    if !r.skipped.is_empty() {
        println!("  skipped (another worker holds them): batches {:?}", r.skipped);
    }
    Ok(())
}

fn status(out: &Path) -> Result<()> {
    let (ds, sweep, plan) = Dataset::open(out)?;
    let commits = ds.commits(&plan)?;
    let ok = commits.values().flat_map(|c| &c.outcomes).filter(|o| o.ok).count();
    let failed_run = commits.values().flat_map(|c| &c.outcomes).filter(|o| !o.ok).count();
    let unmapped = plan.instances.iter().filter(|i| i.error.is_some()).count();
    println!(
        "{}: {} instances in {} batches; {} batches committed ({ok} instances ok, {} failed)",
        out.display(),
        sweep.instances.len(),
        plan.batches.len(),
        commits.len(),
        failed_run + unmapped
    );
    let missing: Vec<u32> = plan.batches.iter().map(|b| b.id).filter(|b| !commits.contains_key(b)).collect();
    let running: Vec<String> = missing
        .iter()
        .filter_map(|&b| ds.lock_holder(b).map(|h| format!("{b} (pid {} on {})", h.pid, h.host)))
        .collect();
    if !running.is_empty() {
        println!("running: {}", running.join(", "));
    }
    if missing.is_empty() {
        println!("complete");
    } else {
        let list: Vec<String> = missing.iter().map(u32::to_string).collect();
        println!("missing batches: {}", list.join(","));
        println!(
            "resubmit them with: sbatch --array={} --wrap 'spinnsim sweep run {} --batch auto'",
            list.join(","),
            out.display()
        );
    }
    Ok(())
}

fn export(out: &Path, instance: usize, to: Option<&Path>) -> Result<()> {
    let (_, sweep, _) = Dataset::open(out)?;
    let text = sweep.network_text(instance)?;
    let header = format!(
        "# {} of the sweep in {} (profile {}: `spinnsim run --profile {}`)\n",
        sweep.describe(instance),
        out.display(),
        sweep.profile,
        sweep.profile
    );
    match to {
        Some(p) => std::fs::write(p, format!("{header}{text}")).with_context(|| format!("writing {}", p.display()))?,
        None => print!("{header}{text}"),
    }
    Ok(())
}
