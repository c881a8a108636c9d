//! Core state between the host and the GPU. Between runs the state lives in the machine
//! (`crate::machine`, where reset, parameter changes and resumes are written once for both
//! engines); a run uploads it, runs on the GPU and downloads it back. A batch's state is its
//! instances' states one after another in each buffer ([`HostState::concat`], [`HostState::instance`]).

use super::layout::*;
use crate::machine::poisson::{PoissonState, Source};
use crate::machine::state::{self, CoreRun, CoreState};
use crate::machine::Machine;
use crate::mapping::stdp::HISTORY;
use crate::record::{Provenance, SpikeTally};

/// The mutable state of one instance (or of a batch's, one instance after another), as the GPU
/// buffers hold it.
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
    /// The instance's control block (`CONTROL_WORDS` words).
    pub control: Vec<u32>,
    /// STDP: the plastic regions of every STDP core, and the post histories (33 words per
    /// neuron: count_minus_one, 16 times, 16 traces).
    pub plastic: Vec<u32>,
    pub post_hist: Vec<u32>,
    /// The spike tallies of the cores that tally spikes, at their `tally_base`.
    pub tallies: Vec<SpikeTally>,
}

/// The u64 counters of a core's provenance and their words on the GPU (`PROV_*`, low word
/// first); `max_late_spike` is one word at `PROV_MAX_LATE`.
fn prov_counters(p: &mut Provenance) -> [(u32, &mut u64); 11] {
    [
        (PROV_PRE_SYNAPTIC_EVENTS, &mut p.pre_synaptic_events),
        (PROV_WEIGHT_SATURATIONS, &mut p.synaptic_weight_saturations),
        (PROV_INVALID_POP_HITS, &mut p.invalid_master_pop_hits),
        (PROV_GHOST_SEARCHES, &mut p.ghost_pop_table_searches),
        (PROV_SPIKES_PROCESSED, &mut p.spikes_processed),
        (PROV_PACKETS_SENT, &mut p.packets_sent),
        (PROV_DELAY_SATURATIONS, &mut p.delay_count_saturations),
        (PROV_LATE_SPIKES, &mut p.late_spikes),
        (PROV_SYNAPSES_SKIPPED, &mut p.synapses_skipped),
        (PROV_ROWS_OUTSIDE, &mut p.rows_outside_matrix),
        (PROV_PLASTIC_SATURATIONS, &mut p.plastic_weight_saturations),
    ]
}

fn prov_words(p: &Provenance) -> [u32; PROV_WORDS] {
    let mut w = [0u32; PROV_WORDS];
    let mut p = p.clone();
    w[PROV_MAX_LATE as usize] = p.max_late_spike;
    for (at, c) in prov_counters(&mut p) {
        w[at as usize] = *c as u32;
        w[at as usize + 1] = (*c >> 32) as u32;
    }
    w
}

fn set_prov(p: &mut Provenance, w: &[u32]) {
    p.max_late_spike = w[PROV_MAX_LATE as usize];
    for (at, c) in prov_counters(p) {
        *c = w[at as usize] as u64 | (w[at as usize + 1] as u64) << 32;
    }
}

impl HostState {
    /// Zeroed buffers of the sizes the image gives.
    fn sized(sz: &Sizes) -> Self {
        HostState {
            neurons: vec![NeuronState::default(); sz.n_neurons as usize],
            ring: vec![0; sz.n_ring as usize],
            core_state: vec![0; CORE_STATE_WORDS * sz.n_cores as usize],
            prov: vec![0; PROV_WORDS * sz.n_cores as usize],
            steps: vec![[0; 2]; sz.n_steps as usize],
            delay_counters: vec![0; sz.n_delay_counters as usize],
            poisson: vec![PoissonSource::default(); sz.n_poisson as usize],
            rng: vec![[0; 4]; sz.n_cores as usize],
            control: vec![0; CONTROL_WORDS],
            plastic: vec![0; sz.n_plastic as usize],
            post_hist: vec![0; POST_WORDS * sz.n_post as usize],
            tallies: vec![SpikeTally::default(); sz.n_tallies as usize],
        }
    }

