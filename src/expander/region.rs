//! The connection-builder region of a core (`SynapticMatrices.__write_synapse_expander_data_spec`
//! and `GeneratorData` in the 7.4.1 host; docs/expander.md §1) and the synapse
//! expander's run over it: the population's and the core's generators are seeded once from the
//! header and carry on from edge to edge, in the region's edge order.

use super::connectors::WrappedWeights;
use super::matrix_generator::Matrix;
use super::shared::PopulationDraws;
use super::{Abort, ConnectionGenerator, ParamGenerator};
use crate::fixed::Kiss64;

/// Words of the header before the weight scales.
const HEADER_WORDS: usize = 18;
/// Words of an edge before its matrix parameters.
const EDGE_HEADER_WORDS: usize = 9;

/// One projection onto the core, as the expander generates it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedEdge {
    /// Inclusive view ranges of the pre- and post-synaptic populations (a Population: 0..n − 1).
    pub pre_lo: u32,
    pub pre_hi: u32,
    pub post_lo: u32,
    pub post_hi: u32,
    pub synapse_type: u32,
    pub matrix: Matrix,
    pub connector: ConnectionGenerator,
    pub weight: ParamGenerator,
    pub delay: ParamGenerator,
}

/// The connection-builder region of one core.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionBuilder {
    /// Region ids: synaptic matrix, pop table, bit field, structural (0xFFFFFFFF without).
    pub region_ids: [u32; 4],
    pub post_slice_start: u32,
    pub post_slice_count: u32,
    /// Time steps per ms, s16.15.
    pub timestep_per_delay: i32,
    /// The population's seed (the same on every core of the population) and the core's.
    pub pop_seed: [u32; 4],
    pub core_seed: [u32; 4],
    /// Per synapse type, u32.32.
    pub weight_scales: Vec<u64>,
    pub edges: Vec<GeneratedEdge>,
    /// The bit-field key map that ends the region, as words.
    pub key_map: Vec<u32>,
}

/// What the expander leaves behind for the core: the generators' final states, and per edge the
/// synapses lost to full rows (FixedProbability and FixedNumberPre only warn) and, if the core
/// was stopped, at which edge and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expansion {
    pub pop_rng: [u32; 4],
    pub core_rng: [u32; 4],
    pub lost: Vec<u64>,
    /// Per edge, the writes refused because their row was full (the binary warns at each).
    pub full_writes: Vec<u64>,
    /// Per edge, the synapses written, and those whose weight passed the 16 bits of the word.
    pub written: Vec<u64>,
    pub wrapped: Vec<WrappedWeights>,
    pub abort: Option<(usize, Abort)>,
}

impl GeneratedEdge {
    fn words(&self) -> Vec<u32> {
        let mut w = vec![
            self.pre_lo,
            self.pre_hi,
            self.post_lo,
            self.post_hi,
            self.synapse_type,
            self.matrix.id(),
            self.connector.id(),
            self.weight.id(),
            self.delay.id(),
        ];
        w.extend(self.matrix.words());
        w.extend(self.connector.words());
        w.extend(self.weight.words());
        w.extend(self.delay.words());
        w
    }

    /// The edge at the start of `w`, and how many words it took.
    fn from_words(w: &[u32]) -> Result<(GeneratedEdge, usize), Abort> {
        let short = Abort::Malformed("an edge ends early");
        let h = w.get(..EDGE_HEADER_WORDS).ok_or(short)?;
        let mut at = EDGE_HEADER_WORDS;
        let (matrix, n) = Matrix::from_words(h[5], &w[at..]).ok_or(Abort::Malformed("matrix generator"))?;
        at += n;
        let (connector, n) = ConnectionGenerator::from_words(h[6], &w[at..]).ok_or(Abort::Malformed("connector"))?;
        at += n;
        let (weight, n) = ParamGenerator::from_words(h[7], &w[at..]).ok_or(Abort::Malformed("weight generator"))?;
        at += n;
        let (delay, n) = ParamGenerator::from_words(h[8], &w[at..]).ok_or(Abort::Malformed("delay generator"))?;
        at += n;
        let e = GeneratedEdge {
            pre_lo: h[0],
            pre_hi: h[1],
            post_lo: h[2],
            post_hi: h[3],
            synapse_type: h[4],
            matrix,
            connector,
            weight,
            delay,
        };
        Ok((e, at))
    }
}

