//! A sweep's output folder, one dataset:
//!
//! ```text
//! OUT/sweep.toml                          the sweep, frozen (its SHA-256 is the sweep's identity)
//! OUT/plan.toml                           every instance's structure and batch
//! OUT/instances.parquet                   one row per instance: its values, batch and status
//! OUT/<table>/batch=<b>/part-0.parquet    per table written, per batch (an `instance` column)
//! OUT/_commits/batch-<b>.toml             a batch's commit record, written last
//! OUT/_locks/batch-<b>.lock               the worker running a batch (host, pid, time)
//! OUT/_staging/                           files being written, outside every table folder
//! ```
//!
//! A batch's files are written in the staging folder, synced, and renamed into place; its commit
//! record (rows and SHA-256 of each file, engine, adapter, version, timings) is written last, so
//! a batch is done exactly when its record exists. A reader of a table folder never sees a
//! half-written file; [`Dataset::committed_files`] lists the files of committed batches only.

use super::plan::Plan;
pub use super::records::{Commit, DeviceRecord, FileRecord, Outcome, Timings};
use super::spec::Table;
use super::Sweep;
use crate::error::{Error, Result};
use arrow_array::RecordBatch;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The SHA-256 of `bytes` in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Output { path: path.display().to_string(), message: e.to_string() }
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, synced, renamed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension(format!("partial-{}", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        std::fs::remove_file(&tmp).ok();
        return Err(io_err(path, e));
    }
    sync_dir(path.parent().unwrap_or(Path::new(".")));
    Ok(())
}

/// Syncs a folder's entries (renames into it) where the system allows.
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        d.sync_all().ok();
    }
}

/// The name of this host, for locks and commit records.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// A sweep's output folder.
pub struct Dataset {
    dir: PathBuf,
}

impl Dataset {
    /// Creates the folder for `sweep` and `plan`, or opens the one already made for the same sweep;
    /// a folder of another sweep (another hash) is refused.
    pub fn create(dir: &Path, sweep: &Sweep, plan: &Plan) -> Result<Dataset> {
        let frozen = sweep.to_toml()?;
        let ds = Dataset { dir: dir.to_path_buf() };
        if sha256_hex(frozen.as_bytes()) != plan.sweep {
            return Err(Error::Sweep("the plan is of another sweep".into()));
        }
        ds.check_same_sweep(&plan.sweep)?;
        for sub in ["", "_commits", "_locks", "_staging"] {
            std::fs::create_dir_all(dir.join(sub)).map_err(|e| io_err(&dir.join(sub), e))?;
        }
        write_atomically(&ds.path("plan.toml"), plan.to_toml()?.as_bytes())?;
        write_atomically(&ds.path("sweep.toml"), frozen.as_bytes())?;
        ds.write_instances(sweep, plan)?;
        Ok(ds)
    }

    /// Whether the folder holds a sweep (`Ok(true)`: the one of hash `hash`); a folder of
    /// another sweep is an error.
    fn check_same_sweep(&self, hash: &str) -> Result<bool> {
        match std::fs::read_to_string(self.path("sweep.toml")) {
            Ok(old) => {
                let old_hash = sha256_hex(old.as_bytes());
                if old_hash != hash {
                    return Err(Error::Sweep(format!(
                        "{} holds another sweep (sweep.toml has SHA-256 {}…, this one {}…): resuming with a different \
                         spec is refused; give another folder, or remove this one to start again",
                        self.dir.display(),
                        &old_hash[..12],
                        &hash[..12]
                    )));
                }
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_err(&self.path("sweep.toml"), e)),
        }
    }

    /// Plans `sweep` into `dir`: a new folder is planned (every instance mapped, `progress` told
    /// how many) and written; the folder of the same sweep is opened as it is (a resume: nothing
    /// is mapped again); a folder of another sweep is refused before anything is mapped.
    pub fn plan_into(dir: &Path, sweep: &Sweep, progress: &(dyn Fn(usize) + Sync)) -> Result<(Dataset, Plan)> {
        let ds = Dataset { dir: dir.to_path_buf() };
        if ds.check_same_sweep(&sweep.hash()?)? {
            let (ds, _, plan) = Dataset::open(dir)?;
            return Ok((ds, plan));
        }
        let plan = super::plan::plan(sweep, progress)?;
        let ds = Dataset::create(dir, sweep, &plan)?;
        Ok((ds, plan))
    }

