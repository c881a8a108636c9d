// The machine image and core state in GPU buffers, shared by every stage.
// Rust twins: src/engine/gpu/layout.rs (checked member by member in tests/gpu_layout.rs).
//
// Instance dimension: one dispatch advances a batch of instances of one network structure with
// different values (src/engine/gpu/batch.rs). Every buffer of mutable state is laid out as
// [instance][...], with the instance taken from global_invocation_id.z, and so are what holds the
// values: the neuron parameters (with the ring-buffer shifts), the spike times, the value words at
// the end of the tables (value_word) and, when the instances' weights differ, the synaptic words.
// The core table, the structure part of the tables, the row starts and the plastic control words
// are shared. Each instance has its own control block (control_index): its row jobs, unrouted
// packets and errors; the tick, the batch's first tick and the recording stride are the batch's,
// in block 0.
//
// The constants shared with Rust (KIND_*, MODEL_*, REC_*, PROV_*, CS_*, CTL_*, ERR_*, the word
// formats' and STDP's) are not written here: src/engine/gpu/shaders.rs `constants` emits them,
// from their one definition in Rust, at the head of the module.

struct Sizes {
    n_cores: u32,
    n_neurons: u32,
    n_slots: u32,
    job_capacity: u32,
    words_chunk_log2: u32,
    ring_chunk_log2: u32,
    n_instances: u32,
    n_ring: u32,
    n_poisson: u32,
    n_delay_counters: u32,
    n_steps: u32,
    n_senders: u32,
    senders_offset: u32,
    routes_offset: u32,
    n_routes: u32,
    norminv_offset: u32,
    // STDP: neurons with a post-event history, plastic-region words (per instance)
    n_post: u32,
    n_plastic: u32,
    // batches: synaptic words per instance (0 when the instances share them), where the value
    // words of instance 0 start in the tables and how many each instance has, spike-array spikes
    // per instance
    word_stride: u32,
    values_offset: u32,
    n_values: u32,
    n_spike_times: u32,
    n_tallies: u32,
    pad1: u32,
}

struct CoreInfo {
    kind: u32,
    n_atoms: u32,
    lo_atom: u32,
    // neuron cores: first global neuron; Poisson: first source; spike arrays: first spike;
    // delay extensions: first counter.
    first: u32,
    key: u32,
    sends: u32,
    slot_base: u32,
    n_colour_bits: u32,
    model: u32,
    n_bits: u32,
    t_bits: u32,
    d_bits: u32,
    ring_base: u32,
    pop_base: u32,
    // per address-list item: first compact row, rows (2 words)
    item_rows_base: u32,
    n_items: u32,
    row_base: u32,
    // the core's current sources in its instance's value words (value_word)
    cs_base: u32,
    n_cs: u32,
    cs_state_base: u32,
    // delay extensions: stages, ticks per stage, counter slots (a power of two), the mask of
    // the pre-synaptic core's keys
    delay_stages: u32,
    delay_per_stage: u32,
    delay_slots: u32,
    delay_src_mask: u32,
    // spike arrays: the number of spikes
    n_spikes: u32,
    // recording: columns of each neuron (4 words per neuron) in the tables, rates, column counts
    rec_cols_base: u32,
    rec_flags: u32,
    rec_rate: array<u32, 4>,
    rec_ncols: array<u32, 4>,
    // the core's STDP block in the tables (stdp.wgsl), or NOT_RECORDED
    stdp: u32,
    // the core's first spike tally in its instance's tallies (REC_TALLIED)
    tally_base: u32,
}

struct NeuronParams {
    v_rest: i32,
    r_membrane: i32,
    exp_tc: i32,
    v_reset: i32,
    v_thresh: i32,
    t_refract: i32,
    i_offset: i32,
    delta_scale: i32,
    exc_decay: u32,
    exc_init: u32,
    inh_decay: u32,
    inh_init: u32,
    e_rev_e: i32,
    e_rev_i: i32,
    a: i32,
    b: i32,
    c: i32,
    d: i32,
    reset_h: i32,
    // the ring-buffer left shifts of the neuron's core (excitatory, inhibitory)
    shift_exc: u32,
    shift_inh: u32,
    core: u32,
}

