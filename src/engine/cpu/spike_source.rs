//! SpikeSourceArray cores: send the spikes due at tick `t` in neuron order (docs/spynnaker-mapping.md §11.1).

use crate::machine::recording::record_spike;
use crate::machine::state::{CoreRun, CoreState, Packet};
use crate::mapping::{Core, SpikeArrayCore};

pub fn spike_array(core: &Core, sa: &SpikeArrayCore, run: &mut CoreRun, t: u32) {
    let CoreState::SpikeArray { next } = &mut run.state else { return };
    // Spikes before this tick (a run that began later) are skipped, as the host only sends the current run's.
    while *next < sa.spikes.len() && sa.spikes[*next].0 < t {
        *next += 1;
    }
    let colour = t & ((1 << core.n_colour_bits) - 1);
    let mut fired = std::mem::take(&mut run.spiked);
    fired.clear();
    while *next < sa.spikes.len() && sa.spikes[*next].0 == t {
        let n = sa.spikes[*next].1;
        if let Some(key) = core.key {
            run.outbox.push(Packet { key: (key + (n << core.n_colour_bits)) | colour, count: 1 });
            run.prov.packets_sent += 1;
        }
        if fired.last() != Some(&n) {
            fired.push(n);
        }
        *next += 1;
    }
    if let Some(spec) = &core.recording.spikes {
        record_spike(run, spec, &fired, core.lo_atom, t);
    }
    run.spiked = fired;
}
