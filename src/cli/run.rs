//! `spinnsim run`: map a network file, run it with a progress bar, and write its recordings as
//! one set of files. Ctrl-C stops the run at a tick boundary and still writes what was recorded
//! (a second Ctrl-C quits at once); so does an engine error in the middle of a run.

use super::report::{duration, real_time, tick_bar, Spinner};
use super::{load, parse_backend, FormatArg};
use crate::engine::{Backend, RunControl};
use crate::mapping::{MapOptions, MapStep, Profile};
use crate::record::output::OutputSet;
use crate::sim::Simulation;
use anyhow::{Context, Result};
use arrow_array::RecordBatch;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args)]
pub(super) struct RunArgs {
    network: PathBuf,
    /// Output directory (created if needed). The run's files replace those of an earlier run.
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// Model time to run in ms (default: the file's `run_ms`).
    #[arg(long, allow_negative_numbers = true)]
    time: Option<f64>,
    /// Arithmetic profile: spinnaker-7 (default) or spinnaker-2019.
    #[arg(long, default_value = "spinnaker-7")]
    profile: String,
    /// Worker threads of the CPU engine (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Output file format: arrow (Arrow IPC, `.arrow`) or parquet (snappy, `.parquet`).
    #[arg(long, value_enum, default_value_t = FormatArg::Arrow)]
    format: FormatArg,
    /// Engine: auto (the GPU engine when a hardware GPU is present, else the CPU engine), cpu,
    /// or gpu (the GPU engine on the best adapter, a CPU-emulated one such as lavapipe
    /// included; SPINNSIM_ADAPTER picks one by name). The results are the same bit for bit.
    #[arg(long, default_value = "auto", value_parser = parse_backend)]
    backend: Backend,
    /// Also write the connections of static projections (those of plastic projections, with
    /// their learned weights, are always written) to `connections`.
    #[arg(long)]
    connections: bool,
    /// Also write the provenance counters of every core to `provenance`.
    #[arg(long)]
    provenance: bool,
}

/// Ctrl-C presses since the run began.
static INTERRUPTS: AtomicU32 = AtomicU32::new(0);

/// How a run ended.
enum RunEnd {
    Complete,
    Interrupted { done: u32 },
    Failed { done: u32, error: crate::Error },
}

/// Exit status 0, or 130 when interrupted.
pub(super) fn run(a: RunArgs) -> Result<u8> {
    // Everything that can be checked before mapping is checked first: the output folder too.
    let output = OutputSet::prepare(&a.out, a.format.into())?;
    let profile = Profile::from_name(&a.profile)
        .with_context(|| format!("unknown profile `{}`; use spinnaker-7 or spinnaker-2019", a.profile))?;
    if a.threads == Some(0) {
        anyhow::bail!("--threads 0: give at least 1 worker thread (or leave it out for all cores)");
    }
    let net = load(&a.network)?;
    let run_ms = a.time.or(net.run_ms).context("give the model time with --time or `run_ms` in the file")?;
    if !run_ms.is_finite() || run_ms < 0.0 {
        anyhow::bail!("--time {run_ms}: the model time must be a finite number of ms >= 0");
    }
    let spinner = Spinner::new("mapping");
    let progress = |step: MapStep| match step {
        MapStep::Mapped => spinner.step(format!("starting the engine ({})", a.backend)),
        step => spinner.step(format!("mapping: {step}")),
    };
    let options = MapOptions { profile, ..Default::default() };
    let built = Simulation::with_progress(net, options, a.threads, a.backend, &progress);
    spinner.finish();
    let mut sim = built.with_context(|| format!("in {}", a.network.display()))?;
    let shown = show_warnings(&sim, 0);
    eprintln!("{}", engine_line(&sim, a.backend, a.threads));
    let ticks = sim.ticks_for(run_ms)?;
    // The recordings, and the table they become when written.
    sim.check_recording_fits(ticks, crate::record::arrow::SAMPLE_ROW_BYTES)?;
    let start = Instant::now();
    let end = run_interruptibly(&mut sim, ticks);
    let wall = start.elapsed().as_secs_f64();
    show_warnings(&sim, shown);
    let incomplete = match &end {
        RunEnd::Complete => None,
        RunEnd::Interrupted { done } => Some(format!("interrupted after {done} of {ticks} ticks")),
        RunEnd::Failed { done, error } => Some(format!("stopped by an error after {done} of {ticks} ticks: {error}")),
    };
    let paths = write_set(&sim, output, (a.connections, a.provenance), incomplete.as_deref())?;
    let written = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    let done_ms = sim.current_time();
    match end {
        RunEnd::Complete => {
            summary(&sim, done_ms, ticks, wall);
            println!("wrote {written}{}", if paths.iter().any(|p| p.file_stem().is_some_and(|s| s == "connections")) { " (weights as the rows hold them after the run)" } else { "" });
            Ok(0)
        }
        RunEnd::Interrupted { done } => {
            eprintln!("interrupted: ran {done} of {ticks} ticks; wrote what was recorded until then to {written} (metadata spinnsim.incomplete)");
            Ok(130)
        }
        RunEnd::Failed { done, error } => Err(anyhow::Error::new(error).context(format!(
            "the run stopped after {done} of {ticks} ticks; what was recorded until then is in {written} (metadata spinnsim.incomplete)"
        ))),
    }
}

/// Prints the warnings from the `shown`-th on; returns how many there are.
fn show_warnings(sim: &Simulation, shown: usize) -> usize {
    let all = sim.warnings();
    for w in all.iter().skip(shown) {
        eprintln!("warning: {w}");
    }
    all.len()
}

