//! Stage 2b of a tick: every neuron in index order (§6.1): record, integrate, threshold, send, decay.

use super::record::{record_sample, record_spike};
use super::state::{CoreRun, CoreState, NeuronState, Packet};
use crate::fixed::{decay_s1615, half_k, mul_k};
use crate::mapping::{Core, CurrentSourceImage, NeuronArrays, NeuronCore};
use crate::model::CellType;

/// Izhikevich constants as the binary holds them (§6.4).
const IZK_MAGIC: i32 = 1311; // 0.04k after truncation
const IZK_140: i32 = 140 << 15;
const IZK_5: i32 = 5 << 15;
const IZK_SPIKE_H: i32 = 60620; // 1.85k after truncation
const IZK_THRESHOLD: i32 = 30 << 15;

/// `current_source_get_offset` for neuron `n` at tick `t`. Step sources keep (index, amplitude) per
/// source and advance at most one step per evaluation (docs/decisions.md D6).
fn current_source_offset(sources: &[CurrentSourceImage], steps: &mut [(usize, i32)], t: u32, n: u32) -> i32 {
    let mut total = 0i32;
    for (s, step) in sources.iter().zip(steps.iter_mut()) {
        match s {
            CurrentSourceImage::Dc { neurons, amplitude, start, stop } => {
                if t >= *start && t < *stop && neurons.binary_search(&n).is_ok() {
                    total = total.wrapping_add(*amplitude);
                }
            }
            CurrentSourceImage::Step { neurons, times, amplitudes } => {
                if neurons.binary_search(&n).is_ok() {
                    let (idx, amp) = step;
                    if *idx < times.len() && t >= times[*idx] {
                        *amp = amplitudes[*idx];
                        *idx += 1;
                    }
                    total = total.wrapping_add(*amp);
                }
            }
        }
    }
    total
}

/// One LIF update (`lif_neuron_closed_form`); returns the new V.
fn lif(a: &NeuronArrays, s: &mut NeuronState, n: usize, input: i32) -> i32 {
    if s.refract_timer[n] <= 0 {
        let alpha = mul_k(input, a.r_membrane[n]).wrapping_add(a.v_rest[n]);
        alpha.wrapping_sub(mul_k(a.exp_tc[n], alpha.wrapping_sub(s.v[n])))
    } else {
        s.refract_timer[n] -= 1;
        s.v[n]
    }
}

/// One Izhikevich step (`rk2_kernel_midpoint`); updates U, returns the new V.
fn izhikevich(a: &NeuronArrays, s: &mut NeuronState, n: usize, input: i32) -> i32 {
    let (v, u, h) = (s.v[n], s.u[n], s.this_h[n]);
    let pre = IZK_140.wrapping_add(input).wrapping_sub(u);
    let alpha = pre.wrapping_add(mul_k(IZK_5.wrapping_add(mul_k(IZK_MAGIC, v)), v));
    let eta = v.wrapping_add(half_k(mul_k(h, alpha)));
    // The binary groups the multiplies as (b⊗V − U) ⊗ (h⊗a), sharing h⊗a with the U update
    // (docs/decisions.md D4); the C source's order gives other bits.
    let ha = mul_k(h, a.a[n]);
    let beta = half_k(mul_k(mul_k(a.b[n], v).wrapping_sub(u), ha));
    let v_new = v.wrapping_add(mul_k(
        h,
        pre.wrapping_sub(beta).wrapping_add(mul_k(IZK_5.wrapping_add(mul_k(IZK_MAGIC, eta)), eta)),
    ));
    s.u[n] = u.wrapping_add(mul_k(ha, mul_k(a.b[n], eta).wrapping_sub(u.wrapping_add(beta))));
    s.this_h[n] = a.reset_h[n];
    v_new
}

pub fn neuron_update(core: &Core, nc: &NeuronCore, run: &mut CoreRun, t: u32) {
    let CoreState::Neuron(s) = &mut run.state else { return };
    let a = &nc.neurons;
    let model = nc.model;
    let cond = model.is_conductance();
    let colour_mask = (1u32 << core.n_colour_bits) - 1;
    let colour = s.colour & colour_mask;
    let mut v_rec = Vec::new();
    let mut ge_rec = Vec::new();
    let mut gi_rec = Vec::new();
    let mut spiked = Vec::new();
    for n in 0..a.v.len() {
        let vs = s.v[n];
        let (mut exc, mut inh) = (s.isyn_exc[n], s.isyn_inh[n]);
        if cond {
            exc >>= 10;
            inh >>= 10;
        }
        v_rec.push(vs);
        ge_rec.push(exc);
        gi_rec.push(inh);
        if cond {
            exc = mul_k(exc, a.e_rev_e[n].wrapping_sub(vs));
            inh = mul_k(inh.wrapping_neg(), a.e_rev_i[n].wrapping_sub(vs));
        }
        if model == CellType::IfCurrDelta {
            // Delta input is scaled by 1/ts (docs/decisions.md D3); gsyn was recorded unscaled.
            exc = mul_k(exc, a.delta_scale[n]);
            inh = mul_k(inh, a.delta_scale[n]);
        }
        let i_cs = current_source_offset(&nc.current_sources, &mut run.step_sources, t, n as u32);
        let input = exc.wrapping_sub(inh).wrapping_add(0).wrapping_add(a.i_offset[n]).wrapping_add(i_cs);
        let (v_new, spike) = match model {
            CellType::Izhikevich | CellType::IzhikevichCond => {
                let v = izhikevich(a, s, n, input);
                (v, v >= IZK_THRESHOLD)
            }
            _ => {
                let v = lif(a, s, n, input);
                (v, v >= a.v_thresh[n])
            }
        };
        s.v[n] = v_new;
        if spike {
            match model {
                CellType::Izhikevich | CellType::IzhikevichCond => {
                    s.v[n] = a.c[n];
                    s.u[n] = s.u[n].wrapping_add(a.d[n]);
                    s.this_h[n] = mul_k(a.reset_h[n], IZK_SPIKE_H);
                }
                _ => {
                    s.v[n] = a.v_reset[n];
                    s.refract_timer[n] = a.t_refract[n];
                }
            }
            spiked.push(n as u32);
            if nc.sends {
                let key = core.key.expect("a sending core has a key") + ((n as u32) << core.n_colour_bits) | colour;
                run.outbox.push(Packet { key, count: 1 });
            }
        }
        // synapse_types_shape_input
        if model == CellType::IfCurrDelta {
            s.isyn_exc[n] = 0;
            s.isyn_inh[n] = 0;
        } else {
            s.isyn_exc[n] = decay_s1615(s.isyn_exc[n], a.exc_decay[n]);
            s.isyn_inh[n] = decay_s1615(s.isyn_inh[n], a.inh_decay[n]);
        }
    }
    s.colour = s.colour.wrapping_add(1);
    run.prov.packets_sent += if nc.sends { spiked.len() as u64 } else { 0 };
    let rec = &core.recording;
    for (name, spec, values) in [("v", &rec.v, &v_rec), ("gsyn_exc", &rec.gsyn_exc, &ge_rec), ("gsyn_inh", &rec.gsyn_inh, &gi_rec)] {
        if let Some(spec) = spec {
            record_sample(run, name, spec, values, t);
        }
    }
    if let Some(spec) = &rec.spikes {
        record_spike(run, spec, &spiked, core.lo_atom, t);
    }
}

