//! Test vectors for `spinnsim::fixed` (fact sheet §1, oracles §2.2).
//!
//! The `*_FNV` constants are FNV-1a 64 hashes of the outputs of the ARM routines in the
//! sPyNNaker 7.4.1 binaries, executed instruction by instruction in an ARM emulator over the
//! input sets given next to each hash (every output as 4 little-endian bytes, in input order):
//! `expk`/`expulr`/`mars_kiss64_seed` from `IF_curr_exp_neuron.aplx` (0x37e4, 0x3828, 0x36a0),
//! `__norminv_rbits` from `synapse_expander.aplx` (0x42f4), and the `sqrtuk` and exp (u16.16)
//! routines from `spike_source_poisson.aplx` (0x3544, 0x336c).

use proptest::prelude::*;
use spinnsim::fixed::*;

fn fnv1a<I: IntoIterator<Item = u32>>(vals: I) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for v in vals {
        for b in v.to_le_bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    h
}

// ---------------------------------------------------------------- exhaustive vs the binaries

/// expk(n) for n in -340700..=363410 (the whole unsaturated range and its guards).
const EXPK_FNV: u64 = 0x2aa9a8e3ad4a2854;
/// expulr(n) over the same range.
const EXPULR_FNV: u64 = 0x850d21e9e09c30fa;
/// norminv_rbits(x) for every x in -32768..=32767.
const NORMINV_FNV: u64 = 0x1a1b339c9a2cecc0;
/// sqrtk(k) for k in 0..2^18, then k = (i·2654435761 mod 2^32) >> 1 for i in 0..200000.
const SQRTK_FNV: u64 = 0x4524de54d683cb9e;
/// sqrtuk(u) for u = i·2654435761 mod 2^32, i in 0..200000.
const SQRTUK_FNV: u64 = 0x87d85448c29d358d;
/// expk_uk(n) for n in -458751..=363410.
const EXPK_UK_FNV: u64 = 0x750d81d6d90aae81;
/// 100000 draws of mars_kiss64_seed from the (validated) state [123456789, 362436069, 521288629, 7654322].
const KISS_A_FNV: u64 = 0x475d84e346f989f0;
/// 100000 draws from the state [0, 13031301, 0, 1] (the validated all-zero seed).
const KISS_B_FNV: u64 = 0x9be9b01f6a8640b4;

fn hash_sample(i: u32) -> u32 {
    i.wrapping_mul(2654435761)
}

#[test]
fn expk_matches_binary_exhaustively() {
    assert_eq!(fnv1a((-340700..=363410).map(|n| expk(n) as u32)), EXPK_FNV);
}

#[test]
fn expulr_matches_binary_exhaustively() {
    assert_eq!(fnv1a((-340700..=363410).map(expulr)), EXPULR_FNV);
}

#[test]
fn expk_uk_matches_binary_exhaustively() {
    assert_eq!(fnv1a((-458751..=363410).map(expk_uk)), EXPK_UK_FNV);
}

#[test]
fn norminv_matches_binary_exhaustively() {
    assert_eq!(fnv1a((-32768..=32767).map(|x| norminv_rbits(x) as u32)), NORMINV_FNV);
}

#[test]
fn sqrtk_matches_binary() {
    let ks = (0..1u32 << 18).chain((0..200_000).map(|i| hash_sample(i) >> 1));
    assert_eq!(fnv1a(ks.map(|k| sqrtk(k as i32) as u32)), SQRTK_FNV);
    assert_eq!(fnv1a((0..200_000).map(|i| sqrtuk(hash_sample(i)))), SQRTUK_FNV);
}

#[test]
fn kiss_matches_binary() {
    let mut a = Kiss64::from_state([123456789, 362436069, 521288629, 7654322]);
    assert_eq!(fnv1a((0..100_000).map(|_| a.next_u32())), KISS_A_FNV);
    let mut b = Kiss64::new([0, 0, 0, 0]);
    assert_eq!(fnv1a((0..100_000).map(|_| b.next_u32())), KISS_B_FNV);
}