    /// Opens a planned folder: its sweep and plan, checked to belong together.
    pub fn open(dir: &Path) -> Result<(Dataset, Sweep, Plan)> {
        let ds = Dataset { dir: dir.to_path_buf() };
        let read = |name: &str| {
            std::fs::read_to_string(ds.path(name)).map_err(|e| {
                Error::Sweep(format!(
                    "{}: {e} (is {} a sweep folder made by `spinnsim sweep plan`?)",
                    name,
                    dir.display()
                ))
            })
        };
        let text = read("sweep.toml")?;
        let sweep = Sweep::from_toml(&text)?;
        let plan = Plan::from_toml(&read("plan.toml")?)?;
        if plan.sweep != sha256_hex(text.as_bytes()) {
            return Err(Error::Sweep(format!("{}: plan.toml belongs to another sweep.toml", dir.display())));
        }
        Ok((ds, sweep, plan))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    fn commit_path(&self, batch: u32) -> PathBuf {
        self.path(&format!("_commits/batch-{batch}.toml"))
    }

    /// The relative path of a table's file of a batch.
    pub fn table_file(table: Table, batch: u32) -> String {
        format!("{}/batch={batch}/part-0.parquet", table.name())
    }

    /// The commit record of `batch`, if it is committed.
    pub fn commit_of(&self, batch: u32) -> Result<Option<Commit>> {
        let p = self.commit_path(batch);
        match std::fs::read_to_string(&p) {
            Ok(t) => toml::from_str(&t).map(Some).map_err(|e| io_err(&p, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&p, e)),
        }
    }

    /// Every commit record, by batch.
    pub fn commits(&self, plan: &Plan) -> Result<BTreeMap<u32, Commit>> {
        let mut all = BTreeMap::new();
        for b in &plan.batches {
            if let Some(c) = self.commit_of(b.id)? {
                all.insert(b.id, c);
            }
        }
        Ok(all)
    }

    /// The files of `table` of the committed batches (absolute paths), in batch order.
    pub fn committed_files(&self, plan: &Plan, table: Table) -> Result<Vec<PathBuf>> {
        Ok(self
            .commits(plan)?
            .values()
            .flat_map(|c| c.files.iter().filter(|f| f.table == table).map(|f| self.path(&f.path)).collect::<Vec<_>>())
            .collect())
    }

    /// Commits a batch: writes its tables in the staging folder, syncs them, renames them into
    /// their table folders, then writes the commit record (`commit.files` is filled in here).
    pub fn commit(&self, mut commit: Commit, tables: &[(Table, RecordBatch)]) -> Result<Commit> {
        let b = commit.batch;
        let staging = self.path(&format!("_staging/{}-{}-{b}", host_name(), std::process::id()));
        std::fs::remove_dir_all(&staging).ok();
        std::fs::create_dir_all(&staging).map_err(|e| io_err(&staging, e))?;
        let mut staged = Vec::new();
        for (table, batch) in tables {
            let file = staging.join(format!("{}.parquet", table.name()));
            crate::record::parquet::write_parquet(batch, &file)?;
            let bytes = std::fs::read(&file).map_err(|e| io_err(&file, e))?;
            let rel = Self::table_file(*table, b);
            commit.files.push(FileRecord {
                table: *table,
                path: rel.clone(),
                rows: batch.num_rows() as u64,
                sha256: sha256_hex(&bytes),
            });
            staged.push((file, rel));
        }
        for (from, rel) in &staged {
            let to = self.path(rel);
            let folder = to.parent().expect("a table file is in a folder");
            std::fs::create_dir_all(folder).map_err(|e| io_err(folder, e))?;
            std::fs::rename(from, &to).map_err(|e| io_err(&to, e))?;
            sync_dir(folder);
        }
        std::fs::remove_dir_all(&staging).ok();
        let text = toml::to_string(&commit).map_err(|e| Error::Sweep(format!("writing the commit record: {e}")))?;
        write_atomically(&self.commit_path(b), text.as_bytes())?;
        Ok(commit)
    }

    /// Rewrites instances.parquet with the statuses of the batches committed so far (under a
    /// lock, so that workers finishing together do not lose each other's statuses).
    pub fn refresh_instances(&self, sweep: &Sweep, plan: &Plan) -> Result<()> {
        let lock_path = self.path("_locks/instances.lock");
        let mut waited = Duration::ZERO;
        let lock = loop {
            if let Some(l) = Lock::take(&lock_path, Duration::from_secs(60))? {
                break l;
            }
            if waited > Duration::from_secs(120) {
                return Err(Error::Sweep(format!("{} stays locked", lock_path.display())));
            }
            std::thread::sleep(Duration::from_millis(20));
            waited += Duration::from_millis(20);
        };
        let written = self.write_instances(sweep, plan);
        drop(lock);
        written
    }

    fn write_instances(&self, sweep: &Sweep, plan: &Plan) -> Result<()> {
        let commits = self.commits(plan)?;
        let batch = super::tables::instances_batch(sweep, plan, commits.values().flat_map(|c| &c.outcomes))?;
        crate::record::parquet::write_parquet(&batch, &self.path("instances.parquet"))
    }

    /// Removes the staging folders of workers that are gone from this host (killed while they
    /// wrote a batch; that batch has no commit record and runs again).
    pub fn remove_abandoned_staging(&self) {
        let Ok(entries) = std::fs::read_dir(self.path("_staging")) else { return };
        let here = host_name();
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            // `<host>-<pid>-<batch>`; the host may hold dashes itself.
            let mut parts = name.rsplitn(3, '-');
            let (_batch, pid, host) = (parts.next(), parts.next(), parts.next());
            let Some(pid) = pid.and_then(|p| p.parse::<u32>().ok()) else { continue };
            let gone = Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{pid}")).exists();
            if host == Some(here.as_str()) && gone {
                std::fs::remove_dir_all(e.path()).ok();
            }
        }
    }

