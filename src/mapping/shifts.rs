//! Ring-buffer left shifts and weight scales, as sPyNNaker 7.4.1's host computes them (docs/spynnaker-mapping.md §9):
//! `PopulationVertex.get_ring_buffer_shifts`, `_Stats`, `RunningStats`.

/// sPyNNaker's `RunningStats` (Welford with batched adds).
#[derive(Clone, Copy, Debug, Default)]
pub struct RunningStats {
    mean: f64,
    mean_2: f64,
    n_items: u64,
}

impl RunningStats {
    pub fn add_items(&mut self, mean: f64, variance: f64, n_items: u64) {
        if n_items > 0 {
            let new_n = self.n_items + n_items;
            let mean_2 = variance * (n_items as f64 - 1.0);
            let delta = mean - self.mean;
            let new_mean = (self.n_items as f64 * self.mean + n_items as f64 * mean) / new_n as f64;
            let new_mean_2 = self.mean_2 + mean_2 + delta * delta * self.n_items as f64 * n_items as f64 / new_n as f64;
            self.n_items = new_n;
            self.mean = new_mean;
            self.mean_2 = new_mean_2;
        }
    }
    pub fn variance(&self) -> f64 {
        if self.n_items <= 1 {
            0.0
        } else {
            self.mean_2 / (self.n_items as f64 - 1.0)
        }
    }
    pub fn mean(&self) -> f64 {
        self.mean
    }
}

/// What one incoming projection contributes to the statistics of its synapse type.
#[derive(Clone, Copy, Debug)]
pub struct IncomingStats {
    pub synapse_type: usize,
    /// Maximum fan-in of one post neuron (`get_n_connections_to_post_vertex_maximum`).
    pub n_conns: u64,
    pub w_mean: f64,
    pub w_var: f64,
    pub w_max: f64,
    pub d_var: f64,
}

/// sPyNNaker's `_Stats` for one post population with two synapse types.
pub struct ShiftStats {
    w_scale: f64,
    steps_per_second: f64,
    spikes_per_second: f64,
    sigma: f64,
    running: [RunningStats; 2],
    delay_running: [RunningStats; 2],
    rates: [RunningStats; 2],
    total_weights: [f64; 2],
    biggest_weight: [f64; 2],
}

impl ShiftStats {
    pub fn new(w_scale: f64, steps_per_second: f64, spikes_per_second: f64, sigma: f64) -> Self {
        ShiftStats {
            w_scale,
            steps_per_second,
            spikes_per_second,
            sigma,
            running: Default::default(),
            delay_running: Default::default(),
            rates: Default::default(),
            total_weights: [0.0; 2],
            biggest_weight: [0.0; 2],
        }
    }

    pub fn add(&mut self, s: IncomingStats) {
        let t = s.synapse_type;
        self.running[t].add_items(s.w_mean * self.w_scale, s.w_var * self.w_scale * self.w_scale, s.n_conns);
        self.biggest_weight[t] = self.biggest_weight[t].max(s.w_max * self.w_scale);
        self.delay_running[t].add_items(0.0, s.d_var, s.n_conns);
        let spikes_per_tick = (self.spikes_per_second / self.steps_per_second).max(1.0);
        self.rates[t].add_items(self.spikes_per_second, 0.0, s.n_conns);
        self.total_weights[t] += spikes_per_tick * (s.w_max * s.n_conns as f64);
    }

    pub fn max_weight(&self, t: usize) -> f64 {
        if self.delay_running[t].variance() == 0.0 {
            return self.total_weights[t].max(self.biggest_weight[t]);
        }
        let stats = &self.running[t];
        let w = expected_upper_bound(
            stats.mean(),
            stats.variance().sqrt(),
            self.rates[t].mean(),
            stats.n_items,
            self.sigma,
            self.steps_per_second,
        );
        w.min(self.total_weights[t]).max(self.biggest_weight[t])
    }

    /// The left shift of each synapse type.
    pub fn shifts(&self) -> [u32; 2] {
        [shift_for(self.max_weight(0)), shift_for(self.max_weight(1))]
    }
}

/// `ceil(max(0, log2(w)))`, plus one if `2^shift <= w`; 0 for w <= 0.
pub fn shift_for(w: f64) -> u32 {
    if w <= 0.0 {
        return 0;
    }
    let mut s = w.log2().max(0.0).ceil() as u32;
    if 2f64.powi(s as i32) <= w {
        s += 1;
    }
    s
}

