//! Network → virtual SpiNNaker cores, as sPyNNaker 7.4.1 maps it: slices, delay extensions,
//! routing keys, routing table, ring-buffer shifts, synaptic matrices and master pop tables.

mod binomial;
pub mod image;
pub mod keys;
pub mod memory;
mod neurons;
mod poisson;
pub mod shifts;
mod sources;
pub mod stdp;
pub mod synapses;
mod warnings;

pub use image::*;

/// Rebuilds, for a changed population, what its cores hold of its parameters (neuron arrays,
/// current sources, spike times, Poisson rates), as the host rewrites those regions before the next
/// run. Synapses are unchanged.
pub fn remap_population(net: &Network, pi: usize, image: &mut MachineImage) -> Result<()> {
    let p = &net.populations[pi];
    let dt = net.timestep;
    let resolved =
        if p.cell_type == CellType::SpikeSourceArray { Default::default() } else { p.resolve(net.seed, pi)? };
    let n_cores = image.population_cores[pi].len();
    let seeds = if p.cell_type == CellType::SpikeSourcePoisson {
        poisson::population_kiss_seeds(p, net.seed, pi, n_cores)?
    } else {
        Vec::new()
    };
    for (ci, &c) in image.population_cores[pi].iter().enumerate() {
        let core = &mut image.cores[c as usize];
        let (lo, n) = (core.lo_atom, core.n_atoms);
        match &mut core.kind {
            CoreKind::Neuron(nc) => {
                nc.neurons =
                    neurons::neuron_arrays(&p.name(), nc.model, &resolved, lo as usize, n as usize, dt, image.profile)?;
                nc.current_sources = sources::current_sources(net, pi, lo, n, dt)?;
            }
            CoreKind::SpikeArray(sa) => *sa = sources::spike_array(p, lo, n, dt)?,
            CoreKind::Poisson(pc) => *pc = poisson::poisson(p, &resolved, seeds[ci], lo, n, dt)?,
            CoreKind::Delay(_) => {}
        }
    }
    if p.cell_type == CellType::SpikeSourcePoisson {
        if let Some(w) = warnings::poisson_rates(p, &resolved) {
            if !image.warnings.contains(&w) {
                image.warnings.push(w);
            }
        }
    }
    Ok(())
}

use crate::error::{Error, Result};
use crate::model::{host_rng, CellType, Connector, Network, Values};
use keys::{get_n_bits, KeyRequest};
use rayon::prelude::*;
use shifts::{weight_scale, IncomingStats, ShiftStats};
use synapses::{IncomingMatrix, PopKey, Synapse};

/// `MAX_RING_BUFFER_BITS`.
const MAX_RING_BUFFER_BITS: u32 = 14;
/// Delay extensions can add at most this many stages (`DelayExtensionVertex.MAX_SLOTS`).
const MAX_DELAY_STAGES: u32 = 8;
/// Colour bits of every vertex (`[Simulation] n_colour_bits`).
pub const N_COLOUR_BITS: u32 = 4;
/// Config defaults (`spynnaker.cfg`).
const DEFAULT_SPIKES_PER_SECOND: f64 = 30.0;
const DEFAULT_RING_BUFFER_SIGMA: f64 = 5.0;

/// Options of the mapping.
#[derive(Clone, Copy, Debug, Default)]
pub struct MapOptions {
    pub profile: Profile,
    /// Build every synaptic matrix on the host, as sPyNNaker does on a virtual board (host weight
    /// and delay rounding, host delayed-row placement); otherwise the connectors the synapse expander
    /// supports are built as on a real machine.
    pub virtual_board: bool,
}

/// One incoming projection quantised: its synapses, its longest rows (undelayed, delayed),
/// whether it puts synapses in the undelayed and in the delayed matrix, and its warnings.
struct Quantised {
    synapses: Vec<Synapse>,
    longest: (usize, usize),
    split: (bool, bool),
    notes: Vec<String>,
}

/// A drawn connection: (pre, post, weight in nA or µS, delay in ticks).
type DrawnConnection = (u32, u32, f64, u32);

/// One projection's connections, drawn and quantised in delay, weights still in nA/µS.
struct Drawn {
    pre: usize,
    post: usize,
    synapse_type: u32,
    on_chip: bool,
    conns: Vec<DrawnConnection>,
    max_delay_ms: f64,
}

