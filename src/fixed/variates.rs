//! Random variates of the Poisson source binary (`spike_source_poisson.aplx`, docs/semantics.md §7.3)
//! and the accum → u32 conversion they use; shared by the CPU engine and checked against the
//! GPU engine's WGSL (`shaders/fixed.wgsl`).

use super::{roundk, Kiss64};

/// (uint32_t) of an accum: truncation toward zero (0x5804).
#[inline]
pub fn accum_to_u32(x: i32) -> u32 {
    ((x >> 15) + i32::from(x < 0 && x & 0x7FFF != 0)) as u32
}

/// The exponential variate of `exponential_dist_variate` (von Neumann), s16.15.
pub fn exponential_variate(rng: &mut Kiss64) -> i32 {
    let mut a: i32 = 0;
    loop {
        let mut u = rng.next_u32();
        let u0 = u;
        loop {
            let u_star = rng.next_u32();
            if u < u_star {
                return a.wrapping_add((u0 >> 17) as i32);
            }
            u = rng.next_u32();
            if u >= u_star {
                break;
            }
        }
        a = a.wrapping_add(1 << 15);
    }
}

/// Ticks to the next spike of a slow source: `(uint32) roundk(variate · 1000) · mean_isi`.
pub fn isi_ticks(rng: &mut Kiss64, mean_isi: u32) -> u32 {
    let v = (exponential_variate(rng) as i64 * 1000) as i32; // exact in long accum, low word back
    accum_to_u32(roundk(v)).wrapping_mul(mean_isi)
}
