//! The WGSL sources of the GPU engine. They form one module: the shared declarations, the
//! fixed-point library, then one file per stage, each named after its CPU twin in
//! `src/engine/cpu/`.

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

/// The whole module.
pub fn source() -> String {
    FILES.iter().map(|(name, src)| format!("// ---- {name}\n{src}\n")).collect()
}
