//! numpy's legacy `RandomState.binomial` and `RandomState.vonmises`, draw for draw: BTPE above
//! `n·min(p, 1 − p) = 30`, inversion below it (`random_binomial`), and Best and Fisher's
//! rejection for the von Mises distribution (`legacy_vonmises`). Each draw takes its uniforms
//! from [`RandomState::random_sample`], in numpy's order.

use super::RandomState;
use std::f64::consts::PI;

/// The constants of BTPE for one `(n, p)` (numpy caches them in its `binomial_t`).
struct Btpe {
    n: i64,
    r: f64,
    q: f64,
    m: i64,
    p1: f64,
    xm: f64,
    xl: f64,
    xr: f64,
    c: f64,
    laml: f64,
    lamr: f64,
    p2: f64,
    p3: f64,
    p4: f64,
}

impl Btpe {
    fn new(n: i64, p: f64) -> Btpe {
        let r = p.min(1.0 - p);
        let q = 1.0 - r;
        let fm = n as f64 * r + r;
        let m = fm.floor() as i64;
        let p1 = (2.195 * (n as f64 * r * q).sqrt() - 4.6 * q).floor() + 0.5;
        let xm = m as f64 + 0.5;
        let (xl, xr) = (xm - p1, xm + p1);
        let c = 0.134 + 20.5 / (15.3 + m as f64);
        let a = (fm - xl) / (fm - xl * r);
        let laml = a * (1.0 + a / 2.0);
        let a = (xr - fm) / (xr * q);
        let lamr = a * (1.0 + a / 2.0);
        let p2 = p1 * (1.0 + 2.0 * c);
        let p3 = p2 + c / laml;
        Btpe { n, r, q, m, p1, xm, xl, xr, c, laml, lamr, p2, p3, p4: p3 + c / lamr }
    }

    /// Steps 50 and 52: whether `y`, reached with `v`, is accepted.
    fn accepts(&self, y: i64, v: f64) -> bool {
        let (n, m, r, q) = (self.n, self.m, self.r, self.q);
        let nrq = n as f64 * r * q;
        let k = (y - m).abs();
        if !(k > 20 && (k as f64) < nrq / 2.0 - 1.0) {
            let s = r / q;
            let a = s * (n + 1) as f64;
            let mut f = 1.0;
            if m < y {
                (m + 1..=y).for_each(|i| f *= a / i as f64 - s);
            } else if m > y {
                (y + 1..=m).for_each(|i| f /= a / i as f64 - s);
            }
            return v <= f;
        }
        let kf = k as f64;
        let rho = (kf / nrq) * ((kf * (kf / 3.0 + 0.625) + 0.16666666666666666) / nrq + 0.5);
        let t = (-k * k) as f64 / (2.0 * nrq);
        let big_a = v.ln();
        if big_a < t - rho {
            return true;
        }
        if big_a > t + rho {
            return false;
        }
        let (x1, f1, z, w) = ((y + 1) as f64, (m + 1) as f64, (n + 1 - m) as f64, (n - y + 1) as f64);
        let stirling =
            |a: f64| (13680. - (462. - (132. - (99. - 140. / (a * a)) / (a * a)) / (a * a)) / (a * a)) / a / 166320.;
        let bound = self.xm * (f1 / x1).ln()
            + ((n - m) as f64 + 0.5) * (z / w).ln()
            + (y - m) as f64 * (w * r / (x1 * q)).ln()
            + stirling(f1)
            + stirling(z)
            + stirling(x1)
            + stirling(w);
        big_a <= bound
    }
}

impl RandomState {
    /// `binomial(n, p)`: numpy's `random_binomial` (`n ≥ 0`, `0 ≤ p ≤ 1`, checked by the caller).
    pub fn binomial(&mut self, n: i64, p: f64) -> i64 {
        if n == 0 || p == 0.0 {
            return 0;
        }
        let (small, flip) = if p <= 0.5 { (p, false) } else { (1.0 - p, true) };
        let x = if small * n as f64 <= 30.0 { self.binomial_inversion(n, small) } else { self.binomial_btpe(n, small) };
        if flip {
            n - x
        } else {
            x
        }
    }

    fn binomial_inversion(&mut self, n: i64, p: f64) -> i64 {
        let q = 1.0 - p;
        let qn = (n as f64 * q.ln()).exp();
        let np = n as f64 * p;
        let bound = (n as f64).min(np + 10.0 * (np * q + 1.0).sqrt()) as i64;
        let (mut x, mut px, mut u) = (0i64, qn, self.random_sample());
        while u > px {
            x += 1;
            if x > bound {
                (x, px, u) = (0, qn, self.random_sample());
            } else {
                u -= px;
                px = ((n - x + 1) as f64 * p * px) / (x as f64 * q);
            }
        }
        x
    }

    fn binomial_btpe(&mut self, n: i64, p: f64) -> i64 {
        let b = Btpe::new(n, p);
        let y = loop {
            let u = self.random_sample() * b.p4;
            let mut v = self.random_sample();
            if u <= b.p1 {
                break (b.xm - b.p1 * v + u).floor() as i64;
            }
            let y = if u <= b.p2 {
                let x = b.xl + (u - b.p1) / b.c;
                v = v * b.c + 1.0 - (b.m as f64 - x + 0.5).abs() / b.p1;
                if v > 1.0 {
                    continue;
                }
                x.floor() as i64
            } else if u <= b.p3 {
                let y = (b.xl + v.ln() / b.laml).floor() as i64;
                if y < 0 || v == 0.0 {
                    continue;
                }
                v *= (u - b.p2) * b.laml;
                y
            } else {
                let y = (b.xr - v.ln() / b.lamr).floor() as i64;
                if y > n || v == 0.0 {
                    continue;
                }
                v *= (u - b.p3) * b.lamr;
                y
            };
            if b.accepts(y, v) {
                break y;
            }
        };
        if p > 0.5 {
            n - y
        } else {
            y
        }
    }

    /// `vonmises(mu, kappa)`: numpy's legacy sampler (uniform on (−π, π) below `kappa = 1e-8`),
    /// the result wrapped into [−π, π].
    pub fn vonmises(&mut self, mu: f64, kappa: f64) -> f64 {
        if kappa.is_nan() {
            return f64::NAN;
        }
        if kappa < 1e-8 {
            return PI * (2.0 * self.random_sample() - 1.0);
        }
        let s = if kappa < 1e-5 {
            1.0 / kappa + kappa
        } else {
            let r = 1.0 + (1.0 + 4.0 * kappa * kappa).sqrt();
            let rho = (r - (2.0 * r).sqrt()) / (2.0 * kappa);
            (1.0 + rho * rho) / (2.0 * rho)
        };
        let w = loop {
            let z = (PI * self.random_sample()).cos();
            let w = (1.0 + s * z) / (s + z);
            let y = kappa * (s - w);
            let v = self.random_sample();
            if y * (2.0 - y) - v >= 0.0 || (y / v).ln() + 1.0 - y >= 0.0 {
                break w;
            }
        };
        let u = self.random_sample();
        let mut result = w.acos();
        if u < 0.5 {
            result = -result;
        }
        result += mu;
        let m = (result.abs() + PI) % (2.0 * PI) - PI;
        if result < 0.0 {
            -m
        } else {
            m
        }
    }
}
