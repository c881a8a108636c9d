// Delay-extension cores, twin of src/engine/cpu/delay_extension.rs: count the spikes of each
// tick per atom, resend them one stage of `delay_per_stage` ticks later per stage with the count
// as payload. delay_stages, delay_per_stage, delay_slots (counter slots), delay_src_mask: the mask of the
// pre-synaptic core.

fn delay_send(inst: u32, c: CoreInfo, t: u32) {
    let n = c.n_atoms;
    let mask = c.delay_slots - 1u;
    let window = c.delay_stages * c.delay_per_stage;
    let ctr = inst * sizes.n_delay_counters + c.first;
    if t > window {
        let old = ((t - window - 1u) & mask) * n;
        for (var i = 0u; i < n; i++) {
            atomicStore(&delay_counters[ctr + old + i], 0u);
        }
    }
    let base = inst * sizes.n_slots + c.slot_base;
    for (var stage = 0u; stage < c.delay_stages; stage++) {
        let wait = (stage + 1u) * c.delay_per_stage;
        for (var i = 0u; i < n; i++) {
            var count = 0u;
            if t >= wait {
                count = atomicLoad(&delay_counters[ctr + ((t - wait) & mask) * n + i]);
            }
            slots[base + stage * n + i] = count;
        }
    }
}

// Packets of tick t from the core's pre-synaptic slice: `packets` packets carrying `count`
// spikes in all (one packet of payload `count`, or `count` packets of one).
fn delay_receive(inst: u32, di: u32, key: u32, count: u32, packets: u32, t: u32) {
    let c = cores[di];
    let local = (key & ~c.delay_src_mask) >> c.n_colour_bits;
    prov_add(inst, di, PROV_SPIKES_PROCESSED, count);
    if local >= c.n_atoms {
        prov_add(inst, di, PROV_INVALID_POP_HITS, packets);
        return;
    }
    // A late spike is stored at t + colour_delay (docs/decisions.md D8).
    let cm = (1u << c.n_colour_bits) - 1u;
    let colour_delay = ((t & cm) - (key & cm)) & cm;
    let slot = ((t + colour_delay) & (c.delay_slots - 1u)) * c.n_atoms;
    let i = inst * sizes.n_delay_counters + c.first + slot + local;
    let old = atomicAdd(&delay_counters[i], count);
    if old + count > 255u {
        atomicMin(&delay_counters[i], 255u);
        // Saturating packet by packet: of k packets of one, those past 255 saturate.
        prov_add(inst, di, PROV_DELAY_SATURATIONS, select(1u, min(count, old + count - 255u), packets > 1u));
    }
}
