// Synaptic rows into ring buffers, twin of src/engine/cpu/synapse_rows.rs (§4, §3.7).
//
// Ring-buffer entries are u32 and take atomic adds of the 16-bit weights. The chip's entry is
// 16-bit and saturates at 0xFFFF; as every weight is ≥ 0, its value is min(sum, 0xFFFF) in any
// order of adds, which is what ring_drain.wgsl reads. The saturation counter, however, depends on
// the order: an add saturates when the running sum after it exceeds 0xFFFF and its weight is not
// 0. Its order is defined as the CPU engine's: packets in slot order (core order, then sending
// order), each packet's repeats, the address-list items, then the words of each row. A core whose
// entries passed 0xFFFF this tick is flagged and saturation_replay recounts its adds in that
// order. The sum of one entry must stay below 2^32 (65537 full-weight adds in one window); past
// that the run stops with an error.

fn synapse_run(job: RowJob) {
    let c = cores[job.core];
    let nt = c.n_bits + c.t_bits;
    let delay_mask = (1u << c.d_bits) - 1u;
    let ring_mask = (1u << (c.d_bits + nt)) - 1u;
    let base = job.instance * sizes.n_ring + c.ring_base;
    var skipped = 0u;
    var saturated = false;
    for (var i = job.start; i < job.end; i++) {
        let w = synaptic_word(i);
        let delay = (w >> nt) & delay_mask;
        if delay != 0u && delay <= job.colour_delay {
            skipped += job.count;
            continue;
        }
        let add = (w >> 16u) * job.count;
        if add == 0u {
            continue;
        }
        let old = ring_add(base + ((w + job.masked_time) & ring_mask), add);
        if old + add < old {
            atomicOr(&control[CTL_ERRORS], ERR_RING_OVERFLOW);
        }
        if old + add > 0xFFFFu {
            saturated = true;
        }
    }
    prov_add(job.instance, job.core, PROV_SYNAPSES_SKIPPED, skipped);
    if saturated {
        atomicStore(&core_state[core_state_index(job.instance, job.core, CS_SATURATED)], 1u);
    }
}

@compute @workgroup_size(64)
fn synapse_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let j = linear_id(gid, nwg);
    if j >= min(atomicLoad(&control[CTL_JOBS]), sizes.job_capacity) {
        return;
    }
    synapse_run(jobs[j]);
}

// One pass over a neuron core's adds of the tick in the defined order: pass 0 takes them out of
// the ring (leaving the sums of the tick's start), pass 1 puts them back one by one and counts
// the adds after which an entry exceeds 0xFFFF.
fn replay_pass(inst: u32, ci: u32, t: u32, phase: u32) -> u32 {
    let c = cores[ci];
    let nt = c.n_bits + c.t_bits;
    let delay_mask = (1u << c.d_bits) - 1u;
    let ring_mask = (1u << (c.d_bits + nt)) - 1u;
    let base = inst * sizes.n_ring + c.ring_base;
    var saturations = 0u;
    for (var slot = 0u; slot < sizes.n_slots; slot++) {
        let count = slots[inst * sizes.n_slots + slot];
        if count == 0u {
            continue;
        }
        let p = packet_of(inst, slot, count, t);
        let e = route_of(p.key);
        if e == NOT_RECORDED {
            continue;
        }
        var mine = false;
        for (var k = 0u; k < tables[e + 3u]; k++) {
            mine = mine || tables[tables[e + 2u] + k] == ci;
        }
        if !mine {
            continue;
        }
        let a = arrival(c, p.key, t);
        if a.entry == NOT_RECORDED {
            continue;
        }
        let w2 = tables[a.entry + 2u];
        let list = c.pop_base + 2u + tables[c.pop_base] * 5u + (w2 & 0x1FFFu);
        for (var rep = 0u; rep < p.count; rep++) {
            for (var k = 0u; k < (w2 >> 16u); k++) {
                let address = tables[list + k] >> 8u;
                if address == INVALID_ADDRESS {
                    continue;
                }
                let row = find_row(c, address * 4u, a.neuron_id);
                for (var i = row.x; i < row.y; i++) {
                    let w = synaptic_word(i);
                    let delay = (w >> nt) & delay_mask;
                    let weight = w >> 16u;
                    if (delay != 0u && delay <= a.colour_delay) || weight == 0u {
                        continue;
                    }
                    let idx = base + ((w + a.masked_time) & ring_mask);
                    if phase == 0u {
                        ring_sub(idx, weight);
                    } else if ring_add(idx, weight) + weight > 0xFFFFu {
                        saturations += 1u;
                    }
                }
            }
        }
    }
    return saturations;
}

@compute @workgroup_size(64)
fn saturation_replay(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let ci = linear_id(gid, nwg);
    let inst = gid.z;
    if ci >= sizes.n_cores {
        return;
    }
    let flag = core_state_index(inst, ci, CS_SATURATED);
    if atomicLoad(&core_state[flag]) == 0u {
        return;
    }
    atomicStore(&core_state[flag], 0u);
    let t = tick();
    replay_pass(inst, ci, t, 0u);
    prov_add(inst, ci, PROV_WEIGHT_SATURATIONS, replay_pass(inst, ci, t, 1u));
}
