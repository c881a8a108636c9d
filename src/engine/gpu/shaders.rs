//! The WGSL sources of the GPU engine. They form one module: the constants it shares with Rust
//! (emitted from their Rust definitions, [`constants`]), the shared declarations, the
//! fixed-point library, then one file per stage, each named after its CPU twin in
//! `src/engine/cpu/`.

use super::layout::*;
use crate::mapping::neurons::{IZK_140, IZK_5, IZK_MAGIC, IZK_SPIKE_H, IZK_THRESHOLD};
use crate::mapping::stdp::{HISTORY, TRACE_ONE};
use crate::mapping::words::{INVALID_ADDRESS, POP_ENTRY_WORDS, POP_HEADER_WORDS};
use crate::record::{TALLY_COUNT, TALLY_FIRST, TALLY_LAST, TALLY_SQ_HI, TALLY_SQ_LO, TALLY_WORDS};

/// Every WGSL file, in the order they are joined.
pub const FILES: [(&str, &str); 12] = [
    ("common.wgsl", include_str!("../../../shaders/common.wgsl")),
    ("fixed.wgsl", include_str!("../../../shaders/fixed.wgsl")),
    ("record.wgsl", include_str!("../../../shaders/record.wgsl")),
    ("ring_drain.wgsl", include_str!("../../../shaders/ring_drain.wgsl")),
    ("neuron_update.wgsl", include_str!("../../../shaders/neuron_update.wgsl")),
    ("spike_source.wgsl", include_str!("../../../shaders/spike_source.wgsl")),
    ("poisson.wgsl", include_str!("../../../shaders/poisson.wgsl")),
    ("delay_extension.wgsl", include_str!("../../../shaders/delay_extension.wgsl")),
    ("spike_route.wgsl", include_str!("../../../shaders/spike_route.wgsl")),
    ("synapse_rows.wgsl", include_str!("../../../shaders/synapse_rows.wgsl")),
    ("tick_end.wgsl", include_str!("../../../shaders/tick_end.wgsl")),
    ("stdp.wgsl", include_str!("../../../shaders/stdp.wgsl")),
];

/// The dispatches of one tick, in order: (entry point, whether it binds the indirect-argument
/// group, what it is dispatched over).
pub const TICK: [(&str, bool, Over); 8] = [
    ("neuron_update", false, Over::Neurons),
    ("source_timer", false, Over::Cores),
    ("spike_route", false, Over::Slots),
    ("rows_args", true, Over::One),
    ("synapse_rows", false, Over::RowJobs),
    ("saturation_replay", false, Over::Neurons),
    ("stdp_core", false, Over::StdpCores),
    ("tick_end", true, Over::Cores),
];

/// What a dispatch has one invocation for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Over {
    Neurons,
    Cores,
    Slots,
    /// Every core when the network has STDP, otherwise no dispatch.
    StdpCores,
    One,
    /// Indirect: as many as spike_route queued.
    RowJobs,
}

/// How a shader sees a group-0 binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Uniform,
    Read,
    ReadWrite,
}

/// A group-0 binding of the module (its number is its index in [`BINDINGS`]): the variable's
/// name and WGSL type, how the shaders access it, and what it holds (for messages).
#[derive(Clone, Copy, Debug)]
pub struct Binding {
    pub var: &'static str,
    pub ty: &'static str,
    pub access: Access,
    pub what: &'static str,
}

const fn binding(var: &'static str, ty: &'static str, access: Access, what: &'static str) -> Binding {
    Binding { var, ty, access, what }
}

/// Every group-0 binding, by number: the one place binding numbers are written. The module's
/// declarations are emitted from it ([`bindings`]) and the engine's bind group is laid out by it.
pub const BINDINGS: [Binding; 28] = [
    binding("sizes", "Sizes", Access::Uniform, "sizes"),
    binding("cores", "array<CoreInfo>", Access::Read, "core table"),
    binding("params", "array<NeuronParams>", Access::Read, "neuron parameters"),
    binding("tables", "array<u32>", Access::Read, "tables"),
    binding("spike_times", "array<vec2<u32>>", Access::Read, "spike times"),
    binding("row_start", "array<u32>", Access::Read, "row starts"),
    binding("words0", "array<u32>", Access::Read, "synaptic words 0"),
    binding("words1", "array<u32>", Access::Read, "synaptic words 1"),
    binding("words2", "array<u32>", Access::Read, "synaptic words 2"),
    binding("words3", "array<u32>", Access::Read, "synaptic words 3"),
    binding("batch", "array<BatchCore>", Access::Read, "batch table"),
    binding("state", "array<NeuronState>", Access::ReadWrite, "neuron state"),
    binding("ring0", "array<atomic<u32>>", Access::ReadWrite, "ring buffers 0"),
    binding("ring1", "array<atomic<u32>>", Access::ReadWrite, "ring buffers 1"),
    binding("core_state", "array<atomic<u32>>", Access::ReadWrite, "core state"),
    binding("prov", "array<atomic<u32>>", Access::ReadWrite, "provenance"),
    binding("step_state", "array<vec2<i32>>", Access::ReadWrite, "step current sources"),
    binding("delay_counters", "array<atomic<u32>>", Access::ReadWrite, "delay counters"),
    binding("poisson", "array<PoissonSource>", Access::ReadWrite, "Poisson sources"),
    binding("rng", "array<vec4<u32>>", Access::ReadWrite, "Poisson generators"),
    binding("slots", "array<u32>", Access::ReadWrite, "spike slots"),
    binding("jobs", "array<RowJob>", Access::ReadWrite, "row jobs"),
    binding("control", "array<atomic<u32>>", Access::ReadWrite, "control"),
    binding("record", "array<atomic<u32>>", Access::ReadWrite, "recording"),
    // STDP (stdp.wgsl): the plastic regions of the rows (headers and 16-bit weights), the
    // post-event histories, and per plastic row its region, control half-words and their number.
    binding("plastic", "array<u32>", Access::ReadWrite, "plastic rows"),
    binding("post_hist", "array<u32>", Access::ReadWrite, "post-event histories"),
    binding("plastic_static", "array<u32>", Access::Read, "plastic control words"),
    // Spike tallies (record.wgsl `tally_spikes`), `TALLY_WORDS` per recording column.
    binding("tally", "array<u32>", Access::ReadWrite, "spike tallies"),
];

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The number of the binding of variable `var` (a compile error when there is none).
pub const fn binding_of(var: &str) -> usize {
    let mut i = 0;
    while i < BINDINGS.len() {
        if same(BINDINGS[i].var, var) {
            return i;
        }
        i += 1;
    }
    panic!("no binding of this name")
}

