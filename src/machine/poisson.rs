//! SpikeSourcePoisson cores at start-up, resume and reset (docs/semantics.md §7): the source set-up
//! of `spike_source_poisson.aplx` of sPyNNaker 1!7.4.1, which both engines share; the timer is the
//! stage `engine/cpu/poisson.rs` and `shaders/poisson.wgsl`.
//!
//! Read in the binary (ARM addresses of the image in the 1!7.4.1 wheel):
//! * start-up, `read_rates` (0x193c): per source in id order, the rate index is the last one
//!   whose start tick is ≤ 0 (index 0 at least), `set_spike_source_rate` is called for it,
//!   then start, end and next ticks are set;
//! * `set_spike_source_rate(id, rate)` (0x894) takes the rate as **unsigned accum** (u16.16, the
//!   u32.32 word shifted right by 16) and computes `rate_per_tick = rate · seconds_per_tick >> 32`
//!   (u16.16). It is fast when `rate_per_tick ≥ slow cut-off` (655, unsigned compare):
//!   faster when also `≥ fast cut-off` (655360), with `sqrt_lambda = sqrtuk(rate_per_tick)`;
//!   otherwise `exp_minus_lambda = expk_uk(−(accum) rate_per_tick) << 16`. A slow source gets
//!   `mean_isi_ticks = (ticks_per_ms · 1000) / rate` (32-bit integer division of the raw
//!   words, 0 unless `(accum) rate > 0`, i.e. rate ≥ 2 raw) and, always, one RNG draw
//!   `time_to_spike = isi(mean_isi)` (so a rate of 0 consumes draws too);
//! * ticks from ms (u32.32): `(uint32)(v · ticks_per_ms + 0.5)` with the product in unsigned
//!   long accum **rounded** to nearest (libgcc 0x551c), then long accum (>> 1), + 0.5, truncated.
//!   The next rate's start first passes through an accum (16 integer bits), the others do not.
//!   End is `0xFFFFFFFF` when the duration is forever (U3232 0xFFFFFFFF_00000000), otherwise
//!   start + ticks(duration), wrapping;
//!
//! Nothing is written back at a pause; a reset re-reads the seed from SDRAM, which the host
//! does not change, so [`PoissonState::new`] is both the start-up and the reset state, and a
//! plain second `run()` continues the RNG.
//! * resume callback (0x1c90), at every `run()` after the first of a segment: when the expander
//!   region's flag is set (the host rewrote the rates after `Population.set`), the expander
//!   (0x6f0) copies the new rates into the rates region with every index 0 and clears the flag;
//!   then `read_rates(rate_changed = flag, next_time = time + 1)` re-scans every source's rate
//!   index, calls `set_spike_source_rate` when the flag is set or the index moved (a slow source
//!   draws a new time to spike from the running RNG) and recomputes start, end and next ticks
//!   ([`PoissonState::resume`]). After a reset (`time = UINT32_MAX`) it re-reads the globals,
//!   seed included, with `rate_changed = 1`: the start-up state again.
//!
//! Checked in `tests/poisson.rs` against `tests/poisson_reference.py` and the binary itself.

use crate::fixed::{expk_uk, isi_ticks, mul_k, sqrtuk, Kiss64};
use crate::mapping::{PoissonCore, PoissonRate};
/// The U3232 duration that means forever (0xFFFFFFFF ms).
pub(crate) const FOREVER: u64 = 0xFFFF_FFFF_0000_0000;
const END_OF_TIME: u32 = u32::MAX;

/// `spike_source_t` of one source, plus its current rate index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Source {
    pub index: usize,
    pub start_ticks: u32,
    pub end_ticks: u32,
    pub next_ticks: u32,
    pub is_fast: bool,
    /// u0.32.
    pub exp_minus_lambda: u32,
    /// u16.16.
    pub sqrt_lambda: u32,
    pub mean_isi_ticks: u32,
    pub time_to_spike_ticks: u32,
}

