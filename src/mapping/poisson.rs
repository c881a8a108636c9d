//! SpikeSourcePoisson parameters of a slice, as the sPyNNaker 7.4.1 host writes them (docs/spynnaker-mapping.md §11.2).
//!
//! `SpikeSourcePoissonMachineVertex._write_poisson_parameters` and `_write_poisson_rates`:
//! * `seconds_per_tick` = U032(timestep_us / 1e6), `ticks_per_ms` = U1616(1000 / timestep_us);
//! * both rate cut-offs are written as **U1616** (0.01 → 655, 10 → 655360) and the binary
//!   compares them as unsigned accum with a u16.16 rate per tick (not the S1615 values
//!   328 / 327680 are not what 7.4.1 uses);
//! * rates, starts and durations are U3232 by `numpy.round(v * 2**32).astype(uint64)` (binary
//!   rounding half to even of the float product, not the Decimal rounding of `DataType`);
//!   a duration of "forever" is the U3232 of 0xFFFFFFFF ms, 0xFFFFFFFF_00000000;
//! * the KISS seed of a slice comes from the application vertex's `numpy.random.RandomState(seed)`,
//!   drawn lazily in the order the slices are written (slice order): four
//!   `rng.randint(-2**31, 2**31 - 1) + 2**31`, then `_validate_mars_kiss_64_seed`.
//!
//! [`RandomState`] is numpy's legacy MT19937 seeded with an integer (`init_genrand`), and
//! [`RandomState::kiss_seed_word`] its bounded-integer path for that call (masked rejection over
//! 32-bit draws), so a population `seed` gives the seeds sPyNNaker 7.4.1 writes. A population
//! without a seed gets a 32-bit one from the network seed: the first `u32` of
//! `host_rng(network_seed, [5, population_index])` (sPyNNaker would use OS entropy there).

use super::image::*;
use crate::error::{Error, Result};
use crate::fixed::{encode_u032, encode_u1616, Kiss64};
use crate::model::{host_rng, Population, ResolvedParams};
use rand::RngExt;

/// `DURATION_FOREVER` (0xFFFFFFFF ms) as U3232.
pub const DURATION_FOREVER_U3232: u64 = 0xFFFF_FFFF_0000_0000;
/// `SLOW_RATE_PER_TICK_CUTOFF` = 0.01 as U1616.
pub const SLOW_RATE_PER_TICK_CUTOFF: u32 = 655;
/// `FAST_RATE_PER_TICK_CUTOFF` = 10 as U1616.
pub const FAST_RATE_PER_TICK_CUTOFF: u32 = 655_360;

/// `numpy.round(v * float(2**32)).astype(numpy.uint64)` for a value that fits.
pub fn u3232_numpy(v: f64) -> Option<u64> {
    let x = (v * 4294967296.0).round_ties_even();
    // 2^64 itself does not fit; NaN fails both comparisons.
    if (0.0..18446744073709551616.0).contains(&x) {
        Some(x as u64)
    } else {
        None
    }
}

/// numpy's legacy `RandomState` (MT19937) seeded with an integer, as far as sPyNNaker uses it.
#[derive(Clone)]
pub struct RandomState {
    key: [u32; 624],
    pos: usize,
}

impl RandomState {
    /// `RandomState(seed)` for 0 ≤ seed ≤ 2^32 − 1: `mt19937_seed` (the reference `init_genrand`).
    pub fn new(seed: u32) -> Self {
        let mut key = [0u32; 624];
        let mut s = seed;
        for (pos, k) in key.iter_mut().enumerate() {
            *k = s;
            s = 1812433253u32.wrapping_mul(s ^ (s >> 30)).wrapping_add(pos as u32 + 1);
        }
        RandomState { key, pos: 624 }
    }

    fn generate(&mut self) {
        const N: usize = 624;
        const M: usize = 397;
        let mix = |a: u32, b: u32, c: u32| {
            let y = (a & 0x8000_0000) | (b & 0x7FFF_FFFF);
            c ^ (y >> 1) ^ (0u32.wrapping_sub(y & 1) & 0x9908_B0DF)
        };
        for i in 0..N - M {
            self.key[i] = mix(self.key[i], self.key[i + 1], self.key[i + M]);
        }
        for i in N - M..N - 1 {
            self.key[i] = mix(self.key[i], self.key[i + 1], self.key[i + M - N]);
        }
        self.key[N - 1] = mix(self.key[N - 1], self.key[0], self.key[M - 1]);
        self.pos = 0;
    }

