//! Values of parameters: constants, per-neuron arrays and seeded random distributions (PyNN names).

use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::Distribution as _;
use serde::{Deserialize, Serialize};

/// A random distribution with PyNN's names and parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "distribution", rename_all = "snake_case", deny_unknown_fields)]
pub enum Distribution {
    Uniform { low: f64, high: f64 },
    UniformInt { low: f64, high: f64 },
    Normal { mu: f64, sigma: f64 },
    NormalClipped { mu: f64, sigma: f64, low: f64, high: f64 },
    NormalClippedToBoundary { mu: f64, sigma: f64, low: f64, high: f64 },
    Exponential { beta: f64 },
    Gamma { k: f64, theta: f64 },
    Lognormal { mu: f64, sigma: f64 },
    Poisson { lam: f64 },
    Binomial { n: f64, p: f64 },
    Vonmises { mu: f64, kappa: f64 },
}

impl Distribution {
    /// Checks the distribution's own parameters; `Err` carries a message naming the bad one.
    pub fn validate(&self) -> Result<(), String> {
        use Distribution::*;
        let finite = |name: &str, v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(format!("distribution parameter `{name}` = {v} is not finite"))
            }
        };
        let positive = |name: &str, v: f64| {
            finite(name, v)?;
            if v > 0.0 {
                Ok(())
            } else {
                Err(format!("distribution parameter `{name}` = {v} must be > 0"))
            }
        };
        let ordered = |low: f64, high: f64| {
            finite("low", low)?;
            finite("high", high)?;
            if low <= high {
                Ok(())
            } else {
                Err(format!("distribution needs low <= high, got low = {low}, high = {high}"))
            }
        };
        match *self {
            Uniform { low, high } | UniformInt { low, high } => ordered(low, high),
            Normal { mu, sigma } | Lognormal { mu, sigma } => {
                finite("mu", mu)?;
                finite("sigma", sigma)?;
                if sigma < 0.0 {
                    return Err(format!("distribution parameter `sigma` = {sigma} must be >= 0"));
                }
                Ok(())
            }
            NormalClipped { mu, sigma, low, high } | NormalClippedToBoundary { mu, sigma, low, high } => {
                finite("mu", mu)?;
                positive("sigma", sigma)?;
                ordered(low, high)
            }
            Exponential { beta } => positive("beta", beta),
            Gamma { k, theta } => {
                positive("k", k)?;
                positive("theta", theta)
            }
            Poisson { lam } => positive("lam", lam),
            Binomial { n, p } => {
                finite("n", n)?;
                if n < 0.0 || n.fract() != 0.0 {
                    return Err(format!("distribution parameter `n` = {n} must be a whole number >= 0"));
                }
                if !(0.0..=1.0).contains(&p) {
                    return Err(format!("distribution parameter `p` = {p} must be in [0, 1]"));
                }
                Ok(())
            }
            Vonmises { mu, kappa } => {
                finite("mu", mu)?;
                positive("kappa", kappa)
            }
        }
    }

    /// One draw. The distribution must have been validated.
    pub fn sample(&self, rng: &mut StdRng) -> f64 {
        use Distribution::*;
        match *self {
            Uniform { low, high } => {
                if low == high {
                    low
                } else {
                    rand_distr::Uniform::new(low, high).expect("validated").sample(rng)
                }
            }
            UniformInt { low, high } => {
                let (lo, hi) = (low.ceil() as i64, high.floor() as i64);
                if hi <= lo {
                    lo as f64
                } else {
                    rand_distr::Uniform::new(lo, hi).expect("validated").sample(rng) as f64
                }
            }
            Normal { mu, sigma } => rand_distr::Normal::new(mu, sigma).expect("validated").sample(rng),
            NormalClipped { mu, sigma, low, high } => {
                let n = rand_distr::Normal::new(mu, sigma).expect("validated");
                // Redraw until inside [low, high], as PyNN does; bounded to stay responsive.
                for _ in 0..100_000 {
                    let v = n.sample(rng);
                    if (low..=high).contains(&v) {
                        return v;
                    }
                }
                mu.clamp(low, high)
            }
            NormalClippedToBoundary { mu, sigma, low, high } => {
                rand_distr::Normal::new(mu, sigma).expect("validated").sample(rng).clamp(low, high)
            }
            Exponential { beta } => rand_distr::Exp::new(1.0 / beta).expect("validated").sample(rng),
            Gamma { k, theta } => rand_distr::Gamma::new(k, theta).expect("validated").sample(rng),
            Lognormal { mu, sigma } => rand_distr::LogNormal::new(mu, sigma).expect("validated").sample(rng),
            Poisson { lam } => rand_distr::Poisson::new(lam).expect("validated").sample(rng),
            Binomial { n, p } => rand_distr::Binomial::new(n as u64, p).expect("validated").sample(rng) as f64,
            Vonmises { mu, kappa } => {
                // Best–Fisher rejection sampler.
                let u = rand_distr::Uniform::new(0.0f64, 1.0).expect("static");
                let tau = 1.0 + (1.0 + 4.0 * kappa * kappa).sqrt();
                let rho = (tau - (2.0 * tau).sqrt()) / (2.0 * kappa);
                let r = (1.0 + rho * rho) / (2.0 * rho);
                loop {
                    let z = (std::f64::consts::PI * u.sample(rng)).cos();
                    let f = (1.0 + r * z) / (r + z);
                    let c = kappa * (r - f);
                    let u2: f64 = u.sample(rng);
                    if c * (2.0 - c) > u2 || (c / u2).ln() + 1.0 >= c {
                        let sign = if u.sample(rng) > 0.5 { 1.0 } else { -1.0 };
                        return mu + sign * f.acos();
                    }
                }
            }
        }
    }
}

/// The value of one parameter across a population.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Values {
    Scalar(f64),
    Array(Vec<f64>),
    Random(Distribution),
}

impl From<f64> for Values {
    fn from(v: f64) -> Self {
        Values::Scalar(v)
    }
}

/// Seeded generator for host-side draws. Streams are split by purpose so that adding one random
/// parameter does not shift the draws of another.
pub fn host_rng(seed: u64, stream: &[u64]) -> StdRng {
    // SplitMix64 over the seed and the stream path: well-mixed, stable, independent of threads.
    let mut s = seed ^ 0x5350_494E_4E53_494D; // "SPINNSIM"
    let mut mix = |v: u64| {
        s = s.wrapping_add(v).wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        s = z ^ (z >> 31);
    };
    for &v in stream {
        mix(v);
    }
    mix(stream.len() as u64);
    StdRng::seed_from_u64(s)
}

impl Values {
    /// Expands to one value per neuron. `rng` is used only for random distributions.
    pub fn expand(&self, n: usize, rng: &mut StdRng) -> Result<Vec<f64>, String> {
        match self {
            Values::Scalar(v) => Ok(vec![*v; n]),
            Values::Array(a) => {
                if a.len() == n {
                    Ok(a.clone())
                } else {
                    Err(format!("has {} values for {} neurons", a.len(), n))
                }
            }
            Values::Random(d) => {
                d.validate()?;
                Ok((0..n).map(|_| d.sample(rng)).collect())
            }
        }
    }
}
