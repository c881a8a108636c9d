//! Running a sweep's batches: the shard's uncommitted batches, each under its lock, each
//! instance as a single run of its own network file runs, its tables gathered with an
//! `instance` column and committed as one batch.
//!
//! On the CPU engine, a batch of at least as many instances as threads runs one instance per
//! thread (no barrier between them); a smaller one runs its instances in turn on all threads.
//! On the GPU engine a batch's instances are mapped, then advanced together by one engine (one
//! dispatch per stage per tick for all of them; [`GpuEngine::for_batch`]), as many at once as the
//! device holds.

use super::dataset::{host_name, Commit, Dataset, DeviceRecord, LockInfo, Outcome, Timings};
use super::plan::{Batch, Plan};
use super::spec::Table;
use super::tables::{gather, instance_tables};
use super::Sweep;
use crate::engine::gpu::device::GpuContext;
use crate::engine::gpu::GpuEngine;
use crate::engine::Backend;
use crate::error::{Error, Result};
use crate::machine::Machine;
use crate::sim::Simulation;
use arrow_array::RecordBatch;
use rayon::prelude::*;
use std::path::Path;
use std::time::{Duration, Instant};

/// Which batches a worker runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Select {
    /// The batches `b` with `b mod count == index`.
    Shard { index: u32, count: u32 },
    /// These batches.
    Batches(Vec<u32>),
}

impl Select {
    /// `i/N`, or `auto`: the shard of a Slurm array task (`SLURM_ARRAY_TASK_ID` minus
    /// `SLURM_ARRAY_TASK_MIN`, of `SLURM_ARRAY_TASK_COUNT`).
    pub fn parse_shard(text: &str) -> Result<Select> {
        if text == "auto" {
            return Select::from_slurm(|k| std::env::var(k).ok());
        }
        let bad = || Error::Sweep(format!("--shard {text}: give i/N with 0 <= i < N, or auto"));
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (i.trim().parse::<u32>().map_err(|_| bad())?, n.trim().parse::<u32>().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Select::Shard { index, count })
    }

    /// The shard of a Slurm array task, from the variables `var` gives.
    pub fn from_slurm(var: impl Fn(&str) -> Option<String>) -> Result<Select> {
        let get = |k: &str| -> Result<u32> {
            let v = var(k).ok_or_else(|| {
                Error::Sweep(format!("--shard auto: {k} is not set (run it as a task of a Slurm job array)"))
            })?;
            v.trim().parse().map_err(|_| Error::Sweep(format!("--shard auto: {k} = `{v}` is not a number")))
        };
        let (id, min, count) =
            (get("SLURM_ARRAY_TASK_ID")?, get("SLURM_ARRAY_TASK_MIN")?, get("SLURM_ARRAY_TASK_COUNT")?);
        if id < min || id - min >= count {
            return Err(Error::Sweep(format!(
                "--shard auto: task {id} is outside the array (min {min}, count {count}); use --array=0-{}",
                count.saturating_sub(1)
            )));
        }
        Ok(Select::Shard { index: id - min, count })
    }

    pub fn takes(&self, batch: u32) -> bool {
        match self {
            Select::Shard { index, count } => batch % count == *index,
            Select::Batches(b) => b.contains(&batch),
        }
    }
}

/// How a worker runs.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// `Auto` takes the GPU engine when a hardware GPU is present.
    pub backend: Backend,
    /// CPU engine threads (default: all cores).
    pub threads: Option<usize>,
    pub select: Select,
    /// A lock older than this is taken over (a lock of a process gone from this host at once).
    pub stale_after: Duration,
}

/// What a worker tells its observer (a progress bar).
pub enum Event<'a> {
    /// The engine it runs on, and the batches and instances it has to run.
    Started {
        engine: &'a str,
        batches: usize,
        instances: usize,
    },
    BatchStarted {
        batch: u32,
        instances: usize,
    },
    InstanceDone {
        batch: u32,
    },
    /// Another live worker holds the batch.
    BatchSkipped {
        batch: u32,
        holder: Option<LockInfo>,
    },
    BatchCommitted(&'a Commit),
}

