// STDP on a neuron core, twin of src/engine/cpu/stdp.rs (docs/stdp.md §6, §7): post-event
// histories added by the neuron update, plastic rows processed at each pre spike.
//
// A core with STDP input takes its packets as the chip's core does: one invocation per core
// (stdp_core), the packets in slot order, each row's plastic part then its static part, with
// 16-bit saturating ring-buffer adds. Its rows are never queued as row jobs, so its ring
// buffer, plastic rows and counters have a single writer, and the order of its saturations is
// the CPU engine's (docs/decisions.md D11).

fn stdp_info(c: CoreInfo) -> StdpInfo {
    let b = c.stdp;
    return StdpInfo(
        tables[b], tables[b + 1u], tables[b + 2u], tables[b + 3u], tables[b + 4u], tables[b + 5u],
        tables[b + 6u], tables[b + 7u], tables[b + 8u], tables[b + 9u], tables[b + 10u], tables[b + 11u],
    );
}

fn sext16(x: i32) -> i32 {
    return (x << 16u) >> 16u;
}

// `smulbb; asr #11`: the signed product of the low half-words, in s4.11.
fn mul16(a: i32, b: i32) -> i32 {
    return (sext16(a) * sext16(b)) >> 11u;
}

// `maths_lut_exponential_decay`: lut[dt] (in the instance's value words), 0 beyond the table.
fn lut_decay(inst: u32, off: u32, size: u32, dt: u32) -> i32 {
    if dt < size {
        return sext16(bitcast<i32>(value_word(inst, off + dt)));
    }
    return 0;
}

fn post_base(inst: u32, si: StdpInfo, local: u32) -> u32 {
    return (inst * sizes.n_post + si.post_base + local) * POST_WORDS;
}

// Adds a post spike of local neuron `local` at tick t to its history.
fn add_post(inst: u32, si: StdpInfo, local: u32, t: u32) {
    let b = post_base(inst, si, local);
    let c = post_hist[b];
    let pair = (si.flags & STDP_NEAREST) == 0u;
    var trace = 0;
    if pair {
        let last_t = post_hist[b + 1u + c];
        let last_tr = bitcast<i32>(post_hist[b + 1u + HISTORY + c]);
        trace = sext16(mul16(last_tr, lut_decay(inst, si.lut_minus, si.lut_minus_size, t - last_t)) + TRACE_ONE);
    }
    var k = HISTORY - 1u;
    if c < HISTORY - 1u {
        post_hist[b] = c + 1u;
        k = c + 1u;
    } else {
        // Full: entries 2..15 move down one; entry 0 (the placeholder) stays.
        for (var i = 1u; i < HISTORY - 1u; i++) {
            post_hist[b + 1u + i] = post_hist[b + 2u + i];
            post_hist[b + 1u + HISTORY + i] = post_hist[b + 2u + HISTORY + i];
        }
    }
    post_hist[b + 1u + k] = t;
    if pair {
        post_hist[b + 1u + HISTORY + k] = bitcast<u32>(trace);
    }
}

// A 16-bit saturating ring-buffer add, as the chip makes it; true when it saturated.
fn ring_add_saturating(i: u32, w: u32) -> bool {
    let old = ring_add(i, w);
    if old + w > 0xFFFFu {
        ring_set(i, 0xFFFFu);
        return true;
    }
    return false;
}

fn potentiate(inst: u32, si: StdpInfo, wp: u32, w: i32, x: i32) -> i32 {
    let w_max = bitcast<i32>(value_word(inst, wp + 1u));
    let a_plus = bitcast<i32>(value_word(inst, wp + 2u));
    if (si.flags & STDP_ADDITIVE) != 0u {
        let v = w + mul_k(x, a_plus);
        return select(v, w_max, w_max < v);
    }
    return w + mul_k(mul_k(w_max - w, a_plus), x);
}

fn depress(inst: u32, si: StdpInfo, wp: u32, w: i32, x: i32) -> i32 {
    let w_min = bitcast<i32>(value_word(inst, wp));
    let a_minus = bitcast<i32>(value_word(inst, wp + 3u));
    if (si.flags & STDP_ADDITIVE) != 0u {
        let v = w - mul_k(x, a_minus);
        return select(w_min, v, w_min < v);
    }
    return w - mul_k(mul_k(w - w_min, a_minus), x);
}

