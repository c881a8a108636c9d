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
    /// PyNN's name of the distribution.
    pub fn name(&self) -> &'static str {
        use Distribution::*;
        match self {
            Uniform { .. } => "uniform",
            UniformInt { .. } => "uniform_int",
            Normal { .. } => "normal",
            NormalClipped { .. } => "normal_clipped",
            NormalClippedToBoundary { .. } => "normal_clipped_to_boundary",
            Exponential { .. } => "exponential",
            Gamma { .. } => "gamma",
            Lognormal { .. } => "lognormal",
            Poisson { .. } => "poisson",
            Binomial { .. } => "binomial",
            Vonmises { .. } => "vonmises",
        }
    }

    /// Checks the distribution's own parameters, as far as its sampler needs them (a sampler that
    /// can be built always draws); `Err` carries a message naming the bad one.
    pub fn validate(&self) -> Result<(), String> {
        self.sampler().map(|_| ())
    }

    /// The sampler of the distribution, built once for all its draws.
    fn sampler(&self) -> Result<Sampler, String> {
        use Distribution::*;
        let c = Checks(self.name());
        Ok(match *self {
            Uniform { low, high } => {
                c.ordered(low, high)?;
                if low == high {
                    Sampler::Constant(low)
                } else {
                    Sampler::Uniform(rand_distr::Uniform::new(low, high).map_err(|_| {
                        format!(
                            "uniform: the range [{low}, {high}] is wider than a float can hold (high - low overflows)"
                        )
                    })?)
                }
            }
            UniformInt { low, high } => c.uniform_int(low, high)?,
            Normal { mu, sigma } => {
                Sampler::Normal(rand_distr::Normal::new(c.finite("mu", mu)?, c.spread(sigma)?).map_err(|e| c.built(e))?)
            }
            Lognormal { mu, sigma } => Sampler::Lognormal(
                rand_distr::LogNormal::new(c.finite("mu", mu)?, c.spread(sigma)?).map_err(|e| c.built(e))?,
            ),
            NormalClipped { mu, sigma, low, high } | NormalClippedToBoundary { mu, sigma, low, high } => {
                c.ordered(low, high)?;
                let normal = rand_distr::Normal::new(c.finite("mu", mu)?, c.positive("sigma", sigma)?)
                    .map_err(|e| c.built(e))?;
                if matches!(self, NormalClipped { .. }) {
                    Sampler::Clipped { normal, low, high }
                } else {
                    Sampler::ToBoundary { normal, low, high }
                }
            }
            Exponential { beta } => {
                Sampler::Exponential(rand_distr::Exp::new(1.0 / c.positive("beta", beta)?).map_err(|e| c.built(e))?)
            }
            Gamma { k, theta } => Sampler::Gamma(
                rand_distr::Gamma::new(c.positive("k", k)?, c.positive("theta", theta)?).map_err(|e| c.built(e))?,
            ),
            Poisson { lam } => {
                Sampler::Poisson(rand_distr::Poisson::new(c.positive("lam", lam)?).map_err(|e| c.built(e))?)
            }
            Binomial { n, p } => c.binomial(n, p)?,
            Vonmises { mu, kappa } => {
                Sampler::Vonmises(VonMises::new(c.finite("mu", mu)?, c.positive("kappa", kappa)?))
            }
        })
    }

    /// One draw (the distribution must be valid; prefer [`Values::expand`] for many).
    pub fn sample(&self, rng: &mut StdRng) -> Result<f64, String> {
        self.sampler()?.sample(rng)
    }
}

