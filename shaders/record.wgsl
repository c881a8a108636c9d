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

// Sets the spike bit of a recording column at tick t of the current batch.
fn record_spike_bit(inst: u32, core: u32, column: u32, t: u32) {
    let c = cores[core];
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

// Where an instance's recordings of the batch start.
fn record_base(inst: u32) -> u32 {
    return inst * atomicLoad(&control[CTL_RECORD_STRIDE]);
}
