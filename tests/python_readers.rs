//! The output files as Python users open them: runs the CLI on the synfire dataset, then
//! `tests/python/read_outputs.py` reads spikes.arrow and samples.arrow (and the .parquet files in a
//! build with the `parquet` feature) with pyarrow, pandas and polars and checks their content
//! against the 2019 hardware recording.
//!
//! Needs python3 with pyarrow, pandas and polars (`.ci/run` installs them). Without them the test
//! fails when the environment variable CI is set, and is skipped with a notice otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

fn spinnsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spinnsim"))
}

fn in_ci() -> bool {
    std::env::var("CI").map(|v| !v.is_empty() && v != "0" && v != "false").unwrap_or(false)
}

/// Whether python3 can import the three readers; `Err` says what is missing.
fn python_readers() -> Result<(), String> {
    let o = Command::new("python3")
        .args(["-c", "import pyarrow, pyarrow.ipc, pyarrow.parquet, pandas, polars"])
        .output()
        .map_err(|e| format!("python3 cannot be started: {e}"))?;
    if o.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&o.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string();
        Err(format!("python3 cannot import pyarrow, pandas and polars ({last})"))
    }
}

/// `../shared/oracles/hardware-2019-synfire`, found beside the repository as CI finds it.
fn hardware_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cands = [root.join("../shared/oracles"), root.join("../../shared/oracles")];
    let dir = cands
        .iter()
        .find(|c| c.exists())
        .unwrap_or_else(|| panic!("the oracle data (../shared/oracles) is not beside {}", root.display()));
    dir.join("hardware-2019-synfire")
}

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spinnsim-{name}-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    dir
}

fn run_synfire(out: &Path, format: &str) {
    let dataset = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/synfire.toml");
    let o = spinnsim()
        .args(["run", dataset, "--out"])
        .arg(out)
        .args(["--profile", "spinnaker-2019", "--format", format])
        .output()
        .unwrap();
    assert!(o.status.success(), "spinnsim run --format {format}: {}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains(&format!("spikes.{format}")) && stdout.contains(&format!("samples.{format}")), "{stdout}");
}

#[test]
fn pyarrow_pandas_and_polars_read_the_recordings() {
    if let Err(why) = python_readers() {
        if in_ci() {
            panic!("{why}; CI must have them (.ci/run installs them with pip)");
        }
        // Straight to stderr, past the test harness's capture, so that the skip is seen.
        use std::io::Write;
        let notice = format!(
            "notice: skipped pyarrow_pandas_and_polars_read_the_recordings: {why}; \
             `python3 -m pip install pyarrow pandas polars` to run it (with CI set, this fails)\n"
        );
        std::io::stderr().write_all(notice.as_bytes()).ok();
        return;
    }
    let out = out_dir("python-readers");
    let mut formats = vec!["arrow"];
    if cfg!(feature = "parquet") {
        formats.push("parquet");
    }
    for f in &formats {
        run_synfire(&out.join(f), f);
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/read_outputs.py");
    let hardware = hardware_dir();
    let o = Command::new("python3").arg(script).arg(&out).arg(&hardware).args(&formats).output().unwrap();
    let report = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "read_outputs.py ({}) failed:\n{report}", formats.join(", "));
    println!("{report}");
    std::fs::remove_dir_all(&out).ok();
}

/// Without the feature, asking for Parquet stops before running, with a message that says how to
/// get it.
#[cfg(not(feature = "parquet"))]
#[test]
fn parquet_in_a_build_without_the_feature_says_how_to_rebuild() {
    let out = out_dir("no-parquet");
    let dataset = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/synfire.toml");
    let o = spinnsim().args(["run", dataset, "--out"]).arg(&out).args(["--format", "parquet"]).output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--format parquet") && err.contains("feature `parquet`"), "{err}");
    assert!(!out.exists(), "nothing is written");
}
