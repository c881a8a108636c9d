//! Core state between the host and the GPU. Between runs the state lives in the machine
//! (`crate::machine`, where reset, parameter changes and resumes are written once for both
//! engines); a run uploads it, runs on the GPU and downloads it back.

use super::layout::{NeuronState, PoissonSource, StaticImage, CONTROL_WORDS, CORE_STATE_WORDS, PROV_WORDS};
use crate::machine::poisson::Source;
use crate::machine::state::{CoreRun, CoreState};
use crate::machine::Machine;
use crate::record::Provenance;

/// The mutable state of one instance, as the GPU buffers hold it.
#[derive(Default)]
pub struct HostState {
    pub neurons: Vec<NeuronState>,
    pub ring: Vec<u32>,
    pub core_state: Vec<u32>,
    pub prov: Vec<u32>,
    pub steps: Vec<[i32; 2]>,
    pub delay_counters: Vec<u32>,
    pub poisson: Vec<PoissonSource>,
    pub rng: Vec<[u32; 4]>,
    pub control: [u32; CONTROL_WORDS],
    /// STDP: the plastic regions of every STDP core, and the post histories (33 words per
    /// neuron: count_minus_one, 16 times, 16 traces).
    pub plastic: Vec<u32>,
    pub post_hist: Vec<u32>,
}

/// Words of a post-event history on the GPU (`POST_WORDS` in stdp.wgsl).
pub const POST_WORDS: usize = 33;
const HISTORY: usize = 16;

fn prov_words(p: &Provenance) -> [u32; PROV_WORDS] {
    let mut w = [0u32; PROV_WORDS];
    let counters = [
        p.pre_synaptic_events,
        p.synaptic_weight_saturations,
        p.invalid_master_pop_hits,
        p.ghost_pop_table_searches,
        p.spikes_processed,
        p.packets_sent,
        p.delay_count_saturations,
        p.late_spikes,
    ];
    for (k, c) in counters.iter().enumerate() {
        w[2 * k] = *c as u32;
        w[2 * k + 1] = (*c >> 32) as u32;
    }
    w[16] = p.synapses_skipped as u32;
    w[17] = (p.synapses_skipped >> 32) as u32;
    w[18] = p.rows_outside_matrix as u32;
    w[19] = (p.rows_outside_matrix >> 32) as u32;
    w[20] = p.max_late_spike;
    w[22] = p.plastic_weight_saturations as u32;
    w[23] = (p.plastic_weight_saturations >> 32) as u32;
    w
}

fn set_prov(p: &mut Provenance, w: &[u32]) {
    let u = |k: usize| w[k] as u64 | (w[k + 1] as u64) << 32;
    p.pre_synaptic_events = u(0);
    p.synaptic_weight_saturations = u(2);
    p.invalid_master_pop_hits = u(4);
    p.ghost_pop_table_searches = u(6);
    p.spikes_processed = u(8);
    p.packets_sent = u(10);
    p.delay_count_saturations = u(12);
    p.late_spikes = u(14);
    p.synapses_skipped = u(16);
    p.rows_outside_matrix = u(18);
    p.max_late_spike = w[20];
    p.plastic_weight_saturations = u(22);
}

/// The state of the machine's cores in the GPU's layout.
pub fn pack(machine: &Machine, img: &StaticImage) -> HostState {
    let sz = &img.sizes;
    let mut h = HostState {
        neurons: vec![NeuronState::default(); sz.n_neurons as usize],
        ring: vec![0; sz.n_ring as usize],
        core_state: vec![0; CORE_STATE_WORDS * sz.n_cores as usize],
        prov: vec![0; PROV_WORDS * sz.n_cores as usize],
        steps: vec![[0; 2]; sz.n_steps as usize],
        delay_counters: vec![0; sz.n_delay_counters as usize],
        poisson: vec![PoissonSource::default(); sz.n_poisson as usize],
        rng: vec![[0; 4]; sz.n_cores as usize],
        control: [0; CONTROL_WORDS],
        plastic: vec![0; sz.n_plastic as usize],
        post_hist: vec![0; POST_WORDS * sz.n_post as usize],
    };
    h.control[0] = machine.tick;
    h.control[2] = machine.unrouted_packets as u32;
    h.control[3] = (machine.unrouted_packets >> 32) as u32;
    for (ci, (run, info)) in machine.runs.iter().zip(&img.cores).enumerate() {
        h.prov[ci * PROV_WORDS..(ci + 1) * PROV_WORDS].copy_from_slice(&prov_words(&run.prov));
        let first = info.first as usize;
        match &run.state {
            CoreState::Neuron(s) => {
                for i in 0..info.n_atoms as usize {
                    h.neurons[first + i] = NeuronState {
                        v: s.v[i],
                        isyn_exc: s.isyn_exc[i],
                        isyn_inh: s.isyn_inh[i],
                        refract_timer: s.refract_timer[i],
                        u: s.u[i],
                        this_h: s.this_h[i],
                    };
                }
                let rb = info.ring_base as usize;
                for (d, &v) in h.ring[rb..rb + s.ring.len()].iter_mut().zip(&s.ring) {
                    *d = v as u32;
                }
                h.core_state[ci * CORE_STATE_WORDS] = s.colour;
                if let Some((plastic_base, post_base)) = img.stdp_bases[ci] {
                    let pb = plastic_base as usize;
                    h.plastic[pb..pb + s.plastic.len()].copy_from_slice(&s.plastic);
                    for n in 0..info.n_atoms as usize {
                        let b = (post_base as usize + n) * POST_WORDS;
                        h.post_hist[b] = s.post_count[n];
                        h.post_hist[b + 1..b + 1 + HISTORY]
                            .copy_from_slice(&s.post_times[n * HISTORY..(n + 1) * HISTORY]);
                        if !s.post_traces.is_empty() {
                            for k in 0..HISTORY {
                                h.post_hist[b + 1 + HISTORY + k] = s.post_traces[n * HISTORY + k] as i32 as u32;
                            }
                        }
                    }
                }
                for (k, &(idx, amp)) in run.step_sources.iter().enumerate() {
                    h.steps[info.cs_state_base as usize + k] = [idx as i32, amp];
                }
            }
            CoreState::SpikeArray { next } => h.core_state[ci * CORE_STATE_WORDS + 1] = *next as u32,
            CoreState::Delay { counters, .. } => {
                for (d, &v) in h.delay_counters[first..first + counters.len()].iter_mut().zip(counters) {
                    *d = v as u32;
                }
            }
            CoreState::Poisson(p) => {
                h.rng[ci] = p.rng.seed;
                for (i, s) in p.sources.iter().enumerate() {
                    let (rates_offset, n_rates) = img.poisson_offsets[ci][i];
                    h.poisson[first + i] = PoissonSource {
                        index: s.index as u32,
                        start_ticks: s.start_ticks,
                        end_ticks: s.end_ticks,
                        next_ticks: s.next_ticks,
                        is_fast: s.is_fast as u32,
                        exp_minus_lambda: s.exp_minus_lambda,
                        sqrt_lambda: s.sqrt_lambda,
                        mean_isi_ticks: s.mean_isi_ticks,
                        time_to_spike_ticks: s.time_to_spike_ticks,
                        rates_offset,
                        n_rates,
                    };
                }
            }
        }
    }
    h
}