// The plastic part of compact row `row` of core ci, for a spike handled at tick `time` with
// `colour_delay`: the pre-event header, every synapse's weight from the post events in its
// window, delivery of the new weights, write-back.
fn process_plastic_row(inst: u32, ci: u32, c: CoreInfo, si: StdpInfo, pstart: u32, ctrl: u32, n_ctrl: u32, time: u32, colour_delay: u32) {
    let pair = (si.flags & STDP_NEAREST) == 0u;
    let big_t = time - colour_delay;
    prov_add(inst, ci, PROV_PRE_SYNAPTIC_EVENTS, n_ctrl);
    let h = inst * sizes.n_plastic + si.plastic_base + pstart;
    let last_time = plastic[h];
    var last_trace = 0;
    if pair {
        last_trace = sext16(bitcast<i32>(plastic[h + 1u]));
    }
    plastic[h] = big_t;
    if pair {
        let tr = bitcast<u32>(mul16(last_trace, lut_decay(inst, si.lut_plus, si.lut_plus_size, big_t - last_time)) + TRACE_ONE) & 0xFFFFu;
        plastic[h + 1u] = (plastic[h + 1u] & 0xFFFF0000u) | tr;
    }
    let nt = c.n_bits + c.t_bits;
    let n_mask = (1u << c.n_bits) - 1u;
    let t_mask = (1u << c.t_bits) - 1u;
    let d_mask = (1u << c.d_bits) - 1u;
    let ti_mask = (1u << nt) - 1u;
    let weights = h + si.header_words;
    let ring_base = inst * sizes.n_ring + c.ring_base;
    let backprop = (si.flags & STDP_BACKPROP) != 0u;
    // The core's ring-buffer shifts, which every neuron's parameters carry.
    let shifts = params[inst * sizes.n_neurons + c.first];
    for (var i = 0u; i < n_ctrl; i++) {
        let cw = (plastic_static[ctrl + i / 2u] >> (16u * (i % 2u))) & 0xFFFFu;
        let typ = (cw >> c.n_bits) & t_mask;
        let d = (cw >> nt) & d_mask;
        let j = cw & n_mask;
        let wp = si.weight_params + 4u * typ;
        let shift = select(shifts.shift_exc, shifts.shift_inh, typ >= 1u);
        let word = weights + i / 2u;
        let half = 16u * (i % 2u);
        let w16 = (plastic[word] >> half) & 0xFFFFu;
        var w = bitcast<i32>(w16 << shift);
        let dd = select(0u, d, backprop);
        let begin = select(0u, last_time - dd, last_time >= dd);
        let end = select(0u, big_t - dd, big_t >= dd);
        let hb = post_base(inst, si, j);
        let count = post_hist[hb];
        var prev = count;
        while prev > 0u && post_hist[hb + 1u + prev] > begin {
            prev -= 1u;
        }
        var prev_t = post_hist[hb + 1u + prev];
        var prev_tr = 0;
        if pair {
            prev_tr = bitcast<i32>(post_hist[hb + 1u + HISTORY + prev]);
        }
        var any = false;
        for (var k = prev + 1u; k <= count; k++) {
            let tp = post_hist[hb + 1u + k];
            if tp > end {
                continue;
            }
            any = true;
            let dpre = tp + dd - last_time;
            if dpre != 0u {
                var x = 0;
                if pair {
                    x = mul16(last_trace, lut_decay(inst, si.lut_plus, si.lut_plus_size, dpre)) << 4u;
                } else {
                    // Only the nearest post spike after the pre spike potentiates; the previous
                    // post time is not delayed (docs/stdp.md §7).
                    let dpost = tp + dd - prev_t;
                    if dpre <= dpost {
                        x = lut_decay(inst, si.lut_plus, si.lut_plus_size, dpre) << 4u;
                    }
                }
                w = potentiate(inst, si, wp, w, x);
            }
            prev_t = tp;
            if pair {
                prev_tr = bitcast<i32>(post_hist[hb + 1u + HISTORY + k]);
            }
        }
        if any || prev != 0u {
            // From the unclamped T − d; a wrap reads 0 from the table.
            let dpost = big_t - dd - prev_t;
            var x = lut_decay(inst, si.lut_minus, si.lut_minus_size, dpost) << 4u;
            if pair {
                x = mul16(prev_tr, lut_decay(inst, si.lut_minus, si.lut_minus_size, dpost)) << 4u;
            }
            w = depress(inst, si, wp, w, x);
        }
        let w_new = bitcast<u32>(w >> shift) & 0xFFFFu;
        if d > colour_delay {
            let idx = ring_base + ((((big_t + d) & d_mask) << nt) | (cw & ti_mask));
            if ring_add_saturating(idx, w_new) {
                prov_add(inst, ci, PROV_PLASTIC_SATURATIONS, 1u);
            }
        } else {
            prov_add(inst, ci, PROV_SYNAPSES_SKIPPED, 1u);
        }
        plastic[word] = (plastic[word] & ~(0xFFFFu << half)) | (w_new << half);
    }
}

