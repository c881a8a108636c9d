//! The command line (cargo feature `cli`): `spinnsim run`, `spinnsim map` and `spinnsim devices`.
//! The `spinnsim` binary and the Python package's `spinnsim` command both call [`main`].
//!
//! User errors are printed as one `error:` line (with their causes, never a backtrace) and give
//! exit status 1; an interrupted run gives 130.

mod map;
mod report;
mod run;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::engine::Backend;
use crate::model::Network;
use crate::record::output::Format;

#[derive(Parser)]
#[command(name = "spinnsim", version, about = "Spiking networks with the results of SpiNNaker (sPyNNaker 7.4.1), bit for bit")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a network file and write its recordings as Arrow IPC (or Parquet) files.
    Run(run::RunArgs),
    /// List the GPU adapters the GPU engine can see, with their limits, and which one it would use.
    Devices,
    /// Print how a network maps onto virtual cores.
    Map {
        network: PathBuf,
    },
}

/// The file format of the recordings, as the command line names it.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    Arrow,
    Parquet,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Arrow => Format::Arrow,
            FormatArg::Parquet => Format::Parquet,
        }
    }
}

fn parse_backend(name: &str) -> std::result::Result<Backend, String> {
    Backend::from_name(name).map_err(|_| format!("unknown backend `{name}`; use auto, cpu or gpu"))
}

/// Runs the command line `args` (the program name first) and returns the exit status.
pub fn main<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    ExitCode::from(status(args))
}

/// As [`main`], with the exit status as a number (for callers that are not a process's `main`,
/// such as the Python package's `spinnsim` command).
pub fn status<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    crate::engine::gpu::device::quiet_display_probe();
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0, usage errors to stderr with status 2.
            let _ = e.print();
            return e.exit_code().clamp(0, 255) as u8;
        }
    };
    let outcome = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Devices => {
            map::list_devices();
            Ok(0)
        }
        Command::Map { network } => map::print_map(&network).map(|_| 0),
    };
    outcome.unwrap_or_else(|e| {
        // `{:#}` prints the causes on one line; the backtrace (RUST_BACKTRACE) is for bugs, not user errors.
        eprintln!("error: {e:#}");
        1
    })
}

/// Reads and validates a network file; errors name the file.
fn load(path: &Path) -> Result<Network> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    crate::model::load_toml(&text).with_context(|| format!("in {}", path.display()))
}
