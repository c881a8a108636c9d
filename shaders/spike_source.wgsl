// SpikeSourceArray cores, twin of src/engine/cpu/spike_source.rs: the spikes due at tick t, in
// neuron order; a neuron listed k times at a tick sends k packets (its slot holds k).

fn spike_array(inst: u32, ci: u32, c: CoreInfo, t: u32) {
    let base = inst * sizes.n_slots + c.slot_base;
    if c.sends != 0u {
        for (var n = 0u; n < c.n_atoms; n++) {
            slots[base + n] = 0u;
        }
    }
    let si = core_state_index(inst, ci, CS_NEXT_SPIKE);
    var next = atomicLoad(&core_state[si]);
    // Spikes before this tick (a run that began later) are skipped.
    while next < c.n_spikes && spike_time(inst, c, next).x < t {
        next += 1u;
    }
    while next < c.n_spikes && spike_time(inst, c, next).x == t {
        let n = spike_time(inst, c, next).y;
        if c.sends != 0u {
            slots[base + n] += 1u;
        }
        let col = rec_column(c, n, REC_SPIKES);
        if col != NOT_RECORDED {
            record_spike_bit(inst, ci, col, t);
        }
        next += 1u;
    }
    atomicStore(&core_state[si], next);
}

// The timer of every source core, one invocation per core: spike arrays, Poisson sources and
// delay extensions (neuron cores have their own stage).
@compute @workgroup_size(64)
fn source_timer(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    source_core(linear_id(gid, nwg), gid.z);
    check_loop_limit(gid.z);
}

fn source_core(ci: u32, inst: u32) {
    if ci >= sizes.n_cores {
        return;
    }
    let c = cores[ci];
    let t = tick();
    switch c.kind {
        case KIND_SPIKE_ARRAY: {
            spike_array(inst, ci, c, t);
        }
        case KIND_POISSON: {
            poisson_timer(inst, ci, c, t);
        }
        case KIND_DELAY: {
            delay_send(inst, c, t);
        }
        default: {}
    }
}
