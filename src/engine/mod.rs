//! Engines run a machine image tick by tick (fact sheet §2.1). Each stage has one home per engine.

pub mod cpu;

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
