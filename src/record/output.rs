//! A run's result files, written as a set: every table is staged in a folder beside the results,
//! then the files of the earlier set are removed and the new ones renamed into place, so that a
//! folder never holds files of two runs (a crash or a kill leaves a subset of one run's files and
//! never mixes them). The folder is created and checked before anything runs.

use crate::error::{Error, Result};
use arrow_array::RecordBatch;
use std::path::{Path, PathBuf};

/// The tables a run can write; a set removes the files of those it does not write.
pub const TABLES: [&str; 4] = ["spikes", "samples", "connections", "provenance"];

/// The file format of the tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// Arrow IPC (`.arrow`).
    #[default]
    Arrow,
    /// Parquet, snappy-compressed (`.parquet`; cargo feature `parquet`).
    Parquet,
}

impl Format {
    /// Every format, in the order of their names in messages.
    pub const ALL: [Format; 2] = [Format::Arrow, Format::Parquet];

    /// The file name extension, which is also the format's name: `arrow` or `parquet`.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Arrow => "arrow",
            Format::Parquet => "parquet",
        }
    }

    /// Refuses a format this build cannot write, before anything runs.
    pub fn check_available(self) -> Result<()> {
        if self == Format::Parquet && !cfg!(feature = "parquet") {
            return Err(Error::Output {
                path: "--format parquet".into(),
                message: "this build of spinnsim has no Parquet support: rebuild with the cargo feature `parquet` \
                          (on by default), or use --format arrow"
                    .into(),
            });
        }
        Ok(())
    }

    /// Writes one table to `path` (not atomically: [`OutputSet`] stages it).
    fn write(self, batch: &RecordBatch, path: &Path) -> Result<()> {
        match self {
            Format::Arrow => super::arrow::write_ipc(batch, path),
            #[cfg(feature = "parquet")]
            Format::Parquet => super::parquet::write_parquet(batch, path),
            #[cfg(not(feature = "parquet"))]
            Format::Parquet => self.check_available(),
        }
    }
}

/// Result files being written into a folder as one set.
pub struct OutputSet {
    dir: PathBuf,
    staging: PathBuf,
    format: Format,
    staged: Vec<String>,
}

const STAGING_PREFIX: &str = ".spinnsim-staging-";

impl OutputSet {
    /// Creates `dir` if needed and checks that result files can be written there (by making the
    /// staging folder inside it), so that a bad folder fails before the network is mapped.
    pub fn prepare(dir: &Path, format: Format) -> Result<Self> {
        format.check_available()?;
        let err = |m: String| Error::Output { path: dir.display().to_string(), message: m };
        if dir.exists() && !dir.is_dir() {
            return Err(err("exists and is not a folder".into()));
        }
        std::fs::create_dir_all(dir).map_err(|e| err(format!("cannot create the folder: {e}")))?;
        remove_abandoned_staging(dir);
        let staging = dir.join(format!("{STAGING_PREFIX}{}", std::process::id()));
        std::fs::remove_dir_all(&staging).ok();
        std::fs::create_dir(&staging).map_err(|e| err(format!("cannot write in the folder: {e}")))?;
        Ok(OutputSet { dir: dir.to_path_buf(), staging, format, staged: Vec::new() })
    }

    /// The folder the set goes to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The final path of table `name`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(self.file_name(name))
    }

    fn file_name(&self, name: &str) -> String {
        format!("{name}.{}", self.format.extension())
    }

    /// Writes table `name` into the staging folder; returns its size in bytes.
    pub fn stage(&mut self, name: &str, batch: &RecordBatch) -> Result<u64> {
        let path = self.staging.join(self.file_name(name));
        self.format.write(batch, &path)?;
        self.staged.push(name.to_string());
        Ok(std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0))
    }

    /// Puts the staged tables in place: first the earlier set's files (every table of [`TABLES`]
    /// in either format, and any partial file) are removed, then the new files are renamed in.
    /// Returns the paths written.
    pub fn commit(self) -> Result<Vec<PathBuf>> {
        let err = |p: &Path, e: std::io::Error| Error::Output { path: p.display().to_string(), message: e.to_string() };
        for name in TABLES {
            for f in Format::ALL {
                for ext in [f.extension().to_string(), format!("{}.partial", f.extension())] {
                    let old = self.dir.join(format!("{name}.{ext}"));
                    match std::fs::remove_file(&old) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(err(&old, e)),
                        _ => {}
                    }
                }
            }
        }
        let mut paths = Vec::with_capacity(self.staged.len());
        for name in &self.staged {
            let (from, to) = (self.staging.join(self.file_name(name)), self.path(name));
            std::fs::rename(&from, &to).map_err(|e| err(&to, e))?;
            paths.push(to);
        }
        Ok(paths)
    }
}

impl Drop for OutputSet {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.staging).ok();
    }
}

/// Removes staging folders left by runs that were killed (their process no longer exists).
fn remove_abandoned_staging(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(STAGING_PREFIX).and_then(|p| p.parse::<u32>().ok()) else { continue };
        // Where processes cannot be looked up, nothing is removed.
        if Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{pid}")).exists() {
            std::fs::remove_dir_all(e.path()).ok();
        }
    }
}
