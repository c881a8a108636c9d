//! The host-side state of a SpiNNaker machine running one image: the image (parameters, tables,
//! routes), each core's synaptic rows packed, each core's run state (membranes, ring buffers,
//! RNGs, recordings, provenance), the tick and the segment, and what changes them between runs
//! (`Population.set`, `initialize`, reset, reload). Engines (`crate::engine`) advance it tick by
//! tick; everything else about a run is written here once, for both.
//!
//! A sweep batch is n machines of images of one mapped structure whose values differ, advanced
//! together by one GPU engine (`crate::engine::gpu::GpuEngine::for_batch`); `Engine::advance`
//! advances one machine, the batch of one.

pub mod poisson;
pub mod recording;
pub mod rows;
pub mod state;
mod structure;

use crate::error::{Error, Result};
use crate::mapping::words::{half_word, synapse_weight, SynapseFields};
use crate::mapping::{map_with_rows, CoreKind, MachineImage, MapOptions, MapStep, MatrixBlock};
use crate::model::Network;
use crate::record::{Provenance, Recordings, SpikeTally};
use rayon::prelude::*;
use rows::CompactMatrix;
use state::{CoreRun, CoreState};
use std::sync::Mutex;

/// A synapse as a row holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowSynapse {
    pub pre: u32,
    pub post: u32,
    pub synapse_type: u32,
    pub weight: u16,
    /// Total delay in ticks (delay-extension stages included).
    pub delay: u32,
}

/// What `reset()` does to the cores (docs/decisions.md D5, D8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ResetMode {
    /// As sPyNNaker 7.4.1 resets a network without plastic synapses: the binaries keep running, so
    /// neuron cores keep their colour counters and delay extensions keep the spikes they hold.
    #[default]
    Soft,
    /// As if the binaries were loaded again: every core starts fresh.
    Reload,
}

/// The machine state of one image.
pub struct Machine {
    /// The machine image, less the padded synaptic matrices (see `rows`).
    pub(crate) image: MachineImage,
    /// Per core, its synaptic rows packed.
    pub(crate) rows: Vec<CompactMatrix>,
    /// Per core, its state.
    pub(crate) runs: Vec<CoreRun>,
    /// For each delay core, the mask of the pre-synaptic core it mirrors.
    pub(crate) delay_src_masks: Vec<u32>,
    pub(crate) tick: u32,
    segment: u32,
    /// The recordings of the segments before the last reset.
    finished: Recordings,
    /// Packets whose key matched no routing entry.
    pub(crate) unrouted_packets: u64,
    reset_mode: ResetMode,
    /// Ticks run since the cores were (re)loaded.
    ticks_since_load: u64,
    warnings: Vec<String>,
    /// Incremented whenever the image changes between runs, so that an engine holding a copy
    /// of it (the GPU's buffers) knows to write it again.
    image_version: u64,
    /// Whether recorded spikes are tallied instead of kept ([`Machine::tally_spikes`]).
    spike_tallies: bool,
}

impl Machine {
    /// Maps `net` and loads it, packing each core's rows as soon as the mapping has written them:
    /// the machine [`Machine::new`] makes of [`map_with_progress`](crate::mapping::map_with_progress)'s
    /// image, without the image ever
    /// holding every core's padded matrix (the peak memory of a large network's mapping).
    pub fn map(net: &Network, opts: MapOptions, progress: &(dyn Fn(MapStep) + Sync)) -> Result<Self> {
        let packed = Mutex::new(Vec::new());
        let image = map_with_rows(net, opts, progress, &|core, rows| {
            let rows = CompactMatrix::from_rows(rows);
            packed.lock().expect("no packing panics").push((core, rows));
            true
        })?;
        Self::with_rows(image, packed.into_inner().expect("no packing panics"))
    }

    /// The machine with `image` loaded, at tick 0.
    pub fn new(image: MachineImage) -> Result<Self> {
        Self::with_rows(image, Vec::new())
    }

