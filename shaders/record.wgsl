// Recording (docs/semantics.md §6), twin of src/machine/recording.rs: where a spike bit or a sampled value goes in
// the recording buffer of the current batch. The host (src/engine/gpu/record.rs) reads the batch
// back and applies the recording period and selection with the CPU engine's own functions.

// The recording column of local neuron `n` of a core for a variable (NOT_RECORDED if none).
fn rec_column(c: CoreInfo, n: u32, variable: u32) -> u32 {
    if (c.rec_flags & (1u << variable)) == 0u {
        return NOT_RECORDED;
    }
    return tables[c.rec_cols_base + n * 4u + variable];
}

// Sets the spike bit of a recording column at tick t of the current batch (once, however often
// the column spikes in the tick); a core that tallies its spikes adds the entry to the tally.
fn record_spike_bit(inst: u32, core: u32, column: u32, t: u32) {
    let c = cores[core];
    if (c.rec_flags & (1u << REC_TALLIED)) != 0u {
        let at = tally_at(inst, c, column);
        if tally[at + TALLY_COUNT] == 0u || tally[at + TALLY_LAST] != t {
            tally_spikes(at, t, 1u);
        }
        return;
    }
    let words_per_tick = (c.rec_ncols[REC_SPIKES] + 31u) / 32u;
    let k = t - atomicLoad(&control[CTL_BATCH_START]);
    let w = record_base(inst) + batch[core].spikes + k * words_per_tick + column / 32u;
    atomicOr(&record[w], 1u << (column % 32u));
}

// Stores a sampled value when t is a sampling tick of the variable.
fn record_sample(inst: u32, core: u32, variable: u32, column: u32, t: u32, value: i32) {
    let c = cores[core];
    let rate = c.rec_rate[variable];
    if column == NOT_RECORDED || t % rate != 0u {
        return;
    }
    let k = t / rate - batch[core].first_sample[variable - 1u];
    atomicStore(&record[record_base(inst) + batch[core].samples[variable - 1u] + k * c.rec_ncols[variable] + column], bitcast<u32>(value));
}

// Where the spike tally of a recording column of core c is (TALLY_WORDS words).
fn tally_at(inst: u32, c: CoreInfo, column: u32) -> u32 {
    return (inst * sizes.n_tallies + c.tally_base + column) * TALLY_WORDS;
}

// Adds n entries at tick t to the spike tally at `at`: twin of SpikeTally::add
// (src/record/tally.rs). Each tally is one column's, updated by the one invocation that updates
// its neuron or source, so plain loads and stores suffice.
fn tally_spikes(at: u32, t: u32, n: u32) {
    if n == 0u {
        return;
    }
    let count = tally[at + TALLY_COUNT];
    if count == 0u {
        tally[at + TALLY_FIRST] = t;
    } else {
        let x = t - tally[at + TALLY_LAST];
        let sq = mul_wide_u32(x, x);
        let lo = tally[at + TALLY_SQ_LO] + sq.x;
        tally[at + TALLY_SQ_HI] = tally[at + TALLY_SQ_HI] + sq.y + select(0u, 1u, lo < sq.x);
        tally[at + TALLY_SQ_LO] = lo;
    }
    tally[at + TALLY_COUNT] = count + n;
    tally[at + TALLY_LAST] = t;
}

// Where an instance's recordings of the batch start.
fn record_base(inst: u32) -> u32 {
    return inst * atomicLoad(&control[CTL_RECORD_STRIDE]);
}
