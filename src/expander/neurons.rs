//! The neuron expander of sPyNNaker 7.4.1 (`neuron_expander.aplx`): from the neuron-builder
//! region the host writes for a core (region 13: seeds, every field of the model's structs as a
//! parameter generator, and the recording indices run-length encoded), the neuron parameters
//! (region 2) and the recording indices (region 9) the binary writes, draw for draw
//! (docs/expander.md §6).
//!
//! Only the core's generator draws; the draws go field by field, and inside a field neuron by
//! neuron, so a random `v` never shifts the draws of a random `tau_m` that follows it in another
//! order.

use super::{Abort, ParamGenerator};
use crate::fixed::Kiss64;

/// Words of the header: the two region ids, both seeds, the number of structs and of atoms.
const HEADER_WORDS: usize = 12;
/// `n_repeats` (of a struct or an item) meaning "once per atom of the core".
pub const PER_ATOM: u32 = 0xFFFF_FFFF;
/// A recording item's flag: the run of neurons is recorded.
pub const RECORDED: u32 = 0x8000_0000;
/// A recording item's length meaning "every atom of the core".
pub const ALL_ATOMS: u32 = 0x7FFF_FFFF;
/// Bytes of every field type of 7.4.1 (the struct arrays are words).
const FIELD_BYTES: u32 = 4;

/// The type of a struct field, and how the expander writes an s16.15 value into it
/// (`get_type_writer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// Id 0: the word itself.
    S1615,
    /// Id 1: the value truncated toward zero (a negative one wraps).
    Uint32,
    /// Id 2: the value truncated toward zero.
    Int32,
    /// Id 3: the value's bits moved up by 17 (u0.32 from s16.15, wrapping).
    U032,
}

impl FieldType {
    pub fn id(self) -> u32 {
        self as u32
    }

    pub fn from_id(id: u32) -> Option<FieldType> {
        [FieldType::S1615, FieldType::Uint32, FieldType::Int32, FieldType::U032].get(id as usize).copied()
    }

    /// The word the type writer stores for the s16.15 value `v`.
    pub fn write(self, v: i32) -> u32 {
        match self {
            FieldType::S1615 => v as u32,
            FieldType::Uint32 | FieldType::Int32 => (v / (1 << 15)) as u32,
            FieldType::U032 => (v as u32) << 17,
        }
    }
}

/// One field of a struct: its type and its values, as items of `n_repeats` atoms each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldBuilder {
    pub field_type: FieldType,
    pub items: Vec<(u32, ParamGenerator)>,
}

/// One struct of the model (`Struct.get_generator_data`): an array of `n_repeats` elements
/// ([`PER_ATOM`]: one per atom; 1: a global struct) of its fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructBuilder {
    pub n_repeats: u32,
    pub fields: Vec<FieldBuilder>,
}

/// One recorded variable (`NeuronRecorder.get_generator_data`): its sampling rate in ticks (0:
/// not recorded), the bytes of one sample (`None` for a bit field: spikes), how many neurons of
/// the core are recorded ([`PER_ATOM`]: all) and the run-length items saying which.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedVariable {
    pub rate: u32,
    pub element_size: Option<u32>,
    pub n_recording: u32,
    pub items: Vec<u32>,
}

/// The neuron-builder region of one core.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeuronBuilder {
    /// Region ids of the neuron parameters and of the neuron recording.
    pub region_ids: [u32; 2],
    pub pop_seed: [u32; 4],
    pub core_seed: [u32; 4],
    pub n_atoms: u32,
    pub structs: Vec<StructBuilder>,
    /// The sampled variables, then the bit fields, each in the recorder's order.
    pub recording: Vec<RecordedVariable>,
}

/// What the expander writes for a core: the neuron-parameter and neuron-recording regions, and
/// the generators' final states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeuronExpansion {
    pub params: Vec<u32>,
    pub recording: Vec<u32>,
    pub pop_rng: [u32; 4],
    pub core_rng: [u32; 4],
}