/// What a worker did.
#[derive(Debug, Default)]
pub struct ShardReport {
    pub committed: Vec<Commit>,
    /// Batches another worker held.
    pub skipped: Vec<u32>,
    /// Batches of the shard already committed before it started.
    pub already: usize,
}

/// The engine a worker runs instances on.
enum Engines {
    Cpu { threads: usize },
    Gpu { ctx: Box<GpuContext> },
}

impl Engines {
    fn open(options: &RunOptions) -> Result<Engines> {
        let threads = match options.threads {
            Some(0) => return Err(Error::Sweep("threads = 0: give at least 1".into())),
            Some(t) => t,
            None => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        };
        Ok(match options.backend.resolve() {
            Backend::Gpu => Engines::Gpu { ctx: Box::new(GpuContext::open()?) },
            _ => Engines::Cpu { threads },
        })
    }

    fn describe(&self) -> String {
        match self {
            Engines::Cpu { threads } => format!("cpu ({threads} threads)"),
            Engines::Gpu { ctx } => {
                let a = &ctx.adapter;
                let why = a.chosen_by.as_ref().map(|w| format!("; chosen by {w}")).unwrap_or_default();
                format!("gpu on `{}` ({} {}{why})", a.name, a.backend, a.device_type)
            }
        }
    }
}

/// Runs the uncommitted batches of the folder `dir` that `options.select` takes.
pub fn run_shard(dir: &Path, options: &RunOptions, observe: &(dyn Fn(Event) + Sync)) -> Result<ShardReport> {
    let (ds, sweep, plan) = Dataset::open(dir)?;
    ds.remove_abandoned_staging();
    let mine: Vec<&Batch> = plan.batches.iter().filter(|b| options.select.takes(b.id)).collect();
    let mut report = ShardReport::default();
    let mut todo = Vec::new();
    for b in mine {
        if ds.commit_of(b.id)?.is_some() {
            report.already += 1;
        } else {
            todo.push(b);
        }
    }
    let engines = Engines::open(options)?;
    let engine = engines.describe();
    let instances = todo.iter().map(|b| b.instances.len()).sum();
    observe(Event::Started { engine: &engine, batches: todo.len(), instances });
    for b in todo {
        let Some(lock) = ds.lock_batch(b.id, options.stale_after)? else {
            report.skipped.push(b.id);
            observe(Event::BatchSkipped { batch: b.id, holder: ds.lock_holder(b.id) });
            continue;
        };
        // Another worker may have committed it between the look and the lock.
        if ds.commit_of(b.id)?.is_some() {
            continue;
        }
        observe(Event::BatchStarted { batch: b.id, instances: b.instances.len() });
        let commit = run_batch(&ds, &sweep, &plan, b, &engines, &engine, observe)?;
        drop(lock);
        ds.refresh_instances(&sweep, &plan)?;
        observe(Event::BatchCommitted(&commit));
        report.committed.push(commit);
    }
    Ok(report)
}

/// An instance's tables, or why it failed, and its wall times.
struct InstanceRun {
    result: std::result::Result<Vec<(Table, RecordBatch)>, String>,
    map_s: f64,
    run_s: f64,
}

