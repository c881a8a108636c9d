//! Stage 2b of a tick: every neuron in index order (docs/semantics.md §5.1): record, integrate, threshold, send, decay.
//! One loop per model family (const generics), with no allocation per tick.

use crate::fixed::{decay_s1615, half_k, mul_k};
use crate::machine::recording::record_spike;
use crate::machine::state::{CoreRun, CoreState, NeuronState, Packet};
use crate::mapping::{Core, CurrentSourceImage, NeuronArrays, NeuronCore};
use crate::model::CellType;
use crate::record::SampledRecording;

/// Izhikevich constants as the binary holds them (docs/semantics.md §5.4).
use crate::mapping::neurons::{IZK_140, IZK_5, IZK_MAGIC, IZK_SPIKE_H, IZK_THRESHOLD};

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
#[inline(always)]
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
#[inline(always)]
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

/// The update loop of one model family. `COND`: conductance input; `DELTA`: delta synapses;
/// `IZK`: Izhikevich (otherwise LIF); `CS`: the core has current sources.
#[inline(always)]
fn update_loop<const COND: bool, const DELTA: bool, const IZK: bool, const CS: bool>(
    nc: &NeuronCore,
    s: &mut NeuronState,
    steps: &mut [(usize, i32)],
    spiked: &mut Vec<u32>,
    t: u32,
) {
    let a = &nc.neurons;
    for n in 0..a.v.len() {
        let vs = s.v[n];
        let (mut exc, mut inh) = (s.isyn_exc[n], s.isyn_inh[n]);
        if COND {
            exc = mul_k(exc >> 10, a.e_rev_e[n].wrapping_sub(vs));
            inh = mul_k((inh >> 10).wrapping_neg(), a.e_rev_i[n].wrapping_sub(vs));
        }
        if DELTA {
            // Delta input is scaled by 1/ts (docs/decisions.md D3); gsyn is recorded unscaled.
            exc = mul_k(exc, a.delta_scale[n]);
            inh = mul_k(inh, a.delta_scale[n]);
        }
        let i_cs = if CS { current_source_offset(&nc.current_sources, steps, t, n as u32) } else { 0 };
        let input = exc.wrapping_sub(inh).wrapping_add(a.i_offset[n]).wrapping_add(i_cs);
        if IZK {
            let v = izhikevich(a, s, n, input);
            if v >= IZK_THRESHOLD {
                s.v[n] = a.c[n];
                s.u[n] = s.u[n].wrapping_add(a.d[n]);
                s.this_h[n] = mul_k(a.reset_h[n], IZK_SPIKE_H);
                spiked.push(n as u32);
            } else {
                s.v[n] = v;
            }
        } else {
            let v = lif(a, s, n, input);
            if v >= a.v_thresh[n] {
                s.v[n] = a.v_reset[n];
                s.refract_timer[n] = a.t_refract[n];
                spiked.push(n as u32);
            } else {
                s.v[n] = v;
            }
        }
        // synapse_types_shape_input
        if DELTA {
            s.isyn_exc[n] = 0;
            s.isyn_inh[n] = 0;
        } else {
            s.isyn_exc[n] = decay_s1615(s.isyn_exc[n], a.exc_decay[n]);
            s.isyn_inh[n] = decay_s1615(s.isyn_inh[n], a.inh_decay[n]);
        }
    }
}

/// The LIF loop of a core without current sources: every array sliced to the core's neurons
/// (no bounds checks), selects instead of branches, so that the compiler can pipeline it.
#[inline(always)]
fn lif_loop<const COND: bool, const DELTA: bool>(nc: &NeuronCore, s: &mut NeuronState, spiked: &mut Vec<u32>) {
    let a = &nc.neurons;
    let n = a.v.len();
    let (v, ie, ii, rt) = (&mut s.v[..n], &mut s.isyn_exc[..n], &mut s.isyn_inh[..n], &mut s.refract_timer[..n]);
    let (ioff, rm, vrest, etc) = (&a.i_offset[..n], &a.r_membrane[..n], &a.v_rest[..n], &a.exp_tc[..n]);
    let (vth, vreset, tref) = (&a.v_thresh[..n], &a.v_reset[..n], &a.t_refract[..n]);
    let (erev_e, erev_i) = if COND { (&a.e_rev_e[..n], &a.e_rev_i[..n]) } else { (&[][..], &[][..]) };
    let scale = if DELTA { &a.delta_scale[..n] } else { &[][..] };
    let (ed, id) = if DELTA { (&[][..], &[][..]) } else { (&a.exc_decay[..n], &a.inh_decay[..n]) };
    for k in 0..n {
        let vs = v[k];
        let (mut exc, mut inh) = (ie[k], ii[k]);
        if COND {
            exc = mul_k(exc >> 10, erev_e[k].wrapping_sub(vs));
            inh = mul_k((inh >> 10).wrapping_neg(), erev_i[k].wrapping_sub(vs));
        }
        if DELTA {
            exc = mul_k(exc, scale[k]);
            inh = mul_k(inh, scale[k]);
        }
        let input = exc.wrapping_sub(inh).wrapping_add(ioff[k]);
        let alpha = mul_k(input, rm[k]).wrapping_add(vrest[k]);
        let integrated = alpha.wrapping_sub(mul_k(etc[k], alpha.wrapping_sub(vs)));
        let r = rt[k];
        let active = r <= 0;
        let vn = if active { integrated } else { vs };
        let rn = if active { r } else { r - 1 };
        let spike = vn >= vth[k];
        v[k] = if spike { vreset[k] } else { vn };
        rt[k] = if spike { tref[k] } else { rn };
        if spike {
            spiked.push(k as u32);
        }
        if DELTA {
            ie[k] = 0;
            ii[k] = 0;
        } else {
            ie[k] = decay_s1615(ie[k], ed[k]);
            ii[k] = decay_s1615(ii[k], id[k]);
        }
    }
}