    /// [`Machine::new`], with the rows of some cores already packed (`(core, rows)`).
    fn with_rows(image: MachineImage, packed: Vec<(usize, CompactMatrix)>) -> Result<Self> {
        let delay_src_masks = image
            .cores
            .iter()
            .map(|c| match c.kind {
                CoreKind::Delay(_) => {
                    let cores = &image.population_cores[c.population];
                    cores
                        .iter()
                        .map(|&i| &image.cores[i as usize])
                        .find(|s| s.lo_atom == c.lo_atom)
                        .map(|s| s.mask)
                        .unwrap_or(0)
                }
                _ => 0,
            })
            .collect();
        // The machine keeps the rows packed; the padded sPyNNaker layout is dropped from its image.
        let mut image = image;
        let mut by_core: Vec<Option<CompactMatrix>> = (0..image.cores.len()).map(|_| None).collect();
        for (core, rows) in packed {
            by_core[core] = Some(rows);
        }
        let rows: Vec<CompactMatrix> = image
            .cores
            .par_iter_mut()
            .zip(by_core.par_iter_mut())
            .map(|(c, packed)| match &mut c.kind {
                CoreKind::Neuron(nc) => {
                    let rows = packed.take().unwrap_or_else(|| CompactMatrix::new(nc));
                    nc.synaptic_matrix = Vec::new();
                    rows
                }
                _ => CompactMatrix::default(),
            })
            .collect();
        let runs = image.cores.iter().zip(&rows).map(|(c, r)| CoreRun::loaded(c, r, 0)).collect();
        Ok(Machine {
            image,
            rows,
            runs,
            delay_src_masks,
            tick: 0,
            segment: 0,
            finished: Recordings::default(),
            unrouted_packets: 0,
            reset_mode: ResetMode::default(),
            ticks_since_load: 0,
            warnings: Vec::new(),
            image_version: 0,
            spike_tallies: false,
        })
    }

    pub fn image(&self) -> &MachineImage {
        &self.image
    }

    /// Per core, its synaptic rows packed.
    pub fn rows(&self) -> &[CompactMatrix] {
        &self.rows
    }

    /// The current tick (number of ticks run since the last reset).
    pub fn tick(&self) -> u32 {
        self.tick
    }

    /// Changes with the image between runs (see [`Machine::update_image`]).
    pub fn image_version(&self) -> u64 {
        self.image_version
    }

    /// Packets whose key matched no routing entry, since the start.
    pub fn unrouted_packets(&self) -> u64 {
        self.unrouted_packets
    }

    /// Chooses what `reset()` does; the default is sPyNNaker's soft reset.
    pub fn set_reset_mode(&mut self, mode: ResetMode) {
        self.reset_mode = mode;
    }

    /// Things about the runs a user should know (for example a reset that changes spike timing).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Rewrites the state of a population's neurons from the image's initial values, as the host
    /// does before a run that starts at tick 0 (after a reset, or before the first run).
    pub fn load_initial_values(&mut self, population: usize) -> Result<()> {
        if self.tick != 0 {
            return Err(Error::Run(
                "initial values can only be loaded at tick 0 (before a run or after a reset)".into(),
            ));
        }
        for &c in &self.image.population_cores[population] {
            let (CoreKind::Neuron(nc), CoreState::Neuron(s)) =
                (&self.image.cores[c as usize].kind, &mut self.runs[c as usize].state)
            else {
                continue;
            };
            let a = &nc.neurons;
            s.v.clone_from(&a.v);
            s.isyn_exc.clone_from(&a.isyn_exc);
            s.isyn_inh.clone_from(&a.isyn_inh);
            if !a.u.is_empty() {
                s.u.clone_from(&a.u);
            }
        }
        Ok(())
    }

    /// Marks the rates of a SpikeSourcePoisson population as rewritten by the host, as any
    /// `Population.set` of a Poisson parameter does even when the values are the same: the next
    /// resume sets every source up again (slow sources draw anew, D10).
    pub fn poisson_rates_written(&mut self, population: usize) {
        if self.tick == 0 {
            return;
        }
        for &c in &self.image.population_cores[population] {
            if let CoreState::Poisson(st) = &mut self.runs[c as usize].state {
                st.rates_changed = true;
            }
        }
    }

