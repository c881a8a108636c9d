//! A neuron core's synaptic rows as the machine holds them between ticks: packed, found exactly as
//! in sPyNNaker's layout (docs/semantics.md §4) through the block each address-list item names.

use crate::mapping::words::{address_list_offset, half_word, item_address, RowHeader, ADDRESS_SCALE};
use crate::mapping::{CoreRows, NeuronCore};

/// Marks a static row in [`CompactMatrix::plastic_starts`].
pub const NO_PLASTIC: u32 = u32::MAX;

/// A core's synaptic rows packed for the engine: the fixed words of every row back to back, and
/// where each row starts. Rows are found exactly as in sPyNNaker's layout (pop-table item address
/// plus neuron id), through the block each address names.
///
/// Plastic (STDP) rows (docs/stdp.md §2) have no fixed words. Their immutable part, the control
/// half-words, is here; their mutable part (pre-event header and 16-bit weights) lives in the core's
/// `NeuronState::plastic`, at the offset [`Self::plastic_starts`] gives (initial content:
/// [`Self::plastic_init`]). All plastic arrays are empty for a core without plastic rows.
#[derive(Clone, Debug, Default)]
pub struct CompactMatrix {
    /// (first word of the block in sPyNNaker's layout, first compact row, rows), by first word.
    blocks: Vec<(u32, u32, u32)>,
    /// Per item of the master population table's address list: the first compact row and the
    /// rows of the block its address names ((0, 0) for an invalid address or one that names no
    /// block), so that a packet finds its rows without searching the blocks.
    item_rows: Vec<(u32, u32)>,
    row_start: Vec<u32>,
    words: Vec<u32>,
    /// Per compact row: first word of its plastic region in `NeuronState::plastic`, or
    /// [`NO_PLASTIC`] for a static row.
    plastic_start: Vec<u32>,
    /// Per compact row, where its control half-words start in `plastic_ctrl` (one more entry than
    /// rows): n_plastic of row r = `ctrl_start[r + 1] − ctrl_start[r]` (0 for static rows).
    ctrl_start: Vec<u32>,
    /// The control half-words of every plastic row back to back, one per entry:
    /// `delay << (N+T) | type << N | index`, the delay not masked (docs/stdp.md §2).
    plastic_ctrl: Vec<u16>,
    /// The plastic regions as the host writes them (zero headers, initial weights), back to back.
    plastic_init: Vec<u32>,
    /// Words of a plastic row's pre-event header: 2 (pair rule), 1 (nearest pair), 0 (no STDP).
    header_words: u32,
}

impl CompactMatrix {
    pub fn new(nc: &NeuronCore) -> Self {
        Self::from_rows(nc.rows())
    }

    /// The rows of region 6, packed.
    pub fn from_rows(core: CoreRows) -> Self {
        let m = core.matrix;
        let mut c = CompactMatrix { row_start: vec![0], ..Default::default() };
        let stdp = core.stdp.is_some();
        if let Some(st) = core.stdp {
            c.header_words = crate::mapping::stdp::header_bytes(st.nearest) as u32 / 4;
            c.ctrl_start.push(0);
        }
        let mut blocks = core.blocks.to_vec();
        blocks.sort_by_key(|b| b.offset);
        // Sized first, so that packing holds no more than the packed rows beside the matrix.
        let rows =
            || blocks.iter().flat_map(|b| (0..b.n_rows as usize).map(|r| b.offset as usize + r * b.stride as usize));
        c.words.reserve_exact(rows().map(|row| RowHeader::read(&m[row..]).n_fixed).sum());
        c.row_start.reserve_exact(rows().count());
        if stdp {
            let plastic = |f: fn(&RowHeader) -> usize| rows().map(|row| f(&RowHeader::read(&m[row..]))).sum::<usize>();
            c.plastic_init.reserve_exact(plastic(|h| h.plastic_words));
            c.plastic_ctrl.reserve_exact(plastic(|h| h.n_plastic));
            c.plastic_start.reserve_exact(rows().count());
            c.ctrl_start.reserve_exact(rows().count());
        }
        for b in &blocks {
            c.blocks.push((b.offset, c.row_start.len() as u32 - 1, b.n_rows));
            for r in 0..b.n_rows as usize {
                let row = b.offset as usize + r * b.stride as usize;
                let header = RowHeader::read(&m[row..]);
                let first = row + header.fixed_start();
                c.words.extend_from_slice(&m[first..first + header.n_fixed]);
                c.row_start.push(c.words.len() as u32);
                if stdp {
                    if header.plastic_words != 0 {
                        let plastic = row + header.plastic_start();
                        c.plastic_start.push(c.plastic_init.len() as u32);
                        c.plastic_init.extend_from_slice(&m[plastic..plastic + header.plastic_words]);
                        let ctrl = &m[row + header.control_start()..];
                        c.plastic_ctrl.extend((0..header.n_plastic).map(|i| half_word(ctrl, i)));
                    } else {
                        c.plastic_start.push(NO_PLASTIC);
                    }
                    c.ctrl_start.push(c.plastic_ctrl.len() as u32);
                }
            }
        }
        c.words.shrink_to_fit();
        let pop = core.pop_table;
        if pop.len() >= 2 {
            let list = address_list_offset(pop[0]);
            c.item_rows = pop[list..list + pop[1] as usize]
                .iter()
                .map(|&item| {
                    let block_word = item_address(item) * (ADDRESS_SCALE / 4) as u32;
                    let b = c.blocks.binary_search_by_key(&block_word, |b| b.0).ok();
                    b.map(|b| (c.blocks[b].1, c.blocks[b].2)).unwrap_or((0, 0))
                })
                .collect();
        }
        c
    }