/// Samples v (before the update) and gsyn (after the ring input, before the decay) at sampling ticks.
fn record_state(core: &Core, nc: &NeuronCore, s: &NeuronState, sampled: &mut [SampledRecording], t: u32) {
    let rec = &core.recording;
    let shift = if nc.model.is_conductance() { 10 } else { 0 };
    for r in sampled.iter_mut() {
        let (spec, values, shift) = match r.variable {
            "v" => (&rec.v, &s.v, 0),
            "gsyn_exc" => (&rec.gsyn_exc, &s.isyn_exc, shift),
            _ => (&rec.gsyn_inh, &s.isyn_inh, shift),
        };
        let Some(spec) = spec else { continue };
        if t % spec.rate == 0 {
            r.ticks.push(t);
            r.values.extend(spec.neurons.iter().map(|&n| values[n as usize] >> shift));
        }
    }
}

pub fn neuron_update(core: &Core, nc: &NeuronCore, run: &mut CoreRun, t: u32) {
    let CoreRun { state, sampled, spiked, step_sources: steps, outbox, prov, .. } = run;
    let CoreState::Neuron(s) = state else { return };
    if !sampled.is_empty() {
        record_state(core, nc, s, sampled, t);
    }
    spiked.clear();
    let cs = !nc.current_sources.is_empty();
    match (nc.model, cs) {
        (CellType::IfCurrExp, false) => lif_loop::<false, false>(nc, s, spiked),
        (CellType::IfCurrExp, true) => update_loop::<false, false, false, true>(nc, s, steps, spiked, t),
        (CellType::IfCondExp, false) => lif_loop::<true, false>(nc, s, spiked),
        (CellType::IfCondExp, true) => update_loop::<true, false, false, true>(nc, s, steps, spiked, t),
        (CellType::IfCurrDelta, false) => lif_loop::<false, true>(nc, s, spiked),
        (CellType::IfCurrDelta, true) => update_loop::<false, true, false, true>(nc, s, steps, spiked, t),
        (CellType::Izhikevich, false) => update_loop::<false, false, true, false>(nc, s, steps, spiked, t),
        (CellType::Izhikevich, true) => update_loop::<false, false, true, true>(nc, s, steps, spiked, t),
        (CellType::IzhikevichCond, false) => update_loop::<true, false, true, false>(nc, s, steps, spiked, t),
        (CellType::IzhikevichCond, true) => update_loop::<true, false, true, true>(nc, s, steps, spiked, t),
        (CellType::SpikeSourceArray | CellType::SpikeSourcePoisson, _) => {}
    }
    // STDP: each spike enters its neuron's post-event history (after recording, before sending).
    if let Some(st) = &nc.stdp {
        for &n in spiked.iter() {
            super::stdp::add_post(st, s, n as usize, t);
        }
    }
    // Spikes leave in neuron-index order, with the core's colour.
    let colour = s.colour & ((1u32 << core.n_colour_bits) - 1);
    s.colour = s.colour.wrapping_add(1);
    if nc.sends {
        let key = core.key.expect("a sending core has a key");
        outbox.extend(spiked.iter().map(|&n| Packet { key: (key + (n << core.n_colour_bits)) | colour, count: 1 }));
        prov.packets_sent += spiked.len() as u64;
    }
    if let Some(spec) = &core.recording.spikes {
        let spiked = std::mem::take(&mut run.spiked);
        record_spike(run, spec, &spiked, core.lo_atom, t);
        run.spiked = spiked;
    }
}
