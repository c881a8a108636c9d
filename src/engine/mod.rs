//! Engines advance a machine tick by tick (docs/semantics.md §2.1). Each stage has one home per engine:
//! `cpu/<stage>.rs` and `shaders/<stage>.wgsl`.

pub mod cpu;
pub mod gpu;

use crate::error::Result;
use crate::machine::Machine;

/// What a run's observer says after being told how far the run is: go on, or stop at the next
/// tick boundary (a user's Ctrl-C), leaving the simulation as if it had been asked for that many ticks.
pub type RunControl = std::ops::ControlFlow<()>;

/// What advances a [`Machine`] tick by tick: the CPU team ([`cpu::CpuEngine`]) or the GPU
/// ([`gpu::GpuEngine`]), with the same results. Everything else about a run (start-up and
/// resume, reset, parameter changes, recordings, provenance) is the machine's.
pub trait Engine: Send + Sync {
    /// Runs `ticks` ticks of `machine` from where it stands, or fewer when `progress` answers
    /// `Break`, and counts them on the machine ([`Machine::ticks_run`]); returns the ticks run.
    /// `progress` is told now and then how many ticks are done (every tick on the CPU engine,
    /// every batch of about 0.1 s on the GPU engine); it should be cheap. A failure after some
    /// ticks leaves the machine as those ticks left it, recordings included.
    fn advance(
        &mut self,
        machine: &mut Machine,
        ticks: u32,
        progress: &mut dyn FnMut(u32) -> RunControl,
    ) -> Result<u32>;

    /// The engine: [`Backend::Cpu`] or [`Backend::Gpu`].
    fn backend(&self) -> Backend;

    /// The GPU adapter the engine runs on (None on the CPU engine).
    fn adapter(&self) -> Option<&gpu::device::AdapterSummary> {
        None
    }

    /// One run of `ticks` ticks, continuing exactly where the last run stopped, as `sim.run()`
    /// does: the binaries start or resume ([`Machine::begin_run`]), then the engine advances
    /// them. `progress` as in [`Engine::advance`], told once more at the end. Returns the ticks run.
    fn run_with_progress(
        &mut self,
        machine: &mut Machine,
        ticks: u32,
        progress: &mut dyn FnMut(u32) -> RunControl,
    ) -> Result<u32> {
        machine.begin_run(ticks)?;
        let done = self.advance(machine, ticks, progress)?;
        // The last report: its answer no longer matters, the run is over.
        let _ = progress(done);
        Ok(done)
    }

    /// As [`Engine::run_with_progress`], to the end.
    fn run(&mut self, machine: &mut Machine, ticks: u32) -> Result<()> {
        self.run_with_progress(machine, ticks, &mut |_| RunControl::Continue(())).map(|_| ())
    }
}

/// Which engine runs a simulation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Backend {
    /// The GPU engine when a real GPU is present (not a CPU implementation such as lavapipe),
    /// otherwise the CPU engine.
    #[default]
    Auto,
    /// The CPU engine (the reference).
    Cpu,
    /// The GPU engine on the best adapter, a CPU implementation (lavapipe) included; an error when
    /// there is no usable adapter.
    Gpu,
}

impl Backend {
    /// Every backend, in the order of their names in messages.
    pub const ALL: [Backend; 3] = [Backend::Auto, Backend::Cpu, Backend::Gpu];

    /// `auto`, `cpu` or `gpu` (case-insensitive); an error naming the valid choices otherwise.
    pub fn from_name(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| crate::error::Error::Run(format!("unknown backend `{name}`; use auto, cpu or gpu")))
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Auto => "auto",
            Backend::Cpu => "cpu",
            Backend::Gpu => "gpu",
        }
    }

    /// The engine this choice runs on: `Auto` becomes `Gpu` when a hardware GPU is present
    /// (see [`gpu::device::hardware_gpu_present`], asked once per process), else `Cpu`.
    pub fn resolve(self) -> Backend {
        static HARDWARE_GPU: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        match self {
            Backend::Auto if *HARDWARE_GPU.get_or_init(gpu::device::hardware_gpu_present) => Backend::Gpu,
            Backend::Auto => Backend::Cpu,
            b => b,
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Backend {
    type Err = crate::error::Error;

    fn from_str(s: &str) -> Result<Self> {
        Backend::from_name(s)
    }
}