impl StructBuilder {
    /// The struct's words: its header and field descriptors, then every item's generator words.
    fn words(&self) -> Vec<u32> {
        let n_fields = self.fields.len() as u32;
        let meta_words: u32 = 4 + self.fields.iter().map(|f| 2 + 2 * f.items.len() as u32).sum::<u32>();
        let mut w = vec![FIELD_BYTES * n_fields, self.n_repeats, 4 * meta_words, n_fields];
        for f in &self.fields {
            w.extend([f.field_type.id(), f.items.len() as u32]);
            for (n, g) in &f.items {
                w.extend([*n, g.id()]);
            }
        }
        for (_, g) in self.fields.iter().flat_map(|f| &f.items) {
            w.extend(g.words());
        }
        w
    }

    /// The struct at the start of `w`, and how many words it took.
    fn from_words(w: &[u32]) -> Result<(StructBuilder, usize), Abort> {
        let short = Abort::Malformed("a struct ends early");
        let h = w.get(..4).ok_or(short)?;
        let (n_repeats, meta_words, n_fields) = (h[1], h[2] as usize / 4, h[3] as usize);
        let mut at = 4;
        let mut kinds = Vec::with_capacity(n_fields);
        for _ in 0..n_fields {
            let d = w.get(at..at + 2).ok_or(short)?;
            let field_type = FieldType::from_id(d[0]).ok_or(Abort::FieldType(d[0]))?;
            let items = w.get(at + 2..at + 2 + 2 * d[1] as usize).ok_or(short)?;
            kinds.push((field_type, items.chunks(2).map(|i| (i[0], i[1])).collect::<Vec<_>>()));
            at += 2 + 2 * d[1] as usize;
        }
        // The binary skips `meta_bytes` to the parameter words, whatever the descriptors said.
        let mut at = meta_words;
        let mut fields = Vec::with_capacity(n_fields);
        for (field_type, ids) in kinds {
            let mut items = Vec::with_capacity(ids.len());
            for (n, id) in ids {
                let (g, used) = ParamGenerator::from_words(id, w.get(at..).ok_or(short)?)
                    .ok_or(Abort::Malformed("an unknown parameter generator"))?;
                items.push((n, g));
                at += used;
            }
            fields.push(FieldBuilder { field_type, items });
        }
        Ok((StructBuilder { n_repeats, fields }, at))
    }
}

impl RecordedVariable {
    fn words(&self) -> Vec<u32> {
        let mut w = vec![self.rate];
        w.extend(self.element_size);
        w.extend([self.n_recording, self.items.len() as u32]);
        w.extend(&self.items);
        w
    }

    fn from_words(w: &[u32], sampled: bool) -> Result<(RecordedVariable, usize), Abort> {
        let short = Abort::Malformed("the recording data ends early");
        let head = if sampled { 4 } else { 3 };
        let h = w.get(..head).ok_or(short)?;
        let n_items = h[head - 1] as usize;
        let items = w.get(head..head + n_items).ok_or(short)?.to_vec();
        let element_size = sampled.then_some(h[1]);
        let v = RecordedVariable { rate: h[0], element_size, n_recording: h[head - 2], items };
        Ok((v, head + n_items))
    }
}

impl NeuronBuilder {
    /// The region's words, as the host writes them.
    pub fn words(&self) -> Vec<u32> {
        let mut w = self.region_ids.to_vec();
        w.extend(self.pop_seed);
        w.extend(self.core_seed);
        w.extend([self.structs.len() as u32, self.n_atoms]);
        for s in &self.structs {
            w.extend(s.words());
        }
        let n_sampled = self.recording.iter().filter(|v| v.element_size.is_some()).count() as u32;
        w.extend([n_sampled, self.recording.len() as u32 - n_sampled]);
        for v in &self.recording {
            w.extend(v.words());
        }
        w
    }

