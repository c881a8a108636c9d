//! The timer of SpikeSourcePoisson cores (docs/semantics.md §7), as `spike_source_poisson.aplx` of
//! sPyNNaker 1!7.4.1 runs it; the set-up of the sources at start-up and resume is `machine/poisson.rs`.
//!
//! Read in the binary (ARM addresses of the image in the 1!7.4.1 wheel):
//! * timer (0xac8), tick t: colour = t & mask; loop A over all sources: when `next ≤ t`, the next
//!   rate; loop B over all sources with `start ≤ t < end`:
//!   faster `x = norminv_urt(rng) >> 1 + sqrt_lambda >> 1`, `n = (uint32) roundk(x ⊗ x)`;
//!   fast (exp_minus_lambda ≠ 0) Knuth's product of uniforms;
//!   slow (mean_isi ≠ 0) while `time_to_spike < 1000` count and add `isi(mean_isi)`, then −1000.
//!   n > 0 is sent as **one** packet with payload n (also for n = 1), key | colour;
//! * `isi(m) = (uint32) roundk(exponential · 1000) · m` (u32, wrapping), with the exponential
//!   variate of the von Neumann method: A + (accum) U₀.
//!
//! Live rate-control packets are not modelled.
//! Recording: a source with n spikes in a tick sets its bit in n bitfields, so the read-back
//! repeats the time n times.
//!
//! Checked in `tests/poisson.rs` against `tests/poisson_reference.py` and, with Unicorn, against
//! the binary itself (`tests/poisson_aplx.py` runs its start-up and timer code).

use crate::fixed::{accum_to_u32, isi_ticks, mul_k, norminv_urt, roundk};
use crate::machine::poisson::{rate_uk, set_rate, set_times, Globals, PoissonState};
use crate::machine::recording::record_spike_counts;
use crate::machine::state::{CoreRun, CoreState, Packet};
use crate::mapping::{Core, PoissonCore};

