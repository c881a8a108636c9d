//! The on-chip generators of sPyNNaker 7.4.1, as `synapse_expander.aplx` runs them: from the
//! connection-builder region the host writes for a core (seeds, connectors and distributions as a
//! few parameter words), the synaptic rows the binary writes, draw for draw
//! (docs/expander.md).
//!
//! * [`params`]: the parameter generators (constants and random variates in s16.15);
//! * [`connectors`]: the connection generators and their draw orders;
//! * [`matrix`]: where a synapse goes (row by delay stage) and the word it becomes;
//! * [`region`]: the connection-builder region, word for word, and the run over its edges, whose
//!   two mars_kiss64 generators (population and core) carry on from edge to edge.
//!
//! The module depends on [`crate::fixed`] only; the mapping writes the regions and calls it.

pub mod connectors;
pub mod matrix;
pub mod params;
pub mod region;

pub use connectors::ConnectionGenerator;
pub use matrix::StaticMatrix;
pub use params::ParamGenerator;
pub use region::{ConnectionBuilder, Expansion, GeneratedEdge};

/// Why the expander stops a core (`rt_error` in the binary): the core's synapses are then not
/// generated at all, and the run cannot start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Abort {
    /// A clipped distribution drew [`params::MAX_CLIPPED_DRAWS`] values (RTE_SWERR).
    #[error(
        "a clipped distribution drew {} values without one in [{low}, {high}] (s16.15)",
        params::MAX_CLIPPED_DRAWS
    )]
    ClippedDraws { low: i32, high: i32 },
    /// A synapse found its row full, in a connector that stops on it (RTE_ABORT).
    #[error("the row of pre-synaptic neuron {pre} is full (the synapse onto {post})")]
    RowFull { pre: u32, post: u32 },
    /// Every candidate is the neuron itself and self connections are not allowed: the binary would
    /// redraw for ever.
    #[error("neuron {post}'s only candidate is itself, and self connections are not allowed")]
    OnlySelf { post: u32 },
    /// A synapse's row lies outside the synaptic-matrix region (a pre-synaptic index past the
    /// population: the binary would write over whatever follows the region).
    #[error("the row of pre-synaptic neuron {pre} lies outside the synaptic-matrix region")]
    OutsideRegion { pre: u32 },
    /// Fixed total without replacement asks more pairs than the core's stack holds (the binary
    /// would fault or overwrite its own parameters).
    #[error(
        "fixed total without replacement draws {n} pairs, more than the {} whose reservoir fits the core's 64 KiB \
         DTCM (the binary keeps it on the stack)",
        connectors::MAX_RESERVOIR_PAIRS
    )]
    ReservoirTooLarge { n: u32 },
    /// The region names a generator the binary does not have, or ends early.
    #[error("the connection-builder region is malformed: {0}")]
    Malformed(&'static str),
}
