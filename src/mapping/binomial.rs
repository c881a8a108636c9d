//! `scipy.stats.binom.ppf` as sPyNNaker's `get_probable_maximum_selected` uses it.

use super::shifts::ln_gamma;

/// Smallest k with P(X ≤ k) ≥ q for X ~ Binomial(n, p) (up to a relative 1e-14 on q).
///
/// The upper tail is summed from the top: q is near 1 here (1 − 1e-4/(n_pre·n_post)), and
/// summing the distribution from k = 0 would need the sum to reach q within its own rounding,
/// which fails for large n (the search then ran to n). Terms more than 40 standard deviations
/// above the mean are below f64's range and are skipped.
pub fn binom_ppf(q: f64, n: u64, p: f64) -> u64 {
    if p <= 0.0 || n == 0 {
        return 0;
    }
    if p >= 1.0 || q >= 1.0 {
        return n;
    }
    let nf = n as f64;
    let ln_n1 = ln_gamma(nf + 1.0);
    let (lp, lq) = (p.ln(), (1.0 - p).ln());
    let pmf = |k: u64| {
        let kf = k as f64;
        (ln_n1 - ln_gamma(kf + 1.0) - ln_gamma(nf - kf + 1.0) + kf * lp + (nf - kf) * lq).exp()
    };
    // P(X > k) must not exceed this.
    let target = (1.0 - q) + q * 1e-14;
    let top = nf * p + 40.0 * (nf * p * (1.0 - p)).sqrt() + 40.0;
    let mut k = if top < nf { top.ceil() as u64 } else { n };
    let mut tail = 0.0;
    while k > 0 {
        let t = tail + pmf(k);
        if t > target {
            break;
        }
        tail = t;
        k -= 1;
    }
    k
}

/// `get_probable_maximum_selected(n_total_trials, n_trials, p, chance)`: the `binom.ppf` of
/// `1 − chance / n_total_trials`. Connectors pass their own `chance` (1e-2 when they pass none).
pub fn probable_maximum_selected(n_total_trials: u64, n_trials: u64, p: f64, chance: f64) -> u64 {
    binom_ppf(1.0 - chance / n_total_trials.max(1) as f64, n_trials, p)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn ppf_small_cases() {
        assert_eq!(binom_ppf(0.5, 10, 0.5), 5);
        assert_eq!(binom_ppf(0.999, 10, 0.5), 10 - 1);
        assert_eq!(binom_ppf(1.0, 10, 0.5), 10);
        assert_eq!(binom_ppf(0.9, 1, 0.05), 0);
    }

    /// Values of scipy.stats.binom.ppf (scipy 1.x) for large n, where q is near 1.
    #[test]
    fn ppf_large_cases_as_scipy() {
        assert_eq!(binom_ppf(1.0 - 1e-4 / (2191.0 * 2191.0), 244773, 1.0 / 2191.0), 188);
        assert_eq!(binom_ppf(1.0 - 1e-4 / 1e6, 1_000_000, 0.001), 1208);
        assert_eq!(binom_ppf(1.0 - 1e-4 / 1e8, 5_000_000, 0.0002), 1230);
        assert_eq!(binom_ppf(0.5, 100_000, 0.3), 30000);
        assert_eq!(binom_ppf(1.0 - 1e-4 / 1e4, 20000, 0.05), 1177);
    }
}