// ---------------------------------------------------------------- KISS sequences
//
// Independent port used to compute the values below:
//
//   M = 0xFFFFFFFF
//   def validate(s):
//       s = list(s)
//       if s[1] == 0: s[1] = 13031301
//       s[3] = s[3] % 698769068 + 1
//       return s
//   def kiss(s):
//       x, y, z, c = s
//       x = (314527869 * x + 1234567) & M
//       y ^= (y << 5) & M; y ^= y >> 7; y ^= (y << 22) & M
//       t = 4294584393 * z + c
//       c = t >> 32; z = t & M
//       s[:] = [x, y, z, c]
//       return (x + y + z) & M
//   s = validate(seed); [kiss(s) for _ in range(6)]

#[test]
#[allow(clippy::type_complexity)] // (seed, validated seed, six draws, state after): one case per row
fn kiss_sequences() {
    let cases: [([u32; 4], [u32; 4], [u32; 6], [u32; 4]); 4] = [
        (
            [123456789, 362436069, 521288629, 7654321],
            [123456789, 362436069, 521288629, 7654322],
            [2529356974, 2824384164, 3123423512, 2063911326, 1540977354, 3673507543],
            [3652467795, 4075452440, 240554604, 3518289133],
        ),
        (
            [0, 0, 0, 0],
            [0, 13031301, 0, 1],
            [3271489011, 1586764970, 708065841, 97318967, 3068823984, 3126260841],
            [3440732294, 51583106, 3928912737, 110233695],
        ),
        (
            [u32::MAX; 4],
            [u32::MAX, u32::MAX, u32::MAX, 102352888],
            [4214433240, 2739664528, 1031926812, 3615436798, 623819614, 3012168838],
            [2974686893, 4031663624, 300785617, 1196172270],
        ),
        (
            [1, 2, 3, 4],
            [1, 2, 3, 5],
            [591437862, 2910954351, 2357593309, 1150982934, 1972499186, 3551601016],
            [3906777695, 1161160986, 2778629631, 3747687098],
        ),
    ];
    for (seed, validated, draws, state) in cases {
        let mut k = Kiss64::new(seed);
        assert_eq!(k.seed, validated);
        let mut s = validated;
        validate_mars_kiss64_seed(&mut s);
        assert_ne!(s, validated, "validation is not idempotent");
        let got: Vec<u32> = (0..6).map(|_| k.next_u32()).collect();
        assert_eq!(got, draws);
        assert_eq!(k.seed, state);
    }
}

// ---------------------------------------------------------------- fact sheet §1.5

/// (dt raw, tau raw, ts/tau raw, expk, expulr decay, init)
const SEC_1_5: [(i32, i32, i32, i32, u32, u32); 4] = [
    (32768, 655360, 1638, 31170, 4085544196, 4188461980),
    (3277, 655360, 163, 32605, 4273656398, 4261919257),
    (32768, 163840, 6553, 26828, 3516490311, 3892384920),
    (3277, 163840, 655, 32119, 4209972212, 4249494765),
];

#[test]
fn fact_sheet_1_5_vectors() {
    assert_eq!(encode_s1615(0.1).unwrap(), 3277);
    assert_eq!(encode_s1615(20.0).unwrap(), 655360);
    for (ts, tau, ratio, exp_tc, decay, init) in SEC_1_5 {
        let r = kdivk(ts, tau);
        assert_eq!(r, ratio, "ts/tau for {ts}/{tau}");
        assert_eq!(expk(-r), exp_tc);
        assert_eq!(expulr(-r), decay);
        assert_eq!(decay_s1615_to_u032(kdivk(tau, ts), 0xFFFF_FFFF - decay), init);
    }
}

