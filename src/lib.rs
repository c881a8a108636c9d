//! spinnsim: spiking neural networks with the results of SpiNNaker (sPyNNaker 7.4.1), bit for bit.
//!
//! The data flows one way: [`model`] (PyNN terms) → [`mapping`] (virtual SpiNNaker cores, a
//! machine image of per-core regions) → [`engine`] (the tick loop) → [`record`] (Arrow).

pub mod error;
pub mod fixed;
pub mod model;

pub use error::{Error, Result};
#[cfg(feature = "cli")]
pub mod cli;
pub mod engine;
pub mod expander;
pub mod machine;
pub mod mapping;
pub mod record;
pub mod sim;
#[cfg(feature = "parquet")]
pub mod sweep;