/// Refuses a row of `n` synapses that a SpiNNaker row cannot hold (static or plastic).
fn check_row_length(projection: &str, n: usize, plastic: bool, post: &str) -> Result<()> {
    if plastic && n > stdp::MAX_PLASTIC_SYNAPSES {
        return Err(Error::Mapping(format!(
            "{projection}: a plastic row has {n} synapses, more than the {} a SpiNNaker STDP row can hold ({} words); \
             reduce the neurons per core of `{post}`",
            stdp::MAX_PLASTIC_SYNAPSES,
            synapses::MAX_ROW_WORDS,
        )));
    }
    if n > synapses::MAX_ROW_WORDS {
        return Err(Error::Mapping(format!(
            "{projection}: a row has {n} synapses, more than the {} a SpiNNaker row can hold; reduce the neurons per core of `{post}`",
            synapses::MAX_ROW_WORDS,
        )));
    }
    Ok(())
}

/// D, the bits of delay a core of a population holds (its in-core delay is 2^D ticks): as many
/// as the longest incoming delay needs, within what the ring buffer's 14 bits leave beside the
/// neuron and synapse-type bits.
fn in_core_delay_bits(max_atoms_per_core: u32, max_delay_ms: f64, dt: f64) -> u32 {
    let n_bits = get_n_bits(max_atoms_per_core as u64);
    let ticks = (max_delay_ms / dt - 1e-9).ceil() as u64;
    (MAX_RING_BUFFER_BITS.saturating_sub(n_bits + 1)).min(get_n_bits(ticks))
}

/// Delay-extension stages of `in_core_ms` each that a delay of `max_delay_ms` needs beyond the core.
fn stages_beyond_core(max_delay_ms: f64, in_core_ms: f64) -> u32 {
    ((max_delay_ms / in_core_ms).ceil() as u32).saturating_sub(1)
}

fn slices(n: u32, max: u32) -> Vec<(u32, u32)> {
    (0..n.div_ceil(max)).map(|k| (k * max, max.min(n - k * max))).collect()
}

/// Mean, variance and maximum of |values| (for the ring-buffer statistics): of the constant when
/// `declared` is one, else of the values drawn (two passes over `drawn`, in order).
fn stats_of<I: Iterator<Item = f64>>(declared: Option<&Values>, drawn: impl Fn() -> I) -> (f64, f64, f64) {
    match declared {
        Some(Values::Scalar(x)) => (x.abs(), 0.0, x.abs()),
        _ => {
            let n = drawn().count().max(1) as f64;
            let mean = drawn().map(|x| x.abs()).sum::<f64>() / n;
            let var = drawn().map(|x| (x.abs() - mean).powi(2)).sum::<f64>() / n;
            let max = drawn().fold(0.0f64, |m, x| m.max(x.abs()));
            (mean, var, max)
        }
    }
}

/// How far a mapping is, for progress displays.
#[derive(Clone, Copy, Debug)]
pub enum MapStep<'a> {
    /// The connections of `done` of the `of` projections are drawn.
    Connections { done: usize, of: usize },
    /// The synaptic regions of population `population`, the `done`-th of the `of` populations
    /// that receive synapses, are being built.
    Synapses { population: &'a str, done: usize, of: usize },
    /// The image is complete.
    Mapped,
}

impl std::fmt::Display for MapStep<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MapStep::Connections { done, of } => write!(f, "drawing connections: {done} of {of} projections"),
            MapStep::Synapses { population, done, of } => {
                write!(f, "synaptic matrices of `{population}` ({done} of {of} populations)")
            }
            MapStep::Mapped => f.write_str("mapped"),
        }
    }
}

/// Maps a network onto virtual cores.
pub fn map(net: &Network, opts: MapOptions) -> Result<MachineImage> {
    map_with_progress(net, opts, &|_| {})
}

