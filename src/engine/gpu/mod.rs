//! The GPU engine: the mapped network in WGSL compute shaders through wgpu, with the results of
//! the CPU reference engine bit for bit.
//!
//! A tick is seven dispatches (see [`shaders`]), many ticks are encoded per submission, the
//! number of row jobs (which varies with the spikes) sizes the synaptic stage by indirect
//! dispatch, and recordings come back in batches through a staging buffer. Between runs the
//! state is held in the CPU engine's form, so that resets, parameter changes and resumes share
//! the CPU engine's code; each run uploads it and downloads it at its end.

pub mod device;
pub mod layout;
mod record;
mod resources;
pub mod shaders;
mod transfer;

use super::cpu::CpuEngine;
use super::{Engine, Provenance, ResetMode, RowSynapse, RunControl};
use crate::error::{Error, Result};
use crate::mapping::MachineImage;
use crate::record::Recordings;
use device::GpuContext;
use layout::StaticImage;
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

/// The GPU engine over one machine image.
pub struct GpuEngine {
    /// The image, the packed rows and, between runs, the core state.
    cpu: CpuEngine,
    ctx: GpuContext,
    image: StaticImage,
    res: Resources,
    options: GpuOptions,
    image_changed: bool,
    pub stats: RunStats,
}

impl GpuEngine {
    /// An engine on the best adapter (see [`GpuContext::open`]).
    pub fn new(image: MachineImage) -> Result<Self> {
        Self::with_options(image, GpuOptions::default())
    }

    pub fn with_options(image: MachineImage, options: GpuOptions) -> Result<Self> {
        let ctx = GpuContext::open()?;
        Self::on_context(ctx, image, options)
    }

    pub fn on_context(ctx: GpuContext, image: MachineImage, options: GpuOptions) -> Result<Self> {
        let cpu = CpuEngine::with_threads(image, Some(1))?;
        let img = StaticImage::build(&cpu)?;
        let res = Resources::new(&ctx, &cpu, &img, &options)?;
        Ok(GpuEngine { cpu, ctx, image: img, res, options, image_changed: false, stats: RunStats::default() })
    }

    /// The adapter the engine runs on.
    pub fn adapter(&self) -> &device::AdapterSummary {
        &self.ctx.adapter
    }

    pub fn image(&self) -> &MachineImage {
        self.cpu.image()
    }

    pub fn set_reset_mode(&mut self, mode: ResetMode) {
        self.cpu.set_reset_mode(mode);
    }

    pub fn warnings(&self) -> &[String] {
        self.cpu.warnings()
    }

    pub fn load_initial_values(&mut self, population: usize) -> Result<()> {
        self.cpu.load_initial_values(population)
    }

    pub fn poisson_rates_written(&mut self, population: usize) {
        self.cpu.poisson_rates_written(population)
    }

    pub fn update_image(&mut self, f: impl FnOnce(&mut MachineImage) -> Result<()>) -> Result<()> {
        self.cpu.update_image(f)?;
        self.image_changed = true;
        Ok(())
    }

    pub fn connections(&self, projection: usize) -> Vec<RowSynapse> {
        self.cpu.connections(projection)
    }

    /// Packets whose key matched no routing entry.
    pub fn unrouted_packets(&self) -> u64 {
        self.cpu.unrouted_packets
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
            record::decode(&mut self.cpu, &self.image, &batch, &words);
            done += batch.ticks;
            if control[4] & 1 != 0 {
                return (
                    done,
                    Some(
                        "a ring-buffer entry received more than 2^32 - 1 in weights within its delay window"
                            .to_string(),
                    ),
                );
            }
            if control[4] != 0 {
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

impl Engine for GpuEngine {
    fn run_with_progress(&mut self, ticks: u32, progress: &mut dyn FnMut(u32) -> RunControl) -> Result<u32> {
        self.cpu.begin_run(ticks)?;
        if ticks == 0 {
            return Ok(0);
        }
        if self.image_changed {
            self.image = StaticImage::build(&self.cpu)?;
            self.res.write_image(&self.ctx, &self.image, &self.options)?;
            self.image_changed = false;
        }
        let state = transfer::pack(&self.cpu, &self.image);
        self.res.write_state(&self.ctx, &state);
        let (done, failure) = self.run_batches(self.cpu.tick, ticks, progress);
        let mut state = state;
        self.res.read_state(&self.ctx, &mut state)?;
        transfer::unpack(&mut self.cpu, &self.image, &state);
        self.cpu.advance(done);
        let _ = progress(done);
        match failure {
            Some(e) => Err(Error::Run(format!(
                "{e}; the run stopped after {done} of {ticks} ticks, and what was recorded until then is kept"
            ))),
            None => Ok(done),
        }
    }

    fn reset(&mut self) {
        self.cpu.reset();
    }

    fn tick(&self) -> u32 {
        self.cpu.tick()
    }

    fn recordings(&self) -> Recordings {
        self.cpu.recordings()
    }

    fn provenance(&self) -> Vec<Provenance> {
        self.cpu.provenance()
    }
}
