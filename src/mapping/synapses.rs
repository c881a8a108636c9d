//! Synaptic words, rows, matrices and the master population table of a post core (docs/spynnaker-mapping.md §8, docs/spynnaker-mapping.md §10.5),
//! laid out as `SynapticMatrices.generate_data` / `SynapticMatrixApp` / `MasterPopTableAsBinarySearch` do.

use crate::error::{Error, Result};
use crate::fixed::{encode_s1615, encode_u3232, mul_k};
use std::collections::{BTreeMap, HashMap};

/// `POP_TABLE_MAX_ROW_LENGTH`: words in a row, not counting its 3 header words.
pub const MAX_ROW_WORDS: usize = 256;
const ADDRESS_SCALE: usize = 16;
const INVALID_ADDRESS: u32 = 0xFF_FFFF;

/// One connection after quantisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Synapse {
    pub pre: u32,
    pub post: u32,
    pub weight: u16,
    pub delay: u32,
}

/// Host path weight (`numpy.rint(|w| · scale) & 0xFFFF`, half to even).
pub fn host_weight(w: f64, scale: f64) -> u16 {
    ((w.abs() * scale).round_ties_even() as i64 & 0xFFFF) as u16
}

/// Synapse-expander weight (docs/semantics.md §3.1): S1615(|w|) as u32.32 × scale as u32.32, rounded half up.
pub fn expander_weight(w: f64, scale: f64) -> u16 {
    let wk = encode_s1615(w.abs()).unwrap_or(i32::MAX) as i64;
    let uweight = (wk.unsigned_abs() as u128) << 17;
    let s = encode_u3232(scale).unwrap_or(u64::MAX) as u128;
    let scaled = (uweight * s) >> 32;
    (((scaled + (1u128 << 31)) >> 32) & 0xFFFF) as u16
}

/// Whether a weight |w| is stored as asked (to the nearest step of `scale`) by the host or the
/// expander path: false when |w| · scale passes the 16 bits of the synaptic word (which keeps it
/// modulo 2^16), or |w| the s16.15 range the expander reads it in.
pub fn weight_fits(w: f64, scale: f64, on_chip: bool) -> bool {
    if on_chip {
        let Ok(wk) = encode_s1615(w.abs()) else { return false };
        let Ok(s) = encode_u3232(scale) else { return false };
        let scaled = (((wk.unsigned_abs() as u128) << 17) * s as u128) >> 32;
        (scaled + (1u128 << 31)) >> 32 <= 0xFFFF
    } else {
        (w.abs() * scale).round_ties_even() <= 65535.0
    }
}

/// Host path delay in ticks (`numpy.rint(delay · steps_per_ms)`).
pub fn host_delay(d_ms: f64, steps_per_ms: f64) -> u32 {
    (d_ms * steps_per_ms).round_ties_even().max(0.0) as u32
}

/// Synapse-expander delay: truncating accum multiply, then an int cast; below 1 becomes 1.
pub fn expander_delay(d_ms: f64, steps_per_ms: f64) -> u32 {
    let d = encode_s1615(d_ms).unwrap_or(i32::MAX);
    let s = encode_s1615(steps_per_ms).unwrap_or(i32::MAX);
    let ticks = (mul_k(d, s) >> 15) as u16 as u32;
    ticks.max(1)
}

/// One incoming projection of a post population, as a block of rows on each of its cores.
pub struct IncomingMatrix {
    pub label: String,
    /// Index of the projection in the network.
    pub projection: usize,
    pub synapse_type: u32,
    /// Application key information of the pre vertex (and of its delay extension).
    pub key: PopKey,
    pub delay_key: Option<PopKey>,
    pub n_pre_atoms: u32,
    pub n_delay_stages: u32,
    /// Maximum delay held in the core, in ticks (2^D).
    pub max_delay: u32,
    /// Pre max atoms per core, used for delayed-row placement.
    pub pre_max_atoms: u32,
    pub post_max_atoms: u32,
    pub on_chip: bool,
    pub synapses: Vec<Synapse>,
    pub undelayed_max_n: usize,
    pub delayed_max_n: usize,
    /// Plastic (STDP) matrix: the bytes of each row's pre-event header (8 pair, 4 nearest pair);
    /// `None` for a static matrix.
    pub plastic_header_bytes: Option<usize>,
}

/// What a pop-table entry needs to know of a source application vertex.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PopKey {
    pub key: u32,
    pub mask: u32,
    pub core_mask: u32,
    pub core_shift: u32,
    pub n_neurons: u32,
    pub n_colour_bits: u32,
}

