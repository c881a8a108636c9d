//! The machine image as GPU buffers: the Rust twins of the structs of `shaders/common.wgsl`
//! (checked member by member against the WGSL in tests/gpu_layout.rs), and their contents.

use crate::machine::poisson::{rate_setups, RateSetup};
use crate::machine::rows::CompactMatrix;
use crate::machine::Machine;
use crate::mapping::{Core, CoreKind, CurrentSourceImage, MachineImage, NeuronCore, RouteEntry};
use crate::model::CellType;
use bytemuck::{Pod, Zeroable};

// The constants below are the shaders' too: `shaders::constants` emits each into the WGSL module,
// so that they are written once.

/// `CoreInfo::kind`.
pub const KIND_NEURON: u32 = 0;
pub const KIND_SPIKE_ARRAY: u32 = 1;
pub const KIND_POISSON: u32 = 2;
pub const KIND_DELAY: u32 = 3;

/// `CoreInfo::model` of a neuron core.
pub const MODEL_IF_CURR_EXP: u32 = 0;
pub const MODEL_IF_COND_EXP: u32 = 1;
pub const MODEL_IF_CURR_DELTA: u32 = 2;
pub const MODEL_IZHIKEVICH: u32 = 3;
pub const MODEL_IZHIKEVICH_COND: u32 = 4;

/// What a core records (bit k of `CoreInfo::rec_flags`, entry k of `rec_rate` and `rec_ncols`).
pub const REC_SPIKES: u32 = 0;
pub const REC_V: u32 = 1;
pub const REC_GSYN_EXC: u32 = 2;
pub const REC_GSYN_INH: u32 = 3;
/// Bit `REC_TALLIED` of `rec_flags`: the core tallies its recorded spikes (a [`SpikeTally`] per
/// recording column, at `CoreInfo::tally_base` in its instance's tallies) instead of writing
/// spike bitfields (`Machine::tally_spikes`).
///
/// [`SpikeTally`]: crate::record::SpikeTally
pub const REC_TALLIED: u32 = 4;
/// A neuron's recording column when it is not recorded, and a core without an STDP block.
pub const NOT_RECORDED: u32 = u32::MAX;

/// Provenance words per core: the u64 counters as (lo, hi) pairs at these offsets, then
/// `max_late_spike` (one word).
pub const PROV_WORDS: usize = 24;
pub const PROV_PRE_SYNAPTIC_EVENTS: u32 = 0;
pub const PROV_WEIGHT_SATURATIONS: u32 = 2;
pub const PROV_INVALID_POP_HITS: u32 = 4;
pub const PROV_GHOST_SEARCHES: u32 = 6;
pub const PROV_SPIKES_PROCESSED: u32 = 8;
pub const PROV_PACKETS_SENT: u32 = 10;
pub const PROV_DELAY_SATURATIONS: u32 = 12;
pub const PROV_LATE_SPIKES: u32 = 14;
pub const PROV_SYNAPSES_SKIPPED: u32 = 16;
pub const PROV_ROWS_OUTSIDE: u32 = 18;
pub const PROV_MAX_LATE: u32 = 20;
pub const PROV_PLASTIC_SATURATIONS: u32 = 22;

/// Words of core state per core: the colour counter, a spike array's next spike, whether a
/// ring-buffer entry saturated this tick.
pub const CORE_STATE_WORDS: usize = 4;
pub const CS_COLOUR: u32 = 0;
pub const CS_NEXT_SPIKE: u32 = 1;
pub const CS_SATURATED: u32 = 2;

/// The control words of an instance (its block of `control`, `control_index` in the shaders): the
/// tick, the row jobs queued, the unrouted packets (u64), the errors seen, the batch's first tick
/// and the recording words of one instance. The row jobs, unrouted packets and errors are each
/// instance's own; the tick, the first tick and the recording stride are the batch's, in block 0.
pub const CONTROL_WORDS: usize = 8;
pub const CTL_TICK: u32 = 0;
pub const CTL_JOBS: u32 = 1;
pub const CTL_UNROUTED: u32 = 2;
pub const CTL_ERRORS: u32 = 4;
pub const CTL_BATCH_START: u32 = 5;
pub const CTL_RECORD_STRIDE: u32 = 6;
/// Bits of `control[CTL_ERRORS]`: a ring-buffer entry passed 2^32 − 1 within its window; the
/// driver cut an invocation's loops short (lavapipe's 65535 iterations).
pub const ERR_RING_OVERFLOW: u32 = 1;
pub const ERR_LOOP_LIMIT: u32 = 2;

