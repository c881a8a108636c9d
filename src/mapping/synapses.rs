//! Synaptic words, rows, matrices and the master population table of a post core (docs/spynnaker-mapping.md §8, docs/spynnaker-mapping.md §10.5),
//! laid out as `SynapticMatrices.generate_data` / `SynapticMatrixApp` / `MasterPopTableAsBinarySearch` do.

use super::generation::PopulationGeneration;
use super::image::{MatrixBlock, RowLayout};
use super::words::get_n_bits;
use super::words::{
    address_item, encode_pop_table, half_word, plastic_control, synaptic_word, PopEntry, RowHeader, ADDRESS_SCALE,
    INVALID_ADDRESS, INVALID_ITEM, ROW_HEADER_WORDS,
};
use crate::error::{Error, Result};
use crate::expander::connectors::WrappedWeights;
use crate::expander::matrix::UNUSED_OFFSET;
use crate::expander::{ConnectionBuilder, Expansion, GeneratedEdge, Matrix, StaticMatrix, StdpMatrix};
use crate::fixed::{encode_s1615, encode_u3232, mul_k};
use std::collections::{BTreeMap, HashMap};

/// `POP_TABLE_MAX_ROW_LENGTH`: words in a row, not counting its 3 header words.
pub const MAX_ROW_WORDS: usize = 256;

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

/// A drawn connection: (pre, post, weight in nA or µS, delay in ticks), before its weight is
/// quantised.
pub(super) type DrawnConnection = (u32, u32, f64, u32);

/// A delay must be finite and at least one timestep.
pub(super) fn check_delay(name: &str, d: f64, dt: f64) -> Result<()> {
    if !d.is_finite() || d < dt * (1.0 - 1e-9) {
        return Err(Error::param(name, "delay", format!("{d} ms is below one timestep ({dt} ms)")));
    }
    Ok(())
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
    /// The expander's connector and generators when the machine builds the rows (then
    /// `synapses` is empty).
    pub generated: Option<super::generation::Generated>,
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

/// Regions 5, 6 and 12 of a post core, the blocks of region 6, the synapses the host writer drops
/// and what the synapse expander's run says.
pub struct CoreRegions {
    pub pop_table: Vec<u32>,
    pub matrix: Vec<u32>,
    pub blocks: Vec<super::image::MatrixBlock>,
    pub dropped: Vec<usize>,
    /// Region 12 (ConnectorBuilderRegion); empty when the core has no synaptic matrix.
    pub connection_builder: Vec<u32>,
    pub expander_notes: Vec<String>,
    /// Per matrix, of the plastic synapses the expander wrote: those whose delay field is 0 (never
    /// delivered, docs/stdp.md §7) and all of them.
    pub plastic_delay_zero: Vec<(usize, usize)>,
    /// Per matrix, the synapses the expander wrote and those whose weight passed the 16 bits of
    /// the word.
    pub expanded_weights: Vec<(u64, WrappedWeights)>,
}

/// A post core as the synapse expander sees it: its label (for messages), its seed and what its
/// population's cores share.
pub struct ExpanderCore<'a> {
    pub label: &'a str,
    pub seed: [u32; 4],
    pub population: &'a PopulationGeneration,
    /// What the population's cores draw alike (reservoirs, post draws), shared between them.
    pub shared: &'a crate::expander::shared::PopulationDraws,
}

/// Byte offsets in region 6 of a matrix's undelayed and delayed block (`None`: no such block).
type BlockOffsets = (Option<usize>, Option<usize>);

/// Where each matrix's blocks start in region 6 (byte offsets of the undelayed and delayed block,
/// `None` for none), in the order they are reserved, and the pop-table entries that point at them.
struct Reserved {
    entries: BTreeMap<u32, Entry>,
    n_addresses: u32,
    offsets: Vec<(usize, BlockOffsets)>,
    bytes: usize,
}

/// The post core a region is built for: its atoms `[lo, lo + n)` and its index and type bits.
#[derive(Clone, Copy)]
struct PostCore {
    lo: u32,
    n: u32,
    log_n: u32,
    log_t: u32,
}

