//! `sqrtk` from spinn_common (docs/semantics.md §1.3).
//!
//! In sPyNNaker 7.4.1 the only square root on chip is the one in `spike_source_poisson.aplx`
//! (ARM routine at 0x3544, with its two refinement helpers at 0x33a0 and 0x3438). It is
//! `sqrtuk(x) = (unsigned accum) sqrtk((accum) x)`: the u16.16 argument is shifted right by
//! one, `sqrtk_bits` runs inline, and the s16.15 result is shifted left by one. `sqrtk`
//! below is that inner routine:
//!
//! 1. 0 and 1.0 are returned unchanged;
//! 2. x is normalised to `m = x << clz(x)` (top bit set);
//! 3. a reciprocal square root `y` of `m` is refined from `(m >> 1) & 0x3FFFFFFF` by three
//!    32-bit Newton steps and two 64-bit steps;
//! 4. `s = (m << 32) - (round(y·m) >> 1)` is shifted back by `16 + (clz - 16)/2`, and when
//!    clz is odd multiplied by 0xB504F334 (1/√2), rounding.
//!
//! Every operation below mirrors one or two ARM instructions (u32 words, borrow chains as
//! wrapping u64 arithmetic). The binary never passes a negative value to this code (its
//! argument is a shifted unsigned accum), so the clamp of negative input to 0 is taken from
//! spinn_common's documented `sqrtk` behaviour, not from the binary.

/// `(a·h + 2^31) >> 32`: the high words of a 64×32 product plus bit 31 of the lowest word.
#[inline(always)]
fn mulhi_round(a: u64, h: u32) -> u64 {
    ((a as u128 * h as u128 + (1u128 << 31)) >> 32) as u64
}

/// One 32-bit refinement of the reciprocal square root estimate `y` of `x` (routine 0x33a0).
fn rsqrt_step32(x: u32, y: u32) -> u64 {
    let a = ((x as u64) << 32).wrapping_sub((x as u64 * y as u64) >> 1);
    let h = y >> 1;
    let b = a.wrapping_add(1 << 63).wrapping_sub(mulhi_round(a, h));
    let neg = (b as i64) < 0;
    let m = if neg { b.wrapping_neg() } else { b };
    let mut c = m.wrapping_sub(mulhi_round(m, h));
    if neg {
        c = c.wrapping_neg();
    }
    ((y as u64) << 32).wrapping_add(c << 1)
}

/// One 64-bit refinement (routine 0x3438). The partial products are summed exactly as the
/// binary does; the high word of lo(a)·lo(h) is dropped there, so this is not a plain
/// 128-bit product.
fn rsqrt_step64(x: u32, y: u64) -> u64 {
    let p = mulhi_round(y, x);
    let a = ((x as u64) << 32).wrapping_sub(p >> 1);
    let h = y >> 1;
    let (hl, hh) = (h as u32 as u64, h >> 32);
    let (al, ah) = (a as u32 as u64, a >> 32);
    // middle terms of a·h, carried as the binary carries them
    let r1 = ((hl * ah) & 0xFFFF_FFFF) + (((al * hl) & 0xFFFF_FFFF) >> 31);
    let r7 = ((hl * ah) >> 32) + (r1 >> 32);
    let s = ((al * hh) & 0xFFFF_FFFF) + (r1 & 0xFFFF_FFFF);
    let r5 = ((al * hh) >> 32) + (s >> 32);
    let b = a
        .wrapping_add(1 << 63)
        .wrapping_sub(ah * hh)
        .wrapping_sub(r7)
        .wrapping_sub(r5)
        .wrapping_sub((s & 0xFFFF_FFFF) >> 31);
    let neg = (b as i64) < 0;
    let m = if neg { b.wrapping_neg() } else { b };
    let (ml, mh) = (m as u32 as u64, m >> 32);
    let t = mh * hl + ((ml * hl) >> 32) + (((ml * hl) & 0xFFFF_FFFF) >> 31);
    let mut c = m
        .wrapping_sub(mh * hh)
        .wrapping_sub((ml * hh) >> 32)
        .wrapping_sub(((ml * hh) & 0xFFFF_FFFF) >> 31)
        .wrapping_sub(t >> 32);
    if neg {
        c = c.wrapping_neg();
    }
    y.wrapping_add(c << 1)
}

/// Square root of an s16.15 value, s16.15 result; negative input gives 0.
pub fn sqrtk(x: i32) -> i32 {
    if x <= 0 {
        return 0;
    }
    if x == 0x8000 {
        return x;
    }
    let k = x as u32;
    let lz = k.leading_zeros(); // 1..=31
    let m = k << lz;
    let mut y = rsqrt_step32(m, (m >> 1) & 0x3FFF_FFFF);
    y = rsqrt_step32(m, (y >> 32) as u32);
    y = rsqrt_step32(m, (y >> 32) as u32);
    y = rsqrt_step64(m, y);
    y = rsqrt_step64(m, y);
    let q = mulhi_round(y, m);
    let s = ((m as u64) << 32).wrapping_sub(q >> 1);
    let v = s >> (16 + ((lz as i32 - 16) >> 1));
    if lz & 1 == 1 {
        ((v as u128 * 0xB504_F334u128 + (1u128 << 31)) >> 64) as u32 as i32
    } else {
        (v >> 32) as u32 as i32
    }
}

/// `sqrtuk` as linked into `spike_source_poisson.aplx` (0x3544): u16.16 in and out, computed
/// as `sqrtk(x >> 1) << 1`, so the lowest bit of both argument and result is lost.
pub fn sqrtuk(x: u32) -> u32 {
    (sqrtk((x >> 1) as i32) as u32) << 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values() {
        assert_eq!(sqrtk(0), 0);
        assert_eq!(sqrtk(-5), 0);
        assert_eq!(sqrtk(i32::MIN), 0);
        assert_eq!(sqrtk(32768), 32768);
        assert_eq!(sqrtk(4 << 15), 2 << 15);
        assert_eq!(sqrtk(9 << 15), 3 << 15);
        assert_eq!(sqrtk(16384 << 15), 128 << 15);
        // √2 = 1.41421… → 46340.95 raw, truncated
        assert_eq!(sqrtk(2 << 15), 46340);
        assert_eq!(sqrtuk(2 << 16), 92680);
    }
}
