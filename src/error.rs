//! The library's error type: every message names what is wrong and where.

use thiserror::Error;

/// Anything that can go wrong building, mapping or running a network.
#[derive(Debug, Error)]
pub enum Error {
    /// A parameter of a population or projection is invalid.
    #[error("{owner}: parameter `{parameter}`: {message}")]
    Parameter { owner: String, parameter: String, message: String },
    /// Something about the network as a whole is invalid.
    #[error("network: {0}")]
    Network(String),
    /// The network file could not be read or parsed.
    #[error("network file: {0}")]
    NetworkFile(String),
    /// The network cannot be mapped onto virtual SpiNNaker cores.
    #[error("mapping: {0}")]
    Mapping(String),
    /// The run was asked for something it cannot do.
    #[error("run: {0}")]
    Run(String),
    /// A sweep specification is invalid, or a sweep's folder cannot be used.
    #[error("sweep: {0}")]
    Sweep(String),
    /// Writing or reading result files failed.
    #[error("output {path}: {message}")]
    Output { path: String, message: String },
}

impl Error {
    pub fn param(owner: impl Into<String>, parameter: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Parameter { owner: owner.into(), parameter: parameter.into(), message: message.into() }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
