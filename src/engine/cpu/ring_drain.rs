//! Stage 1c of a tick: move ring-buffer slot `t` into the synaptic state and zero it (`neuron_transfer`).

use crate::fixed::decay_s1615;
use crate::machine::state::NeuronState;
use crate::mapping::NeuronCore;
use crate::model::CellType;

pub fn ring_drain(core: &NeuronCore, s: &mut NeuronState, t: u32) {
    let (n_bits, t_bits, d_bits) = (core.log_n_neurons(), core.log_n_synapse_types(), core.log_max_delay());
    let shifts = core.shifts();
    let slot_base = ((t & ((1 << d_bits) - 1)) << (t_bits + n_bits)) as usize;
    let n_neurons = core.neurons.v.len();
    let delta = core.model == CellType::IfCurrDelta;
    // Only entries of real neurons and the two synapse types are ever written; a zero entry adds
    // nothing (decay_s1615(0, init) = 0), so no branch is needed.
    for (syn_type, &shift) in shifts.iter().enumerate() {
        let base = slot_base | (syn_type << n_bits);
        let slot = &mut s.ring[base..base + n_neurons];
        let (state, init) = if syn_type == 0 {
            (&mut s.isyn_exc[..], &core.neurons.exc_init[..])
        } else {
            (&mut s.isyn_inh[..], &core.neurons.inh_init[..])
        };
        // synapse_row_convert_weight_to_input: value << shift as s16.15 (wraps for shift ≥ 16).
        if delta {
            for (st, v) in state.iter_mut().zip(slot.iter_mut()) {
                *st = st.wrapping_add(((*v as u32) << shift) as i32);
                *v = 0;
            }
        } else {
            for ((st, v), &init) in state.iter_mut().zip(slot.iter_mut()).zip(init) {
                *st = st.wrapping_add(decay_s1615(((*v as u32) << shift) as i32, init));
                *v = 0;
            }
        }
    }
}
