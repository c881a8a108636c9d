//! Every sPyNNaker word format the mapping writes and the engines read, encoded and decoded here
//! and nowhere else (docs/spynnaker-mapping.md §8.3, §10.5, docs/semantics.md §3.2, §4, docs/stdp.md §2):
//! the master population table (its header, its five-word entries and the address list), the
//! synaptic word of a static row, the control half-word of a plastic synapse, and the header
//! words of a row. `shaders/common.wgsl` has functions of the same names for the GPU engine;
//! `tests/gpu_words.rs` runs them against these on every kind of word.

/// An address-list item naming no row block (its top 24 bits).
/// sPyNNaker's `get_n_bits`: 0 for 0, 1 for 1, otherwise ceil(log2 n).
pub fn get_n_bits(n: u64) -> u32 {
    match n {
        0 => 0,
        1 => 1,
        _ => 64 - (n - 1).leading_zeros(),
    }
}

pub const INVALID_ADDRESS: u32 = 0xFF_FFFF;
/// Bytes per unit of an address-list item's address.
pub const ADDRESS_SCALE: usize = 16;
/// Words before the first entry of the master population table: `n_entries`, `n_addresses`.
pub const POP_HEADER_WORDS: usize = 2;
/// Words of one entry of the master population table.
pub const POP_ENTRY_WORDS: usize = 5;

/// One entry of the master population table, as its five words hold it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PopEntry {
    /// The key and mask a packet's key matches (`key & mask == self.key`).
    pub key: u32,
    pub mask: u32,
    /// The entry's first item in the address list (13 bits) and its number of items (16 bits).
    pub start: u32,
    pub count: u32,
    /// Colour bits at the bottom of the sender's keys (3 bits).
    pub n_colour_bits: u32,
    /// Which of the sender's cores a key came from: `(key >> core_shift) & core_mask`.
    pub core_mask: u32,
    pub core_shift: u32,
    /// Neurons per sender core (16 bits), and its words of bitfield (16 bits, unused here).
    pub n_neurons: u32,
    pub n_bitfield_words: u32,
}

impl PopEntry {
    /// The entry's five words: key, mask, `start | n_colour_bits << 13 | count << 16`,
    /// `core_mask | core_shift << 16`, `n_neurons | n_bitfield_words << 16`.
    pub fn encode(&self) -> [u32; POP_ENTRY_WORDS] {
        [
            self.key,
            self.mask,
            self.start | (self.n_colour_bits << 13) | (self.count << 16),
            self.core_mask | (self.core_shift << 16),
            self.n_neurons | (self.n_bitfield_words << 16),
        ]
    }

    /// The entry whose five words start at `words[0]`.
    #[inline]
    pub fn decode(words: &[u32]) -> Self {
        let (w2, w3, w4) = (words[2], words[3], words[4]);
        PopEntry {
            key: words[0],
            mask: words[1],
            start: pop_entry_start(w2),
            count: pop_entry_count(w2),
            n_colour_bits: pop_entry_colour_bits(w2),
            core_mask: pop_entry_core_mask(w3),
            core_shift: pop_entry_core_shift(w3),
            n_neurons: pop_entry_n_neurons(w4),
            n_bitfield_words: w4 >> 16,
        }
    }

    /// The sender's neuron that sent `key`, and the key's colour (docs/semantics.md §4 step 2).
    #[inline]
    pub fn source_of(&self, key: u32) -> (u32, u32) {
        let core = (key >> self.core_shift) & self.core_mask;
        let local = key & !(self.mask | (self.core_mask << self.core_shift));
        let colour = local & ((1 << self.n_colour_bits) - 1);
        ((local >> self.n_colour_bits) + core * self.n_neurons, colour)
    }
}

/// The first address-list item of an entry, from its third word.
#[inline]
pub fn pop_entry_start(w2: u32) -> u32 {
    w2 & 0x1FFF
}

/// The colour bits of an entry's keys, from its third word.
#[inline]
pub fn pop_entry_colour_bits(w2: u32) -> u32 {
    (w2 >> 13) & 7
}

/// The address-list items of an entry, from its third word.
#[inline]
pub fn pop_entry_count(w2: u32) -> u32 {
    w2 >> 16
}

/// Which of the sender's cores a key came from (`(key >> shift) & mask`), from an entry's fourth
/// word: the mask.
#[inline]
pub fn pop_entry_core_mask(w3: u32) -> u32 {
    w3 & 0xFFFF
}

/// The shift of the sender's core index in its keys, from an entry's fourth word.
#[inline]
pub fn pop_entry_core_shift(w3: u32) -> u32 {
    w3 >> 16
}

/// Neurons per sender core, from an entry's fifth word.
#[inline]
pub fn pop_entry_n_neurons(w4: u32) -> u32 {
    w4 & 0xFFFF
}

/// Where entry `i` starts in the table.
#[inline]
pub fn pop_entry_offset(i: usize) -> usize {
    POP_HEADER_WORDS + i * POP_ENTRY_WORDS
}

/// Where the address list starts in a table of `n_entries` entries.
#[inline]
pub fn address_list_offset(n_entries: u32) -> usize {
    pop_entry_offset(n_entries as usize)
}

