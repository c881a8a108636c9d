//! Incoming spikes at a neuron core (docs/semantics.md §4, docs/semantics.md §3.4): master-population-table binary search, the
//! address list, the synaptic rows, and 16-bit saturating ring-buffer adds.

use crate::machine::rows::CompactMatrix;
use crate::machine::state::{CoreRun, CoreState};
use crate::mapping::words::{
    address_list_offset, item_address, pop_table_lookup, synapse_delay, synapse_weight, PopEntry, INVALID_ADDRESS,
};
use crate::mapping::NeuronCore;

/// Processes the packets that arrived at a neuron core during tick `t`.
pub fn synapse_rows(nc: &NeuronCore, rows: &CompactMatrix, run: &mut CoreRun, t: u32) {
    let CoreRun { state, inbox, prov, .. } = run;
    let CoreState::Neuron(s) = state else { return };
    let pop = &nc.pop_table;
    let (n_bits, t_bits, d_bits) = (nc.log_n_neurons(), nc.log_n_synapse_types(), nc.log_max_delay());
    let ring_mask = (1u32 << (d_bits + t_bits + n_bits)) - 1;
    let delay_mask = (1u32 << d_bits) - 1;
    let list = address_list_offset(pop[0]);
    for p in inbox.iter() {
        prov.spikes_processed += p.count as u64;
        let Some(e) = pop_table_lookup(pop, p.key) else {
            prov.invalid_master_pop_hits += p.count as u64;
            continue;
        };
        let entry = PopEntry::decode(&pop[e..]);
        let (start, count) = (entry.start as usize, entry.count as usize);
        let (neuron_id, colour) = entry.source_of(p.key);
        // The colour carries the sender's tick; it differs from ours only after a soft reset.
        let colour_mask = (1u32 << entry.n_colour_bits) - 1;
        let colour_delay = (t & colour_mask).wrapping_sub(colour) & colour_mask;
        prov.late_spikes += (colour_delay & 1) as u64;
        prov.max_late_spike = prov.max_late_spike.max(colour_delay);
        let masked_time = (t.wrapping_sub(colour_delay) & delay_mask) << (n_bits + t_bits);
        for _ in 0..p.count {
            let mut any_valid = false;
            for (i, item) in pop[list + start..list + start + count].iter().enumerate() {
                if item_address(*item) == INVALID_ADDRESS {
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
                    let delay = synapse_delay(word, n_bits, t_bits, d_bits);
                    if delay != 0 && delay <= colour_delay {
                        prov.synapses_skipped += 1;
                        continue;
                    }
                    let idx = (word.wrapping_add(masked_time) & ring_mask) as usize;
                    let acc = s.ring[idx] as u32 + synapse_weight(word);
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