struct NeuronState {
    v: i32,
    isyn_exc: i32,
    isyn_inh: i32,
    refract_timer: i32,
    u: i32,
    this_h: i32,
}

struct PoissonSource {
    index: u32,
    start_ticks: u32,
    end_ticks: u32,
    next_ticks: u32,
    is_fast: u32,
    exp_minus_lambda: u32,
    sqrt_lambda: u32,
    mean_isi_ticks: u32,
    time_to_spike_ticks: u32,
    // the source's precomputed rate set-ups in its instance's value words: offset and count
    rates_offset: u32,
    n_rates: u32,
}

// A current source of a neuron core in the value words (cs_base + CS_RECORD_WORDS per source): the
// neurons it drives (their number and list), then for a DC source (kind CS_DC) its amplitude,
// start and stop ticks, for a step source (CS_STEP) its number of steps and where their times
// and amplitudes are.
struct CurrentSourceRecord {
    kind: u32,
    n_neurons: u32,
    neurons: u32,
    amplitude_or_n_steps: u32,
    start_or_times: u32,
    stop_or_amplitudes: u32,
}

// What set_spike_source_rate gives for one rate of a Poisson source (in the value words at its rates_offset +
// RATE_SETUP_WORDS per rate); the random part is drawn on the GPU (machine/poisson.rs `RateSetup`).
struct RateSetup {
    is_fast: u32,
    exp_minus_lambda: u32,
    sqrt_lambda: u32,
    mean_isi_ticks: u32,
    start_ticks: u32,
    end_ticks: u32,
    next_ticks: u32,
}

// An entry of the routing table in the tables (routes_offset + ROUTE_RECORD_WORDS per entry).
struct RouteRecord {
    key: u32,
    mask: u32,
    destinations: u32,
    n_destinations: u32,
}

// The STDP block of a core in the tables (CoreInfo::stdp; layout.rs `StdpInfo`), read by stdp.wgsl `stdp_info`;
// its look-up tables and weight parameters are in the instance's value words.
struct StdpInfo {
    flags: u32,
    lut_plus: u32,
    lut_plus_size: u32,
    lut_minus: u32,
    lut_minus_size: u32,
    weight_params: u32,
    plastic_base: u32,
    rows_base: u32,
    post_base: u32,
    candidates: u32,
    n_candidates: u32,
    header_words: u32,
}

// A run of synaptic words of one row, for one neuron core, from one packet.
struct RowJob {
    core: u32,
    start: u32,
    end: u32,
    masked_time: u32,
    colour_delay: u32,
    count: u32,
    instance: u32,
    pad: u32,
}

// Where each core's recordings of the current batch go in the record buffer.
struct BatchCore {
    spikes: u32,
    samples: array<u32, 3>,
    poisson: u32,
    first_sample: array<u32, 3>,
}

// (group-0 bindings: emitted here from src/engine/gpu/shaders.rs `BINDINGS`)
// The indirect dispatch of synapse_rows, and the tick it was made for: its own group, as a buffer
// cannot be indirect arguments and bound storage in one dispatch.
@group(1) @binding(0) var<storage, read_write> dispatch: array<u32>;

// The linear index of an invocation in a 2D grid of 64-wide workgroups.
fn linear_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 64u;
}

// Word `word` of the control block of instance `inst` (CTL_*).
fn control_index(inst: u32, word: u32) -> u32 {
    return inst * CONTROL_WORDS + word;
}

// Word i of the value words of instance `inst`: its current sources, Poisson rate set-ups, STDP
// look-up tables and weight parameters (the words of the tables that differ between instances).
fn value_word(inst: u32, i: u32) -> u32 {
    return tables[sizes.values_offset + inst * sizes.n_values + i];
}

