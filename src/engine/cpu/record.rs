//! Recording (§6.7): sampled words every `rate` ticks from tick 0; spike bitfields OR'ed over a
//! period and stamped with its last tick; empty bitfields are not written.

use super::state::CoreRun;
use crate::mapping::RecordSpec;

/// `spiked`: local indices that fired this tick (ascending).
pub fn record_spike(run: &mut CoreRun, spec: &RecordSpec, spiked: &[u32], lo_atom: u32, t: u32) {
    if t % spec.rate == 0 {
        run.spike_period.clear();
    }
    for &n in spiked {
        if spec.neurons.binary_search(&n).is_ok() && !run.spike_period.contains(&n) {
            run.spike_period.push(n);
        }
    }
    if (t + 1) % spec.rate == 0 && !run.spike_period.is_empty() {
        run.spike_period.sort_unstable();
        if let Some(r) = run.spikes.as_mut() {
            r.spikes.extend(run.spike_period.iter().map(|&n| (t, n + lo_atom)));
        }
        run.spike_period.clear();
    }
}

/// Poisson spike recording (`spike_source_poisson.c` `mark_spike`/`record_spikes`): every tick,
/// every source, whatever sampling interval or neuron selection was asked for (sPyNNaker ignores
/// both for SpikeSourcePoisson). A source with n spikes in the tick sets its bit in n bitfields,
/// so the read-back holds the time n times. `counts`: (local index, n), ascending index.
pub fn record_spike_counts(run: &mut CoreRun, counts: &[(u32, u32)], lo_atom: u32, t: u32) {
    if let Some(r) = run.spikes.as_mut() {
        for &(i, n) in counts {
            r.spikes.extend(std::iter::repeat_n((t, i + lo_atom), n as usize));
        }
    }
}
