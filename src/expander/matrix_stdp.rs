//! The STDP matrix generator of the synapse expander (`matrix_generator_stdp.h`,
//! docs/expander.md §4): plastic rows laid out for their longest length. A row is `[pp_size, plastic region,
//! ff_size = 0, fp_size, control half-words]`, where the plastic region (the pre-event header,
//! then per synapse its half-words, one of which is the weight) always has room for the row's
//! maximum number of synapses, so the fixed part sits at the same place in every row.

use super::matrix::{rescale_weight, RowSlot, StaticMatrix, ROW_HEADER_WORDS};
use super::Abort;

/// The 19 parameter words of a plastic matrix (`SynapseDynamicsSTDP.gen_matrix_params`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StdpMatrix {
    /// The rows: offsets, words per row, synapse type and bits, stages, pre-synaptic atoms. Its
    /// row words count the plastic region and the control half-words together.
    pub rows: StaticMatrix,
    /// Synapses an undelayed row holds.
    pub max_row_synapses: u32,
    /// Synapses a delayed row holds.
    pub max_delayed_row_synapses: u32,
    /// Half-words of the pre-event header at the start of the plastic region.
    pub header_half_words: u32,
    /// Half-words of each synapse in the plastic region.
    pub half_words_per_synapse: u32,
    /// Which of a synapse's half-words is its weight.
    pub weight_half_word: u32,
    /// Non-zero when the row number goes into the header (the weight changer; 0 for STDP).
    pub write_row_number: u32,
    /// Added to the row number written into the header.
    pub row_offset: u32,
}

/// The half-word `i` of `words` (little-endian, two per word).
fn set_half_word(words: &mut [u32], i: usize, value: u16) {
    let shift = 16 * (i & 1);
    let w = &mut words[i / 2];
    *w = (*w & !(0xFFFF << shift)) | (value as u32) << shift;
}

impl StdpMatrix {
    pub const N_WORDS: usize = 19;

    pub fn words(&self) -> [u32; Self::N_WORDS] {
        let r = &self.rows;
        [
            r.matrix_offset,
            r.delayed_offset,
            self.max_row_synapses,
            self.max_delayed_row_synapses,
            r.max_row_words,
            r.max_delayed_row_words,
            r.synapse_type,
            r.type_bits,
            r.index_bits,
            r.max_stage,
            r.max_delay_per_stage,
            r.delay_bits,
            r.n_pre,
            r.pre_atoms_per_core,
            self.header_half_words,
            self.half_words_per_synapse,
            self.weight_half_word,
            self.write_row_number,
            self.row_offset,
        ]
    }

    pub fn from_words(w: &[u32]) -> Option<Self> {
        let w: [u32; Self::N_WORDS] = w.get(..Self::N_WORDS)?.try_into().ok()?;
        let rows = StaticMatrix {
            matrix_offset: w[0],
            delayed_offset: w[1],
            max_row_words: w[4],
            max_delayed_row_words: w[5],
            synapse_type: w[6],
            type_bits: w[7],
            index_bits: w[8],
            max_stage: w[9],
            max_delay_per_stage: w[10],
            delay_bits: w[11],
            n_pre: w[12],
            pre_atoms_per_core: w[13],
        };
        Some(StdpMatrix {
            rows,
            max_row_synapses: w[2],
            max_delayed_row_synapses: w[3],
            header_half_words: w[14],
            half_words_per_synapse: w[15],
            weight_half_word: w[16],
            write_row_number: w[17],
            row_offset: w[18],
        })
    }

    /// Words of the plastic region of a row holding `max_synapses` (`plastic_half_words`, rounded
    /// up to whole words).
    pub fn plastic_words(&self, max_synapses: u32) -> usize {
        (self.header_half_words as usize + self.half_words_per_synapse as usize * max_synapses as usize).div_ceil(2)
    }

    /// The synapses a row of `stage` holds.
    fn max_synapses(&self, stage: u32) -> u32 {
        if stage == 0 {
            self.max_row_synapses
        } else {
            self.max_delayed_row_synapses
        }
    }