impl ConnectionBuilder {
    /// The region's words, as the host writes them.
    pub fn words(&self) -> Vec<u32> {
        let mut w = self.region_ids.to_vec();
        w.extend([
            self.edges.len() as u32,
            self.post_slice_start,
            self.post_slice_count,
            0, // post_index
            self.weight_scales.len() as u32,
            self.timestep_per_delay as u32,
        ]);
        w.extend(self.pop_seed);
        w.extend(self.core_seed);
        for s in &self.weight_scales {
            w.extend([*s as u32, (*s >> 32) as u32]);
        }
        for e in &self.edges {
            w.extend(e.words());
        }
        w.extend(&self.key_map);
        w
    }

    /// The number of edges a region's words hold (0 for no region).
    pub fn edge_count(words: &[u32]) -> u32 {
        words.get(4).copied().unwrap_or(0)
    }

    /// Reads a region back from its words; what follows the last edge is the key map.
    pub fn from_words(w: &[u32]) -> Result<Self, Abort> {
        let h = w.get(..HEADER_WORDS).ok_or(Abort::Malformed("the header ends early"))?;
        let n_types = h[8] as usize;
        let mut at = HEADER_WORDS;
        let scales = w.get(at..at + 2 * n_types).ok_or(Abort::Malformed("the weight scales end early"))?;
        let weight_scales = scales.chunks(2).map(|s| s[0] as u64 | (s[1] as u64) << 32).collect();
        at += 2 * n_types;
        let mut edges = Vec::with_capacity(h[4] as usize);
        for _ in 0..h[4] {
            let (e, n) = GeneratedEdge::from_words(&w[at..])?;
            edges.push(e);
            at += n;
        }
        let seed = |k: usize| [h[k], h[k + 1], h[k + 2], h[k + 3]];
        Ok(ConnectionBuilder {
            region_ids: [h[0], h[1], h[2], h[3]],
            post_slice_start: h[5],
            post_slice_count: h[6],
            timestep_per_delay: h[9] as i32,
            pop_seed: seed(10),
            core_seed: seed(14),
            weight_scales,
            edges,
            key_map: w[at..].to_vec(),
        })
    }

    /// Runs the synapse expander over the region, writing the rows into `matrix` (the core's
    /// synaptic-matrix region, which must hold every edge's rows). Stops at the first abort, as
    /// the core does.
    pub fn expand(&self, matrix: &mut [u32]) -> Expansion {
        self.expand_sharing(matrix, &PopulationDraws::default())
    }

    /// [`Self::expand`], with what the population's cores draw alike shared between them.
    pub fn expand_sharing(&self, matrix: &mut [u32], shared: &PopulationDraws) -> Expansion {
        let (mut pop, mut core) = (Kiss64::from_state(self.pop_seed), Kiss64::from_state(self.core_seed));
        let mut lost = Vec::with_capacity(self.edges.len());
        let mut full_writes = Vec::with_capacity(self.edges.len());
        let (mut written, mut wrapped) = (Vec::with_capacity(self.edges.len()), Vec::with_capacity(self.edges.len()));
        let mut abort = None;
        for (k, e) in self.edges.iter().enumerate() {
            let rows = e.matrix.rows();
            if rows.extent() > matrix.len() || rows.max_stage == 0 || rows.max_delay_per_stage == 0 {
                abort = Some((k, Abort::Malformed("the edge's rows do not fit the synaptic-matrix region")));
                lost.push(0);
                full_writes.push(0);
                written.push(0);
                wrapped.push(WrappedWeights::default());
                break;
            }
            e.matrix.set_up(matrix);
            let mut run = super::connectors::EdgeRun {
                pre_lo: e.pre_lo,
                pre_hi: e.pre_hi,
                post_lo: e.post_lo,
                post_hi: e.post_hi,
                slice_start: self.post_slice_start,
                slice_count: self.post_slice_count,
                weight: e.weight,
                delay: e.delay,
                weight_scale: self.weight_scales.get(e.synapse_type as usize).copied().unwrap_or(0),
                timestep_per_delay: self.timestep_per_delay,
                matrix: &e.matrix,
                words: matrix,
                lost: 0,
                full_writes: 0,
                written: 0,
                wrapped: WrappedWeights::default(),
                shared,
            };
            let r = e.connector.generate(&mut run, &mut pop, &mut core);
            lost.push(run.lost);
            full_writes.push(run.full_writes);
            written.push(run.written);
            wrapped.push(run.wrapped);
            if let Err(a) = r {
                abort = Some((k, a));
                break;
            }
        }
        Expansion { pop_rng: pop.seed, core_rng: core.seed, lost, full_writes, written, wrapped, abort }
    }
}