#[test]
fn oracles_2_2_exp_tc() {
    let ts = encode_s1615(1.0).unwrap();
    for (tau, want) in [(20.0, 31170), (5.0, 26828), (333.33, 32670), (2.0, 19874), (10.0, 29650)] {
        let tau = encode_s1615(tau).unwrap();
        assert_eq!(expk(-kdivk(ts, tau)), want, "tau raw {tau}");
    }
    assert_eq!(expulr(-kdivk(ts, encode_s1615(5.0).unwrap())), 3516490311);
}

// ---------------------------------------------------------------- encoding

#[test]
fn encode_vectors() {
    assert_eq!(encode_s1615(0.1), Ok(3277));
    assert_eq!(encode_s1615(-0.1), Ok(-3277));
    assert_eq!(encode_s1615(1.85), Ok(60621)); // the GCC literal 1.85k is 60620 (truncated)
    assert_eq!(encode_s1615(-65.0), Ok(-2129920));
    assert_eq!(encode_s1615(0.01), Ok(328));
    assert_eq!(encode_s1615(10.0), Ok(327680));
    assert_eq!(encode_s1615(0.30000000000000004), Ok(9830));
    assert_eq!(encode_s1615(2.5e-5), Ok(1));
    assert_eq!(encode_s1615(-0.0), Ok(0));
    assert_eq!(encode_s1615(5e-324), Ok(0));
    // exact ties round half to even, symmetrically
    assert_eq!(encode_s1615(0.5 / 32768.0), Ok(0));
    assert_eq!(encode_s1615(1.5 / 32768.0), Ok(2));
    assert_eq!(encode_s1615(2.5 / 32768.0), Ok(2));
    assert_eq!(encode_s1615(-2.5 / 32768.0), Ok(-2));
    assert_eq!(encode_s1615(-1.5 / 32768.0), Ok(-2));
    assert_eq!(encode_s1615(1.0 + 0.5 / 32768.0), Ok(32768));
    assert_eq!(encode_s1615(1.0 + 1.5 / 32768.0), Ok(32770));
    // extremes
    assert_eq!(encode_s1615(65535.99996948242), Ok(i32::MAX));
    assert_eq!(encode_s1615(-65536.0), Ok(i32::MIN));

    assert_eq!(encode_u032(0.001), Ok(4294967)); // seconds_per_tick at 1 ms
    assert_eq!(encode_u032(0.0001), Ok(429497));
    assert_eq!(encode_u032(0.951229424500714), Ok(4085499269));
    assert_eq!(encode_u032(0.9999999997671694), Ok(u32::MAX));
    // the decimal repr, not the binary value, is what gets rounded
    assert_eq!(encode_u032(1.5 / 4294967296.0), Ok(1)); // repr 3.4924596548080444e-10
    assert_eq!(encode_u032(2.5 / 4294967296.0), Ok(3)); // repr 5.820766091346741e-10
    assert_eq!(encode_u032(0.5 / 4294967296.0), Ok(0));

    assert_eq!(encode_u1616(0.1), Ok(6554));
    assert_eq!(encode_u1616(10.0), Ok(655360));
    assert_eq!(encode_u1616(1.5 / 65536.0), Ok(2));
    assert_eq!(encode_u1616(0.5 / 65536.0), Ok(0));
    assert_eq!(encode_u1616(65535.99998474121), Ok(u32::MAX));

    assert_eq!(encode_u3232(10.0), Ok(42949672960));
    assert_eq!(encode_u3232(0.1), Ok(429496730));
    assert_eq!(encode_u3232(1234.5678), Ok(5302428325695));
    assert_eq!(encode_u3232(2.5 / 4294967296.0), Ok(3));
}