    /// Takes the lock of `batch`, unless another live worker holds it.
    pub fn lock_batch(&self, batch: u32, stale_after: Duration) -> Result<Option<Lock>> {
        Lock::take(&self.path(&format!("_locks/batch-{batch}.lock")), stale_after)
    }

    /// Who holds the lock of `batch`, if anyone.
    pub fn lock_holder(&self, batch: u32) -> Option<LockInfo> {
        let p = self.path(&format!("_locks/batch-{batch}.lock"));
        std::fs::read_to_string(p).ok().and_then(|t| toml::from_str(&t).ok())
    }
}

/// What a lock file says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LockInfo {
    pub host: String,
    pub pid: u32,
    /// Seconds since the Unix epoch.
    pub time: u64,
}

impl LockInfo {
    /// Whether its worker is gone: the same host without that process, or older than `stale_after`.
    pub fn is_stale(&self, stale_after: Duration) -> bool {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let dead_here = self.host == host_name()
            && Path::new("/proc/self").exists()
            && !Path::new(&format!("/proc/{}", self.pid)).exists();
        dead_here || now.saturating_sub(self.time) > stale_after.as_secs()
    }
}

/// A lock file, removed when dropped.
pub struct Lock {
    path: PathBuf,
}

impl Lock {
    /// Creates `path` exclusively; a stale lock is taken over; another live worker's lock
    /// gives None.
    pub fn take(path: &Path, stale_after: Duration) -> Result<Option<Lock>> {
        for _ in 0..2 {
            match Self::create(path) {
                Ok(()) => return Ok(Some(Lock { path: path.to_path_buf() })),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let info: Option<LockInfo> =
                        std::fs::read_to_string(path).ok().and_then(|t| toml::from_str(&t).ok());
                    // A lock being written (no content yet) is live, unless it has been so for a minute.
                    let age = std::fs::metadata(path).and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
                    let stale = match info {
                        Some(i) => i.is_stale(stale_after),
                        None => age.is_some_and(|a| a > Duration::from_secs(60)),
                    };
                    if !stale {
                        return Ok(None);
                    }
                    std::fs::remove_file(path).ok();
                }
                Err(e) => return Err(io_err(path, e)),
            }
        }
        Ok(None)
    }
}

impl Lock {
    /// Creates the lock file `path` with its holder in it, or fails with `AlreadyExists`. The
    /// holder is written to a file of this process's own and hard-linked into place, so that the
    /// lock never exists empty: a worker killed while it takes a lock leaves either no lock or
    /// one naming it, which the next worker takes over at once. Where the file system has no
    /// hard links, the lock is created and then written.
    fn create(path: &Path) -> std::io::Result<()> {
        use std::io::Write;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let info = LockInfo { host: host_name(), pid: std::process::id(), time: now };
        let text = toml::to_string(&info).map_err(std::io::Error::other)?;
        let mine = path.with_extension(format!("taking-{}", std::process::id()));
        let written = std::fs::File::create(&mine).and_then(|mut f| {
            f.write_all(text.as_bytes())?;
            f.sync_all()
        });
        let linked = written.and_then(|()| std::fs::hard_link(&mine, path));
        std::fs::remove_file(&mine).ok();
        match linked {
            Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {
                let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
                f.write_all(text.as_bytes())?;
                f.sync_all()
            }
            other => other,
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        std::fs::remove_file(&self.path).ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("spinnsim-lock-{name}-{}", std::process::id()));
        std::fs::remove_dir_all(&d).ok();
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_lock_names_its_holder_from_the_moment_it_exists() {
        let d = scratch("holder");
        let path = d.join("batch-0.lock");
        let lock = Lock::take(&path, Duration::from_secs(60)).unwrap().expect("free");
        let info: LockInfo = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!((info.host, info.pid), (host_name(), std::process::id()));
        assert!(Lock::take(&path, Duration::from_secs(60)).unwrap().is_none(), "held by a live process");
        let names: Vec<_> = std::fs::read_dir(&d).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("batch-0.lock")], "nothing else is left");
        drop(lock);
        assert!(!path.exists());
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn the_lock_of_a_process_gone_from_this_host_is_taken_over_at_once() {
        let d = scratch("gone");
        let path = d.join("batch-3.lock");
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let gone = child.id();
        child.wait().unwrap();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let info = LockInfo { host: host_name(), pid: gone, time: now };
        std::fs::write(&path, toml::to_string(&info).unwrap()).unwrap();
        let lock = Lock::take(&path, Duration::from_secs(3600)).unwrap();
        assert!(lock.is_some(), "a dead holder's lock is free");
        let info: LockInfo = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(info.pid, std::process::id());
        std::fs::remove_dir_all(&d).ok();
    }
}