/// Runs the instances of one batch; `observe` is told of each one done. On the GPU, also how.
fn run_instances(
    sweep: &Sweep,
    batch: &Batch,
    engines: &Engines,
    observe: &(dyn Fn(Event) + Sync),
) -> Result<(Vec<InstanceRun>, Option<DeviceRecord>)> {
    let one = |i: u32, threads: usize| {
        let run = run_instance_guarded(sweep, i as usize, threads);
        observe(Event::InstanceDone { batch: batch.id });
        run
    };
    Ok(match engines {
        Engines::Cpu { threads } if batch.instances.len() >= *threads && *threads > 1 => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(*threads)
                .build()
                .map_err(|e| Error::Sweep(format!("cannot start {threads} threads: {e}")))?;
            (pool.install(|| batch.instances.par_iter().map(|&i| one(i, 1)).collect()), None)
        }
        Engines::Cpu { threads } => (batch.instances.iter().map(|&i| one(i, *threads)).collect(), None),
        Engines::Gpu { ctx } => {
            let (runs, device) = guarded(|| Ok(run_on_gpu(sweep, batch, ctx))).unwrap_or_else(|e| {
                let failed = |_| InstanceRun { result: Err(e.clone()), map_s: 0.0, run_s: 0.0 };
                (batch.instances.iter().map(failed).collect(), DeviceRecord::default())
            });
            batch.instances.iter().for_each(|_| observe(Event::InstanceDone { batch: batch.id }));
            (runs, Some(device))
        }
    })
}

/// An instance mapped for a GPU batch: the simulation that holds its machine (which would go on
/// on the CPU engine, with the same results), or why it could not be mapped.
type Mapped = std::result::Result<Simulation, String>;

/// Maps instance `i` into a simulation whose machine a GPU batch advances.
fn map_for_batch(sweep: &Sweep, i: usize) -> Mapped {
    let net = sweep.network(i).map_err(|e| e.to_string())?;
    let mut sim = Simulation::new(net, sweep.map_options(), Some(1)).map_err(|e| e.to_string())?;
    keep_what_is_written(&mut sim, sweep);
    let ticks = sim.ticks_for(sweep.run_ms).map_err(|e| e.to_string())?;
    sim.check_recording_fits(ticks, crate::record::arrow::SAMPLE_ROW_BYTES).map_err(|e| e.to_string())?;
    Ok(sim)
}

/// Runs a batch on the GPU: its instances mapped, then advanced together, as many at once as the
/// device holds ([`GpuEngine::batch_capacity`]), one dispatch per stage per tick for them all.
fn run_on_gpu(sweep: &Sweep, batch: &Batch, ctx: &GpuContext) -> (Vec<InstanceRun>, DeviceRecord) {
    let t0 = Instant::now();
    let mut mapped: Vec<Mapped> = batch.instances.par_iter().map(|&i| map_for_batch(sweep, i as usize)).collect();
    let map_s = t0.elapsed().as_secs_f64() / batch.instances.len().max(1) as f64;
    let mut outcome: Vec<Option<String>> = mapped.iter().map(|m| m.as_ref().err().cloned()).collect();
    let t1 = Instant::now();
    let mut ok: Vec<(usize, &mut Simulation)> =
        mapped.iter_mut().enumerate().filter_map(|(k, m)| m.as_mut().ok().map(|s| (k, s))).collect();
    let most = ok
        .first()
        .map(|(_, s)| GpuEngine::batch_capacity(ctx, s.machine(), &Default::default()).unwrap_or(1).max(1))
        .unwrap_or(1) as usize;
    let mut device = DeviceRecord::default();
    for chunk in ok.chunks_mut(most) {
        for (k, failure) in advance_together(sweep, ctx, chunk, &mut device) {
            outcome[k] = Some(failure);
        }
    }
    let run_s = t1.elapsed().as_secs_f64() / batch.instances.len().max(1) as f64;
    let runs = mapped
        .into_iter()
        .zip(outcome)
        .zip(&batch.instances)
        .map(|((m, failed), &i)| {
            let result = match (m, failed) {
                (_, Some(e)) => Err(e),
                (Ok(sim), None) => instance_tables(&sim, &sweep.tables, i).map_err(|e| e.to_string()),
                (Err(e), None) => Err(e),
            };
            InstanceRun { result, map_s, run_s }
        })
        .collect();
    (runs, device)
}

