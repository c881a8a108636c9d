//! The on-chip generators of sPyNNaker 7.4.1, as `synapse_expander.aplx` and
//! `neuron_expander.aplx` run them: from the connection-builder region the host writes for a core
//! (seeds, connectors and distributions as a few parameter words), the synaptic rows the binary
//! writes, and from the neuron-builder region, the neuron parameters, draw for draw
//! (docs/expander.md).
//!
//! * [`params`]: the parameter generators (constants and random variates in s16.15);
//! * [`connectors`]: the connection generators and their draw orders;
//! * [`kernel`]: the kernel generator's grids (`KernelConnector`);
//! * [`matrix`]: where a synapse goes (row by delay stage) and the word it becomes;
//! * [`matrix_stdp`]: the same for plastic rows, laid out for their longest length;
//! * [`matrix_generator`]: which of the two an edge uses;
//! * [`region`]: the connection-builder region, word for word, and the run over its edges, whose
//!   two mars_kiss64 generators (population and core) carry on from edge to edge;
//! * [`shared`]: what the cores of a population draw alike, drawn once;
//! * [`neurons`]: the neuron-builder region and the neuron expander's run over it.
//!
//! The module depends on [`crate::fixed`] only; the mapping writes the regions and calls it.

pub mod connectors;
pub mod kernel;
pub mod matrix;
pub mod matrix_generator;
pub mod matrix_stdp;
pub mod neurons;
pub mod params;
pub mod region;
pub mod shared;

pub use connectors::ConnectionGenerator;
pub use kernel::KernelGrid;
pub use matrix::StaticMatrix;
pub use matrix_generator::Matrix;
pub use matrix_stdp::StdpMatrix;
pub use neurons::{NeuronBuilder, NeuronExpansion};
pub use params::ParamGenerator;
pub use region::{ConnectionBuilder, Expansion, GeneratedEdge};

/// Why an expander stops a core (`rt_error` in the binary): the core's synapses or neurons are
/// then not generated at all, and the run cannot start.
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
    /// A neuron struct field of a type the neuron expander has no writer for (RTE_SWERR).
    #[error("a neuron parameter has the type id {0}, which the neuron expander cannot write")]
    FieldType(u32),
    /// The recording items of a variable go on past the core's last neuron (RTE_SWERR).
    #[error("the recording items reach neuron {neuron} of a core of {n_atoms}")]
    RecordingItems { neuron: u32, n_atoms: u32 },
    /// A recorded neuron's index reaches the variable's recorded count (RTE_SWERR).
    #[error("recorded neuron {index} is not below the {n_recording} the recording region holds")]
    RecordingIndex { index: u32, n_recording: u32 },
    /// The region names a generator the binary does not have, or ends early.
    #[error("the builder region is malformed: {0}")]
    Malformed(&'static str),
}