/// Builds regions 5 (PopTable), 6 (SynBlocks) and 12 (ConnectorBuilderRegion) of one post core:
/// the host's rows first, then the synapse expander's run over region 12 writes the rest, as on
/// the machine. Also returns, per matrix, the number of delayed synapses the host writer drops.
pub fn build_core_regions(
    matrices: &[IncomingMatrix],
    post_lo: u32,
    post_n: u32,
    log_n: u32,
    log_t: u32,
    expander: &ExpanderCore,
) -> Result<CoreRegions> {
    let core = PostCore { lo: post_lo, n: post_n, log_n, log_t };
    let reserved = reserve_blocks(matrices)?;
    let pop_table = pop_table_region(&reserved);
    let mut words = vec![0u32; reserved.bytes / 4];
    let mut dropped = vec![0usize; matrices.len()];
    for &(i, (und, del)) in &reserved.offsets {
        dropped[i] = write_blocks(&matrices[i], und, del, core, &mut words)?;
    }
    let mut expander_notes = Vec::new();
    let mut expanded_weights = vec![(0, WrappedWeights::default()); matrices.len()];
    // sPyNNaker 7.4.1 writes region 12 on every neuron core, with no edges when nothing is
    // generated (`all_syn_block_sz` starts at 8 bytes, so `generate_data` always runs).
    let region =
        connection_builder_region(matrices, &reserved.offsets, (post_lo, post_n), expander.seed, expander.population);
    if !region.edges.is_empty() {
        let x = region.expand_sharing(&mut words, expander.shared);
        expander_notes = outcome(matrices, &reserved.offsets, expander.label, &x)?;
        let generated = reserved.offsets.iter().map(|&(i, _)| i).filter(|&i| matrices[i].generated.is_some());
        for (i, (&n, wrapped)) in generated.zip(x.written.iter().zip(&x.wrapped)) {
            expanded_weights[i] = (n, *wrapped);
        }
    }
    let connection_builder = region.words();
    let blocks = block_descriptions(matrices, &reserved.offsets);
    let plastic_delay_zero = plastic_delay_zero(matrices, &blocks, &words, log_n + log_t);
    Ok(CoreRegions {
        pop_table,
        matrix: words,
        blocks,
        dropped,
        connection_builder,
        expander_notes,
        plastic_delay_zero,
        expanded_weights,
    })
}

/// Per matrix, the plastic synapses of the rows the expander wrote whose delay field (above the
/// `field_shift` bits of index and type) is 0, and all of them. The host's rows are counted as
/// the host writes them ([`super::matrices`]).
fn plastic_delay_zero(
    matrices: &[IncomingMatrix],
    blocks: &[MatrixBlock],
    words: &[u32],
    field_shift: u32,
) -> Vec<(usize, usize)> {
    let mut counts = vec![(0, 0); matrices.len()];
    for b in blocks {
        let Some(i) = matrices.iter().position(|m| m.projection == b.projection as usize) else { continue };
        if matrices[i].generated.is_none() || matrices[i].plastic_header_bytes.is_none() {
            continue;
        }
        for r in 0..b.n_rows as usize {
            let row = &words[b.offset as usize + r * b.stride as usize..];
            let header = RowHeader::read(row);
            let controls = &row[header.control_start()..];
            let zero = (0..header.n_plastic).filter(|&j| half_word(controls, j) >> field_shift == 0).count();
            counts[i].0 += zero;
            counts[i].1 += header.n_plastic;
        }
    }
    counts
}

