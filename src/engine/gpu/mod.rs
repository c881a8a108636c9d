//! The GPU engine: the mapped network in WGSL compute shaders through wgpu, with the results of
//! the CPU reference engine bit for bit.
//!
//! A tick is eight dispatches, seven without STDP (see [`shaders`]), many ticks are encoded per submission, the
//! number of row jobs (which varies with the spikes) sizes the synaptic stage by indirect
//! dispatch, and recordings come back in batches through a staging buffer. Between runs the
//! state is held by the [`Machine`], where resets, parameter changes and resumes are written
//! once for both engines; each run uploads it and downloads it at its end.
//!
//! One engine advances a batch of machines of one mapped structure whose values differ (a
//! parameter sweep): [`GpuEngine::for_batch`], [`GpuEngine::run_batch`]. Each dispatch covers
//! every instance of the batch, one layer of workgroups per instance; a single machine is the
//! batch of one ([`GpuEngine::new`], [`Engine::run`]).

mod batch;
mod capacity;
pub mod device;
pub mod layout;
mod pipelines;
mod record;
mod resources;
pub mod shaders;
mod transfer;

use super::{Backend, Engine, RunControl};
use crate::error::{Error, Result};
use crate::machine::Machine;
use device::GpuContext;
use layout::{StaticImage, CONTROL_WORDS, CTL_ERRORS, ERR_LOOP_LIMIT, ERR_RING_OVERFLOW};
use resources::Resources;
use transfer::HostState;

/// Choices a test or a benchmark can force; the defaults follow the device's limits.
#[derive(Clone, Copy, Debug, Default)]
pub struct GpuOptions {
    /// Synaptic words per chunk (log2); default: the largest the storage-binding limit allows.
    pub words_chunk_log2: Option<u32>,
    /// Ring-buffer entries per chunk (log2); default as above.
    pub ring_chunk_log2: Option<u32>,
    /// Row jobs a tick of an instance can queue; past it, spike_route makes the adds itself.
    pub job_capacity: Option<u32>,
    /// Ticks per submission at most (default 1000).
    pub max_batch_ticks: Option<u32>,
    /// Bytes of device memory the engine may hold; default: [`GpuContext::memory_budget`].
    pub memory_budget: Option<u64>,
}

/// What a run cost, for benchmarks.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunStats {
    pub ticks: u64,
    pub dispatches: u64,
    pub submissions: u64,
}

/// The GPU engine: a device and the buffers of the image of a batch of machines (one machine's
/// image for an engine made by [`GpuEngine::new`]).
pub struct GpuEngine {
    ctx: GpuContext,
    /// The batch's image in the GPU's layout (`batch::merge`), built from each machine's
    /// [`Machine::image_version`] in `built_from`.
    image: StaticImage,
    built_from: Vec<u64>,
    res: Resources,
    options: GpuOptions,
    pub stats: RunStats,
}

/// Where one instance of a batch stands in a run: the ticks counted for it, the failure that
/// ended its run, and whether its state has been read back into its machine.
#[derive(Clone, Default)]
struct InstanceRun {
    done: u32,
    failure: Option<String>,
    settled: bool,
}

impl InstanceRun {
    fn running(&self) -> bool {
        self.failure.is_none()
    }
}

/// The message of an error, without the prefix its kind prints.
fn message(e: &Error) -> String {
    match e {
        Error::Run(m) => m.clone(),
        e => e.to_string(),
    }
}

/// The same error for each of `n` machines (the first gets `e` itself).
fn errors_for_all(e: Error, n: usize) -> Vec<Result<u32>> {
    let text = message(&e);
    let mut out: Vec<Result<u32>> = vec![Err(e)];
    out.extend((1..n).map(|_| Err(Error::Run(text.clone()))));
    out.truncate(n);
    out
}

impl GpuEngine {
    /// An engine for `machine` on the best adapter (see [`GpuContext::open`]).
    pub fn new(machine: &Machine) -> Result<Self> {
        Self::with_options(machine, GpuOptions::default())
    }

    pub fn with_options(machine: &Machine, options: GpuOptions) -> Result<Self> {
        let ctx = GpuContext::open()?;
        Self::on_context(ctx, machine, options)
    }