// The records the value words of an instance hold, read at word `b`.
fn current_source_record(inst: u32, b: u32) -> CurrentSourceRecord {
    return CurrentSourceRecord(value_word(inst, b), value_word(inst, b + 1u), value_word(inst, b + 2u),
        value_word(inst, b + 3u), value_word(inst, b + 4u), value_word(inst, b + 5u));
}

fn rate_setup(inst: u32, o: u32) -> RateSetup {
    return RateSetup(value_word(inst, o), value_word(inst, o + 1u), value_word(inst, o + 2u), value_word(inst, o + 3u),
        value_word(inst, o + 4u), value_word(inst, o + 5u), value_word(inst, o + 6u));
}

// Spike k of a spike-array core of an instance: (tick, neuron).
fn spike_time(inst: u32, c: CoreInfo, k: u32) -> vec2<u32> {
    return spike_times[inst * sizes.n_spike_times + c.first + k];
}

fn route_record(e: u32) -> RouteRecord {
    return RouteRecord(tables[e], tables[e + 1u], tables[e + 2u], tables[e + 3u]);
}

fn tick() -> u32 {
    return atomicLoad(&control[CTL_TICK]);
}

// The synaptic word of an instance at a global index, from its chunk (the instances' words follow
// one another, or are one set when word_stride is 0).
fn synaptic_word(inst: u32, i: u32) -> u32 {
    let g = inst * sizes.word_stride + i;
    let c = g >> sizes.words_chunk_log2;
    let j = g & ((1u << sizes.words_chunk_log2) - 1u);
    switch c {
        case 0u: { return words0[j]; }
        case 1u: { return words1[j]; }
        case 2u: { return words2[j]; }
        default: { return words3[j]; }
    }
}

// Ring-buffer entries are u32 sums (see synapse_rows.wgsl); chunked like the words.
fn ring_add(i: u32, v: u32) -> u32 {
    let j = i & ((1u << sizes.ring_chunk_log2) - 1u);
    if (i >> sizes.ring_chunk_log2) == 0u {
        return atomicAdd(&ring0[j], v);
    }
    return atomicAdd(&ring1[j], v);
}

fn ring_set(i: u32, v: u32) {
    let j = i & ((1u << sizes.ring_chunk_log2) - 1u);
    if (i >> sizes.ring_chunk_log2) == 0u {
        atomicStore(&ring0[j], v);
    } else {
        atomicStore(&ring1[j], v);
    }
}

fn ring_sub(i: u32, v: u32) -> u32 {
    let j = i & ((1u << sizes.ring_chunk_log2) - 1u);
    if (i >> sizes.ring_chunk_log2) == 0u {
        return atomicSub(&ring0[j], v);
    }
    return atomicSub(&ring1[j], v);
}

fn ring_take(i: u32) -> u32 {
    let j = i & ((1u << sizes.ring_chunk_log2) - 1u);
    if (i >> sizes.ring_chunk_log2) == 0u {
        return atomicExchange(&ring0[j], 0u);
    }
    return atomicExchange(&ring1[j], 0u);
}

// ---- sPyNNaker's word formats, twins of the functions of the same names in src/mapping/words.rs
// (tested against them in tests/gpu_words.rs).

// The first address-list item of a master-population-table entry, from its third word.
fn pop_entry_start(w2: u32) -> u32 {
    return w2 & 0x1FFFu;
}

// The colour bits of an entry's keys, from its third word.
fn pop_entry_colour_bits(w2: u32) -> u32 {
    return (w2 >> 13u) & 7u;
}

// The address-list items of an entry, from its third word.
fn pop_entry_count(w2: u32) -> u32 {
    return w2 >> 16u;
}

// Which of the sender's cores a key came from (`(key >> shift) & mask`), from an entry's fourth
// word; and the neurons per sender core, from its fifth.
fn pop_entry_core_mask(w3: u32) -> u32 {
    return w3 & 0xFFFFu;
}

fn pop_entry_core_shift(w3: u32) -> u32 {
    return w3 >> 16u;
}

fn pop_entry_n_neurons(w4: u32) -> u32 {
    return w4 & 0xFFFFu;
}