/// Reserves each matrix's blocks, 16-byte aligned, and makes its pop-table address items.
/// Incoming projections come grouped by source (application edge), sources in the order of their
/// first projection; host-generated matrices are reserved first, then those the expander builds.
fn reserve_blocks(matrices: &[IncomingMatrix]) -> Result<Reserved> {
    let mut r =
        Reserved { entries: BTreeMap::new(), n_addresses: 0, offsets: Vec::with_capacity(matrices.len()), bytes: 0 };
    let add = |r: &mut Reserved, k: PopKey, item: u32| -> Result<()> {
        let e = r.entries.entry(k.key).or_insert(Entry { key: k, items: Vec::new() });
        if e.key != k {
            return Err(Error::Mapping(format!("pop table entries for key {:#x} disagree", k.key)));
        }
        e.items.push(item);
        r.n_addresses += 1;
        Ok(())
    };
    let first_of = |key: u32| matrices.iter().position(|m| m.key.key == key).unwrap_or(0);
    let mut grouped: Vec<usize> = (0..matrices.len()).collect();
    grouped.sort_by_key(|&i| first_of(matrices[i].key.key));
    let order = grouped
        .iter()
        .copied()
        .filter(|&i| !matrices[i].on_chip)
        .chain(grouped.iter().copied().filter(|&i| matrices[i].on_chip));
    for i in order {
        let m = &matrices[i];
        let mut off = (None, None);
        let blocks = [
            (Some(m.key), m.undelayed_max_n, m.undelayed_words(), m.matrix_bytes()),
            (m.delay_key, m.delayed_max_n, m.delayed_words(), m.delay_matrix_bytes()),
        ];
        for (k, (key, max_n, words, bytes)) in blocks.into_iter().enumerate() {
            let Some(key) = key else { continue };
            if max_n == 0 {
                add(&mut r, key, INVALID_ITEM)?;
                continue;
            }
            r.bytes = r.bytes.div_ceil(ADDRESS_SCALE) * ADDRESS_SCALE;
            let item = address_item((r.bytes / ADDRESS_SCALE) as u32, words as u32);
            add(&mut r, key, item)?;
            if k == 0 {
                off.0 = Some(r.bytes);
            } else {
                off.1 = Some(r.bytes);
            }
            r.bytes += bytes;
        }
        if r.bytes / ADDRESS_SCALE > INVALID_ADDRESS as usize {
            return Err(Error::Mapping(format!(
                "{}: the synaptic matrix is too large for the master population table",
                m.label
            )));
        }
        r.offsets.push((i, off));
    }
    Ok(r)
}

/// Region 5: `[n_entries, n_addresses]`, five words per entry, then the address list.
fn pop_table_region(r: &Reserved) -> Vec<u32> {
    let mut entries = Vec::with_capacity(r.entries.len());
    let mut list = Vec::with_capacity(r.n_addresses as usize);
    for e in r.entries.values() {
        let k = e.key;
        entries.push(PopEntry {
            key: k.key,
            mask: k.mask,
            start: list.len() as u32,
            count: e.items.len() as u32,
            n_colour_bits: k.n_colour_bits,
            core_mask: k.core_mask,
            core_shift: k.core_shift,
            n_neurons: k.n_neurons,
            n_bitfield_words: k.n_neurons.div_ceil(32),
        });
        list.extend_from_slice(&e.items);
    }
    encode_pop_table(&entries, &list)
}