/// Per-core Poisson state that persists across ticks and runs.
#[derive(Clone, Debug)]
pub struct PoissonState {
    pub rng: Kiss64,
    pub sources: Vec<Source>,
    /// Spike counts of the current tick, (local index, n).
    pub(crate) fired: Vec<(u32, u32)>,
    /// The host rewrote the rates since the last run (the expander region's flag); consumed by
    /// [`PoissonState::resume`] at the next run.
    pub rates_changed: bool,
}

/// The globals the set-up reads: `seconds_per_tick` (u0.32), `ticks_per_ms` (u16.16),
/// the two cut-offs (u16.16) and `ts_per_second = ticks_per_ms · 1000` (u16.16, wrapping).
pub(crate) struct Globals {
    seconds_per_tick: u32,
    ticks_per_ms: u32,
    slow: u32,
    fast: u32,
    ts_per_second: u32,
}

impl Globals {
    pub(crate) fn of(pc: &PoissonCore) -> Self {
        Globals {
            seconds_per_tick: pc.seconds_per_tick,
            ticks_per_ms: pc.ticks_per_ms,
            slow: pc.slow_rate_per_tick_cutoff as u32,
            fast: pc.fast_rate_per_tick_cutoff as u32,
            ts_per_second: pc.ticks_per_ms.wrapping_mul(1000),
        }
    }

    /// `(uint32_t)(v · ticks_per_ms + 0.5k)` for a u32.32 time in ms.
    fn ticks(&self, v: u64) -> u32 {
        let tpm = (self.ticks_per_ms as u128) << 16; // u16.16 → u32.32
        let p = ((v as u128 * tpm + (1 << 31)) >> 32) as u64; // ulk × ulk, rounded (0x551c)
        let lk = ((p >> 1) as i64).wrapping_add(1 << 30); // → long accum (s32.31), + 0.5
        lk_to_u32(lk)
    }

    /// As [`Self::ticks`], for the start of the next rate, which is first converted to accum.
    fn next_ticks(&self, v: u64) -> u32 {
        let k = (v >> 17) as u32 as i32; // ulk → accum (0x57cc)
        self.ticks(((k as i64) << 17) as u64) // accum → ulk, sign-extended (0x576c)
    }
}

/// (uint32_t) of a long accum: truncation toward zero (0x5824).
pub(crate) fn lk_to_u32(v: i64) -> u32 {
    let r = (v >> 31) + i64::from(v < 0 && v & 0x7FFF_FFFF != 0);
    r as u32
}

impl PoissonState {
    /// The state after start-up (and after a reset): the seed as written by the host, and
    /// `read_rates(rate_changed = true, next_time = 0)`.
    pub fn new(pc: &PoissonCore) -> Self {
        let g = Globals::of(pc);
        let mut rng = Kiss64::from_state(pc.seed);
        let mut sources = Vec::with_capacity(pc.rates.len());
        for rates in &pc.rates {
            let mut s = Source::default();
            if rates.is_empty() {
                // No rate at all: never spikes (the host always writes at least one).
                s.end_ticks = 0;
                sources.push(s);
                continue;
            }
            let mut j = 0;
            while j + 1 < rates.len() && g.ticks(rates[j + 1].start) == 0 {
                j += 1;
            }
            s.index = j;
            set_rate(&g, &mut rng, &mut s, rate_uk(&rates[j]));
            set_times(&g, &mut s, rates);
            sources.push(s);
        }
        PoissonState { rng, sources, fired: Vec::new(), rates_changed: false }
    }

    /// The resume callback (0x1c90), run at the start of every `run()` after the first of a
    /// segment, `t` being the first tick of the new run (`time + 1`). When the host rewrote the
    /// rates (`rates_changed`, the expander flag, after `Population.set`), the expander (0x6f0)
    /// copies the new rates with every stored index reset to 0 and clears the flag. Then
    /// `read_rates(rate_changed, t)` (0x193c): per source in id order, the rate index is
    /// re-scanned (the last one whose start tick is ≤ t, scanning stops at the first later one),
    /// `set_spike_source_rate` runs when `rates_changed` or the index moved (a slow source draws
    /// a new time to spike), and start, end and next ticks are always recomputed. The RNG state
    /// and the globals are kept.
    pub fn resume(&mut self, pc: &PoissonCore, t: u32, rates_changed: bool) {
        let g = Globals::of(pc);
        let PoissonState { rng, sources, .. } = self;
        for (s, rates) in sources.iter_mut().zip(&pc.rates) {
            if rates.is_empty() {
                continue;
            }
            let old = if rates_changed { 0 } else { s.index };
            let mut j = 0;
            while j + 1 < rates.len() && g.ticks(rates[j + 1].start) <= t {
                j += 1;
            }
            s.index = j;
            if rates_changed || old != j {
                set_rate(&g, rng, s, rate_uk(&rates[j]));
            }
            set_times(&g, s, rates);
        }
    }
}