/// Maps a network onto virtual cores, telling `progress` (from any thread) how far it is.
pub fn map_with_progress(net: &Network, opts: MapOptions, progress: &(dyn Fn(MapStep) + Sync)) -> Result<MachineImage> {
    net.validate()?;
    memory::check_before_drawing(net, memory::available_bytes())?;
    let dt = net.timestep;
    let pops = &net.populations;
    let population_stdp = net.population_stdp()?;

    // Every population's parameters, first: they are cheap to check, the connections are not.
    let resolved: Vec<_> = pops
        .iter()
        .enumerate()
        .map(|(pi, p)| {
            if p.cell_type.is_source() && p.cell_type != CellType::SpikeSourcePoisson {
                Ok(Default::default())
            } else {
                p.resolve(net.seed, pi)
            }
        })
        .collect::<Result<_>>()?;

    // Connections of every projection, with delays in ticks. Each projection draws from its own
    // seeded streams, so they are drawn in parallel with the same result; the first error in
    // projection order is reported.
    let n_drawn = std::sync::atomic::AtomicUsize::new(0);
    let of = net.projections.len();
    let mut drawn: Vec<Drawn> = net
        .projections
        .par_iter()
        .enumerate()
        .map(|(k, proj)| {
            let d = draw(net, k, proj, opts.virtual_board);
            let done = n_drawn.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(MapStep::Connections { done, of });
            d
        })
        .collect::<Vec<Result<Drawn>>>()
        .into_iter()
        .collect::<Result<_>>()?;

    // Per neuron population: N, T, D and the in-core delay M = 2^D.
    let max_atoms: Vec<u32> = pops.iter().map(|p| p.max_atoms().min(p.size)).collect();
    let mut log_d = vec![0u32; pops.len()];
    for (pi, p) in pops.iter().enumerate() {
        if p.cell_type.is_source() {
            continue;
        }
        let max_delay_ms = drawn.iter().filter(|d| d.post == pi).map(|d| d.max_delay_ms).fold(dt, f64::max);
        log_d[pi] = in_core_delay_bits(max_atoms[pi], max_delay_ms, dt);
    }

    // Delay extensions: one per pre population whose projections need one.
    let mut delay_stages = vec![0u32; pops.len()];
    let mut delay_per_stage = vec![0u32; pops.len()];
    for (k, d) in drawn.iter().enumerate() {
        let m = 1u32 << log_d[d.post];
        let m_ms = m as f64 * dt;
        if d.max_delay_ms <= m_ms {
            continue;
        }
        let stages = stages_beyond_core(d.max_delay_ms, m_ms);
        if stages > MAX_DELAY_STAGES {
            return Err(Error::param(
                net.projections[k].name(k),
                "delay",
                format!(
                    "{} ms is above the maximum of {} ms ({} ticks in the core of `{}` × {})",
                    d.max_delay_ms,
                    (MAX_DELAY_STAGES + 1) as f64 * m_ms,
                    m,
                    pops[d.post].label,
                    MAX_DELAY_STAGES + 1
                ),
            ));
        }
        if delay_per_stage[d.pre] != 0 && delay_per_stage[d.pre] != m {
            return Err(Error::Mapping(format!(
                "population `{}` needs a delay extension for targets with different in-core delays ({} and {} ticks)",
                pops[d.pre].label, delay_per_stage[d.pre], m
            )));
        }
        delay_per_stage[d.pre] = m;
        delay_stages[d.pre] = delay_stages[d.pre].max(stages);
    }

    // Cores: every population's slices, then the delay-extension cores.
    let mut cores: Vec<Core> = Vec::new();
    let mut population_cores = vec![Vec::new(); pops.len()];
    let mut delay_cores = vec![Vec::new(); pops.len()];
    let sends: Vec<bool> = (0..pops.len()).map(|pi| drawn.iter().any(|d| d.pre == pi)).collect();
    for (pi, p) in pops.iter().enumerate() {
        let population_slices = slices(p.size, max_atoms[pi]);
        let seeds = if p.cell_type == CellType::SpikeSourcePoisson {
            poisson::population_kiss_seeds(p, net.seed, pi, population_slices.len())?
        } else {
            Vec::new()
        };
        for (ci, (lo, n)) in population_slices.into_iter().enumerate() {
            let label = format!("{}({}:{})", p.label, lo, lo + n - 1);
            let kind = match p.cell_type {
                CellType::SpikeSourceArray => CoreKind::SpikeArray(sources::spike_array(p, lo, n, dt)?),
                CellType::SpikeSourcePoisson => {
                    CoreKind::Poisson(poisson::poisson(p, &resolved[pi], seeds[ci], lo, n, dt)?)
                }
                model => CoreKind::Neuron(Box::new(NeuronCore {
                    model,
                    synapse_params: Vec::new(),
                    pop_table: Vec::new(),
                    synaptic_matrix: Vec::new(),
                    neurons: neurons::neuron_arrays(
                        &p.name(),
                        model,
                        &resolved[pi],
                        lo as usize,
                        n as usize,
                        dt,
                        opts.profile,
                    )?,
                    current_sources: sources::current_sources(net, pi, lo, n, dt)?,
                    blocks: Vec::new(),
                    sends: sends[pi],
                    stdp: None,
                })),
            };
            population_cores[pi].push(cores.len() as u32);
            cores.push(Core::unkeyed(label, pi, lo, n, sources::recording(p, lo, n, dt), kind));
        }
    }
    for (pi, p) in pops.iter().enumerate() {
        if delay_stages[pi] == 0 {
            continue;
        }
        for (lo, n) in slices(p.size, max_atoms[pi]) {
            delay_cores[pi].push(cores.len() as u32);
            let kind = CoreKind::Delay(DelayCore { n_stages: delay_stages[pi], delay_per_stage: delay_per_stage[pi] });
            let label = format!("{}_delayed({}:{})", p.label, lo, lo + n - 1);
            cores.push(Core::unkeyed(label, pi, lo, n, CoreRecording::default(), kind));
        }
    }

    // Keys: the outgoing partitions in the order their first projection was made, then the delay
    // extensions in the same order (the DelaySupportAdder adds them after the graph is built).
    let mut senders: Vec<usize> = Vec::new();
    for d in &drawn {
        if !senders.contains(&d.pre) {
            senders.push(d.pre);
        }
    }
    let delayed_senders: Vec<usize> = senders.iter().copied().filter(|&pi| delay_stages[pi] > 0).collect();
    let mut partitions: Vec<Vec<u32>> = Vec::new();
    for &pi in &senders {
        partitions.push(population_cores[pi].clone());
    }
    for &pi in &delayed_senders {
        partitions.push(delay_cores[pi].clone());
    }
    let requests: Vec<KeyRequest> = partitions
        .iter()
        .map(|cs| KeyRequest {
            keys_per_core: cs
                .iter()
                .map(|&c| {
                    let core = &cores[c as usize];
                    let n = core.n_atoms as u64;
                    let atoms = match &core.kind {
                        CoreKind::SpikeArray(_) => 1u64 << get_n_bits(n),
                        CoreKind::Delay(d) => (1u64 << get_n_bits(n)) * d.n_stages as u64,
                        _ => n,
                    };
                    atoms << N_COLOUR_BITS
                })
                .collect(),
        })
        .collect();
    let app_keys = keys::allocate(&requests)?;
    let mut pop_key = vec![None; pops.len()];
    let mut delay_key = vec![None; pops.len()];
    for (part, &pi) in senders.iter().enumerate() {
        pop_key[pi] = Some(part);
    }
    for (k, &pi) in delayed_senders.iter().enumerate() {
        delay_key[pi] = Some(senders.len() + k);
    }
    for (p, cs) in partitions.iter().enumerate() {
        for (mi, &c) in cs.iter().enumerate() {
            let (k, m) = app_keys[p].cores[mi];
            cores[c as usize].key = Some(k);
            cores[c as usize].mask = m;
        }
    }
    let pop_key_info = |part: usize, pi: usize, stages: u32| {
        let a = &app_keys[part];
        PopKey {
            key: a.app_key,
            mask: a.app_mask,
            core_mask: a.core_mask,
            core_shift: a.n_bits_atoms,
            n_neurons: max_atoms[pi] * stages,
            n_colour_bits: N_COLOUR_BITS,
        }
    };

    // Ring-buffer shifts and the synaptic regions of every post core.
    let mut ring_buffer_shifts = vec![None; pops.len()];
    let mut warnings: Vec<String> = net
        .projections
        .iter()
        .enumerate()
        .filter_map(|(k, proj)| proj.synapse_dynamics.as_ref().and_then(|s| s.amplitude_warning(&proj.name(k))))
        .collect();
    warnings.extend(
        pops.iter()
            .zip(&resolved)
            .filter(|(p, _)| p.cell_type == CellType::SpikeSourcePoisson)
            .filter_map(|(p, r)| warnings::poisson_rates(p, r)),
    );
    let mut routes: Vec<(u32, u32, Vec<u32>)> = Vec::new();
    let receivers = pops.iter().filter(|p| !p.cell_type.is_source()).count();
    for (pi, p) in pops.iter().enumerate() {
        if p.cell_type.is_source() {
            continue;
        }
        let done = pops[..=pi].iter().filter(|p| !p.cell_type.is_source()).count();
        progress(MapStep::Synapses { population: &p.label, done, of: receivers });
        let w_scale = p.cell_type.global_weight_scale();
        let mut stats = ShiftStats::new(
            w_scale,
            1000.0 / dt,
            p.spikes_per_second.unwrap_or(DEFAULT_SPIKES_PER_SECOND),
            p.ring_buffer_sigma.unwrap_or(DEFAULT_RING_BUFFER_SIGMA),
        );
        let incoming: Vec<usize> = (0..drawn.len()).filter(|&k| drawn[k].post == pi).collect();
        for &k in &incoming {
            let d = &drawn[k];
            let proj = &net.projections[k];
            let n_pre = pops[d.pre].size as u64;
            let n_post = p.size as u64;
            let n_conns = fan_in_maximum(&proj.connector, &d.conns, n_pre, n_post);
            let weights = || d.conns.iter().map(|c| c.2);
            let delays = || d.conns.iter().map(|c| c.3 as f64);
            let (mut w_mean, mut w_var, mut w_max) = match &proj.connector {
                Connector::FromListConnector { conn_list } if conn_list.iter().any(|c| c.len() > 2) => {
                    stats_of(None, weights)
                }
                _ => stats_of(Some(&proj.weight), weights),
            };
            if let Some(stdp) = &proj.synapse_dynamics {
                // `SynapseDynamicsSTDP.get_weight_mean/maximum/variance` (docs/stdp.md §5).
                let m = w_max.max(stdp.weight_dependence.bounds().1);
                (w_mean, w_var, w_max) = (m, 0.0, m);
            }
            let d_var = match (&proj.connector, &proj.delay) {
                (Connector::FromListConnector { conn_list }, _) if conn_list.iter().any(|c| c.len() > 3) => {
                    stats_of(None, delays).1
                }
                (_, Some(Values::Array(_) | Values::Random(_))) => stats_of(None, delays).1,
                _ => 0.0,
            };
            stats.add(IncomingStats { synapse_type: d.synapse_type as usize, n_conns, w_mean, w_var, w_max, d_var });
        }
        let shifts = stats.shifts();
        warnings.extend(warnings::ring_buffer_shifts(p, shifts)?);
        ring_buffer_shifts[pi] = Some(shifts);
        let scales = [weight_scale(shifts[0], w_scale), weight_scale(shifts[1], w_scale)];
        let n_bits = get_n_bits(max_atoms[pi] as u64);
        let m = 1u32 << log_d[pi];
        let post_slices = slices(p.size, max_atoms[pi]);
        let mut matrices = Vec::new();
        // Which pre cores reach which of this population's cores, per incoming projection.
        let links: Vec<Option<Vec<bool>>> = incoming
            .iter()
            .map(|&k| {
                let d = &drawn[k];
                connected_cores(
                    &net.projections[k].connector,
                    &d.conns,
                    &slices(pops[d.pre].size, max_atoms[d.pre]),
                    &post_slices,
                )
            })
            .collect();
        // The synapses of each incoming projection with quantised weights, and their longest rows.
        // Each projection has one post population: its drawn connections are not needed after
        // this, and each is freed once quantised.
        let taken: Vec<(usize, Vec<DrawnConnection>)> =
            incoming.iter().map(|&k| (k, std::mem::take(&mut drawn[k].conns))).collect();
        let quantised: Vec<Quantised> = taken
            .into_par_iter()
            .map(|(k, conns)| {
                let d = &drawn[k];
                let scale = scales[d.synapse_type as usize];
                let mut unheld = warnings::Unheld::default();
                // Whether any synapse goes to the undelayed and to the delayed matrix.
                let split = (conns.iter().any(|c| c.3 <= m) || conns.is_empty(), conns.iter().any(|c| c.3 > m));
                let syns: Vec<Synapse> = conns
                    .into_iter()
                    .map(|(pre, post, w, delay)| {
                        let weight = if d.on_chip {
                            synapses::expander_weight(w, scale)
                        } else {
                            synapses::host_weight(w, scale)
                        };
                        if !synapses::weight_fits(w, scale, d.on_chip) {
                            unheld.add(w, weight);
                        }
                        Synapse { pre, post, weight, delay }
                    })
                    .collect();
                let lengths = synapses::max_row_lengths(&syns, &post_slices, m);
                let proj = &net.projections[k];
                let name = proj.name(k);
                let mut notes: Vec<String> =
                    unheld.warning(&name, p, shifts[d.synapse_type as usize], scale, syns.len()).into_iter().collect();
                if proj.synapse_dynamics.is_some() {
                    let never = syns.iter().filter(|s| s.delay % m == 0).count();
                    notes.extend(warnings::plastic_delay_field_zero(&name, p, never, syns.len(), m, dt));
                }
                Quantised { synapses: syns, longest: lengths, split, notes }
            })
            .collect();
        for (&k, Quantised { synapses: syns, longest: (und, del), split, notes }) in incoming.iter().zip(quantised) {
            warnings.extend(notes);
            let d = &drawn[k];
            let declared = match &net.projections[k].delay {
                Some(Values::Scalar(ms)) => Some(if d.on_chip {
                    synapses::expander_delay(*ms, 1.0 / dt)
                } else {
                    synapses::host_delay(*ms, 1.0 / dt)
                }),
                None => Some(1),
                _ => None,
            };
            let (und_est, del_est) = row_estimate(
                &net.projections[k].connector,
                pops[d.pre].size as u64,
                p.size as u64,
                max_atoms[pi] as u64,
                split,
                m,
                declared,
            );
            let (und, del) = (und.max(und_est), del.max(del_est));
            let plastic_header_bytes =
                net.projections[k].synapse_dynamics.as_ref().map(|s| stdp::header_bytes(s.timing.is_nearest()));
            check_row_length(&net.projections[k].name(k), und.max(del), plastic_header_bytes.is_some(), &p.label)?;
            let stages = delay_stages[d.pre];
            matrices.push(IncomingMatrix {
                label: net.projections[k].name(k),
                projection: k,
                synapse_type: d.synapse_type,
                key: pop_key_info(pop_key[d.pre].expect("pre sends"), d.pre, 1),
                delay_key: delay_key[d.pre]
                    .filter(|_| del > 0 || d.max_delay_ms > m as f64 * dt)
                    .map(|part| pop_key_info(part, d.pre, stages)),
                n_pre_atoms: pops[d.pre].size,
                n_delay_stages: stages,
                max_delay: m,
                pre_max_atoms: max_atoms[d.pre],
                post_max_atoms: max_atoms[pi],
                on_chip: d.on_chip,
                synapses: syns,
                undelayed_max_n: und,
                delayed_max_n: del,
                plastic_header_bytes,
            });
        }
        let stdp_core = match &population_stdp[pi] {
            Some(s) => {
                let owner = incoming
                    .iter()
                    .rev()
                    .find(|&&k| net.projections[k].synapse_dynamics.is_some())
                    .map(|&k| net.projections[k].name(k))
                    .unwrap_or_default();
                Some(stdp::stdp_core(s, &owner, dt, w_scale, 2)?)
            }
            None => None,
        };
        // The cores' regions are independent of each other: built in parallel, used in core order.
        let all_regions: Vec<Result<synapses::CoreRegions>> = population_cores[pi]
            .par_iter()
            .map(|&c| {
                synapses::build_core_regions(&matrices, cores[c as usize].lo_atom, cores[c as usize].n_atoms, n_bits, 1)
            })
            .collect();
        for (&c, regions) in population_cores[pi].iter().zip(all_regions) {
            let regions = regions?;
            let core = &mut cores[c as usize];
            for (k, count) in regions.dropped.iter().copied().enumerate().filter(|&(_, c)| c > 0) {
                warnings.push(format!(
                    "{}: {count} delayed synapses onto core {} are dropped, as sPyNNaker 7.4.1's host writer drops them \
                     (their delayed row falls outside the block: the pre-synaptic population's cores are not full)",
                    matrices[k].label, core.label
                ));
            }
            if let CoreKind::Neuron(nc) = &mut core.kind {
                // Word 0 is the population's atoms per core, the same on every core.
                nc.synapse_params = vec![max_atoms[pi], 2, n_bits, 1, log_d[pi], 0, 256, shifts[0], shifts[1]];
                nc.pop_table = regions.pop_table;
                nc.synaptic_matrix = regions.matrix;
                nc.blocks = regions.blocks;
                nc.stdp = stdp_core.clone();
            }
        }
        // Routes into this population's cores: from each pre core (and its delay-extension core) to
        // the cores it can reach. A core that reaches none keeps an entry without destinations.
        let post_cores = &population_cores[pi];
        for (&k, link) in incoming.iter().zip(&links) {
            let d = &drawn[k];
            let targets = |si: usize| -> Vec<u32> {
                match link {
                    None => post_cores.clone(),
                    Some(m) => post_cores
                        .iter()
                        .enumerate()
                        .filter(|&(ti, _)| m[si * post_cores.len() + ti])
                        .map(|(_, &c)| c)
                        .collect(),
                }
            };
            for (si, &src) in population_cores[d.pre].iter().enumerate() {
                add_route(&mut routes, &cores[src as usize], &targets(si));
            }
            // Delay cores only where the pre → post edge needs them (`DelaySupportAdder` adds a
            // delayed edge per edge whose longest delay is beyond the in-core delay).
            let edge_needs_delays =
                incoming.iter().any(|&j| drawn[j].pre == d.pre && drawn[j].max_delay_ms > m as f64 * dt);
            if delay_key[d.pre].is_some() && edge_needs_delays {
                for (si, &src) in delay_cores[d.pre].iter().enumerate() {
                    add_route(&mut routes, &cores[src as usize], &targets(si));
                }
            }
        }
    }
    // Routes from each sending core to its own delay-extension core.
    for (pi, dcs) in delay_cores.iter().enumerate() {
        for (ci, &dc) in dcs.iter().enumerate() {
            let src = population_cores[pi][ci];
            add_route(&mut routes, &cores[src as usize], &[dc]);
        }
    }
    routes.sort_by_key(|r| r.0);
    let labelled: Vec<(u32, u32, String)> = routes.iter().map(|r| (r.0, r.1, format!("key {:#x}", r.0))).collect();
    keys::check_no_overlap(&labelled)?;
    let routing_table =
        routes.into_iter().map(|(key, mask, destinations)| RouteEntry { key, mask, destinations }).collect();

    progress(MapStep::Mapped);
    Ok(MachineImage {
        timestep_ms: dt,
        timestep_us: (dt * 1000.0 - 1e-9).ceil() as u32,
        profile: opts.profile,
        cores,
        routing_table,
        population_cores,
        population_labels: pops.iter().map(|p| p.label.clone()).collect(),
        ring_buffer_shifts,
        warnings,
    })
}