/// The checks of a distribution's parameters, with messages that name the distribution (`.0`).
struct Checks(&'static str);

impl Checks {
    fn finite(&self, param: &str, v: f64) -> Result<f64, String> {
        if v.is_finite() {
            Ok(v)
        } else {
            Err(format!("{}: parameter `{param}` = {v} is not finite", self.0))
        }
    }

    fn positive(&self, param: &str, v: f64) -> Result<f64, String> {
        if self.finite(param, v)? > 0.0 {
            Ok(v)
        } else {
            Err(format!("{}: parameter `{param}` = {v} must be > 0", self.0))
        }
    }

    /// A standard deviation: finite and >= 0.
    fn spread(&self, sigma: f64) -> Result<f64, String> {
        if self.finite("sigma", sigma)? < 0.0 {
            return Err(format!("{}: parameter `sigma` = {sigma} must be >= 0", self.0));
        }
        Ok(sigma)
    }

    fn ordered(&self, low: f64, high: f64) -> Result<(), String> {
        self.finite("low", low)?;
        self.finite("high", high)?;
        if low <= high {
            Ok(())
        } else {
            Err(format!("{} needs low <= high, got low = {low}, high = {high}", self.0))
        }
    }

    /// What a constructor refuses, in its own words, after the checks above.
    fn built(&self, e: impl std::fmt::Display) -> String {
        format!("{}: {e}", self.0)
    }

    fn uniform_int(&self, low: f64, high: f64) -> Result<Sampler, String> {
        self.ordered(low, high)?;
        let limit = 2f64.powi(53);
        if low.abs() > limit || high.abs() > limit {
            return Err(format!("{}: low and high must be within ±2^53 (got {low}, {high})", self.0));
        }
        let (lo, hi) = (low.ceil() as i64, high.floor() as i64);
        if hi <= lo {
            return Ok(Sampler::Constant(lo as f64));
        }
        Ok(Sampler::UniformInt(rand_distr::Uniform::new(lo, hi).map_err(|e| self.built(e))?))
    }

    fn binomial(&self, n: f64, p: f64) -> Result<Sampler, String> {
        if self.finite("n", n)? < 0.0 || n.fract() != 0.0 || n > 2f64.powi(53) {
            return Err(format!("{}: parameter `n` = {n} must be a whole number in [0, 2^53]", self.0));
        }
        if !(0.0..=1.0).contains(&p) {
            return Err(format!("{}: parameter `p` = {p} must be in [0, 1]", self.0));
        }
        Ok(Sampler::Binomial(rand_distr::Binomial::new(n as u64, p).map_err(|e| self.built(e))?))
    }
}

/// A distribution ready to draw: its parameters checked, its constants computed.
enum Sampler {
    /// A degenerate range: no draw.
    Constant(f64),
    Uniform(rand_distr::Uniform<f64>),
    UniformInt(rand_distr::Uniform<i64>),
    Normal(rand_distr::Normal<f64>),
    Clipped {
        normal: rand_distr::Normal<f64>,
        low: f64,
        high: f64,
    },
    ToBoundary {
        normal: rand_distr::Normal<f64>,
        low: f64,
        high: f64,
    },
    Exponential(rand_distr::Exp<f64>),
    Gamma(rand_distr::Gamma<f64>),
    Lognormal(rand_distr::LogNormal<f64>),
    Poisson(rand_distr::Poisson<f64>),
    Binomial(rand_distr::Binomial),
    Vonmises(VonMises),
}

/// Draws a `normal_clipped` makes before it gives up. PyNN redraws without end; sPyNNaker's
/// expander stops the core (RTE_SWERR) after 1000.
const CLIPPED_DRAWS: u32 = 100_000;

impl Sampler {
    fn sample(&self, rng: &mut StdRng) -> Result<f64, String> {
        Ok(match self {
            Sampler::Constant(v) => *v,
            Sampler::Uniform(d) => d.sample(rng),
            Sampler::UniformInt(d) => d.sample(rng) as f64,
            Sampler::Normal(d) => d.sample(rng),
            Sampler::Clipped { normal, low, high } => {
                // Redraw until inside [low, high], as PyNN does, within a budget.
                for _ in 0..CLIPPED_DRAWS {
                    let v = normal.sample(rng);
                    if (*low..=*high).contains(&v) {
                        return Ok(v);
                    }
                }
                return Err(format!(
                    "normal_clipped(mu = {}, sigma = {}, low = {low}, high = {high}): {CLIPPED_DRAWS} draws all fell outside \
                     [low, high], which holds almost none of the distribution (PyNN would redraw for ever; SpiNNaker's \
                     expander stops the core after 1000 draws); widen the window or use normal_clipped_to_boundary",
                    normal.mean(),
                    normal.std_dev()
                ));
            }
            Sampler::ToBoundary { normal, low, high } => normal.sample(rng).clamp(*low, *high),
            Sampler::Exponential(d) => d.sample(rng),
            Sampler::Gamma(d) => d.sample(rng),
            Sampler::Lognormal(d) => d.sample(rng),
            Sampler::Poisson(d) => d.sample(rng),
            Sampler::Binomial(d) => d.sample(rng) as f64,
            Sampler::Vonmises(d) => d.sample(rng),
        })
    }
}

/// The von Mises distribution by Best and Fisher's rejection sampler, with numpy's treatment of
/// the extremes (a uniform angle for κ < 1e-8, a series for the constant below 1e-5, a wrapped
/// normal above 1e6), where the plain formulas lose all precision and never accept.
struct VonMises {
    mu: f64,
    kappa: f64,
    /// Best–Fisher's r = (1 + ρ²) / 2ρ.
    r: f64,
    /// Uniform on [0, 1), as the sampler has always drawn it.
    unit: rand_distr::Uniform<f64>,
}

impl VonMises {
    fn new(mu: f64, kappa: f64) -> Self {
        let r = if kappa < 1e-5 {
            1.0 / kappa + kappa
        } else {
            let tau = 1.0 + (1.0 + 4.0 * kappa * kappa).sqrt();
            let rho = (tau - (2.0 * tau).sqrt()) / (2.0 * kappa);
            (1.0 + rho * rho) / (2.0 * rho)
        };
        let unit = rand_distr::Uniform::new(0.0f64, 1.0).expect("[0, 1) is a valid range");
        VonMises { mu, kappa, r, unit }
    }

    fn sample(&self, rng: &mut StdRng) -> f64 {
        use std::f64::consts::PI;
        let u = self.unit;
        let (mu, kappa, r) = (self.mu, self.kappa, self.r);
        if kappa < 1e-8 {
            return mu + PI * (2.0 * u.sample(rng) - 1.0);
        }
        if kappa > 1e6 {
            let n: f64 = rand_distr::StandardNormal.sample(rng);
            let x = n / kappa.sqrt();
            return mu + ((x + PI).rem_euclid(2.0 * PI) - PI);
        }
        // The acceptance rate is above 65% for every κ: the loop ends.
        loop {
            let z = (PI * u.sample(rng)).cos();
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

/// A random distribution with, as PyNN's `RandomDistribution(..., rng=NumpyRNG(seed=...))`, the
/// seed of its own generator. In a network file the seed sits beside the distribution's
/// parameters: `weight = { distribution = "normal", mu = 0.5, sigma = 0.1, rng_seed = 42 }`.
///
/// Where sPyNNaker 7.4.1's host draws the values itself (a projection it builds on the host), a
/// seeded distribution draws them as numpy does (docs/decisions.md D23); where the machine
/// generates them, the machine ignores the seed, and so does spinnsim, with a warning.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RandomDistribution {
    #[serde(flatten)]
    pub distribution: Distribution,
    /// The seed of the distribution's `NumpyRNG`; `None` for spinnsim's own seeded streams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rng_seed: Option<u32>,
}

impl std::ops::Deref for RandomDistribution {
    type Target = Distribution;

    fn deref(&self) -> &Distribution {
        &self.distribution
    }
}

impl From<Distribution> for RandomDistribution {
    fn from(distribution: Distribution) -> Self {
        RandomDistribution { distribution, rng_seed: None }
    }
}

/// The value of one parameter across a population.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Values {
    Scalar(f64),
    /// One value per neuron: a list given for the whole population, which sPyNNaker 7.4.1 keeps
    /// as a list and writes from the host.
    Array(Vec<f64>),
    Random(RandomDistribution),
    /// A population's parameter set range by range, as sPyNNaker's ranged lists hold it after
    /// `pop[a:b].set(...)` or `pop[a:b].initialize(...)` (a neuron-side value only).
    Ranges(Vec<ValueRange>),
}

/// The value of neurons `start .. stop`: a number or a distribution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueRange {
    pub start: u32,
    pub stop: u32,
    pub value: Values,
}

impl From<Distribution> for Values {
    fn from(d: Distribution) -> Self {
        Values::Random(d.into())
    }
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

/// The values of one parameter, drawn one at a time: what [`Values::expand`] gives, without the
/// vector.
pub struct ValueStream<'a> {
    values: &'a Values,
    sampler: Option<Sampler>,
    next: usize,
}

impl ValueStream<'_> {
    /// The next value (the distribution's next draw from `rng`).
    pub fn next(&mut self, rng: &mut StdRng) -> Result<f64, String> {
        let i = self.next;
        self.next += 1;
        match (self.values, &self.sampler) {
            (Values::Scalar(v), _) => Ok(*v),
            (Values::Array(a), _) => {
                a.get(i).copied().ok_or_else(|| format!("has {} values, fewer than asked for", a.len()))
            }
            (Values::Random(_), Some(s)) => s.sample(rng),
            (Values::Random(d), None) => d.sample(rng),
            (Values::Ranges(_), _) => Err(RANGES_ON_A_PROJECTION.into()),
        }
    }
}

