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

pub fn synapse_rows(nc: &NeuronCore, run: &mut CoreRun, t: u32) {
    let CoreState::Neuron(s) = &mut run.state else { return };
    let pop = &nc.pop_table;
    let matrix = &nc.synaptic_matrix;
    let (n_bits, t_bits, d_bits) = (nc.log_n_neurons(), nc.log_n_synapse_types(), nc.log_max_delay());
    let ring_mask = (1u32 << (d_bits + t_bits + n_bits)) - 1;
    let delay_mask = (1u32 << d_bits) - 1;
    let n_entries = pop[0] as usize;
    let list = 2 + n_entries * 5;
    let inbox = std::mem::take(&mut run.inbox);
    for p in &inbox {
        run.prov.spikes_processed += p.count as u64;
        let Some(e) = pop_table_lookup(pop, p.key) else {
            run.prov.invalid_master_pop_hits += p.count as u64;
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
        run.prov.late_spikes += (colour_delay & 1) as u64;
        run.prov.max_late_spike = run.prov.max_late_spike.max(colour_delay);
        let masked_time = (t.wrapping_sub(colour_delay) & delay_mask) << (n_bits + t_bits);
        for _ in 0..p.count {
            let mut any_valid = false;
            for item in &pop[list + start..list + start + count] {
                let address = item >> 8;
                if address == INVALID_ADDRESS {
                    continue;
                }
                any_valid = true;
                let row_len = (item & 0xFF) as usize + 1;
                let row = (address as usize * 16) / 4 + neuron_id as usize * (row_len + 3);
                // A row the host never wrote (an address past the region) reads as nothing here;
                // on the chip the DMA would fetch whatever memory follows.
                let Some(&plastic) = matrix.get(row) else {
                    run.prov.rows_outside_matrix += 1;
                    continue;
                };
                let plastic = plastic as usize;
                let n_fixed = matrix.get(row + 1 + plastic).copied().unwrap_or(0) as usize;
                let first = row + 3 + plastic;
                if first + n_fixed > matrix.len() {
                    run.prov.rows_outside_matrix += 1;
                    continue;
                }
                run.prov.pre_synaptic_events += n_fixed as u64;
                for &word in &matrix[first..first + n_fixed] {
                    let delay = (word >> (n_bits + t_bits)) & delay_mask;
                    if delay != 0 && delay <= colour_delay {
                        run.prov.synapses_skipped += 1;
                        continue;
                    }
                    let idx = (word.wrapping_add(masked_time) & ring_mask) as usize;
                    let acc = s.ring[idx] as u32 + (word >> 16);
                    if acc & 0x10000 != 0 {
                        s.ring[idx] = 0xFFFF;
                        run.prov.synaptic_weight_saturations += 1;
                    } else {
                        s.ring[idx] = acc as u16;
                    }
                }
            }
            if !any_valid {
                run.prov.ghost_pop_table_searches += 1;
            }
        }
    }
    run.inbox = inbox;
    run.inbox.clear();
}