#[test]
fn encode_errors() {
    for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert!(matches!(encode_s1615(v), Err(EncodeError::NotFinite { .. })));
        assert!(matches!(encode_u3232(v), Err(EncodeError::NotFinite { .. })));
    }
    let out = |r: Result<i64, EncodeError>| matches!(r, Err(EncodeError::OutOfRange { .. }));
    assert!(out(encode_s1615(65536.0).map(i64::from)));
    assert!(out(encode_s1615(65535.99999).map(i64::from)));
    assert!(out(encode_s1615(-65536.00001).map(i64::from)));
    assert!(out(encode_u032(1.0).map(i64::from)));
    assert!(out(encode_u032(-1e-20).map(i64::from)));
    assert!(out(encode_u1616(65536.0).map(i64::from)));
    assert!(out(encode_u1616(-0.5).map(i64::from)));
    assert!(out(encode_u3232(4294967296.0).map(|v| v as i64)));
    assert!(out(encode_u3232(-1.0).map(|v| v as i64)));
    assert_eq!(encode_u032(-0.0), Ok(0));
    let msg = encode_s1615(1e6).unwrap_err().to_string();
    assert!(msg.contains("1000000") && msg.contains("S1615"), "{msg}");
}

// ---------------------------------------------------------------- accuracy and shape

#[test]
fn expk_accuracy_and_monotonicity() {
    let mut prev = expk(-340700);
    for n in -340699..=363410 {
        let v = expk(n);
        assert!(v >= prev, "expk not monotone at {n}");
        prev = v;
        let exact = (n as f64 / 32768.0).exp() * 32768.0;
        if (-340695..=0).contains(&n) {
            // truncation plus the __exp_series bias: within 1.04 LSB
            assert!((v as f64 - exact).abs() < 1.05, "expk({n}) = {v}, exact {exact}");
        } else if n > 0 && n <= 363408 {
            assert!(((v as f64 - exact) / exact).abs() < 3.2e-5, "expk({n}) = {v}, exact {exact}");
        }
    }
}

#[test]
fn expulr_accuracy_and_monotonicity() {
    let mut prev = 0u32;
    for n in -340695..0 {
        let v = expulr(n);
        assert!(v >= prev, "expulr not monotone at {n}");
        prev = v;
        let exact = (n as f64 / 32768.0).exp() * 4294967296.0;
        // the __exp_series constant S0 = 5294 bounds the error
        assert!((v as f64 - exact).abs() < 5295.0, "expulr({n}) = {v}, exact {exact}");
    }
}

#[test]
fn sqrtk_accuracy() {
    let ks = (1..1 << 16).chain((0..100_000).map(|i| hash_sample(i) >> 1)).chain([i32::MAX as u32]);
    for k in ks {
        let v = sqrtk(k as i32) as f64;
        let exact = (k as f64 * 32768.0).sqrt();
        assert!((v - exact).abs() <= 1.0, "sqrtk({k}) = {v}, exact {exact}");
    }
}

/// Acklam's rational approximation to the inverse normal CDF (relative error < 1.2e-9).
fn inv_norm_cdf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] =
        [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
    let poly = |c: &[f64], x: f64| c.iter().fold(0.0, |acc, &k| acc * x + k);
    if p < 0.02425 {
        let q = (-2.0 * p.ln()).sqrt();
        poly(&C, q) / (poly(&D, q) * q + 1.0)
    } else if p > 1.0 - 0.02425 {
        -inv_norm_cdf(1.0 - p)
    } else {
        let q = p - 0.5;
        let r = q * q;
        poly(&A, r) * q / (poly(&B, r) * r + 1.0)
    }
}

#[test]
fn norminv_accuracy() {
    // Against Φ⁻¹((x + 32768)/65536): the chip's approximation is within 0.5 LSB on the
    // direct table, 1.35 LSB on the outer segments, and up to 22.02 LSB just inside the
    // lower end of each central segment (largest at |x| = 31713).
    assert_eq!(norminv_rbits(-32768), -7 << 15);
    for x in -32767..=32767 {
        let want = inv_norm_cdf((x + 32768) as f64 / 65536.0) * 32768.0;
        let err = (norminv_rbits(x) as f64 - want).abs();
        let r = 32768 - x.abs();
        let tol = if r <= 31 {
            0.5
        } else if r < 1024 {
            1.35
        } else {
            22.02
        };
        assert!(err <= tol, "norminv_rbits({x}): err {err} LSB > {tol}");
    }
}