    /// Changes the image between runs (new parameters, new spike times), as the host rewrites
    /// regions before resuming. Core state (membranes, ring buffers, RNG) carries on.
    pub fn update_image(&mut self, f: impl FnOnce(&mut MachineImage) -> Result<()>) -> Result<()> {
        let mut image = self.image.clone();
        f(&mut image)?;
        if image.cores.len() != self.image.cores.len() {
            return Err(Error::Run("the network's cores changed; map it again".into()));
        }
        for ((run, old), new) in self.runs.iter_mut().zip(&self.image.cores).zip(&image.cores) {
            let kinds = (&mut run.state, &old.kind, &new.kind);
            if let (CoreState::Poisson(st), CoreKind::Poisson(o), CoreKind::Poisson(n)) = kinds {
                // Rewritten rates: read at start-up (tick 0) or by the next resume (D10).
                if self.tick == 0 {
                    *st = poisson::PoissonState::new(n);
                } else if o.rates != n.rates {
                    st.rates_changed = true;
                }
            }
        }
        self.image = image;
        self.image_version += 1;
        for run in &mut self.runs {
            if let CoreState::SpikeArray { next } = &mut run.state {
                // The host sends the new list's spikes from the current tick on.
                *next = 0;
            }
        }
        Ok(())
    }

    /// What the binaries do when a run starts or resumes, before its first tick.
    pub fn begin_run(&mut self, ticks: u32) -> Result<()> {
        if self.tick.checked_add(ticks).is_none() {
            return Err(Error::Run(format!("{ticks} more ticks would pass the 2^32 tick limit")));
        }
        // Every run() resumes the binaries, which reload the current-source state.
        for (run, core) in self.runs.iter_mut().zip(&self.image.cores) {
            run.step_sources.iter_mut().for_each(|s| *s = (0, 0));
            recording::reserve_samples(core, run, self.tick, ticks);
        }
        // A resume (not a start-up or a reset) re-reads the Poisson rates (D10).
        if self.tick > 0 && ticks > 0 {
            for (run, core) in self.runs.iter_mut().zip(&self.image.cores) {
                if let (CoreState::Poisson(st), CoreKind::Poisson(pc)) = (&mut run.state, &core.kind) {
                    let changed = std::mem::take(&mut st.rates_changed);
                    st.resume(pc, self.tick, changed);
                }
            }
        }
        Ok(())
    }

    /// Counts `ticks` ticks run by an engine.
    pub fn ticks_run(&mut self, ticks: u32) {
        self.tick += ticks;
        self.ticks_since_load += ticks as u64;
    }

    /// Returns to tick 0 with the initial state, as `sim.reset()` does (docs/semantics.md §10).
    pub fn reset(&mut self) {
        let rec = self.recordings();
        self.finished = rec;
        self.segment += 1;
        self.tick = 0;
        let fresh: Vec<CoreRun> =
            self.image.cores.iter().zip(&self.rows).map(|(c, r)| CoreRun::loaded(c, r, self.segment)).collect();
        let old = std::mem::replace(&mut self.runs, fresh);
        if self.spike_tallies {
            self.keep_tallies();
        }
        // With STDP, sPyNNaker regenerates the data and reloads the binaries whatever the mode
        // (docs/stdp.md §8, docs/decisions.md D12): fresh weights, headers, histories and colours.
        let stdp = self.image.cores.iter().any(|c| matches!(&c.kind, CoreKind::Neuron(nc) if nc.stdp.is_some()));
        if stdp && self.reset_mode == ResetMode::Soft {
            let msg =
                "reset of a network with STDP synapses: sPyNNaker 7.4.1 reloads it (initial weights, empty post-spike \
                       histories, fresh colour counters and delay extensions), so the soft reset acts as a Reload \
                       (docs/decisions.md D12)";
            if !self.warnings.iter().any(|w| w == msg) {
                self.warnings.push(msg.to_string());
            }
        }
        if self.reset_mode == ResetMode::Reload || stdp {
            self.ticks_since_load = 0;
            return;
        }
        // The binaries keep running: colour counters and delay-extension slots survive (D5, D8).
        for (new, old) in self.runs.iter_mut().zip(old) {
            match (&mut new.state, old.state) {
                (CoreState::Neuron(n), CoreState::Neuron(o)) => n.colour = o.colour,
                (CoreState::Delay { counters, .. }, CoreState::Delay { counters: c, .. }) => *counters = c,
                _ => {}
            }
        }
        let offset = self.ticks_since_load % 16;
        // Only spikes sent by neuron cores carry the drifting colour.
        let neurons_send = self.image.cores.iter().any(|c| matches!(&c.kind, CoreKind::Neuron(nc) if nc.sends));
        if offset != 0 && neurons_send {
            self.warnings.push(format!(
                "reset after {} ticks (not a multiple of 16): as on SpiNNaker, spikes between neuron populations now arrive \
                 {} ticks early or are skipped, and delayed spikes late; reset in Reload mode for a fresh start",
                self.ticks_since_load,
                (16 - offset) % 16
            ));
        }
    }