/// Runs the simulations of `chunk` (index in the batch, simulation) together on one GPU engine;
/// returns the instances that failed, with their messages.
fn advance_together(
    sweep: &Sweep,
    ctx: &GpuContext,
    chunk: &mut [(usize, &mut Simulation)],
    device: &mut DeviceRecord,
) -> Vec<(usize, String)> {
    let ticks = match crate::sim::ticks_for(sweep.run_ms, chunk[0].1.network().timestep) {
        Ok(t) => t,
        Err(e) => return chunk.iter().map(|(k, _)| (*k, e.to_string())).collect(),
    };
    let machines: Vec<&Machine> = chunk.iter().map(|(_, s)| s.machine()).collect();
    let mut engine = match GpuEngine::for_batch(ctx.clone(), &machines, Default::default()) {
        Ok(e) => e,
        Err(e) => return chunk.iter().map(|(k, _)| (*k, e.to_string())).collect(),
    };
    let mut refs: Vec<&mut Machine> = chunk.iter_mut().map(|(_, s)| s.machine_mut()).collect();
    let results = engine.run_batch(&mut refs, ticks, &mut |_| crate::engine::RunControl::Continue(()));
    device.engines.push(refs.len() as u32);
    device.dispatches += engine.stats.dispatches;
    device.submissions += engine.stats.submissions;
    device.device_bytes = device.device_bytes.max(engine.gpu_memory_bytes());
    chunk.iter().zip(results).filter_map(|((k, _), r)| r.err().map(|e| (*k, e.to_string()))).collect()
}

/// How the instances of a batch ended.
fn outcomes(batch: &Batch, runs: &[InstanceRun]) -> Vec<Outcome> {
    batch
        .instances
        .iter()
        .zip(runs)
        .map(|(&instance, r)| Outcome { instance, ok: r.result.is_ok(), message: r.result.as_ref().err().cloned() })
        .collect()
}

/// Runs one batch and commits it.
fn run_batch(
    ds: &Dataset,
    sweep: &Sweep,
    plan: &Plan,
    batch: &Batch,
    engines: &Engines,
    engine: &str,
    observe: &(dyn Fn(Event) + Sync),
) -> Result<Commit> {
    let started = Instant::now();
    let (runs, device) = run_instances(sweep, batch, engines, observe)?;
    let written = Instant::now();
    let results: Vec<_> = runs.iter().map(|r| &r.result).collect();
    let tables = gather(sweep, plan, batch, &results)?;
    let mut commit = Commit {
        batch: batch.id,
        sweep: plan.sweep.clone(),
        version: env!("CARGO_PKG_VERSION").into(),
        engine: engine.split(' ').next().unwrap_or("cpu").into(),
        adapter: match engines {
            Engines::Gpu { ctx } => Some(ctx.adapter.name.clone()),
            Engines::Cpu { .. } => None,
        },
        host: host_name(),
        outcomes: outcomes(batch, &runs),
        files: Vec::new(),
        timings: Timings {
            map_s: runs.iter().map(|r| r.map_s).sum(),
            run_s: runs.iter().map(|r| r.run_s).sum(),
            write_s: 0.0,
            wall_s: 0.0,
        },
        device,
    };
    commit.timings.write_s = written.elapsed().as_secs_f64();
    commit.timings.wall_s = started.elapsed().as_secs_f64();
    ds.commit(commit, &tables)
}

/// What [`evaluate`] gives: per table asked for, every instance's rows in instance order, and
/// the instances table (values and status).
pub struct Evaluation {
    pub tables: Vec<(Table, RecordBatch)>,
    pub instances: RecordBatch,
}

