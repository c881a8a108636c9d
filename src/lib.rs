//! spinnsim: spiking neural networks with the results of SpiNNaker (sPyNNaker 7.4.1), bit for bit.
//!
//! The data flows one way: [`model`] (PyNN terms) → [`mapping`] (virtual SpiNNaker cores, a
//! machine image of per-core regions) → [`engine`] (the tick loop) → [`record`] (Arrow).

pub mod fixed;
pub mod error;
pub mod model;

pub use error::{Error, Result};
pub mod mapping;
pub mod engine;
pub mod record;
pub mod sim;
#[cfg(feature = "cli")]
pub mod cli;
