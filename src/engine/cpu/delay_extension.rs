//! Delay-extension cores (§8): count incoming spikes per tick, resend them one stage of
//! `delay_per_stage` ticks later per stage, with the count as payload.

use super::state::{CoreRun, CoreState, Packet};
use crate::mapping::{Core, DelayCore};

/// Background of tick `t`: send the counts that are due, then clear the slot the next tick uses.
pub fn delay_send(core: &Core, dc: &DelayCore, run: &mut CoreRun, t: u32) {
    let CoreState::Delay { counters, slots } = &mut run.state else { return };
    let n = core.n_atoms;
    let mask = *slots - 1;
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
                run.outbox.push(Packet { key: key + ((stage * n + i) << core.n_colour_bits) | colour, count: count as u32 });
                run.prov.packets_sent += 1;
            }
        }
    }
    let next = (((t + 1) & mask) * n) as usize;
    counters[next..next + n as usize].fill(0);
}

/// Spikes arriving during tick `t` from the core's pre-synaptic slice.
pub fn delay_receive(core: &Core, run: &mut CoreRun, t: u32, src_mask: u32) {
    let CoreState::Delay { counters, slots } = &mut run.state else { return };
    let n = core.n_atoms;
    let colour_mask = (1u32 << core.n_colour_bits) - 1;
    let slot = (t & (*slots - 1)) * n;
    for p in std::mem::take(&mut run.inbox) {
        let local = (p.key & !src_mask) >> core.n_colour_bits;
        run.prov.spikes_processed += p.count as u64;
        if local >= n {
            run.prov.invalid_master_pop_hits += 1;
            continue;
        }
        let _colour = p.key & colour_mask;
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
