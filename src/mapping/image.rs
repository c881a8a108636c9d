//! The machine image: what sPyNNaker would write to each virtual core, plus the routing table.
//! Engines consume only this. Region word layouts are sPyNNaker's where it has one.

use crate::model::CellType;

/// Which arithmetic the derived neuron constants follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Profile {
    /// Constants computed on chip as the 7.4.1 binaries do (kdivk → expk/expulr).
    #[default]
    Spinnaker7,
    /// Constants computed on the host in float64, as the 2019 software did.
    Spinnaker2019,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Spinnaker7 => "spinnaker-7",
            Profile::Spinnaker2019 => "spinnaker-2019",
        }
    }
    pub fn from_name(s: &str) -> Option<Profile> {
        match s {
            "spinnaker-7" => Some(Profile::Spinnaker7),
            "spinnaker-2019" => Some(Profile::Spinnaker2019),
            _ => None,
        }
    }
}

/// One routing-table entry: packets whose key matches go to these cores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteEntry {
    pub key: u32,
    pub mask: u32,
    pub destinations: Vec<u32>,
}

/// The routing entry for a key (entries are sorted by key and do not overlap).
pub fn route_of(table: &[RouteEntry], key: u32) -> Option<&RouteEntry> {
    let i = table.partition_point(|e| e.key <= key);
    let e = table.get(i.checked_sub(1)?)?;
    (key & e.mask == e.key).then_some(e)
}

/// Per-neuron parameters after on-chip initialisation, and initial state; raw s16.15 unless noted.
#[derive(Clone, Debug, Default)]
pub struct NeuronArrays {
    pub v: Vec<i32>,
    pub isyn_exc: Vec<i32>,
    pub isyn_inh: Vec<i32>,
    // LIF
    pub v_rest: Vec<i32>,
    pub r_membrane: Vec<i32>,
    pub exp_tc: Vec<i32>,
    pub v_reset: Vec<i32>,
    pub v_thresh: Vec<i32>,
    /// Refractory period in ticks (integer).
    pub t_refract: Vec<i32>,
    pub i_offset: Vec<i32>,
    /// Delta synapses: input scale `kdivk(1.0k, ts)`.
    pub delta_scale: Vec<i32>,
    // exponential synapses (u0.32)
    pub exc_decay: Vec<u32>,
    pub exc_init: Vec<u32>,
    pub inh_decay: Vec<u32>,
    pub inh_init: Vec<u32>,
    // conductance input
    pub e_rev_e: Vec<i32>,
    pub e_rev_i: Vec<i32>,
    // Izhikevich
    pub a: Vec<i32>,
    pub b: Vec<i32>,
    pub c: Vec<i32>,
    pub d: Vec<i32>,
    pub u: Vec<i32>,
    /// The first integration step after loading (dt).
    pub this_h: Vec<i32>,
    pub reset_h: Vec<i32>,
}

/// A current source on a core, with ticks computed as the host does.
#[derive(Clone, Debug, PartialEq)]
pub enum CurrentSourceImage {
    Dc { neurons: Vec<u32>, amplitude: i32, start: u32, stop: u32 },
    Step { neurons: Vec<u32>, times: Vec<u32>, amplitudes: Vec<i32> },
}

/// What one core records of one variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordSpec {
    /// Local neuron indices recorded, ascending (the recording index order).
    pub neurons: Vec<u32>,
    /// Sampling interval in ticks (≥ 1).
    pub rate: u32,
}

/// The ticks that sample every `rate` ticks (from tick 0) in [t0, t0 + ticks): the number of the
/// first sample, and how many there are.
pub fn sampling_ticks(t0: u32, ticks: u32, rate: u32) -> (u32, u64) {
    let rate = rate.max(1);
    let first = t0.div_ceil(rate);
    (first, (t0 as u64 + ticks as u64).div_ceil(rate as u64) - first as u64)
}

impl RecordSpec {
    /// [`sampling_ticks`] of this recording.
    pub fn sample_ticks(&self, t0: u32, ticks: u32) -> (u32, u64) {
        sampling_ticks(t0, ticks, self.rate)
    }
}

/// Recording requests of a core: spikes, v, gsyn_exc, gsyn_inh.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CoreRecording {
    pub spikes: Option<RecordSpec>,
    pub v: Option<RecordSpec>,
    pub gsyn_exc: Option<RecordSpec>,
    pub gsyn_inh: Option<RecordSpec>,
}

