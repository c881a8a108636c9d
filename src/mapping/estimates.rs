//! What the sPyNNaker 7.4.1 host estimates of a connector before any connection exists
//! (docs/spynnaker-mapping.md §7): the longest row within a range of delays
//! (`get_n_connections_from_pre_vertex_maximum`), the fan-in (`get_n_connections_to_post_vertex_maximum`),
//! and the maxima, means and variances of weights and delays that the ring-buffer shifts and the
//! delay stages are computed from, from the distribution's statistics (`utility_calls` and
//! `random_stats`, which use scipy).

use super::binomial::probable_maximum_selected as pms;
use super::shifts::{gamma_p, gamma_q, ln_gamma};
use crate::model::{Connector, Distribution, Values, RANGES_ON_A_PROJECTION};

/// `get_probable_maximum_selected`'s default chance.
const DEFAULT_CHANCE: f64 = 1e-2;

/// The statistics of one of the distributions sPyNNaker's host knows (`STATS_BY_NAME`); `None` for
/// one it has none for.
fn stats(d: &Distribution) -> Option<Stats> {
    use Distribution::*;
    Some(match *d {
        Uniform { low, high } => Stats::Uniform { low, scale: high - low },
        Normal { mu, sigma } => Stats::Normal { mu, sigma },
        NormalClipped { mu, sigma, low, high } | NormalClippedToBoundary { mu, sigma, low, high } => {
            Stats::Truncated { mu, sigma, a: (low - mu) / sigma, b: (high - mu) / sigma, low, high }
        }
        // `expon.cdf(v, beta)`: scipy reads beta as the location, with scale 1.
        Exponential { beta } => Stats::Exponential { loc: beta },
        Poisson { lam } => Stats::Poisson { lam },
        // `gamma.cdf(v, k, theta)` and `lognorm.cdf(v, mu, sigma)`: scipy reads the second
        // parameter as the location, with scale 1 (and no lognormal for mu <= 0: NaN).
        Gamma { k, theta } => Stats::Gamma { a: k, loc: theta },
        Lognormal { mu, sigma } => Stats::Lognormal { s: mu, loc: sigma },
        _ => return None,
    })
}

/// scipy's `uniform(low, scale)`, `norm(mu, sigma)`, `truncnorm(a, b, mu, sigma)`, `expon(loc)`,
/// `poisson(lam)`, `gamma(a, loc)` and `lognorm(s, loc)`.
#[derive(Clone, Copy)]
enum Stats {
    Uniform { low: f64, scale: f64 },
    Normal { mu: f64, sigma: f64 },
    Truncated { mu: f64, sigma: f64, a: f64, b: f64, low: f64, high: f64 },
    Exponential { loc: f64 },
    Poisson { lam: f64 },
    Gamma { a: f64, loc: f64 },
    Lognormal { s: f64, loc: f64 },
}

/// scipy's `gammaincinv(a, p)`: the x with P(a, x) = p, by Newton's method from the
/// Wilson–Hilferty guess, on Q = 1 − P above the median so that p near 1 keeps its precision.
fn gamma_ppf(a: f64, p: f64) -> f64 {
    if a.is_nan() || a <= 0.0 || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 || p == 1.0 {
        return if p == 0.0 { 0.0 } else { f64::INFINITY };
    }
    let gln = ln_gamma(a);
    let z = ndtri(p);
    let mut x = a * (1.0 - 1.0 / (9.0 * a) + z / (3.0 * a.sqrt())).powi(3);
    if x.is_nan() || x <= 0.0 {
        // Small a or p: P(a, x) ≈ x^a / Γ(a + 1).
        x = (p.ln() + ln_gamma(a + 1.0)).exp().powf(1.0 / a);
    }
    for _ in 0..200 {
        let err = if p > 0.5 { (1.0 - p) - gamma_q(a, x) } else { gamma_p(a, x) - p };
        let pdf = ((a - 1.0) * x.ln() - x - gln).exp();
        let next = x - err / pdf;
        let next = if next > 0.0 { next } else { x / 2.0 };
        if (next - x).abs() <= 4.0 * f64::EPSILON * x {
            return next;
        }
        x = next;
    }
    x
}