    /// Reads a region back from its words.
    pub fn from_words(w: &[u32]) -> Result<NeuronBuilder, Abort> {
        let h = w.get(..HEADER_WORDS).ok_or(Abort::Malformed("the header ends early"))?;
        let seed = |k: usize| [h[k], h[k + 1], h[k + 2], h[k + 3]];
        let mut at = HEADER_WORDS;
        let mut structs = Vec::with_capacity(h[10] as usize);
        for _ in 0..h[10] {
            let (s, n) = StructBuilder::from_words(&w[at..])?;
            structs.push(s);
            at += n;
        }
        let counts = w.get(at..at + 2).ok_or(Abort::Malformed("the recording data ends early"))?;
        let (n_sampled, n_bitfields) = (counts[0], counts[1]);
        at += 2;
        let mut recording = Vec::new();
        for k in 0..n_sampled + n_bitfields {
            let (v, n) = RecordedVariable::from_words(&w[at..], k < n_sampled)?;
            recording.push(v);
            at += n;
        }
        Ok(NeuronBuilder {
            region_ids: [h[0], h[1]],
            pop_seed: seed(2),
            core_seed: seed(6),
            n_atoms: h[11],
            structs,
            recording,
        })
    }

    /// The atoms a repeat count stands for.
    fn repeats(&self, n: u32) -> usize {
        if n == PER_ATOM {
            self.n_atoms as usize
        } else {
            n as usize
        }
    }

    /// Runs the neuron expander over the region; an error is where the core stops.
    pub fn expand(&self) -> Result<NeuronExpansion, Abort> {
        let (pop, mut core) = (Kiss64::from_state(self.pop_seed), Kiss64::from_state(self.core_seed));
        let total: usize = self.structs.iter().map(|s| self.repeats(s.n_repeats) * s.fields.len()).sum();
        let mut params = vec![0u32; total];
        let mut base = 0;
        for s in &self.structs {
            let n_fields = s.fields.len();
            for (f, field) in s.fields.iter().enumerate() {
                let mut element = 0;
                for &(n, g) in &field.items {
                    for _ in 0..self.repeats(n) {
                        let v = g.generate(&mut core)?;
                        // Items longer than the struct run on into the next one, as on the chip.
                        if let Some(w) = params.get_mut(base + element * n_fields + f) {
                            *w = field.field_type.write(v);
                        }
                        element += 1;
                    }
                }
            }
            base += self.repeats(s.n_repeats) * n_fields;
        }
        let recording = self.recording_region()?;
        Ok(NeuronExpansion { params, recording, pop_rng: pop.seed, core_rng: core.seed })
    }

    /// The neuron-recording region: per variable its rate, count (and sample size), then one
    /// 16-bit index per atom.
    fn recording_region(&self) -> Result<Vec<u32>, Abort> {
        let n_sampled = self.recording.iter().filter(|v| v.element_size.is_some()).count() as u32;
        let mut w = vec![n_sampled, self.recording.len() as u32 - n_sampled];
        for v in &self.recording {
            let n_recording = if v.n_recording == PER_ATOM { self.n_atoms } else { v.n_recording };
            w.extend([v.rate, n_recording]);
            w.extend(v.element_size);
            let indices = if v.rate == 0 { vec![0; self.n_atoms as usize] } else { self.indices(v, n_recording)? };
            w.extend(
                indices.chunks(2).map(|p| p[0] as u32 | (p.get(1).copied().unwrap_or(n_recording as u16) as u32) << 16),
            );
        }
        Ok(w)
    }