/// The group-0 declarations of the module, from [`BINDINGS`].
pub fn bindings() -> String {
    let decl = |(i, b): (usize, &Binding)| {
        let space = match b.access {
            Access::Uniform => "uniform",
            Access::Read => "storage, read",
            Access::ReadWrite => "storage, read_write",
        };
        format!("@group(0) @binding({i}) var<{space}> {}: {};\n", b.var, b.ty)
    };
    let decls: String = BINDINGS.iter().enumerate().map(decl).collect();
    format!("// ---- bindings (from Rust: src/engine/gpu/shaders.rs `BINDINGS`)\n{decls}")
}

/// `const NAME: u32 = VALUE;` for each constant named, its value converted as written.
macro_rules! wgsl_consts {
    ($ty:literal, $suffix:literal, $as:ty: $($name:ident),+ $(,)?) => {
        [$(format!("const {}: {} = {}{};\n", stringify!($name), $ty, $name as $as, $suffix)),+].concat()
    };
}

/// The constants the shaders share with Rust, as WGSL declarations: each has its one definition
/// in Rust (`layout`, `mapping::words`, `mapping::stdp`, `mapping::neurons`), and no WGSL file
/// declares them again (naga rejects a second declaration). Only those a shader uses are emitted
/// (`MODEL_IF_CURR_EXP` is the neuron update's default case, named in Rust only).
pub fn constants() -> String {
    let u = wgsl_consts!("u32", "u", u32:
        KIND_NEURON, KIND_SPIKE_ARRAY, KIND_POISSON, KIND_DELAY,
        MODEL_IF_COND_EXP, MODEL_IF_CURR_DELTA, MODEL_IZHIKEVICH, MODEL_IZHIKEVICH_COND,
        REC_SPIKES, REC_V, REC_GSYN_EXC, REC_GSYN_INH, REC_TALLIED, NOT_RECORDED,
        TALLY_WORDS, TALLY_COUNT, TALLY_FIRST, TALLY_LAST, TALLY_SQ_LO, TALLY_SQ_HI,
        PROV_WORDS, PROV_PRE_SYNAPTIC_EVENTS, PROV_WEIGHT_SATURATIONS, PROV_INVALID_POP_HITS, PROV_GHOST_SEARCHES,
        PROV_SPIKES_PROCESSED, PROV_PACKETS_SENT, PROV_DELAY_SATURATIONS, PROV_LATE_SPIKES, PROV_SYNAPSES_SKIPPED,
        PROV_ROWS_OUTSIDE, PROV_MAX_LATE, PROV_PLASTIC_SATURATIONS,
        CORE_STATE_WORDS, CS_COLOUR, CS_NEXT_SPIKE, CS_SATURATED,
        CONTROL_WORDS, CTL_TICK, CTL_JOBS, CTL_UNROUTED, CTL_ERRORS, CTL_BATCH_START, CTL_RECORD_STRIDE,
        ERR_RING_OVERFLOW, ERR_LOOP_LIMIT,
        INVALID_ADDRESS, POP_HEADER_WORDS, POP_ENTRY_WORDS, NO_ROW, JOB_WORDS,
        HISTORY, POST_WORDS, STDP_NEAREST, STDP_ADDITIVE, STDP_BACKPROP,
        CS_DC, CS_RECORD_WORDS, ROUTE_RECORD_WORDS, RATE_SETUP_WORDS,
    );
    let i = wgsl_consts!("i32", "", i32: IZK_MAGIC, IZK_140, IZK_5, IZK_SPIKE_H, IZK_THRESHOLD, TRACE_ONE);
    format!("// ---- constants (from Rust: src/engine/gpu/shaders.rs `constants`)\n{u}{i}")
}

/// The whole module: the constants, then `common.wgsl` with the bindings after its structs,
/// then the other files.
pub fn source() -> String {
    let files: String = FILES.iter().map(|(name, src)| format!("// ---- {name}\n{src}\n")).collect();
    constants() + &files.replacen(BINDINGS_GO_HERE, &bindings(), 1)
}

/// The line of `common.wgsl` where the group-0 declarations go (after the structs they use).
pub const BINDINGS_GO_HERE: &str = "// (group-0 bindings: emitted here from src/engine/gpu/shaders.rs `BINDINGS`)\n";

/// `common.wgsl` as the module holds it: with the constants before it and the bindings in place.
pub fn common() -> String {
    constants() + &FILES[0].1.replacen(BINDINGS_GO_HERE, &bindings(), 1)
}
