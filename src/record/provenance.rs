//! What each core counts while it runs, as the SpiNNaker binaries report it at the end of a run.

/// Per-core provenance counters, as the SpiNNaker binaries report them (docs/semantics.md §8).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Provenance {
    pub core: String,
    /// Synaptic words processed ("Total_pre_synaptic_events"): static words plus plastic synapses.
    pub pre_synaptic_events: u64,
    /// Ring-buffer adds that saturated at 0xFFFF.
    pub synaptic_weight_saturations: u64,
    /// Spikes received whose key found no pop-table entry.
    pub invalid_master_pop_hits: u64,
    /// Spikes whose pop-table entry had no valid row block.
    pub ghost_pop_table_searches: u64,
    /// Multicast packets processed (a payload of n counts n times).
    pub spikes_processed: u64,
    /// Packets sent by the core.
    pub packets_sent: u64,
    /// Delay extension: spike counts that saturated at 255.
    pub delay_count_saturations: u64,
    /// Spikes that arrived with an odd colour delay (`late_spikes += colour_delay & 1`, as counted on chip).
    pub late_spikes: u64,
    /// The largest colour delay seen.
    pub max_late_spike: u32,
    /// Static synapses skipped because their delay had already passed.
    pub synapses_skipped: u64,
    /// Rows looked up beyond the end of the synaptic matrix (read as empty).
    pub rows_outside_matrix: u64,
    /// STDP: plastic-synapse ring-buffer adds that saturated at 0xFFFF (sPyNNaker's
    /// `plastic_saturation_count`, separate from `synaptic_weight_saturations`; docs/stdp.md §7).
    pub plastic_weight_saturations: u64,
}