    /// An engine for `machine` on the device of `ctx`: the batch of one machine.
    pub fn on_context(ctx: GpuContext, machine: &Machine, options: GpuOptions) -> Result<Self> {
        Self::for_batch(ctx, &[machine], options)
    }

    /// One engine for a batch of `machines` on the device of `ctx`, instance `i` being
    /// `machines[i]`: their structure bound once and their values per instance (`batch::merge`).
    /// An error names the first part of the structure in which a machine differs from the first,
    /// or what of the batch does not fit the device (a storage binding, the dispatch's z
    /// dimension, the memory the engine may use; see [`GpuEngine::batch_capacity`]). The tick's
    /// pipelines are the context's, compiled once for all the engines on it.
    pub fn for_batch(ctx: GpuContext, machines: &[&Machine], options: GpuOptions) -> Result<Self> {
        let image = batch::merge(machines)?;
        let res = Resources::new(&ctx, machines, &image, &options)?;
        let built_from = machines.iter().map(|m| m.image_version()).collect();
        Ok(GpuEngine { ctx, image, built_from, res, options, stats: RunStats::default() })
    }

    /// The most instances of `machine`'s structure one batch can hold on the device of `ctx`
    /// with `options`: within one storage binding for every buffer (the synaptic words counted
    /// per instance, as when the weights differ), the z dimension of a dispatch, 32-bit indices
    /// and the memory the engine may use. An error when not even one fits.
    pub fn batch_capacity(ctx: &GpuContext, machine: &Machine, options: &GpuOptions) -> Result<u32> {
        capacity::most_instances(ctx, &StaticImage::build(machine)?, options)
    }

    /// The instances the engine advances together.
    pub fn instances(&self) -> u32 {
        self.image.sizes.n_instances
    }

    /// Whether the instances share one set of synaptic words (their weights are equal).
    pub fn shares_synaptic_words(&self) -> bool {
        self.image.sizes.word_stride == 0
    }

    /// The device the engine runs on.
    pub fn context(&self) -> &GpuContext {
        &self.ctx
    }

    /// Bytes the engine holds on the GPU for the simulation, recording and staging buffers
    /// excluded (they are sized by the batch, not by the network).
    pub fn gpu_memory_bytes(&self) -> u64 {
        self.res.network_bytes()
    }

    /// Each GPU buffer of the network and its bytes (recording and staging excluded).
    pub fn gpu_buffers(&self) -> Vec<(&'static str, u64)> {
        self.res.buffer_bytes()
    }

    /// Synaptic words on the GPU of one instance (one per synapse).
    pub fn synaptic_words(&self) -> u64 {
        self.image.n_words
    }

    /// One run of `ticks` ticks of every machine of the batch (`machines[i]` is instance `i`,
    /// of the structure [`GpuEngine::for_batch`] was given), each continuing where its last run
    /// stopped as [`Engine::run_with_progress`] does: every machine starts or resumes
    /// ([`Machine::begin_run`]), then all advance together, their recordings and state read back
    /// into each. The machines must stand at one tick. `progress` is told the ticks of the batch
    /// done now and then, and once more at the end; `Break` stops every instance at the next
    /// submission boundary. Returns per machine the ticks it ran, or its error.
    ///
    /// An instance whose run fails (a ring-buffer entry past 2^32 − 1 or the loop limit of
    /// lavapipe, seen in its own control words) gets the error a single run of it gives; its
    /// machine keeps what the submission in which the failure was seen left it (ticks counted,
    /// recordings, provenance and state), as a single run with the same submissions would, and
    /// the instance goes on running with the others on the GPU, its results no longer read. Every
    /// instance has its own state, counters and row-job queue, so the others' results are what
    /// they would be without it.
    pub fn run_batch(
        &mut self,
        machines: &mut [&mut Machine],
        ticks: u32,
        progress: &mut dyn FnMut(u32) -> RunControl,
    ) -> Vec<Result<u32>> {
        // The batch is checked (its structure again if an image changed) before any run begins.
        if let Err(e) = self.check_batch(machines).and_then(|_| self.write_image_if_changed(machines)) {
            return errors_for_all(e, machines.len());
        }
        for m in machines.iter_mut() {
            if let Err(e) = m.begin_run(ticks) {
                return errors_for_all(e, machines.len());
            }
        }
        let (results, done) = self.advance_all(machines, ticks, progress);
        // The last report: its answer no longer matters, the run is over.
        let _ = progress(done);
        results
    }

