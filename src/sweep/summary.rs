//! A run's summary: per population that records spikes, its spikes, mean rate and the CV of its
//! inter-spike intervals, as a table row and as dense arrays over a sweep's instances.

use crate::machine::Machine;
use crate::model::{Network, Population};
use crate::record::{Intervals, Recordings};
use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt32Array, UInt64Array};
use arrow_schema::{DataType, Field, Schema};
use ndarray::Array2;
use std::sync::Arc;

/// The summary of one population in one run.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationSummary {
    pub population: String,
    pub neurons: u32,
    pub spikes: u64,
    /// Spikes per neuron per second of model time (0 for a run of no time).
    pub mean_rate_hz: f64,
    /// The mean over neurons with at least two intervals of each one's CV of its inter-spike
    /// intervals (standard deviation over mean, of the ticks between spikes); None when no
    /// neuron has two intervals.
    pub cv_isi: Option<f64>,
}

/// The summaries of the populations of `net` that record spikes, in population order, over
/// `ms` of model time in the segment `segment`.
pub fn summarize(net: &Network, rec: &Recordings, segment: u32, ms: f64) -> Vec<PopulationSummary> {
    recording_spikes(net)
        .map(|(pi, p)| {
            let spikes = rec.population_spikes(pi, segment);
            let mut per_neuron: Vec<Vec<u32>> = vec![Vec::new(); p.size as usize];
            for &(tick, n) in &spikes {
                if let Some(v) = per_neuron.get_mut(n as usize) {
                    v.push(tick);
                }
            }
            let cvs = per_neuron.iter_mut().map(|t| cv_of_intervals(t));
            population_summary(p, spikes.len() as u64, cvs, ms)
        })
        .collect()
}

/// [`summarize`] of a machine that tallies spikes (`Machine::tally_spikes`), from its tallies:
/// the same numbers, bit for bit, as the recordings the tallies stand for would give.
pub fn summarize_tallies(net: &Network, machine: &Machine, ms: f64) -> Vec<PopulationSummary> {
    let tallies = machine.spike_tallies();
    recording_spikes(net)
        .map(|(pi, p)| {
            let of = tallies.get(pi).map_or(&[][..], Vec::as_slice);
            let spikes = of.iter().map(|(_, t)| u64::from(t.count)).sum();
            population_summary(p, spikes, of.iter().map(|(_, t)| t.intervals().cv()), ms)
        })
        .collect()
}

/// The populations of `net` that record spikes, with their indices.
fn recording_spikes(net: &Network) -> impl Iterator<Item = (usize, &Population)> {
    net.populations.iter().enumerate().filter(|(_, p)| p.record.iter().any(|r| r.variable == "spikes"))
}

/// A population's summary from its spike count and the CV of each neuron, in neuron order (the
/// mean is summed in that order, so that every way of getting them gives the same bits).
fn population_summary(
    p: &Population,
    spikes: u64,
    cvs: impl Iterator<Item = Option<f64>>,
    ms: f64,
) -> PopulationSummary {
    let cvs: Vec<f64> = cvs.flatten().collect();
    let rate = if ms > 0.0 { spikes as f64 / p.size as f64 / (ms / 1000.0) } else { 0.0 };
    PopulationSummary {
        population: p.label.clone(),
        neurons: p.size,
        spikes,
        mean_rate_hz: rate,
        cv_isi: (!cvs.is_empty()).then(|| cvs.iter().sum::<f64>() / cvs.len() as f64),
    }
}

/// The CV of the intervals between `ticks` (sorted here).
fn cv_of_intervals(ticks: &mut [u32]) -> Option<f64> {
    ticks.sort_unstable();
    Intervals::of(ticks).cv()
}

/// The summary table of instances: `instance, population, neurons, spikes, mean_rate_hz, cv_isi`.
pub fn summary_batch(rows: &[(u32, Vec<PopulationSummary>)]) -> crate::Result<RecordBatch> {
    let all = || rows.iter().flat_map(|(i, s)| s.iter().map(move |p| (*i, p)));
    let schema = Schema::new(vec![
        Field::new("instance", DataType::UInt32, false),
        Field::new("population", DataType::Utf8, false),
        Field::new("neurons", DataType::UInt32, false),
        Field::new("spikes", DataType::UInt64, false),
        Field::new("mean_rate_hz", DataType::Float64, false),
        Field::new("cv_isi", DataType::Float64, true),
    ]);
    let cols: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from_iter_values(all().map(|(i, _)| i))),
        Arc::new(StringArray::from_iter_values(all().map(|(_, p)| p.population.as_str()))),
        Arc::new(UInt32Array::from_iter_values(all().map(|(_, p)| p.neurons))),
        Arc::new(UInt64Array::from_iter_values(all().map(|(_, p)| p.spikes))),
        Arc::new(Float64Array::from_iter_values(all().map(|(_, p)| p.mean_rate_hz))),
        Arc::new(Float64Array::from_iter(all().map(|(_, p)| p.cv_isi))),
    ];
    RecordBatch::try_new(Arc::new(schema), cols)
        .map_err(|e| crate::Error::Run(format!("building the summary table: {e}")))
}

/// The mean rates as a dense array, instance × population (in the order of `rows`, each
/// instance with the same populations).
pub fn rates(rows: &[Vec<PopulationSummary>]) -> Array2<f64> {
    let n_pop = rows.first().map_or(0, Vec::len);
    Array2::from_shape_fn((rows.len(), n_pop), |(i, p)| rows[i].get(p).map_or(f64::NAN, |s| s.mean_rate_hz))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cv_of_regular_and_irregular_trains() {
        assert_eq!(cv_of_intervals(&mut [10, 0, 20, 30]), Some(0.0));
        assert_eq!(cv_of_intervals(&mut [0, 5]), None);
        // Intervals 1 and 3: mean 2, population sd 1.
        assert_eq!(cv_of_intervals(&mut [0, 1, 4]), Some(0.5));
    }
}