// One packet at an STDP core, as synapse_rows.rs processes it.
fn deliver_in_order(inst: u32, ci: u32, c: CoreInfo, si: StdpInfo, p: Packet, t: u32) {
    let a = packet_arrives(inst, ci, c, p, t);
    if a.entry == NOT_RECORDED {
        return;
    }
    let w2 = tables[a.entry + 2u];
    let list = c.pop_base + address_list_offset(tables[c.pop_base]) + pop_entry_start(w2);
    let nt = c.n_bits + c.t_bits;
    let ring_mask = (1u << (c.d_bits + nt)) - 1u;
    let ring_base = inst * sizes.n_ring + c.ring_base;
    for (var rep = 0u; rep < p.count; rep++) {
        var any_valid = false;
        for (var k = 0u; k < pop_entry_count(w2); k++) {
            let address = item_address(tables[list + k]);
            if address == INVALID_ADDRESS {
                continue;
            }
            any_valid = true;
            let r = row_index(c, pop_entry_start(w2) + k, a.neuron_id);
            if r == NO_ROW {
                prov_add(inst, ci, PROV_ROWS_OUTSIDE, 1u);
                continue;
            }
            let pr = si.rows_base + 3u * r;
            let pstart = plastic_static[pr];
            if pstart != NO_ROW {
                process_plastic_row(inst, ci, c, si, pstart, plastic_static[pr + 1u], plastic_static[pr + 2u], t, a.colour_delay);
            }
            let words = row_words(c, r);
            prov_add(inst, ci, PROV_PRE_SYNAPTIC_EVENTS, words.y - words.x);
            for (var i = words.x; i < words.y; i++) {
                let w = synaptic_word(inst, i);
                let delay = synapse_delay(w, c.n_bits, c.t_bits, c.d_bits);
                if delay != 0u && delay <= a.colour_delay {
                    prov_add(inst, ci, PROV_SYNAPSES_SKIPPED, 1u);
                    continue;
                }
                if ring_add_saturating(ring_base + ((w + a.masked_time) & ring_mask), synapse_weight(w)) {
                    prov_add(inst, ci, PROV_WEIGHT_SATURATIONS, 1u);
                }
            }
        }
        if !any_valid {
            prov_add(inst, ci, PROV_GHOST_SEARCHES, 1u);
        }
    }
}

// The packets of the tick at every core with STDP input, one invocation per core: the slots that
// route to the core (listed in slot order by the host), in that order.
@compute @workgroup_size(64)
fn stdp_core(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let ci = linear_id(gid, nwg);
    let inst = gid.z;
    if ci >= sizes.n_cores {
        return;
    }
    let c = cores[ci];
    if c.kind != KIND_NEURON || c.stdp == NOT_RECORDED {
        return;
    }
    let si = stdp_info(c);
    let t = tick();
    for (var k = 0u; k < si.n_candidates; k++) {
        let slot = tables[si.candidates + k];
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
        let route = route_record(e);
        for (var d = 0u; d < route.n_destinations; d++) {
            mine = mine || tables[route.destinations + d] == ci;
        }
        if mine {
            deliver_in_order(inst, ci, c, si, p, t);
        }
    }
    check_loop_limit(inst);
}