/// The rate as the binary passes it: unsigned accum, `(u32.32 >> 16)` truncated to 32 bits.
pub(crate) fn rate_uk(r: &PoissonRate) -> u32 {
    (r.rate >> 16) as u32
}

/// `set_spike_source_rate` (0x894).
pub(crate) fn set_rate(g: &Globals, rng: &mut Kiss64, s: &mut Source, rate: u32) {
    let rate_per_tick = ((rate as u64 * g.seconds_per_tick as u64) >> 32) as u32;
    if rate_per_tick >= g.slow {
        s.is_fast = true;
        s.mean_isi_ticks = 0;
        s.time_to_spike_ticks = 0;
        if rate_per_tick >= g.fast {
            s.exp_minus_lambda = 0;
            s.sqrt_lambda = sqrtuk(rate_per_tick);
        } else {
            let lambda = (rate_per_tick >> 1) as i32; // u16.16 → s16.15
            s.exp_minus_lambda = expk_uk(mul_k(lambda, -32768)) << 16;
            s.sqrt_lambda = 0;
        }
    } else {
        s.is_fast = false;
        s.exp_minus_lambda = 0;
        s.sqrt_lambda = 0;
        s.mean_isi_ticks = if ((rate >> 1) as i32) > 0 { g.ts_per_second / rate } else { 0 };
        s.time_to_spike_ticks = isi_ticks(rng, s.mean_isi_ticks);
    }
}

/// What `set_spike_source_rate` and the tick conversions give for one rate of a source, the
/// random part (a slow source's first time to spike) left out: the GPU engine's record of a
/// rate in its tables (twin of `RateSetup` in shaders/common.wgsl).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct RateSetup {
    pub is_fast: u32,
    pub exp_minus_lambda: u32,
    pub sqrt_lambda: u32,
    pub mean_isi_ticks: u32,
    pub start_ticks: u32,
    pub end_ticks: u32,
    pub next_ticks: u32,
}

/// The [`RateSetup`] of each rate of each source.
pub(crate) fn rate_setups(pc: &PoissonCore) -> Vec<Vec<RateSetup>> {
    let g = Globals::of(pc);
    pc.rates
        .iter()
        .map(|rates| {
            (0..rates.len())
                .map(|j| {
                    let mut s = Source { index: j, ..Default::default() };
                    set_rate(&g, &mut Kiss64::from_state([1, 1, 1, 1]), &mut s, rate_uk(&rates[j]));
                    set_times(&g, &mut s, rates);
                    RateSetup {
                        is_fast: s.is_fast as u32,
                        exp_minus_lambda: s.exp_minus_lambda,
                        sqrt_lambda: s.sqrt_lambda,
                        mean_isi_ticks: s.mean_isi_ticks,
                        start_ticks: s.start_ticks,
                        end_ticks: s.end_ticks,
                        next_ticks: s.next_ticks,
                    }
                })
                .collect()
        })
        .collect()
}

/// Start, end and next ticks of the source's current rate.
pub(crate) fn set_times(g: &Globals, s: &mut Source, rates: &[PoissonRate]) {
    let r = &rates[s.index];
    s.start_ticks = g.ticks(r.start);
    s.end_ticks = if r.duration == FOREVER { END_OF_TIME } else { s.start_ticks.wrapping_add(g.ticks(r.duration)) };
    s.next_ticks = match rates.get(s.index + 1) {
        Some(next) => g.next_ticks(next.start),
        None => END_OF_TIME,
    };
}
