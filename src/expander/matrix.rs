//! The static matrix generator of the synapse expander (`matrix_generator_static.h`, init 0x29c0
//! and write 0x2fd4 of `synapse_expander.aplx`; docs/expander.md §4): where a
//! synapse goes (its row by delay stage, the strict-`<` delayed-row quirk) and the word it becomes.

use super::Abort;

/// Words before the synapses of a row: plastic-plastic size, fixed-fixed size, fixed-plastic size.
pub const ROW_HEADER_WORDS: usize = 3;
/// A matrix the edge does not use (`SYN_REGION_UNUSED`).
pub const UNUSED_OFFSET: u32 = 0xFFFF_FFFF;

/// The 12 parameter words of a static matrix (`SynapseDynamicsStatic.gen_matrix_params`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StaticMatrix {
    /// Offset of the undelayed matrix in the synaptic-matrix region, in words, or [`UNUSED_OFFSET`].
    pub matrix_offset: u32,
    /// Offset of the delayed matrix, in words, or [`UNUSED_OFFSET`].
    pub delayed_offset: u32,
    pub max_row_words: u32,
    pub max_delayed_row_words: u32,
    pub synapse_type: u32,
    pub type_bits: u32,
    pub index_bits: u32,
    /// Delay stages plus one (the undelayed stage).
    pub max_stage: u32,
    /// Ticks of delay each stage covers (`max_delay_per_stage`).
    pub max_delay_per_stage: u32,
    pub delay_bits: u32,
    /// Atoms of the pre-synaptic population.
    pub n_pre: u32,
    /// The pre-synaptic population's atoms per core.
    pub pre_atoms_per_core: u32,
}

/// Where the expander puts a synapse: its row's first word in the region, and the row's capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowSlot {
    pub row: usize,
    pub capacity: u32,
}

impl StaticMatrix {
    pub const N_WORDS: usize = 12;

    pub fn words(&self) -> [u32; Self::N_WORDS] {
        [
            self.matrix_offset,
            self.delayed_offset,
            self.max_row_words,
            self.max_delayed_row_words,
            self.synapse_type,
            self.type_bits,
            self.index_bits,
            self.max_stage,
            self.max_delay_per_stage,
            self.delay_bits,
            self.n_pre,
            self.pre_atoms_per_core,
        ]
    }

    pub fn from_words(w: &[u32]) -> Option<Self> {
        let w: [u32; Self::N_WORDS] = w.get(..Self::N_WORDS)?.try_into().ok()?;
        Some(StaticMatrix {
            matrix_offset: w[0],
            delayed_offset: w[1],
            max_row_words: w[2],
            max_delayed_row_words: w[3],
            synapse_type: w[4],
            type_bits: w[5],
            index_bits: w[6],
            max_stage: w[7],
            max_delay_per_stage: w[8],
            delay_bits: w[9],
            n_pre: w[10],
            pre_atoms_per_core: w[11],
        })
    }

    /// The generator's set-up (every edge, over the whole matrix of the edge): every undelayed and
    /// delayed row header zeroed. Words outside `matrix` are left alone (the caller checks sizes).
    pub fn set_up(&self, matrix: &mut [u32]) {
        let rows = [
            (self.matrix_offset, self.n_pre, self.max_row_words),
            (self.delayed_offset, self.n_pre * self.max_stage.saturating_sub(1), self.max_delayed_row_words),
        ];
        for (offset, n_rows, words) in rows.into_iter().filter(|r| r.0 != UNUSED_OFFSET) {
            for r in 0..n_rows as usize {
                let at = offset as usize + r * (words as usize + ROW_HEADER_WORDS);
                if let Some(h) = matrix.get_mut(at..at + ROW_HEADER_WORDS) {
                    h.fill(0);
                }
            }
        }
    }

    /// The words of the region the edge's rows take: up to the end of its last matrix.
    pub fn extent(&self) -> usize {
        let end = |offset: u32, n_rows: u32, words: u32| {
            if offset == UNUSED_OFFSET {
                0
            } else {
                offset as usize + n_rows as usize * (words as usize + ROW_HEADER_WORDS)
            }
        };
        let n_delayed = self.n_pre * self.max_stage.saturating_sub(1);
        end(self.matrix_offset, self.n_pre, self.max_row_words).max(end(
            self.delayed_offset,
            n_delayed,
            self.max_delayed_row_words,
        ))
    }

