//! The structure of a machine: what instances of a sweep must share to run as one batch (cores,
//! slices, keys, routes, pop tables, row layout with synapse indices, types and delays, delay
//! extensions, recording requests and the sizes of every value array), and none of the values
//! (neuron parameters and state, weights, ring-buffer shifts, Poisson rates and seeds, current
//! amplitudes, spike times, STDP parameters).

use super::rows::CompactMatrix;
use super::Machine;
use crate::mapping::{Core, CoreKind, CoreRecording, CurrentSourceImage, NeuronCore};
use sha2::{Digest, Sha256};

/// Feeds words to the hash, each as 4 little-endian bytes, lengths first.
struct Words(Sha256);

impl Words {
    fn one(&mut self, w: u32) {
        self.0.update(w.to_le_bytes());
    }
    fn all(&mut self, ws: impl IntoIterator<Item = u32>) {
        let ws: Vec<u32> = ws.into_iter().collect();
        self.one(ws.len() as u32);
        ws.into_iter().for_each(|w| self.one(w));
    }
    fn text(&mut self, s: &str) {
        self.all(s.bytes().map(u32::from));
    }
}

impl Machine {
    /// The SHA-256 (hex) of the machine's structure (see the module): machines with equal keys
    /// differ only in values, and can run as one batch.
    pub fn structure_key(&self) -> String {
        let mut h = Words(Sha256::new());
        let image = &self.image;
        h.one(image.timestep_us);
        h.text(image.profile.name());
        for e in &image.routing_table {
            h.all([e.key, e.mask]);
            h.all(e.destinations.iter().copied());
        }
        for cores in &image.population_cores {
            h.all(cores.iter().copied());
        }
        for (core, rows) in image.cores.iter().zip(&self.rows) {
            core_structure(&mut h, core);
            rows_structure(&mut h, rows);
        }
        h.0.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn core_structure(h: &mut Words, c: &Core) {
    h.all([c.population as u32, c.lo_atom, c.n_atoms, c.key.unwrap_or(u32::MAX), c.key.is_some() as u32]);
    h.all([c.mask, c.n_colour_bits]);
    recording_structure(h, &c.recording);
    match &c.kind {
        CoreKind::Neuron(nc) => neuron_structure(h, nc),
        CoreKind::SpikeArray(s) => h.all([1, s.spikes.len() as u32]),
        CoreKind::Poisson(p) => {
            h.all([2, p.rates.len() as u32]);
            h.all(p.rates.iter().map(|r| r.len() as u32));
        }
        CoreKind::Delay(d) => h.all([3, d.n_stages, d.delay_per_stage]),
    }
}

fn recording_structure(h: &mut Words, r: &CoreRecording) {
    for spec in [&r.spikes, &r.v, &r.gsyn_exc, &r.gsyn_inh] {
        match spec {
            Some(s) => {
                h.all([1, s.rate]);
                h.all(s.neurons.iter().copied());
            }
            None => h.one(0),
        }
    }
}

/// A neuron core less its values: the synapse parameters but the shifts (words 7 and 8), the pop
/// table, the blocks, the current sources' neurons and step counts, the STDP rule and table sizes.
fn neuron_structure(h: &mut Words, nc: &NeuronCore) {
    h.one(0);
    h.text(&format!("{:?}", nc.model));
    h.all(nc.synapse_params.iter().take(7).copied());
    h.all(nc.pop_table.iter().copied());
    for b in &nc.blocks {
        h.all([b.offset, b.n_rows, b.stride, b.projection, b.max_delay]);
        h.text(&format!("{:?}", b.layout));
    }
    h.all([nc.sends as u32, nc.neurons.v.len() as u32]);
    for cs in &nc.current_sources {
        match cs {
            CurrentSourceImage::Dc { neurons, .. } => h.all(neurons.iter().copied().chain([0])),
            CurrentSourceImage::Step { neurons, times, .. } => {
                h.all(neurons.iter().copied().chain([1, times.len() as u32]))
            }
        }
    }
    match &nc.stdp {
        Some(s) => h.all([
            1,
            s.nearest as u32,
            s.additive as u32,
            s.backprop_delay as u32,
            s.lut_plus.len() as u32,
            s.lut_minus.len() as u32,
            s.weight_params.len() as u32,
            s.region.len() as u32,
        ]),
        None => h.one(0),
    }
}

/// The packed rows less their weights: the low half of every static word (delay, type, index),
/// the row starts, the plastic control half-words and the plastic regions' sizes.
fn rows_structure(h: &mut Words, r: &CompactMatrix) {
    h.all(r.block_table().iter().flat_map(|&(a, b, c)| [a, b, c]));
    h.all(r.item_rows().iter().flat_map(|&(a, b)| [a, b]));
    h.all(r.row_starts().iter().copied());
    h.all(r.words().iter().map(|&w| w & 0xFFFF));
    h.all(r.plastic_starts().iter().copied());
    h.all(r.ctrl_starts().iter().copied());
    h.all(r.plastic_ctrl().iter().map(|&c| u32::from(c)));
    h.all([r.plastic_init().len() as u32, r.header_words()]);
}