/// The timer of tick `t` of a Poisson core.
pub fn poisson(core: &Core, pc: &PoissonCore, run: &mut CoreRun, t: u32) {
    let CoreState::Poisson(st) = &mut run.state else { return };
    let g = Globals::of(pc);
    let colour = t & ((1 << core.n_colour_bits) - 1);
    let PoissonState { rng, sources, fired, .. } = st;

    // Loop A: rate changes due at this tick.
    for (s, rates) in sources.iter_mut().zip(&pc.rates) {
        if s.next_ticks <= t && s.index < rates.len() {
            s.index += 1;
            if s.index >= rates.len() {
                // Only reachable at t = 0xFFFFFFFF, which the engine never runs.
                continue;
            }
            set_rate(&g, rng, s, rate_uk(&rates[s.index]));
            set_times(&g, s, rates);
        }
    }

    // Loop B: spikes.
    fired.clear();
    for (i, s) in sources.iter_mut().enumerate() {
        if !(s.start_ticks <= t && t < s.end_ticks) {
            continue;
        }
        let n = if s.is_fast {
            if ((s.sqrt_lambda >> 1) as i32) > 0 {
                let z = norminv_urt(rng.next_u32());
                let x = (z >> 1).wrapping_add((s.sqrt_lambda >> 1) as i32);
                accum_to_u32(roundk(mul_k(x, x)))
            } else if s.exp_minus_lambda != 0 {
                let (mut p, mut k) = (u32::MAX, 0u32);
                loop {
                    k += 1;
                    p = ((p as u64 * rng.next_u32() as u64) >> 32) as u32;
                    if p <= s.exp_minus_lambda {
                        break;
                    }
                }
                k - 1
            } else {
                0
            }
        } else {
            if s.mean_isi_ticks == 0 {
                continue;
            }
            let mut n = 0;
            if s.time_to_spike_ticks < 1000 {
                loop {
                    n += 1;
                    s.time_to_spike_ticks = s.time_to_spike_ticks.wrapping_add(isi_ticks(rng, s.mean_isi_ticks));
                    if s.time_to_spike_ticks >= 1000 {
                        break;
                    }
                }
            }
            s.time_to_spike_ticks = s.time_to_spike_ticks.wrapping_sub(1000);
            n
        };
        if n > 0 {
            fired.push((i as u32, n));
        }
    }

    if let Some(key) = core.key {
        for &(i, n) in fired.iter() {
            run.outbox.push(Packet { key: (key + (i << core.n_colour_bits)) | colour, count: n });
            run.prov.packets_sent += 1;
        }
    }
    if core.recording.spikes.is_some() && !fired.is_empty() {
        let fired = std::mem::take(fired);
        record_spike_counts(run, &fired, core.lo_atom, t);
        if let CoreState::Poisson(st) = &mut run.state {
            st.fired = fired;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::poisson::{lk_to_u32, FOREVER};
    use crate::mapping::{CoreKind, CoreRecording, PoissonRate, RecordSpec};

    /// Values printed by `tests/poisson_aplx.py` (the 7.4.1 binary under an emulator) for the
    /// seed of slice 0 of `SpikeSourcePoisson(seed=42)`, dt = 1 ms, rates 1, 9.9, 10, 500 and
    /// 20000 Hz: the sources after start-up, then 20 ticks as `t i n`, then the RNG state.
    const APLX_SOURCES: [[u32; 8]; 5] = [
        [0, u32::MAX, u32::MAX, 0, 0, 0, 1000, 194000],
        [0, u32::MAX, u32::MAX, 0, 0, 0, 101, 163620],
        [0, u32::MAX, u32::MAX, 1, 4252303360, 0, 0, 0],
        [0, u32::MAX, u32::MAX, 1, 2605056000, 0, 0, 0],
        [0, u32::MAX, u32::MAX, 1, 0, 293084, 0, 0],
    ];
    const APLX_COUNTS: &str = "0 4 20;1 4 24;2 4 22;3 3 3;3 4 13;4 4 22;5 3 1;5 4 22;6 3 1;6 4 23;7 4 24;\
        8 3 1;8 4 21;9 3 1;9 4 21;10 3 1;10 4 18;11 3 1;11 4 15;12 4 23;13 3 1;13 4 18;14 4 22;15 4 19;\
        16 4 18;17 4 27;18 3 1;18 4 16;19 4 14";
    const APLX_SEED: [u32; 4] = [541070564, 96168153, 1833388762, 1748215811];

    fn core() -> Core {
        let rates = [1.0, 9.9, 10.0, 500.0, 20000.0]
            .iter()
            .map(|&r: &f64| vec![PoissonRate { rate: (r * 4294967296.0).round() as u64, start: 0, duration: FOREVER }])
            .collect();
        Core {
            label: "p".into(),
            population: 0,
            lo_atom: 0,
            n_atoms: 5,
            key: Some(0x2000),
            mask: 0xFFFF_E000,
            n_colour_bits: 4,
            recording: CoreRecording {
                spikes: Some(RecordSpec { neurons: vec![0, 1, 2, 3, 4], rate: 1 }),
                ..Default::default()
            },
            kind: CoreKind::Poisson(PoissonCore {
                seconds_per_tick: 4294967,
                ticks_per_ms: 65536,
                slow_rate_per_tick_cutoff: 655,
                fast_rate_per_tick_cutoff: 655360,
                seed: [1608637542, 3421126067, 4083286876, 89077347],
                rates,
            }),
        }
    }

    #[test]
    fn start_up_and_ticks_as_the_binary() {
        let core = core();
        let CoreKind::Poisson(pc) = &core.kind else { unreachable!() };
        let st = PoissonState::new(pc);
        for (s, want) in st.sources.iter().zip(APLX_SOURCES) {
            let got = [
                s.start_ticks,
                s.end_ticks,
                s.next_ticks,
                s.is_fast as u32,
                s.exp_minus_lambda,
                s.sqrt_lambda,
                s.mean_isi_ticks,
                s.time_to_spike_ticks,
            ];
            assert_eq!(got, want);
        }
        let mut run = CoreRun::new(&core, 0);
        let mut lines = Vec::new();
        for t in 0..20 {
            poisson(&core, pc, &mut run, t);
            for p in run.outbox.drain(..) {
                assert_eq!(p.key & 15, t & 15, "colour");
                lines.push(format!("{} {} {}", t, (p.key - 0x2000) >> 4, p.count));
            }
        }
        assert_eq!(lines.join(";"), APLX_COUNTS);
        let CoreState::Poisson(st) = &run.state else { unreachable!() };
        assert_eq!(st.rng.seed, APLX_SEED);
        // Recorded: each spike of a tick once.
        let rec = run.spikes.as_ref().unwrap();
        let total: u32 = APLX_COUNTS.split(';').map(|l| l.rsplit(' ').next().unwrap().parse::<u32>().unwrap()).sum();
        assert_eq!(rec.spikes.len() as u32, total);
        assert_eq!(&rec.spikes[..3], &[(0, 4), (0, 4), (0, 4)]);
    }

    #[test]
    fn conversions() {
        // (uint32) of accum and long accum truncate toward zero.
        assert_eq!(accum_to_u32(-32768), u32::MAX);
        assert_eq!(accum_to_u32(-1), 0);
        assert_eq!(accum_to_u32(5 << 15 | 0x7FFF), 5);
        assert_eq!(lk_to_u32(-(1i64 << 31) - 1), u32::MAX);
        assert_eq!(lk_to_u32(3i64 << 31), 3);
    }
}
