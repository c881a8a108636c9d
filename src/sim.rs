//! A simulation as a PyNN script drives it: run for some ms, change parameters, run again, reset.

use crate::engine::cpu::CpuEngine;
use crate::engine::gpu::device::AdapterSummary;
use crate::engine::gpu::GpuEngine;
use crate::engine::{Backend, Engine, RunControl};
use crate::error::{Error, Result};
use crate::machine::{Machine, ResetMode};
use crate::mapping::shifts::weight_scale;
use crate::mapping::{remap_population, MachineImage, MapOptions, MapStep};
use crate::model::{CurrentSourceKind, Network, SpikeTimes, Values};
use crate::record::arrow::{provenance_batch, samples_batch, spikes_batch, RunMetadata};
use crate::record::{Provenance, Recordings};
use arrow_array::RecordBatch;

/// Ticks for `ms` of model time at timestep `dt` ms: `ceil(ms / dt)`, as sPyNNaker counts them.
pub fn ticks_for(ms: f64, dt: f64) -> Result<u32> {
    if !ms.is_finite() || ms < 0.0 {
        return Err(Error::Run(format!("run time {ms} ms must be a finite number >= 0")));
    }
    let ticks = (ms / dt - 1e-9).ceil().max(0.0);
    if ticks > u32::MAX as f64 {
        return Err(Error::Run(format!("{ms} ms is more than 2^32 ticks")));
    }
    Ok(ticks as u32)
}

/// A mapped network: its machine state and the engine that advances it.
pub struct Simulation {
    network: Network,
    machine: Machine,
    engine: Box<dyn Engine>,
    /// Why `Backend::Auto` runs on the CPU although a hardware GPU is present (the GPU engine
    /// refused the network or the device); reported with the warnings too.
    gpu_fallback: Option<String>,
}

impl Simulation {
    /// A simulation on the CPU engine (`threads` worker threads; default: all cores).
    pub fn new(network: Network, options: MapOptions, threads: Option<usize>) -> Result<Self> {
        Self::with_backend(network, options, threads, Backend::Cpu)
    }

    /// A simulation on the engine `backend` chooses (see [`Backend`]): `Auto` takes the GPU engine
    /// when a hardware GPU is present and falls back to the CPU engine, with a warning, when the
    /// GPU engine cannot take the network; `Gpu` fails when no adapter can run it. `threads` is
    /// for the CPU engine only.
    pub fn with_backend(
        network: Network,
        options: MapOptions,
        threads: Option<usize>,
        backend: Backend,
    ) -> Result<Self> {
        Self::with_progress(network, options, threads, backend, &|_| {})
    }

    /// As [`Simulation::with_backend`], telling `progress` how far the mapping is (the engine
    /// starts after [`MapStep::Mapped`]).
    pub fn with_progress(
        network: Network,
        options: MapOptions,
        threads: Option<usize>,
        backend: Backend,
        progress: &(dyn Fn(MapStep) + Sync),
    ) -> Result<Self> {
        let machine = Machine::map(&network, options, progress)?;
        let cpu = CpuEngine::new(threads)?;
        let mut gpu_fallback = None;
        let engine: Box<dyn Engine> = match backend.resolve() {
            Backend::Gpu if backend == Backend::Auto => match GpuEngine::new(&machine) {
                Ok(g) => Box::new(g),
                Err(e) => {
                    gpu_fallback =
                        Some(format!("backend auto: the GPU engine could not start ({e}); running on the CPU engine"));
                    Box::new(cpu)
                }
            },
            Backend::Gpu => Box::new(GpuEngine::new(&machine)?),
            _ => Box::new(cpu),
        };
        Ok(Simulation { network, machine, engine, gpu_fallback })
    }

    /// The engine that runs: [`Backend::Cpu`] or [`Backend::Gpu`] (never `Auto`).
    pub fn backend(&self) -> Backend {
        self.engine.backend()
    }