/// Which (pre core, post core) pairs of a projection are connected, as sPyNNaker 7.4.1's
/// `get_connected_vertices` decides the routes: a OneToOneConnector connects slices whose atom
/// ranges overlap, a FromListConnector the slices that one of its connections joins; every other
/// connector connects every pair (`None`). Indexed `pre slice × post slices + post slice`.
fn connected_cores(
    connector: &Connector,
    conns: &[DrawnConnection],
    pre: &[(u32, u32)],
    post: &[(u32, u32)],
) -> Option<Vec<bool>> {
    match connector {
        Connector::OneToOneConnector => Some(
            pre.iter()
                .flat_map(|&(plo, pn)| post.iter().map(move |&(qlo, qn)| plo < qlo + qn && qlo < plo + pn))
                .collect(),
        ),
        Connector::FromListConnector { .. } => {
            let slice_of = |s: &[(u32, u32)], i: u32| s.partition_point(|&(lo, n)| lo + n <= i);
            let mut m = vec![false; pre.len() * post.len()];
            for c in conns {
                let (a, b) = (slice_of(pre, c.0), slice_of(post, c.1));
                if a < pre.len() && b < post.len() {
                    m[a * post.len() + b] = true;
                }
            }
            Some(m)
        }
        _ => None,
    }
}

