//! Engines run a machine image tick by tick (fact sheet §2.1). Each stage has one home per engine.

pub mod cpu;
pub mod gpu;

use crate::error::Result;
use crate::record::Recordings;

/// Per-core provenance counters, as the SpiNNaker binaries report them (§10).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Provenance {
    pub core: String,
    /// Synaptic words processed ("Total_pre_synaptic_events").
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
}

/// A synapse as a row holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowSynapse {
    pub pre: u32,
    pub post: u32,
    pub synapse_type: u32,
    pub weight: u16,
    /// Total delay in ticks (delay-extension stages included).
    pub delay: u32,
}

/// What `reset()` does to the cores (docs/decisions.md D5, D8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ResetMode {
    /// As sPyNNaker 7.4.1 resets a network without plastic synapses: the binaries keep running, so
    /// neuron cores keep their colour counters and delay extensions keep the spikes they hold.
    #[default]
    Soft,
    /// As if the binaries were loaded again: every core starts fresh.
    Reload,
}

/// What every engine offers.
pub trait Engine {
    /// Advances the simulation by `ticks` timesteps, continuing exactly where the last run stopped.
    fn run(&mut self, ticks: u32) -> Result<()>;
    /// Returns to tick 0 with the initial state, as `sim.reset()` does (§11.8).
    fn reset(&mut self);
    /// The current tick (number of ticks run since the last reset).
    fn tick(&self) -> u32;
    fn recordings(&self) -> Recordings;
    fn provenance(&self) -> Vec<Provenance>;
}
