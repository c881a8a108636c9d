//! Recordings in sPyNNaker's conventions (docs/semantics.md §6), decoded once per core.

pub mod arrow;
mod provenance;
pub use provenance::Provenance;
pub mod output;
#[cfg(feature = "parquet")]
pub mod parquet;
mod tally;
pub use tally::{Intervals, SpikeTally, TALLY_COUNT, TALLY_FIRST, TALLY_LAST, TALLY_SQ_HI, TALLY_SQ_LO, TALLY_WORDS};

/// Spikes of one core: (tick, global neuron index), in tick order then neuron order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpikeRecording {
    pub population: usize,
    pub segment: u32,
    pub spikes: Vec<(u32, u32)>,
}

/// Sampled values of one variable on one core: per sample tick, one raw s16.15 per neuron.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SampledRecording {
    pub population: usize,
    pub segment: u32,
    pub variable: &'static str,
    /// Global neuron indices, in recording order.
    pub neurons: Vec<u32>,
    pub ticks: Vec<u32>,
    /// `ticks.len() × neurons.len()` raw values, tick-major.
    pub values: Vec<i32>,
}

/// Everything recorded by a run, per core.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recordings {
    pub spikes: Vec<SpikeRecording>,
    pub sampled: Vec<SampledRecording>,
}

impl Recordings {
    /// All spikes of a population in a segment as (tick, neuron), sorted.
    pub fn population_spikes(&self, population: usize, segment: u32) -> Vec<(u32, u32)> {
        let mut v: Vec<(u32, u32)> = self
            .spikes
            .iter()
            .filter(|s| s.population == population && s.segment == segment)
            .flat_map(|s| s.spikes.iter().copied())
            .collect();
        v.sort_unstable();
        v
    }

    /// All samples of a variable of a population in a segment as (tick, neuron, raw), sorted.
    pub fn population_samples(&self, population: usize, segment: u32, variable: &str) -> Vec<(u32, u32, i32)> {
        let mut v = Vec::new();
        for s in
            self.sampled.iter().filter(|s| s.population == population && s.segment == segment && s.variable == variable)
        {
            for (ti, &t) in s.ticks.iter().enumerate() {
                for (ni, &n) in s.neurons.iter().enumerate() {
                    v.push((t, n, s.values[ti * s.neurons.len() + ni]));
                }
            }
        }
        v.sort_unstable();
        v
    }
}
