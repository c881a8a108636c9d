//! numpy's legacy `RandomState` (MT19937), draw for draw, as far as the sPyNNaker 7.4.1 host
//! uses it through PyNN's `NumpyRNG`: the population seeds of the expanders, and the connections,
//! weights and delays of the projections the host builds itself (docs/decisions.md D22).
//!
//! Every draw is the one numpy's C code makes (`legacy_double`, `legacy_gauss` with its cached
//! second value, `legacy_standard_gamma`, `random_poisson`, the masked bounded integers and the
//! Fisher–Yates shuffle of `permutation`), so a seeded `NumpyRNG` gives numpy's numbers; the
//! reference values in `tests/fixtures/numpy/` come from numpy itself
//! (`tools/oracle/make_numpy_vectors.py`).

use super::Distribution;

/// numpy's legacy `RandomState` seeded with an integer.
#[derive(Clone)]
pub struct RandomState {
    key: [u32; 624],
    pos: usize,
    /// `legacy_gauss`'s second value of the last pair, returned by the next normal draw.
    gauss: Option<f64>,
}

impl RandomState {
    /// `RandomState(seed)` for 0 ≤ seed ≤ 2^32 − 1: `mt19937_seed` (the reference `init_genrand`).
    pub fn new(seed: u32) -> Self {
        let mut key = [0u32; 624];
        let mut s = seed;
        for (pos, k) in key.iter_mut().enumerate() {
            *k = s;
            s = 1812433253u32.wrapping_mul(s ^ (s >> 30)).wrapping_add(pos as u32 + 1);
        }
        RandomState { key, pos: 624, gauss: None }
    }

    fn generate(&mut self) {
        const N: usize = 624;
        const M: usize = 397;
        let mix = |a: u32, b: u32, c: u32| {
            let y = (a & 0x8000_0000) | (b & 0x7FFF_FFFF);
            c ^ (y >> 1) ^ (0u32.wrapping_sub(y & 1) & 0x9908_B0DF)
        };
        for i in 0..N - M {
            self.key[i] = mix(self.key[i], self.key[i + 1], self.key[i + M]);
        }
        for i in N - M..N - 1 {
            self.key[i] = mix(self.key[i], self.key[i + 1], self.key[i + M - N]);
        }
        self.key[N - 1] = mix(self.key[N - 1], self.key[0], self.key[M - 1]);
        self.pos = 0;
    }

    /// `mt19937_next32`.
    pub fn next_u32(&mut self) -> u32 {
        if self.pos == 624 {
            self.generate();
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9D2C_5680;
        y ^= (y << 15) & 0xEFC6_0000;
        y ^ (y >> 18)
    }

    /// `random_sample()`: 53 bits from two 32-bit draws (`legacy_double`).
    pub fn random_sample(&mut self) -> f64 {
        let a = (self.next_u32() >> 5) as f64;
        let b = (self.next_u32() >> 6) as f64;
        (a * 67108864.0 + b) / 9007199254740992.0
    }

    /// `uniform(low, high)`: `low + (high − low) · random_sample()`.
    pub fn uniform(&mut self, low: f64, high: f64) -> f64 {
        let range = high - low;
        low + range * self.random_sample()
    }

    /// `legacy_gauss`: the polar method, two normal values per accepted pair.
    pub fn standard_normal(&mut self) -> f64 {
        if let Some(g) = self.gauss.take() {
            return g;
        }
        loop {
            let x1 = 2.0 * self.random_sample() - 1.0;
            let x2 = 2.0 * self.random_sample() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.gauss = Some(f * x1);
                return f * x2;
            }
        }
    }

    /// `normal(loc, scale)`.
    pub fn normal(&mut self, loc: f64, scale: f64) -> f64 {
        loc + scale * self.standard_normal()
    }

    /// `lognormal(mean, sigma)`: `exp(normal(mean, sigma))`.
    pub fn lognormal(&mut self, mean: f64, sigma: f64) -> f64 {
        self.normal(mean, sigma).exp()
    }

    /// `legacy_standard_exponential`: `−log(1 − random_sample())`.
    pub fn standard_exponential(&mut self) -> f64 {
        -(1.0 - self.random_sample()).ln()
    }

    /// `exponential(scale)`.
    pub fn exponential(&mut self, scale: f64) -> f64 {
        scale * self.standard_exponential()
    }

    /// `gamma(shape, scale)`: `legacy_standard_gamma` (Marsaglia and Tsang above a shape of 1,
    /// the rejection of Ahrens and Dieter below).
    pub fn gamma(&mut self, shape: f64, scale: f64) -> f64 {
        scale * self.standard_gamma(shape)
    }