// A master-population-table entry, decoded (src/mapping/words.rs `PopEntry`, less its bitfield words).
struct PopEntry {
    key: u32,
    mask: u32,
    start: u32,
    count: u32,
    n_colour_bits: u32,
    core_mask: u32,
    core_shift: u32,
    n_neurons: u32,
}

// The entry whose five words start at tables[e].
fn pop_entry(e: u32) -> PopEntry {
    let w2 = tables[e + 2u];
    let w3 = tables[e + 3u];
    return PopEntry(tables[e], tables[e + 1u], pop_entry_start(w2), pop_entry_count(w2), pop_entry_colour_bits(w2),
        pop_entry_core_mask(w3), pop_entry_core_shift(w3), pop_entry_n_neurons(tables[e + 4u]));
}

// The sender's neuron that sent `key` (x) and the key's colour (y): `PopEntry::source_of`.
fn pop_entry_source(entry: PopEntry, key: u32) -> vec2<u32> {
    let core = (key >> entry.core_shift) & entry.core_mask;
    let local = key & ~(entry.mask | (entry.core_mask << entry.core_shift));
    let colour = local & ((1u << entry.n_colour_bits) - 1u);
    return vec2<u32>((local >> entry.n_colour_bits) + core * entry.n_neurons, colour);
}

// Where entry i starts in a table.
fn pop_entry_offset(i: u32) -> u32 {
    return POP_HEADER_WORDS + i * POP_ENTRY_WORDS;
}

// Where the address list starts in a table of n_entries entries.
fn address_list_offset(n_entries: u32) -> u32 {
    return pop_entry_offset(n_entries);
}

// The address of an address-list item (INVALID_ADDRESS for none).
fn item_address(item: u32) -> u32 {
    return item >> 8u;
}

// The 16-bit weight of a static synaptic word.
fn synapse_weight(w: u32) -> u32 {
    return w >> 16u;
}

// The post-synaptic neuron of a synaptic word (or control half-word) with n_bits of index.
fn synapse_index(w: u32, n_bits: u32) -> u32 {
    return w & ((1u << n_bits) - 1u);
}

// The synapse type of a synaptic word.
fn synapse_type(w: u32, n_bits: u32, t_bits: u32) -> u32 {
    return (w >> n_bits) & ((1u << t_bits) - 1u);
}

// The delay of a synaptic word, masked to d_bits as the binary reads it.
fn synapse_delay(w: u32, n_bits: u32, t_bits: u32, d_bits: u32) -> u32 {
    return (w >> (n_bits + t_bits)) & ((1u << d_bits) - 1u);
}

// Adds to a u64 provenance counter of a core: the low word, and the carry to the high word.
fn prov_add(inst: u32, core: u32, counter: u32, x: u32) {
    if x == 0u {
        return;
    }
    let i = (inst * sizes.n_cores + core) * PROV_WORDS + counter;
    let old = atomicAdd(&prov[i], x);
    if old + x < old {
        atomicAdd(&prov[i + 1u], 1u);
    }
}

fn prov_max(inst: u32, core: u32, counter: u32, x: u32) {
    atomicMax(&prov[(inst * sizes.n_cores + core) * PROV_WORDS + counter], x);
}

fn core_state_index(inst: u32, core: u32, word: u32) -> u32 {
    return (inst * sizes.n_cores + core) * CORE_STATE_WORDS + word;
}

// Mesa's llvmpipe (lavapipe, the CI device) ends the loops of an invocation once they have run
// 65535 iterations in all, silently. A loop of two iterations at the end of a stage (its trip
// count read from a buffer, so that it is not unrolled) finds out whether that happened, and the
// run of the instance stops with an error instead of going on with wrong results.
fn check_loop_limit(inst: u32) {
    let n = 2u + (sizes.n_instances >> 31u);
    var k = 0u;
    loop {
        k += 1u;
        if k >= n {
            break;
        }
    }
    if k < n {
        atomicOr(&control[control_index(inst, CTL_ERRORS)], ERR_LOOP_LIMIT);
    }
}