/// The connections of projection `k`, with delays in ticks.
fn draw(net: &Network, k: usize, proj: &crate::model::Projection, virtual_board: bool) -> Result<Drawn> {
    let dt = net.timestep;
    let steps_per_ms = 1.0 / dt;
    let pops = &net.populations;
    let name = proj.name(k);
    let pre = net.population_index(&proj.pre).expect("validated");
    let post = net.population_index(&proj.post).expect("validated");
    let (n_pre, n_post) = (pops[pre].size, pops[post].size);
    let mut rng = host_rng(net.seed, &[2, k as u64]);
    // Connections already drawn (`connections`), or a FromList, carry their own weights and delays.
    let list = proj.listed();
    let pairs = match &proj.connections {
        Some(list) => crate::model::list_pairs(list),
        None => proj.connector.pairs(n_pre, n_post, proj.pre == proj.post, &mut rng),
    };
    let n = pairs.len();
    let delay_values = proj.delay.clone().unwrap_or(Values::Scalar(dt));
    let (mut wrng, mut drng) = (host_rng(net.seed, &[3, k as u64]), host_rng(net.seed, &[4, k as u64]));
    let mut weights = proj.weight.stream(n).map_err(|m| Error::param(&name, "weight", m))?;
    let mut delays = delay_values.stream(n).map_err(|m| Error::param(&name, "delay", m))?;
    let on_chip = proj.connector.generated_on_chip() && !virtual_board;
    let mut out = Vec::with_capacity(n);
    let mut max_delay_ms = 0.0f64;
    for (i, &(pre, post)) in pairs.iter().enumerate() {
        // Every connection draws its weight and delay, used or not, so that the draws do not
        // depend on which entries of a list carry their own.
        let (w, d) = (weights.next(&mut wrng), delays.next(&mut drng));
        let entry = list.map(|l| l[i].as_slice()).unwrap_or(&[]);
        let w = match entry.get(2) {
            Some(&w) => w,
            None => w.map_err(|m| Error::param(&name, "weight", m))?,
        };
        if !w.is_finite() {
            return Err(Error::param(&name, "weight", format!("connection {i} ({pre} -> {post}) drew the weight {w}")));
        }
        let d = match entry.get(3) {
            Some(&d) => d,
            None => d.map_err(|m| Error::param(&name, "delay", m))?,
        };
        if !d.is_finite() || d < dt * (1.0 - 1e-9) {
            return Err(Error::param(&name, "delay", format!("{d} ms is below one timestep ({dt} ms)")));
        }
        max_delay_ms = max_delay_ms.max(d);
        let ticks =
            if on_chip { synapses::expander_delay(d, steps_per_ms) } else { synapses::host_delay(d, steps_per_ms) };
        out.push((pre, post, w, ticks));
    }
    // The declared delay counts even when no connection carries it (sPyNNaker's `get_delay_maximum`).
    match &proj.delay {
        Some(Values::Scalar(d)) => max_delay_ms = max_delay_ms.max(*d),
        Some(Values::Array(a)) => max_delay_ms = a.iter().fold(max_delay_ms, |m, &d| m.max(d)),
        _ => {}
    }
    Ok(Drawn { pre, post, synapse_type: proj.receptor_type.index(), on_chip, conns: out, max_delay_ms })
}