/// A neuron core (combined neuron + synapse core, the default splitter).
#[derive(Clone, Debug)]
pub struct NeuronCore {
    pub model: CellType,
    /// Region 4 (SynapseParams): `[n_neurons, n_synapse_types, log_n_neurons, log_n_synapse_types,
    /// log_max_delay, drop_late_packets, incoming_spike_buffer_size, shift_exc, shift_inh]`.
    pub synapse_params: Vec<u32>,
    /// Region 5 (PopTable): `[n_entries, n_addresses]`, 5 words per entry, then the address list.
    pub pop_table: Vec<u32>,
    /// Region 6 (SynBlocks): the synaptic matrices, rows `[P, F, Q, words…]`.
    pub synaptic_matrix: Vec<u32>,
    /// Region 12 (ConnectorBuilderRegion): what the synapse expander builds the generated rows of
    /// region 6 from (docs/expander.md §1); empty when the core has no synaptic matrix.
    pub connection_builder: Vec<u32>,
    /// Region 13 (NeuronBuilder): what the neuron expander writes the neuron parameters from
    /// (docs/expander.md §6); empty when the host writes them.
    pub neuron_builder: Vec<u32>,
    pub neurons: NeuronArrays,
    pub current_sources: Vec<CurrentSourceImage>,
    /// The blocks of rows in the synaptic matrix.
    pub blocks: Vec<MatrixBlock>,
    /// Whether spikes are sent (the population has outgoing projections).
    pub sends: bool,
    /// The STDP parameters when the core has plastic input (its binary is then the
    /// `_stdp_mad_<rule>_<dependence>` one, docs/stdp.md).
    pub stdp: Option<StdpCore>,
}

/// A neuron core's synaptic rows as region 6 holds them, with what reads them: the blocks, the
/// master population table (region 5) and the STDP parameters.
#[derive(Clone, Copy, Debug)]
pub struct CoreRows<'a> {
    pub matrix: &'a [u32],
    pub blocks: &'a [MatrixBlock],
    pub pop_table: &'a [u32],
    pub stdp: Option<&'a StdpCore>,
}

/// Takes each neuron core's rows as soon as the mapping has written them (the core's index and
/// its rows); `true` when it has kept them in its own form, so that the image drops region 6 of
/// that core at once instead of holding every core's padded matrix (see
/// [`map_with_rows`](super::map_with_rows)).
pub type RowSink<'a> = &'a (dyn Fn(usize, CoreRows<'_>) -> bool + Sync);

impl NeuronCore {
    /// The core's synaptic rows (empty once an engine has taken them).
    pub fn rows(&self) -> CoreRows<'_> {
        CoreRows {
            matrix: &self.synaptic_matrix,
            blocks: &self.blocks,
            pop_table: &self.pop_table,
            stdp: self.stdp.as_ref(),
        }
    }
}

/// What the synapse-dynamics region of an STDP core holds (docs/stdp.md §4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StdpCore {
    /// Nearest-pair rule (otherwise the pair rule).
    pub nearest: bool,
    /// Additive weight dependence (otherwise multiplicative).
    pub additive: bool,
    pub backprop_delay: bool,
    /// The τ+ and τ− look-up tables: `floor(exp(−i·dt/τ)·2048)`.
    pub lut_plus: Vec<u16>,
    pub lut_minus: Vec<u16>,
    /// Per synapse type: w_min, w_max, A+, A− in s16.15, as written.
    pub weight_params: Vec<[i32; 4]>,
    /// The region word for word.
    pub region: Vec<u32>,
}

impl NeuronCore {
    pub fn log_n_neurons(&self) -> u32 {
        self.synapse_params[2]
    }
    pub fn log_n_synapse_types(&self) -> u32 {
        self.synapse_params[3]
    }
    pub fn log_max_delay(&self) -> u32 {
        self.synapse_params[4]
    }
    pub fn shifts(&self) -> [u32; 2] {
        [self.synapse_params[7], self.synapse_params[8]]
    }
    /// Number of ring-buffer entries: 2^(D+T+N).
    pub fn ring_buffer_len(&self) -> usize {
        1usize << (self.log_max_delay() + self.log_n_synapse_types() + self.log_n_neurons())
    }
}

/// A SpikeSourceArray core: the spikes to send, as (tick, local index), sorted by tick then index.
#[derive(Clone, Debug, Default)]
pub struct SpikeArrayCore {
    pub spikes: Vec<(u32, u32)>,
}

/// One rate period of a Poisson source (u32.32 values, as the host writes them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoissonRate {
    pub rate: u64,
    pub start: u64,
    /// `0xFFFF_FFFF_0000_0000` means forever.
    pub duration: u64,
}

/// A SpikeSourcePoisson core.
#[derive(Clone, Debug)]
pub struct PoissonCore {
    pub seconds_per_tick: u32,
    pub ticks_per_ms: u32,
    /// u16.16 (655 = 0.01 per tick), as the 7.4.1 host writes it.
    pub slow_rate_per_tick_cutoff: i32,
    /// u16.16 (655360 = 10 per tick).
    pub fast_rate_per_tick_cutoff: i32,
    pub seed: [u32; 4],
    /// Rate periods per source.
    pub rates: Vec<Vec<PoissonRate>>,
}

/// A delay-extension core mirroring one slice of a pre-synaptic population.
#[derive(Clone, Debug)]
pub struct DelayCore {
    pub n_stages: u32,
    pub delay_per_stage: u32,
}

/// What runs on a core.
#[derive(Clone, Debug)]
pub enum CoreKind {
    Neuron(Box<NeuronCore>),
    SpikeArray(SpikeArrayCore),
    Poisson(PoissonCore),
    Delay(DelayCore),
}