/// scipy's `poisson.cdf(v, lam)`: the terms `e^−λ λ^i / i!` for i ≤ ⌊v⌋, summed in log space
/// so that a large λ does not underflow.
fn poisson_cdf(v: f64, lam: f64) -> f64 {
    if v < 0.0 {
        return 0.0;
    }
    let term = |i: f64| (-lam + i * lam.ln() - libm::lgamma(i + 1.0)).exp();
    let mut sum = 0.0;
    let mut i = 0.0;
    while i <= v.floor() {
        sum += term(i);
        i += 1.0;
    }
    sum.min(1.0)
}

/// scipy's `poisson.ppf(p, lam)`: the least whole k with cdf(k) ≥ p (∞ for p = 1).
fn poisson_ppf(p: f64, lam: f64) -> f64 {
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let term = |i: f64| (-lam + i * lam.ln() - libm::lgamma(i + 1.0)).exp();
    let (mut k, mut sum) = (0.0, term(0.0));
    while sum < p {
        k += 1.0;
        sum += term(k);
    }
    k
}

/// Φ, the standard normal distribution function.
fn ndtr(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// φ, the standard normal density.
fn npdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Q = 1 − Φ, the standard normal survival function, without the loss of 1 − Φ.
fn nsf(x: f64) -> f64 {
    0.5 * libm::erfc(x / std::f64::consts::SQRT_2)
}

/// Φ⁻¹ (scipy's `ndtri`): by symmetry from the lower half.
fn ndtri(p: f64) -> f64 {
    if p > 0.5 {
        // 1 − p is exact for p in [0.5, 1].
        -ndtri_lower(1.0 - p)
    } else {
        ndtri_lower(p)
    }
}

/// Φ⁻¹ for p ≤ 0.5: Acklam's rational approximation, refined by two Halley steps on Φ.
#[allow(clippy::excessive_precision)] // the coefficients as published
fn ndtri_lower(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    const A: [f64; 6] = [
        -39.696830286653757,
        220.94609842452050,
        -275.92851044696869,
        138.35775186726900,
        -30.664798066147160,
        2.5066282774592392,
    ];
    const B: [f64; 5] =
        [-54.476098798224058, 161.58583685804089, -155.69897985988661, 66.801311887719720, -13.280681552885721];
    const C: [f64; 6] = [
        -7.7848940024302926e-3,
        -0.32239645804113648,
        -2.4007582771618381,
        -2.5497325393437338,
        4.3746641414649678,
        2.9381639826987831,
    ];
    const D: [f64; 4] = [7.7846957090414622e-3, 0.32246712907003983, 2.4451341373084327, 3.7544086619074162];
    let mut x = if p < 0.02425 {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    for _ in 0..2 {
        let u = (ndtr(x) - p) / npdf(x);
        x -= u / (1.0 + x * u / 2.0);
    }
    x
}

impl Stats {
    fn cdf(self, v: f64) -> f64 {
        match self {
            Stats::Uniform { low, scale } => ((v - low) / scale).clamp(0.0, 1.0),
            Stats::Normal { mu, sigma } => ndtr((v - mu) / sigma),
            Stats::Truncated { mu, sigma, a, b, .. } => {
                let x = ((v - mu) / sigma).clamp(a, b);
                ((ndtr(x) - ndtr(a)) / (ndtr(b) - ndtr(a))).clamp(0.0, 1.0)
            }
            Stats::Exponential { loc } => {
                if v <= loc {
                    0.0
                } else {
                    -(-(v - loc)).exp_m1()
                }
            }
            Stats::Poisson { lam } => poisson_cdf(v, lam),
            Stats::Gamma { a, loc } if a > 0.0 => {
                if v <= loc {
                    0.0
                } else {
                    gamma_p(a, v - loc)
                }
            }
            Stats::Lognormal { s, loc } if s > 0.0 => {
                if v <= loc {
                    0.0
                } else {
                    ndtr((v - loc).ln() / s)
                }
            }
            Stats::Gamma { .. } | Stats::Lognormal { .. } => f64::NAN,
        }
    }

    fn ppf(self, p: f64) -> f64 {
        match self {
            Stats::Uniform { low, scale } => low + p * scale,
            Stats::Normal { mu, sigma } => mu + sigma * ndtri(p),
            Stats::Truncated { mu, sigma, a, b, .. } => {
                // Near the upper bound, from the survival function, which keeps its precision there.
                let x = if p > 0.5 {
                    -ndtri(nsf(b) + (1.0 - p) * (nsf(a) - nsf(b)))
                } else {
                    ndtri(ndtr(a) + p * (ndtr(b) - ndtr(a)))
                };
                mu + sigma * x.clamp(a, b)
            }
            Stats::Exponential { loc } => loc - (-p).ln_1p(),
            Stats::Poisson { lam } => poisson_ppf(p, lam),
            Stats::Gamma { a, loc } => loc + gamma_ppf(a, p),
            Stats::Lognormal { s, loc } if s > 0.0 => loc + (s * ndtri(p)).exp(),
            Stats::Lognormal { .. } => f64::NAN,
        }
    }

    fn mean(self) -> f64 {
        match self {
            Stats::Uniform { low, scale } => low + scale / 2.0,
            Stats::Normal { mu, .. } => mu,
            Stats::Truncated { mu, sigma, a, b, .. } => mu + sigma * (npdf(a) - npdf(b)) / (ndtr(b) - ndtr(a)),
            Stats::Exponential { loc } => loc + 1.0,
            Stats::Poisson { lam } => lam,
            Stats::Gamma { a, loc } if a > 0.0 => a + loc,
            Stats::Lognormal { s, loc } if s > 0.0 => loc + (s * s / 2.0).exp(),
            Stats::Gamma { .. } | Stats::Lognormal { .. } => f64::NAN,
        }
    }

    fn var(self) -> f64 {
        match self {
            Stats::Uniform { scale, .. } => scale * scale / 12.0,
            Stats::Normal { sigma, .. } => sigma * sigma,
            Stats::Truncated { sigma, a, b, .. } => {
                let z = ndtr(b) - ndtr(a);
                let m = (npdf(a) - npdf(b)) / z;
                let bound = |x: f64| if x.is_finite() { x * npdf(x) } else { 0.0 };
                sigma * sigma * (1.0 + (bound(a) - bound(b)) / z - m * m)
            }
            Stats::Exponential { .. } => 1.0,
            Stats::Poisson { lam } => lam,
            Stats::Gamma { a, .. } if a > 0.0 => a,
            Stats::Lognormal { s, .. } if s > 0.0 => (s * s).exp() * (s * s).exp_m1(),
            Stats::Gamma { .. } | Stats::Lognormal { .. } => f64::NAN,
        }
    }

    /// The distribution's bounds, where it has them (`high`, `low`).
    fn bounds(self) -> (Option<f64>, Option<f64>) {
        match self {
            Stats::Uniform { low, scale } => (Some(low), Some(low + scale)),
            Stats::Truncated { low, high, .. } => (Some(low), Some(high)),
            _ => (None, None),
        }
    }

    /// `get_maximum_probable_value` capped by the bound (`_get_delay_maximum`).
    fn probable_maximum(self, n_items: u64) -> f64 {
        let v = self.ppf(1.0 - DEFAULT_CHANCE / n_items.max(1) as f64);
        self.bounds().1.map_or(v, |h| v.min(h))
    }

    /// `get_minimum_probable_value` raised to the bound.
    fn probable_minimum(self, n_items: u64) -> f64 {
        let v = self.ppf(DEFAULT_CHANCE / n_items.max(1) as f64);
        self.bounds().0.map_or(v, |l| v.max(l))
    }
}

/// Why the host cannot estimate a projection: its distribution has no statistics in sPyNNaker.
pub(super) fn unsupported(d: &Distribution) -> String {
    format!("sPyNNaker 7.4.1 has no statistics for the `{}` distribution, so it cannot size this projection", d.name())
}

/// The host's mean, variance and maximum of |weight| (`get_weight_mean`, `get_weight_variance`,
/// `_get_weight_maximum`) over `n_draws` connections.
pub(super) fn weight_statistics(w: &Values, n_draws: u64) -> Result<(f64, f64, f64), String> {
    match w {
        Values::Scalar(x) => Ok((x.abs(), 0.0, x.abs())),
        Values::Random(d) => {
            let s = stats(d).ok_or_else(|| unsupported(d))?;
            let mean = s.mean();
            let max = if mean < 0.0 { s.probable_minimum(n_draws) } else { s.probable_maximum(n_draws) };
            Ok((mean.abs(), s.var(), max.abs()))
        }
        Values::Array(a) => {
            let n = a.len().max(1) as f64;
            let mean = a.iter().map(|x| x.abs()).sum::<f64>() / n;
            let var = a.iter().map(|x| (x.abs() - mean).powi(2)).sum::<f64>() / n;
            Ok((mean, var, a.iter().fold(0.0f64, |m, x| m.max(x.abs()))))
        }
        Values::Ranges(_) => Err(RANGES_ON_A_PROJECTION.into()),
    }
}

/// `numpy.mean`, `numpy.var` and `numpy.max` of a kernel's values, signed: a KernelConnector's
/// statistics of its own weights (`get_weight_mean`, `get_weight_variance`, `get_weight_maximum`).
pub(super) fn kernel_statistics(values: &[f64]) -> (f64, f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var, values.iter().copied().fold(f64::NEG_INFINITY, f64::max))
}

/// An AllButMeConnector's statistics of its group's own weights: `numpy.mean` and `numpy.var`
/// of their magnitudes, `numpy.amax` of the weights themselves (signed).
pub(super) fn group_weight_statistics(weights: &[f64]) -> (f64, f64, f64) {
    let magnitudes: Vec<f64> = weights.iter().map(|w| w.abs()).collect();
    let (mean, var, _) = kernel_statistics(&magnitudes);
    (mean, var, kernel_statistics(weights).2)
}

/// The host's longest delay in ms (`get_delay_maximum`) over `n_draws` connections.
pub(super) fn delay_maximum(d: &Values, n_draws: u64) -> Result<f64, String> {
    match d {
        Values::Scalar(x) => Ok(*x),
        Values::Random(dist) => Ok(stats(dist).ok_or_else(|| unsupported(dist))?.probable_maximum(n_draws)),
        Values::Array(a) => Ok(a.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        Values::Ranges(_) => Err(RANGES_ON_A_PROJECTION.into()),
    }
}

/// The variance of the delays in ms (`get_delay_variance`).
pub(super) fn delay_variance(d: &Values) -> f64 {
    match d {
        Values::Random(dist) => stats(dist).map_or(0.0, Stats::var),
        _ => 0.0,
    }
}

/// How many connections the host assumes a connector draws, for the maxima of its weights and
/// delays (the `n_connections` of each connector's `get_weight_maximum` and `get_delay_maximum`).
pub(super) fn draws_estimate(c: &Connector, n_pre: u64, n_post: u64) -> u64 {
    match *c {
        Connector::OneToOneConnector => n_pre.max(n_post),
        Connector::FixedProbabilityConnector { p_connect, .. } => {
            pms(n_pre * n_post, n_pre * n_post, p_connect, DEFAULT_CHANCE)
        }
        Connector::FixedTotalNumberConnector { n, .. } => n,
        Connector::FixedNumberPreConnector { n, .. } => n * n_post,
        Connector::FixedNumberPostConnector { n, .. } => n_pre * n,
        Connector::AllToAllConnector { .. } | Connector::FromListConnector { .. } => n_pre * n_post,
        Connector::KernelConnector(ref k) => k.draws_estimate(),
        // Wrapped, every pre connects; else each group loses |offset| of them.
        Connector::AllButMeConnector { n_neurons_per_group, .. } => {
            all_but_me_connections(n_neurons_per_group, n_pre, n_post)
        }
        Connector::OneToOneOffsetConnector { wrap: true, .. } => n_pre,
        Connector::OneToOneOffsetConnector { offset, n_neurons_per_group, .. } => {
            let n_groups = n_neurons_per_group.map_or(1, |g| n_pre / g.max(1) as u64);
            n_pre.saturating_sub(n_groups * offset.unsigned_abs() as u64)
        }
    }
}

/// `AllButMeConnector.__n_connections`: every pair of each whole group but the diagonal.
fn all_but_me_connections(group: Option<u32>, n_pre: u64, n_post: u64) -> u64 {
    match group {
        None => {
            let n = n_pre.min(n_post);
            n * n.saturating_sub(1)
        }
        Some(g) => {
            let g = g.max(1) as u64;
            (n_pre / g).min(n_post / g) * g * (g - 1)
        }
    }
}

/// `get_n_connections_to_post_vertex_maximum` of an on-chip connector (a FromListConnector's
/// fan-in is counted from its list by the caller).
pub(super) fn fan_in_maximum(c: &Connector, n_pre: u64, n_post: u64) -> u64 {
    match *c {
        Connector::OneToOneConnector | Connector::OneToOneOffsetConnector { .. } => 1,
        Connector::AllButMeConnector { n_neurons_per_group, .. } => {
            n_neurons_per_group.map_or(n_pre.min(n_post), u64::from).saturating_sub(1)
        }
        Connector::AllToAllConnector { .. } => n_pre,
        Connector::FixedProbabilityConnector { p_connect, .. } => pms(n_pre * n_post, n_pre, p_connect, 1e-4),
        Connector::FixedNumberPreConnector { n, .. } => n,
        Connector::FixedNumberPostConnector { .. } => pms(n_pre * n_post, n_pre, 1.0 / n_post as f64, 1e-5),
        Connector::FixedTotalNumberConnector { n, .. } => pms(n, n, 1.0 / n_post as f64, DEFAULT_CHANCE),
        Connector::FromListConnector { .. } => 0,
        Connector::KernelConnector(ref k) => (k.size() as u64).min(255),
    }
}

/// `get_n_connections_from_pre_vertex_maximum(n_post_atoms, min_delay, max_delay)`: the longest
/// row onto a core of `n_post_atoms` of the synapses whose delay in ms is in `[lo, hi]`.
fn row_maximum(
    c: &Connector,
    (n_pre, n_post): (u64, u64),
    n_post_atoms: u64,
    delays: &Values,
    lo: f64,
    hi: f64,
) -> u64 {
    let total = n_pre * n_post;
    let in_slice = (n_post_atoms as f64 / n_post as f64).min(1.0);
    let n = match *c {
        Connector::OneToOneConnector => {
            return match delays {
                Values::Scalar(d) => u64::from(lo <= *d && *d <= hi),
                _ => 1,
            }
        }
        Connector::AllToAllConnector { .. } => n_post_atoms,
        Connector::FixedProbabilityConnector { p_connect, .. } => pms(total, n_post_atoms, p_connect, 1e-4),
        Connector::FixedTotalNumberConnector { n, .. } => {
            let max_in_slice = pms(n, n, in_slice, DEFAULT_CHANCE).max(1);
            pms(n, max_in_slice, 1.0 / n_pre as f64, DEFAULT_CHANCE).max(1)
        }
        Connector::FixedNumberPreConnector { n, .. } => {
            let all = pms(total, n * n_post, 1.0 / n_pre as f64, 1e-4);
            pms(total, all, in_slice, 1e-5)
        }
        Connector::FixedNumberPostConnector { n, .. } => pms(total, n, in_slice, 1e-5),
        Connector::FromListConnector { .. } => return 0,
        // The kernel's size, whatever the delays (the host does not look at them).
        Connector::KernelConnector(ref k) => return (k.size() as u64).min(n_post_atoms),
        // One post a pre, whatever the delays (the host does not look at them).
        Connector::OneToOneOffsetConnector { .. } => return 1,
        Connector::AllButMeConnector { n_neurons_per_group, .. } => {
            let targets = n_neurons_per_group.map_or(n_post_atoms, |g| (g as u64).saturating_sub(1).min(n_post_atoms));
            let total = all_but_me_connections(n_neurons_per_group, n_pre, n_post);
            return with_delays_in_range(delays, total, targets, lo, hi);
        }
    };
    with_delays_in_range(delays, total, n, lo, hi)
}

/// `_get_n_connections_from_pre_vertex_with_delay_maximum`: of a row of `n` synapses, how many
/// may have their delay in `[lo, hi]`.
fn with_delays_in_range(delays: &Values, total: u64, n: u64, lo: f64, hi: f64) -> u64 {
    let p = match delays {
        Values::Scalar(d) => return if lo <= *d && *d <= hi { n } else { 0 },
        Values::Random(dist) => stats(dist).map_or(1.0, |s| s.cdf(hi) - s.cdf(lo)),
        Values::Array(a) => a.iter().filter(|&&d| lo <= d && d <= hi).count() as f64 / a.len().max(1) as f64,
        Values::Ranges(_) => unreachable!("a projection's delay {RANGES_ON_A_PROJECTION} (Network::validate)"),
    };
    if p > 0.0 {
        pms(total, n, p, DEFAULT_CHANCE).max(1)
    } else {
        0
    }
}

/// `get_max_row_info`'s undelayed and delayed longest rows of a connector onto a post core of
/// `n_post_atoms`, whose in-core delays reach `in_core_ms`, over an edge of `stages` delay stages.
pub(super) fn row_lengths(
    c: &Connector,
    sizes: (u64, u64),
    n_post_atoms: u64,
    delays: &Values,
    in_core_ms: f64,
    stages: u32,
) -> (usize, usize) {
    let undelayed = row_maximum(c, sizes, n_post_atoms, delays, 0.0, in_core_ms);
    let delayed = if stages > 0 {
        let lo = in_core_ms + f64::MIN_POSITIVE;
        row_maximum(c, sizes, n_post_atoms, delays, lo, in_core_ms * (stages + 1) as f64)
    } else {
        0
    };
    (undelayed as usize, delayed as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inverse_normal_inverts_the_normal() {
        for &p in &[1e-12, 1e-6, 0.01, 0.3, 0.5, 0.7, 0.99, 1.0 - 1e-6, 1.0 - 1e-10] {
            let x = ndtri(p);
            let (back, want) = if x > 0.0 { (nsf(x), 1.0 - p) } else { (ndtr(x), p) };
            assert!(((back - want) / want).abs() < 1e-13, "p {p}: x {x}, back {back}");
        }
        // scipy.stats.norm.ppf
        assert!((ndtri(0.975) - 1.959963984540054).abs() < 1e-14);
        assert!((ndtri(1.0 - 1e-2 / 1e6) - 5.612001243305505).abs() < 1e-9);
    }

    #[test]
    fn statistics_as_scipy_gives_them() {
        let s = stats(&Distribution::NormalClipped { mu: 0.4, sigma: 0.1, low: 0.1, high: 0.7 }).unwrap();
        // scipy 1.17: truncnorm(-3, 3, 0.4, 0.1).mean(), .var(); truncnorm(-2, 2, 5, 2).ppf(1 - 0.01/500), .cdf(4)
        assert!((s.mean() - 0.4).abs() < 1e-15);
        assert!((s.var() - 0.009733369246625417).abs() < 1e-15);
        let t = stats(&Distribution::NormalClippedToBoundary { mu: 5.0, sigma: 2.0, low: 1.0, high: 9.0 }).unwrap();
        assert!((t.probable_maximum(500) - 8.999293094762393).abs() < 1e-9);
        assert!((t.cdf(4.0) - 0.2994106713370282).abs() < 1e-12);
        // The host's exponential is scipy's expon with beta as its location: expon.ppf(1 - 1e-4, 0.2).
        let e = stats(&Distribution::Exponential { beta: 0.2 }).unwrap();
        assert_eq!((e.mean(), e.var()), (1.2, 1.0));
        assert!((e.probable_maximum(100) - 9.410340371976293).abs() < 1e-12);
        let u = stats(&Distribution::Uniform { low: 1.0, high: 12.0 }).unwrap();
        assert_eq!(u.probable_maximum(500), 12.0 - 11.0 * 1e-2 / 500.0);
    }

    /// 7.4.1's gamma and lognormal statistics are scipy's with the second parameter as the
    /// location (scipy 1.17.1: `gamma.ppf(q, k, theta)`, `lognorm.ppf(q, mu, sigma)`, ...).
    #[test]
    fn gamma_and_lognormal_statistics_as_scipy_reads_them() {
        let close = |got: f64, want: f64, what: &str| {
            assert!((got - want).abs() <= 1e-12 * want.abs().max(1e-300), "{what}: {got} against scipy's {want}");
        };
        let cases = [
            (2.0, 0.1, 20, 10.098677497623925, 0.13196102225595885, 0.7854094417800117),
            (0.3, 0.0, 1000, 8.823163326468912, 1.502222481645838e-17, 0.9935096273009015),
            (50.0, 1.5, 1_000_000, 101.8159543587533, 21.35723617772847, 0.0),
            (2.0, 1.5, 600, 15.189213274803047, 1.5057846432938682, 0.4421745996289252),
        ];
        for (k, theta, n, max, min, cdf3) in cases {
            let g = stats(&Distribution::Gamma { k, theta }).unwrap();
            close(g.probable_maximum(n), max, "gamma ppf(1 - 0.01/n)");
            close(g.probable_minimum(n), min, "gamma ppf(0.01/n)");
            assert!((g.cdf(3.0) - cdf3).abs() < 1e-14, "gamma cdf(3): {}", g.cdf(3.0));
            assert_eq!((g.mean(), g.var()), (k + theta, k));
        }
        for (mu, sigma, max, cdf, mean, var) in [
            (0.2, 0.5, 2.7930481374401177, 0.03726266280901395, 1.5202013400267558, 0.04247629348257031),
            (1.5, 0.0, 504.77610600640406, 0.5483713839911891, 3.0802168489180315, 80.5293954641633),
        ] {
            let l = stats(&Distribution::Lognormal { mu, sigma }).unwrap();
            close(l.probable_maximum(600), max, "lognorm ppf");
            close(l.cdf(1.2), cdf, "lognorm cdf");
            close(l.mean(), mean, "lognorm mean");
            close(l.var(), var, "lognorm var");
        }
        // scipy has no lognorm with s = mu <= 0.
        let l = stats(&Distribution::Lognormal { mu: -1.0, sigma: 0.3 }).unwrap();
        assert!(l.mean().is_nan() && l.ppf(0.5).is_nan() && l.var().is_nan());
    }

    /// What sPyNNaker 7.4.1's own connector methods compute for 516 cases (every connector,
    /// constant and random weights and delays, several sizes and delay ranges), written by
    /// tools/oracle/make_estimates.py: counts exactly, statistics to scipy's last bits.
    #[test]
    fn the_estimates_are_the_hosts() {
        let path =
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/virtual-board-7.4.1/estimates/host_estimates.json");
        let table: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let cases = table["cases"].as_array().unwrap();
        assert!(cases.len() > 500);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1e-300) || a == b;
        for (k, c) in cases.iter().enumerate() {
            let connector: Connector = serde_json::from_value(c["connector"].clone()).unwrap();
            let values = |v: &serde_json::Value| match v.as_f64() {
                Some(x) => Values::Scalar(x),
                None => Values::Random(serde_json::from_value(v.clone()).unwrap()),
            };
            let (w, d) = (values(&c["weights"]), values(&c["delays"]));
            let n = |key: &str| c[key].as_u64().unwrap();
            let (n_pre, n_post) = (n("n_pre"), n("n_post"));
            let what = format!("case {k}: {c}");
            let rows = row_lengths(
                &connector,
                (n_pre, n_post),
                n("n_post_atoms"),
                &d,
                c["in_core_ms"].as_f64().unwrap(),
                n("stages") as u32,
            );
            assert_eq!(rows, (n("undelayed_max") as usize, n("delayed_max") as usize), "rows, {what}");
            assert_eq!(fan_in_maximum(&connector, n_pre, n_post), n("fan_in"), "fan-in, {what}");
            let draws = draws_estimate(&connector, n_pre, n_post);
            let (mean, var, max) = weight_statistics(&w, draws).unwrap();
            let f = |key: &str| c[key].as_f64().unwrap();
            for (got, key) in [(mean, "weight_mean"), (var, "weight_variance"), (max, "weight_maximum")] {
                assert!(close(got, f(key)), "{key}: {got} against {}, {what}", f(key));
            }
            let dmax = delay_maximum(&d, draws).unwrap();
            assert!(close(dmax, f("delay_maximum")), "delay maximum: {dmax} against {}, {what}", f("delay_maximum"));
            let dvar = delay_variance(&d);
            assert!(close(dvar, f("delay_variance")), "delay variance: {dvar} against {}, {what}", f("delay_variance"));
        }
    }

    #[test]
    fn constant_delays_select_one_matrix() {
        let c = Connector::FixedProbabilityConnector { p_connect: 0.1, allow_self_connections: true, rng_seed: None };
        // fixed_probability_onchip.json: 50 -> 100 at 64 per core, d 2 ms, in-core 2 ms: 23, 0.
        assert_eq!(row_lengths(&c, (50, 100), 64, &Values::Scalar(2.0), 2.0, 0), (23, 0));
        // delay_extension_c_onchip.json: 256 -> 256, d 90 ms, in-core 32 ms, 2 stages: 0, 58.
        assert_eq!(row_lengths(&c, (256, 256), 256, &Values::Scalar(90.0), 32.0, 2), (0, 58));
    }
}