    /// That `machines` can run as this engine's batch: as many as its instances, at one tick, with
    /// room for the run's ticks checked by [`Machine::begin_run`].
    fn check_batch(&self, machines: &[&mut Machine]) -> Result<()> {
        let n = self.instances() as usize;
        if machines.len() != n {
            return Err(Error::Run(format!(
                "the engine advances a batch of {n} machines; it was given {}",
                machines.len()
            )));
        }
        let t = machines[0].tick();
        if let Some(i) = machines.iter().position(|m| m.tick() != t) {
            return Err(Error::Run(format!(
                "the machines of a batch advance together and must stand at one tick: machine {i} is at tick {}, \
                 machine 0 at tick {t} (run it alone, or reset the batch)",
                machines[i].tick()
            )));
        }
        Ok(())
    }
}

/// Ticks of a run's first batch, before the device's speed on the network is known.
const FIRST_BATCH_TICKS: u32 = 50;
/// Wall time a batch aims at: short enough for a prompt stop, long enough that the submission
/// costs nothing.
const BATCH_SECONDS: f64 = 0.1;

impl GpuEngine {
    /// Advances every machine of the batch `ticks` ticks (each having begun its run): uploads
    /// their state, runs submissions, reads the recordings and state back into each. Returns per
    /// machine its ticks run or its error, and the ticks the batch ran.
    fn advance_all(
        &mut self,
        machines: &mut [&mut Machine],
        ticks: u32,
        progress: &mut dyn FnMut(u32) -> RunControl,
    ) -> (Vec<Result<u32>>, u32) {
        if let Err(e) = self.check_batch(machines) {
            return (errors_for_all(e, machines.len()), 0);
        }
        if ticks == 0 {
            return (machines.iter().map(|_| Ok(0)).collect(), 0);
        }
        if let Err(e) = self.write_image_if_changed(machines) {
            return (errors_for_all(e, machines.len()), 0);
        }
        let parts: Vec<HostState> = machines.iter().map(|m| transfer::pack(m, &self.image)).collect();
        let mut state = HostState::concat(&parts);
        self.res.write_state(&self.ctx, &state);
        let mut runs = vec![InstanceRun::default(); machines.len()];
        let t_start = machines[0].tick();
        let done = self.run_batches(machines, &mut runs, &mut state, t_start, ticks, progress);
        self.settle(machines, &mut runs, &mut state, |_| true);
        let results = machines
            .iter_mut()
            .zip(runs)
            .map(|(m, run)| {
                m.ticks_run(run.done);
                match run.failure {
                    Some(e) => Err(Error::Run(format!(
                        "{e}; the run stopped after {} of {ticks} ticks, and what was recorded until then is kept",
                        run.done
                    ))),
                    None => Ok(run.done),
                }
            })
            .collect();
        (results, done)
    }

    /// Reads the state back and writes it into the machines of the instances not yet settled for
    /// which `which` holds. A failed read-back is the failure of each of them still running.
    fn settle(
        &mut self,
        machines: &mut [&mut Machine],
        runs: &mut [InstanceRun],
        state: &mut HostState,
        which: impl Fn(&InstanceRun) -> bool,
    ) {
        if !runs.iter().any(|r| !r.settled && which(r)) {
            return;
        }
        if let Err(e) = self.res.read_state(&self.ctx, state) {
            runs.iter_mut().filter(|r| r.running()).for_each(|r| r.failure = Some(e.to_string()));
            return;
        }
        for (i, (m, run)) in machines.iter_mut().zip(runs.iter_mut()).enumerate() {
            if !run.settled && which(run) {
                transfer::unpack(m, &self.image, &state.instance(i, &self.image.sizes));
                run.settled = true;
            }
        }
    }

