//! spinnsim's numpy `RandomState` against numpy's own draws (tests/fixtures/numpy/vectors.json,
//! made by tools/oracle/make_numpy_vectors.py): every value equal, bit for bit.

use serde_json::Value;
use spinnsim::model::{Distribution, RandomState};

fn floats(v: &Value) -> Vec<u64> {
    v.as_array().unwrap().iter().map(|h| parse_hex(h.as_str().unwrap()).to_bits()).collect()
}

/// A float written by Python's `float.hex` (`[-]0x1.<hex>p<exp>`, or `0x0.0p+0`).
fn parse_hex(s: &str) -> f64 {
    let (sign, s) = s.strip_prefix('-').map_or((1.0, s), |r| (-1.0, r));
    let s = s.strip_prefix("0x").expect("0x");
    let (mant, exp) = s.split_once('p').expect("p");
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let mut m = u64::from_str_radix(int, 16).unwrap() as f64;
    for (k, c) in frac.chars().enumerate() {
        m += c.to_digit(16).unwrap() as f64 / 16f64.powi(k as i32 + 1);
    }
    sign * m * 2f64.powi(exp.parse::<i32>().unwrap())
}

fn ints(v: &Value) -> Vec<i64> {
    v.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect()
}

fn bits(xs: impl IntoIterator<Item = f64>) -> Vec<u64> {
    xs.into_iter().map(f64::to_bits).collect()
}

/// One call of a case on `rs`, compared with numpy's values.
fn check_call(rs: &mut RandomState, call: &[Value], want: &Value, what: &str) {
    let f = |k: usize| call[k].as_f64().unwrap();
    let n = call[1].as_u64().unwrap() as usize;
    let name = call[0].as_str().unwrap();
    let got_f = |rs: &mut RandomState, g: &dyn Fn(&mut RandomState) -> f64| bits((0..n).map(|_| g(rs)));
    match name {
        "random_sample" => assert_eq!(got_f(rs, &|r| r.random_sample()), floats(want), "{what}"),
        "uniform" => assert_eq!(got_f(rs, &|r| r.uniform(f(2), f(3))), floats(want), "{what}"),
        "normal" => assert_eq!(got_f(rs, &|r| r.normal(f(2), f(3))), floats(want), "{what}"),
        "exponential" => assert_eq!(got_f(rs, &|r| r.exponential(f(2))), floats(want), "{what}"),
        "gamma" => assert_eq!(got_f(rs, &|r| r.gamma(f(2), f(3))), floats(want), "{what}"),
        "lognormal" => assert_eq!(got_f(rs, &|r| r.lognormal(f(2), f(3))), floats(want), "{what}"),
        "poisson" => assert_eq!((0..n).map(|_| rs.poisson(f(2))).collect::<Vec<_>>(), ints(want), "{what}"),
        "binomial" => {
            let trials = call[2].as_i64().unwrap();
            assert_eq!((0..n).map(|_| rs.binomial(trials, f(3))).collect::<Vec<_>>(), ints(want), "{what}")
        }
        "vonmises" => assert_eq!(got_f(rs, &|r| r.vonmises(f(2), f(3))), floats(want), "{what}"),
        "randint" => {
            let (lo, hi) = (call[2].as_i64().unwrap(), call[3].as_i64().unwrap());
            assert_eq!((0..n).map(|_| rs.randint(lo, hi)).collect::<Vec<_>>(), ints(want), "{what}")
        }
        "permutation" => {
            let got: Vec<i64> = rs.permutation(n as u32).into_iter().map(i64::from).collect();
            assert_eq!(got, ints(want), "{what}")
        }
        "choice" => {
            let (size, replace) = (call[2].as_u64().unwrap() as usize, call[3].as_bool().unwrap());
            let got: Vec<i64> = rs.choice(n as u32, size, replace).into_iter().map(i64::from).collect();
            assert_eq!(got, ints(want), "{what}")
        }
        "normal_clipped" => {
            assert_eq!(bits(rs.normal_clipped(n, f(2), f(3), f(4), f(5)).unwrap()), floats(want), "{what}")
        }
        "normal_clipped_to_boundary" => {
            assert_eq!(bits(rs.normal_clipped_to_boundary(n, f(2), f(3), f(4), f(5))), floats(want), "{what}")
        }
        other => panic!("{what}: unknown call {other}"),
    }
}

#[test]
fn every_draw_equals_numpys() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/numpy/vectors.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 15);
    for case in cases {
        let seed = case["seed"].as_u64().unwrap();
        let mut rs = RandomState::new(seed as u32);
        for (k, c) in case["calls"].as_array().unwrap().iter().enumerate() {
            let call = c["call"].as_array().unwrap();
            check_call(&mut rs, call, &c["values"], &format!("seed {seed}, call {k} {call:?}"));
        }
    }
}

#[test]
fn hex_floats_parse_exactly() {
    assert_eq!(parse_hex("0x1.8000000000000p+1"), 3.0);
    assert_eq!(parse_hex("-0x1.0000000000000p-2"), -0.25);
    assert_eq!(parse_hex("0x0.0p+0"), 0.0);
}

/// PyNN's `RandomDistribution(name, rng=NumpyRNG(seed)).next(n)` for every distribution the host
/// draws weights and delays from: spinnsim's `pynn_next` gives numpy's values, bit for bit.
#[test]
fn every_pynn_distribution_draws_as_numpy() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/numpy/vectors.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = doc["pynn_next"].as_array().unwrap();
    assert!(cases.len() >= 14);
    for case in cases {
        let d: Distribution = serde_json::from_value(case["distribution"].clone()).unwrap();
        let (seed, n) = (case["seed"].as_u64().unwrap() as u32, case["n"].as_u64().unwrap() as usize);
        let got = RandomState::new(seed).pynn_next(&d, n).unwrap();
        assert_eq!(bits(got), floats(&case["values"]), "seed {seed}: {d:?}");
    }
}

/// What numpy refuses, or spinnsim cannot draw as numpy does, is an error naming it.
#[test]
fn pynn_next_names_what_it_cannot_draw() {
    let mut rs = RandomState::new(1);
    let e = rs.pynn_next(&Distribution::UniformInt { low: 3.0, high: 3.5 }, 2).unwrap_err();
    assert!(e.contains("low < high"), "{e}");
    let e = rs.pynn_next(&Distribution::Binomial { n: 5.5, p: 0.5 }, 2).unwrap_err();
    assert!(e.contains("binomial") && e.contains("5.5"), "{e}");
    let e = rs.pynn_next(&Distribution::Binomial { n: 5.0, p: 1.5 }, 2).unwrap_err();
    assert!(e.contains("p"), "{e}");
}
