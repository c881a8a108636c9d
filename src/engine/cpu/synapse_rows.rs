//! Incoming spikes at a neuron core (docs/semantics.md §4, docs/semantics.md §3.4): master-population-table binary search, the
//! address list, the synaptic rows, and 16-bit saturating ring-buffer adds.

use super::state::{CoreRun, CoreState};
use crate::mapping::NeuronCore;

const INVALID_ADDRESS: u32 = 0xFF_FFFF;

/// Finds the pop-table entry of a key; returns the entry's word offset.
pub fn pop_table_lookup(pop: &[u32], key: u32) -> Option<usize> {
    let n = pop[0] as usize;
    let (mut imin, mut imax) = (0usize, n);
    while imin < imax {
        let mid = (imin + imax) >> 1;
        let e = 2 + mid * 5;
        let (ekey, emask) = (pop[e], pop[e + 1]);
        if key & emask == ekey {
            return Some(e);
        }
        if ekey < key {
            imin = mid + 1;
        } else {
            imax = mid;
        }
    }
    None
}

/// Marks a static row in [`CompactMatrix::plastic_starts`].
pub const NO_PLASTIC: u32 = u32::MAX;

/// A core's synaptic rows packed for the engine: the fixed words of every row back to back, and
/// where each row starts. Rows are found exactly as in sPyNNaker's layout (pop-table item address
/// plus neuron id), through the block each address names.
///
/// Plastic (STDP) rows (docs/stdp.md §2) have no fixed words. Their immutable part, the control
/// half-words, is here; their mutable part (pre-event header and 16-bit weights) lives in the core's
/// `NeuronState::plastic`, at the offset [`Self::plastic_starts`] gives (initial content:
/// [`Self::plastic_init`]). All plastic arrays are empty for a core without plastic rows.
#[derive(Clone, Debug, Default)]
pub struct CompactMatrix {
    /// (first word of the block in sPyNNaker's layout, first compact row, rows), by first word.
    blocks: Vec<(u32, u32, u32)>,
    /// Per item of the master population table's address list: the first compact row and the
    /// rows of the block its address names ((0, 0) for an invalid address or one that names no
    /// block), so that a packet finds its rows without searching the blocks.
    item_rows: Vec<(u32, u32)>,
    row_start: Vec<u32>,
    words: Vec<u32>,
    /// Per compact row: first word of its plastic region in `NeuronState::plastic`, or
    /// [`NO_PLASTIC`] for a static row.
    plastic_start: Vec<u32>,
    /// Per compact row, where its control half-words start in `plastic_ctrl` (one more entry than
    /// rows): n_plastic of row r = `ctrl_start[r + 1] − ctrl_start[r]` (0 for static rows).
    ctrl_start: Vec<u32>,
    /// The control half-words of every plastic row back to back, one per entry:
    /// `delay << (N+T) | type << N | index`, the delay not masked (docs/stdp.md §2).
    plastic_ctrl: Vec<u16>,
    /// The plastic regions as the host writes them (zero headers, initial weights), back to back.
    plastic_init: Vec<u32>,
    /// Words of a plastic row's pre-event header: 2 (pair rule), 1 (nearest pair), 0 (no STDP).
    header_words: u32,
}

impl CompactMatrix {
    pub fn new(nc: &NeuronCore) -> Self {
        let m = &nc.synaptic_matrix;
        let mut c = CompactMatrix { row_start: vec![0], ..Default::default() };
        let stdp = nc.stdp.is_some();
        if let Some(st) = &nc.stdp {
            c.header_words = crate::mapping::stdp::header_bytes(st.nearest) as u32 / 4;
            c.ctrl_start.push(0);
        }
        let mut blocks = nc.blocks.clone();
        blocks.sort_by_key(|b| b.offset);
        for b in &blocks {
            c.blocks.push((b.offset, c.row_start.len() as u32 - 1, b.n_rows));
            for r in 0..b.n_rows as usize {
                let row = b.offset as usize + r * b.stride as usize;
                let plastic = m[row] as usize;
                let n_fixed = m[row + 1 + plastic] as usize;
                let first = row + 3 + plastic;
                c.words.extend_from_slice(&m[first..first + n_fixed]);
                c.row_start.push(c.words.len() as u32);
                if stdp {
                    if plastic != 0 {
                        // [pp_size, plastic region, n_fixed, n_plastic, fixed words, control half-words]
                        c.plastic_start.push(c.plastic_init.len() as u32);
                        c.plastic_init.extend_from_slice(&m[row + 1..row + 1 + plastic]);
                        let n_plastic = m[row + 2 + plastic] as usize;
                        let ctrl = first + n_fixed;
                        c.plastic_ctrl.extend((0..n_plastic).map(|i| (m[ctrl + i / 2] >> (16 * (i % 2))) as u16));
                    } else {
                        c.plastic_start.push(NO_PLASTIC);
                    }
                    c.ctrl_start.push(c.plastic_ctrl.len() as u32);
                }
            }
        }
        c.words.shrink_to_fit();
        let pop = &nc.pop_table;
        if pop.len() >= 2 {
            let list = 2 + pop[0] as usize * 5;
            c.item_rows = pop[list..list + pop[1] as usize]
                .iter()
                .map(|&item| {
                    let b = c.blocks.binary_search_by_key(&((item >> 8) * 4), |b| b.0).ok();
                    b.map(|b| (c.blocks[b].1, c.blocks[b].2)).unwrap_or((0, 0))
                })
                .collect();
        }
        c
    }

