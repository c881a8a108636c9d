//! Recording (docs/semantics.md §6): sampled words every `rate` ticks from tick 0; spike bitfields OR'ed over a
//! period and stamped with its last tick; empty bitfields are not written. A machine that tallies
//! spikes keeps, per recorded neuron, the integers of the entries its recording would hold.

use super::state::CoreRun;
use crate::mapping::RecordSpec;

/// `spiked`: local indices that fired this tick (ascending).
pub fn record_spike(run: &mut CoreRun, spec: &RecordSpec, spiked: &[u32], lo_atom: u32, t: u32) {
    if t % spec.rate == 0 {
        clear_period(run);
    }
    for &n in spiked {
        if spec.neurons.binary_search(&n).is_ok() && !mark(&mut run.spike_period_bits, n) {
            run.spike_period.push(n);
        }
    }
    if (t + 1) % spec.rate == 0 && !run.spike_period.is_empty() {
        run.spike_period.sort_unstable();
        if let Some(r) = run.spikes.as_mut() {
            r.spikes.extend(run.spike_period.iter().map(|&n| (t, n + lo_atom)));
        }
        if !run.tallies.is_empty() {
            for &n in &run.spike_period {
                if let Ok(col) = spec.neurons.binary_search(&n) {
                    run.tallies[col].add(t, 1);
                }
            }
        }
        clear_period(run);
    }
}

/// Sets bit `n`; returns whether it was set already.
fn mark(bits: &mut Vec<u64>, n: u32) -> bool {
    let (word, bit) = (n as usize / 64, 1u64 << (n % 64));
    if word >= bits.len() {
        bits.resize(word + 1, 0);
    }
    let was = bits[word] & bit != 0;
    bits[word] |= bit;
    was
}

/// Empties the period's set of neurons that spiked (its list, and its bits).
fn clear_period(run: &mut CoreRun) {
    for &n in &run.spike_period {
        run.spike_period_bits[n as usize / 64] = 0;
    }
    run.spike_period.clear();
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
    for &(i, n) in counts {
        if let Some(tally) = run.tallies.get_mut(i as usize) {
            tally.add(t, n);
        }
    }
}

/// Makes room, before a run of `ticks` ticks from `t0`, for every value the core will sample, so
/// that the recordings take what they hold and do not grow by doubling (see
/// `Simulation::check_recording_fits`).
pub fn reserve_samples(core: &crate::mapping::Core, run: &mut CoreRun, t0: u32, ticks: u32) {
    let rec = &core.recording;
    for r in &mut run.sampled {
        let spec = match r.variable {
            "v" => &rec.v,
            "gsyn_exc" => &rec.gsyn_exc,
            _ => &rec.gsyn_inh,
        };
        let Some(spec) = spec else { continue };
        let n = spec.sample_ticks(t0, ticks).1 as usize;
        r.ticks.reserve_exact(n);
        r.values.reserve_exact(n * r.neurons.len());
    }
}
