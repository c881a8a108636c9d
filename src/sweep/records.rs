//! The records of a sweep folder: a batch's commit record, its files and its instances' outcomes.

use super::spec::Table;
use serde::{Deserialize, Serialize};

/// A file of a committed batch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRecord {
    pub table: Table,
    /// Relative to the output folder.
    pub path: String,
    pub rows: u64,
    pub sha256: String,
}

/// How an instance of a committed batch ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    pub instance: u32,
    pub ok: bool,
    #[serde(default)]
    pub message: Option<String>,
}

/// Wall times of a batch, in seconds (only here: never in the data files).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timings {
    pub map_s: f64,
    pub run_s: f64,
    pub write_s: f64,
    pub wall_s: f64,
}

/// How a batch ran on the GPU: the instances of each engine (one engine advances its instances
/// together), and what the engines did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceRecord {
    pub engines: Vec<u32>,
    pub dispatches: u64,
    pub submissions: u64,
    /// Bytes on the device of the largest engine, recording and staging buffers excluded.
    pub device_bytes: u64,
}

/// A batch's commit record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commit {
    pub batch: u32,
    pub sweep: String,
    pub version: String,
    pub engine: String,
    #[serde(default)]
    pub adapter: Option<String>,
    pub host: String,
    #[serde(rename = "outcome")]
    pub outcomes: Vec<Outcome>,
    #[serde(rename = "file")]
    pub files: Vec<FileRecord>,
    pub timings: Timings,
    #[serde(default)]
    pub device: Option<DeviceRecord>,
}