impl IncomingMatrix {
    /// Words of a row of `n` synapses, the 3 header words excluded.
    pub fn words_for(&self, n: usize) -> usize {
        match self.plastic_header_bytes {
            Some(hb) => super::stdp::row_words(n, hb),
            None => n,
        }
    }
    fn undelayed_words(&self) -> usize {
        self.words_for(self.undelayed_max_n)
    }
    fn delayed_words(&self) -> usize {
        self.words_for(self.delayed_max_n)
    }
    fn matrix_bytes(&self) -> usize {
        if self.undelayed_max_n == 0 {
            0
        } else {
            self.n_pre_atoms as usize * (self.undelayed_words() + 3) * 4
        }
    }
    fn delay_matrix_bytes(&self) -> usize {
        if self.delayed_max_n == 0 {
            0
        } else {
            self.n_pre_atoms as usize * self.n_delay_stages as usize * (self.delayed_words() + 3) * 4
        }
    }

    /// Row index in the delayed matrix of a synapse with `stage` ≥ 1 from pre neuron `source`.
    fn delayed_row(&self, source: u32, stage: u32) -> u32 {
        if self.on_chip {
            // The expander places rows as the delay core's keys are looked up.
            let core = source / self.pre_max_atoms;
            let local = source - core * self.pre_max_atoms;
            let slice_n = (self.n_pre_atoms - core * self.pre_max_atoms).min(self.pre_max_atoms);
            core * self.pre_max_atoms * self.n_delay_stages + (stage - 1) * slice_n + local
        } else {
            // `synapse_io.get_synapses`, which uses the post vertex's max atoms per core.
            let m = self.post_max_atoms;
            let core = source / m;
            core * m * self.n_delay_stages + (stage - 1) * m + (source - core * m)
        }
    }
}

/// Computes the max row lengths of a matrix from the synapses of one post slice at a time.
pub fn max_row_lengths(synapses: &[Synapse], post_slices: &[(u32, u32)], max_delay: u32) -> (usize, usize) {
    max_row_lengths_of(|| synapses.iter().map(|s| (s.pre, s.post, s.delay)), post_slices, max_delay)
}

/// The longest undelayed and delayed row over (pre, post slice) of the synapses `items` gives as
/// (pre, post, delay ticks); `items` is called twice. Counts in a dense table when it is no
/// larger than the synapses (or 2^20 entries), else in a map of the pairs that occur.
pub fn max_row_lengths_of<I: Iterator<Item = (u32, u32, u32)>>(
    items: impl Fn() -> I,
    post_slices: &[(u32, u32)],
    max_delay: u32,
) -> (usize, usize) {
    // The slices are consecutive: the first whose end is above `post` holds it.
    let slice_of = |post: u32| match post_slices.partition_point(|&(lo, n)| lo + n <= post) {
        i if i < post_slices.len() && post >= post_slices[i].0 => i,
        _ => 0,
    };
    let n_slices = post_slices.len().max(1);
    let (mut n_pre, mut n) = (0usize, 0usize);
    for (pre, _, _) in items() {
        n_pre = n_pre.max(pre as usize + 1);
        n += 1;
    }
    if n_pre.saturating_mul(n_slices) > n.max(1 << 20) {
        let mut und: HashMap<(u32, usize), u32> = HashMap::new();
        let mut del: HashMap<(u32, usize), u32> = HashMap::new();
        for (pre, post, delay) in items() {
            let m = if delay <= max_delay { &mut und } else { &mut del };
            *m.entry((pre, slice_of(post))).or_default() += 1;
        }
        let max = |m: HashMap<(u32, usize), u32>| m.into_values().max().unwrap_or(0) as usize;
        return (max(und), max(del));
    }
    let mut und = vec![0u32; n_pre * n_slices];
    let mut del = vec![0u32; n_pre * n_slices];
    for (pre, post, delay) in items() {
        let m = if delay <= max_delay { &mut und } else { &mut del };
        m[pre as usize * n_slices + slice_of(post)] += 1;
    }
    let max = |v: Vec<u32>| v.into_iter().max().unwrap_or(0) as usize;
    (max(und), max(del))
}

struct Entry {
    key: PopKey,
    items: Vec<u32>,
}

/// Regions 5 and 6 of a post core, the blocks of region 6 and the synapses the host writer drops.
pub struct CoreRegions {
    pub pop_table: Vec<u32>,
    pub matrix: Vec<u32>,
    pub blocks: Vec<super::image::MatrixBlock>,
    pub dropped: Vec<usize>,
}

