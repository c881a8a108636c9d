// The router and the master population table, twin of src/engine/cpu/spike_route.rs and the
// look-up half of src/engine/cpu/synapse_rows.rs. Every source (neuron, Poisson source, spike
// array neuron, delay stage) has a slot holding its spike count of the tick; slots are numbered
// in core order, then sending order, which is the order the CPU engine routes packets in. One
// invocation per slot: the packet's key, its routing entry, and for each destination core
// either the delay-extension count or the pop-table search, address list and rows, which become
// row jobs for synapse_rows.wgsl.

struct Packet {
    core: u32,
    key: u32,
    // spikes carried in all, and in how many packets (spike arrays send one packet per spike)
    count: u32,
    packets: u32,
}

// The sending core of a slot: senders are (slot_base, core) pairs sorted by slot_base.
fn sender_of(slot: u32) -> u32 {
    var lo = 0u;
    var hi = sizes.n_senders;
    while hi - lo > 1u {
        let mid = (lo + hi) >> 1u;
        if tables[sizes.senders_offset + mid * 2u] <= slot {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return tables[sizes.senders_offset + lo * 2u + 1u];
}

fn packet_of(inst: u32, slot: u32, count: u32, t: u32) -> Packet {
    return packet_from(inst, sender_of(slot), slot, count, t);
}

// The packet of a slot of sending core `ci`.
fn packet_from(inst: u32, ci: u32, slot: u32, count: u32, t: u32) -> Packet {
    let c = cores[ci];
    var colour = t;
    if c.kind == KIND_NEURON {
        colour = atomicLoad(&core_state[core_state_index(inst, ci, CS_COLOUR)]);
    }
    colour = colour & ((1u << c.n_colour_bits) - 1u);
    let key = (c.key + ((slot - c.slot_base) << c.n_colour_bits)) | colour;
    return Packet(ci, key, count, select(1u, count, c.kind == KIND_SPIKE_ARRAY));
}

// The routing entry of a key (entries sorted by key, 4 words: key, mask, first destination,
// number of destinations), or NOT_RECORDED.
fn route_of(key: u32) -> u32 {
    var lo = 0u;
    var hi = sizes.n_routes;
    while lo < hi {
        let mid = (lo + hi) >> 1u;
        if route_record(sizes.routes_offset + mid * ROUTE_RECORD_WORDS).key <= key {
            lo = mid + 1u;
        } else {
            hi = mid;
        }
    }
    if lo == 0u {
        return NOT_RECORDED;
    }
    let e = sizes.routes_offset + (lo - 1u) * ROUTE_RECORD_WORDS;
    let r = route_record(e);
    if (key & r.mask) != r.key {
        return NOT_RECORDED;
    }
    return e;
}

// Whether routing entry `e` (see route_of) sends to core `ci`.
fn routes_to(e: u32, ci: u32) -> bool {
    let r = route_record(e);
    let first = r.destinations;
    for (var k = 0u; k < r.n_destinations; k++) {
        if tables[first + k] == ci {
            return true;
        }
    }
    return false;
}

// Binary search of a core's master population table; returns the entry's word in the tables.
fn pop_table_lookup(pop: u32, key: u32) -> u32 {
    var imin = 0u;
    var imax = tables[pop];
    while imin < imax {
        let mid = (imin + imax) >> 1u;
        let e = pop + pop_entry_offset(mid);
        let ekey = tables[e];
        if (key & tables[e + 1u]) == ekey {
            return e;
        }
        if ekey < key {
            imin = mid + 1u;
        } else {
            imax = mid;
        }
    }
    return NOT_RECORDED;
}

// The compact row (local to the core) of `neuron_id` in the block that item `item` of the
// core's address list names, or NO_ROW when there is none.
fn row_index(c: CoreInfo, item: u32, neuron_id: u32) -> u32 {
    let b = c.item_rows_base + item * 2u;
    if neuron_id >= tables[b + 1u] {
        return NO_ROW;
    }
    return tables[b] + neuron_id;
}

// The words [start, end) of compact row r of a core.
fn row_words(c: CoreInfo, r: u32) -> vec2<u32> {
    return vec2<u32>(row_start[c.row_base + r], row_start[c.row_base + r + 1u]);
}

// The words [start, end) of the row of `neuron_id` in the block that address-list item `item`
// names, or (1, 0) when there is none.
fn find_row(c: CoreInfo, item: u32, neuron_id: u32) -> vec2<u32> {
    let r = row_index(c, item, neuron_id);
    if r == NO_ROW {
        return vec2<u32>(1u, 0u);
    }
    return row_words(c, r);
}

// What a packet means to a neuron core: where its rows go in the ring buffer.
struct Arrival {
    // the pop-table entry, or NOT_RECORDED
    entry: u32,
    neuron_id: u32,
    colour_delay: u32,
    masked_time: u32,
}

fn arrival(c: CoreInfo, key: u32, t: u32) -> Arrival {
    let e = pop_table_lookup(c.pop_base, key);
    if e == NOT_RECORDED {
        return Arrival(e, 0u, 0u, 0u);
    }
    let entry = pop_entry(e);
    // The sender's neuron, and the key's colour: the sender's tick, which differs from ours only
    // after a soft reset.
    let source = pop_entry_source(entry, key);
    let cm = (1u << entry.n_colour_bits) - 1u;
    let colour_delay = ((t & cm) - source.y) & cm;
    let masked_time = ((t - colour_delay) & ((1u << c.d_bits) - 1u)) << (c.n_bits + c.t_bits);
    return Arrival(e, source.x, colour_delay, masked_time);
}

// A packet reaching neuron core di: its pop-table search and the counters of its arrival
// (spikes processed, invalid hits, late spikes). Its entry is NOT_RECORDED when no entry matched.
fn packet_arrives(inst: u32, di: u32, c: CoreInfo, p: Packet, t: u32) -> Arrival {
    prov_add(inst, di, PROV_SPIKES_PROCESSED, p.count);
    let a = arrival(c, p.key, t);
    if a.entry == NOT_RECORDED {
        prov_add(inst, di, PROV_INVALID_POP_HITS, p.count);
        return a;
    }
    prov_add(inst, di, PROV_LATE_SPIKES, p.packets * (a.colour_delay & 1u));
    prov_max(inst, di, PROV_MAX_LATE, a.colour_delay);
    return a;
}

fn deliver_to_neuron_core(inst: u32, di: u32, p: Packet, t: u32) {
    let c = cores[di];
    let a = packet_arrives(inst, di, c, p, t);
    if a.entry == NOT_RECORDED {
        return;
    }
    let w2 = tables[a.entry + 2u];
    let list = c.pop_base + address_list_offset(tables[c.pop_base]) + pop_entry_start(w2);
    var any_valid = false;
    for (var k = 0u; k < pop_entry_count(w2); k++) {
        let address = item_address(tables[list + k]);
        if address == INVALID_ADDRESS {
            continue;
        }
        any_valid = true;
        let row = find_row(c, pop_entry_start(w2) + k, a.neuron_id);
        if row.x > row.y {
            prov_add(inst, di, PROV_ROWS_OUTSIDE, p.count);
            continue;
        }
        prov_add(inst, di, PROV_PRE_SYNAPTIC_EVENTS, p.count * (row.y - row.x));
        for (var s = row.x; s < row.y; s += JOB_WORDS) {
            let job = RowJob(di, s, min(s + JOB_WORDS, row.y), a.masked_time, a.colour_delay, p.count, inst, 0u);
            let j = atomicAdd(&control[control_index(inst, CTL_JOBS)], 1u);
            if j < sizes.job_capacity {
                jobs[inst * sizes.job_capacity + j] = job;
            } else {
                // No room left this tick: the adds are made here (their order does not matter).
                synapse_run(job);
            }
        }
    }
    if !any_valid {
        prov_add(inst, di, PROV_GHOST_SEARCHES, p.count);
    }
}

@compute @workgroup_size(64)
fn spike_route(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    route_slot(linear_id(gid, nwg), gid.z);
    check_loop_limit(gid.z);
}

fn route_slot(slot: u32, inst: u32) {
    if slot >= sizes.n_slots {
        return;
    }
    let count = slots[inst * sizes.n_slots + slot];
    if count == 0u {
        return;
    }
    let t = tick();
    let p = packet_of(inst, slot, count, t);
    prov_add(inst, p.core, PROV_PACKETS_SENT, p.packets);
    let e = route_of(p.key);
    if e == NOT_RECORDED {
        let old = atomicAdd(&control[control_index(inst, CTL_UNROUTED)], p.packets);
        if old + p.packets < old {
            atomicAdd(&control[control_index(inst, CTL_UNROUTED + 1u)], 1u);
        }
        return;
    }
    let route = route_record(e);
    for (var k = 0u; k < route.n_destinations; k++) {
        let d = tables[route.destinations + k];
        switch cores[d].kind {
            case KIND_NEURON: {
                // A core with STDP input takes its packets itself, in order (stdp.wgsl).
                if cores[d].stdp == NOT_RECORDED {
                    deliver_to_neuron_core(inst, d, p, t);
                }
            }
            case KIND_DELAY: {
                delay_receive(inst, d, p.key, p.count, p.packets, t);
            }
            default: {}
        }
    }
}
