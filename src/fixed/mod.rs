//! Fixed-point arithmetic exactly as the SpiNNaker ARM binaries compute it (docs/semantics.md §1).
//!
//! Values are carried as their raw integers: s16.15 (`accum`) as `i32` with 2^15 = 1.0,
//! u0.32 (`unsigned long fract`) as `u32` with 2^32 = 1.0, u16.16 as `u32`, u32.32 as `u64`.
//! Multiplies floor (arithmetic shift of the 64-bit product), adds wrap, nothing saturates
//! unless docs/semantics.md §1.2 says so.

mod encode;
mod exp;
mod kiss;
mod normal;
mod sqrt;
mod variates;

pub use encode::{encode_s1615, encode_u032, encode_u1616, encode_u3232, EncodeError};
pub use exp::{exp_series, expi64, expk, expk_uk, expulr, round64, scale64};
pub use kiss::{validate_mars_kiss64_seed, Kiss64};
pub use normal::{norminv_rbits, norminv_urt};
pub use sqrt::{sqrtk, sqrtuk};
pub use variates::{accum_to_u32, exponential_variate, isi_ticks};

/// 1.0 in s16.15.
pub const ONE_S1615: i32 = 1 << 15;

/// s16.15 × s16.15, floor (GCC `mulsa3`): bits 46..15 of the 64-bit product.
#[inline(always)]
pub fn mul_k(a: i32, b: i32) -> i32 {
    ((a as i64 * b as i64) >> 15) as i32
}

/// `decay_s1615(x, d)`: s16.15 × u0.32 → s16.15, floor.
#[inline(always)]
pub fn decay_s1615(x: i32, d: u32) -> i32 {
    ((x as i64 * d as i64) >> 32) as i32
}

/// `decay_s1615_to_u032(x, d)`: s16.15 × u0.32 → u0.32, truncating, wrapping at 1.0.
#[inline(always)]
pub fn decay_s1615_to_u032(x: i32, d: u32) -> u32 {
    ((x as i64 as u64).wrapping_mul(d as u64) >> 15) as u32
}

/// `kdivk(a, b)`: unsigned 64-bit division of `(int64) a << 15` by `(int64) b` (both
/// sign-extended, then treated as u64), truncated to 32 bits. In the 7.4.1 neuron binaries
/// this is a call to the shift-subtract u64 division at 0x5c8 of `IF_curr_exp_neuron.aplx`.
/// Only meaningful for a ≥ 0 and b > 0; b = 0 traps on chip (`udf`) and gives 0 here.
#[inline]
pub fn kdivk(a: i32, b: i32) -> i32 {
    let num = ((a as i64) as u64) << 15;
    let den = (b as i64) as u64;
    if den == 0 {
        return 0;
    }
    (num / den) as u32 as i32
}

/// `kdivui(a, n)`: s16.15 divided by an unsigned integer, truncating (unsigned 64-bit
/// division of the sign-extended a, so only meaningful for a ≥ 0). n = 0 gives 0.
#[inline]
pub fn kdivui(a: i32, n: u32) -> i32 {
    if n == 0 {
        return 0;
    }
    (((a as i64) as u64) / n as u64) as u32 as i32
}

/// `roundk(x, 15)`: round half up to an integer value, result still in s16.15.
#[inline]
pub fn roundk(x: i32) -> i32 {
    let c = (x >> 14) & 1;
    ((x >> 15) + c) << 15
}

/// The LIF `ceil_accum`: smallest integer ≥ x, as an integer.
#[inline]
pub fn ceil_accum(x: i32) -> i32 {
    if x & 0x7FFF != 0 {
        (x >> 15) + 1
    } else {
        x >> 15
    }
}

/// `REAL_HALF(x)` = x ⊗ 0.5k: arithmetic shift right by one (floor).
#[inline(always)]
pub fn half_k(x: i32) -> i32 {
    x >> 1
}

/// `(uint64)a * b >> 32` for two u0.32 values (also the Poisson `p·rng()` step).
#[inline(always)]
pub fn mul_ulr(a: u32, b: u32) -> u32 {
    ((a as u64 * b as u64) >> 32) as u32
}

/// The value of a raw s16.15 (exact in f64; test and decoding helper).
#[inline]
pub fn s1615_to_f64(raw: i32) -> f64 {
    raw as f64 / 32768.0
}