    fn standard_gamma(&mut self, shape: f64) -> f64 {
        if shape == 1.0 {
            return self.standard_exponential();
        }
        if shape == 0.0 {
            return 0.0;
        }
        if shape < 1.0 {
            loop {
                let u = self.random_sample();
                let v = self.standard_exponential();
                if u <= 1.0 - shape {
                    let x = u.powf(1.0 / shape);
                    if x <= v {
                        return x;
                    }
                } else {
                    let y = -((1.0 - u) / shape).ln();
                    let x = (1.0 - shape + shape * y).powf(1.0 / shape);
                    if x <= v + y {
                        return x;
                    }
                }
            }
        }
        let b = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * b).sqrt();
        loop {
            let (mut x, mut v);
            loop {
                x = self.standard_normal();
                v = 1.0 + c * x;
                if v > 0.0 {
                    break;
                }
            }
            v = v * v * v;
            let u = self.random_sample();
            if u < 1.0 - 0.0331 * (x * x) * (x * x) {
                return b * v;
            }
            if u.ln() < 0.5 * x * x + b * (1.0 - v + v.ln()) {
                return b * v;
            }
        }
    }

    /// `poisson(lam)`: multiplication of uniforms below 10, Hörmann's PTRS from 10.
    pub fn poisson(&mut self, lam: f64) -> i64 {
        if lam >= 10.0 {
            return self.poisson_ptrs(lam);
        }
        if lam == 0.0 {
            return 0;
        }
        let enlam = (-lam).exp();
        let (mut x, mut prod) = (0, 1.0);
        loop {
            prod *= self.random_sample();
            if prod > enlam {
                x += 1;
            } else {
                return x;
            }
        }
    }

    fn poisson_ptrs(&mut self, lam: f64) -> i64 {
        let (slam, loglam) = (lam.sqrt(), lam.ln());
        let b = 0.931 + 2.53 * slam;
        let a = -0.059 + 0.02483 * b;
        let invalpha = 1.1239 + 1.1328 / (b - 3.4);
        let vr = 0.9277 - 3.6224 / (b - 2.0);
        loop {
            let u = self.random_sample() - 0.5;
            let v = self.random_sample();
            let us = 0.5 - u.abs();
            let k = ((2.0 * a / us + b) * u + lam + 0.43).floor() as i64;
            if us >= 0.07 && v <= vr {
                return k;
            }
            if k < 0 || (us < 0.013 && v > us) {
                continue;
            }
            if v.ln() + invalpha.ln() - (a / (us * us) + b).ln() <= -lam + k as f64 * loglam - loggam(k as f64 + 1.0) {
                return k;
            }
        }
    }

    /// `random_interval(max)`: uniform in `0 ..= max` by masked rejection.
    fn interval(&mut self, max: u32) -> u32 {
        if max == 0 {
            return 0;
        }
        let mask = u32::MAX >> max.leading_zeros();
        loop {
            let v = self.next_u32() & mask;
            if v <= max {
                return v;
            }
        }
    }

    /// `randint(low, high)` (default dtype int64) for `high − low` ≤ 2^32: masked rejection over
    /// 32-bit draws (`random_bounded_uint64_fill`).
    pub fn randint(&mut self, low: i64, high: i64) -> i64 {
        let range = (high - low - 1) as u64;
        assert!(range <= u32::MAX as u64, "randint ranges wider than 2^32 are not drawn here");
        match range as u32 {
            0 => low,
            u32::MAX => low + self.next_u32() as i64,
            r => low + self.interval(r) as i64,
        }
    }

    /// `permutation(n)`: `arange(n)` shuffled by Fisher–Yates from the end.
    pub fn permutation(&mut self, n: u32) -> Vec<u32> {
        let mut out: Vec<u32> = (0..n).collect();
        for i in (1..n as usize).rev() {
            let j = self.interval(i as u32) as usize;
            out.swap(i, j);
        }
        out
    }

    /// `choice(n, size, replace)` without probabilities: indices into `0 .. n` (legacy
    /// `RandomState.choice`: `randint` with replacement, else the first `size` of a permutation).
    pub fn choice(&mut self, n: u32, size: usize, replace: bool) -> Vec<u32> {
        if replace {
            (0..size).map(|_| self.randint(0, n as i64) as u32).collect()
        } else {
            let mut p = self.permutation(n);
            p.truncate(size);
            p
        }
    }
}

/// Redraws PyNN's `NumpyRNG._clipped` allows before it raises (`MAX_REDRAWS`).
const MAX_REDRAWS: usize = 1000;

impl RandomState {
    /// PyNN's `NumpyRNG.normal_clipped(mu, sigma, low, high, size=n)`: `n` normal values, then
    /// the ones outside `[low, high]` redrawn together, in order, until none is left.
    pub fn normal_clipped(&mut self, n: usize, mu: f64, sigma: f64, low: f64, high: f64) -> Result<Vec<f64>, String> {
        let outside = |x: f64| x > high || x < low;
        let mut res: Vec<f64> = (0..n).map(|_| self.normal(mu, sigma)).collect();
        let mut idx: Vec<usize> = (0..n).filter(|&i| outside(res[i])).collect();
        let mut iterations = 0;
        while !idx.is_empty() {
            if iterations > MAX_REDRAWS {
                return Err("exceeded PyNN's maximum number of redraws (check the parameters)".into());
            }
            let redrawn: Vec<f64> = idx.iter().map(|_| self.normal(mu, sigma)).collect();
            for (&i, &x) in idx.iter().zip(&redrawn) {
                res[i] = x;
            }
            idx = idx.into_iter().zip(redrawn).filter(|&(_, x)| outside(x)).map(|(i, _)| i).collect();
            iterations += 1;
        }
        Ok(res)
    }