// ---------------------------------------------------------------- basic ops vs i128

proptest! {
    #[test]
    fn mul_k_is_floor_of_product(a: i32, b: i32) {
        let want = (a as i128 * b as i128).div_euclid(1 << 15) as i32; // wraps like the chip
        prop_assert_eq!(mul_k(a, b), want);
    }

    #[test]
    fn decay_s1615_is_floor(x: i32, d: u32) {
        let want = (x as i128 * d as i128).div_euclid(1 << 32);
        prop_assert_eq!(decay_s1615(x, d) as i128, want);
    }

    #[test]
    fn decay_s1615_to_u032_is_u64_product(x: i32, d: u32) {
        let p = (x as i128 * d as i128).rem_euclid(1 << 64); // (uint64)(int64)x * d
        prop_assert_eq!(decay_s1615_to_u032(x, d), (p >> 15) as u32);
    }

    #[test]
    fn kdivk_is_truncating_division(a in 0i32.., b in 1i32..) {
        let want = ((a as i128) << 15) / b as i128;
        prop_assert_eq!(kdivk(a, b) as u32, want as u32);
    }

    #[test]
    fn kdivk_sign_extends_like_the_chip(a: i32, b in any::<i32>().prop_filter("b != 0", |b| *b != 0)) {
        let num = ((a as i128) << 15).rem_euclid(1 << 64);
        let den = (b as i128).rem_euclid(1 << 64);
        prop_assert_eq!(kdivk(a, b) as u32, (num / den) as u32);
    }

    #[test]
    fn kdivui_is_truncating_division(a: i32, n in 1u32..) {
        let num = (a as i128).rem_euclid(1 << 64);
        prop_assert_eq!(kdivui(a, n) as u32, (num / n as i128) as u32);
    }

    #[test]
    fn roundk_is_half_up(x in -(1i32 << 30)..(1i32 << 30)) {
        let want = ((x as i128 + (1 << 14)).div_euclid(1 << 15)) << 15;
        prop_assert_eq!(roundk(x) as i128, want);
    }

    #[test]
    fn ceil_accum_is_ceiling(x: i32) {
        prop_assert_eq!(ceil_accum(x) as i128, (x as i128 + 32767).div_euclid(32768));
    }

    #[test]
    fn mul_ulr_is_high_word(a: u32, b: u32) {
        prop_assert_eq!(mul_ulr(a, b) as u128, (a as u128 * b as u128) >> 32);
    }

    #[test]
    fn half_k_is_floor_half(x: i32) {
        prop_assert_eq!(half_k(x) as i64, (x as i64).div_euclid(2));
    }

    #[test]
    fn encode_s1615_ties_go_to_even(raw in -(1i32 << 17)..(1i32 << 17)) {
        // raw/2^16 with |v| < 2: the repr is the exact value, so odd raw is an exact tie
        let v = raw as f64 / 65536.0;
        let (q, r) = (raw.div_euclid(2), raw.rem_euclid(2));
        let want = if r == 1 && q & 1 == 1 { q + 1 } else { q };
        prop_assert_eq!(encode_s1615(v).unwrap(), want);
    }

    #[test]
    fn encode_is_nearest(v in -65535.0f64..65535.0, u in 0.0f64..0.9999999) {
        // the repr is within half an ulp of v, far below the rounding step
        prop_assert!((encode_s1615(v).unwrap() as f64 - v * 32768.0).abs() <= 0.5 + 1e-6);
        prop_assert!((encode_u032(u).unwrap() as f64 - u * 4294967296.0).abs() <= 0.5 + 1e-6);
        prop_assert!((encode_u1616(v.abs()).unwrap() as f64 - v.abs() * 65536.0).abs() <= 0.5 + 1e-6);
        let w = v.abs() * 65536.0; // up to 2^32
        prop_assert!((encode_u3232(w).unwrap() as f64 - w * 4294967296.0).abs() <= 0.5 + w * 1e-6);
    }
}