    /// `get_delay`: (stage, delay within the stage) of a delay in ticks; a delay past the last stage
    /// is clamped to the last stage's longest.
    pub fn stage_of(&self, delay: u16) -> (u32, u16) {
        let mdps = self.max_delay_per_stage;
        let mut d = delay.max(1);
        let mut stage = (d as u32 - 1) / mdps;
        if stage >= self.max_stage {
            stage = self.max_stage - 1;
            d = (stage * mdps) as u16;
        }
        let within = ((d as u32).wrapping_sub(1) % mdps + 1) as u16;
        (stage, within)
    }

    /// The row of pre-synaptic neuron `pre` in `stage`, or `None` when that matrix is unused.
    pub fn row_of(&self, pre: u32, stage: u32) -> Option<RowSlot> {
        if stage == 0 {
            let at = self.matrix_offset;
            return (at != UNUSED_OFFSET).then(|| RowSlot {
                row: at as usize + pre as usize * (self.max_row_words as usize + ROW_HEADER_WORDS),
                capacity: self.max_row_words,
            });
        }
        if self.delayed_offset == UNUSED_OFFSET {
            return None;
        }
        let row = delayed_row(pre, stage, self.pre_atoms_per_core, self.n_pre, self.max_stage);
        Some(RowSlot {
            row: self.delayed_offset as usize + row as usize * (self.max_delayed_row_words as usize + ROW_HEADER_WORDS),
            capacity: self.max_delayed_row_words,
        })
    }

    /// The synaptic word of a synapse onto `local_post` of `delay` ticks within its stage.
    pub fn word(&self, local_post: u32, delay: u16, weight: u16) -> u32 {
        let mask = |bits: u32| if bits >= 32 { u32::MAX } else { (1u32 << bits) - 1 };
        let (ib, tb) = (self.index_bits, self.type_bits);
        (local_post & mask(ib))
            | ((self.synapse_type & mask(tb)) << ib)
            | ((delay as u32 & mask(self.delay_bits)) << (ib + tb))
            | ((weight as u32) << 16)
    }

    /// `write_synapse`: appends the synapse to its row; false when the row is full (or its matrix
    /// is unused). `weight` is s16.15, `weight_scale` u32.32, `delay` in ticks. A row outside
    /// `matrix` (a pre-synaptic index past the population, which the binary would write beyond its
    /// region) is an error.
    pub fn write(
        &self,
        matrix: &mut [u32],
        pre: u32,
        local_post: u32,
        weight: i32,
        delay: u16,
        weight_scale: u64,
    ) -> Result<bool, Abort> {
        let (stage, within) = self.stage_of(delay);
        let Some(slot) = self.row_of(pre, stage) else { return Ok(false) };
        // A row of no synapses is full whatever its header holds (the binary reads it, even
        // past the region, and writes nothing).
        if slot.capacity == 0 {
            return Ok(false);
        }
        if slot.row + ROW_HEADER_WORDS + slot.capacity as usize > matrix.len() {
            return Err(Abort::OutsideRegion { pre });
        }
        let n = matrix[slot.row + 1];
        if n >= slot.capacity {
            return Ok(false);
        }
        matrix[slot.row + ROW_HEADER_WORDS + n as usize] =
            self.word(local_post, within, rescale_weight(weight, weight_scale));
        matrix[slot.row + 1] = n + 1;
        Ok(true)
    }
}

/// The delayed row of `pre` in `stage` ≥ 1 (`get_delay_row`): the pre-synaptic core is found with
/// a strict `<`, so a pre that is an exact multiple k·p of the atoms per core p counts as local
/// index p of core k − 1.
pub fn delayed_row(pre: u32, stage: u32, pre_atoms_per_core: u32, n_pre: u32, max_stage: u32) -> u32 {
    let p = pre_atoms_per_core;
    let mut core = 0u32;
    while (core + 1) * p < pre {
        core += 1;
    }
    let local = pre - core * p;
    let n_on = p.min(n_pre - core * p);
    core * p * (max_stage - 1) + (stage - 1) * n_on + local
}

/// `rescale_weight`: |w| (s16.15) as u32.32 times the weight scale (u32.32, rounded half up), then
/// rounded to an integer; the low 16 bits are kept.
pub fn rescale_weight(weight: i32, weight_scale: u64) -> u16 {
    (rescaled_weight(weight, weight_scale) & 0xFFFF) as u16
}

