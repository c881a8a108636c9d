//! STDP on the host (docs/stdp.md §2, §4): the synapse-dynamics region of a post core and the
//! layout of plastic rows, as `synapse_dynamics_stdp.py` and the timing / weight dependences write them.

use super::image::StdpCore;
use super::words::{put_half_word, RowHeader};
use crate::error::{Error, Result};
use crate::fixed::encode_s1615;
use crate::model::{exp_lut, Stdp};

/// `POP_TABLE_MAX_ROW_LENGTH` applied to a plastic row: at most this many synapses (docs/stdp.md §2).
pub const MAX_PLASTIC_SYNAPSES: usize = 254;

/// Entries of a neuron's post-event history (`count_minus_one` counts those after entry 0).
pub const HISTORY: usize = 16;
/// `STDP_FIXED_POINT_ONE`: 1 in the s4.11 of traces and LUT values.
pub const TRACE_ONE: i32 = 1 << 11;

/// Bytes of the pre-event header: `ceil((4 + pre_trace_bytes)/4)·4` = 8 for the pair rule
/// (prev_time, int16 prev_trace, pad), 4 for nearest pair (prev_time only).
pub fn header_bytes(nearest: bool) -> usize {
    if nearest {
        4
    } else {
        8
    }
}

/// Words of the plastic-plastic region of a row of `n` synapses: header + one uint16 weight each.
pub fn pp_words(n: usize, header_bytes: usize) -> usize {
    (header_bytes + 2 * n).div_ceil(4)
}

/// Words of a plastic row of `n` synapses, its 3 header words (pp_size, n_fixed, n_plastic) excluded:
/// the plastic-plastic region plus the control half-words (`__get_n_connections`), and none for
/// no synapses (no pre-event header either).
pub fn row_words(n: usize, header_bytes: usize) -> usize {
    if n == 0 {
        0
    } else {
        n.div_ceil(2) + pp_words(n, header_bytes)
    }
}

/// Writes one plastic row at `row[0..]` (`row.len()` = the block's stride): `[pp_size, header
/// zeros, weights 2/word, n_fixed = 0, n_plastic, controls 2/word, zero padding]`.
pub fn write_row(row: &mut [u32], synapses: &[(u16, u16)], header_bytes: usize) {
    let header =
        RowHeader { plastic_words: pp_words(synapses.len(), header_bytes), n_fixed: 0, n_plastic: synapses.len() };
    header.write(row);
    let weights = header.plastic_start() + header_bytes / 4;
    for (i, &(w, _)) in synapses.iter().enumerate() {
        put_half_word(&mut row[weights..], i, w);
    }
    for (i, &(_, c)) in synapses.iter().enumerate() {
        put_half_word(&mut row[header.control_start()..], i, c);
    }
}

/// A LUT in the region's layout: `size | shift << 16`, then the values two per word.
fn lut_words(lut: &[u16]) -> Vec<u32> {
    let mut half: Vec<u16> = vec![lut.len() as u16, 0];
    half.extend_from_slice(lut);
    if half.len() % 2 == 1 {
        half.push(0);
    }
    half.chunks(2).map(|c| c[0] as u32 | (c[1] as u32) << 16).collect()
}

/// The synapse-dynamics region of a post core (docs/stdp.md §4): backprop word, τ+ LUT, τ− LUT, then w_min,
/// w_max, A+, A− (S1615) for each synapse type. `gws` is the global weight scale (1 or 1024).
pub fn stdp_core(stdp: &Stdp, owner: &str, dt: f64, gws: f64, n_synapse_types: usize) -> Result<StdpCore> {
    let (tau_plus, tau_minus, a_plus, a_minus) = stdp.timing.parameters();
    let (w_min, w_max) = stdp.weight_dependence.bounds();
    let additive = stdp.weight_dependence.is_additive();
    let lut_plus = exp_lut(dt, tau_plus);
    let lut_minus = exp_lut(dt, tau_minus);
    let enc = |name: &str, v: f64| {
        encode_s1615(v).map_err(|e| {
            Error::param(owner, name, format!("{v} cannot be written to the synapse-dynamics region: {e}"))
        })
    };
    // The additive dependence scales A± by the global weight scale, the multiplicative one does not.
    let a_scale = if additive { gws } else { 1.0 };
    let params = [
        enc("w_min", w_min * gws)?,
        enc("w_max", w_max * gws)?,
        enc("A_plus", a_plus * a_scale)?,
        enc("A_minus", a_minus * a_scale)?,
    ];
    let mut region = vec![u32::from(stdp.backprop_delay)];
    region.extend(lut_words(&lut_plus));
    region.extend(lut_words(&lut_minus));
    for _ in 0..n_synapse_types {
        region.extend(params.iter().map(|&p| p as u32));
    }
    Ok(StdpCore {
        nearest: stdp.timing.is_nearest(),
        additive,
        backprop_delay: stdp.backprop_delay,
        lut_plus,
        lut_minus,
        weight_params: vec![params; n_synapse_types],
        region,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_sizes_and_limit() {
        // Pair: 254 synapses = 127 + 2 + 127 = 256 words; nearest 254 → 255, 255 → 257.
        assert_eq!(row_words(254, 8), 256);
        assert_eq!(row_words(255, 8), 258);
        assert_eq!(row_words(254, 4), 255);
        assert_eq!(row_words(255, 4), 257);
        assert_eq!(row_words(1, 8), 4);
        // No synapses, no row: not even the pre-event header (stdp_random_nearest_onchip).
        assert_eq!(row_words(0, 4), 0);
        assert_eq!(row_words(0, 8), 0);
    }

    #[test]
    fn lut_tau20_dt1() {
        let l = exp_lut(1.0, 20.0);
        assert_eq!(l.len(), 154);
        assert_eq!(&l[..4], &[2048, 1948, 1853, 1762]);
        assert_eq!(&l[150..], &[1, 1, 1, 0]);
        assert_eq!(exp_lut(1.0, 16.8).len(), 130);
        assert_eq!(exp_lut(1.0, 33.7).len(), 258);
    }
}
