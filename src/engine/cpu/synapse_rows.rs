//! Incoming spikes at a neuron core (§4, §3.7): master-population-table binary search, the
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

/// A core's synaptic rows packed for the engine: the fixed words of every row back to back, and
/// where each row starts. Rows are found exactly as in sPyNNaker's layout (pop-table item address
/// plus neuron id), through the block each address names.
#[derive(Clone, Debug, Default)]
pub struct CompactMatrix {
    /// (first word of the block in sPyNNaker's layout, first compact row, rows), by first word.
    blocks: Vec<(u32, u32, u32)>,
    row_start: Vec<u32>,
    words: Vec<u32>,
}

impl CompactMatrix {
    pub fn new(nc: &NeuronCore) -> Self {
        let m = &nc.synaptic_matrix;
        let mut c = CompactMatrix { row_start: vec![0], ..Default::default() };
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
            }
        }
        c.words.shrink_to_fit();
        c
    }

    /// The fixed words of the row of `neuron_id` in the block starting at word `block_word`.
    #[inline]
    fn row(&self, block_word: u32, neuron_id: u32) -> Option<&[u32]> {
        let b = self.blocks.binary_search_by_key(&block_word, |b| b.0).ok()?;
        let (_, first, n_rows) = self.blocks[b];
        if neuron_id >= n_rows {
            return None;
        }
        let r = (first + neuron_id) as usize;
        Some(&self.words[self.row_start[r] as usize..self.row_start[r + 1] as usize])
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
        self.words.len() * 4 + self.row_start.len() * 4 + self.blocks.len() * 12
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
            for item in &pop[list + start..list + start + count] {
                let address = item >> 8;
                if address == INVALID_ADDRESS {
                    continue;
                }
                any_valid = true;
                // A row the host never wrote reads as nothing here; on the chip the DMA would
                // fetch whatever memory follows.
                let Some(row) = rows.row(address * 4, neuron_id) else {
                    prov.rows_outside_matrix += 1;
                    continue;
                };
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
