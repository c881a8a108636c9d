//! Engines run a machine image tick by tick (docs/semantics.md §2.1). Each stage has one home per engine.

pub mod cpu;
pub mod gpu;

use crate::error::Result;
use crate::record::Recordings;

/// Per-core provenance counters, as the SpiNNaker binaries report them (docs/semantics.md §8).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Provenance {
    pub core: String,
    /// Synaptic words processed ("Total_pre_synaptic_events"): static words plus plastic synapses.
    pub pre_synaptic_events: u64,
    /// Ring-buffer adds that saturated at 0xFFFF.
    pub synaptic_weight_saturations: u64,
    /// Spikes received whose key found no pop-table entry.
    pub invalid_master_pop_hits: u64,
    /// Spikes whose pop-table entry had no valid row block.
    pub ghost_pop_table_searches: u64,
    /// Multicast packets processed (a payload of n counts n times).
    pub spikes_processed: u64,
    /// Packets sent by the core.
    pub packets_sent: u64,
    /// Delay extension: spike counts that saturated at 255.
    pub delay_count_saturations: u64,
    /// Spikes that arrived with an odd colour delay (`late_spikes += colour_delay & 1`, as counted on chip).
    pub late_spikes: u64,
    /// The largest colour delay seen.
    pub max_late_spike: u32,
    /// Static synapses skipped because their delay had already passed.
    pub synapses_skipped: u64,
    /// Rows looked up beyond the end of the synaptic matrix (read as empty).
    pub rows_outside_matrix: u64,
    /// STDP: plastic-synapse ring-buffer adds that saturated at 0xFFFF (sPyNNaker's
    /// `plastic_saturation_count`, separate from `synaptic_weight_saturations`; docs/stdp.md §7).
    pub plastic_weight_saturations: u64,
}

/// A synapse as a row holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowSynapse {
    pub pre: u32,
    pub post: u32,
    pub synapse_type: u32,
    pub weight: u16,
    /// Total delay in ticks (delay-extension stages included).
    pub delay: u32,
}

/// What `reset()` does to the cores (docs/decisions.md D5, D8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ResetMode {
    /// As sPyNNaker 7.4.1 resets a network without plastic synapses: the binaries keep running, so
    /// neuron cores keep their colour counters and delay extensions keep the spikes they hold.
    #[default]
    Soft,
    /// As if the binaries were loaded again: every core starts fresh.
    Reload,
}

/// What a run's observer says after being told how far the run is: go on, or stop at the next
/// tick boundary (a user's Ctrl-C), leaving the simulation as if it had been asked for that many ticks.
pub type RunControl = std::ops::ControlFlow<()>;

/// What every engine offers.
pub trait Engine {
    /// Advances the simulation by `ticks` timesteps, continuing exactly where the last run stopped.
    fn run(&mut self, ticks: u32) -> Result<()> {
        self.run_with_progress(ticks, &mut |_| RunControl::Continue(())).map(|_| ())
    }
    /// As [`Engine::run`] (one run, not several), telling `progress` now and then how many of
    /// the ticks are done (every tick on the CPU engine, every batch of about 0.1 s on the GPU
    /// engine; it should be cheap, and rate-limit what is costly). When it
    /// answers `Break`, the run ends at a tick boundary soon after, in the state of a run of that
    /// many ticks, recordings included. Returns the ticks run.
    fn run_with_progress(&mut self, ticks: u32, progress: &mut dyn FnMut(u32) -> RunControl) -> Result<u32>;
    /// Returns to tick 0 with the initial state, as `sim.reset()` does (docs/semantics.md §10).
    fn reset(&mut self);
    /// The current tick (number of ticks run since the last reset).
    fn tick(&self) -> u32;
    fn recordings(&self) -> Recordings;
    fn provenance(&self) -> Vec<Provenance>;
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