    /// `mt19937_next32`.
    pub fn next_u32(&mut self) -> u32 {
        if self.pos == 624 {
            self.generate();
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9D2C_5680;
        y ^= (y << 15) & 0xEFC6_0000;
        y ^ (y >> 18)
    }

    /// `rng.randint(-2**31, 2**31 - 1) + 2**31` (default dtype int64, so
    /// `random_bounded_uint64_fill` with range 2^32 − 2 and mask 0xFFFFFFFF: 32-bit draws,
    /// 0xFFFFFFFF rejected).
    pub fn kiss_seed_word(&mut self) -> u32 {
        loop {
            let v = self.next_u32();
            if v != u32::MAX {
                return v;
            }
        }
    }

    /// `create_mars_kiss_seeds(rng)` before validation: four words.
    pub fn kiss_seed_words(&mut self) -> [u32; 4] {
        [self.kiss_seed_word(), self.kiss_seed_word(), self.kiss_seed_word(), self.kiss_seed_word()]
    }
}

/// The 32-bit `RandomState` seed of a Poisson population: its own `seed`, or one drawn from the
/// network seed.
pub fn population_seed(p: &Population, net_seed: u64, pi: usize) -> Result<u32> {
    match p.seed {
        Some(s) => u32::try_from(s).map_err(|_| {
            Error::param(p.name(), "seed", format!("{s} is not between 0 and 2**32 - 1 (numpy RandomState)"))
        }),
        None => Ok(host_rng(net_seed, &[5, pi as u64]).random::<u32>()),
    }
}

/// The validated KISS seeds of the first `n_slices` slices (in slice order) of a population
/// whose `RandomState` seed is `seed`, drawn in one pass.
pub fn slice_kiss_seeds(seed: u32, n_slices: usize) -> Vec<[u32; 4]> {
    let mut rs = RandomState::new(seed);
    (0..n_slices).map(|_| Kiss64::new(rs.kiss_seed_words()).seed).collect()
}

/// The validated KISS seed of slice `ci` (0-based, in slice order) of a population whose
/// `RandomState` seed is `seed`.
#[cfg(test)]
fn slice_kiss_seed(seed: u32, ci: usize) -> [u32; 4] {
    slice_kiss_seeds(seed, ci + 1)[ci]
}

/// The KISS seeds of every slice of Poisson population `p` (index `pi`), in slice order.
pub fn population_kiss_seeds(p: &Population, net_seed: u64, pi: usize, n_slices: usize) -> Result<Vec<[u32; 4]>> {
    Ok(slice_kiss_seeds(population_seed(p, net_seed, pi)?, n_slices))
}

/// SpikeSourcePoisson parameters of one slice (docs/spynnaker-mapping.md §11.2), whose KISS seed is `seed`.
pub fn poisson(p: &Population, r: &ResolvedParams, seed: [u32; 4], lo: u32, n: u32, dt_ms: f64) -> Result<PoissonCore> {
    let enc = |name: &str, v: f64| {
        u3232_numpy(v)
            .ok_or_else(|| Error::param(p.name(), name, format!("{v} does not fit an unsigned 32.32 fixed-point word")))
    };
    let (rate, start, duration) = (r.get("rate"), r.get("start"), r.get("duration"));
    let mut rates = Vec::with_capacity(n as usize);
    for i in lo as usize..(lo + n) as usize {
        rates.push(vec![PoissonRate {
            rate: enc("rate", rate[i])?,
            start: enc("start", start[i])?,
            duration: if duration[i].is_infinite() { DURATION_FOREVER_U3232 } else { enc("duration", duration[i])? },
        }]);
    }
    // The machine timestep in µs, as the image records it.
    let us = (dt_ms * 1000.0 - 1e-9).ceil();
    let bad = |e: crate::fixed::EncodeError| Error::param(p.name(), "timestep", e.to_string());
    Ok(PoissonCore {
        seconds_per_tick: encode_u032(us / 1_000_000.0).map_err(bad)?,
        ticks_per_ms: encode_u1616(1000.0 / us).map_err(bad)?,
        slow_rate_per_tick_cutoff: SLOW_RATE_PER_TICK_CUTOFF as i32,
        fast_rate_per_tick_cutoff: FAST_RATE_PER_TICK_CUTOFF as i32,
        seed,
        rates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mt19937_reference_outputs() {
        // The first outputs of init_genrand(5489), the reference implementation's default seed.
        let mut rs = RandomState::new(5489);
        let first: Vec<u32> = (0..3).map(|_| rs.next_u32()).collect();
        assert_eq!(first, [3499211612, 581869302, 3890346734]);
    }

    #[test]
    fn kiss_seeds_of_seed_42() {
        // sPyNNaker 7.4.1, SpikeSourcePoisson(seed=42), two slices
        // (tests/fixtures/virtual-board-7.4.1/poisson.json).
        assert_eq!(slice_kiss_seed(42, 0), [1608637542, 3421126067, 4083286876, 89077347]);
        assert_eq!(slice_kiss_seed(42, 1), [3143890026, 3348747335, 2571218620, 467144721]);
    }

    #[test]
    fn u3232_rounding() {
        assert_eq!(u3232_numpy(10.0), Some(10 << 32));
        assert_eq!(u3232_numpy(0.1), Some(429496730));
        assert_eq!(u3232_numpy(4294967295.0), Some(DURATION_FOREVER_U3232));
        // exact ties go to even
        assert_eq!(u3232_numpy(0.5 / 4294967296.0), Some(0));
        assert_eq!(u3232_numpy(1.5 / 4294967296.0), Some(2));
        assert_eq!(u3232_numpy(4294967296.0), None);
        assert_eq!(u3232_numpy(-1.0), None);
    }
}
