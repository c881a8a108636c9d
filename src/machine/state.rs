//! The mutable state of each virtual core, initialised from the machine image.

use crate::mapping::stdp::HISTORY;
use crate::mapping::{Core, CoreKind};
use crate::record::Provenance;
use crate::record::{SampledRecording, SpikeRecording, SpikeTally};

/// A multicast packet: routing key and spike count (payload; 1 for a plain spike).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet {
    pub key: u32,
    pub count: u32,
}

/// Neuron-core state that changes tick by tick.
#[derive(Clone, Debug)]
pub struct NeuronState {
    pub v: Vec<i32>,
    pub isyn_exc: Vec<i32>,
    pub isyn_inh: Vec<i32>,
    pub refract_timer: Vec<i32>,
    pub u: Vec<i32>,
    pub this_h: Vec<i32>,
    pub ring: Vec<u16>,
    /// The core's colour counter (incremented after every update).
    pub colour: u32,
    /// STDP (docs/stdp.md §7): the plastic regions of all plastic rows of the core, back to back,
    /// each in sPyNNaker's layout: the pre-event header (pair: `prev_time`, then `prev_trace` as the
    /// int16 low half of the next word; nearest pair: `prev_time` only), then the 16-bit weights two
    /// per word, the lower half first. Row r's region starts at `CompactMatrix::plastic_start(r)`.
    /// Loaded from `CompactMatrix::plastic_init` (zero headers, the host's weights); empty without STDP.
    pub plastic: Vec<u32>,
    /// STDP post-event histories (docs/stdp.md §6), per neuron: sPyNNaker's `count_minus_one`, the
    /// number of entries after entry 0 (0..=15). Entry 0 is the placeholder (time 0, trace 0) and is
    /// never dropped. Empty without STDP.
    pub post_count: Vec<u32>,
    /// 16 per neuron (`neuron·16 + entry`): the times (ticks) of the history entries.
    pub post_times: Vec<u32>,
    /// 16 per neuron: the int16 post traces of the entries (pair rule; empty for nearest pair).
    pub post_traces: Vec<i16>,
}

/// What each core keeps between ticks.
#[derive(Clone, Debug)]
pub enum CoreState {
    Neuron(NeuronState),
    SpikeArray {
        next: usize,
    },
    /// Spike counters: `slots × n_atoms`, uint8.
    Delay {
        counters: Vec<u8>,
        slots: u32,
    },
    Poisson(super::poisson::PoissonState),
}

/// A core's state plus its output buffers.
#[derive(Clone, Debug)]
pub struct CoreRun {
    pub state: CoreState,
    pub outbox: Vec<Packet>,
    pub inbox: Vec<Packet>,
    pub spikes: Option<SpikeRecording>,
    /// The neurons (local index) that spiked during the current recording period, in the order
    /// they first did, and the same as bits (for the membership test).
    pub spike_period: Vec<u32>,
    pub spike_period_bits: Vec<u64>,
    /// In a machine that tallies spikes ([`crate::machine::Machine::tally_spikes`]), one tally
    /// per spike-recording column (a neuron core's or spike array's recorded neurons in
    /// recording order; every source of a Poisson core) in place of `spikes`; otherwise empty.
    pub tallies: Vec<SpikeTally>,
    pub sampled: Vec<SampledRecording>,
    pub prov: Provenance,
    /// (index, amplitude) of each current source of a neuron core; zeroed at every resume.
    pub step_sources: Vec<(usize, i32)>,
    /// Local indices of the neurons that fired this tick (reused).
    pub spiked: Vec<u32>,
}

impl CoreRun {
    /// A freshly loaded core: [`CoreRun::new`], plus the initial plastic regions of its rows.
    pub fn loaded(core: &Core, rows: &super::rows::CompactMatrix, segment: u32) -> Self {
        let mut run = CoreRun::new(core, segment);
        run.load_plastic(rows);
        run
    }

    /// Writes the host's plastic regions (zero headers, initial weights) into the core's state.
    pub fn load_plastic(&mut self, rows: &super::rows::CompactMatrix) {
        if let CoreState::Neuron(s) = &mut self.state {
            s.plastic.clear();
            s.plastic.extend_from_slice(rows.plastic_init());
        }
    }

    /// Tallies the core's recorded spikes from now on instead of keeping them (nothing for a
    /// core that records no spikes).
    pub fn keep_tallies(&mut self, core: &Core) {
        let Some(spec) = &core.recording.spikes else { return };
        let columns = match core.kind {
            CoreKind::Poisson(_) => core.n_atoms as usize,
            _ => spec.neurons.len(),
        };
        self.spikes = None;
        self.tallies = vec![SpikeTally::default(); columns];
    }

    pub fn new(core: &Core, segment: u32) -> Self {
        let state = match &core.kind {
            CoreKind::Neuron(nc) => {
                let a = &nc.neurons;
                let n = a.v.len();
                CoreState::Neuron(NeuronState {
                    v: a.v.clone(),
                    isyn_exc: a.isyn_exc.clone(),
                    isyn_inh: a.isyn_inh.clone(),
                    refract_timer: vec![0; n],
                    u: if a.u.is_empty() { vec![0; n] } else { a.u.clone() },
                    this_h: if a.this_h.is_empty() { vec![0; n] } else { a.this_h.clone() },
                    ring: vec![0; nc.ring_buffer_len()],
                    colour: 0,
                    // The rows' plastic regions are loaded by `CoreRun::load_plastic`.
                    plastic: Vec::new(),
                    post_count: if nc.stdp.is_some() { vec![0; n] } else { Vec::new() },
                    post_times: if nc.stdp.is_some() { vec![0; HISTORY * n] } else { Vec::new() },
                    post_traces: match &nc.stdp {
                        Some(st) if !st.nearest => vec![0; HISTORY * n],
                        _ => Vec::new(),
                    },
                })
            }
            CoreKind::SpikeArray(_) => CoreState::SpikeArray { next: 0 },
            CoreKind::Delay(d) => {
                let slots = (d.n_stages * d.delay_per_stage + 1).next_power_of_two();
                CoreState::Delay { counters: vec![0; (slots * core.n_atoms) as usize], slots }
            }
            CoreKind::Poisson(pc) => CoreState::Poisson(super::poisson::PoissonState::new(pc)),
        };
        let rec = &core.recording;
        let spikes =
            rec.spikes.as_ref().map(|_| SpikeRecording { population: core.population, segment, spikes: Vec::new() });
        let mut sampled = Vec::new();
        for (name, spec) in [("v", &rec.v), ("gsyn_exc", &rec.gsyn_exc), ("gsyn_inh", &rec.gsyn_inh)] {
            if let Some(spec) = spec {
                sampled.push(SampledRecording {
                    population: core.population,
                    segment,
                    variable: name,
                    neurons: spec.neurons.iter().map(|&i| i + core.lo_atom).collect(),
                    ticks: Vec::new(),
                    values: Vec::new(),
                });
            }
        }
        CoreRun {
            state,
            outbox: Vec::new(),
            inbox: Vec::new(),
            spikes,
            spike_period: Vec::new(),
            spike_period_bits: Vec::new(),
            tallies: Vec::new(),
            sampled,
            prov: Provenance { core: core.label.clone(), ..Default::default() },
            spiked: Vec::new(),
            step_sources: match &core.kind {
                CoreKind::Neuron(nc) => vec![(0, 0); nc.current_sources.len()],
                _ => Vec::new(),
            },
        }
    }
}
