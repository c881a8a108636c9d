//! A run's summary: per population that records spikes, its spikes, mean rate and the CV of its
//! inter-spike intervals, as a table row and as dense arrays over a sweep's instances.

use crate::model::Network;
use crate::record::Recordings;
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
    net.populations
        .iter()
        .enumerate()
        .filter(|(_, p)| p.record.iter().any(|r| r.variable == "spikes"))
        .map(|(pi, p)| {
            let spikes = rec.population_spikes(pi, segment);
            let mut per_neuron: Vec<Vec<u32>> = vec![Vec::new(); p.size as usize];
            for &(tick, n) in &spikes {
                if let Some(v) = per_neuron.get_mut(n as usize) {
                    v.push(tick);
                }
            }
            let cvs: Vec<f64> = per_neuron.iter_mut().filter_map(|t| cv_of_intervals(t)).collect();
            let rate = if ms > 0.0 { spikes.len() as f64 / p.size as f64 / (ms / 1000.0) } else { 0.0 };
            PopulationSummary {
                population: p.label.clone(),
                neurons: p.size,
                spikes: spikes.len() as u64,
                mean_rate_hz: rate,
                cv_isi: (!cvs.is_empty()).then(|| cvs.iter().sum::<f64>() / cvs.len() as f64),
            }
        })
        .collect()
}

/// A neuron's inter-spike intervals summed as integers (so that any engine, or a device that
/// accumulates them spike by spike, gets the same): how many, their sum and their sum of squares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Intervals {
    pub n: u64,
    pub sum: u64,
    pub sum_sq: u128,
}

impl Intervals {
    /// The intervals between sorted `ticks`.
    pub fn of(ticks: &[u32]) -> Intervals {
        ticks.windows(2).fold(Intervals::default(), |a, w| {
            let x = u64::from(w[1] - w[0]);
            Intervals { n: a.n + 1, sum: a.sum + x, sum_sq: a.sum_sq + u128::from(x) * u128::from(x) }
        })
    }

    /// Their CV, standard deviation (of the population) over mean: `sqrt(n Σx² − (Σx)²) / Σx`,
    /// the integers exact and then one square root and one division; None for fewer than two
    /// intervals or a zero mean.
    pub fn cv(self) -> Option<f64> {
        if self.n < 2 || self.sum == 0 {
            return None;
        }
        let spread = u128::from(self.n) * self.sum_sq - u128::from(self.sum) * u128::from(self.sum);
        Some((spread as f64).sqrt() / self.sum as f64)
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