/// Builds regions 5 (PopTable) and 6 (SynBlocks) of one post core; also returns, per matrix, the
/// number of delayed synapses the host writer drops.
pub fn build_core_regions(
    matrices: &[IncomingMatrix],
    post_lo: u32,
    post_n: u32,
    log_n: u32,
    log_t: u32,
) -> Result<CoreRegions> {
    let mut entries: BTreeMap<u32, Entry> = BTreeMap::new();
    let mut n_addresses = 0u32;
    let mut add = |k: PopKey, item: u32| -> Result<()> {
        let e = entries.entry(k.key).or_insert(Entry { key: k, items: Vec::new() });
        if e.key != k {
            return Err(Error::Mapping(format!("pop table entries for key {:#x} disagree", k.key)));
        }
        e.items.push(item);
        n_addresses += 1;
        Ok(())
    };
    let mut block_addr = 0usize;
    let mut offsets = Vec::with_capacity(matrices.len());
    // Incoming projections come grouped by source (application edge), sources in the order of their
    // first projection; host-generated matrices are reserved first, then those the expander builds.
    let first_of = |key: u32| matrices.iter().position(|m| m.key.key == key).unwrap_or(0);
    let mut grouped: Vec<usize> = (0..matrices.len()).collect();
    grouped.sort_by_key(|&i| first_of(matrices[i].key.key));
    let order: Vec<usize> = grouped
        .iter()
        .copied()
        .filter(|&i| !matrices[i].on_chip)
        .chain(grouped.iter().copied().filter(|&i| matrices[i].on_chip))
        .collect();
    for &i in &order {
        let m = &matrices[i];
        let mut off = (None, None);
        if m.undelayed_max_n == 0 {
            add(m.key, INVALID_ADDRESS << 8)?;
        } else {
            block_addr = block_addr.div_ceil(ADDRESS_SCALE) * ADDRESS_SCALE;
            add(m.key, ((block_addr / ADDRESS_SCALE) as u32) << 8 | (m.undelayed_words() as u32 - 1))?;
            off.0 = Some(block_addr);
            block_addr += m.matrix_bytes();
        }
        if let Some(dk) = m.delay_key {
            if m.delayed_max_n == 0 {
                add(dk, INVALID_ADDRESS << 8)?;
            } else {
                block_addr = block_addr.div_ceil(ADDRESS_SCALE) * ADDRESS_SCALE;
                add(dk, ((block_addr / ADDRESS_SCALE) as u32) << 8 | (m.delayed_words() as u32 - 1))?;
                off.1 = Some(block_addr);
                block_addr += m.delay_matrix_bytes();
            }
        }
        if block_addr / ADDRESS_SCALE > INVALID_ADDRESS as usize {
            return Err(Error::Mapping(format!(
                "{}: the synaptic matrix is too large for the master population table",
                m.label
            )));
        }
        offsets.push((i, off));
    }
    // Region 5.
    let mut pop = vec![entries.len() as u32, n_addresses];
    let mut list = Vec::new();
    for e in entries.values() {
        let k = e.key;
        pop.push(k.key);
        pop.push(k.mask);
        pop.push((list.len() as u32) | (k.n_colour_bits << 13) | ((e.items.len() as u32) << 16));
        pop.push(k.core_mask | (k.core_shift << 16));
        pop.push(k.n_neurons | (k.n_neurons.div_ceil(32) << 16));
        list.extend_from_slice(&e.items);
    }
    pop.extend(list);
    // Region 6.
    let mut words = vec![0u32; block_addr / 4];
    let mut dropped = vec![0usize; matrices.len()];
    let idx_mask = (1u32 << log_n) - 1;
    for &(i, (und, del)) in &offsets {
        let m = &matrices[i];
        let word = |s: &Synapse, delay: u32| {
            (s.weight as u32) << 16
                | delay << (log_n + log_t)
                | m.synapse_type << log_n
                | ((s.post - post_lo) & idx_mask)
        };
        // Plastic rows: (weight, control half-word) per row, written once all are known.
        let mut plastic_rows: [BTreeMap<u32, Vec<(u16, u16)>>; 2] = Default::default();
        let mut fill = |base: usize, stride: usize, row: u32, s: &Synapse, delay: u32, delayed: bool| -> Result<()> {
            if m.plastic_header_bytes.is_some() {
                let ctrl = super::stdp::control(delay, m.synapse_type, s.post - post_lo, log_n, log_t);
                plastic_rows[usize::from(delayed)].entry(row).or_default().push((s.weight, ctrl));
                return Ok(());
            }
            let r = base / 4 + row as usize * stride;
            let f = words[r + 1] as usize;
            if f + 3 >= stride {
                return Err(Error::Mapping(format!("{}: a row is longer than its reserved length", m.label)));
            }
            words[r + 3 + f] = word(s, delay);
            words[r + 1] += 1;
            Ok(())
        };
        for s in m.synapses.iter().filter(|s| s.post >= post_lo && s.post < post_lo + post_n) {
            if s.delay <= m.max_delay {
                if let Some(base) = und {
                    fill(base, m.undelayed_words() + 3, s.pre, s, s.delay, false)?;
                }
            } else if let Some(base) = del {
                let stage = (s.delay - 1) / m.max_delay;
                let row = m.delayed_row(s.pre, stage);
                if row >= m.n_pre_atoms * m.n_delay_stages {
                    // sPyNNaker's host writer discards rows beyond the block.
                    dropped[i] += 1;
                    continue;
                }
                fill(base, m.delayed_words() + 3, row, s, s.delay - m.max_delay * stage, true)?;
            }
        }
        if let Some(hb) = m.plastic_header_bytes {
            // Every row of a plastic block has its header, empty rows included.
            let blocks =
                [(und, m.n_pre_atoms, m.undelayed_words()), (del, m.n_pre_atoms * m.n_delay_stages, m.delayed_words())];
            for (k, (base, n_rows, row_words)) in blocks.into_iter().enumerate() {
                let Some(base) = base else { continue };
                let stride = row_words + 3;
                for r in 0..n_rows {
                    let syns = plastic_rows[k].get(&r).map(|v| v.as_slice()).unwrap_or(&[]);
                    if super::stdp::row_words(syns.len(), hb) > row_words {
                        return Err(Error::Mapping(format!("{}: a row is longer than its reserved length", m.label)));
                    }
                    let at = base / 4 + r as usize * stride;
                    super::stdp::write_row(&mut words[at..at + stride], syns, hb);
                }
            }
        }
    }
    let mut blocks = Vec::new();
    for &(i, (und, del)) in &offsets {
        let m = &matrices[i];
        let block = |offset: usize, n_rows: u32, words: usize, layout| super::image::MatrixBlock {
            offset: (offset / 4) as u32,
            n_rows,
            stride: (words + 3) as u32,
            projection: m.projection as u32,
            layout,
            max_delay: m.max_delay,
        };
        if let Some(b) = und {
            blocks.push(block(b, m.n_pre_atoms, m.undelayed_words(), super::image::RowLayout::Undelayed));
        }
        if let Some(b) = del {
            let layout = if m.on_chip {
                super::image::RowLayout::DelayedExpander {
                    pre_max_atoms: m.pre_max_atoms,
                    stages: m.n_delay_stages,
                    n_pre_atoms: m.n_pre_atoms,
                }
            } else {
                super::image::RowLayout::DelayedHost { post_max_atoms: m.post_max_atoms, stages: m.n_delay_stages }
            };
            blocks.push(block(b, m.n_pre_atoms * m.n_delay_stages, m.delayed_words(), layout));
        }
    }
    Ok(CoreRegions { pop_table: pop, matrix: words, blocks, dropped })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The longest row per (pre, post slice), counted by brute force.
    fn brute(synapses: &[Synapse], slices: &[(u32, u32)], max_delay: u32) -> (usize, usize) {
        let mut best = (0, 0);
        let pres: std::collections::BTreeSet<u32> = synapses.iter().map(|s| s.pre).collect();
        for &pre in &pres {
            for &(lo, n) in slices {
                let row = synapses.iter().filter(|s| s.pre == pre && s.post >= lo && s.post < lo + n);
                let (d, u): (Vec<&Synapse>, Vec<&Synapse>) = row.partition(|s| s.delay > max_delay);
                best = (best.0.max(u.len()), best.1.max(d.len()));
            }
        }
        best
    }

    #[test]
    fn max_row_lengths_count_per_pre_and_post_slice() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let slices = [(0, 256), (256, 256), (512, 100)];
        for dense in [true, false] {
            // Pre indices above 2^26 take the sparse count.
            let base = if dense { 0 } else { 1 << 26 };
            let syns: Vec<Synapse> = (0..3000)
                .map(|_| Synapse {
                    pre: base + rng.random_range(0..20),
                    post: rng.random_range(0..612),
                    weight: 1,
                    delay: rng.random_range(1..30),
                })
                .collect();
            let got = max_row_lengths(&syns, &slices, 16);
            assert_eq!(got, brute(&syns, &slices, 16));
            assert!(got.0 > 0 && got.1 > 0);
        }
    }
}
