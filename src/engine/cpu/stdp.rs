//! STDP on a neuron core, as the sPyNNaker 7.4.1 `_stdp_mad_{pair,nearest_pair}_{additive,
//! multiplicative}` binaries compute it (docs/stdp.md §6, §7; integer reference
//! `tools/reference/stdp_reference.py`): post-event histories added by the neuron update, plastic
//! rows processed at each pre spike.

use crate::machine::state::NeuronState;
use crate::mapping::StdpCore;
use crate::record::Provenance;

/// Entries of a post-event history (`MAX_POST_SYNAPTIC_EVENTS`).
use crate::mapping::stdp::{HISTORY, TRACE_ONE as ONE};
use crate::mapping::words::SynapseFields;

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
    let big_t = time.wrapping_sub(colour_delay);
    prov.pre_synaptic_events += ctrl.len() as u64;
    // The header is rewritten first; the synapses use the old values.
    let pre = update_pre_header(st, &mut s.plastic, start, big_t);
    let control = SynapseFields { n_bits: g.n_bits, t_bits: g.t_bits, d_bits: g.d_bits };
    let weights = start + g.header_words;
    for (i, &c) in ctrl.iter().enumerate() {
        let c = c as u32;
        let (j, typ, d) = control_fields(control, c);
        let rule = WeightRule::of(st, typ);
        let shift = g.shifts[typ.min(1)];
        let (word, half) = (weights + i / 2, 16 * (i % 2) as u32);
        let w16 = (s.plastic[word] >> half) & 0xFFFF;
        let dd = if st.backprop_delay { d } else { 0 };
        let w = apply_post_spikes(st, s, rule, pre, j, dd, (w16 << shift) as i32);
        let w_new = ((w >> shift) as u32) & 0xFFFF;
        if d > colour_delay {
            add_to_ring_buffer(&mut s.ring[ring_index(control, c, big_t.wrapping_add(d))], w_new, prov);
        } else {
            prov.synapses_skipped += 1;
        }
        s.plastic[word] = (s.plastic[word] & !(0xFFFF << half)) | (w_new << half);
    }
}

/// A pre spike as a plastic row sees it: its time `t` (the tick minus the colour delay), and the
/// time and trace of the row's previous pre spike, as the pre-event header held them.
#[derive(Clone, Copy)]
struct PreSpike {
    t: u32,
    last_time: u32,
    last_trace: i32,
}

/// Writes a pre spike at `t` into the pre-event header at `plastic[start..]`: its time, and for
/// the pair rule the previous trace decayed to `t`, plus one. Returns the spike with what the
/// header held before.
#[inline]
fn update_pre_header(st: &StdpCore, plastic: &mut [u32], start: usize, t: u32) -> PreSpike {
    let pair = !st.nearest;
    let last_time = plastic[start];
    let last_trace = if pair { plastic[start + 1] as u16 as i16 as i32 } else { 0 };
    plastic[start] = t;
    if pair {
        let tr = (mul16(last_trace, decay(&st.lut_plus, t.wrapping_sub(last_time))) + ONE) as u16 as u32;
        plastic[start + 1] = (plastic[start + 1] & 0xFFFF_0000) | tr;
    }
    PreSpike { t, last_time, last_trace }
}

/// The post neuron (local index), synapse type and delay (ticks) of a control half-word.
#[inline]
fn control_fields(f: SynapseFields, c: u32) -> (usize, usize, u32) {
    (f.index(c) as usize, f.synapse_type(c) as usize, f.delay(c))
}

/// The ring-buffer entry of the synapse of control half-word `c` for tick `t`: the slot of `t`,
/// then the synapse's type and neuron.
#[inline]
fn ring_index(f: SynapseFields, c: u32, t: u32) -> usize {
    (((t & ((1 << f.d_bits) - 1)) << (f.n_bits + f.t_bits)) | f.type_and_index(c)) as usize
}

/// The weight dependence of one synapse type: additive or multiplicative, with its w_min, w_max,
/// A+ and A− (s16.15).
#[derive(Clone, Copy)]
struct WeightRule {
    additive: bool,
    w_min: i32,
    w_max: i32,
    a_plus: i32,
    a_minus: i32,
}

