//! `expk`/`expulr` and `__expi64` with the spinn_common tables (docs/semantics.md §1.3).
//!
//! The tables below are the words linked into every sPyNNaker 7.4.1 neuron binary and into
//! `spike_source_poisson.aplx` (identical in all of them). In `IF_curr_exp_neuron.aplx` the code
//! is loaded at address 0, `__exp_hi` sits at 0x5898 (file offset 0x58d8) and `__expm1_mid`
//! at 0x5968 (file offset 0x59a8); `__expi64` is the ARM routine at 0x3700, `expk` at 0x37e4
//! and `expulr` at 0x3828. The `__exp_series` coefficients are literal-pool words of
//! `__expi64` (S0 = 5294 is built with two immediate adds).

/// `__exp_hi[k + 13]` = exp(k)·2^32 for k = -13..=12, rounded (u64 words).
pub const EXP_HI: [u64; 26] = [
    9708,
    26389,
    71733,
    194991,
    530041,
    1440801,
    3916503,
    10646160,
    28939262,
    78665070,
    213833830,
    581260615,
    1580030169,
    4294967296,
    11674931555,
    31735754293,
    86266724208,
    234497268814,
    637429664642,
    1732713474316,
    4710003551159,
    12803117065094,
    34802480465680,
    94602950235157,
    257157480542844,
    699026506411923,
];

/// `__expm1_mid[i]` = (1 - exp(-i/16))·2^32 (u32 words).
pub const EXPM1_MID: [u32; 16] = [
    0, 260218914, 504671961, 734314346, 950043403, 1152702096, 1343082321, 1521927990, 1689937949, 1847768698,
    1996036966, 2135322113, 2266168400, 2389087112, 2504558555, 2613033936,
];

/// `__exp_series` = {S0, S1, S2}.
pub const EXP_SERIES: [u32; 3] = [5294, 4293434720, 2081624032];

/// Raw inputs above this saturate (exp(11.09…) no longer fits s16.15).
pub const EXP_UPPER: i32 = 363408;
/// Raw inputs below this give 0.
pub const EXP_LOWER: i32 = -340695;

/// `round64(v)`: the high word, plus one when the low word is ≥ 0x7FFFFFFF (not 0x80000000).
#[inline(always)]
pub fn round64(v: u64) -> u64 {
    (v >> 32) + u64::from(v as u32 >= 0x7FFF_FFFF)
}

/// `scale64(x, y)` = round64(lo32(x)·y) + hi32(x)·y, i.e. about x·y/2^32 (wrapping u64).
#[inline(always)]
pub fn scale64(x: u64, y: u32) -> u64 {
    let lo = (x as u32) as u64 * y as u64;
    let hi = (x >> 32) * y as u64;
    round64(lo).wrapping_add(hi)
}

/// `exp_series(x)`: the polynomial for 1 - exp(-x) on the low 11 fraction bits, all u32.
#[inline(always)]
pub fn exp_series(x: u32) -> u32 {
    let [s0, s1, s2] = EXP_SERIES;
    let t = s1.wrapping_sub(((s2 as u64 * x as u64) >> 32) as u32);
    let t = ((t as u64 * x as u64) >> 32) as u32;
    t.wrapping_add(s0)
}

/// `__expi64(n)`: exp(n/2^15)·2^32 as a u64, for n inside [EXP_LOWER, EXP_UPPER].
///
/// Outside roughly [-458751, 425983] the chip would index outside `__exp_hi`; callers guard.
pub fn expi64(n: i32) -> u64 {
    let mut z = n >> 15;
    let f = n & 0x7FFF;
    if f == 0 {
        return EXP_HI[(13 + z) as usize];
    }
    z += 1;
    let f = (32768 - f) as u32;
    let mut t = EXP_HI[(13 + z) as usize];
    t = t.wrapping_sub(scale64(t, EXPM1_MID[(f >> 11) as usize]));
    let y = (f & 0x7FF) << 17;
    t.wrapping_sub(scale64(t, exp_series(y)))
}

/// exp of an s16.15 value, s16.15 result (saturates to i32::MAX above, 0 below).
/// No rounding: bits 48..17 of `__expi64`.
pub fn expk(x: i32) -> i32 {
    if x > EXP_UPPER {
        i32::MAX
    } else if x < EXP_LOWER {
        0
    } else {
        (expi64(x) >> 17) as u32 as i32
    }
}

/// exp of an s16.15 value as u0.32: the low word of `__expi64`, so exp(0) wraps to 0.
/// Above EXP_UPPER the binary returns 0x7FFFFFFF (the `expk` saturation value, not 0xFFFFFFFF).
pub fn expulr(x: i32) -> u32 {
    if x > EXP_UPPER {
        0x7FFF_FFFF
    } else if x < EXP_LOWER {
        0
    } else {
        expi64(x) as u32
    }
}

/// The exp variant linked into `spike_source_poisson.aplx` (ARM routine at 0x336c), used
/// for the fast-source `exp(-λ)`: s16.15 argument, u16.16 result = bits 47..16 of
/// `__expi64`. Guards exactly as in the binary: x > EXP_UPPER gives 0xFFFFFFFF and x == 0
/// gives 0; there is no lower guard on chip, so below -458751 (where the chip would read
/// outside `__exp_hi`) this returns 0. Poisson only calls it with -10 < x < 0.
pub fn expk_uk(x: i32) -> u32 {
    if x > EXP_UPPER {
        u32::MAX
    } else if x == 0 || x < -458751 {
        0
    } else {
        (expi64(x) >> 16) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_shapes() {
        // __exp_hi is exp(k)·2^32 to the nearest integer.
        for (i, &w) in EXP_HI.iter().enumerate() {
            let want = ((i as f64 - 13.0).exp() * 4294967296.0).round();
            assert!((w as f64 - want).abs() <= 1.0, "exp_hi[{i}]");
        }
        for (i, &w) in EXPM1_MID.iter().enumerate() {
            let want = (1.0 - (-(i as f64) / 16.0).exp()) * 4294967296.0;
            assert!((w as f64 - want).abs() <= 1.0, "expm1_mid[{i}]");
        }
    }

    #[test]
    fn round64_threshold() {
        assert_eq!(round64(0x0000_0005_7FFF_FFFE), 5);
        assert_eq!(round64(0x0000_0005_7FFF_FFFF), 6);
        assert_eq!(round64(0x0000_0005_8000_0000), 6);
    }

    #[test]
    fn guards() {
        assert_eq!(expk(EXP_UPPER + 1), i32::MAX);
        assert_eq!(expk(EXP_LOWER - 1), 0);
        assert_eq!(expk(EXP_LOWER), 1);
        assert_eq!(expk(0), 32768);
        assert_eq!(expulr(0), 0);
        assert_eq!(expulr(EXP_UPPER + 1), 0x7FFF_FFFF);
        assert_eq!(expulr(i32::MIN), 0);
        assert_eq!(expk_uk(0), 0);
        assert_eq!(expk_uk(EXP_UPPER + 1), u32::MAX);
    }

    #[test]
    fn integer_arguments_are_table_words() {
        for k in -10..=11 {
            assert_eq!(expi64(k << 15), EXP_HI[(k + 13) as usize]);
        }
    }
}