/// Writes the GPU's state back into the machine's cores.
pub fn unpack(machine: &mut Machine, img: &StaticImage, h: &HostState) {
    machine.unrouted_packets = h.control[2] as u64 | (h.control[3] as u64) << 32;
    for (ci, (run, info)) in machine.runs.iter_mut().zip(&img.cores).enumerate() {
        let CoreRun { state, prov, step_sources, .. } = run;
        set_prov(prov, &h.prov[ci * PROV_WORDS..(ci + 1) * PROV_WORDS]);
        let first = info.first as usize;
        match state {
            CoreState::Neuron(s) => {
                for i in 0..info.n_atoms as usize {
                    let n = &h.neurons[first + i];
                    s.v[i] = n.v;
                    s.isyn_exc[i] = n.isyn_exc;
                    s.isyn_inh[i] = n.isyn_inh;
                    s.refract_timer[i] = n.refract_timer;
                    s.u[i] = n.u;
                    s.this_h[i] = n.this_h;
                }
                let rb = info.ring_base as usize;
                for (d, &v) in s.ring.iter_mut().zip(&h.ring[rb..]) {
                    *d = v.min(0xFFFF) as u16;
                }
                s.colour = h.core_state[ci * CORE_STATE_WORDS];
                if let Some((plastic_base, post_base)) = img.stdp_bases[ci] {
                    let pb = plastic_base as usize;
                    let n_words = s.plastic.len();
                    s.plastic.copy_from_slice(&h.plastic[pb..pb + n_words]);
                    for n in 0..info.n_atoms as usize {
                        let b = (post_base as usize + n) * POST_WORDS;
                        s.post_count[n] = h.post_hist[b];
                        s.post_times[n * HISTORY..(n + 1) * HISTORY]
                            .copy_from_slice(&h.post_hist[b + 1..b + 1 + HISTORY]);
                        if !s.post_traces.is_empty() {
                            for k in 0..HISTORY {
                                s.post_traces[n * HISTORY + k] = h.post_hist[b + 1 + HISTORY + k] as i32 as i16;
                            }
                        }
                    }
                }
                for (k, st) in step_sources.iter_mut().enumerate() {
                    let [idx, amp] = h.steps[info.cs_state_base as usize + k];
                    *st = (idx as usize, amp);
                }
            }
            CoreState::SpikeArray { next } => *next = h.core_state[ci * CORE_STATE_WORDS + 1] as usize,
            CoreState::Delay { counters, .. } => {
                for (d, &v) in counters.iter_mut().zip(&h.delay_counters[first..]) {
                    *d = v as u8;
                }
            }
            CoreState::Poisson(p) => {
                p.rng.seed = h.rng[ci];
                for (i, s) in p.sources.iter_mut().enumerate() {
                    let g = &h.poisson[first + i];
                    *s = Source {
                        index: g.index as usize,
                        start_ticks: g.start_ticks,
                        end_ticks: g.end_ticks,
                        next_ticks: g.next_ticks,
                        is_fast: g.is_fast != 0,
                        exp_minus_lambda: g.exp_minus_lambda,
                        sqrt_lambda: g.sqrt_lambda,
                        mean_isi_ticks: g.mean_isi_ticks,
                        time_to_spike_ticks: g.time_to_spike_ticks,
                    };
                }
            }
        }
    }
}