/// One virtual SpiNNaker core.
#[derive(Clone, Debug)]
pub struct Core {
    pub label: String,
    /// The population this core belongs to (a delay core belongs to its pre population).
    pub population: usize,
    pub lo_atom: u32,
    pub n_atoms: u32,
    /// Base routing key of the core's outgoing packets, or `None` when it sends nothing.
    pub key: Option<u32>,
    pub mask: u32,
    pub n_colour_bits: u32,
    pub recording: CoreRecording,
    pub kind: CoreKind,
}

/// The whole mapped network.
#[derive(Clone, Debug)]
pub struct MachineImage {
    pub timestep_ms: f64,
    /// Timestep in µs (`ceil(timestep_ms · 1000)`).
    pub timestep_us: u32,
    pub profile: Profile,
    pub cores: Vec<Core>,
    pub routing_table: Vec<RouteEntry>,
    /// Per population: its cores (neuron or source cores, not delay cores).
    pub population_cores: Vec<Vec<u32>>,
    pub population_labels: Vec<String>,
    /// Per population: ring-buffer shifts (neuron populations only).
    pub ring_buffer_shifts: Vec<Option<[u32; 2]>>,
    /// Things sPyNNaker would do silently that change the network (dropped synapses, …).
    pub warnings: Vec<String>,
    /// Projections (labels, or indices) whose rows 7.4.1's host would draw from unseeded
    /// generators: spinnsim draws them from the network seed, the machine's own would not repeat.
    pub unseeded_projections: Vec<String>,
}

impl MachineImage {
    /// Values sampled (v, gsyn) by a run of `ticks` ticks from tick `t0`, over every core.
    pub fn samples_in(&self, t0: u32, ticks: u32) -> u64 {
        let samples = |spec: &RecordSpec| spec.sample_ticks(t0, ticks).1 * spec.neurons.len() as u64;
        self.cores
            .iter()
            .flat_map(|c| [&c.recording.v, &c.recording.gsyn_exc, &c.recording.gsyn_inh])
            .flatten()
            .map(samples)
            .sum()
    }
}

/// One block of rows in a synaptic matrix (one projection, undelayed or delayed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatrixBlock {
    /// First word of the block in the matrix.
    pub offset: u32,
    pub n_rows: u32,
    /// Words per row, header included.
    pub stride: u32,
    /// The projection (index in the network) whose synapses the block holds.
    pub projection: u32,
    /// How a row index maps back to its pre-synaptic neuron and delay stage.
    pub layout: RowLayout,
    /// The in-core delay range M = 2^D of the post core.
    pub max_delay: u32,
}

/// How the rows of a block are indexed (docs/semantics.md §3.2, docs/semantics.md §3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowLayout {
    /// Row = pre-synaptic neuron.
    Undelayed,
    /// Delayed rows as sPyNNaker's host writes them: core·m·S + (stage − 1)·m + local, m = the post's atoms per core.
    DelayedHost { post_max_atoms: u32, stages: u32 },
    /// Delayed rows as the synapse expander writes them: core·p·S + (stage − 1)·slice + local, p = the pre's atoms per core.
    DelayedExpander { pre_max_atoms: u32, stages: u32, n_pre_atoms: u32 },
}

impl RowLayout {
    /// (pre-synaptic neuron, delay stage) of a row; stage 0 for undelayed rows.
    pub fn source_of(self, row: u32) -> (u32, u32) {
        match self {
            RowLayout::Undelayed => (row, 0),
            RowLayout::DelayedHost { post_max_atoms: m, stages } => {
                let core = row / (m * stages);
                let rest = row % (m * stages);
                (core * m + rest % m, rest / m + 1)
            }
            RowLayout::DelayedExpander { pre_max_atoms: p, stages, n_pre_atoms } => {
                let core = row / (p * stages);
                let rest = row % (p * stages);
                let slice = (n_pre_atoms - core * p).min(p);
                (core * p + rest % slice, rest / slice + 1)
            }
        }
    }
}

/// What a neuron core's synaptic matrix holds, found by walking its pop table and rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MatrixStats {
    pub rows: usize,
    pub synapses: usize,
    pub longest_row: usize,
    pub bytes: usize,
}

impl NeuronCore {
    pub fn matrix_stats(&self) -> MatrixStats {
        let mut s = MatrixStats { bytes: self.synaptic_matrix.len() * 4, ..Default::default() };
        for b in &self.blocks {
            // (Empty when an engine has moved the matrix into its own form.)
            for r in 0..b.n_rows as usize * usize::from(!self.synaptic_matrix.is_empty()) {
                let row = b.offset as usize + r * b.stride as usize;
                // A plastic row (pp_size != 0) counts its plastic synapses, a static one its fixed words.
                let pp = self.synaptic_matrix[row] as usize;
                let f =
                    if pp != 0 { self.synaptic_matrix[row + pp + 2] } else { self.synaptic_matrix[row + 1] } as usize;
                s.rows += 1;
                s.synapses += f;
                s.longest_row = s.longest_row.max(f);
            }
        }
        s
    }
}
