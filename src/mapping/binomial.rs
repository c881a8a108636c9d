//! `scipy.stats.binom.ppf` as sPyNNaker's `get_probable_maximum_selected` uses it.

use super::shifts::ln_gamma;

/// Smallest k with P(X ≤ k) ≥ q for X ~ Binomial(n, p).
pub fn binom_ppf(q: f64, n: u64, p: f64) -> u64 {
    if p <= 0.0 || n == 0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    let ln_n1 = ln_gamma(n as f64 + 1.0);
    let (lp, lq) = (p.ln(), (1.0 - p).ln());
    let mut cdf = 0.0;
    for k in 0..=n {
        let kf = k as f64;
        let ln_pmf = ln_n1 - ln_gamma(kf + 1.0) - ln_gamma(n as f64 - kf + 1.0) + kf * lp + (n as f64 - kf) * lq;
        cdf += ln_pmf.exp();
        if cdf >= q * (1.0 - 1e-14) {
            return k;
        }
    }
    n
}

/// `get_probable_maximum_selected(n_total_trials, n_trials, p, chance = 1e-4)`.
pub fn probable_maximum_selected(n_total_trials: u64, n_trials: u64, p: f64) -> u64 {
    binom_ppf(1.0 - 1e-4 / n_total_trials.max(1) as f64, n_trials, p)
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
}
