// SpikeSourcePoisson cores, twin of src/engine/cpu/poisson.rs. One invocation per core: the
// core's sources share one KISS generator, drawn in source order as on the chip. What
// `set_spike_source_rate` computes from a rate alone (fast or slow, exp(-lambda), sqrt(lambda),
// the mean ISI, start, end and next ticks) is computed by the host for every rate of every
// source (7 words each in the instance's value words); the draw of a slow source's first time to spike is made
// here, from the running generator.

fn norminv_urt(u: u32) -> i32 {
    return bitcast<i32>(tables[sizes.norminv_offset + u32((bitcast<i32>(u) >> 16u) + 32768)]);
}

fn poisson_timer(inst: u32, ci: u32, c: CoreInfo, t: u32) {
    var r = rng[inst * sizes.n_cores + ci];
    let first = inst * sizes.n_poisson + c.first;
    // Loop A: rate changes due at this tick.
    for (var i = 0u; i < c.n_atoms; i++) {
        var s = poisson[first + i];
        if s.next_ticks <= t && s.index < s.n_rates {
            s.index += 1u;
            if s.index < s.n_rates {
                let setup = rate_setup(inst, s.rates_offset + s.index * RATE_SETUP_WORDS);
                s.is_fast = setup.is_fast;
                s.exp_minus_lambda = setup.exp_minus_lambda;
                s.sqrt_lambda = setup.sqrt_lambda;
                s.mean_isi_ticks = setup.mean_isi_ticks;
                s.start_ticks = setup.start_ticks;
                s.end_ticks = setup.end_ticks;
                s.next_ticks = setup.next_ticks;
                s.time_to_spike_ticks = 0u;
                if s.is_fast == 0u {
                    s.time_to_spike_ticks = isi_ticks(&r, s.mean_isi_ticks);
                }
            }
            poisson[first + i] = s;
        }
    }
    // Loop B: spikes.
    let base = inst * sizes.n_slots + c.slot_base;
    let recorded = (c.rec_flags & 1u) != 0u;
    for (var i = 0u; i < c.n_atoms; i++) {
        var s = poisson[first + i];
        var n = 0u;
        if s.start_ticks <= t && t < s.end_ticks {
            if s.is_fast != 0u {
                if bitcast<i32>(s.sqrt_lambda >> 1u) > 0 {
                    let z = norminv_urt(kiss64_next(&r));
                    let x = (z >> 1u) + bitcast<i32>(s.sqrt_lambda >> 1u);
                    n = accum_to_u32(roundk(mul_k(x, x)));
                } else if s.exp_minus_lambda != 0u {
                    var p = 0xFFFFFFFFu;
                    var k = 0u;
                    loop {
                        k += 1u;
                        p = mul_ulr(p, kiss64_next(&r));
                        if p <= s.exp_minus_lambda {
                            break;
                        }
                    }
                    n = k - 1u;
                }
            } else if s.mean_isi_ticks != 0u {
                if s.time_to_spike_ticks < 1000u {
                    loop {
                        n += 1u;
                        s.time_to_spike_ticks = s.time_to_spike_ticks + isi_ticks(&r, s.mean_isi_ticks);
                        if s.time_to_spike_ticks >= 1000u {
                            break;
                        }
                    }
                }
                s.time_to_spike_ticks = s.time_to_spike_ticks - 1000u;
                poisson[first + i] = s;
            }
        }
        if c.sends != 0u {
            slots[base + i] = n;
        }
        if recorded && n > 0u && (c.rec_flags & (1u << REC_TALLIED)) != 0u {
            tally_spikes(tally_at(inst, c, i), t, n);
        } else if recorded && n > 0u {
            let k = t - atomicLoad(&control[CTL_BATCH_START]);
            atomicStore(&record[record_base(inst) + batch[ci].poisson + k * c.n_atoms + i], n);
        }
    }
    rng[inst * sizes.n_cores + ci] = r;
}