    /// `setup_stdp_rows` over both matrices: every row's plastic region zeroed and sized, its
    /// fixed sizes zeroed; with [`Self::write_row_number`], the first plastic word of row `i` of
    /// each matrix is `i + row_offset` (the weights later overwrite its low half). Words outside
    /// `matrix` are left alone (the caller checks sizes).
    pub fn set_up(&self, matrix: &mut [u32]) {
        let r = &self.rows;
        let rows = [
            (r.matrix_offset, r.n_pre, r.max_row_words, self.max_row_synapses),
            (
                r.delayed_offset,
                r.n_pre * r.max_stage.saturating_sub(1),
                r.max_delayed_row_words,
                self.max_delayed_row_synapses,
            ),
        ];
        for (offset, n_rows, words, max_synapses) in rows.into_iter().filter(|r| r.0 != super::matrix::UNUSED_OFFSET) {
            let pw = self.plastic_words(max_synapses);
            for i in 0..n_rows as usize {
                let at = offset as usize + i * (words as usize + ROW_HEADER_WORDS);
                if let Some(row) = matrix.get_mut(at..at + pw + ROW_HEADER_WORDS) {
                    row[0] = pw as u32;
                    row[1..].fill(0);
                    if self.write_row_number != 0 {
                        row[1] = (i as u32).wrapping_add(self.row_offset);
                        row[pw + 1] = 0;
                    }
                }
            }
        }
    }

    /// `write_synapse`: appends the synapse's control half-word to its row's fixed part and its
    /// weight to the plastic region; false when the row is full (or its matrix unused).
    pub fn write(
        &self,
        matrix: &mut [u32],
        pre: u32,
        local_post: u32,
        weight: i32,
        delay: u16,
        weight_scale: u64,
    ) -> Result<bool, Abort> {
        let (stage, within) = self.rows.stage_of(delay);
        let Some(RowSlot { row, capacity }) = self.rows.row_of(pre, stage) else { return Ok(false) };
        let max_synapses = self.max_synapses(stage);
        // A row of no synapses is full whatever it holds (the binary reads it and writes nothing).
        if max_synapses == 0 {
            return Ok(false);
        }
        if row + ROW_HEADER_WORDS + capacity as usize > matrix.len() {
            return Err(Abort::OutsideRegion { pre });
        }
        let fixed = row + 1 + self.plastic_words(max_synapses);
        let n = matrix[fixed + 1];
        if n >= max_synapses {
            return Ok(false);
        }
        let control = self.rows.word(local_post, within, 0) as u16;
        matrix[fixed + 1] = n + 1;
        set_half_word(&mut matrix[fixed + 2..], n as usize, control);
        let at = self.header_half_words + self.half_words_per_synapse * n + self.weight_half_word;
        set_half_word(&mut matrix[row + 1..], at as usize, rescale_weight(weight, weight_scale));
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix() -> StdpMatrix {
        StdpMatrix {
            rows: StaticMatrix {
                matrix_offset: 0,
                delayed_offset: 100,
                max_row_words: 5,
                max_delayed_row_words: 3,
                synapse_type: 1,
                type_bits: 1,
                index_bits: 3,
                max_stage: 2,
                max_delay_per_stage: 16,
                delay_bits: 4,
                n_pre: 4,
                pre_atoms_per_core: 4,
            },
            max_row_synapses: 2,
            max_delayed_row_synapses: 1,
            header_half_words: 4,
            half_words_per_synapse: 1,
            weight_half_word: 0,
            write_row_number: 0,
            row_offset: 0,
        }
    }

    #[test]
    fn a_plastic_row_keeps_room_for_its_longest_length() {
        let m = matrix();
        let mut words = vec![9u32; 200];
        m.set_up(&mut words);
        // Row 1 starts at 8: pp_size 3 (4 header half-words + 2 weights), then ff, fp.
        assert_eq!(&words[8..14], &[3, 0, 0, 0, 0, 0]);
        assert!(m.write(&mut words, 1, 2, 1 << 15, 3, 1 << 32).unwrap());
        assert!(m.write(&mut words, 1, 5, 3 << 15, 2, 1 << 32).unwrap());
        assert!(!m.write(&mut words, 1, 6, 1 << 15, 2, 1 << 32).unwrap(), "the row is full");
        let control = |post: u32, d: u32| post | 1 << 3 | d << 4;
        assert_eq!(&words[8..15], &[3, 0, 0, 1 | 3 << 16, 0, 2, control(2, 3) | control(5, 2) << 16]);
        assert!(m.write(&mut words, 0, 1, 2 << 15, 17, 1 << 32).unwrap(), "the delayed row of pre 0");
        assert_eq!(&words[100..106], &[3, 0, 0, 2, 0, 1]);
        assert_eq!(words[106] & 0xFFFF, control(1, 1));
    }
}