/// Writes the rows of matrix `m` onto post core `core` into its blocks at byte offsets `und` and
/// `del` of region 6; returns the delayed synapses sPyNNaker's host writer drops.
fn write_blocks(
    m: &IncomingMatrix,
    und: Option<usize>,
    del: Option<usize>,
    core: PostCore,
    words: &mut [u32],
) -> Result<usize> {
    let PostCore { lo: post_lo, n: post_n, log_n, log_t } = core;
    let word = |s: &Synapse, delay: u32| synaptic_word(s.weight, delay, m.synapse_type, s.post - post_lo, log_n, log_t);
    let too_long = || Error::Mapping(format!("{}: a row is longer than its reserved length", m.label));
    // Plastic rows: (weight, control half-word) per row, written once all are known.
    let mut plastic_rows: [BTreeMap<u32, Vec<(u16, u16)>>; 2] = Default::default();
    let mut dropped = 0;
    let mut fill = |base: usize, stride: usize, row: u32, s: &Synapse, delay: u32, delayed: bool| -> Result<()> {
        if m.plastic_header_bytes.is_some() {
            let ctrl = plastic_control(delay, m.synapse_type, s.post - post_lo, log_n, log_t);
            plastic_rows[usize::from(delayed)].entry(row).or_default().push((s.weight, ctrl));
            return Ok(());
        }
        let r = base / 4 + row as usize * stride;
        let mut header = RowHeader::read(&words[r..]);
        if header.control_start() >= stride {
            return Err(too_long());
        }
        words[r + header.control_start()] = word(s, delay);
        header.n_fixed += 1;
        header.write(&mut words[r..]);
        Ok(())
    };
    for s in m.synapses.iter().filter(|s| s.post >= post_lo && s.post < post_lo + post_n) {
        if s.delay <= m.max_delay {
            if let Some(base) = und {
                fill(base, m.undelayed_words() + ROW_HEADER_WORDS, s.pre, s, s.delay, false)?;
            }
        } else if let Some(base) = del {
            let stage = (s.delay - 1) / m.max_delay;
            let row = m.delayed_row(s.pre, stage);
            if row >= m.n_pre_atoms * m.n_delay_stages {
                // sPyNNaker's host writer discards rows beyond the block.
                dropped += 1;
                continue;
            }
            fill(base, m.delayed_words() + ROW_HEADER_WORDS, row, s, s.delay - m.max_delay * stage, true)?;
        }
    }
    let Some(hb) = m.plastic_header_bytes else { return Ok(dropped) };
    // Every row of a plastic block has its header, empty rows included.
    let blocks =
        [(und, m.n_pre_atoms, m.undelayed_words()), (del, m.n_pre_atoms * m.n_delay_stages, m.delayed_words())];
    for (k, (base, n_rows, row_words)) in blocks.into_iter().enumerate() {
        let Some(base) = base else { continue };
        let stride = row_words + ROW_HEADER_WORDS;
        for r in 0..n_rows {
            let syns = plastic_rows[k].get(&r).map(|v| v.as_slice()).unwrap_or(&[]);
            if super::stdp::row_words(syns.len(), hb) > row_words {
                return Err(too_long());
            }
            let at = base / 4 + r as usize * stride;
            super::stdp::write_row(&mut words[at..at + stride], syns, hb);
        }
    }
    Ok(dropped)
}

/// The blocks of region 6 as the engines find rows in them.
fn block_descriptions(matrices: &[IncomingMatrix], offsets: &[(usize, BlockOffsets)]) -> Vec<MatrixBlock> {
    let mut blocks = Vec::new();
    for &(i, (und, del)) in offsets {
        let m = &matrices[i];
        let block = |offset: usize, n_rows: u32, words: usize, layout| MatrixBlock {
            offset: (offset / 4) as u32,
            n_rows,
            stride: (words + ROW_HEADER_WORDS) as u32,
            projection: m.projection as u32,
            layout,
            max_delay: m.max_delay,
        };
        if let Some(b) = und {
            blocks.push(block(b, m.n_pre_atoms, m.undelayed_words(), RowLayout::Undelayed));
        }
        if let Some(b) = del {
            let layout = if m.on_chip {
                RowLayout::DelayedExpander {
                    pre_max_atoms: m.pre_max_atoms,
                    stages: m.n_delay_stages,
                    n_pre_atoms: m.n_pre_atoms,
                }
            } else {
                RowLayout::DelayedHost { post_max_atoms: m.post_max_atoms, stages: m.n_delay_stages }
            };
            blocks.push(block(b, m.n_pre_atoms * m.n_delay_stages, m.delayed_words(), layout));
        }
    }
    blocks
}

/// The bit-field key map (`get_bitfield_key_map_data`): per source of the core's pop table, its
/// atoms (a delay source: atoms × stages), in key order.
fn key_map(matrices: &[IncomingMatrix]) -> Vec<u32> {
    let mut sources = std::collections::BTreeMap::new();
    for m in matrices {
        sources.insert(m.key.key, m.n_pre_atoms);
        if let Some(d) = m.delay_key {
            sources.insert(d.key, m.n_pre_atoms * m.n_delay_stages);
        }
    }
    sources.into_values().collect()
}

/// The expander's matrix generator for matrix `m`'s blocks at byte offsets `und` and `del` of
/// region 6: static rows, or plastic rows of one weight half-word per synapse (the synapse
/// structure of every timing rule spinnsim has) after the pre-event header.
fn matrix_generator(m: &IncomingMatrix, und: Option<usize>, del: Option<usize>, post_max_atoms: u32) -> Matrix {
    let rows = static_matrix(m, und, del, post_max_atoms);
    match m.plastic_header_bytes {
        None => Matrix::Static(rows),
        Some(header_bytes) => Matrix::Stdp(StdpMatrix {
            rows,
            max_row_synapses: m.undelayed_max_n as u32,
            max_delayed_row_synapses: m.delayed_max_n as u32,
            header_half_words: (header_bytes / 2) as u32,
            half_words_per_synapse: 1,
            weight_half_word: 0,
            write_row_number: 0,
            row_offset: 0,
        }),
    }
}

