// The bookkeeping between the stages of a tick: the size of the row-job dispatch, and at the
// end of the tick the colour counters, the step current sources and the clock.

// One invocation, after spike_route: the indirect dispatch of synapse_rows (64 jobs per
// workgroup, as a 2D grid for the instance that queued the most, one layer per instance), and
// the tick for tick_end (which moves the clock).
@compute @workgroup_size(1)
fn rows_args() {
    var jobs = 0u;
    for (var i = 0u; i < sizes.n_instances; i++) {
        jobs = max(jobs, min(atomicLoad(&control[control_index(i, CTL_JOBS)]), sizes.job_capacity));
    }
    let groups = (jobs + 63u) / 64u;
    let x = min(groups, 65535u);
    dispatch[0] = x;
    dispatch[1] = select(0u, (groups + x - 1u) / max(x, 1u), groups > 0u);
    dispatch[2] = sizes.n_instances;
    dispatch[3] = tick();
}

@compute @workgroup_size(64)
fn tick_end(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let ci = linear_id(gid, nwg);
    let inst = gid.z;
    let t = dispatch[3];
    if ci == 0u {
        atomicStore(&control[control_index(inst, CTL_JOBS)], 0u);
        if inst == 0u {
            atomicStore(&control[CTL_TICK], t + 1u);
        }
    }
    if ci >= sizes.n_cores {
        return;
    }
    let c = cores[ci];
    if c.kind != KIND_NEURON {
        return;
    }
    // The colour counter moves after every update.
    atomicAdd(&core_state[core_state_index(inst, ci, CS_COLOUR)], 1u);
    // The saturation replay of the tick is done.
    atomicStore(&core_state[core_state_index(inst, ci, CS_SATURATED)], 0u);
    // Each step source was evaluated once per neuron of its list (see neuron_update.wgsl).
    for (var k = 0u; k < c.n_cs; k++) {
        let cs = current_source_record(inst, c.cs_base + k * CS_RECORD_WORDS);
        if cs.kind == CS_DC {
            continue;
        }
        let si = inst * sizes.n_steps + c.cs_state_base + k;
        let st = step_state[si];
        let idx0 = u32(st.x);
        let idx = step_position(inst, cs.start_or_times, cs.amplitude_or_n_steps, idx0, cs.n_neurons, t);
        if idx > idx0 {
            step_state[si] = vec2<i32>(i32(idx), bitcast<i32>(value_word(inst, cs.stop_or_amplitudes + idx - 1u)));
        }
    }
}