    /// Each atom's place among the recorded ones, `n_recording` for those not recorded.
    fn indices(&self, v: &RecordedVariable, n_recording: u32) -> Result<Vec<u16>, Abort> {
        let n_atoms = self.n_atoms as usize;
        let mut out = Vec::with_capacity(n_atoms);
        let mut next = 0u32;
        for (k, &item) in v.items.iter().enumerate() {
            let len = match item & ALL_ATOMS {
                ALL_ATOMS => n_atoms,
                n => n as usize,
            };
            let last = k + 1 == v.items.len();
            if !last && out.len() + len > n_atoms {
                return Err(Abort::RecordingItems { neuron: (out.len() + len) as u32, n_atoms: self.n_atoms });
            }
            for _ in 0..len.min(n_atoms - out.len()) {
                if item & RECORDED == 0 {
                    out.push(n_recording as u16);
                    continue;
                }
                if next >= n_recording {
                    return Err(Abort::RecordingIndex { index: next, n_recording });
                }
                out.push(next as u16);
                next += 1;
            }
        }
        out.resize(n_atoms, n_recording as u16);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder(n_atoms: u32, structs: Vec<StructBuilder>, recording: Vec<RecordedVariable>) -> NeuronBuilder {
        NeuronBuilder {
            region_ids: [2, 9],
            pop_seed: [1, 2, 3, 4],
            core_seed: [123456789, 362436069, 521288629, 7654321],
            n_atoms,
            structs,
            recording,
        }
    }

    fn field(field_type: FieldType, n: u32, g: ParamGenerator) -> FieldBuilder {
        FieldBuilder { field_type, items: vec![(n, g)] }
    }

    #[test]
    fn type_writers_truncate_and_wrap_as_the_binary() {
        assert_eq!(FieldType::S1615.write(-5), (-5i32) as u32);
        assert_eq!(FieldType::Uint32.write(-3 << 14), u32::MAX, "-1.5 truncates to -1, which wraps");
        assert_eq!(FieldType::Int32.write(5 << 14), 2, "2.5 truncates to 2");
        assert_eq!(FieldType::U032.write(1 << 15), 0, "1.0 wraps to 0 in u0.32");
        assert_eq!(FieldType::U032.write(-(1 << 13)), 0xC000_0000);
    }

    #[test]
    fn draws_go_field_by_field_and_constants_draw_nothing() {
        let uniform = ParamGenerator::Uniform { low: 0, high: 10 << 15 };
        let b = builder(
            3,
            vec![StructBuilder {
                n_repeats: PER_ATOM,
                fields: vec![
                    field(FieldType::S1615, PER_ATOM, uniform),
                    field(FieldType::S1615, PER_ATOM, ParamGenerator::Constant(7)),
                    field(FieldType::S1615, PER_ATOM, uniform),
                ],
            }],
            vec![],
        );
        let e = b.expand().unwrap();
        let mut rng = Kiss64::from_state(b.core_seed);
        let draws: Vec<u32> = (0..6).map(|_| uniform.generate(&mut rng).unwrap() as u32).collect();
        assert_eq!(e.params, vec![draws[0], 7, draws[3], draws[1], 7, draws[4], draws[2], 7, draws[5]]);
        assert_eq!(e.core_rng, rng.seed);
        assert_eq!(e.pop_rng, b.pop_seed, "the population's generator never draws");
    }

    #[test]
    fn recording_indices_follow_the_items() {
        let v = RecordedVariable { rate: 2, element_size: Some(4), n_recording: 2, items: vec![1, 2 | RECORDED, 2] };
        let spikes =
            RecordedVariable { rate: 1, element_size: None, n_recording: PER_ATOM, items: vec![ALL_ATOMS | RECORDED] };
        let e = builder(5, vec![], vec![v, spikes]).expand().unwrap();
        assert_eq!(
            e.recording,
            vec![1, 1, 2, 2, 4, 2, 1 | 2 << 16, 2 | 2 << 16, 1, 5, 1 << 16, 2 | 3 << 16, 4 | 5 << 16]
        );
    }

    #[test]
    fn the_region_reads_back_as_written() {
        let b = builder(
            4,
            vec![
                StructBuilder {
                    n_repeats: 1,
                    fields: vec![field(FieldType::Uint32, 1, ParamGenerator::Constant(1 << 15))],
                },
                StructBuilder {
                    n_repeats: PER_ATOM,
                    fields: vec![FieldBuilder {
                        field_type: FieldType::U032,
                        items: vec![
                            (2, ParamGenerator::Normal { mu: 3, sigma: 4 }),
                            (2, ParamGenerator::Exponential { beta: 9 }),
                        ],
                    }],
                },
            ],
            vec![RecordedVariable { rate: 0, element_size: Some(4), n_recording: 0, items: vec![] }],
        );
        assert_eq!(NeuronBuilder::from_words(&b.words()), Ok(b));
    }

    #[test]
    fn a_recorded_neuron_past_the_count_stops_the_core() {
        let v = RecordedVariable { rate: 1, element_size: None, n_recording: 1, items: vec![2 | RECORDED] };
        assert_eq!(builder(2, vec![], vec![v]).expand(), Err(Abort::RecordingIndex { index: 1, n_recording: 1 }));
    }
}
