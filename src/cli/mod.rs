//! The command line (cargo feature `cli`): `spinnsim run`, `spinnsim map`, `spinnsim devices` and
//! `spinnsim sweep`.
//! The `spinnsim` binary and the Python package's `spinnsim` command both call [`main`].
//!
//! User errors are printed as one `error:` line (with their causes, never a backtrace) and give
//! exit status 1; an interrupted run gives 130.

mod map;
mod report;
mod run;
mod sweep;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::engine::Backend;
use crate::model::Network;
use crate::record::output::Format;

#[derive(Parser)]
#[command(
    name = "spinnsim",
    version,
    about = "Spiking networks with the results of SpiNNaker (sPyNNaker 7.4.1), bit for bit"
)]
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
    Map { network: PathBuf },
    /// Parameter sweeps: plan, run (sharded over Slurm arrays, Ray or Dask), status, export.
    Sweep {
        #[command(subcommand)]
        command: sweep::SweepCommand,
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
    report_panics_as_bugs();
    let outcome = std::panic::catch_unwind(|| match cli.command {
        Command::Run(args) => run::run(args),
        Command::Devices => {
            map::list_devices();
            Ok(0)
        }
        Command::Map { network } => map::print_map(&network).map(|_| 0),
        Command::Sweep { command } => sweep::sweep(command),
    });
    match outcome {
        Ok(Ok(status)) => status,
        // `{:#}` prints the causes on one line; the backtrace (RUST_BACKTRACE) is for bugs, not user errors.
        Ok(Err(e)) => {
            eprintln!("error: {e:#}");
            1
        }
        // A reader that went away (`spinnsim map net.toml | head`): stop quietly, as a pipe does.
        Err(payload) if is_broken_pipe(panic_message(payload.as_ref()).as_str()) => 141,
        // Already reported by the hook.
        Err(_) => 101,
    }
}

/// The message of a panic.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Whether a panic is `println!` failing because stdout's reader closed the pipe.
fn is_broken_pipe(message: &str) -> bool {
    message.starts_with("failed printing to stdout") && message.contains("Broken pipe")
}

/// A panic is a bug in spinnsim, not a mistake of the user's: it is reported as one, with where
/// it happened (and the backtrace when RUST_BACKTRACE asks for it).
fn report_panics_as_bugs() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let what = panic_message(info.payload());
            if is_broken_pipe(&what) {
                return;
            }
            let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
            eprintln!("error: internal error (a bug in spinnsim; please report it with the network file): {what}{at}");
            if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
                eprintln!("{}", std::backtrace::Backtrace::force_capture());
            }
        }));
    });
}

/// Reads and validates a network file; errors name the file.
fn load(path: &Path) -> Result<Network> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    crate::model::load_toml(&text).with_context(|| format!("in {}", path.display()))
}