    /// Keeps, from tick 0, a [`SpikeTally`] per recorded neuron instead of its spikes: the
    /// spike count and the intervals of the entries its recording would hold, a few words per
    /// neuron instead of a list that grows with every spike (a summary-only sweep). The spike
    /// recordings stay empty. An error after the first tick, or when a spike recording samples
    /// less often than every tick (the GPU tallies spikes tick by tick, as they happen).
    pub fn tally_spikes(&mut self) -> Result<()> {
        if self.tick != 0 || self.segment != 0 {
            return Err(Error::Run("spikes can be tallied only from the start of a run, at tick 0".into()));
        }
        for c in &self.image.cores {
            if let Some(spec) = &c.recording.spikes {
                if spec.rate > 1 && !matches!(c.kind, CoreKind::Poisson(_)) {
                    return Err(Error::Run(format!(
                        "spikes of `{}` are recorded every {} ticks; they can be tallied only when recorded every tick",
                        c.label, spec.rate
                    )));
                }
            }
        }
        self.spike_tallies = true;
        self.keep_tallies();
        // An engine holding the image (the GPU's core table) lays the recordings out again.
        self.image_version += 1;
        Ok(())
    }

    fn keep_tallies(&mut self) {
        for (run, core) in self.runs.iter_mut().zip(&self.image.cores) {
            run.keep_tallies(core);
        }
    }

    /// Whether recorded spikes are tallied ([`Machine::tally_spikes`]).
    pub fn tallies_spikes(&self) -> bool {
        self.spike_tallies
    }

    /// The spike tallies of the current segment, per population in population order: each
    /// recorded neuron (population index) and its tally, in neuron order. Empty unless the
    /// machine tallies spikes.
    pub fn spike_tallies(&self) -> Vec<Vec<(u32, SpikeTally)>> {
        let mut out = vec![Vec::new(); self.image.population_cores.len()];
        for (run, core) in self.runs.iter().zip(&self.image.cores) {
            let Some(spec) = &core.recording.spikes else { continue };
            let neuron = |col: usize| match core.kind {
                CoreKind::Poisson(_) => col as u32,
                _ => spec.neurons[col],
            };
            out[core.population]
                .extend(run.tallies.iter().enumerate().map(|(col, &t)| (core.lo_atom + neuron(col), t)));
        }
        for p in &mut out {
            p.sort_unstable_by_key(|&(n, _)| n);
        }
        out
    }

    /// Everything recorded since the start, every segment.
    pub fn recordings(&self) -> Recordings {
        let mut r = self.finished.clone();
        for run in &self.runs {
            if let Some(s) = &run.spikes {
                r.spikes.push(s.clone());
            }
            r.sampled.extend(run.sampled.iter().cloned());
        }
        r
    }

    /// The provenance counters of every core, since the last reset.
    pub fn provenance(&self) -> Vec<Provenance> {
        self.runs.iter().map(|r| r.prov.clone()).collect()
    }

