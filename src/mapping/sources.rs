//! Spike sources, current sources and recording requests of a core, as the host writes them.

use super::image::*;
use crate::error::{Error, Result};
use crate::model::{CurrentSourceKind, Network, Population, RecordRequest, SpikeTimes};

/// SpikeSourceArray times → ticks: `ceil(floor(t_ms · 1000) / dt_us)` (docs/spynnaker-mapping.md §11.1).
pub fn spike_array(p: &Population, lo: u32, n: u32, dt_ms: f64) -> Result<SpikeArrayCore> {
    let dt_us = (dt_ms * 1000.0 - 1e-9).ceil();
    let mut spikes = Vec::new();
    for i in 0..n {
        let times: &[f64] = match &p.spike_times {
            None => &[],
            Some(SpikeTimes::Shared(v)) => v,
            Some(SpikeTimes::PerNeuron(v)) => &v[(lo + i) as usize],
        };
        for &t in times {
            let tick = ((t * 1000.0).floor() / dt_us).ceil();
            if tick > u32::MAX as f64 / 2.0 {
                return Err(Error::param(p.name(), "spike_times", format!("{t} ms is too far in the future")));
            }
            spikes.push((tick as u32, i));
        }
    }
    spikes.sort_unstable();
    Ok(SpikeArrayCore { spikes })
}

/// Current sources injected into `[lo, lo + n)` of population `pi`.
pub fn current_sources(net: &Network, pi: usize, lo: u32, n: u32, dt_ms: f64) -> Result<Vec<CurrentSourceImage>> {
    let label = &net.populations[pi].label;
    let steps_per_ms = 1.0 / dt_ms;
    let tick = |ms: f64| if ms.is_infinite() { u32::MAX } else { (ms * steps_per_ms) as u32 };
    let mut out = Vec::new();
    for (k, cs) in net.current_sources.iter().enumerate().filter(|(_, c)| &c.population == label) {
        let owner = format!("current source {k}");
        // Sorted and unique: the host writes, per neuron, whether it is in the source's list
        // (`n in ids`), so order and repeats do not matter; the engines look neurons up by binary search.
        let neurons: Vec<u32> = match &cs.neurons {
            Some(v) => {
                let mut l: Vec<u32> = v.iter().filter(|&&i| i >= lo && i < lo + n).map(|&i| i - lo).collect();
                l.sort_unstable();
                l.dedup();
                l
            }
            None => (0..n).collect(),
        };
        if neurons.is_empty() {
            continue;
        }
        let amp = |a: f64| super::neurons::s1615(&owner, "amplitude", a);
        out.push(match &cs.source {
            CurrentSourceKind::DCSource { amplitude, start, stop } => {
                CurrentSourceImage::Dc { neurons, amplitude: amp(*amplitude)?, start: tick(*start), stop: tick(*stop) }
            }
            CurrentSourceKind::StepCurrentSource { times, amplitudes } => CurrentSourceImage::Step {
                neurons,
                times: times.iter().map(|&t| tick(t)).collect(),
                amplitudes: amplitudes.iter().map(|&a| amp(a)).collect::<Result<_>>()?,
            },
        });
    }
    Ok(out)
}

/// A recording's sampling interval in ticks (1: every tick).
pub(super) fn sampling_rate(req: &RecordRequest, dt_ms: f64) -> u32 {
    req.sampling_interval.map(|si| (si / dt_ms).round() as u32).unwrap_or(1).max(1)
}

/// What a core records, from the population's requests (the last request of a variable holds).
pub fn recording(p: &Population, lo: u32, n: u32, dt_ms: f64) -> CoreRecording {
    let mut r = CoreRecording::default();
    for req in &p.record {
        let neurons: Vec<u32> = match &req.neurons {
            Some(v) => {
                let mut l: Vec<u32> = v.iter().filter(|&&i| i >= lo && i < lo + n).map(|&i| i - lo).collect();
                l.sort_unstable();
                l.dedup();
                l
            }
            None => (0..n).collect(),
        };
        let rate = sampling_rate(req, dt_ms);
        let spec = Some(RecordSpec { neurons, rate });
        match req.variable.as_str() {
            "spikes" => r.spikes = spec,
            "v" => r.v = spec,
            "gsyn_exc" => r.gsyn_exc = spec,
            "gsyn_inh" => r.gsyn_inh = spec,
            _ => {}
        }
    }
    r
}
