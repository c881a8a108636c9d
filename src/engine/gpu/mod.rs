//! The GPU engine: the mapped network in WGSL compute shaders through wgpu, with the results of
//! the CPU reference engine bit for bit.
//!
//! A tick is eight dispatches, seven without STDP (see [`shaders`]), many ticks are encoded per submission, the
//! number of row jobs (which varies with the spikes) sizes the synaptic stage by indirect
//! dispatch, and recordings come back in batches through a staging buffer. Between runs the
//! state is held by the [`Machine`], where resets, parameter changes and resumes are written
//! once for both engines; each run uploads it and downloads it at its end.

pub mod device;
pub mod layout;
mod record;
mod resources;
pub mod shaders;
mod transfer;

use super::{Backend, Engine, RunControl};
use crate::error::{Error, Result};
use crate::machine::Machine;
use device::GpuContext;
use layout::{StaticImage, CTL_ERRORS, ERR_LOOP_LIMIT, ERR_RING_OVERFLOW};
use resources::Resources;

/// Choices a test or a benchmark can force; the defaults follow the device's limits.
#[derive(Clone, Copy, Debug, Default)]
pub struct GpuOptions {
    /// Synaptic words per chunk (log2); default: the largest the storage-binding limit allows.
    pub words_chunk_log2: Option<u32>,
    /// Ring-buffer entries per chunk (log2); default as above.
    pub ring_chunk_log2: Option<u32>,
    /// Row jobs a tick can queue; past it, spike_route makes the adds itself.
    pub job_capacity: Option<u32>,
    /// Ticks per submission at most (default 1000).
    pub max_batch_ticks: Option<u32>,
}

/// What a run cost, for benchmarks.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunStats {
    pub ticks: u64,
    pub dispatches: u64,
    pub submissions: u64,
}

/// The GPU engine: a device and the buffers and pipelines of one machine's image.
pub struct GpuEngine {
    ctx: GpuContext,
    /// The machine image in the GPU's layout, built from [`Machine::image_version`] `built_from`.
    image: StaticImage,
    built_from: u64,
    res: Resources,
    options: GpuOptions,
    pub stats: RunStats,
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

    /// An engine for `machine` on the device of `ctx`: its image in the GPU's layout, buffers and pipelines.
    pub fn on_context(ctx: GpuContext, machine: &Machine, options: GpuOptions) -> Result<Self> {
        let image = StaticImage::build(machine)?;
        let res = Resources::new(&ctx, machine, &image, &options)?;
        let built_from = machine.image_version();
        Ok(GpuEngine { ctx, image, built_from, res, options, stats: RunStats::default() })
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

    /// Synaptic words on the GPU (one per synapse).
    pub fn synaptic_words(&self) -> u64 {
        self.image.n_words
    }

    /// Runs `ticks` ticks from tick `t_start` in batches (one submission each), until done, until
    /// `progress` asks to stop or until a batch fails; returns the ticks of the whole batches run
    /// and the failure. Batches are sized to take about [`BATCH_SECONDS`] each (at most the
    /// options' `max_batch_ticks`), so that progress and a stop request are seen promptly on any
    /// device; the results do not depend on where batches begin.
    fn run_batches(
        &mut self,
        machine: &mut Machine,
        t_start: u32,
        ticks: u32,
        progress: &mut dyn FnMut(u32) -> RunControl,
    ) -> (u32, Option<String>) {
        let most = self.options.max_batch_ticks.unwrap_or(1000).max(1);
        let mut size = most.min(FIRST_BATCH_TICKS);
        let mut done = 0u32;
        while done < ticks {
            let batch = match record::plan(&self.image, t_start + done, (ticks - done).min(size), &self.ctx) {
                Ok(b) => b,
                Err(e) => return (done, Some(e.to_string())),
            };
            let started = std::time::Instant::now();
            // A failed batch's ticks may have run in part: the state is read back as the GPU holds it,
            // but only whole batches count as run.
            let (words, control) = match self.res.run_batch(&self.ctx, &self.image, &batch, &mut self.stats) {
                Ok(r) => r,
                Err(e) => return (done, Some(e.to_string())),
            };
            record::decode(machine, &self.image, &batch, &words);
            done += batch.ticks;
            if control[CTL_ERRORS as usize] & ERR_RING_OVERFLOW != 0 {
                return (
                    done,
                    Some(
                        "a ring-buffer entry received more than 2^32 - 1 in weights within its delay window"
                            .to_string(),
                    ),
                );
            }
            if control[CTL_ERRORS as usize] & ERR_LOOP_LIMIT != 0 {
                return (done, Some(format!(
                    "the GPU driver of `{}` cut a shader's loops short (Mesa's llvmpipe, lavapipe, ends an invocation's \
                     loops after 65535 iterations in all), so the results would be wrong: a tick of this network is too \
                     busy for this device; use a hardware GPU or the CPU engine",
                    self.ctx.adapter.name
                )));
            }
            if done < ticks && progress(done).is_break() {
                break;
            }
            let per_tick = started.elapsed().as_secs_f64() / batch.ticks as f64;
            size = ((BATCH_SECONDS / per_tick.max(1e-9)) as u32).clamp(1, most);
        }
        (done, None)
    }
}

/// Ticks of a run's first batch, before the device's speed on the network is known.
const FIRST_BATCH_TICKS: u32 = 50;
/// Wall time a batch aims at: short enough for a prompt stop, long enough that the submission
/// costs nothing.
const BATCH_SECONDS: f64 = 0.1;

impl GpuEngine {
    /// Writes the image again when the machine's changed since it was written (new parameters,
    /// spike times or rates between runs).
    fn write_image_if_changed(&mut self, machine: &Machine) -> Result<()> {
        if machine.image_version() == self.built_from {
            return Ok(());
        }
        self.image = StaticImage::build(machine)?;
        self.res.write_image(&self.ctx, &self.image, &self.options)?;
        self.built_from = machine.image_version();
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
        if ticks == 0 {
            return Ok(0);
        }
        self.write_image_if_changed(machine)?;
        let mut state = transfer::pack(machine, &self.image);
        self.res.write_state(&self.ctx, &state);
        let (done, failure) = self.run_batches(machine, machine.tick(), ticks, progress);
        self.res.read_state(&self.ctx, &mut state)?;
        transfer::unpack(machine, &self.image, &state);
        machine.ticks_run(done);
        match failure {
            Some(e) => {
                let _ = progress(done);
                Err(Error::Run(format!(
                    "{e}; the run stopped after {done} of {ticks} ticks, and what was recorded until then is kept"
                )))
            }
            None => Ok(done),
        }
    }

    fn backend(&self) -> Backend {
        Backend::Gpu
    }

    fn adapter(&self) -> Option<&device::AdapterSummary> {
        Some(&self.ctx.adapter)
    }
}
