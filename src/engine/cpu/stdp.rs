//! STDP on a neuron core, as the sPyNNaker 7.4.1 `_stdp_mad_{pair,nearest_pair}_{additive,
//! multiplicative}` binaries compute it (docs/stdp.md §6, §7; integer reference
//! `tools/reference/stdp_reference.py`): post-event histories added by the neuron update, plastic
//! rows processed at each pre spike.

use crate::machine::state::NeuronState;
use crate::mapping::StdpCore;
use crate::record::Provenance;

/// Entries of a post-event history (`MAX_POST_SYNAPTIC_EVENTS`).
use crate::mapping::stdp::{HISTORY, TRACE_ONE as ONE};

/// What the row routine needs of the core's synapse parameters.
#[derive(Clone, Copy, Debug)]
pub struct Geometry {
    pub n_bits: u32,
    pub t_bits: u32,
    pub d_bits: u32,
    /// Ring-buffer left shift per synapse type (the binary's per-type weight shift).
    pub shifts: [u32; 2],
    /// Words of the pre-event header (2 pair, 1 nearest pair).
    pub header_words: usize,
}

/// `smulbb; asr #11`: the signed 16×16 product of the low half-words, in s4.11.
#[inline(always)]
fn mul16(a: i32, b: i32) -> i32 {
    ((a as i16 as i32) * (b as i16 as i32)) >> 11
}

/// The accum multiply `(int32)((int64 a · b) >> 15)`.
#[inline(always)]
fn mulk(a: i32, b: i32) -> i32 {
    ((a as i64 * b as i64) >> 15) as i32
}

/// `maths_lut_exponential_decay` (shift 0): `lut[Δ]`, 0 for any Δ beyond the table (unsigned).
#[inline(always)]
fn decay(lut: &[u16], dt: u32) -> i32 {
    lut.get(dt as usize).map_or(0, |&v| v as i16 as i32)
}

/// Adds a post spike of local neuron `n` at tick `t` to its history (pair 0x3a78, nearest 0x3a70).
pub fn add_post(st: &StdpCore, s: &mut NeuronState, n: usize, t: u32) {
    let base = n * HISTORY;
    let c = s.post_count[n] as usize;
    let pair = !st.nearest;
    let trace = if pair {
        let (last_t, last_tr) = (s.post_times[base + c], s.post_traces[base + c]);
        (mul16(last_tr as i32, decay(&st.lut_minus, t.wrapping_sub(last_t))) + ONE) as i16
    } else {
        0
    };
    let k = if c < HISTORY - 1 {
        s.post_count[n] += 1;
        c + 1
    } else {
        // Full: entries 2..15 move down one; entry 0 (the placeholder) stays.
        s.post_times.copy_within(base + 2..base + HISTORY, base + 1);
        if pair {
            s.post_traces.copy_within(base + 2..base + HISTORY, base + 1);
        }
        HISTORY - 1
    };
    s.post_times[base + k] = t;
    if pair {
        s.post_traces[base + k] = trace;
    }
}

