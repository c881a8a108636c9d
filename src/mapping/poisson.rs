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
//! The seeds come from [`super::seeds`], numpy's `RandomState` as the host draws them.

use super::image::*;
use super::seeds::{population_seed, slice_kiss_seeds};
use crate::error::{Error, Result};
use crate::fixed::{encode_u032, encode_u1616};
use crate::model::{Population, ResolvedParams};

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