/// The weight scale of a synapse type: 2^(15 − shift) × global weight scale.
pub fn weight_scale(shift: u32, global_weight_scale: f64) -> f64 {
    2f64.powi(15 - shift as i32) * global_weight_scale
}

/// `_ring_buffer_expected_upper_bound`.
fn expected_upper_bound(
    mean: f64,
    std_dev: f64,
    spikes_per_second: f64,
    n_in: u64,
    sigma: f64,
    steps_per_s: f64,
) -> f64 {
    let avg = (n_in as f64 * spikes_per_second) / steps_per_s;
    let poisson_var = avg * mean * mean;
    let upper = (avg + 3.0 * avg.sqrt()).round_ties_even();
    let mut weight_var = 0.0;
    if std_dev > 0.0 {
        let lngamma = ln_gamma(1.0 + upper);
        let gammai = gamma_q(1.0 + upper, avg);
        let big_ratio = avg.ln() * upper - lngamma;
        if -701.0 < big_ratio && big_ratio < 701.0 && big_ratio != 0.0 {
            let log_wv = -avg + avg.ln() + 2.0 * std_dev.ln() + (avg.exp() * gammai - big_ratio.exp()).ln();
            weight_var = log_wv.exp();
        }
    }
    avg * mean + sigma * (poisson_var + weight_var).sqrt()
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error ~1e-15).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularised upper incomplete gamma function Q(a, x) (scipy's `gammaincc`).
pub fn gamma_q(a: f64, x: f64) -> f64 {
    match incomplete_gamma(a, x) {
        Incomplete::Lower(p) => 1.0 - p,
        Incomplete::Upper(q) => q,
    }
}

/// The regularised lower incomplete gamma function P(a, x) (scipy's `gammainc`), to full
/// relative precision below x = a + 1, where it is summed directly.
pub fn gamma_p(a: f64, x: f64) -> f64 {
    match incomplete_gamma(a, x) {
        Incomplete::Lower(p) => p,
        Incomplete::Upper(q) => 1.0 - q,
    }
}

/// P(a, x) or Q(a, x), whichever of the two converges at `x`.
enum Incomplete {
    Lower(f64),
    Upper(f64),
}

fn incomplete_gamma(a: f64, x: f64) -> Incomplete {
    if x <= 0.0 {
        return Incomplete::Lower(0.0);
    }
    let gln = ln_gamma(a);
    if x < a + 1.0 {
        // Series for P.
        let (mut ap, mut sum) = (a, 1.0 / a);
        let mut del = sum;
        for _ in 0..10_000 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        Incomplete::Lower(sum * (-x + a * x.ln() - gln).exp())
    } else {
        // Continued fraction (modified Lentz).
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        Incomplete::Upper((-x + a * x.ln() - gln).exp() * h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synfire_ring_shift_is_three() {
        // Two projections into neuron 0, each with fan-in 1 and weight 2.0: total 4.0 → shift 3.
        let mut s = ShiftStats::new(1.0, 1000.0, 30.0, 5.0);
        for _ in 0..2 {
            s.add(IncomingStats { synapse_type: 0, n_conns: 1, w_mean: 2.0, w_var: 0.0, w_max: 2.0, d_var: 0.0 });
        }
        assert_eq!(s.shifts(), [3, 0]);
        assert_eq!(weight_scale(3, 1.0), 4096.0);
        assert_eq!(weight_scale(0, 1.0), 32768.0);
    }

    #[test]
    fn shift_boundaries() {
        assert_eq!(shift_for(0.0), 0);
        assert_eq!(shift_for(0.5), 0);
        assert_eq!(shift_for(1.0), 1);
        assert_eq!(shift_for(1.5), 1);
        assert_eq!(shift_for(2.0), 2);
        assert_eq!(shift_for(3.9), 2);
        assert_eq!(shift_for(4.0), 3);
    }

    #[test]
    fn gamma_functions_match_known_values() {
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-13);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-13);
        // Q(1, x) = e^-x, Q(3, 2) = 5 e^-2.
        assert!((gamma_q(1.0, 2.5) - (-2.5f64).exp()).abs() < 1e-14);
        assert!((gamma_q(3.0, 2.0) - 5.0 * (-2f64).exp()).abs() < 1e-14);
        assert!((gamma_q(10.0, 20.0) - 0.004995412308).abs() < 1e-11);
    }
}
