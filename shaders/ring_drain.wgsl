// Stage 1c of a tick, twin of src/engine/cpu/ring_drain.rs: move ring-buffer slot t of a neuron
// into its synaptic state and zero it. Entries hold the unclamped sum of their adds; the 16-bit
// saturating ring of the chip holds min(sum, 0xFFFF), which is what is drained.

fn ring_drain(inst: u32, c: CoreInfo, local: u32, p: NeuronParams, s: ptr<function, NeuronState>, t: u32) {
    let slot_base = (t & ((1u << c.d_bits) - 1u)) << (c.t_bits + c.n_bits);
    let base = inst * sizes.n_ring + c.ring_base;
    let ve = min(ring_take(base + (slot_base | local)), 0xFFFFu);
    let vi = min(ring_take(base + (slot_base | (1u << c.n_bits) | local)), 0xFFFFu);
    // synapse_row_convert_weight_to_input: value << shift as s16.15.
    let ie = bitcast<i32>(ve << p.shift_exc);
    let ii = bitcast<i32>(vi << p.shift_inh);
    if c.model == MODEL_IF_CURR_DELTA {
        (*s).isyn_exc = (*s).isyn_exc + ie;
        (*s).isyn_inh = (*s).isyn_inh + ii;
    } else {
        (*s).isyn_exc = (*s).isyn_exc + decay_s1615(ie, p.exc_init);
        (*s).isyn_inh = (*s).isyn_inh + decay_s1615(ii, p.inh_init);
    }
}
