// Stage 2b of a tick, twin of src/engine/cpu/neuron_update.rs: every neuron of every neuron core,
// one invocation each: ring drain, record, integrate, threshold, send, decay.

// Position of x in the sorted list of n value words of an instance at `off`, or NOT_RECORDED.
fn rank_in(inst: u32, off: u32, n: u32, x: u32) -> u32 {
    var lo = 0u;
    var hi = n;
    while lo < hi {
        let mid = (lo + hi) >> 1u;
        let v = value_word(inst, off + mid);
        if v == x {
            return mid;
        }
        if v < x {
            lo = mid + 1u;
        } else {
            hi = mid;
        }
    }
    return NOT_RECORDED;
}

// Step sources keep (index, amplitude) per source and advance at most one step per evaluation,
// neuron by neuron (docs/decisions.md D6). The neuron of rank r in the source's list sees the
// state after the r evaluations before it this tick; tick_end.wgsl moves the state on.
fn step_position(inst: u32, times_off: u32, len: u32, idx0: u32, evaluations: u32, t: u32) -> u32 {
    var idx = idx0;
    var k = 0u;
    loop {
        if k >= evaluations || idx >= len || t < value_word(inst, times_off + idx) {
            break;
        }
        idx += 1u;
        k += 1u;
    }
    return idx;
}

fn current_source_offset(inst: u32, c: CoreInfo, local: u32, t: u32) -> i32 {
    var total = 0i;
    for (var k = 0u; k < c.n_cs; k++) {
        let cs = current_source_record(inst, c.cs_base + k * CS_RECORD_WORDS);
        let rank = rank_in(inst, cs.neurons, cs.n_neurons, local);
        if rank == NOT_RECORDED {
            continue;
        }
        if cs.kind == CS_DC {
            if t >= cs.start_or_times && t < cs.stop_or_amplitudes {
                total += bitcast<i32>(cs.amplitude_or_n_steps);
            }
        } else {
            let st = step_state[inst * sizes.n_steps + c.cs_state_base + k];
            let len = cs.amplitude_or_n_steps;
            let times_off = cs.start_or_times;
            let amps_off = cs.stop_or_amplitudes;
            let idx0 = u32(st.x);
            let idx = step_position(inst, times_off, len, idx0, rank, t);
            var amp = st.y;
            if idx > idx0 {
                amp = bitcast<i32>(value_word(inst, amps_off + idx - 1u));
            }
            if idx < len && t >= value_word(inst, times_off + idx) {
                amp = bitcast<i32>(value_word(inst, amps_off + idx));
            }
            total += amp;
        }
    }
    return total;
}

@compute @workgroup_size(64)
fn neuron_update(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = linear_id(gid, nwg);
    let inst = gid.z;
    if g >= sizes.n_neurons {
        return;
    }
    let p = params[inst * sizes.n_neurons + g];
    let ci = p.core;
    let c = cores[ci];
    let local = g - c.first;
    let t = tick();
    var s = state[inst * sizes.n_neurons + g];
    ring_drain(inst, c, local, p, &s, t);

    let cond = c.model == MODEL_IF_COND_EXP || c.model == MODEL_IZHIKEVICH_COND;
    let izk = c.model == MODEL_IZHIKEVICH || c.model == MODEL_IZHIKEVICH_COND;
    let delta = c.model == MODEL_IF_CURR_DELTA;
    if c.rec_flags != 0u {
        // v before the update, gsyn after the ring input and before the decay.
        let gshift = select(0u, 10u, cond);
        record_sample(inst, ci, REC_V, rec_column(c, local, REC_V), t, s.v);
        record_sample(inst, ci, REC_GSYN_EXC, rec_column(c, local, REC_GSYN_EXC), t, s.isyn_exc >> gshift);
        record_sample(inst, ci, REC_GSYN_INH, rec_column(c, local, REC_GSYN_INH), t, s.isyn_inh >> gshift);
    }

    let vs = s.v;
    var exc = s.isyn_exc;
    var inh = s.isyn_inh;
    if cond {
        exc = mul_k(exc >> 10u, p.e_rev_e - vs);
        inh = mul_k(-(inh >> 10u), p.e_rev_i - vs);
    }
    if delta {
        exc = mul_k(exc, p.delta_scale);
        inh = mul_k(inh, p.delta_scale);
    }
    var i_cs = 0i;
    if c.n_cs > 0u {
        i_cs = current_source_offset(inst, c, local, t);
    }
    let input = exc - inh + p.i_offset + i_cs;
    var spiked = false;
    if izk {
        // rk2_kernel_midpoint, with the binary's grouping of beta (docs/decisions.md D4).
        let v = s.v;
        let u = s.u;
        let h = s.this_h;
        let pre = IZK_140 + input - u;
        let alpha = pre + mul_k(IZK_5 + mul_k(IZK_MAGIC, v), v);
        let eta = v + half_k(mul_k(h, alpha));
        let ha = mul_k(h, p.a);
        let beta = half_k(mul_k(mul_k(p.b, v) - u, ha));
        let v_new = v + mul_k(h, pre - beta + mul_k(IZK_5 + mul_k(IZK_MAGIC, eta), eta));
        s.u = u + mul_k(ha, mul_k(p.b, eta) - (u + beta));
        s.this_h = p.reset_h;
        if v_new >= IZK_THRESHOLD {
            s.v = p.c;
            s.u = s.u + p.d;
            s.this_h = mul_k(p.reset_h, IZK_SPIKE_H);
            spiked = true;
        } else {
            s.v = v_new;
        }
    } else {
        var v = vs;
        if s.refract_timer <= 0 {
            let alpha = mul_k(input, p.r_membrane) + p.v_rest;
            v = alpha - mul_k(p.exp_tc, alpha - vs);
        } else {
            s.refract_timer = s.refract_timer - 1;
        }
        if v >= p.v_thresh {
            s.v = p.v_reset;
            s.refract_timer = p.t_refract;
            spiked = true;
        } else {
            s.v = v;
        }
    }
    if delta {
        s.isyn_exc = 0;
        s.isyn_inh = 0;
    } else {
        s.isyn_exc = decay_s1615(s.isyn_exc, p.exc_decay);
        s.isyn_inh = decay_s1615(s.isyn_inh, p.inh_decay);
    }
    state[inst * sizes.n_neurons + g] = s;
    if c.sends != 0u {
        slots[inst * sizes.n_slots + c.slot_base + local] = select(0u, 1u, spiked);
    }
    if spiked && c.stdp != NOT_RECORDED {
        add_post(inst, stdp_info(c), local, t);
    }
    if spiked {
        let col = rec_column(c, local, REC_SPIKES);
        if col != NOT_RECORDED {
            record_spike_bit(inst, ci, col, t);
        }
    }
}