    /// The synapses of a projection as its rows hold them now (docs/semantics.md §9 `Projection.get`): pre and post
    /// neuron, synapse type, the 16-bit weight and the total delay in ticks. Plastic rows give their
    /// current (learned) weights; their delay field is read unmasked, 0 meaning M (docs/stdp.md §9).
    pub fn connections(&self, projection: usize) -> Vec<RowSynapse> {
        let mut out = Vec::new();
        for ((core, rows), run) in self.image.cores.iter().zip(&self.rows).zip(&self.runs) {
            let CoreKind::Neuron(nc) = &core.kind else { continue };
            let f = SynapseFields {
                n_bits: nc.log_n_neurons(),
                t_bits: nc.log_n_synapse_types(),
                d_bits: nc.log_max_delay(),
            };
            // A synapse from its row's low half-word (a static word's, or a plastic control
            // half-word) and weight. The host does not mask the delay field; a stored 0 means M
            // (docs/semantics.md §3.2).
            let synapse = |b: &MatrixBlock, pre: u32, stage: u32, low: u32, weight: u16| {
                let d = f.delay_read_back(low);
                RowSynapse {
                    pre,
                    post: core.lo_atom + f.index(low),
                    synapse_type: f.synapse_type(low),
                    weight,
                    delay: stage * b.max_delay + if d == 0 { b.max_delay } else { d },
                }
            };
            let plastic: &[u32] = match &run.state {
                CoreState::Neuron(s) => &s.plastic,
                _ => &[],
            };
            for b in nc.blocks.iter().filter(|b| b.projection as usize == projection) {
                for (r, cr) in rows.block_range(b.offset).enumerate() {
                    let (pre, stage) = b.layout.source_of(r as u32);
                    if let Some((start, ctrl)) = rows.plastic_row(cr) {
                        let weights = start + rows.header_words() as usize;
                        for (i, &c) in ctrl.iter().enumerate() {
                            out.push(synapse(b, pre, stage, c as u32, half_word(&plastic[weights..], i)));
                        }
                    }
                }
                for (r, row) in rows.block_rows(b.offset).enumerate() {
                    let (pre, stage) = b.layout.source_of(r as u32);
                    for &w in row {
                        out.push(synapse(b, pre, stage, w, synapse_weight(w) as u16));
                    }
                }
            }
        }
        out.sort_by_key(|s| (s.pre, s.post, s.delay));
        out
    }

    /// Bytes the machine holds for the simulation (lengths, not capacities): per core its parameters,
    /// pop table and packed rows, its state (6 words per neuron and the 16-bit ring buffer, delay
    /// slots, spike schedules), and the routing table. Recordings, which grow with the run, are not
    /// counted.
    pub fn memory_bytes(&self) -> u64 {
        let mut b = 0u64;
        for (core, rows) in self.image.cores.iter().zip(&self.rows) {
            b += std::mem::size_of_val(core) as u64 + rows.bytes() as u64;
            match &core.kind {
                CoreKind::Neuron(nc) => {
                    let a = &nc.neurons;
                    let words: usize = [
                        &a.v,
                        &a.isyn_exc,
                        &a.isyn_inh,
                        &a.v_rest,
                        &a.r_membrane,
                        &a.exp_tc,
                        &a.v_reset,
                        &a.v_thresh,
                        &a.t_refract,
                        &a.i_offset,
                        &a.delta_scale,
                        &a.e_rev_e,
                        &a.e_rev_i,
                        &a.a,
                        &a.b,
                        &a.c,
                        &a.d,
                        &a.u,
                        &a.this_h,
                        &a.reset_h,
                    ]
                    .iter()
                    .map(|v| v.len())
                    .sum::<usize>()
                        + [&a.exc_decay, &a.exc_init, &a.inh_decay, &a.inh_init].iter().map(|v| v.len()).sum::<usize>();
                    b += 4 * (words + nc.pop_table.len() + nc.synapse_params.len() + 3 * nc.blocks.len()) as u64;
                    b += 4 * 6 * core.n_atoms as u64 + 2 * nc.ring_buffer_len() as u64;
                    if let Some(st) = &nc.stdp {
                        // Plastic regions, post histories (count, 16 times, 16 int16 traces for the pair rule), LUTs.
                        b += 4 * rows.plastic_init().len() as u64;
                        b += core.n_atoms as u64 * if st.nearest { 4 + 64 } else { 4 + 64 + 32 };
                        b += 2 * (st.lut_plus.len() + st.lut_minus.len()) as u64 + 4 * st.region.len() as u64;
                    }
                }
                CoreKind::SpikeArray(sa) => b += 8 * sa.spikes.len() as u64,
                CoreKind::Delay(d) => {
                    b += ((d.n_stages * d.delay_per_stage + 1).next_power_of_two() * core.n_atoms) as u64
                }
                CoreKind::Poisson(p) => b += 24 * p.rates.iter().map(|r| r.len() as u64).sum::<u64>(),
            }
        }
        b + self.image.routing_table.iter().map(|e| 8 + 4 * e.destinations.len() as u64).sum::<u64>()
    }
}