    /// The compact row of `neuron_id` in the block that item `item` of the address list names.
    #[inline]
    pub(crate) fn row_index(&self, item: usize, neuron_id: u32) -> Option<usize> {
        let (first, n_rows) = self.item_rows[item];
        (neuron_id < n_rows).then_some((first + neuron_id) as usize)
    }

    /// Per address-list item, (first compact row, rows) of the block it names.
    pub fn item_rows(&self) -> &[(u32, u32)] {
        &self.item_rows
    }

    /// The fixed words of compact row `r`.
    #[inline]
    pub(crate) fn fixed(&self, r: usize) -> &[u32] {
        &self.words[self.row_start[r] as usize..self.row_start[r + 1] as usize]
    }

    /// Compact row `r` if it is plastic: the first word of its plastic region in
    /// `NeuronState::plastic` and its control half-words.
    #[inline]
    pub fn plastic_row(&self, r: usize) -> Option<(usize, &[u16])> {
        let start = *self.plastic_start.get(r)?;
        (start != NO_PLASTIC)
            .then(|| (start as usize, &self.plastic_ctrl[self.ctrl_start[r] as usize..self.ctrl_start[r + 1] as usize]))
    }

    /// The compact rows of the block starting at word `block_word`.
    pub fn block_range(&self, block_word: u32) -> std::ops::Range<usize> {
        let b = self.blocks.binary_search_by_key(&block_word, |b| b.0).ok().map(|i| self.blocks[i]);
        b.map(|(_, f, n)| f as usize..(f + n) as usize).unwrap_or(0..0)
    }

    /// Per compact row, the first word of its plastic region, or `NO_PLASTIC` (`u32::MAX`) (empty without STDP).
    pub fn plastic_starts(&self) -> &[u32] {
        &self.plastic_start
    }

    /// Per compact row, where its control half-words start in [`Self::plastic_ctrl`] (one more
    /// entry than rows; empty without STDP).
    pub fn ctrl_starts(&self) -> &[u32] {
        &self.ctrl_start
    }

    /// The control half-words of all plastic rows, one per entry.
    pub fn plastic_ctrl(&self) -> &[u16] {
        &self.plastic_ctrl
    }

    /// The initial plastic regions of all plastic rows, back to back (`NeuronState::plastic` at load).
    pub fn plastic_init(&self) -> &[u32] {
        &self.plastic_init
    }

    /// Words of the pre-event header of a plastic row (2 pair, 1 nearest pair, 0 without STDP).
    pub fn header_words(&self) -> u32 {
        self.header_words
    }

    /// The fixed words of each row of the block starting at word `block_word`.
    pub fn block_rows(&self, block_word: u32) -> impl Iterator<Item = &[u32]> {
        let b = self.blocks.binary_search_by_key(&block_word, |b| b.0).ok().map(|i| self.blocks[i]);
        let (first, n) = b.map(|(_, f, n)| (f as usize, n as usize)).unwrap_or((0, 0));
        (first..first + n).map(move |r| &self.words[self.row_start[r] as usize..self.row_start[r + 1] as usize])
    }

    /// (first word of the block in sPyNNaker's layout, first compact row, rows), by first word.
    pub fn block_table(&self) -> &[(u32, u32, u32)] {
        &self.blocks
    }

    /// Where each compact row starts in [`Self::words`] (one more entry than rows).
    pub fn row_starts(&self) -> &[u32] {
        &self.row_start
    }

    /// The fixed words of every row back to back.
    pub fn words(&self) -> &[u32] {
        &self.words
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.words.len() * 4
            + self.row_start.len() * 4
            + self.blocks.len() * 12
            + self.item_rows.len() * 8
            + 4 * (self.plastic_start.len() + self.ctrl_start.len() + self.plastic_init.len())
            + 2 * self.plastic_ctrl.len()
    }
}