/// Runs with a progress bar, stopping at a tick boundary on Ctrl-C.
fn run_interruptibly(sim: &mut Simulation, ticks: u32) -> RunEnd {
    static HANDLER: std::sync::Once = std::sync::Once::new();
    HANDLER.call_once(|| {
        // The second Ctrl-C quits at once, as without the handler.
        let _ = ctrlc::set_handler(|| {
            if INTERRUPTS.fetch_add(1, Ordering::SeqCst) > 0 {
                std::process::exit(130);
            }
        });
    });
    INTERRUPTS.store(0, Ordering::SeqCst);
    let bar = Arc::new(tick_bar(ticks));
    let before = sim.tick();
    let result = sim.run_ticks_with_progress(ticks, &mut |done| {
        bar.set_position(done as u64);
        if INTERRUPTS.load(Ordering::SeqCst) > 0 {
            RunControl::Break(())
        } else {
            RunControl::Continue(())
        }
    });
    bar.finish_and_clear();
    match result {
        Ok(done) if done < ticks => RunEnd::Interrupted { done },
        Ok(_) => RunEnd::Complete,
        Err(error) => RunEnd::Failed { done: sim.tick() - before, error },
    }
}

/// Makes one table of a run.
type TableMaker<'a> = Box<dyn Fn() -> crate::Result<RecordBatch> + 'a>;

/// Stages and writes the run's tables as one set; a run that did not complete says so in the
/// tables' metadata (`spinnsim.incomplete`).
fn write_set(
    sim: &Simulation,
    mut output: OutputSet,
    (all_connections, provenance): (bool, bool),
    incomplete: Option<&str>,
) -> Result<Vec<PathBuf>> {
    let net = sim.network();
    let which: Vec<usize> = (0..net.projections.len())
        .filter(|&i| all_connections || net.projections[i].synapse_dynamics.is_some())
        .collect();
    let mut tables: Vec<(&str, TableMaker)> =
        vec![("spikes", Box::new(|| sim.spikes_batch())), ("samples", Box::new(|| sim.samples_batch()))];
    if !which.is_empty() {
        tables.push(("connections", Box::new(|| sim.connections_batch(&which))));
    }
    if provenance {
        tables.push(("provenance", Box::new(|| sim.provenance_batch())));
    }
    let spinner = Spinner::new("writing");
    for (name, make) in tables {
        spinner.step(format!("writing {}", output.path(name).display()));
        let mut batch = make()?;
        if let Some(why) = incomplete {
            batch = mark_incomplete(batch, why)?;
        }
        output.stage(name, &batch)?;
    }
    spinner.finish();
    let dir = output.dir().display().to_string();
    output.commit().with_context(|| format!("putting the files in place in {dir}"))
}

fn mark_incomplete(batch: RecordBatch, why: &str) -> Result<RecordBatch> {
    let schema = batch.schema();
    let meta = schema.metadata().clone().with("spinnsim.incomplete", why);
    let schema = Arc::new(schema.as_ref().clone().with_metadata(meta));
    Ok(batch.with_schema(schema)?)
}

/// Spikes and rates per recorded population, events, speed, saturations.
fn summary(sim: &Simulation, run_ms: f64, ticks: u32, wall: f64) {
    let prov = sim.provenance();
    let rec = sim.recordings();
    let net = sim.network();
    let speed = real_time(run_ms / 1000.0, wall).map(|s| format!(", {s}")).unwrap_or_default();
    println!("ran {run_ms} ms ({ticks} ticks) in {}{speed}", duration(wall));
    for (pi, label) in sim.image().population_labels.iter().enumerate() {
        if !net.populations[pi].record.iter().any(|r| r.variable == "spikes") {
            continue;
        }
        let spikes = rec.spikes.iter().filter(|s| s.population == pi).map(|s| s.spikes.len()).sum::<usize>();
        let rate = if run_ms > 0.0 {
            format!(", mean rate {:.2} Hz", spikes as f64 / net.populations[pi].size as f64 / (run_ms / 1000.0))
        } else {
            String::new()
        };
        println!("  {label}: {spikes} spikes{rate}");
    }
    let events: u64 = prov.iter().map(|p| p.pre_synaptic_events).sum();
    if wall > 0.0 && events > 0 {
        println!("  {events} synaptic events, {:.3e} per second of wall time", events as f64 / wall);
    } else {
        println!("  {events} synaptic events");
    }
    let sat: u64 = prov.iter().map(|p| p.synaptic_weight_saturations).sum();
    if sat > 0 {
        println!("  warning: {sat} ring-buffer saturations (weights summed past 0xFFFF in one slot)");
    }
}

/// Which engine runs, for stderr.
fn engine_line(sim: &Simulation, asked: Backend, threads: Option<usize>) -> String {
    match sim.adapter() {
        Some(a) => format!(
            "engine: gpu on `{}` ({} {}, backend {asked}; {}{})",
            a.name,
            a.backend,
            a.device_type,
            super::map::adapter_kind(a),
            a.chosen_by.as_ref().map(|w| format!("; chosen by {w}")).unwrap_or_default()
        ),
        None => {
            let threads = threads.map(|t| format!("{t} threads")).unwrap_or_else(|| "all cores".into());
            let why = match asked {
                Backend::Auto if sim.gpu_fallback().is_some() => ", backend auto: the GPU engine could not start",
                Backend::Auto => ", backend auto: no hardware GPU",
                _ => "",
            };
            format!("engine: cpu ({threads}{why})")
        }
    }
}