/// Runs every instance of `sweep` now, writing nothing (for ask-and-tell optimisers): the
/// instances are planned and batched as in a folder, and give the same rows.
pub fn evaluate(sweep: &Sweep, backend: Backend, threads: Option<usize>) -> Result<Evaluation> {
    let plan = super::plan::plan(sweep, &|_| {})?;
    let options =
        RunOptions { backend, threads, select: Select::Shard { index: 0, count: 1 }, stale_after: Duration::ZERO };
    let engines = Engines::open(&options)?;
    let mut outcomes_all = Vec::new();
    let mut per_table: Vec<(Table, Vec<RecordBatch>)> = sweep.tables.iter().map(|&t| (t, Vec::new())).collect();
    for b in &plan.batches {
        let (runs, _) = run_instances(sweep, b, &engines, &|_| {})?;
        let results: Vec<_> = runs.iter().map(|r| &r.result).collect();
        for (t, batch) in gather(sweep, &plan, b, &results)? {
            if let Some((_, parts)) = per_table.iter_mut().find(|(tt, _)| *tt == t) {
                parts.push(batch);
            }
        }
        outcomes_all.extend(outcomes(b, &runs));
    }
    let mut tables = Vec::new();
    for (t, parts) in per_table {
        let Some(first) = parts.first() else { continue };
        let meta = super::tables::sweep_metadata(sweep, &plan, None);
        let schema = std::sync::Arc::new(first.schema().as_ref().clone().with_metadata(meta));
        // (Batches of different batches differ only in their metadata.)
        let parts: Vec<RecordBatch> = parts
            .into_iter()
            .map(|p| RecordBatch::try_new(schema.clone(), p.columns().to_vec()))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| Error::Run(format!("{} table: {e}", t.name())))?;
        let joined = arrow_select::concat::concat_batches(&schema, &parts)
            .map_err(|e| Error::Run(format!("{} table: {e}", t.name())))?;
        tables.push((t, super::tables::by_instance(&joined)?));
    }
    let instances = super::tables::instances_batch(sweep, &plan, &outcomes_all)?;
    Ok(Evaluation { tables, instances })
}

/// `f`, with a panic (a bug) as an error.
fn guarded<T>(f: impl FnOnce() -> std::result::Result<T, String>) -> std::result::Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|p| {
        let what = p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned());
        Err(format!("internal error (a bug in spinnsim; please report it): {}", what.unwrap_or_default()))
    })
}

/// A sweep that writes no spikes table keeps spike tallies instead of spikes: a few words per
/// recorded neuron, all the summary needs, updated on the device by the GPU engine, which then
/// reads no spike bitfields back. Where the machine cannot tally them (spikes recorded less
/// often than every tick), the spikes are kept and the summary is made from them; either way its
/// bytes are the same.
fn keep_what_is_written(sim: &mut Simulation, sweep: &Sweep) {
    if !sweep.tables.contains(&Table::Spikes) {
        sim.tally_spikes().ok();
    }
}

/// [`run_instance`], with a panic failing the instance only.
fn run_instance_guarded(sweep: &Sweep, i: usize, threads: usize) -> InstanceRun {
    let mut times = (0.0, 0.0);
    let result = guarded(|| run_instance(sweep, i, threads, &mut times));
    InstanceRun { result, map_s: times.0, run_s: times.1 }
}

/// Maps and runs instance `i` on the CPU engine as `spinnsim run` runs its network file; returns
/// its tables.
fn run_instance(
    sweep: &Sweep,
    i: usize,
    threads: usize,
    times: &mut (f64, f64),
) -> std::result::Result<Vec<(Table, RecordBatch)>, String> {
    let t0 = Instant::now();
    let net = sweep.network(i).map_err(|e| e.to_string())?;
    let mut sim = Simulation::new(net, sweep.map_options(), Some(threads)).map_err(|e| e.to_string())?;
    keep_what_is_written(&mut sim, sweep);
    times.0 = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let ticks = sim.ticks_for(sweep.run_ms).map_err(|e| e.to_string())?;
    sim.check_recording_fits(ticks, crate::record::arrow::SAMPLE_ROW_BYTES).map_err(|e| e.to_string())?;
    sim.run_ticks(ticks).map_err(|e| e.to_string())?;
    times.1 = t1.elapsed().as_secs_f64();
    instance_tables(&sim, &sweep.tables, i as u32).map_err(|e| e.to_string())
}