/// The expander's view of matrix `m`'s blocks at byte offsets `und` and `del` of region 6.
fn static_matrix(m: &IncomingMatrix, und: Option<usize>, del: Option<usize>, post_max_atoms: u32) -> StaticMatrix {
    let words = |o: Option<usize>| o.map_or(UNUSED_OFFSET, |b| (b / 4) as u32);
    let stages = if m.delay_key.is_some() { m.n_delay_stages } else { 0 };
    StaticMatrix {
        matrix_offset: words(und),
        delayed_offset: words(del),
        max_row_words: m.words_for(m.undelayed_max_n) as u32,
        max_delayed_row_words: m.words_for(m.delayed_max_n) as u32,
        synapse_type: m.synapse_type,
        type_bits: get_n_bits(2),
        index_bits: get_n_bits(post_max_atoms as u64),
        max_stage: stages + 1,
        max_delay_per_stage: m.max_delay,
        delay_bits: get_n_bits(m.max_delay as u64),
        n_pre: m.n_pre_atoms,
        pre_atoms_per_core: m.pre_max_atoms.min(m.n_pre_atoms),
    }
}

/// The connection-builder region of the post core of atoms `[lo, lo + n)` whose seed is
/// `core_seed`; `offsets` are the byte offsets of each matrix's blocks, in the order reserved.
pub(super) fn connection_builder_region(
    matrices: &[IncomingMatrix],
    offsets: &[(usize, BlockOffsets)],
    (lo, n): (u32, u32),
    core_seed: [u32; 4],
    pop: &PopulationGeneration,
) -> ConnectionBuilder {
    let edges = offsets
        .iter()
        .filter_map(|&(i, (und, del))| {
            let m = &matrices[i];
            let g = m.generated.clone()?;
            Some(GeneratedEdge {
                pre_lo: g.pre_range.0,
                pre_hi: g.pre_range.1,
                post_lo: g.post_range.0,
                post_hi: g.post_range.1,
                synapse_type: m.synapse_type,
                matrix: matrix_generator(m, und, del, pop.post_max_atoms),
                connector: g.connector,
                weight: g.weight,
                delay: g.delay,
            })
        })
        .collect();
    ConnectionBuilder {
        region_ids: super::generation::COMBINED_CORE_REGION_IDS,
        post_slice_start: lo,
        post_slice_count: n,
        timestep_per_delay: pop.timestep_per_ms,
        pop_seed: pop.pop_seed,
        core_seed,
        weight_scales: pop.weight_scales.clone(),
        edges,
        key_map: key_map(matrices),
    }
}

/// What the expander's run over a core means for the user: an error when it stops the core (the
/// machine could not start the run), otherwise one warning per projection that lost synapses.
pub(super) fn outcome(
    matrices: &[IncomingMatrix],
    offsets: &[(usize, BlockOffsets)],
    core: &str,
    x: &Expansion,
) -> Result<Vec<String>> {
    let generated: Vec<&IncomingMatrix> =
        offsets.iter().map(|&(i, _)| &matrices[i]).filter(|m| m.generated.is_some()).collect();
    if let Some((e, why)) = x.abort {
        return Err(Error::Mapping(format!(
            "{}: the synapse expander of sPyNNaker 7.4.1 stops core {core}, so the machine could not run this \
             network: {why}",
            generated[e].label
        )));
    }
    Ok(generated
        .iter()
        .zip(&x.lost)
        .filter(|(_, &lost)| lost > 0)
        .map(|(m, lost)| {
            format!(
                "{}: {lost} synapses onto core {core} are lost, as the synapse expander of sPyNNaker 7.4.1 loses them: \
                 their rows were full (the host sizes rows of {} undelayed and {} delayed synapses from its estimate \
                 of the longest row)",
                m.label, m.undelayed_max_n, m.delayed_max_n
            )
        })
        .collect())
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
