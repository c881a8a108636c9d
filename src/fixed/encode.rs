//! Host-side encoding of parameters (docs/semantics.md §1.4): `int(round(Decimal(str(v)) * scale))`.
//!
//! `str(v)` of a Python float is the shortest decimal string that reads back as the same
//! double (ties between two equally close candidates go to the even digit; see
//! [`shortest_decimal`]). That decimal, not the binary
//! value of the double, is multiplied by the scale (exactly: the product has at most
//! 27 significant digits, inside Decimal's default 28) and rounded half to even. The result
//! is computed here with integer arithmetic only, so for example 1.5·2^-32 (whose repr is
//! 3.4924596548080444e-10) encodes as U0.32 raw 1, not 2.
//!
//! Range: like `DataType.encode_as_int`, the value must lie between the type's minimum and
//! maximum (the exact extremes of the raw range: e.g. -65536 ..= 65535.999969482421875 for
//! S16.15); unsigned types reject any negative value. The rounded result is also checked,
//! which matters only for U32.32, whose maximum is not a double.

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EncodeError {
    #[error("{value} is not a finite number")]
    NotFinite { value: f64 },
    #[error("{value} is outside the range of {format} ({min} to {max})")]
    OutOfRange { value: f64, format: &'static str, min: f64, max: f64 },
}

/// |v| = digits · 10^exp10, from Rust's shortest round-trip representation of v.
fn rust_shortest(v: f64) -> (u64, i32) {
    let s = format!("{:e}", v.abs());
    let (mant, exp) = s.split_once('e').expect("LowerExp always has an exponent");
    let exp: i32 = exp.parse().expect("exponent is an integer");
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let digits: u64 = format!("{int}{frac}").parse().expect("at most 17 digits");
    (digits, exp - frac.len() as i32)
}

/// Whether |v| is exactly (a + b)/2 · 10^exp10, for a + b odd.
fn is_midpoint(v: f64, a: u64, b: u64, exp10: i32) -> bool {
    // |v| = m · 2^x with m odd
    let bits = v.abs().to_bits();
    let (frac, bexp) = (bits & ((1 << 52) - 1), (bits >> 52) as i32);
    let (m, x) = if bexp == 0 { (frac, -1074) } else { (frac | 1 << 52, bexp - 1075) };
    if m == 0 {
        return false;
    }
    let (m, x) = (m >> m.trailing_zeros(), x + m.trailing_zeros() as i32);
    let s = (a + b) as u128;
    // 2|v| = s · 10^exp10 with m, s odd: the powers of two must cancel and m = s · 5^k
    // (exp10 ≥ 0) or m · 5^-exp10 = s (exp10 < 0)
    if x + 1 != exp10 {
        return false;
    }
    let p5 = match 5u128.checked_pow(exp10.unsigned_abs()) {
        Some(p) => p,
        None => return false,
    };
    if exp10 >= 0 {
        s.checked_mul(p5) == Some(m as u128)
    } else {
        (m as u128).checked_mul(p5) == Some(s)
    }
}

/// |v| = digits · 10^exp10 with the digits of Python's `repr(v)`: the shortest decimal that
/// reads back as v and, among those, the closest to v, ties going to the even last digit.
/// Rust's shortest formatting agrees except in those exact ties, where it may round the
/// last digit up (e.g. 28.8540802001953125 is 28.854080200195313 in Rust and
/// 28.854080200195312 in Python).
fn shortest_decimal(v: f64) -> (u64, i32) {
    let (d, e) = rust_shortest(v);
    if d % 2 == 1 {
        for c in [d - 1, d + 1] {
            let reads_back = format!("{c}e{e}").parse::<f64>() == Ok(v.abs());
            if is_midpoint(v, d, c, e) && reads_back {
                return (c, e);
            }
        }
    }
    (d, e)
}

/// round_half_even(digits · 10^exp10 · 2^shift), or None when it exceeds u128.
fn scaled_round_half_even(digits: u64, exp10: i32, shift: u32) -> Option<u128> {
    if digits == 0 {
        return Some(0);
    }
    if exp10 >= 0 {
        let p = 10u128.checked_pow(exp10 as u32)?.checked_mul(digits as u128)?;
        return p.checked_mul(1u128 << shift);
    }
    let k = (-exp10) as u32;
    if k > 38 {
        // digits·2^shift < 10^17·2^32 < 5·10^37, so the quotient is below one half
        return Some(0);
    }
    let num = (digits as u128) << shift;
    let den = 10u128.pow(k);
    let (q, r) = (num / den, num % den);
    let up = match (2 * r).cmp(&den) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => q & 1 == 1,
    };
    Some(q + up as u128)
}

/// round_half_even(repr(|v|) · 2^shift) without the decimal string, where that is provably the
/// same as rounding the binary value: x = |v|·2^shift is exact, and the decimal D = repr(|v|)
/// reads back as v, so |D·2^shift − x| ≤ ulp(x)/2. Below 2^52 the half-integers are doubles, so
/// unless x is itself one, the nearest half-integer is at least ulp(x) away (half-integers are
/// not powers of two except 0.5, at whose sides the ulps are ulp(x) or smaller) and D·2^shift
/// lies strictly on x's side of it: both round to the same integer. None for the ties and for
/// x ≥ 2^52, which take the decimal path.
fn scaled_round_fast(v: f64, shift: u32) -> Option<u128> {
    let x = v.abs() * (1u64 << shift) as f64;
    if x >= (1u64 << 52) as f64 {
        return None;
    }
    let floor = x.floor();
    let frac = x - floor;
    if frac == 0.5 {
        return None;
    }
    Some((floor as u64 + (frac > 0.5) as u64) as u128)
}