    /// `cpu` or `gpu`: the engine that runs.
    pub fn backend_name(&self) -> &'static str {
        self.backend().name()
    }

    /// Why `Backend::Auto` runs on the CPU engine although a hardware GPU is present.
    pub fn gpu_fallback(&self) -> Option<&str> {
        self.gpu_fallback.as_deref()
    }

    /// The GPU adapter the engine runs on (None on the CPU engine).
    pub fn adapter(&self) -> Option<&AdapterSummary> {
        self.engine.adapter()
    }

    /// Packets whose key matched no routing entry, since the start.
    pub fn unrouted_packets(&self) -> u64 {
        self.machine.unrouted_packets()
    }

    pub fn network(&self) -> &Network {
        &self.network
    }

    pub fn image(&self) -> &MachineImage {
        self.machine.image()
    }

    /// The machine state: what the engine advances.
    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    /// Keeps a spike tally per recorded neuron instead of its spikes, from tick 0 (see
    /// [`Machine::tally_spikes`]): the spike recordings stay empty, and
    /// `spinnsim::sweep::summary::summarize_tallies` gives the summary they would have given.
    pub fn tally_spikes(&mut self) -> Result<()> {
        self.machine.tally_spikes()
    }

    /// The machine state, for an engine that advances many simulations' machines together (a
    /// sweep's batch on the GPU).
    pub(crate) fn machine_mut(&mut self) -> &mut Machine {
        &mut self.machine
    }

    /// Ticks for `ms` of model time: `ceil(ms / dt)`, as sPyNNaker counts them.
    pub fn ticks_for(&self, ms: f64) -> Result<u32> {
        ticks_for(ms, self.network.timestep)
    }

    /// Runs for `ms` more model time.
    pub fn run(&mut self, ms: f64) -> Result<()> {
        let ticks = self.ticks_for(ms)?;
        self.run_ticks(ticks)
    }

    /// Runs for `ticks` more timesteps.
    pub fn run_ticks(&mut self, ticks: u32) -> Result<()> {
        self.check_recording_fits(ticks, 0.0)?;
        self.engine.run(&mut self.machine, ticks)
    }

    /// Refuses a run whose recordings would not fit in memory: each value sampled takes 4 bytes
    /// while recorded, plus `bytes_per_sample` more for what the caller makes of them (the
    /// command line's Arrow tables). The recorded spikes, whose number nobody knows before the
    /// run, are not counted.
    pub fn check_recording_fits(&self, ticks: u32, bytes_per_sample: f64) -> Result<()> {
        let samples = self.image().samples_in(self.tick(), ticks) as f64;
        let need = samples * (4.0 + bytes_per_sample);
        // Small recordings need no look at the machine.
        if need < (64u64 << 20) as f64 {
            return Ok(());
        }
        let have = crate::mapping::memory::available_bytes();
        if need > have {
            use crate::mapping::memory::human_bytes;
            return Err(Error::Run(format!(
                "the {samples:.0} values this run of {ticks} ticks would record (v and gsyn of the recorded neurons, at \
                 their sampling intervals) need {}, but only {} is available: record fewer neurons, sample less often, \
                 or run in shorter parts and save the recordings in between",
                human_bytes(need),
                human_bytes(have)
            )));
        }
        Ok(())
    }

    /// Runs for `ticks` more timesteps as one run, telling `progress` how many are done; when it
    /// answers `Break` (a user's interrupt), the run ends soon after at a tick boundary, as a run
    /// of that many ticks would. Returns the ticks run.
    pub fn run_ticks_with_progress(&mut self, ticks: u32, progress: &mut dyn FnMut(u32) -> RunControl) -> Result<u32> {
        self.check_recording_fits(ticks, 0.0)?;
        self.engine.run_with_progress(&mut self.machine, ticks, progress)
    }

    /// Model time run since the last reset, in ms.
    pub fn current_time(&self) -> f64 {
        self.tick() as f64 * self.network.timestep
    }

    /// Ticks run since the last reset.
    pub fn tick(&self) -> u32 {
        self.machine.tick()
    }

    /// Resets to tick 0 (by default as sPyNNaker's soft reset: see [`ResetMode`]).
    pub fn reset(&mut self) {
        self.machine.reset();
    }

    pub fn set_reset_mode(&mut self, mode: ResetMode) {
        self.machine.set_reset_mode(mode);
    }

    /// What the user should know about the runs so far (mapping and reset warnings).
    pub fn warnings(&self) -> Vec<String> {
        self.gpu_fallback.iter().chain(&self.machine.image().warnings).chain(self.machine.warnings()).cloned().collect()
    }

    fn population(&self, label: &str) -> Result<usize> {
        self.network
            .population_index(label)
            .ok_or_else(|| Error::Network(format!("no population is labelled `{label}`")))
    }

    /// Sets a parameter of a population, as `Population.set` does between runs, or an initial value
    /// (`initialize`), which takes effect at the next run that starts at tick 0: now if the
    /// simulation is at tick 0 (before its first run or after a reset), otherwise after the next reset.
    pub fn set(&mut self, population: &str, parameter: &str, values: Values) -> Result<()> {
        let pi = self.population(population)?;
        let mut net = self.network.clone();
        let p = &mut net.populations[pi];
        let initial = p.cell_type.initial_values().iter().any(|s| s.name == parameter);
        if initial {
            p.initial_values.insert(parameter.to_string(), values);
        } else {
            p.parameters.insert(parameter.to_string(), values);
        }
        net.validate()?;
        self.machine.update_image(|image| remap_population(&net, pi, image))?;
        if net.populations[pi].cell_type == crate::model::CellType::SpikeSourcePoisson {
            self.machine.poisson_rates_written(pi);
        }
        self.network = net;
        // At tick 0 the host writes the initial state before the run starts.
        if initial && self.tick() == 0 {
            self.machine.load_initial_values(pi)?;
        }
        Ok(())
    }

    /// Changes the parameters of current source `index` (its position in the network's list), as
    /// `set_parameters` between runs does; the host rewrites the region and the binary reloads it
    /// at the next run (step sources replay from their first step, docs/decisions.md D6).
    pub fn set_current_source(&mut self, index: usize, source: CurrentSourceKind) -> Result<()> {
        let mut net = self.network.clone();
        let n = net.current_sources.len();
        let cs = net
            .current_sources
            .get_mut(index)
            .ok_or_else(|| Error::Run(format!("there is no current source {index} (the network has {n})")))?;
        if std::mem::discriminant(&cs.source) != std::mem::discriminant(&source) {
            return Err(Error::param(
                format!("current source {index}"),
                "type",
                "cannot change the type of a current source",
            ));
        }
        cs.source = source;
        let pi = self.population(&cs.population)?;
        net.validate()?;
        self.machine.update_image(|image| remap_population(&net, pi, image))?;
        self.network = net;
        Ok(())
    }

    /// Replaces the spike times of a SpikeSourceArray; spikes at or after the current time are sent.
    pub fn set_spike_times(&mut self, population: &str, times: SpikeTimes) -> Result<()> {
        let pi = self.population(population)?;
        let mut net = self.network.clone();
        net.populations[pi].spike_times = Some(times);
        net.validate()?;
        self.machine.update_image(|image| remap_population(&net, pi, image))?;
        self.network = net;
        Ok(())
    }

    /// The connections of a projection read back from its rows, as sPyNNaker's `Projection.get`
    /// does: `[pre, post, weight, delay_ms]`, the weight being the 16-bit row weight divided by the
    /// weight scale of its synapse type (nA or µS), sorted by pre, post and delay.
    pub fn connections(&self, projection: usize) -> Result<Vec<[f64; 4]>> {
        let proj = self.network.projections.get(projection).ok_or_else(|| {
            Error::Run(format!(
                "there is no projection {projection} (the network has {})",
                self.network.projections.len()
            ))
        })?;
        let post = self.population(&proj.post)?;
        let shifts = self.image().ring_buffer_shifts[post].unwrap_or([0, 0]);
        let w_scale = self.network.populations[post].cell_type.global_weight_scale();
        let dt = self.network.timestep;
        Ok(self
            .machine
            .connections(projection)
            .into_iter()
            .map(|s| {
                let scale = weight_scale(shifts[s.synapse_type.min(1) as usize], w_scale);
                [s.pre as f64, s.post as f64, s.weight as f64 / scale, s.delay as f64 * dt]
            })
            .collect())
    }

    fn metadata(&self) -> RunMetadata {
        RunMetadata {
            timestep_ms: self.network.timestep,
            profile: self.image().profile.name().into(),
            seed: self.network.seed,
            unseeded: crate::mapping::seeds::unseeded_machine_draws(&self.network, self.image()),
            unseeded_projections: self.image().unseeded_projections.clone(),
        }
    }

    /// The spikes recorded so far as an Arrow record batch (the `spikes` table of the README).
    pub fn spikes_batch(&self) -> Result<RecordBatch> {
        spikes_batch(&self.recordings(), &self.image().population_labels, &self.metadata())
    }

    /// The sampled values recorded so far as an Arrow record batch (the `samples` table).
    pub fn samples_batch(&self) -> Result<RecordBatch> {
        samples_batch(&self.recordings(), &self.image().population_labels, &self.metadata())
    }

    /// The connections of the projections `which` (indices), as they are now, as an Arrow record
    /// batch; a projection without a label is named `pre->post`.
    pub fn connections_batch(&self, which: &[usize]) -> Result<RecordBatch> {
        let mut tables = Vec::new();
        let names: Vec<String> = which
            .iter()
            .map(|&i| {
                let p = &self.network.projections[i];
                p.label.clone().unwrap_or_else(|| format!("{}->{}", p.pre, p.post))
            })
            .collect();
        for (&i, name) in which.iter().zip(&names) {
            tables.push((name.as_str(), self.connections(i)?));
        }
        crate::record::arrow::connections_batch(&tables, &self.metadata())
    }

    /// The provenance counters of every core as an Arrow record batch.
    pub fn provenance_batch(&self) -> Result<RecordBatch> {
        let image = self.image();
        let labels: Vec<&str> = image.cores.iter().map(|c| image.population_labels[c.population].as_str()).collect();
        provenance_batch(&self.provenance(), &labels, &self.metadata())
    }

    pub fn recordings(&self) -> Recordings {
        self.machine.recordings()
    }

    pub fn provenance(&self) -> Vec<Provenance> {
        self.machine.provenance()
    }
}