impl Core {
    /// A core of population `population` holding atoms `[lo, lo + n)`; keys are allocated later.
    fn unkeyed(label: String, population: usize, lo: u32, n: u32, recording: CoreRecording, kind: CoreKind) -> Core {
        Core {
            label,
            population,
            lo_atom: lo,
            n_atoms: n,
            key: None,
            mask: 0,
            n_colour_bits: N_COLOUR_BITS,
            recording,
            kind,
        }
    }
}

fn add_route(routes: &mut Vec<(u32, u32, Vec<u32>)>, src: &Core, dests: &[u32]) {
    let key = src.key.expect("a sending core has a key");
    let entry = match routes.iter().position(|r| r.0 == key) {
        Some(i) => &mut routes[i],
        None => {
            routes.push((key, src.mask, Vec::new()));
            routes.last_mut().expect("just pushed")
        }
    };
    for &d in dests {
        if !entry.2.contains(&d) {
            entry.2.push(d);
        }
    }
    entry.2.sort_unstable();
}

/// `get_n_connections_to_post_vertex_maximum` of each connector.
fn fan_in_maximum(c: &Connector, conns: &[DrawnConnection], n_pre: u64, n_post: u64) -> u64 {
    use binomial::probable_maximum_selected as pms;
    match *c {
        Connector::OneToOneConnector => 1,
        Connector::AllToAllConnector { .. } => n_pre,
        Connector::FixedProbabilityConnector { p_connect, .. } => pms(n_pre * n_post, n_pre, p_connect),
        Connector::FixedNumberPreConnector { n, .. } => n,
        Connector::FixedNumberPostConnector { n, .. } => pms(n_pre * n_post, n_pre, n as f64 / n_post as f64),
        Connector::FixedTotalNumberConnector { n, .. } => pms(n_pre * n_post, n, 1.0 / n_post as f64),
        Connector::FromListConnector { .. } => {
            let mut counts = vec![0u64; n_post as usize];
            for c in conns {
                counts[c.1 as usize] += 1;
            }
            counts.into_iter().max().unwrap_or(0)
        }
    }
}