/// Encode v with `shift` fraction bits into the raw integer range [min_raw, max_raw].
/// `range` is (min_raw, max_raw) / 2^shift as doubles, given by the callers as constants.
fn encode(
    v: f64,
    format: &'static str,
    shift: u32,
    min_raw: i128,
    max_raw: i128,
    range: (f64, f64),
) -> Result<i128, EncodeError> {
    if !v.is_finite() {
        return Err(EncodeError::NotFinite { value: v });
    }
    let (min, max) = range;
    let err = || EncodeError::OutOfRange { value: v, format, min, max };
    if v < min || v > max {
        return Err(err());
    }
    let mag = match scaled_round_fast(v, shift) {
        Some(m) => m,
        None => {
            let (digits, exp10) = shortest_decimal(v);
            scaled_round_half_even(digits, exp10, shift).ok_or_else(err)?
        }
    } as i128;
    let raw = if v.is_sign_negative() { -mag } else { mag };
    if raw < min_raw || raw > max_raw {
        return Err(err());
    }
    Ok(raw)
}

/// S16.15 (`DataType.S1615`, scale 2^15) as the raw i32.
pub fn encode_s1615(v: f64) -> Result<i32, EncodeError> {
    encode(v, "S1615", 15, i32::MIN as i128, i32::MAX as i128, (i32::MIN as f64 / 32768.0, i32::MAX as f64 / 32768.0))
        .map(|r| r as i32)
}
/// U0.32 (`DataType.U032`, scale 2^32) as the raw u32.
pub fn encode_u032(v: f64) -> Result<u32, EncodeError> {
    encode(v, "U032", 32, 0, u32::MAX as i128, (0.0, u32::MAX as f64 / 4294967296.0)).map(|r| r as u32)
}
/// U16.16 (`DataType.U1616`, scale 2^16) as the raw u32.
pub fn encode_u1616(v: f64) -> Result<u32, EncodeError> {
    encode(v, "U1616", 16, 0, u32::MAX as i128, (0.0, u32::MAX as f64 / 65536.0)).map(|r| r as u32)
}
/// U32.32 (`DataType.U3232`, scale 2^32) as the raw u64.
pub fn encode_u3232(v: f64) -> Result<u64, EncodeError> {
    encode(v, "U3232", 32, 0, u64::MAX as i128, (0.0, u64::MAX as f64 / 4294967296.0)).map(|r| r as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::excessive_precision)] // the exact binary values, written out in decimal
    fn shortest_digits() {
        assert_eq!(shortest_decimal(0.1), (1, -1));
        assert_eq!(shortest_decimal(1.85), (185, -2));
        assert_eq!(shortest_decimal(-65.0), (65, 0));
        assert_eq!(shortest_decimal(0.30000000000000004), (30000000000000004, -17));
        assert_eq!(shortest_decimal(1e300), (1, 300));
        assert_eq!(shortest_decimal(5e-324), (5, -324));
        assert_eq!(shortest_decimal(0.0), (0, 0));
        // exact ties: Python's repr keeps the even last digit
        assert_eq!(shortest_decimal(28.8540802001953125), (28854080200195312, -15));
        assert_eq!(shortest_decimal(3.00986480712890625), (30098648071289062, -16));
        assert_eq!(shortest_decimal(2f64.powi(-25)), (29802322387695312, -24));
    }

    /// The decimal path, as `encode` took it for every value before the fast path.
    fn slow(v: f64, shift: u32) -> Option<u128> {
        let (digits, exp10) = shortest_decimal(v);
        scaled_round_half_even(digits, exp10, shift)
    }

    #[test]
    fn the_fast_path_equals_the_decimal_path() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut values: Vec<f64> = vec![0.0, 0.1, 0.5, 1.85, 65535.99998474121, 1e-300, 5e-324, 0.49999999999999994];
        for shift in [15u32, 16, 32] {
            for _ in 0..20_000 {
                // Near the half-integers k + 0.5 of the scaled value, a few ulps either side.
                let k = rng.random_range(0u64..1 << 20) as f64;
                let h = (k + 0.5) / (1u64 << shift) as f64;
                let ulps: i64 = rng.random_range(-4..=4);
                values.push(f64::from_bits((h.to_bits() as i64 + ulps) as u64));
                // Short decimals, and arbitrary doubles of every magnitude.
                values.push(rng.random_range(0..10_000_000) as f64 / 10f64.powi(rng.random_range(0..9)));
                values.push(rng.random::<f64>() * 10f64.powi(rng.random_range(-12..6)));
            }
        }
        let mut ties = 0;
        for &v in &values {
            for shift in [15u32, 16, 32] {
                match scaled_round_fast(v, shift) {
                    Some(m) => assert_eq!(Some(m), slow(v, shift), "{v:e} at shift {shift}"),
                    None => ties += 1,
                }
            }
        }
        assert!(ties > 1000, "the ties must take the decimal path ({ties})");
    }

    #[test]
    fn half_even_rounding() {
        assert_eq!(scaled_round_half_even(5, -1, 0), Some(0));
        assert_eq!(scaled_round_half_even(15, -1, 0), Some(2));
        assert_eq!(scaled_round_half_even(25, -1, 0), Some(2));
        assert_eq!(scaled_round_half_even(251, -2, 0), Some(3));
        assert_eq!(scaled_round_half_even(1, 40, 0), None);
    }
}