/// Processes the plastic part of a row for a spike handled at tick `time` with `colour_delay`
/// (pair 0x3cac, nearest 0x3b80): updates the pre-event header, every synapse's weight (from the
/// post events in its window), delivers the new weights into the ring buffer and writes them back.
/// `start` is the row's plastic region in `s.plastic`, `ctrl` its control half-words.
#[allow(clippy::too_many_arguments)]
pub fn process_plastic_row(
    st: &StdpCore,
    g: &Geometry,
    s: &mut NeuronState,
    prov: &mut Provenance,
    start: usize,
    ctrl: &[u16],
    time: u32,
    colour_delay: u32,
) {
    let pair = !st.nearest;
    let big_t = time.wrapping_sub(colour_delay);
    prov.pre_synaptic_events += ctrl.len() as u64;
    // The header is rewritten first; the synapses use the old values.
    let last_time = s.plastic[start];
    let last_trace = if pair { s.plastic[start + 1] as u16 as i16 as i32 } else { 0 };
    s.plastic[start] = big_t;
    if pair {
        let tr = (mul16(last_trace, decay(&st.lut_plus, big_t.wrapping_sub(last_time))) + ONE) as u16 as u32;
        s.plastic[start + 1] = (s.plastic[start + 1] & 0xFFFF_0000) | tr;
    }
    let (n_bits, t_bits) = (g.n_bits, g.t_bits);
    let (n_mask, t_mask, d_mask) = ((1u32 << n_bits) - 1, (1u32 << t_bits) - 1, (1u32 << g.d_bits) - 1);
    let ti_mask = (1u32 << (n_bits + t_bits)) - 1;
    let weights = start + g.header_words;
    for (i, &c) in ctrl.iter().enumerate() {
        let c = c as u32;
        let typ = ((c >> n_bits) & t_mask) as usize;
        let d = (c >> (n_bits + t_bits)) & d_mask;
        let j = (c & n_mask) as usize;
        let [w_min, w_max, a_plus, a_minus] = st.weight_params[typ];
        let shift = g.shifts[typ.min(1)];
        let (word, half) = (weights + i / 2, 16 * (i % 2) as u32);
        let w16 = (s.plastic[word] >> half) & 0xFFFF;
        let mut w = (w16 << shift) as i32;
        let potentiate = |w: i32, x: i32| {
            if st.additive {
                let w = w.wrapping_add(mulk(x, a_plus));
                if w_max < w {
                    w_max
                } else {
                    w
                }
            } else {
                w.wrapping_add(mulk(mulk(w_max.wrapping_sub(w), a_plus), x))
            }
        };
        let depress = |w: i32, x: i32| {
            if st.additive {
                let w = w.wrapping_sub(mulk(x, a_minus));
                if w_min < w {
                    w
                } else {
                    w_min
                }
            } else {
                w.wrapping_sub(mulk(mulk(w.wrapping_sub(w_min), a_minus), x))
            }
        };
        let dd = if st.backprop_delay { d } else { 0 };
        // Clamped at 0 (the depression Δ below uses the unclamped T − d).
        let begin = last_time.saturating_sub(dd);
        let end = big_t.saturating_sub(dd);
        // post_events_get_window_delayed: `prev` = the newest entry ≤ begin (or the placeholder),
        // the window = the following entries ≤ end, oldest first.
        let base = j * HISTORY;
        let count = s.post_count[j] as usize;
        let times = &s.post_times[base..base + count + 1];
        let mut prev = count;
        while prev > 0 && times[prev] > begin {
            prev -= 1;
        }
        let trace_of = |k: usize| if pair { s.post_traces[base + k] as i32 } else { 0 };
        let (mut prev_t, mut prev_tr) = (times[prev], trace_of(prev));
        let mut any = false;
        for (k, &tp) in times.iter().enumerate().skip(prev + 1) {
            if tp > end {
                continue;
            }
            any = true;
            let dpre = tp.wrapping_add(dd).wrapping_sub(last_time);
            if dpre != 0 {
                let x = if pair {
                    mul16(last_trace, decay(&st.lut_plus, dpre)) << 4
                } else {
                    // Potentiation only when this post spike is the nearest one after the pre spike;
                    // the previous post time is not delayed (docs/stdp.md §7).
                    let dpost = tp.wrapping_add(dd).wrapping_sub(prev_t);
                    if dpre <= dpost {
                        decay(&st.lut_plus, dpre) << 4
                    } else {
                        0
                    }
                };
                w = potentiate(w, x);
            }
            (prev_t, prev_tr) = (tp, trace_of(k));
        }
        if any || prev != 0 {
            // Δ from the unclamped T − d; a wrap reads 0 from the LUT.
            let dpost = big_t.wrapping_sub(dd).wrapping_sub(prev_t);
            let x =
                if pair { mul16(prev_tr, decay(&st.lut_minus, dpost)) << 4 } else { decay(&st.lut_minus, dpost) << 4 };
            w = depress(w, x);
        }
        let w_new = ((w >> shift) as u32) & 0xFFFF;
        if d > colour_delay {
            let idx = ((((big_t.wrapping_add(d)) & d_mask) << (n_bits + t_bits)) | (c & ti_mask)) as usize;
            let acc = s.ring[idx] as u32 + w_new;
            if acc & 0xFFFF_0000 != 0 {
                s.ring[idx] = 0xFFFF;
                prov.plastic_weight_saturations += 1;
            } else {
                s.ring[idx] = acc as u16;
            }
        } else {
            prov.synapses_skipped += 1;
        }
        s.plastic[word] = (s.plastic[word] & !(0xFFFF << half)) | (w_new << half);
    }
}