/// sPyNNaker's estimate of the longest undelayed and delayed row (`get_n_connections_from_pre_vertex_maximum`),
/// for connectors whose rows are built on chip; host-built rows use their real lengths.
fn row_estimate(
    c: &Connector,
    n_pre: u64,
    n_post: u64,
    n_post_atoms: u64,
    drawn_split: (bool, bool),
    m: u32,
    declared_delay: Option<u32>,
) -> (usize, usize) {
    use binomial::probable_maximum_selected as pms;
    let est = match *c {
        Connector::OneToOneConnector => 1,
        Connector::AllToAllConnector { .. } => n_post_atoms,
        Connector::FixedProbabilityConnector { p_connect, .. } => pms(n_pre * n_post, n_post_atoms, p_connect),
        Connector::FixedNumberPostConnector { n, .. } => n.min(n_post_atoms),
        Connector::FixedNumberPreConnector { n, .. } => pms(n_pre * n_post, n_post_atoms, n as f64 / n_pre as f64),
        Connector::FixedTotalNumberConnector { n, .. } => {
            pms(n_pre * n_post, n, n_post_atoms as f64 / (n_pre * n_post) as f64)
        }
        Connector::FromListConnector { .. } => return (0, 0),
    } as usize;
    // Which matrices the estimate applies to follows the declared delay: a constant delay puts every
    // synapse in one of them; otherwise the delays drawn decide.
    let (any_und, any_del) = match declared_delay {
        Some(ticks) => (ticks <= m, ticks > m),
        None => drawn_split,
    };
    (if any_und { est } else { 0 }, if any_del { est } else { 0 })
}
