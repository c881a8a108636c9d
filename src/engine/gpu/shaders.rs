//! The WGSL sources of the GPU engine. They form one module: the constants it shares with Rust
//! (emitted from their Rust definitions, [`constants`]), the shared declarations, the
//! fixed-point library, then one file per stage, each named after its CPU twin in
//! `src/engine/cpu/`.

use super::layout::*;
use crate::mapping::neurons::{IZK_140, IZK_5, IZK_MAGIC, IZK_SPIKE_H, IZK_THRESHOLD};
use crate::mapping::stdp::{HISTORY, TRACE_ONE};
use crate::mapping::words::{INVALID_ADDRESS, POP_ENTRY_WORDS, POP_HEADER_WORDS};

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
        REC_SPIKES, REC_V, REC_GSYN_EXC, REC_GSYN_INH, NOT_RECORDED,
        PROV_WORDS, PROV_PRE_SYNAPTIC_EVENTS, PROV_WEIGHT_SATURATIONS, PROV_INVALID_POP_HITS, PROV_GHOST_SEARCHES,
        PROV_SPIKES_PROCESSED, PROV_PACKETS_SENT, PROV_DELAY_SATURATIONS, PROV_LATE_SPIKES, PROV_SYNAPSES_SKIPPED,
        PROV_ROWS_OUTSIDE, PROV_MAX_LATE, PROV_PLASTIC_SATURATIONS,
        CORE_STATE_WORDS, CS_COLOUR, CS_NEXT_SPIKE, CS_SATURATED,
        CTL_TICK, CTL_JOBS, CTL_UNROUTED, CTL_ERRORS, CTL_BATCH_START, CTL_RECORD_STRIDE,
        ERR_RING_OVERFLOW, ERR_LOOP_LIMIT,
        INVALID_ADDRESS, POP_HEADER_WORDS, POP_ENTRY_WORDS, NO_ROW, JOB_WORDS,
        HISTORY, POST_WORDS, STDP_NEAREST, STDP_ADDITIVE, STDP_BACKPROP,
        CS_DC, CS_RECORD_WORDS, ROUTE_RECORD_WORDS, RATE_SETUP_WORDS,
    );
    let i = wgsl_consts!("i32", "", i32: IZK_MAGIC, IZK_140, IZK_5, IZK_SPIKE_H, IZK_THRESHOLD, TRACE_ONE);
    format!("// ---- constants (from Rust: src/engine/gpu/shaders.rs `constants`)\n{u}{i}")
}

/// The whole module.
pub fn source() -> String {
    let files: String = FILES.iter().map(|(name, src)| format!("// ---- {name}\n{src}\n")).collect();
    constants() + &files
}