    /// The states of a batch's instances, one after another as the GPU buffers hold them.
    pub fn concat(parts: &[HostState]) -> HostState {
        let mut h = HostState::default();
        for p in parts {
            h.neurons.extend_from_slice(&p.neurons);
            h.ring.extend_from_slice(&p.ring);
            h.core_state.extend_from_slice(&p.core_state);
            h.prov.extend_from_slice(&p.prov);
            h.steps.extend_from_slice(&p.steps);
            h.delay_counters.extend_from_slice(&p.delay_counters);
            h.poisson.extend_from_slice(&p.poisson);
            h.rng.extend_from_slice(&p.rng);
            h.control.extend_from_slice(&p.control);
            h.plastic.extend_from_slice(&p.plastic);
            h.post_hist.extend_from_slice(&p.post_hist);
            h.tallies.extend_from_slice(&p.tallies);
        }
        h
    }

    /// Instance `i` of a batch's state, `sz` giving the sizes of one instance.
    pub fn instance(&self, i: usize, sz: &Sizes) -> HostState {
        fn part<T: Clone>(all: &[T], one: Vec<T>, i: usize) -> Vec<T> {
            all[i * one.len()..(i + 1) * one.len()].to_vec()
        }
        let one = HostState::sized(sz);
        HostState {
            neurons: part(&self.neurons, one.neurons, i),
            ring: part(&self.ring, one.ring, i),
            core_state: part(&self.core_state, one.core_state, i),
            prov: part(&self.prov, one.prov, i),
            steps: part(&self.steps, one.steps, i),
            delay_counters: part(&self.delay_counters, one.delay_counters, i),
            poisson: part(&self.poisson, one.poisson, i),
            rng: part(&self.rng, one.rng, i),
            control: part(&self.control, one.control, i),
            plastic: part(&self.plastic, one.plastic, i),
            post_hist: part(&self.post_hist, one.post_hist, i),
            tallies: part(&self.tallies, one.tallies, i),
        }
    }
}

/// The state of the machine's cores in the GPU's layout.
pub fn pack(machine: &Machine, img: &StaticImage) -> HostState {
    let mut h = HostState::sized(&img.sizes);
    h.control[CTL_TICK as usize] = machine.tick;
    h.control[CTL_UNROUTED as usize] = machine.unrouted_packets as u32;
    h.control[CTL_UNROUTED as usize + 1] = (machine.unrouted_packets >> 32) as u32;
    for (ci, (run, info)) in machine.runs.iter().zip(&img.cores).enumerate() {
        h.prov[ci * PROV_WORDS..(ci + 1) * PROV_WORDS].copy_from_slice(&prov_words(&run.prov));
        let at = info.tally_base as usize;
        h.tallies[at..at + run.tallies.len()].copy_from_slice(&run.tallies);
        match &run.state {
            CoreState::Neuron(s) => {
                pack_neuron_core(&mut h, ci, info, s, &run.step_sources);
                if let Some(bases) = img.stdp_bases[ci] {
                    pack_stdp(&mut h, bases, info, s);
                }
            }
            CoreState::SpikeArray { next } => pack_spike_array(&mut h, ci, *next),
            CoreState::Delay { counters, .. } => pack_delay(&mut h, info, counters),
            CoreState::Poisson(p) => pack_poisson(&mut h, ci, info, &img.poisson_offsets[ci], p),
        }
    }
    h
}

/// A neuron core's neurons, ring buffer, colour and step current sources, into the GPU's layout.
fn pack_neuron_core(h: &mut HostState, ci: usize, info: &CoreInfo, s: &state::NeuronState, steps: &[(usize, i32)]) {
    let first = info.first as usize;
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
    for (k, &(idx, amp)) in steps.iter().enumerate() {
        h.steps[info.cs_state_base as usize + k] = [idx as i32, amp];
    }
}

/// A neuron core's STDP state, into the GPU's layout at `(plastic_base, post_base)`: its plastic
/// regions, and each neuron's post-event history (count, times, then traces for the pair rule).
fn pack_stdp(h: &mut HostState, (plastic_base, post_base): (u32, u32), info: &CoreInfo, s: &state::NeuronState) {
    let pb = plastic_base as usize;
    h.plastic[pb..pb + s.plastic.len()].copy_from_slice(&s.plastic);
    for n in 0..info.n_atoms as usize {
        let b = (post_base as usize + n) * POST_WORDS;
        h.post_hist[b] = s.post_count[n];
        h.post_hist[b + 1..b + 1 + HISTORY].copy_from_slice(&s.post_times[n * HISTORY..(n + 1) * HISTORY]);
        if !s.post_traces.is_empty() {
            for k in 0..HISTORY {
                h.post_hist[b + 1 + HISTORY + k] = s.post_traces[n * HISTORY + k] as i32 as u32;
            }
        }
    }
}