/// [`rescale_weight`] before the low 16 bits are kept: above 0xFFFF, the word cannot hold it.
pub fn rescaled_weight(weight: i32, weight_scale: u64) -> u64 {
    let u = (weight.unsigned_abs() as u128) << 17;
    let p = ((u * weight_scale as u128 + (1 << 31)) >> 32) as u64;
    (p >> 32) + ((p >> 31) & 1)
}

/// `rescale_delay`: a delay in ms (s16.15) times the time steps per ms (s16.15), truncated to whole
/// ticks (a negative product gives 1), low 16 bits kept.
pub fn rescale_delay(delay: i32, timestep_per_delay: i32) -> u16 {
    let ts = ((delay as i64 * timestep_per_delay as i64) >> 15) as i32;
    if ts < 0 {
        1
    } else {
        ((ts >> 15) & 0xFFFF) as u16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(stages: u32) -> StaticMatrix {
        StaticMatrix {
            matrix_offset: 0,
            delayed_offset: 100,
            max_row_words: 2,
            max_delayed_row_words: 1,
            synapse_type: 1,
            type_bits: 1,
            index_bits: 3,
            max_stage: stages,
            max_delay_per_stage: 16,
            delay_bits: 4,
            n_pre: 10,
            pre_atoms_per_core: 4,
        }
    }

    #[test]
    fn stages_and_the_clamp_past_the_last() {
        let m = matrix(3);
        assert_eq!(m.stage_of(0), (0, 1));
        assert_eq!(m.stage_of(16), (0, 16));
        assert_eq!(m.stage_of(17), (1, 1));
        assert_eq!(m.stage_of(48), (2, 16));
        assert_eq!(m.stage_of(49), (2, 16), "past the last stage: its longest delay");
        assert_eq!(m.word(5, 16, 7), 5 | 1 << 3 | 7 << 16, "16 masked to 4 bits is 0");
    }

    #[test]
    fn an_exact_multiple_of_the_atoms_per_core_takes_the_previous_cores_row() {
        // Two delay stages, 4 atoms per core, 10 atoms: pre 4 is local 4 of core 0.
        assert_eq!(delayed_row(3, 1, 4, 10, 3), 3);
        assert_eq!(delayed_row(4, 1, 4, 10, 3), 4, "core 0 stage 1 local 4 = core 0 stage 2 local 0");
        assert_eq!(delayed_row(4, 2, 4, 10, 3), 8, "= core 1 stage 1 local 0");
        assert_eq!(delayed_row(5, 1, 4, 10, 3), 9);
        assert_eq!(delayed_row(9, 2, 4, 10, 3), 8 + 8 + 2 + 1, "last core holds 2 atoms");
    }

    #[test]
    fn a_full_row_takes_no_more() {
        let m = matrix(2);
        let mut words = vec![9u32; 200];
        m.set_up(&mut words);
        assert!(m.write(&mut words, 1, 2, 1 << 15, 1, 1 << 32).unwrap());
        assert!(m.write(&mut words, 1, 3, 1 << 15, 1, 1 << 32).unwrap());
        assert!(!m.write(&mut words, 1, 4, 1 << 15, 1, 1 << 32).unwrap());
        assert_eq!(&words[5..10], &[0, 2, 0, 2 | 1 << 3 | 1 << 4 | 1 << 16, 3 | 1 << 3 | 1 << 4 | 1 << 16]);
        assert!(m.write(&mut words, 1, 4, -(2 << 15), 17, 1 << 32).unwrap());
        assert_eq!(&words[104..108], &[0, 1, 0, 4 | 1 << 3 | 1 << 4 | 2 << 16], "delayed row of pre 1, |w|");
    }

    #[test]
    fn weights_round_half_up_and_wrap_at_16_bits() {
        assert_eq!(rescale_weight(3277, 16384u64 << 32), 1639); // 0.1 at scale 16384
        assert_eq!(rescale_weight(-3277, 16384u64 << 32), 1639);
        assert_eq!(rescale_weight(1 << 15, 65536u64 << 32), 0);
        assert_eq!(rescale_delay(3 << 14, 10 << 15), 15);
        assert_eq!(rescale_delay(-1, 1 << 15), 1);
    }
}
