//! Synaptic plasticity: sPyNNaker's STDP mechanism (docs/stdp.md §1).

use super::S1615_MAX;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// `STDPMechanism(timing_dependence, weight_dependence, weight, delay, backprop_delay=True)`;
/// the projection's `weight` and `delay` are the mechanism's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stdp {
    pub timing: TimingRule,
    pub weight_dependence: WeightDependence,
    /// The post spike reaches the synapse after the synapse's delay (sPyNNaker's default).
    #[serde(default = "yes")]
    pub backprop_delay: bool,
}

fn yes() -> bool {
    true
}

/// The timing rule; A± belong to it in PyNN and are written by the weight dependence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", deny_unknown_fields)]
pub enum TimingRule {
    /// `SpikePairRule(tau_plus=20, tau_minus=20, A_plus=0.01, A_minus=0.01)`: all-pairs traces.
    SpikePairRule {
        #[serde(default = "tau")]
        tau_plus: f64,
        #[serde(default = "tau")]
        tau_minus: f64,
        #[serde(default = "amplitude", rename = "A_plus")]
        a_plus: f64,
        #[serde(default = "amplitude", rename = "A_minus")]
        a_minus: f64,
    },
    /// `extra_models.SpikeNearestPairRule`, same defaults: nearest spikes only, no traces.
    SpikeNearestPairRule {
        #[serde(default = "tau")]
        tau_plus: f64,
        #[serde(default = "tau")]
        tau_minus: f64,
        #[serde(default = "amplitude", rename = "A_plus")]
        a_plus: f64,
        #[serde(default = "amplitude", rename = "A_minus")]
        a_minus: f64,
    },
}

fn tau() -> f64 {
    20.0
}

fn amplitude() -> f64 {
    0.01
}

/// The weight dependence, `w_min = 0`, `w_max = 1` by default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dependence", deny_unknown_fields)]
pub enum WeightDependence {
    AdditiveWeightDependence {
        #[serde(default)]
        w_min: f64,
        #[serde(default = "one")]
        w_max: f64,
    },
    MultiplicativeWeightDependence {
        #[serde(default)]
        w_min: f64,
        #[serde(default = "one")]
        w_max: f64,
    },
}

fn one() -> f64 {
    1.0
}

impl TimingRule {
    /// (tau_plus, tau_minus, A_plus, A_minus).
    pub fn parameters(&self) -> (f64, f64, f64, f64) {
        match *self {
            TimingRule::SpikePairRule { tau_plus, tau_minus, a_plus, a_minus }
            | TimingRule::SpikeNearestPairRule { tau_plus, tau_minus, a_plus, a_minus } => {
                (tau_plus, tau_minus, a_plus, a_minus)
            }
        }
    }

    pub fn is_nearest(&self) -> bool {
        matches!(self, TimingRule::SpikeNearestPairRule { .. })
    }
}

impl WeightDependence {
    /// (w_min, w_max).
    pub fn bounds(&self) -> (f64, f64) {
        match *self {
            WeightDependence::AdditiveWeightDependence { w_min, w_max }
            | WeightDependence::MultiplicativeWeightDependence { w_min, w_max } => (w_min, w_max),
        }
    }

    pub fn is_additive(&self) -> bool {
        matches!(self, WeightDependence::AdditiveWeightDependence { .. })
    }
}

