//! Stage 1c of a tick: move ring-buffer slot `t` into the synaptic state and zero it (`neuron_transfer`).

use super::state::NeuronState;
use crate::fixed::decay_s1615;
use crate::mapping::NeuronCore;
use crate::model::CellType;

pub fn ring_drain(core: &NeuronCore, s: &mut NeuronState, t: u32) {
    let (n_bits, t_bits, d_bits) = (core.log_n_neurons(), core.log_n_synapse_types(), core.log_max_delay());
    let shifts = core.shifts();
    let slot_base = ((t & ((1 << d_bits) - 1)) << (t_bits + n_bits)) as usize;
    let n_neurons = core.neurons.v.len();
    let delta = core.model == CellType::IfCurrDelta;
    for syn_type in 0..(1usize << t_bits) {
        let base = slot_base | (syn_type << n_bits);
        for n in 0..(1usize << n_bits) {
            let value = s.ring[base | n];
            if value == 0 {
                continue;
            }
            s.ring[base | n] = 0;
            if n >= n_neurons || syn_type > 1 {
                continue;
            }
            // synapse_row_convert_weight_to_input: value << shift as s16.15 (wraps for shift ≥ 16).
            let input = ((value as u32) << shifts[syn_type]) as i32;
            let (state, init) = if syn_type == 0 {
                (&mut s.isyn_exc[n], core.neurons.exc_init.get(n))
            } else {
                (&mut s.isyn_inh[n], core.neurons.inh_init.get(n))
            };
            *state = match (delta, init) {
                (false, Some(&init)) => state.wrapping_add(decay_s1615(input, init)),
                _ => state.wrapping_add(input),
            };
        }
    }
}
