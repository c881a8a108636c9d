//! The mutable state of each virtual core, initialised from the machine image.

use crate::engine::Provenance;
use crate::mapping::{Core, CoreKind};
use crate::record::{SampledRecording, SpikeRecording};

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
}

/// What each core keeps between ticks.
#[derive(Clone, Debug)]
pub enum CoreState {
    Neuron(NeuronState),
    SpikeArray { next: usize },
    /// Spike counters: `slots × n_atoms`, uint8.
    Delay { counters: Vec<u8>, slots: u32 },
    Poisson(super::poisson::PoissonState),
}

/// A core's state plus its output buffers.
#[derive(Clone, Debug)]
pub struct CoreRun {
    pub state: CoreState,
    pub outbox: Vec<Packet>,
    pub inbox: Vec<Packet>,
    pub spikes: Option<SpikeRecording>,
    /// Spike bits gathered during the current recording period (recording index order).
    pub spike_period: Vec<u32>,
    pub sampled: Vec<SampledRecording>,
    pub prov: Provenance,
    /// (index, amplitude) of each current source of a neuron core; zeroed at every resume.
    pub step_sources: Vec<(usize, i32)>,
    /// Local indices of the neurons that fired this tick (reused).
    pub spiked: Vec<u32>,
}

impl CoreRun {
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
        let spikes = rec.spikes.as_ref().map(|_| SpikeRecording { population: core.population, segment, spikes: Vec::new() });
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