/// Synaptic words per row job at most.
pub const JOB_WORDS: u32 = 32;
/// No row, or a static row where a plastic one could be.
pub const NO_ROW: u32 = u32::MAX;
/// Words of a post-event history on the GPU: count_minus_one, the times, the traces.
pub const POST_WORDS: usize = 1 + 2 * crate::mapping::stdp::HISTORY;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Sizes {
    pub n_cores: u32,
    pub n_neurons: u32,
    pub n_slots: u32,
    pub job_capacity: u32,
    pub words_chunk_log2: u32,
    pub ring_chunk_log2: u32,
    pub n_instances: u32,
    pub n_ring: u32,
    pub n_poisson: u32,
    pub n_delay_counters: u32,
    pub n_steps: u32,
    pub n_senders: u32,
    pub senders_offset: u32,
    pub routes_offset: u32,
    pub n_routes: u32,
    pub norminv_offset: u32,
    pub n_post: u32,
    pub n_plastic: u32,
    /// Batches: synaptic words per instance (0 when the instances share one set of words), where
    /// instance 0's value words start in the tables and how many each instance has, spike-array
    /// spikes per instance.
    pub word_stride: u32,
    pub values_offset: u32,
    pub n_values: u32,
    pub n_spike_times: u32,
    /// Spike tallies per instance (`REC_TALLIED`).
    pub n_tallies: u32,
    pub pad1: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct CoreInfo {
    pub kind: u32,
    pub n_atoms: u32,
    pub lo_atom: u32,
    pub first: u32,
    pub key: u32,
    pub sends: u32,
    pub slot_base: u32,
    pub n_colour_bits: u32,
    pub model: u32,
    pub n_bits: u32,
    pub t_bits: u32,
    pub d_bits: u32,
    pub ring_base: u32,
    pub pop_base: u32,
    pub item_rows_base: u32,
    pub n_items: u32,
    pub row_base: u32,
    /// The core's current sources in its instance's value words.
    pub cs_base: u32,
    pub n_cs: u32,
    pub cs_state_base: u32,
    /// Delay extensions: stages, ticks per stage, counter slots (a power of two), the mask of
    /// the pre-synaptic core's keys.
    pub delay_stages: u32,
    pub delay_per_stage: u32,
    pub delay_slots: u32,
    pub delay_src_mask: u32,
    /// Spike arrays: the number of spikes.
    pub n_spikes: u32,
    pub rec_cols_base: u32,
    pub rec_flags: u32,
    pub rec_rate: [u32; 4],
    pub rec_ncols: [u32; 4],
    pub stdp: u32,
    /// The core's first spike tally in its instance's tallies (`REC_TALLIED`).
    pub tally_base: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NeuronParams {
    pub v_rest: i32,
    pub r_membrane: i32,
    pub exp_tc: i32,
    pub v_reset: i32,
    pub v_thresh: i32,
    pub t_refract: i32,
    pub i_offset: i32,
    pub delta_scale: i32,
    pub exc_decay: u32,
    pub exc_init: u32,
    pub inh_decay: u32,
    pub inh_init: u32,
    pub e_rev_e: i32,
    pub e_rev_i: i32,
    pub a: i32,
    pub b: i32,
    pub c: i32,
    pub d: i32,
    pub reset_h: i32,
    /// The ring-buffer left shifts of the neuron's core (they follow the weights, so they are a
    /// value of the instance).
    pub shift_exc: u32,
    pub shift_inh: u32,
    pub core: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NeuronState {
    pub v: i32,
    pub isyn_exc: i32,
    pub isyn_inh: i32,
    pub refract_timer: i32,
    pub u: i32,
    pub this_h: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct PoissonSource {
    pub index: u32,
    pub start_ticks: u32,
    pub end_ticks: u32,
    pub next_ticks: u32,
    pub is_fast: u32,
    pub exp_minus_lambda: u32,
    pub sqrt_lambda: u32,
    pub mean_isi_ticks: u32,
    pub time_to_spike_ticks: u32,
    pub rates_offset: u32,
    pub n_rates: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct RowJob {
    pub core: u32,
    pub start: u32,
    pub end: u32,
    pub masked_time: u32,
    pub colour_delay: u32,
    pub count: u32,
    pub instance: u32,
    pub pad: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct BatchCore {
    pub spikes: u32,
    pub samples: [u32; 3],
    pub poisson: u32,
    pub first_sample: [u32; 3],
}

/// `CurrentSourceRecord::kind`.
pub const CS_DC: u32 = 0;
pub const CS_STEP: u32 = 1;

/// A current source of a neuron core in the value words (`cs_base` + 6 words per source): the
/// neurons it drives (their number and where their list is), then for a DC source its
/// amplitude, start and stop ticks, for a step source its number of steps and where their
/// times and amplitudes are.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct CurrentSourceRecord {
    pub kind: u32,
    pub n_neurons: u32,
    pub neurons: u32,
    pub amplitude_or_n_steps: u32,
    pub start_or_times: u32,
    pub stop_or_amplitudes: u32,
}

/// An entry of the routing table in the tables (`routes_offset` + 4 words per entry).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct RouteRecord {
    pub key: u32,
    pub mask: u32,
    /// Where its destination cores are listed in the tables, and how many.
    pub destinations: u32,
    pub n_destinations: u32,
}

/// Words of a [`CurrentSourceRecord`] (in the value words) and of a [`RouteRecord`] (in the tables).
pub const CS_RECORD_WORDS: usize = std::mem::size_of::<CurrentSourceRecord>() / 4;
pub const ROUTE_RECORD_WORDS: usize = std::mem::size_of::<RouteRecord>() / 4;
/// Words of a Poisson source's [`RateSetup`] in the value words.
pub const RATE_SETUP_WORDS: usize = std::mem::size_of::<RateSetup>() / 4;

fn model_code(m: CellType) -> u32 {
    match m {
        CellType::IfCurrExp => MODEL_IF_CURR_EXP,
        CellType::IfCondExp => MODEL_IF_COND_EXP,
        CellType::IfCurrDelta => MODEL_IF_CURR_DELTA,
        CellType::Izhikevich => MODEL_IZHIKEVICH,
        CellType::IzhikevichCond => MODEL_IZHIKEVICH_COND,
        CellType::SpikeSourceArray | CellType::SpikeSourcePoisson => u32::MAX,
    }
}

/// Everything the GPU holds that does not change tick by tick, plus where each core's state
/// lives in the state buffers: of one machine ([`StaticImage::build`]), or of a batch of them
/// (`batch::merge`, which lays the values out per instance).
#[derive(Default)]
pub struct StaticImage {
    pub sizes: Sizes,
    pub cores: Vec<CoreInfo>,
    pub params: Vec<NeuronParams>,
    /// The words of the structure (pop tables, rows of the address lists, recording columns,
    /// senders, routes, the STDP blocks, the inverse normal), then from `sizes.values_offset` the
    /// value words of each instance.
    pub tables: Vec<u32>,
    /// One machine's value words: current sources, Poisson rate set-ups, STDP look-up tables and
    /// weight parameters (appended to `tables` when the batch is laid out).
    pub values: Vec<u32>,
    /// Where each part of the structure's tables starts, and what it is (for messages).
    pub regions: Vec<(u32, String)>,
    pub spike_times: Vec<[u32; 2]>,
    pub row_start: Vec<u32>,
    /// Per core, the first word of its rows in the global word array.
    pub word_base: Vec<u32>,
    pub n_words: u64,
    /// Per Poisson core, per source: (first word of its rate set-ups in the tables, rates).
    pub poisson_offsets: Vec<Vec<(u32, u32)>>,
    /// STDP (stdp.wgsl): per plastic row its region start, control offset and count, then the
    /// control half-words (two per word).
    pub plastic_static: Vec<u32>,
    /// Per core with STDP input: (first word of its plastic regions, first post history).
    pub stdp_bases: Vec<Option<(u32, u32)>>,
}

/// Flags of an STDP block: nearest-pair rule, additive weight dependence, back-propagation.
pub const STDP_NEAREST: u32 = 1;
pub const STDP_ADDITIVE: u32 = 2;
pub const STDP_BACKPROP: u32 = 4;

/// The STDP block of a core in the tables (`CoreInfo::stdp`): its flags, where its look-up tables
/// and weight parameters are in the value words and the tables' sizes, where its plastic regions,
/// plastic rows and post histories are, the slots that route to it (in slot order), and the words
/// of a plastic row's pre-event header.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct StdpInfo {
    pub flags: u32,
    pub lut_plus: u32,
    pub lut_plus_size: u32,
    pub lut_minus: u32,
    pub lut_minus_size: u32,
    pub weight_params: u32,
    pub plastic_base: u32,
    pub rows_base: u32,
    pub post_base: u32,
    pub candidates: u32,
    pub n_candidates: u32,
    pub header_words: u32,
}

/// The STDP blocks of the cores with STDP input (see [`StdpInfo`]), their look-up tables and
/// weight parameters in the value words, their plastic rows in `plastic_static`, and the sizes of
/// the plastic regions and post histories.
fn stdp_blocks(
    machine: &Machine,
    s: &mut StaticImage,
    tables: &mut Vec<u32>,
    values: &mut Vec<u32>,
) -> crate::error::Result<()> {
    let image = &machine.image;
    let stdp_cores: Vec<usize> = image
        .cores
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(&c.kind, CoreKind::Neuron(nc) if nc.stdp.is_some()))
        .map(|(i, _)| i)
        .collect();
    s.stdp_bases = vec![None; image.cores.len()];
    if stdp_cores.is_empty() {
        return Ok(());
    }
    let candidates = stdp_candidates(image, s, &stdp_cores);
    let (mut plastic_base, mut post_base) = (0u32, 0u32);
    for &ci in &stdp_cores {
        let core = &image.cores[ci];
        let CoreKind::Neuron(nc) = &core.kind else { continue };
        let st = nc.stdp.as_ref().expect("an STDP core");
        let rows = &machine.rows[ci];
        let mut info = StdpInfo { plastic_base, post_base, header_words: rows.header_words(), ..Default::default() };
        info.flags = [(st.nearest, STDP_NEAREST), (st.additive, STDP_ADDITIVE), (st.backprop_delay, STDP_BACKPROP)]
            .iter()
            .filter(|(on, _)| *on)
            .fold(0, |f, (_, bit)| f | bit);
        info.lut_plus = push_len(values, &core.label)?;
        info.lut_plus_size = st.lut_plus.len() as u32;
        values.extend(st.lut_plus.iter().map(|&v| v as u32));
        info.lut_minus = push_len(values, &core.label)?;
        info.lut_minus_size = st.lut_minus.len() as u32;
        values.extend(st.lut_minus.iter().map(|&v| v as u32));
        info.weight_params = push_len(values, &core.label)?;
        for p in &st.weight_params {
            values.extend(p.iter().map(|&v| v as u32));
        }
        info.rows_base = plastic_rows(rows, &mut s.plastic_static);
        s.regions.push((push_len(tables, &core.label)?, format!("the STDP block of core {ci} (`{}`)", core.label)));
        info.candidates = push_len(tables, &core.label)?;
        info.n_candidates = candidates[ci].len() as u32;
        tables.extend_from_slice(&candidates[ci]);
        s.cores[ci].stdp = push_len(tables, &core.label)?;
        tables.extend_from_slice(bytemuck::cast_slice(&[info]));
        s.stdp_bases[ci] = Some((plastic_base, post_base));
        plastic_base += rows.plastic_init().len() as u32;
        post_base += core.n_atoms;
    }
    s.sizes.n_plastic = plastic_base;
    s.sizes.n_post = post_base;
    Ok(())
}

/// Per STDP core, the slots whose packets route to it, in slot order.
fn stdp_candidates(image: &MachineImage, s: &StaticImage, stdp_cores: &[usize]) -> Vec<Vec<u32>> {
    let mut candidates: Vec<Vec<u32>> = vec![Vec::new(); image.cores.len()];
    for (ci, core) in image.cores.iter().enumerate() {
        let info = s.cores[ci];
        if info.sends == 0 {
            continue;
        }
        let n_slots = match &core.kind {
            CoreKind::Delay(dc) => dc.n_stages * core.n_atoms,
            _ => core.n_atoms,
        };
        for l in 0..n_slots {
            let key = info.key.wrapping_add(l << info.n_colour_bits);
            if let Some(e) = crate::mapping::route_of(&image.routing_table, key) {
                for &d in &e.destinations {
                    if s.stdp_bases.len() > d as usize && stdp_cores.binary_search(&(d as usize)).is_ok() {
                        candidates[d as usize].push(info.slot_base + l);
                    }
                }
            }
        }
    }
    candidates
}

/// A core's plastic rows in `plastic_static`: per compact row its region start (or
/// `NO_PLASTIC`), the first word of its control half-words and their number; then each row's
/// control half-words, two per word (the lower first), as the row holds them. Returns where
/// the core's rows start.
fn plastic_rows(rows: &CompactMatrix, plastic_static: &mut Vec<u32>) -> u32 {
    let rows_base = plastic_static.len() as u32;
    let starts = rows.plastic_starts();
    let ctrl_starts = rows.ctrl_starts();
    let ctrl = rows.plastic_ctrl();
    let mut packed: Vec<u32> = Vec::new();
    let packed_base = rows_base + 3 * starts.len() as u32;
    for (r, &p) in starts.iter().enumerate() {
        let (c0, c1) = (ctrl_starts[r] as usize, ctrl_starts[r + 1] as usize);
        plastic_static.extend_from_slice(&[p, packed_base + packed.len() as u32, (c1 - c0) as u32]);
        packed.extend(ctrl[c0..c1].chunks(2).map(|h| h[0] as u32 | h.get(1).map_or(0, |&x| (x as u32) << 16)));
    }
    plastic_static.extend_from_slice(&packed);
    rows_base
}

fn at(v: &[i32], i: usize) -> i32 {
    v.get(i).copied().unwrap_or(0)
}

fn at_u(v: &[u32], i: usize) -> u32 {
    v.get(i).copied().unwrap_or(0)
}

fn push_len(tables: &[u32], what: &str) -> crate::error::Result<u32> {
    u32::try_from(tables.len())
        .map_err(|_| crate::error::Error::Run(format!("the GPU tables pass 2^32 words at {what}")))
}

/// The running totals and buffers of [`StaticImage::build`], core by core.
#[derive(Default)]
struct Builder {
    s: StaticImage,
    tables: Vec<u32>,
    values: Vec<u32>,
    n_neurons: u32,
    n_slots: u32,
    n_ring: u32,
    n_poisson: u32,
    n_delay_counters: u32,
    n_steps: u32,
    n_tallies: u32,
    /// The first compact row and synaptic word of the next neuron core.
    row_base: u32,
    word_base: u64,
    /// (first slot, core) of every core that sends.
    senders: Vec<(u32, u32)>,
    row_start: Vec<u32>,
    /// Per Poisson core, its rate set-ups (`machine::poisson::rate_setups`).
    poisson_rates: Vec<(usize, Vec<Vec<RateSetup>>)>,
}

impl StaticImage {
    /// Lays out the machine's image (its packed rows included) for the GPU.
    pub fn build(machine: &Machine) -> crate::error::Result<Self> {
        let image: &MachineImage = &machine.image;
        let mut b = Builder::default();
        for (ci, core) in image.cores.iter().enumerate() {
            b.core(machine, ci, core)?;
        }
        if b.row_start.is_empty() {
            b.row_start.push(0);
        }
        let poisson_offsets = b.rate_setups(image.cores.len())?;
        let (senders_offset, routes_offset) = b.routes(&image.routing_table)?;
        // The inverse normal of the fastest Poisson sources, as a table of every 16-bit input.
        let norminv_offset = b.region("norminv", "the inverse normal table of the Poisson sources")?;
        if !b.poisson_rates.is_empty() {
            b.tables.extend((-32768i32..32768).map(|x| crate::fixed::norminv_rbits(x) as u32));
        }
        stdp_blocks(machine, &mut b.s, &mut b.tables, &mut b.values)?;
        push_len(&b.tables, "the end")?;
        let n_values = push_len(&b.values, "the end of the value words")?;
        let mut s = b.s;
        s.sizes = Sizes {
            n_cores: image.cores.len() as u32,
            n_neurons: b.n_neurons,
            n_slots: b.n_slots,
            n_instances: 1,
            n_ring: b.n_ring,
            n_poisson: b.n_poisson,
            n_delay_counters: b.n_delay_counters,
            n_steps: b.n_steps,
            n_senders: b.senders.len() as u32,
            senders_offset,
            routes_offset,
            n_routes: image.routing_table.len() as u32,
            norminv_offset,
            n_post: s.sizes.n_post,
            n_plastic: s.sizes.n_plastic,
            values_offset: push_len(&b.tables, "the value words")?,
            n_values,
            n_spike_times: s.spike_times.len() as u32,
            n_tallies: b.n_tallies,
            ..Default::default()
        };
        s.tables = b.tables;
        s.values = b.values;
        s.row_start = b.row_start;
        s.n_words = b.word_base;
        s.poisson_offsets = poisson_offsets;
        Ok(s)
    }
}

impl Builder {
    /// Where the next part of the tables starts (`at` names it if the tables pass 2^32 words),
    /// noted as `what` for the messages of `batch::merge`.
    fn region(&mut self, at: &str, what: &str) -> crate::error::Result<u32> {
        let start = push_len(&self.tables, at)?;
        self.s.regions.push((start, what.to_string()));
        Ok(start)
    }

    /// Core `ci`: its `CoreInfo`, and what its kind puts in the tables and the other buffers.
    fn core(&mut self, machine: &Machine, ci: usize, core: &Core) -> crate::error::Result<()> {
        let mut info = CoreInfo {
            n_atoms: core.n_atoms,
            lo_atom: core.lo_atom,
            key: core.key.unwrap_or(0),
            n_colour_bits: core.n_colour_bits,
            rec_rate: [1; 4],
            ..Default::default()
        };
        let sends = core.key.is_some()
            && match &core.kind {
                CoreKind::Neuron(nc) => nc.sends,
                _ => true,
            };
        info.sends = sends as u32;
        info.slot_base = self.n_slots;
        self.s.word_base.push(self.word_base as u32);
        let slots = match &core.kind {
            CoreKind::Neuron(nc) => {
                self.neuron_core(machine, ci, core, nc, &mut info)?;
                core.n_atoms
            }
            CoreKind::SpikeArray(sa) => {
                info.kind = KIND_SPIKE_ARRAY;
                info.first = self.s.spike_times.len() as u32;
                info.n_spikes = sa.spikes.len() as u32;
                self.s.spike_times.extend(sa.spikes.iter().map(|&(t, n)| [t, n]));
                core.n_atoms
            }
            CoreKind::Poisson(pc) => {
                info.kind = KIND_POISSON;
                info.first = self.n_poisson;
                self.n_poisson += pc.rates.len() as u32;
                self.poisson_rates.push((ci, rate_setups(pc)));
                core.n_atoms
            }
            CoreKind::Delay(dc) => {
                info.kind = KIND_DELAY;
                let slots = (dc.n_stages * dc.delay_per_stage + 1).next_power_of_two();
                info.first = self.n_delay_counters;
                self.n_delay_counters += slots * core.n_atoms;
                info.delay_stages = dc.n_stages;
                info.delay_per_stage = dc.delay_per_stage;
                info.delay_slots = slots;
                info.delay_src_mask = machine.delay_src_masks[ci];
                dc.n_stages * core.n_atoms
            }
        };
        if sends {
            self.n_slots += slots;
        }
        if sends && self.n_slots > info.slot_base {
            self.senders.push((info.slot_base, ci as u32));
        }
        self.recording_columns(ci, core, &mut info)?;
        if machine.tallies_spikes() && core.recording.spikes.is_some() {
            info.rec_flags |= 1 << REC_TALLIED;
            info.tally_base = self.n_tallies;
            self.n_tallies += if matches!(core.kind, CoreKind::Poisson(_)) { core.n_atoms } else { info.rec_ncols[0] };
        }
        info.stdp = NOT_RECORDED;
        self.s.cores.push(info);
        Ok(())
    }

    /// A neuron core: its synapse geometry, ring buffer, pop table, rows, current sources and
    /// neuron parameters.
    fn neuron_core(
        &mut self,
        machine: &Machine,
        ci: usize,
        core: &Core,
        nc: &NeuronCore,
        info: &mut CoreInfo,
    ) -> crate::error::Result<()> {
        info.kind = KIND_NEURON;
        info.model = model_code(nc.model);
        info.first = self.n_neurons;
        info.n_bits = nc.log_n_neurons();
        info.t_bits = nc.log_n_synapse_types();
        info.d_bits = nc.log_max_delay();
        info.ring_base = self.n_ring;
        self.n_ring = self
            .n_ring
            .checked_add(nc.ring_buffer_len() as u32)
            .ok_or_else(|| crate::error::Error::Run("the ring buffers pass 2^32 entries".into()))?;
        info.pop_base =
            self.region(&core.label, &format!("the master population table of core {ci} (`{}`)", core.label))?;
        self.tables.extend_from_slice(&nc.pop_table);
        self.rows(&machine.rows[ci], ci, core, info)?;
        self.current_sources(core, nc, info)?;
        self.neuron_params(ci, core, nc);
        self.n_neurons += core.n_atoms;
        Ok(())
    }

    /// A neuron core's packed rows: the rows of each address-list item in the tables, and the
    /// global start of every row (the next core continues the list).
    fn rows(&mut self, rows: &CompactMatrix, ci: usize, core: &Core, info: &mut CoreInfo) -> crate::error::Result<()> {
        info.item_rows_base =
            self.region(&core.label, &format!("the rows of the address list of core {ci} (`{}`)", core.label))?;
        info.n_items = rows.item_rows().len() as u32;
        for &(first, n) in rows.item_rows() {
            self.tables.extend_from_slice(&[first, n]);
        }
        info.row_base = self.row_base;
        let starts = rows.row_starts();
        if self.row_start.is_empty() {
            self.row_start.push(0);
        }
        self.row_start.pop();
        for &w in starts {
            let g = self.word_base + w as u64;
            self.row_start
                .push(u32::try_from(g).map_err(|_| crate::error::Error::Run("more than 2^32 synaptic words".into()))?);
        }
        self.row_base += starts.len() as u32 - 1;
        self.word_base += rows.words().len() as u64;
        Ok(())
    }

    /// A neuron core's current sources in the value words: a [`CurrentSourceRecord`] each, then
    /// their neurons and steps.
    fn current_sources(&mut self, core: &Core, nc: &NeuronCore, info: &mut CoreInfo) -> crate::error::Result<()> {
        info.cs_base = push_len(&self.values, &core.label)?;
        info.n_cs = nc.current_sources.len() as u32;
        info.cs_state_base = self.n_steps;
        self.n_steps += info.n_cs;
        let header = self.values.len();
        self.values.resize(header + CS_RECORD_WORDS * nc.current_sources.len(), 0);
        // The neurons a source drives, as the CPU engine decides it: each neuron of the core for
        // which a binary search of the source's list succeeds, once, in index order (the list
        // may be unsorted or hold repeats; a neuron's rank in this list is then the number of
        // evaluations of the source before it in a tick).
        let driven =
            |neurons: &[u32]| -> Vec<u32> { (0..core.n_atoms).filter(|n| neurons.binary_search(n).is_ok()).collect() };
        for (k, cs) in nc.current_sources.iter().enumerate() {
            let record = match cs {
                CurrentSourceImage::Dc { neurons, amplitude, start, stop } => {
                    let neurons = &driven(neurons);
                    let off = self.values.len() as u32;
                    self.values.extend_from_slice(neurons);
                    CurrentSourceRecord {
                        kind: CS_DC,
                        n_neurons: neurons.len() as u32,
                        neurons: off,
                        amplitude_or_n_steps: *amplitude as u32,
                        start_or_times: *start,
                        stop_or_amplitudes: *stop,
                    }
                }
                CurrentSourceImage::Step { neurons, times, amplitudes } => {
                    let neurons = &driven(neurons);
                    let off = self.values.len() as u32;
                    self.values.extend_from_slice(neurons);
                    let t_off = self.values.len() as u32;
                    self.values.extend_from_slice(times);
                    let a_off = self.values.len() as u32;
                    self.values.extend(amplitudes.iter().map(|&a| a as u32));
                    CurrentSourceRecord {
                        kind: CS_STEP,
                        n_neurons: neurons.len() as u32,
                        neurons: off,
                        amplitude_or_n_steps: times.len() as u32,
                        start_or_times: t_off,
                        stop_or_amplitudes: a_off,
                    }
                }
            };
            let h = header + CS_RECORD_WORDS * k;
            self.values[h..h + CS_RECORD_WORDS].copy_from_slice(bytemuck::cast_slice(&[record]));
        }
        Ok(())
    }

    /// The parameters of each neuron of a neuron core, with the core's ring-buffer shifts.
    fn neuron_params(&mut self, ci: usize, core: &Core, nc: &NeuronCore) {
        let a = &nc.neurons;
        let [shift_exc, shift_inh] = nc.shifts();
        for i in 0..core.n_atoms as usize {
            self.s.params.push(NeuronParams {
                v_rest: at(&a.v_rest, i),
                r_membrane: at(&a.r_membrane, i),
                exp_tc: at(&a.exp_tc, i),
                v_reset: at(&a.v_reset, i),
                v_thresh: at(&a.v_thresh, i),
                t_refract: at(&a.t_refract, i),
                i_offset: at(&a.i_offset, i),
                delta_scale: at(&a.delta_scale, i),
                exc_decay: at_u(&a.exc_decay, i),
                exc_init: at_u(&a.exc_init, i),
                inh_decay: at_u(&a.inh_decay, i),
                inh_init: at_u(&a.inh_init, i),
                e_rev_e: at(&a.e_rev_e, i),
                e_rev_i: at(&a.e_rev_i, i),
                a: at(&a.a, i),
                b: at(&a.b, i),
                c: at(&a.c, i),
                d: at(&a.d, i),
                reset_h: at(&a.reset_h, i),
                shift_exc,
                shift_inh,
                core: ci as u32,
            });
        }
    }

    /// What a core records, and for neuron cores and spike arrays the recording column of each
    /// neuron: 4 words per neuron (spikes, v, gsyn_exc, gsyn_inh; `NOT_RECORDED` for none).
    fn recording_columns(&mut self, ci: usize, core: &Core, info: &mut CoreInfo) -> crate::error::Result<()> {
        let rec = &core.recording;
        let specs = [&rec.spikes, &rec.v, &rec.gsyn_exc, &rec.gsyn_inh];
        let column_kinds = matches!(core.kind, CoreKind::Neuron(_) | CoreKind::SpikeArray(_));
        for (k, spec) in specs.iter().enumerate() {
            if let Some(spec) = spec {
                info.rec_flags |= 1 << k;
                info.rec_rate[k] = spec.rate.max(1);
                info.rec_ncols[k] = spec.neurons.len() as u32;
            }
        }
        if info.rec_flags == 0 || !column_kinds {
            return Ok(());
        }
        info.rec_cols_base =
            self.region(&core.label, &format!("the recording columns of core {ci} (`{}`)", core.label))?;
        let base = self.tables.len();
        self.tables.resize(base + 4 * core.n_atoms as usize, NOT_RECORDED);
        for (k, spec) in specs.iter().enumerate() {
            let Some(spec) = spec else { continue };
            for (col, &n) in spec.neurons.iter().enumerate() {
                if n < core.n_atoms {
                    self.tables[base + 4 * n as usize + k] = col as u32;
                }
            }
        }
        Ok(())
    }

    /// The Poisson rate set-ups in the value words, a [`RateSetup`] per rate; per core, per source,
    /// (first word, rates).
    fn rate_setups(&mut self, n_cores: usize) -> crate::error::Result<Vec<Vec<(u32, u32)>>> {
        let mut offsets: Vec<Vec<(u32, u32)>> = vec![Vec::new(); n_cores];
        for (ci, setups) in &self.poisson_rates {
            for src in setups {
                offsets[*ci].push((push_len(&self.values, "Poisson rates")?, src.len() as u32));
                self.values.extend_from_slice(bytemuck::cast_slice(src));
            }
        }
        Ok(offsets)
    }

    /// The senders (first slot, core) and the routing table: a [`RouteRecord`] per entry, then
    /// the destinations of all. Returns where each starts.
    fn routes(&mut self, table: &[RouteEntry]) -> crate::error::Result<(u32, u32)> {
        let senders_offset = self.region("senders", "the senders (the first slot of each core that sends)")?;
        for &(b, c) in &self.senders {
            self.tables.extend_from_slice(&[b, c]);
        }
        let routes_offset = self.region("routes", "the routing table")?;
        let mut dest_off = self.tables.len() + ROUTE_RECORD_WORDS * table.len();
        let mut dests = Vec::new();
        for e in table {
            let record = RouteRecord {
                key: e.key,
                mask: e.mask,
                destinations: dest_off as u32,
                n_destinations: e.destinations.len() as u32,
            };
            self.tables.extend_from_slice(bytemuck::cast_slice(&[record]));
            dest_off += e.destinations.len();
            dests.extend_from_slice(&e.destinations);
        }
        self.tables.extend_from_slice(&dests);
        Ok((senders_offset, routes_offset))
    }
}
