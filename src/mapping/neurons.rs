//! Neuron parameters as the host encodes them (docs/semantics.md §1.4) and the derived constants as the binary
//! computes them at initialisation (docs/semantics.md §5.2–5.4), per arithmetic profile.

use super::image::{NeuronArrays, Profile};
use crate::error::{Error, Result};
use crate::fixed::{ceil_accum, decay_s1615_to_u032, encode_s1615, expk, expulr, kdivk, kdivui};
use crate::model::{CellType, ResolvedParams};

/// The Izhikevich model's constants as the binary holds them (s16.15; docs/semantics.md §5.4).
pub const IZK_MAGIC: i32 = 1311; // 0.04 as the binary rounds it (0.04 × 2^15 = 1310.72; docs/decisions.md D4)
pub const IZK_140: i32 = 140 << 15;
pub const IZK_5: i32 = 5 << 15;
pub const IZK_SPIKE_H: i32 = 60620; // 1.85k after truncation
pub const IZK_THRESHOLD: i32 = 30 << 15;

/// Encodes a value as s16.15 with the host's Decimal rounding, naming the parameter on failure.
pub fn s1615(owner: &str, name: &str, v: f64) -> Result<i32> {
    encode_s1615(v).map_err(|e| Error::param(owner, name, e.to_string()))
}

/// Exponential-synapse decay and init factors (u0.32) for time constant `tau` (raw s16.15).
fn synapse_factors(profile: Profile, dt_ms: f64, ts: i32, tau_ms: f64, tau: i32) -> (u32, u32) {
    match profile {
        Profile::Spinnaker7 => {
            let decay = expulr(-kdivk(ts, tau));
            let init = decay_s1615_to_u032(kdivk(tau, ts), 0xFFFF_FFFF - decay);
            (decay, init)
        }
        Profile::Spinnaker2019 => {
            let e = (-dt_ms / tau_ms).exp();
            let u032 = |x: f64| (x * 4294967296.0).round().min(4294967295.0) as u32;
            (u032(e), u032(tau_ms / dt_ms * (1.0 - e)))
        }
    }
}

/// The per-neuron arrays of one slice `[lo, lo + n)` of a population.
pub fn neuron_arrays(
    owner: &str,
    model: CellType,
    p: &ResolvedParams,
    lo: usize,
    n: usize,
    dt_ms: f64,
    profile: Profile,
) -> Result<NeuronArrays> {
    let dt = s1615(owner, "timestep", dt_ms)?;
    let ts = kdivui(dt, 1);
    let mut a = NeuronArrays::default();
    let col = |name: &str| -> &[f64] { &p.get(name)[lo..lo + n] };
    let enc = |name: &str| -> Result<Vec<i32>> { col(name).iter().map(|&v| s1615(owner, name, v)).collect() };

    a.v = enc("v")?;
    a.isyn_exc = enc("isyn_exc")?;
    a.isyn_inh = enc("isyn_inh")?;
    if model != CellType::IfCurrDelta {
        for (tau_name, decay, init) in
            [("tau_syn_E", &mut a.exc_decay, &mut a.exc_init), ("tau_syn_I", &mut a.inh_decay, &mut a.inh_init)]
        {
            for &tau_ms in col(tau_name) {
                let tau = s1615(owner, tau_name, tau_ms)?;
                let (d, i) = synapse_factors(profile, dt_ms, ts, tau_ms, tau);
                decay.push(d);
                init.push(i);
            }
        }
    }
    if model == CellType::IfCurrDelta {
        a.delta_scale = vec![kdivk(crate::fixed::ONE_S1615, ts); n];
    }
    if model.is_conductance() {
        a.e_rev_e = enc("e_rev_E")?;
        a.e_rev_i = enc("e_rev_I")?;
    }
    match model {
        CellType::IfCurrExp | CellType::IfCondExp | CellType::IfCurrDelta => {
            a.v_rest = enc("v_rest")?;
            a.v_reset = enc("v_reset")?;
            a.v_thresh = enc("v_thresh")?;
            a.i_offset = enc("i_offset")?;
            let (tau_m, cm, tau_refrac) = (col("tau_m"), col("cm"), col("tau_refrac"));
            for k in 0..n {
                let tm = s1615(owner, "tau_m", tau_m[k])?;
                let c = s1615(owner, "cm", cm[k])?;
                let tr = s1615(owner, "tau_refrac", tau_refrac[k])?;
                let (r, exp_tc) = match profile {
                    Profile::Spinnaker7 => (kdivk(tm, c), expk(-kdivk(ts, tm))),
                    Profile::Spinnaker2019 => (
                        s1615(owner, "tau_m/cm", tau_m[k] / cm[k])?,
                        ((-dt_ms / tau_m[k]).exp() * 32768.0).floor() as i32,
                    ),
                };
                if c == 0 || tm == 0 {
                    return Err(Error::param(owner, "cm/tau_m", format!("neuron {}: rounds to 0 in s16.15", lo + k)));
                }
                a.r_membrane.push(r);
                a.exp_tc.push(exp_tc);
                a.t_refract.push(ceil_accum(kdivk(tr, ts)));
            }
        }
        CellType::Izhikevich | CellType::IzhikevichCond => {
            a.a = enc("a")?;
            a.b = enc("b")?;
            a.c = enc("c")?;
            a.d = enc("d")?;
            a.u = enc("u")?;
            a.i_offset = enc("i_offset")?;
            a.this_h = vec![dt; n];
            a.reset_h = vec![ts; n];
        }
        CellType::SpikeSourceArray | CellType::SpikeSourcePoisson => {
            unreachable!("sources have no neuron arrays")
        }
    }
    Ok(a)
}
