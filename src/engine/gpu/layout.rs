//! The machine image as GPU buffers: the Rust twins of the structs of `shaders/common.wgsl`
//! (checked member by member against the WGSL in tests/gpu_layout.rs), and their contents.

use crate::machine::poisson::rate_setups;
use crate::machine::Machine;
use crate::mapping::{CoreKind, CurrentSourceImage, MachineImage};
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

/// The control words of an instance: the tick, the row jobs queued, the unrouted packets (u64),
/// the errors seen, the batch's first tick and the recording words of one instance.
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
    pub pad0: u32,
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
    pub shift_exc: u32,
    pub shift_inh: u32,
    pub ring_base: u32,
    pub pop_base: u32,
    pub item_rows_base: u32,
    pub n_items: u32,
    pub row_base: u32,
    pub cs_base: u32,
    pub n_cs: u32,
    pub cs_state_base: u32,
    pub aux0: u32,
    pub aux1: u32,
    pub aux2: u32,
    pub aux3: u32,
    pub rec_cols_base: u32,
    pub rec_flags: u32,
    pub rec_rate: [u32; 4],
    pub rec_ncols: [u32; 4],
    pub stdp: u32,
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
/// lives in the state buffers.
#[derive(Default)]
pub struct StaticImage {
    pub sizes: Sizes,
    pub cores: Vec<CoreInfo>,
    pub params: Vec<NeuronParams>,
    pub tables: Vec<u32>,
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

/// Flags of an STDP block (stdp.wgsl).
/// Flags of an STDP block: nearest-pair rule, additive weight dependence, back-propagation.
pub const STDP_NEAREST: u32 = 1;
pub const STDP_ADDITIVE: u32 = 2;
pub const STDP_BACKPROP: u32 = 4;

/// The STDP blocks of the cores with STDP input: look-up tables, weight parameters, where the
/// core's plastic regions, plastic rows and post histories are, and the slots that route to it
/// in slot order.
fn stdp_blocks(machine: &Machine, s: &mut StaticImage, tables: &mut Vec<u32>) -> crate::error::Result<()> {
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
    // The slots whose packets route to each STDP core, in slot order.
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
    let (mut plastic_base, mut post_base) = (0u32, 0u32);
    for &ci in &stdp_cores {
        let core = &image.cores[ci];
        let CoreKind::Neuron(nc) = &core.kind else { continue };
        let st = nc.stdp.as_ref().expect("an STDP core");
        let rows = &machine.rows[ci];
        let mut flags = 0;
        if st.nearest {
            flags |= STDP_NEAREST;
        }
        if st.additive {
            flags |= STDP_ADDITIVE;
        }
        if st.backprop_delay {
            flags |= STDP_BACKPROP;
        }
        let lut_plus = push_len(tables, &core.label)?;
        tables.extend(st.lut_plus.iter().map(|&v| v as u32));
        let lut_minus = push_len(tables, &core.label)?;
        tables.extend(st.lut_minus.iter().map(|&v| v as u32));
        let weight_params = push_len(tables, &core.label)?;
        for p in &st.weight_params {
            tables.extend(p.iter().map(|&v| v as u32));
        }
        // Per compact row: region start (or NO_PLASTIC), first word of its control half-words,
        // their number; then each row's control half-words, two per word (the lower first), as
        // the row holds them.
        let rows_base = s.plastic_static.len() as u32;
        let starts = rows.plastic_starts();
        let ctrl_starts = rows.ctrl_starts();
        let ctrl = rows.plastic_ctrl();
        let mut packed: Vec<u32> = Vec::new();
        let packed_base = rows_base + 3 * starts.len() as u32;
        for (r, &p) in starts.iter().enumerate() {
            let (c0, c1) = (ctrl_starts[r] as usize, ctrl_starts[r + 1] as usize);
            s.plastic_static.extend_from_slice(&[p, packed_base + packed.len() as u32, (c1 - c0) as u32]);
            packed.extend(ctrl[c0..c1].chunks(2).map(|h| h[0] as u32 | h.get(1).map_or(0, |&x| (x as u32) << 16)));
        }
        s.plastic_static.extend_from_slice(&packed);
        let cand = push_len(tables, &core.label)?;
        tables.extend_from_slice(&candidates[ci]);
        let block = push_len(tables, &core.label)?;
        tables.extend_from_slice(&[
            flags,
            lut_plus,
            st.lut_plus.len() as u32,
            lut_minus,
            st.lut_minus.len() as u32,
            weight_params,
            plastic_base,
            rows_base,
            post_base,
            cand,
            candidates[ci].len() as u32,
            rows.header_words(),
        ]);
        s.cores[ci].stdp = block;
        s.stdp_bases[ci] = Some((plastic_base, post_base));
        plastic_base += rows.plastic_init().len() as u32;
        post_base += core.n_atoms;
    }
    s.sizes.n_plastic = plastic_base;
    s.sizes.n_post = post_base;
    Ok(())
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

impl StaticImage {
    /// Lays out the image the CPU engine holds (its packed rows included).
    pub fn build(machine: &Machine) -> crate::error::Result<Self> {
        let image: &MachineImage = &machine.image;
        let mut s = StaticImage::default();
        let mut tables: Vec<u32> = Vec::new();
        let (mut n_neurons, mut n_slots, mut n_ring, mut n_poisson, mut n_ctr, mut n_steps) =
            (0u32, 0u32, 0u32, 0u32, 0u32, 0u32);
        let (mut row_base, mut word_base) = (0u32, 0u64);
        let mut senders: Vec<(u32, u32)> = Vec::new();
        let mut row_start: Vec<u32> = Vec::new();
        let mut poisson_rates: Vec<(usize, Vec<Vec<[u32; 7]>>)> = Vec::new();
        for (ci, core) in image.cores.iter().enumerate() {
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
            info.slot_base = n_slots;
            s.word_base.push(word_base as u32);
            match &core.kind {
                CoreKind::Neuron(nc) => {
                    info.kind = KIND_NEURON;
                    info.model = model_code(nc.model);
                    info.first = n_neurons;
                    info.n_bits = nc.log_n_neurons();
                    info.t_bits = nc.log_n_synapse_types();
                    info.d_bits = nc.log_max_delay();
                    [info.shift_exc, info.shift_inh] = nc.shifts();
                    info.ring_base = n_ring;
                    n_ring = n_ring
                        .checked_add(nc.ring_buffer_len() as u32)
                        .ok_or_else(|| crate::error::Error::Run("the ring buffers pass 2^32 entries".into()))?;
                    info.pop_base = push_len(&tables, &core.label)?;
                    tables.extend_from_slice(&nc.pop_table);
                    let rows = &machine.rows[ci];
                    info.item_rows_base = push_len(&tables, &core.label)?;
                    info.n_items = rows.item_rows().len() as u32;
                    for &(first, n) in rows.item_rows() {
                        tables.extend_from_slice(&[first, n]);
                    }
                    info.row_base = row_base;
                    let starts = rows.row_starts();
                    // The global start of every row of the core; the next core continues the list.
                    if row_start.is_empty() {
                        row_start.push(0);
                    }
                    row_start.pop();
                    for &w in starts {
                        let g = word_base + w as u64;
                        row_start.push(
                            u32::try_from(g)
                                .map_err(|_| crate::error::Error::Run("more than 2^32 synaptic words".into()))?,
                        );
                    }
                    row_base += starts.len() as u32 - 1;
                    word_base += rows.words().len() as u64;
                    // Current sources.
                    info.cs_base = push_len(&tables, &core.label)?;
                    info.n_cs = nc.current_sources.len() as u32;
                    info.cs_state_base = n_steps;
                    n_steps += info.n_cs;
                    let header = tables.len();
                    tables.resize(header + 6 * nc.current_sources.len(), 0);
                    // The neurons a source drives, as the CPU engine decides it: each neuron of the
                    // core for which a binary search of the source's list succeeds, once, in index
                    // order (the list may be unsorted or hold repeats; a neuron's rank in this list
                    // is then the number of evaluations of the source before it in a tick).
                    let driven = |neurons: &[u32]| -> Vec<u32> {
                        (0..core.n_atoms).filter(|n| neurons.binary_search(n).is_ok()).collect()
                    };
                    for (k, cs) in nc.current_sources.iter().enumerate() {
                        let h = header + 6 * k;
                        match cs {
                            CurrentSourceImage::Dc { neurons, amplitude, start, stop } => {
                                let neurons = &driven(neurons);
                                let off = tables.len() as u32;
                                tables.extend_from_slice(neurons);
                                tables[h..h + 6].copy_from_slice(&[
                                    0,
                                    neurons.len() as u32,
                                    off,
                                    *amplitude as u32,
                                    *start,
                                    *stop,
                                ]);
                            }
                            CurrentSourceImage::Step { neurons, times, amplitudes } => {
                                let neurons = &driven(neurons);
                                let off = tables.len() as u32;
                                tables.extend_from_slice(neurons);
                                let t_off = tables.len() as u32;
                                tables.extend_from_slice(times);
                                let a_off = tables.len() as u32;
                                tables.extend(amplitudes.iter().map(|&a| a as u32));
                                tables[h..h + 6].copy_from_slice(&[
                                    1,
                                    neurons.len() as u32,
                                    off,
                                    times.len() as u32,
                                    t_off,
                                    a_off,
                                ]);
                            }
                        }
                    }
                    let a = &nc.neurons;
                    for i in 0..core.n_atoms as usize {
                        s.params.push(NeuronParams {
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
                            core: ci as u32,
                        });
                    }
                    n_neurons += core.n_atoms;
                    if sends {
                        n_slots += core.n_atoms;
                    }
                }
                CoreKind::SpikeArray(sa) => {
                    info.kind = KIND_SPIKE_ARRAY;
                    info.first = s.spike_times.len() as u32;
                    info.aux0 = sa.spikes.len() as u32;
                    s.spike_times.extend(sa.spikes.iter().map(|&(t, n)| [t, n]));
                    if sends {
                        n_slots += core.n_atoms;
                    }
                }
                CoreKind::Poisson(pc) => {
                    info.kind = KIND_POISSON;
                    info.first = n_poisson;
                    n_poisson += pc.rates.len() as u32;
                    poisson_rates.push((ci, rate_setups(pc)));
                    if sends {
                        n_slots += core.n_atoms;
                    }
                }
                CoreKind::Delay(dc) => {
                    info.kind = KIND_DELAY;
                    let slots = (dc.n_stages * dc.delay_per_stage + 1).next_power_of_two();
                    info.first = n_ctr;
                    n_ctr += slots * core.n_atoms;
                    info.aux0 = dc.n_stages;
                    info.aux1 = dc.delay_per_stage;
                    info.aux2 = slots;
                    info.aux3 = machine.delay_src_masks[ci];
                    if sends {
                        n_slots += dc.n_stages * core.n_atoms;
                    }
                }
            }
            if sends && n_slots > info.slot_base {
                senders.push((info.slot_base, ci as u32));
            }
            // Recording columns: 4 words per neuron (spikes, v, gsyn_exc, gsyn_inh).
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
            if info.rec_flags != 0 && column_kinds {
                info.rec_cols_base = push_len(&tables, &core.label)?;
                let base = tables.len();
                tables.resize(base + 4 * core.n_atoms as usize, u32::MAX);
                for (k, spec) in specs.iter().enumerate() {
                    if let Some(spec) = spec {
                        for (col, &n) in spec.neurons.iter().enumerate() {
                            if n < core.n_atoms {
                                tables[base + 4 * n as usize + k] = col as u32;
                            }
                        }
                    }
                }
            }
            info.stdp = NOT_RECORDED;
            s.cores.push(info);
        }
        if row_start.is_empty() {
            row_start.push(0);
        }
        // Poisson rate set-ups, 7 words per rate.
        let mut rates_offsets: Vec<Vec<(u32, u32)>> = vec![Vec::new(); image.cores.len()];
        for (ci, setups) in &poisson_rates {
            for src in setups {
                rates_offsets[*ci].push((push_len(&tables, "Poisson rates")?, src.len() as u32));
                for r in src {
                    tables.extend_from_slice(r);
                }
            }
        }
        // Senders and routes.
        let senders_offset = push_len(&tables, "senders")?;
        for &(b, c) in &senders {
            tables.extend_from_slice(&[b, c]);
        }
        let routes_offset = push_len(&tables, "routes")?;
        let n_routes = image.routing_table.len();
        let mut dest_off = tables.len() + 4 * n_routes;
        let mut dests = Vec::new();
        for e in &image.routing_table {
            tables.extend_from_slice(&[e.key, e.mask, dest_off as u32, e.destinations.len() as u32]);
            dest_off += e.destinations.len();
            dests.extend_from_slice(&e.destinations);
        }
        tables.extend_from_slice(&dests);
        // The inverse normal of the fastest Poisson sources, as a table of every 16-bit input.
        let norminv_offset = push_len(&tables, "norminv")?;
        if !poisson_rates.is_empty() {
            tables.extend((-32768i32..32768).map(|x| crate::fixed::norminv_rbits(x) as u32));
        }
        stdp_blocks(machine, &mut s, &mut tables)?;
        push_len(&tables, "the end")?;
        s.tables = tables;
        s.row_start = row_start;
        s.n_words = word_base;
        s.sizes = Sizes {
            n_cores: image.cores.len() as u32,
            n_neurons,
            n_slots,
            n_instances: 1,
            n_ring,
            n_poisson,
            n_delay_counters: n_ctr,
            n_steps,
            n_senders: senders.len() as u32,
            senders_offset,
            routes_offset,
            n_routes: n_routes as u32,
            norminv_offset,
            n_post: s.sizes.n_post,
            n_plastic: s.sizes.n_plastic,
            ..Default::default()
        };
        s.poisson_offsets = rates_offsets;
        Ok(s)
    }
}
