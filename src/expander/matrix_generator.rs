//! Which matrix generator an edge uses (`matrix_generator.c` of the synapse expander): static
//! rows ([`StaticMatrix`]) or plastic ones ([`StdpMatrix`]), by the edge's `matrix_id`.

use super::matrix::StaticMatrix;
use super::matrix_stdp::StdpMatrix;
use super::Abort;

/// `matrix_id` of the static matrix generator.
pub const STATIC_MATRIX_ID: u32 = 0;
/// `matrix_id` of the STDP matrix generator.
pub const STDP_MATRIX_ID: u32 = 1;

/// An edge's matrix generator: static rows, or plastic rows ([`StdpMatrix`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matrix {
    Static(StaticMatrix),
    Stdp(StdpMatrix),
}

impl Matrix {
    /// The generator's `matrix_id`.
    pub fn id(&self) -> u32 {
        match self {
            Matrix::Static(_) => STATIC_MATRIX_ID,
            Matrix::Stdp(_) => STDP_MATRIX_ID,
        }
    }

    /// The rows: offsets, row words, stages and pre-synaptic atoms.
    pub fn rows(&self) -> &StaticMatrix {
        match self {
            Matrix::Static(m) => m,
            Matrix::Stdp(m) => &m.rows,
        }
    }

    pub fn words(&self) -> Vec<u32> {
        match self {
            Matrix::Static(m) => m.words().to_vec(),
            Matrix::Stdp(m) => m.words().to_vec(),
        }
    }

    /// The generator `id`'s parameters at the start of `w`, and how many words they took.
    pub fn from_words(id: u32, w: &[u32]) -> Option<(Self, usize)> {
        match id {
            STATIC_MATRIX_ID => Some((Matrix::Static(StaticMatrix::from_words(w)?), StaticMatrix::N_WORDS)),
            STDP_MATRIX_ID => Some((Matrix::Stdp(StdpMatrix::from_words(w)?), StdpMatrix::N_WORDS)),
            _ => None,
        }
    }

    /// The generator's set-up of every row of the edge.
    pub fn set_up(&self, matrix: &mut [u32]) {
        match self {
            Matrix::Static(m) => m.set_up(matrix),
            Matrix::Stdp(m) => m.set_up(matrix),
        }
    }

    /// `write_synapse` of the generator ([`StaticMatrix::write`], [`StdpMatrix::write`]).
    pub fn write(
        &self,
        matrix: &mut [u32],
        pre: u32,
        local_post: u32,
        weight: i32,
        delay: u16,
        weight_scale: u64,
    ) -> Result<bool, Abort> {
        match self {
            Matrix::Static(m) => m.write(matrix, pre, local_post, weight, delay, weight_scale),
            Matrix::Stdp(m) => m.write(matrix, pre, local_post, weight, delay, weight_scale),
        }
    }
}