/// The table's words: the header, the entries and the address list their items index.
pub fn encode_pop_table(entries: &[PopEntry], address_list: &[u32]) -> Vec<u32> {
    let mut pop = Vec::with_capacity(address_list_offset(entries.len() as u32) + address_list.len());
    pop.extend([entries.len() as u32, address_list.len() as u32]);
    pop.extend(entries.iter().flat_map(PopEntry::encode));
    pop.extend_from_slice(address_list);
    pop
}

/// The binary search of the master population table (docs/semantics.md §4 step 1): the offset
/// of the entry that `key` matches.
pub fn pop_table_lookup(pop: &[u32], key: u32) -> Option<usize> {
    let n = pop[0] as usize;
    let (mut imin, mut imax) = (0usize, n);
    while imin < imax {
        let mid = (imin + imax) >> 1;
        let e = pop_entry_offset(mid);
        let (ekey, emask) = (pop[e], pop[e + 1]);
        if key & emask == ekey {
            return Some(e);
        }
        if ekey < key {
            imin = mid + 1;
        } else {
            imax = mid;
        }
    }
    None
}

/// An address-list item: the block's address in units of [`ADDRESS_SCALE`] bytes (24 bits), and
/// its row length in words less one (8 bits).
pub fn address_item(address: u32, row_words: u32) -> u32 {
    (address << 8) | (row_words - 1)
}

/// An item that names no block.
pub const INVALID_ITEM: u32 = INVALID_ADDRESS << 8;

/// The address of an item (in units of [`ADDRESS_SCALE`] bytes; [`INVALID_ADDRESS`] for none).
#[inline]
pub fn item_address(item: u32) -> u32 {
    item >> 8
}

/// The row length of an item's block, in words.
#[inline]
pub fn item_row_words(item: u32) -> u32 {
    (item & 0xFF) + 1
}

/// The bit fields of the synaptic words of a neuron core: `N` bits of neuron index, `T` of
/// synapse type and `D` of delay (docs/semantics.md §3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynapseFields {
    pub n_bits: u32,
    pub t_bits: u32,
    pub d_bits: u32,
}

impl SynapseFields {
    /// The post-synaptic neuron (core-local) of a synaptic word or control half-word.
    #[inline]
    pub fn index(self, w: u32) -> u32 {
        synapse_index(w, self.n_bits)
    }

    /// The synapse type (receptor) of a synaptic word or control half-word.
    #[inline]
    pub fn synapse_type(self, w: u32) -> u32 {
        synapse_type(w, self.n_bits, self.t_bits)
    }

    /// The delay as the binary reads it: masked to `D` bits (a stored M reads as 0).
    #[inline]
    pub fn delay(self, w: u32) -> u32 {
        synapse_delay(w, self.n_bits, self.t_bits, self.d_bits)
    }

    /// The delay as the host reads it back: the low half-word's bits above type and index,
    /// unmasked (a stored 0 means M, docs/semantics.md §3.2).
    #[inline]
    pub fn delay_read_back(self, w: u32) -> u32 {
        (w & 0xFFFF) >> (self.n_bits + self.t_bits)
    }

    /// Type and index together, the low `N + T` bits (the ring-buffer index less the delay).
    #[inline]
    pub fn type_and_index(self, w: u32) -> u32 {
        w & ((1 << (self.n_bits + self.t_bits)) - 1)
    }
}

/// `delay << (N+T) | type << N | index`, the delay not masked (a delay of M = 2^D sets bit
/// N+T+D, which the binary's mask drops) and the index masked to N bits.
#[inline]
fn delay_type_index(delay: u32, synapse_type: u32, index: u32, n_bits: u32, t_bits: u32) -> u32 {
    (delay << (n_bits + t_bits)) | (synapse_type << n_bits) | (index & ((1 << n_bits) - 1))
}

/// A static synaptic word: `weight << 16 | delay << (N+T) | type << N | index`.
#[inline]
pub fn synaptic_word(weight: u16, delay: u32, synapse_type: u32, index: u32, n_bits: u32, t_bits: u32) -> u32 {
    (weight as u32) << 16 | delay_type_index(delay, synapse_type, index, n_bits, t_bits)
}

/// The control half-word of a plastic synapse: the low half of [`synaptic_word`] (docs/stdp.md §2).
#[inline]
pub fn plastic_control(delay: u32, synapse_type: u32, index: u32, n_bits: u32, t_bits: u32) -> u16 {
    delay_type_index(delay, synapse_type, index, n_bits, t_bits) as u16
}

/// The 16-bit weight of a static synaptic word.
#[inline]
pub fn synapse_weight(w: u32) -> u32 {
    w >> 16
}

/// The post-synaptic neuron of a synaptic word with `n_bits` bits of index.
#[inline]
pub fn synapse_index(w: u32, n_bits: u32) -> u32 {
    w & ((1 << n_bits) - 1)
}

/// The synapse type of a synaptic word.
#[inline]
pub fn synapse_type(w: u32, n_bits: u32, t_bits: u32) -> u32 {
    (w >> n_bits) & ((1 << t_bits) - 1)
}

