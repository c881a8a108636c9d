//! Delay-extension cores (docs/decisions.md D8): count incoming spikes per tick, resend them one stage of
//! `delay_per_stage` ticks later per stage, with the count as payload.

use crate::machine::state::{CoreRun, CoreState, Packet};
use crate::mapping::{Core, DelayCore};

/// Timer and background of tick `t`: clear the slot that has left the window, then send the
/// counts that are due, stage by stage, atom by atom.
pub fn delay_send(core: &Core, dc: &DelayCore, run: &mut CoreRun, t: u32) {
    let CoreState::Delay { counters, slots } = &mut run.state else { return };
    let n = core.n_atoms;
    let mask = *slots - 1;
    let window = dc.n_stages * dc.delay_per_stage;
    if t > window {
        let old = (((t - window - 1) & mask) * n) as usize;
        counters[old..old + n as usize].fill(0);
    }
    let colour = t & ((1 << core.n_colour_bits) - 1);
    let key = core.key.expect("a delay core has a key");
    for stage in 0..dc.n_stages {
        let wait = (stage + 1) * dc.delay_per_stage;
        if t < wait {
            continue;
        }
        let slot = ((t - wait) & mask) * n;
        for i in 0..n {
            let count = counters[(slot + i) as usize];
            if count > 0 {
                run.outbox.push(Packet {
                    key: (key + ((stage * n + i) << core.n_colour_bits)) | colour,
                    count: count as u32,
                });
                run.prov.packets_sent += 1;
            }
        }
    }
}

/// Spikes arriving during tick `t` from the core's pre-synaptic slice.
pub fn delay_receive(core: &Core, run: &mut CoreRun, t: u32, src_mask: u32) {
    let CoreState::Delay { counters, slots } = &mut run.state else { return };
    let n = core.n_atoms;
    let colour_mask = (1u32 << core.n_colour_bits) - 1;
    for p in std::mem::take(&mut run.inbox) {
        let local = (p.key & !src_mask) >> core.n_colour_bits;
        run.prov.spikes_processed += p.count as u64;
        if local >= n {
            run.prov.invalid_master_pop_hits += 1;
            continue;
        }
        // A late spike is stored at t + colour_delay: lateness is added, not compensated (D8).
        let colour_delay = (t & colour_mask).wrapping_sub(p.key & colour_mask) & colour_mask;
        let slot = (t.wrapping_add(colour_delay) & (*slots - 1)) * n;
        let c = &mut counters[(slot + local) as usize];
        let sum = *c as u32 + p.count;
        if sum > 255 {
            run.prov.delay_count_saturations += 1;
            *c = 255;
        } else {
            *c = sum as u8;
        }
    }
}