/// A SpikeSourceArray core's next spike to send, into its core state.
fn pack_spike_array(h: &mut HostState, ci: usize, next: usize) {
    h.core_state[ci * CORE_STATE_WORDS + 1] = next as u32;
}

/// A delay core's spike counters, one word each.
fn pack_delay(h: &mut HostState, info: &CoreInfo, counters: &[u8]) {
    let first = info.first as usize;
    for (d, &v) in h.delay_counters[first..first + counters.len()].iter_mut().zip(counters) {
        *d = v as u32;
    }
}

/// A Poisson core's generator seed and sources (each with where its rates are in the tables,
/// `offsets`), into the GPU's layout.
fn pack_poisson(h: &mut HostState, ci: usize, info: &CoreInfo, offsets: &[(u32, u32)], p: &PoissonState) {
    let first = info.first as usize;
    h.rng[ci] = p.rng.seed;
    for (i, s) in p.sources.iter().enumerate() {
        let (rates_offset, n_rates) = offsets[i];
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

/// Writes the GPU's state back into the machine's cores.
pub fn unpack(machine: &mut Machine, img: &StaticImage, h: &HostState) {
    let unrouted = CTL_UNROUTED as usize;
    machine.unrouted_packets = h.control[unrouted] as u64 | (h.control[unrouted + 1] as u64) << 32;
    for (ci, (run, info)) in machine.runs.iter_mut().zip(&img.cores).enumerate() {
        let CoreRun { state, prov, step_sources, tallies, .. } = run;
        set_prov(prov, &h.prov[ci * PROV_WORDS..(ci + 1) * PROV_WORDS]);
        let at = info.tally_base as usize;
        let n = tallies.len();
        tallies.copy_from_slice(&h.tallies[at..at + n]);
        match state {
            CoreState::Neuron(s) => {
                unpack_neuron_core(h, ci, info, s, step_sources);
                if let Some(bases) = img.stdp_bases[ci] {
                    unpack_stdp(h, bases, info, s);
                }
            }
            CoreState::SpikeArray { next } => unpack_spike_array(h, ci, next),
            CoreState::Delay { counters, .. } => unpack_delay(h, info, counters),
            CoreState::Poisson(p) => unpack_poisson(h, ci, info, p),
        }
    }
}

/// A neuron core's neurons, ring buffer (each entry saturated to 16 bits), colour and step
/// current sources, from the GPU's layout.
fn unpack_neuron_core(
    h: &HostState,
    ci: usize,
    info: &CoreInfo,
    s: &mut state::NeuronState,
    steps: &mut [(usize, i32)],
) {
    let first = info.first as usize;
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
    for (k, st) in steps.iter_mut().enumerate() {
        let [idx, amp] = h.steps[info.cs_state_base as usize + k];
        *st = (idx as usize, amp);
    }
}

/// A neuron core's STDP state, from the GPU's layout at `(plastic_base, post_base)`: its plastic
/// regions, and each neuron's post-event history (count, times, then traces for the pair rule).
fn unpack_stdp(h: &HostState, (plastic_base, post_base): (u32, u32), info: &CoreInfo, s: &mut state::NeuronState) {
    let pb = plastic_base as usize;
    let n_words = s.plastic.len();
    s.plastic.copy_from_slice(&h.plastic[pb..pb + n_words]);
    for n in 0..info.n_atoms as usize {
        let b = (post_base as usize + n) * POST_WORDS;
        s.post_count[n] = h.post_hist[b];
        s.post_times[n * HISTORY..(n + 1) * HISTORY].copy_from_slice(&h.post_hist[b + 1..b + 1 + HISTORY]);
        if !s.post_traces.is_empty() {
            for k in 0..HISTORY {
                s.post_traces[n * HISTORY + k] = h.post_hist[b + 1 + HISTORY + k] as i32 as i16;
            }
        }
    }
}

/// A SpikeSourceArray core's next spike to send, from its core state.
fn unpack_spike_array(h: &HostState, ci: usize, next: &mut usize) {
    *next = h.core_state[ci * CORE_STATE_WORDS + 1] as usize;
}

/// A delay core's spike counters, from one word each.
fn unpack_delay(h: &HostState, info: &CoreInfo, counters: &mut [u8]) {
    for (d, &v) in counters.iter_mut().zip(&h.delay_counters[info.first as usize..]) {
        *d = v as u8;
    }
}

/// A Poisson core's generator seed and sources, from the GPU's layout.
fn unpack_poisson(h: &HostState, ci: usize, info: &CoreInfo, p: &mut PoissonState) {
    let first = info.first as usize;
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