/// The delay of a synaptic word, masked to `d_bits` as the binary reads it.
#[inline]
pub fn synapse_delay(w: u32, n_bits: u32, t_bits: u32, d_bits: u32) -> u32 {
    (w >> (n_bits + t_bits)) & ((1 << d_bits) - 1)
}

/// The header of a row at `row[0..]`: `[pp_size, plastic region (pp_size words), n_fixed,
/// n_plastic, fixed words, control half-words two per word]` (docs/spynnaker-mapping.md §8.3,
/// docs/stdp.md §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowHeader {
    /// Words of the plastic region (0 for a static row).
    pub plastic_words: usize,
    pub n_fixed: usize,
    pub n_plastic: usize,
}

/// Words of a row that are not synapses: pp_size, n_fixed, n_plastic.
pub const ROW_HEADER_WORDS: usize = 3;

impl RowHeader {
    /// The header of the row at `row[0]`.
    pub fn read(row: &[u32]) -> Self {
        let pp = row[0] as usize;
        RowHeader { plastic_words: pp, n_fixed: row[1 + pp] as usize, n_plastic: row[2 + pp] as usize }
    }

    /// Writes the three header words; the plastic region and the synapses are the caller's.
    pub fn write(&self, row: &mut [u32]) {
        row[0] = self.plastic_words as u32;
        row[1 + self.plastic_words] = self.n_fixed as u32;
        row[2 + self.plastic_words] = self.n_plastic as u32;
    }

    /// Where the plastic region starts.
    pub fn plastic_start(&self) -> usize {
        1
    }

    /// Where the fixed words start.
    pub fn fixed_start(&self) -> usize {
        ROW_HEADER_WORDS + self.plastic_words
    }

    /// Where the control half-words start (two per word, the lower half first).
    pub fn control_start(&self) -> usize {
        self.fixed_start() + self.n_fixed
    }
}

/// Half-word `i` of words holding two per word, the lower half first.
#[inline]
pub fn half_word(words: &[u32], i: usize) -> u16 {
    (words[i / 2] >> (16 * (i % 2))) as u16
}

/// Sets half-word `i` of words holding two per word (ORs it into a zeroed word).
#[inline]
pub fn put_half_word(words: &mut [u32], i: usize, h: u16) {
    words[i / 2] |= (h as u32) << (16 * (i % 2));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pop_entry_survives_its_words() {
        let e = PopEntry {
            key: 0x1234_0000,
            mask: 0xFFFF_0000,
            start: 0x1ABC,
            count: 0xBEEF,
            n_colour_bits: 5,
            core_mask: 0x3F,
            core_shift: 11,
            n_neurons: 255,
            n_bitfield_words: 8,
        };
        let w = e.encode();
        assert_eq!(w[2], 0x1ABC | 5 << 13 | 0xBEEF << 16);
        assert_eq!(PopEntry::decode(&w), e);
        let table = encode_pop_table(&[e], &[address_item(7, 3)]);
        assert_eq!(address_list_offset(table[0]), 7);
        assert_eq!(pop_table_lookup(&table, 0x1234_0042), Some(2));
        assert_eq!(pop_table_lookup(&table, 0x1235_0000), None);
        assert_eq!((item_address(table[7]), item_row_words(table[7])), (7, 3));
    }

    #[test]
    fn a_key_names_its_sender_neuron_and_colour() {
        let e = PopEntry {
            key: 0x800,
            mask: 0xF800,
            core_mask: 3,
            core_shift: 9,
            n_neurons: 100,
            n_colour_bits: 4,
            ..Default::default()
        };
        // Core 2, local neuron 5, colour 9.
        let key = 0x800 | (2 << 9) | (5 << 4) | 9;
        assert_eq!(e.source_of(key), (205, 9));
    }

    #[test]
    fn synaptic_words_keep_every_field() {
        let f = SynapseFields { n_bits: 8, t_bits: 1, d_bits: 4 };
        let w = synaptic_word(0xABCD, 16, 1, 0x1FF, 8, 1);
        assert_eq!((synapse_weight(w), f.index(w), f.synapse_type(w)), (0xABCD, 0xFF, 1));
        // A delay of M = 16 reads as 0 on the chip and as 16 on the host.
        assert_eq!((f.delay(w), f.delay_read_back(w)), (0, 16));
        assert_eq!(plastic_control(3, 0, 2, 8, 1), (3 << 9 | 2) as u16);
        assert_eq!(f.type_and_index(w), 0x1FF);
    }

    #[test]
    fn a_row_header_says_where_each_part_starts() {
        let mut row = vec![0u32; 12];
        let h = RowHeader { plastic_words: 4, n_fixed: 2, n_plastic: 3 };
        h.write(&mut row);
        assert_eq!(RowHeader::read(&row), h);
        assert_eq!((h.fixed_start(), h.control_start()), (7, 9));
        put_half_word(&mut row[9..], 1, 0xAAAA);
        assert_eq!((half_word(&row[9..], 0), half_word(&row[9..], 1)), (0, 0xAAAA));
    }
}