    /// PyNN's `NumpyRNG.normal_clipped_to_boundary`: normal values clamped to `[low, high]`.
    pub fn normal_clipped_to_boundary(&mut self, n: usize, mu: f64, sigma: f64, low: f64, high: f64) -> Vec<f64> {
        (0..n).map(|_| self.normal(mu, sigma).min(high).max(low)).collect()
    }
}

impl RandomState {
    /// PyNN's `NumpyRNG.next(n, distribution, parameters)`: `n` values of `d` through PyNN's
    /// translations to numpy (`gamma(shape = k, scale = θ)`, `exponential(scale = β)`,
    /// `lognormal(mean = μ, σ)`, `normal(loc = μ, scale = σ)`, `uniform_int` as `randint`, the
    /// clipped normals as PyNN redraws them). `Err` names what numpy or PyNN would raise.
    pub fn pynn_next(&mut self, d: &Distribution, n: usize) -> Result<Vec<f64>, String> {
        use Distribution::*;
        let mut each = |f: &mut dyn FnMut(&mut Self) -> f64| (0..n).map(|_| f(self)).collect::<Vec<f64>>();
        Ok(match *d {
            Uniform { low, high } => each(&mut |r| r.uniform(low, high)),
            UniformInt { low, high } => {
                // numpy takes the integer parts of float bounds.
                let (lo, hi) = (low.trunc() as i64, high.trunc() as i64);
                if hi <= lo {
                    return Err(format!("uniform_int: numpy's randint needs low < high, got {lo} and {hi}"));
                }
                if (hi - lo) as u64 > 1 << 32 {
                    return Err(format!("uniform_int: the range [{lo}, {hi}) is wider than 2^32"));
                }
                each(&mut |r| r.randint(lo, hi) as f64)
            }
            Normal { mu, sigma } => each(&mut |r| r.normal(mu, sigma)),
            NormalClipped { mu, sigma, low, high } => self.normal_clipped(n, mu, sigma, low, high)?,
            NormalClippedToBoundary { mu, sigma, low, high } => {
                self.normal_clipped_to_boundary(n, mu, sigma, low, high)
            }
            Exponential { beta } => each(&mut |r| r.exponential(beta)),
            Gamma { k, theta } => each(&mut |r| r.gamma(k, theta)),
            Lognormal { mu, sigma } => each(&mut |r| r.lognormal(mu, sigma)),
            Poisson { lam } => each(&mut |r| r.poisson(lam) as f64),
            Binomial { n: trials, p } => {
                if trials < 0.0 || trials.fract() != 0.0 || trials > i64::MAX as f64 {
                    return Err(format!("binomial: n = {trials} is not a whole number of trials >= 0"));
                }
                if !(0.0..=1.0).contains(&p) {
                    return Err(format!("binomial: p = {p} is outside [0, 1]"));
                }
                each(&mut |r| r.binomial(trials as i64, p) as f64)
            }
            Vonmises { mu, kappa } => {
                if kappa.is_nan() || kappa < 0.0 {
                    return Err(format!("vonmises: kappa = {kappa} must be >= 0"));
                }
                each(&mut |r| r.vonmises(mu, kappa))
            }
        })
    }
}

/// `random_loggam`: log Γ(x) as numpy's Poisson sampler computes it.
fn loggam(x: f64) -> f64 {
    // numpy's coefficients, as its source writes them.
    #[allow(clippy::excessive_precision)]
    const A: [f64; 10] = [
        8.333333333333333e-02,
        -2.777777777777778e-03,
        7.936507936507937e-04,
        -5.952380952380952e-04,
        8.417508417508418e-04,
        -1.917526917526918e-03,
        6.410256410256410e-03,
        -2.955065359477124e-02,
        1.796443723688307e-01,
        -1.39243221690590e+00,
    ];
    if x == 1.0 || x == 2.0 {
        return 0.0;
    }
    let n = if x < 7.0 { (7.0 - x) as i64 } else { 0 };
    let mut x0 = x + n as f64;
    let x2 = (1.0 / x0) * (1.0 / x0);
    let lg2pi = 1.8378770664093453e+00;
    let mut gl0 = A[9];
    for k in (0..9).rev() {
        gl0 *= x2;
        gl0 += A[k];
    }
    let mut gl = gl0 / x0 + 0.5 * lg2pi + (x0 - 0.5) * x0.ln() - x0;
    if x < 7.0 {
        for _ in 0..n {
            gl -= (x0 - 1.0).ln();
            x0 -= 1.0;
        }
    }
    gl
}