impl Stdp {
    /// Checks the parameters of one projection's mechanism (`owner` names the projection);
    /// `global_weight_scale` is the post population's (1 for current input, 1024 for conductance),
    /// `dt` the timestep in ms.
    pub fn validate(&self, owner: &str, global_weight_scale: f64, dt: f64) -> Result<()> {
        let (tau_plus, tau_minus, a_plus, a_minus) = self.timing.parameters();
        let (w_min, w_max) = self.weight_dependence.bounds();
        for (name, tau) in [("tau_plus", tau_plus), ("tau_minus", tau_minus)] {
            if !tau.is_finite() || tau <= 0.0 {
                return Err(Error::param(owner, name, format!("{tau} ms must be a finite number > 0")));
            }
            let size = lut_size(dt, tau);
            if size > u16::MAX as usize {
                return Err(Error::param(
                    owner,
                    name,
                    format!("{tau} ms is {} timesteps: its look-up table would have {size} entries, more than the 65535 its 16-bit size holds", tau / dt),
                ));
            }
        }
        for (name, v) in [("A_plus", a_plus), ("A_minus", a_minus), ("w_min", w_min), ("w_max", w_max)] {
            if !v.is_finite() || v < 0.0 {
                return Err(Error::param(owner, name, format!("{v} must be a finite number >= 0")));
            }
        }
        if w_min > w_max {
            return Err(Error::param(owner, "w_min", format!("{w_min} is above w_max = {w_max}")));
        }
        // The region holds them as s16.15 (scaled by the global weight scale, A± only for additive).
        let additive = self.weight_dependence.is_additive();
        for (name, v, scaled) in [
            ("w_min", w_min, true),
            ("w_max", w_max, true),
            ("A_plus", a_plus, additive),
            ("A_minus", a_minus, additive),
        ] {
            let x = if scaled { v * global_weight_scale } else { v };
            if x > S1615_MAX {
                return Err(Error::param(
                    owner,
                    name,
                    format!(
                        "{v}{} is outside the s16.15 range of the synapse-dynamics region (at most {S1615_MAX})",
                        if scaled && global_weight_scale != 1.0 {
                            format!(" × {global_weight_scale}")
                        } else {
                            String::new()
                        }
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A warning when an additive mechanism's A± reach its whole weight range. sPyNNaker 7.4.1
    /// writes additive A± as absolute weight steps (in nA or µS, docs/decisions.md D13), where
    /// NEST's `stdp_synapse` scales them by w_max; with A± ≥ w_max − w_min one close pair moves a
    /// weight from one bound to the other, which is what a script written for NEST's convention
    /// gets here (as on SpiNNaker). `owner` names the projection.
    pub fn amplitude_warning(&self, owner: &str) -> Option<String> {
        let (_, _, a_plus, a_minus) = self.timing.parameters();
        let (w_min, w_max) = self.weight_dependence.bounds();
        let range = w_max - w_min;
        if !self.weight_dependence.is_additive() || range <= 0.0 || a_plus.max(a_minus) < range {
            return None;
        }
        let (name, a) = if a_plus >= a_minus { ("A_plus", a_plus) } else { ("A_minus", a_minus) };
        Some(format!(
            "{owner}: {name} = {a} is {:.3} times the weight range w_max - w_min = {range}: as on SpiNNaker \
             (sPyNNaker 7.4.1), additive A_plus and A_minus are absolute weight steps, not fractions of w_max \
             as in NEST, so one close spike pair moves a weight from one bound to the other; \
             for NEST's meaning give A_plus = {a_plus} * w_max and A_minus = {a_minus} * w_max",
            a / range
        ))
    }

    /// Whether two mechanisms may share a post population (`SynapseDynamicsSTDP.is_same_as`):
    /// same rule and dependence, τ±, A±, w_min and w_max; `backprop_delay` is not compared.
    pub fn is_same_as(&self, other: &Stdp) -> bool {
        self.timing.is_nearest() == other.timing.is_nearest()
            && self.weight_dependence.is_additive() == other.weight_dependence.is_additive()
            && self.timing.parameters() == other.timing.parameters()
            && self.weight_dependence.bounds() == other.weight_dependence.bounds()
    }

    /// sPyNNaker's name of the mechanism, e.g. `SpikePairRule + AdditiveWeightDependence`.
    pub fn describe(&self) -> String {
        let (tp, tm, ap, am) = self.timing.parameters();
        let (lo, hi) = self.weight_dependence.bounds();
        format!(
            "{}(tau_plus={tp}, tau_minus={tm}, A_plus={ap}, A_minus={am}) with {}(w_min={lo}, w_max={hi})",
            if self.timing.is_nearest() { "SpikeNearestPairRule" } else { "SpikePairRule" },
            if self.weight_dependence.is_additive() {
                "AdditiveWeightDependence"
            } else {
                "MultiplicativeWeightDependence"
            }
        )
    }
}

/// Entries of the exponential look-up table of τ at timestep dt (`get_exp_lut_array`, shift 0):
/// `size = 2·(floor(x/2) + (x mod 2 > 0))` with `x = ln(2048)·τ/dt`.
pub fn lut_size(dt: f64, tau: f64) -> usize {
    let l_ambda = dt / tau;
    let size = 2048f64.ln() / l_ambda;
    if !size.is_finite() || size > 1e9 {
        return usize::MAX;
    }
    // Python's divmod(size, 2) for a positive float.
    let q = (size / 2.0).floor();
    let rem = size - 2.0 * q;
    2 * (q as usize + usize::from(rem > 0.0))
}

/// The look-up table `floor(exp(−i·dt/τ)·2048)` for i < [`lut_size`], as the host computes it.
pub fn exp_lut(dt: f64, tau: f64) -> Vec<u16> {
    let l_ambda = dt / tau;
    (0..lut_size(dt, tau)).map(|i| ((i as f64 * -l_ambda).exp() * 2048.0).floor() as u16).collect()
}