    /// The compact row of `neuron_id` in the block that item `item` of the address list names.
    #[inline]
    fn row_index(&self, item: usize, neuron_id: u32) -> Option<usize> {
        let (first, n_rows) = self.item_rows[item];
        (neuron_id < n_rows).then_some((first + neuron_id) as usize)
    }

    /// Per address-list item, (first compact row, rows) of the block it names.
    pub fn item_rows(&self) -> &[(u32, u32)] {
        &self.item_rows
    }

    /// The fixed words of compact row `r`.
    #[inline]
    fn fixed(&self, r: usize) -> &[u32] {
        &self.words[self.row_start[r] as usize..self.row_start[r + 1] as usize]
    }

    /// Compact row `r` if it is plastic: the first word of its plastic region in
    /// `NeuronState::plastic` and its control half-words.
    #[inline]
    pub fn plastic_row(&self, r: usize) -> Option<(usize, &[u16])> {
        let start = *self.plastic_start.get(r)?;
        (start != NO_PLASTIC)
            .then(|| (start as usize, &self.plastic_ctrl[self.ctrl_start[r] as usize..self.ctrl_start[r + 1] as usize]))
    }

    /// The compact rows of the block starting at word `block_word`.
    pub fn block_range(&self, block_word: u32) -> std::ops::Range<usize> {
        let b = self.blocks.binary_search_by_key(&block_word, |b| b.0).ok().map(|i| self.blocks[i]);
        b.map(|(_, f, n)| f as usize..(f + n) as usize).unwrap_or(0..0)
    }

    /// Per compact row, the first word of its plastic region, or `NO_PLASTIC` (`u32::MAX`) (empty without STDP).
    pub fn plastic_starts(&self) -> &[u32] {
        &self.plastic_start
    }

    /// Per compact row, where its control half-words start in [`Self::plastic_ctrl`] (one more
    /// entry than rows; empty without STDP).
    pub fn ctrl_starts(&self) -> &[u32] {
        &self.ctrl_start
    }

    /// The control half-words of all plastic rows, one per entry.
    pub fn plastic_ctrl(&self) -> &[u16] {
        &self.plastic_ctrl
    }

    /// The initial plastic regions of all plastic rows, back to back (`NeuronState::plastic` at load).
    pub fn plastic_init(&self) -> &[u32] {
        &self.plastic_init
    }

    /// Words of the pre-event header of a plastic row (2 pair, 1 nearest pair, 0 without STDP).
    pub fn header_words(&self) -> u32 {
        self.header_words
    }

    /// The fixed words of each row of the block starting at word `block_word`.
    pub fn block_rows(&self, block_word: u32) -> impl Iterator<Item = &[u32]> {
        let b = self.blocks.binary_search_by_key(&block_word, |b| b.0).ok().map(|i| self.blocks[i]);
        let (first, n) = b.map(|(_, f, n)| (f as usize, n as usize)).unwrap_or((0, 0));
        (first..first + n).map(move |r| &self.words[self.row_start[r] as usize..self.row_start[r + 1] as usize])
    }

    /// (first word of the block in sPyNNaker's layout, first compact row, rows), by first word.
    pub fn block_table(&self) -> &[(u32, u32, u32)] {
        &self.blocks
    }

