//! Incoming spikes at a neuron core (docs/semantics.md §4, docs/semantics.md §3.4): master-population-table binary search, the
//! address list, the synaptic rows, and 16-bit saturating ring-buffer adds.

use crate::machine::rows::CompactMatrix;
use crate::machine::state::{CoreRun, CoreState};
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