/// Why a projection's weight or delay cannot be given as ranges.
pub const RANGES_ON_A_PROJECTION: &str =
    "takes a number, a list or a distribution; ranges of values are for a population's parameters";

impl Values {
    /// The values of `n` items, one at a time (checked as [`Values::expand`] checks them).
    pub fn stream(&self, n: usize) -> Result<ValueStream<'_>, String> {
        let sampler = match self {
            Values::Array(a) if a.len() != n => return Err(format!("has {} values for {} neurons", a.len(), n)),
            Values::Random(d) => Some(d.sampler()?),
            Values::Ranges(_) => return Err(RANGES_ON_A_PROJECTION.into()),
            _ => None,
        };
        Ok(ValueStream { values: self, sampler, next: 0 })
    }

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
                let sampler = d.sampler()?;
                (0..n).map(|_| sampler.sample(rng)).collect()
            }
            Values::Ranges(ranges) => {
                Self::check_ranges(ranges, n)?;
                let mut out = Vec::with_capacity(n);
                for r in ranges {
                    out.extend(r.value.expand(r.len(), rng)?);
                }
                Ok(out)
            }
        }
    }

    /// Whether any value is drawn from a distribution.
    pub fn is_random(&self) -> bool {
        match self {
            Values::Random(_) => true,
            Values::Ranges(ranges) => ranges.iter().any(|r| r.value.is_random()),
            Values::Scalar(_) | Values::Array(_) => false,
        }
    }

    /// Ranges that follow one another from neuron 0 to neuron `n`, each a number or a
    /// distribution over at least one neuron.
    fn check_ranges(ranges: &[ValueRange], n: usize) -> Result<(), String> {
        let mut next = 0;
        for r in ranges {
            if r.start as usize != next || r.stop <= r.start {
                return Err(format!(
                    "the range {}..{} does not follow on from neuron {next} (ranges run in order from 0, each over \
                     at least one neuron)",
                    r.start, r.stop
                ));
            }
            if matches!(r.value, Values::Array(_) | Values::Ranges(_)) {
                return Err(format!(
                    "the range {}..{} holds a list; a range's value is a number or a distribution",
                    r.start, r.stop
                ));
            }
            next = r.stop as usize;
        }
        if next != n {
            return Err(format!("the ranges end at neuron {next}, not at the population's size {n}"));
        }
        Ok(())
    }
}

impl ValueRange {
    /// The number of neurons in the range.
    pub fn len(&self) -> usize {
        (self.stop - self.start) as usize
    }

    /// Whether the range holds no neuron.
    pub fn is_empty(&self) -> bool {
        self.stop == self.start
    }
}