    /// Runs `ticks` ticks from tick `t_start` in submissions, until done, until `progress` asks
    /// to stop or until every instance has failed; returns the ticks run. Submissions are sized
    /// to take about [`BATCH_SECONDS`] each (at most the options' `max_batch_ticks`), so that
    /// progress and a stop request are seen promptly on any device; the results do not depend on
    /// where they begin. A failure of the submission (or of its plan) is every running
    /// instance's; a failure in an instance's control words is its own, and its state is read
    /// back then, while the others run on.
    fn run_batches(
        &mut self,
        machines: &mut [&mut Machine],
        runs: &mut [InstanceRun],
        state: &mut HostState,
        t_start: u32,
        ticks: u32,
        progress: &mut dyn FnMut(u32) -> RunControl,
    ) -> u32 {
        let most = self.options.max_batch_ticks.unwrap_or(1000).max(1);
        let mut size = most.min(FIRST_BATCH_TICKS);
        let mut done = 0u32;
        while done < ticks && runs.iter().any(InstanceRun::running) {
            let started = std::time::Instant::now();
            // A failed submission's ticks may have run in part: the state is read back as the GPU
            // holds it, but only whole submissions count as run.
            let submitted = record::plan(&self.image, t_start + done, (ticks - done).min(size), &self.ctx)
                .and_then(|batch| Ok((self.res.run_batch(&self.ctx, &self.image, &batch, &mut self.stats)?, batch)));
            let ((words, control), batch) = match submitted {
                Ok(r) => r,
                Err(e) => {
                    runs.iter_mut().filter(|r| r.running()).for_each(|r| r.failure = Some(e.to_string()));
                    break;
                }
            };
            done += batch.ticks;
            let stride = batch.record_words as usize;
            for (i, (m, run)) in machines.iter_mut().zip(runs.iter_mut()).enumerate() {
                if run.running() {
                    record::decode(m, &self.image, &batch, &words[i * stride..(i + 1) * stride]);
                    run.done = done;
                    run.failure = self.failure_of(control[i * CONTROL_WORDS + CTL_ERRORS as usize]);
                }
            }
            if runs.iter().any(InstanceRun::running) {
                // Those that failed now keep the state of this submission's end.
                self.settle(machines, runs, state, |r| !r.running());
            }
            if done < ticks && progress(done).is_break() {
                break;
            }
            let per_tick = started.elapsed().as_secs_f64() / batch.ticks as f64;
            size = ((BATCH_SECONDS / per_tick.max(1e-9)) as u32).clamp(1, most);
        }
        done
    }

    /// The failure an instance's error bits mean, if any.
    fn failure_of(&self, errors: u32) -> Option<String> {
        if errors & ERR_RING_OVERFLOW != 0 {
            return Some(
                "a ring-buffer entry received more than 2^32 - 1 in weights within its delay window".to_string(),
            );
        }
        if errors & ERR_LOOP_LIMIT != 0 {
            return Some(format!(
                "the GPU driver of `{}` cut a shader's loops short (Mesa's llvmpipe, lavapipe, ends an invocation's \
                 loops after 65535 iterations in all), so the results would be wrong: a tick of this network is too \
                 busy for this device; use a hardware GPU or the CPU engine",
                self.ctx.adapter.name
            ));
        }
        None
    }

    /// Writes the image again when a machine's changed since it was written (new parameters,
    /// spike times or rates between runs), checking the batch's structure again.
    fn write_image_if_changed(&mut self, machines: &[&mut Machine]) -> Result<()> {
        if machines.iter().zip(&self.built_from).all(|(m, &v)| m.image_version() == v) {
            return Ok(());
        }
        let all: Vec<&Machine> = machines.iter().map(|m| &**m).collect();
        let image = batch::merge(&all)?;
        // The rows (so the synaptic words) of a machine do not change between runs.
        debug_assert_eq!(image.sizes.word_stride, self.image.sizes.word_stride);
        self.res.write_image(&self.ctx, &image, &self.options)?;
        self.image = image;
        self.built_from = machines.iter().map(|m| m.image_version()).collect();
        Ok(())
    }
}

impl Engine for GpuEngine {
    fn advance(
        &mut self,
        machine: &mut Machine,
        ticks: u32,
        progress: &mut dyn FnMut(u32) -> RunControl,
    ) -> Result<u32> {
        let (mut results, done) = self.advance_all(&mut [machine], ticks, progress);
        let result = results.pop().expect("the result of the one machine");
        if result.is_err() {
            let _ = progress(done);
        }
        result
    }

    fn backend(&self) -> Backend {
        Backend::Gpu
    }

    fn adapter(&self) -> Option<&device::AdapterSummary> {
        Some(&self.ctx.adapter)
    }
}
