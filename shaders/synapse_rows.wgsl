// Synaptic rows into ring buffers, twin of src/engine/cpu/synapse_rows.rs (docs/semantics.md §4, docs/semantics.md §3.4).
//
// Ring-buffer entries are u32 and take atomic adds of the 16-bit weights. The chip's entry is
// 16-bit and saturates at 0xFFFF; as every weight is ≥ 0, its value is min(sum, 0xFFFF) in any
// order of adds, which is what ring_drain.wgsl reads. The saturation counter, however, depends on
// the order: an add saturates when the running sum after it exceeds 0xFFFF and its weight is not
// 0. Its order is defined as the CPU engine's: packets in slot order (core order, then sending
// order), each packet's repeats, the address-list items, then the words of each row. A core whose
// entries passed 0xFFFF this tick is flagged and saturation_replay recounts its adds in that
// order, neuron by neuron (see below). The sum of one entry must stay below 2^32 (65537
// full-weight adds in one window); past that the run stops with an error.

fn synapse_run(job: RowJob) {
    let c = cores[job.core];
    let nt = c.n_bits + c.t_bits;
    let ring_mask = (1u << (c.d_bits + nt)) - 1u;
    let base = job.instance * sizes.n_ring + c.ring_base;
    var skipped = 0u;
    var saturated = false;
    for (var i = job.start; i < job.end; i++) {
        let w = synaptic_word(job.instance, i);
        let delay = synapse_delay(w, c.n_bits, c.t_bits, c.d_bits);
        if delay != 0u && delay <= job.colour_delay {
            skipped += job.count;
            continue;
        }
        let add = synapse_weight(w) * job.count;
        if add == 0u {
            continue;
        }
        let old = ring_add(base + ((w + job.masked_time) & ring_mask), add);
        if old + add < old {
            atomicOr(&control[control_index(job.instance, CTL_ERRORS)], ERR_RING_OVERFLOW);
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
    let inst = gid.z;
    if j >= min(atomicLoad(&control[control_index(inst, CTL_JOBS)]), sizes.job_capacity) {
        return;
    }
    synapse_run(jobs[inst * sizes.job_capacity + j]);
}

// The replay is made per neuron: adds to the entries of different neurons do not meet, so each
// neuron of a flagged core replays, in the defined order, only the adds to its own entries (of
// every delay and synapse type). Pass 0 takes the neuron's adds of the tick out of the ring
// (leaving the sums at the tick's start); pass 1 puts them back packet by packet and counts the
// adds after which an entry exceeds 0xFFFF. A packet's repeats add the same words again, so pass 1
// collects the packet's words for the neuron (up to REPLAY_WORDS; more are replayed one repeat at
// a time) and counts every repeat of them at once: for the add of word j in repeat r (1-based),
// the entry holds S + (r − 1)·W + P_j after it, S being the entry before the packet, W the sum of
// the packet's words to the same entry and P_j that sum up to word j.
const REPLAY_WORDS: u32 = 16u;

// The words of a packet's rows (every item of its pop-table entry) that add to one neuron, in
// order: how many, and the first REPLAY_WORDS of them.
struct Collected {
    n: u32,
    words: array<u32, 16>,
}

fn replay_ring_index(c: CoreInfo, base: u32, w: u32, a: Arrival) -> u32 {
    let ring_mask = (1u << (c.d_bits + c.n_bits + c.t_bits)) - 1u;
    return base + ((w + a.masked_time) & ring_mask);
}

// Whether word `w` of a row adds to neuron `local` for this arrival.
fn replay_adds(c: CoreInfo, w: u32, local: u32, a: Arrival) -> bool {
    let delay = synapse_delay(w, c.n_bits, c.t_bits, c.d_bits);
    return synapse_index(w, c.n_bits) == local && !(delay != 0u && delay <= a.colour_delay) && synapse_weight(w) != 0u;
}

// Pass 0 takes the packet's adds to the neuron out of the ring (count × weight per word); pass 1
// collects the words (n > REPLAY_WORDS: too many to keep).
fn replay_scan(inst: u32, c: CoreInfo, base: u32, local: u32, p: Packet, a: Arrival, phase: u32) -> Collected {
    var out: Collected;
    out.n = 0u;
    let w2 = tables[a.entry + 2u];
    let list = c.pop_base + address_list_offset(tables[c.pop_base]) + pop_entry_start(w2);
    for (var k = 0u; k < pop_entry_count(w2); k++) {
        let address = item_address(tables[list + k]);
        if address == INVALID_ADDRESS {
            continue;
        }
        let row = find_row(c, pop_entry_start(w2) + k, a.neuron_id);
        for (var i = row.x; i < row.y; i++) {
            let w = synaptic_word(inst, i);
            if !replay_adds(c, w, local, a) {
                continue;
            }
            if phase == 0u {
                ring_sub(replay_ring_index(c, base, w, a), synapse_weight(w) * p.count);
            } else {
                if out.n < REPLAY_WORDS {
                    out.words[out.n] = w;
                }
                out.n += 1u;
            }
        }
    }
    return out;
}

// Pass 1 for one packet: puts its adds to the neuron back, returns how many saturated.
fn replay_packet(inst: u32, c: CoreInfo, base: u32, local: u32, p: Packet, a: Arrival) -> u32 {
    let got = replay_scan(inst, c, base, local, p, a, 1u);
    var saturations = 0u;
    if got.n > REPLAY_WORDS {
        // Repeat by repeat, item by item, word by word.
        let w2 = tables[a.entry + 2u];
        let list = c.pop_base + address_list_offset(tables[c.pop_base]) + pop_entry_start(w2);
        for (var rep = 0u; rep < p.count; rep++) {
            for (var k = 0u; k < pop_entry_count(w2); k++) {
                let address = item_address(tables[list + k]);
                if address == INVALID_ADDRESS {
                    continue;
                }
                let row = find_row(c, pop_entry_start(w2) + k, a.neuron_id);
                for (var i = row.x; i < row.y; i++) {
                    let w = synaptic_word(inst, i);
                    if replay_adds(c, w, local, a) && ring_add(replay_ring_index(c, base, w, a), synapse_weight(w)) + synapse_weight(w) > 0xFFFFu {
                        saturations += 1u;
                    }
                }
            }
        }
        return saturations;
    }
    // Every repeat at once: the counts from the entries before the packet, then the adds.
    for (var j = 0u; j < got.n; j++) {
        let idx = replay_ring_index(c, base, got.words[j], a);
        var w_sum = 0u;
        var p_sum = 0u;
        for (var q = 0u; q < got.n; q++) {
            if replay_ring_index(c, base, got.words[q], a) == idx {
                w_sum += synapse_weight(got.words[q]);
                if q <= j {
                    p_sum += synapse_weight(got.words[q]);
                }
            }
        }
        // After repeat r: S + (r − 1)·W + P; saturated from the first r where it exceeds 0xFFFF.
        let x = ring_add(idx, 0u) + p_sum;
        if x > 0xFFFFu {
            saturations += p.count;
        } else {
            saturations += p.count - min(p.count, (0xFFFFu - x) / w_sum + 1u);
        }
    }
    for (var j = 0u; j < got.n; j++) {
        ring_add(replay_ring_index(c, base, got.words[j], a), synapse_weight(got.words[j]) * p.count);
    }
    return saturations;
}

// One pass of neuron `local` of core `ci` over the packets of tick t, in slot order.
fn replay_pass(inst: u32, ci: u32, local: u32, t: u32, phase: u32) -> u32 {
    let c = cores[ci];
    let base = inst * sizes.n_ring + c.ring_base;
    var saturations = 0u;
    for (var s = 0u; s < sizes.n_senders; s++) {
        let sender = tables[sizes.senders_offset + s * 2u + 1u];
        let first = tables[sizes.senders_offset + s * 2u];
        var end = sizes.n_slots;
        if s + 1u < sizes.n_senders {
            end = tables[sizes.senders_offset + (s + 1u) * 2u];
        }
        // The keys of a sender grow with the slot: when its first and last keys find the same
        // routing entry, so do all of them.
        let e = route_of(packet_from(inst, sender, first, 1u, t).key);
        let one_route = e != NOT_RECORDED && e == route_of(packet_from(inst, sender, end - 1u, 1u, t).key);
        if one_route && !routes_to(e, ci) {
            continue;
        }
        for (var slot = first; slot < end; slot++) {
            let count = slots[inst * sizes.n_slots + slot];
            if count == 0u {
                continue;
            }
            let p = packet_from(inst, sender, slot, count, t);
            if !one_route {
                let es = route_of(p.key);
                if es == NOT_RECORDED || !routes_to(es, ci) {
                    continue;
                }
            }
            let a = arrival(c, p.key, t);
            if a.entry == NOT_RECORDED {
                continue;
            }
            if phase == 0u {
                replay_scan(inst, c, base, local, p, a, 0u);
            } else {
                saturations += replay_packet(inst, c, base, local, p, a);
            }
        }
    }
    return saturations;
}

fn saturation_replay_neuron(g: u32, inst: u32) {
    if g >= sizes.n_neurons {
        return;
    }
    let ci = params[inst * sizes.n_neurons + g].core;
    if atomicLoad(&core_state[core_state_index(inst, ci, CS_SATURATED)]) == 0u {
        return;
    }
    let local = g - cores[ci].first;
    let t = tick();
    replay_pass(inst, ci, local, t, 0u);
    prov_add(inst, ci, PROV_WEIGHT_SATURATIONS, replay_pass(inst, ci, local, t, 1u));
}

// One invocation per neuron; tick_end clears the cores' flags.
@compute @workgroup_size(64)
fn saturation_replay(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    saturation_replay_neuron(linear_id(gid, nwg), gid.z);
    check_loop_limit(gid.z);
}
