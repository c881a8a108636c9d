//! `norminv_urt` / `__norminv_rbits` from spinn_common (docs/semantics.md §1.3).
//!
//! Ported from `synapse_expander.aplx` of sPyNNaker 7.4.1, where `rng_normal` (0x388) is
//! `__norminv_rbits((int32_t) mars_kiss64_seed(seed) >> 16)` and `__norminv_rbits` is the ARM
//! routine at 0x42f4. Its argument x is a signed 16-bit value standing for the probability
//! p = (x + 32768)/65536; the result is s16.15. Three regimes:
//!
//! * |x| within 31 of the ends: a direct table (`TAIL`), negated for x < 0;
//! * otherwise with r = 32768 - |x| ≥ 1024: a quartic in (x²>>17 - A[j])·B[j] on the
//!   segment j = 5 - (clz(r) - 16), added to OFFSET[row]·2^13 and multiplied by |x|;
//! * otherwise (32 ≤ r < 1024): a quartic in the bits of r below its leading one, added to
//!   OFFSET[row].
//!
//! The polynomial steps are ARM `smlawb` (acc + (a·(int16)b) >> 16, wrapping). The tables
//! are identical in every 7.4.1 binary that links them; in `synapse_expander.aplx` (code
//! loaded at 0) `OFFSET` is at 0x5e2c, `TAIL` at 0x5e58, `B` at 0x5edc, `A` at 0x5ef4, and
//! `COEF` is the initialised data copied to DTCM 0x400000 (file offset 0x5f74).

/// Row offsets: s16.15 for the outer rows 0..=4, and `<< 13` scaled for the central rows 5..=10.
pub const OFFSET: [i32; 11] = [98304, 98304, 65536, 65536, 65536, 16, 14, 13, 11, 10, 0];

/// Direct values for the 32 outermost inputs (index 32 is stored but never read).
pub const TAIL: [i32; 33] = [
    229376, 136628, 131359, 128187, 125892, 124086, 122593, 121318, 120204, 119213, 118321, 117508, 116762, 116072,
    115430, 114830, 114265, 113733, 113229, 112751, 112295, 111860, 111444, 111045, 110662, 110294, 109939, 109596,
    109265, 108945, 108635, 108334, 108042,
];

/// Central-segment scale factors.
pub const SEG_B: [i32; 6] = [32, 16, 8, 6, 6, 0];
/// Central-segment offsets subtracted from x²>>17.
pub const SEG_A: [i32; 6] = [7200, 6272, 4608, 2048, 0, 0];

/// Quartic coefficients, 11 rows of 5 (highest order first).
pub const COEF: [[i32; 5]; 11] = [
    [489693536, -966086639, 1048652819, -1202555181, 638185482],
    [510971994, -1008958387, 1097593202, -1269255408, 208850025],
    [535062308, -1057614622, 1153468280, -1347876992, 1901851228],
    [562587223, -1113360216, 1217886707, -1442344496, 1417447081],
    [594357355, -1177895230, 1292890733, -1558625637, 896662126],
    [1364524482, 4157352, 893590920, 482307216, -56131990],
    [1594011413, 34197350, 980366094, 540913971, 14157698],
    [2059946197, 130876674, 1126841309, 628910107, -391651081],
    [669410721, 151375990, 657881394, 208981697, -111730420],
    [135763632, 134215538, 347443147, -134393924, 14235314],
    [0, 0, 0, 0, 0],
];

/// ARM `smlawb`: acc + ((a · (int16) b) >> 16), wrapping.
#[inline(always)]
fn smlawb(a: i32, b: i32, acc: i32) -> i32 {
    acc.wrapping_add(((a as i64 * b as i16 as i64) >> 16) as i32)
}

/// Horner evaluation of one `COEF` row with `smlawb` steps.
#[inline(always)]
fn quartic(row: &[i32; 5], t: i32) -> i32 {
    row[1..].iter().fold(row[0], |acc, &c| smlawb(acc, t, c))
}

/// `__norminv_rbits(x)` for x in -32768..=32767: inverse normal CDF of (x + 32768)/65536, s16.15.
pub fn norminv_rbits(x: i32) -> i32 {
    debug_assert!((-32768..=32767).contains(&x));
    if x < -32736 {
        return -TAIL[(x + 32768) as usize];
    }
    if 32768 - x <= 31 {
        return TAIL[(32768 - x) as usize];
    }
    let a = x.abs();
    let r = (32768 - a) as u32; // 32..=32768
    let lz = r.leading_zeros() as i32; // 16..=26
    let v = if lz <= 21 {
        let i = lz - 16;
        let seg = (5 - i) as usize;
        let row = (10 - i) as usize;
        let u = ((a * a) >> 17).wrapping_sub(SEG_A[seg]).wrapping_mul(SEG_B[seg]);
        let p = quartic(&COEF[row], u.wrapping_shl(1));
        let w = (OFFSET[row] << 13).wrapping_add(p.wrapping_add(u.wrapping_shl(15)) >> 16);
        ((w as i64 * a as i16 as i64) >> 16) as i32
    } else {
        let e = lz - 17; // 5..=9
        let row = (9 - e) as usize;
        let t = ((r as i32) - (1 << (14 - e))) << (lz - 16);
        let p = quartic(&COEF[row], t);
        let p = (((p >> 14) & 1) + (p >> 15)) << 15;
        OFFSET[row].wrapping_add(p >> 16)
    };
    if x < 0 {
        v.wrapping_neg()
    } else {
        v
    }
}

/// Inverse normal CDF of a uniform u0.32 draw, s16.15 result:
/// `__norminv_rbits((int32_t) u >> 16)`.
pub fn norminv_urt(u: u32) -> i32 {
    norminv_rbits((u as i32) >> 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_and_ends() {
        assert_eq!(norminv_rbits(0), 0);
        assert_eq!(norminv_rbits(-32768), -229376); // -7.0
        assert_eq!(norminv_rbits(32767), 136628);
        assert_eq!(norminv_rbits(-32767), -136628);
        for x in 1..32768 {
            assert_eq!(norminv_rbits(-x), -norminv_rbits(x), "x={x}");
        }
        assert_eq!(norminv_urt(0x8000_0000), -229376);
        assert_eq!(norminv_urt(0x7FFF_FFFF), 136628);
        assert_eq!(norminv_urt(0), 0);
    }

    #[test]
    fn monotone() {
        for x in -32768..32767 {
            assert!(norminv_rbits(x) <= norminv_rbits(x + 1), "x={x}");
        }
    }
}