impl WeightRule {
    /// The weight dependence of synapse type `typ` of a core.
    #[inline]
    fn of(st: &StdpCore, typ: usize) -> Self {
        let [w_min, w_max, a_plus, a_minus] = st.weight_params[typ];
        WeightRule { additive: st.additive, w_min, w_max, a_plus, a_minus }
    }

    /// `w` potentiated by `x`: additive up to w_max, multiplicative by the room left below it.
    #[inline]
    fn potentiate(self, w: i32, x: i32) -> i32 {
        if self.additive {
            let w = w.wrapping_add(mulk(x, self.a_plus));
            if self.w_max < w {
                self.w_max
            } else {
                w
            }
        } else {
            w.wrapping_add(mulk(mulk(self.w_max.wrapping_sub(w), self.a_plus), x))
        }
    }

    /// `w` depressed by `x`: additive down to w_min, multiplicative by the room left above it.
    #[inline]
    fn depress(self, w: i32, x: i32) -> i32 {
        if self.additive {
            let w = w.wrapping_sub(mulk(x, self.a_minus));
            if self.w_min < w {
                w
            } else {
                self.w_min
            }
        } else {
            w.wrapping_sub(mulk(mulk(w.wrapping_sub(self.w_min), self.a_minus), x))
        }
    }
}

/// Weight `w` of a synapse onto neuron `j` (its dendritic delay `dd`, 0 without backprop delay)
/// at the pre spike `pre`: potentiated by each post spike in its window (since the previous pre
/// spike), then depressed by the latest post spike up to this one (docs/stdp.md §7).
#[inline]
fn apply_post_spikes(
    st: &StdpCore,
    s: &NeuronState,
    rule: WeightRule,
    pre: PreSpike,
    j: usize,
    dd: u32,
    w: i32,
) -> i32 {
    let pair = !st.nearest;
    // Clamped at 0 (the depression Δ below uses the unclamped T − d).
    let begin = pre.last_time.saturating_sub(dd);
    let end = pre.t.saturating_sub(dd);
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
    let mut w = w;
    for (k, &tp) in times.iter().enumerate().skip(prev + 1) {
        if tp > end {
            continue;
        }
        any = true;
        let dpre = tp.wrapping_add(dd).wrapping_sub(pre.last_time);
        if dpre != 0 {
            w = rule.potentiate(w, potentiation(st, pre.last_trace, dpre, tp.wrapping_add(dd).wrapping_sub(prev_t)));
        }
        (prev_t, prev_tr) = (tp, trace_of(k));
    }
    if any || prev != 0 {
        // Δ from the unclamped T − d; a wrap reads 0 from the LUT.
        let dpost = pre.t.wrapping_sub(dd).wrapping_sub(prev_t);
        w = rule.depress(w, depression(st, prev_tr, dpost));
    }
    w
}

/// How much a post spike potentiates, `dpre` ticks after the pre spike (whose trace is
/// `last_trace`) and `dpost` after the post spike before it: the pre trace decayed (pair rule),
/// or for the nearest-pair rule the decay alone, and only when this post spike is the nearest
/// one after the pre spike (the previous post time is not delayed, docs/stdp.md §7).
#[inline]
fn potentiation(st: &StdpCore, last_trace: i32, dpre: u32, dpost: u32) -> i32 {
    if !st.nearest {
        mul16(last_trace, decay(&st.lut_plus, dpre)) << 4
    } else if dpre <= dpost {
        decay(&st.lut_plus, dpre) << 4
    } else {
        0
    }
}

/// How much the pre spike depresses, `dpost` ticks after the last post spike before it (whose
/// trace is `post_trace`): the post trace decayed (pair rule), or the decay alone (nearest pair).
#[inline]
fn depression(st: &StdpCore, post_trace: i32, dpost: u32) -> i32 {
    if !st.nearest {
        mul16(post_trace, decay(&st.lut_minus, dpost)) << 4
    } else {
        decay(&st.lut_minus, dpost) << 4
    }
}

/// Adds a new weight to a ring-buffer entry; a sum past 16 bits saturates at 0xFFFF and is
/// counted.
#[inline]
fn add_to_ring_buffer(entry: &mut u16, w: u32, prov: &mut Provenance) {
    let acc = *entry as u32 + w;
    if acc & 0xFFFF_0000 != 0 {
        *entry = 0xFFFF;
        prov.plastic_weight_saturations += 1;
    } else {
        *entry = acc as u16;
    }
}