    /// Where each compact row starts in [`Self::words`] (one more entry than rows).
    pub fn row_starts(&self) -> &[u32] {
        &self.row_start
    }

    /// The fixed words of every row back to back.
    pub fn words(&self) -> &[u32] {
        &self.words
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.words.len() * 4
            + self.row_start.len() * 4
            + self.blocks.len() * 12
            + self.item_rows.len() * 8
            + 4 * (self.plastic_start.len() + self.ctrl_start.len() + self.plastic_init.len())
            + 2 * self.plastic_ctrl.len()
    }
}

/// Processes the packets that arrived at a neuron core during tick `t`.
pub fn synapse_rows(nc: &NeuronCore, rows: &CompactMatrix, run: &mut CoreRun, t: u32) {
    let CoreRun { state, inbox, prov, .. } = run;
    let CoreState::Neuron(s) = state else { return };
    let pop = &nc.pop_table;
    let (n_bits, t_bits, d_bits) = (nc.log_n_neurons(), nc.log_n_synapse_types(), nc.log_max_delay());
    let ring_mask = (1u32 << (d_bits + t_bits + n_bits)) - 1;
    let delay_mask = (1u32 << d_bits) - 1;
    let n_entries = pop[0] as usize;
    let list = 2 + n_entries * 5;
    for p in inbox.iter() {
        prov.spikes_processed += p.count as u64;
        let Some(e) = pop_table_lookup(pop, p.key) else {
            prov.invalid_master_pop_hits += p.count as u64;
            continue;
        };
        let (mask, w2, w3, w4) = (pop[e + 1], pop[e + 2], pop[e + 3], pop[e + 4]);
        let (start, n_colour, count) = ((w2 & 0x1FFF) as usize, (w2 >> 13) & 7, (w2 >> 16) as usize);
        let (core_mask, shift) = (w3 & 0xFFFF, w3 >> 16);
        let n_neurons = w4 & 0xFFFF;
        let core = (p.key >> shift) & core_mask;
        let local = p.key & !(mask | (core_mask << shift));
        let neuron_id = (local >> n_colour) + core * n_neurons;
        // The colour carries the sender's tick; it differs from ours only after a soft reset.
        let colour_mask = (1u32 << n_colour) - 1;
        let colour_delay = (t & colour_mask).wrapping_sub(local & colour_mask) & colour_mask;
        prov.late_spikes += (colour_delay & 1) as u64;
        prov.max_late_spike = prov.max_late_spike.max(colour_delay);
        let masked_time = (t.wrapping_sub(colour_delay) & delay_mask) << (n_bits + t_bits);
        for _ in 0..p.count {
            let mut any_valid = false;
            for (i, item) in pop[list + start..list + start + count].iter().enumerate() {
                let address = item >> 8;
                if address == INVALID_ADDRESS {
                    continue;
                }
                any_valid = true;
                // A row the host never wrote reads as nothing here; on the chip the DMA would
                // fetch whatever memory follows.
                let Some(r) = rows.row_index(start + i, neuron_id) else {
                    prov.rows_outside_matrix += 1;
                    continue;
                };
                // A plastic row (pp_size != 0) is processed before the row's static part (docs/stdp.md §7).
                if let (Some((start, ctrl)), Some(st)) = (rows.plastic_row(r), &nc.stdp) {
                    let geometry = super::stdp::Geometry {
                        n_bits,
                        t_bits,
                        d_bits,
                        shifts: nc.shifts(),
                        header_words: rows.header_words() as usize,
                    };
                    super::stdp::process_plastic_row(st, &geometry, s, prov, start, ctrl, t, colour_delay);
                }
                let row = rows.fixed(r);
                prov.pre_synaptic_events += row.len() as u64;
                for &word in row {
                    let delay = (word >> (n_bits + t_bits)) & delay_mask;
                    if delay != 0 && delay <= colour_delay {
                        prov.synapses_skipped += 1;
                        continue;
                    }
                    let idx = (word.wrapping_add(masked_time) & ring_mask) as usize;
                    let acc = s.ring[idx] as u32 + (word >> 16);
                    if acc & 0x10000 != 0 {
                        s.ring[idx] = 0xFFFF;
                        prov.synaptic_weight_saturations += 1;
                    } else {
                        s.ring[idx] = acc as u16;
                    }
                }
            }
            if !any_valid {
                prov.ghost_pop_table_searches += 1;
            }
        }
    }
    inbox.clear();
}
