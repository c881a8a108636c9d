//! How much memory mapping a network and running it will take, worked out from its sizes before
//! anything is drawn, so that a network too large for the machine is refused with the name of
//! what takes the memory instead of ending in an allocation failure or the OOM killer.
//!
//! The estimate follows the mapping's own steps (see [`super::map_with_progress`]) with the
//! mapping's own sizing rules (slices, in-core delay, delay stages, sPyNNaker's row-length
//! estimates), and takes the largest of:
//! * drawing: every projection's drawn connections (24 B each), plus, for the projections drawn
//!   at the same time, their (pre, post) pairs and the connector's working sets;
//! * each receiving population in turn: the synaptic matrices already built, the connections of
//!   the projections still to come, and its own projections quantised (16 B a synapse) beside
//!   its cores' matrices in sPyNNaker's padded layout (a row for every pre-synaptic neuron on
//!   every post core);
//! * the engine being built: the padded matrices with the packed rows made from them.
//!
//! `tests/memory_estimate.rs` holds it to the heap measured on networks of several shapes.

use super::estimates;
use super::{check_row_length, in_core_delay_bits, slices, stages_beyond_core, synapses};
use crate::model::{Connector, Distribution, Network, Values, RANGES_ON_A_PROJECTION};

/// Bytes of one drawn connection: (pre, post, weight, delay ticks).
const DRAWN: f64 = 24.0;
/// Bytes of one quantised synapse.
const QUANTISED: f64 = 16.0;
/// Bytes of one (pre, post) pair of a connector.
const PAIR: f64 = 8.0;
/// Bytes per entry of the map the sparse shuffle of FixedTotalNumber without replacement keeps
/// (a hash map of two words, at its load factor).
const SHUFFLE_ENTRY: f64 = 32.0;
/// Bytes per neuron while mapped and running: its resolved parameters (f64), the neuron arrays
/// of its core, its state and recording selection.
const PER_NEURON: f64 = 150.0;
/// Bytes per neuron and ring-buffer slot (two synapse types of 16-bit entries).
const PER_RING_SLOT: f64 = 4.0;
/// Bytes per row of a block that the engine's packed rows index (its start, and for plastic
/// rows where its plastic region and control half-words start).
const PACKED_ROW: f64 = 4.0;
const PACKED_PLASTIC_ROW: f64 = 12.0;

/// What a network will take: the peak, and the part of it that is largest.
#[derive(Clone, Debug)]
pub struct MemoryEstimate {
    /// Bytes at the peak of mapping and building the engine.
    pub peak: f64,
    /// The largest consumer at the peak, in words, and its bytes.
    pub biggest: (String, f64),
}

/// One projection as the estimate sees it.
struct Planned {
    post: usize,
    synapses: f64,
    /// Built by the synapse expander: none of its connections are held on the host.
    generated: bool,
    /// Working set of its connector while drawing, beyond the drawn connections.
    drawing: f64,
    /// Padded matrix bytes on each core of the post population.
    padded_per_core: f64,
    /// Rows each post core's packed matrix indexes for it, and whether they are plastic.
    rows_per_core: f64,
    plastic: bool,
    /// Bytes of its plastic regions (pre-event headers and weights) over all post cores: the
    /// engine keeps them as the machine does, once as loaded and once as they learn. The
    /// expander lays a plastic row out for the longest row, the host for its own synapses.
    plastic_regions: f64,
    /// Bytes of the draws the post population's cores share while the expander runs: the posts
    /// of fixed total with replacement, a word each (`expander::shared`).
    shared_draws: f64,
    name: String,
    /// sPyNNaker's estimate of the longest row (undelayed or delayed), which the mapping makes
    /// no shorter; `None` for a connection list, whose rows the mapping counts.
    longest_row: Option<usize>,
    post_label: String,
}

/// The memory `net` will need to be mapped and to run on the CPU engine (`threads` projections
/// are drawn at once).
pub fn estimate(net: &Network, threads: usize) -> MemoryEstimate {
    estimate_with(net, threads, false)
}

/// [`estimate`] for a run that packs each core's rows as soon as they are written
/// (`Machine::map`): no step holds every padded matrix.
pub fn estimate_packed(net: &Network, threads: usize) -> MemoryEstimate {
    estimate_with(net, threads, true)
}

fn estimate_with(net: &Network, threads: usize, packed_as_built: bool) -> MemoryEstimate {
    let plan = plan(net);
    let pops = &net.populations;
    let max_atoms: Vec<u32> = pops.iter().map(|p| p.max_atoms().min(p.size).max(1)).collect();
    let n_cores: Vec<f64> = pops.iter().zip(&max_atoms).map(|(p, &m)| p.size.div_ceil(m) as f64).collect();
    let (neurons, base) = neurons_and_ring_buffers(net, &max_atoms);
    let drawn: f64 = plan.iter().map(|k| k.held() * DRAWN).sum();
    let mut peak = drawing(&plan, drawn, threads);
    let built = receiving_populations(net, &plan, (&n_cores, threads, packed_as_built), drawn, &mut peak);
    if !packed_as_built {
        building_the_engine(&plan, &n_cores, built, threads, &mut peak);
    }
    let mut parts: Vec<(String, f64)> = vec![(format!("{neurons} neurons"), base)];
    parts.extend(peak.parts);
    let biggest = parts.iter().cloned().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap_or_default();
    MemoryEstimate { peak: base + peak.bytes, biggest }
}

impl Planned {
    /// The synapses held on the host as connections while mapping.
    fn held(&self) -> f64 {
        if self.generated {
            0.0
        } else {
            self.synapses
        }
    }
}

/// The highest step of mapping and building so far, beyond what the neurons hold throughout: its
/// bytes, and what takes them, in words.
struct Peak {
    bytes: f64,
    parts: Vec<(String, f64)>,
}

/// What the neurons hold while mapped and running: their number, and their bytes (their
/// parameters, state and arrays, and their cores' ring buffers, sized by the in-core delay).
fn neurons_and_ring_buffers(net: &Network, max_atoms: &[u32]) -> (f64, f64) {
    let pops = &net.populations;
    let neurons: f64 = pops.iter().map(|p| p.size as f64).sum();
    let ring: f64 = pops
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.cell_type.is_source())
        .map(|(pi, p)| {
            p.size as f64
                * PER_RING_SLOT
                * (1u64 << in_core_delay_bits(max_atoms[pi], max_delay_into(net, pi), net.timestep)) as f64
        })
        .sum();
    (neurons, neurons * PER_NEURON + ring)
}

/// Drawing: every projection drawn (`drawn` bytes), the `threads` largest working sets at once (a
/// projection being drawn holds the larger of its connector's working set, and its pairs beside
/// its drawn connections).
fn drawing(plan: &[Planned], drawn: f64, threads: usize) -> Peak {
    let mut working: Vec<f64> = plan.iter().map(|k| (k.drawing - k.held() * DRAWN).max(k.held() * PAIR)).collect();
    working.sort_by(|a, b| b.total_cmp(a));
    let bytes = drawn + working.iter().take(threads.max(1)).sum::<f64>();
    let largest = plan.iter().max_by(|a, b| a.held().total_cmp(&b.held()));
    let of_largest =
        largest.map(|k| format!(" (the most: {}, {:.0} synapses)", k.name, k.synapses)).unwrap_or_default();
    Peak { bytes, parts: vec![(format!("the drawn connections{of_largest}"), bytes)] }
}

/// Each receiving population in turn: the synaptic matrices of those before, the drawn
/// connections of those after (of the `drawn` bytes of all), and its own projections quantised
/// then laid out in sPyNNaker's padded layout; raises `peak` where that is higher. Returns the
/// bytes of all the padded matrices.
fn receiving_populations(
    net: &Network,
    plan: &[Planned],
    (n_cores, threads, packed_as_built): (&[f64], usize, bool),
    drawn: f64,
    peak: &mut Peak,
) -> f64 {
    let mut built = 0.0;
    let mut to_come = drawn;
    for (pi, p) in net.populations.iter().enumerate().filter(|(_, p)| !p.cell_type.is_source()) {
        let incoming: Vec<&Planned> = plan.iter().filter(|k| k.post == pi).collect();
        let syns: f64 = incoming.iter().map(|k| k.held()).sum();
        let largest = incoming.iter().map(|k| k.held()).fold(0.0, f64::max);
        let per_core: f64 = incoming.iter().map(|k| k.padded_per_core).sum();
        // Packed as built: the population's packed rows, and the padded matrices of the cores
        // being built (one per thread).
        let packed: f64 = incoming.iter().map(|k| packed_bytes(k, n_cores)).sum();
        let padded = if packed_as_built {
            packed + per_core * n_cores[pi].min(threads.max(1) as f64)
        } else {
            per_core * n_cores[pi]
        };
        let shared: f64 = incoming.iter().map(|k| k.shared_draws).sum();
        to_come -= syns * DRAWN;
        // Quantising (drawn connections beside the synapses made of them), then laying out.
        let quantising = [
            (format!("the drawn connections into `{}`", p.label), syns * DRAWN),
            (format!("the quantised synapses into `{}`", p.label), largest * QUANTISED),
        ];
        let laying_out = [
            (format!("the quantised synapses into `{}`", p.label), syns * QUANTISED),
            (format!("the synaptic matrices of `{}` in sPyNNaker's padded layout", p.label), padded + shared),
        ];
        let total = |parts: &[(String, f64); 2]| parts.iter().map(|x| x.1).sum::<f64>();
        let here = if total(&quantising) > total(&laying_out) { quantising } else { laying_out };
        if built + to_come + total(&here) > peak.bytes {
            peak.bytes = built + to_come + total(&here);
            peak.parts = vec![
                ("the synaptic matrices of the populations before".to_string(), built),
                ("the drawn connections of the populations after".to_string(), to_come),
            ];
            peak.parts.extend(here);
        }
        built += if packed_as_built { packed } else { padded };
    }
    built
}

/// The bytes of a projection's packed rows over all its post cores: a static synapse is a word,
/// a plastic one a control half-word and its plastic region (held twice).
fn packed_bytes(k: &Planned, n_cores: &[f64]) -> f64 {
    let synapses = if k.plastic { k.synapses * 2.0 + 2.0 * k.plastic_regions } else { k.synapses * 4.0 };
    synapses + k.rows_per_core * n_cores[k.post] * if k.plastic { PACKED_PLASTIC_ROW } else { PACKED_ROW }
}

/// The engine: each core's rows are packed and its padded matrix dropped (of the `built` bytes of
/// all), one core after the other, so the padded matrices or the packed rows, whichever is more;
/// raises `peak` where that is higher.
fn building_the_engine(plan: &[Planned], n_cores: &[f64], built: f64, threads: usize, peak: &mut Peak) {
    let packed: f64 = plan.iter().map(|k| packed_bytes(k, n_cores)).sum();
    // The cores being packed (one per thread) hold their packed rows beside the padded matrices.
    let mut per_core = vec![0.0; n_cores.len()];
    for k in plan {
        per_core[k.post] += k.synapses * 4.0 / n_cores[k.post].max(1.0);
    }
    let in_flight = threads.max(1) as f64 * per_core.iter().copied().fold(0.0, f64::max);
    if built.max(packed) + in_flight > peak.bytes {
        *peak = Peak {
            bytes: built.max(packed) + in_flight,
            parts: vec![
                ("the synaptic matrices in sPyNNaker's padded layout".to_string(), built),
                ("the engine's packed rows".to_string(), packed + in_flight),
            ],
        };
    }
}

/// The largest delay in ms into population `pi` that the estimate can tell from the network.
fn max_delay_into(net: &Network, pi: usize) -> f64 {
    net.projections
        .iter()
        .filter(|p| net.population_index(&p.post) == Some(pi))
        .map(|p| declared_max_delay(p, net.timestep))
        .fold(net.timestep, f64::max)
}

/// The largest delay of a projection as declared: a constant, the largest of an array or of a
/// list, the upper end of a bounded distribution, or six standard deviations above the mean of a
/// normal one; other distributions are taken to stay within the core.
fn declared_max_delay(p: &crate::model::Projection, dt: f64) -> f64 {
    let list = p.listed();
    let from_list = list.map(|l| l.iter().filter_map(|e| e.get(3).copied()).fold(0.0, f64::max)).unwrap_or(0.0);
    let declared = match &p.delay {
        None => dt,
        Some(Values::Scalar(d)) => *d,
        Some(Values::Array(a)) => a.iter().copied().fold(dt, f64::max),
        Some(Values::Random(d)) => match d.distribution {
            Distribution::Uniform { high, .. } | Distribution::UniformInt { high, .. } => high,
            Distribution::NormalClipped { high, .. } | Distribution::NormalClippedToBoundary { high, .. } => high,
            Distribution::Normal { mu, sigma } => mu + 6.0 * sigma,
            _ => dt,
        },
        Some(Values::Ranges(_)) => unreachable!("a projection's delay {RANGES_ON_A_PROJECTION} (Network::validate)"),
    };
    declared.max(from_list)
}

/// Every projection's size and layout as the mapping will make them.
fn plan(net: &Network) -> Vec<Planned> {
    let pops = &net.populations;
    let dt = net.timestep;
    let max_atoms: Vec<u32> = pops.iter().map(|p| p.max_atoms().min(p.size).max(1)).collect();
    let in_core: Vec<u32> =
        (0..pops.len()).map(|pi| 1u32 << in_core_delay_bits(max_atoms[pi], max_delay_into(net, pi), dt)).collect();
    // Delay stages per pre population: the most any of its projections needs.
    let mut stages = vec![0u32; pops.len()];
    for p in &net.projections {
        let (Some(pre), Some(post)) = (net.population_index(&p.pre), net.population_index(&p.post)) else { continue };
        let m_ms = in_core[post] as f64 * dt;
        let d = declared_max_delay(p, dt);
        if d > m_ms {
            stages[pre] = stages[pre].max(stages_beyond_core(d, m_ms));
        }
    }
    net.projections
        .iter()
        .enumerate()
        .filter_map(|(k, p)| {
            let (pre, post) = (net.population_index(&p.pre)?, net.population_index(&p.post)?);
            let (n_pre, n_post) = (pops[pre].size as u64, pops[post].size as u64);
            let views = (p.pre_neurons(pops[pre].size).len() as u64, p.post_neurons(pops[post].size).len() as u64);
            let m = in_core[post];
            let synapses = expected_synapses(&p.connector, p.connections.as_deref(), views.0, views.1);
            let (und, del) = row_lengths(net, p, pre, post, &max_atoms, m);
            let header = p.synapse_dynamics.as_ref().map(|s| super::stdp::header_bytes(s.timing.is_nearest()));
            let words = |n: usize| header.map_or(n, |h| super::stdp::row_words(n, h)) as f64 + 3.0;
            let block = |n: usize, rows: f64| if n == 0 { 0.0 } else { rows * words(n) * 4.0 };
            let stage_rows = n_pre as f64 * stages[pre].max(1) as f64;
            let generated = super::generation::generated(net, k, p, false).ok().flatten().is_some();
            let post_cores = n_post.div_ceil(max_atoms[post] as u64) as f64;
            let rows = [(und, n_pre as f64), (del, stage_rows)].into_iter().filter(|r| r.0 > 0);
            let plastic_regions = match header {
                None => 0.0,
                Some(h) if generated => {
                    post_cores * rows.map(|(n, r)| r * super::stdp::pp_words(n, h) as f64 * 4.0).sum::<f64>()
                }
                Some(h) => synapses * 2.0 + post_cores * rows.map(|(_, r)| r * h as f64).sum::<f64>(),
            };
            Some(Planned {
                post,
                synapses,
                generated,
                drawing: if generated { 0.0 } else { drawing_bytes(&p.connector, synapses) },
                padded_per_core: block(und, n_pre as f64) + block(del, stage_rows),
                rows_per_core: if und > 0 { n_pre as f64 } else { 0.0 } + if del > 0 { stage_rows } else { 0.0 },
                plastic: header.is_some(),
                plastic_regions,
                shared_draws: match p.connector {
                    Connector::FixedTotalNumberConnector { n, with_replacement: true, .. } if generated => {
                        n as f64 * 4.0
                    }
                    _ => 0.0,
                },
                name: p.name(k),
                longest_row: p.listed().is_none().then_some(und.max(del)),
                post_label: pops[post].label.clone(),
            })
        })
        .collect()
}

/// The synapses a connector makes, on average.
fn expected_synapses(c: &Connector, drawn: Option<&[Vec<f64>]>, a: u64, b: u64) -> f64 {
    if let Some(list) = drawn {
        return list.len() as f64;
    }
    let (a, b) = (a as f64, b as f64);
    match c {
        Connector::OneToOneConnector => a.min(b),
        Connector::AllToAllConnector { .. } => a * b,
        Connector::FixedProbabilityConnector { p_connect, .. } => a * b * p_connect.clamp(0.0, 1.0),
        Connector::FixedTotalNumberConnector { n, .. } => *n as f64,
        Connector::FixedNumberPreConnector { n, .. } => *n as f64 * b,
        Connector::FixedNumberPostConnector { n, .. } => *n as f64 * a,
        Connector::OneToOneOffsetConnector { .. } => a,
        Connector::AllButMeConnector { n_neurons_per_group, .. } => {
            let g = n_neurons_per_group.map_or(a.min(b), f64::from);
            a.min(b) * (g - 1.0).max(0.0)
        }
        Connector::FromListConnector { conn_list } => conn_list.len() as f64,
        Connector::KernelConnector(k) => b * k.size() as f64,
    }
}

/// A connector's working set while it draws, beyond the drawn connections themselves.
fn drawing_bytes(c: &Connector, synapses: f64) -> f64 {
    let pairs = synapses * PAIR;
    match c {
        // The pairs beside the sparse shuffle's map (then beside the stable sort's buffer).
        Connector::FixedTotalNumberConnector { with_replacement: false, .. } => pairs + synapses * SHUFFLE_ENTRY,
        // The pairs beside the stable sort's buffer.
        Connector::FixedTotalNumberConnector { .. } => pairs * 1.5,
        // The pairs, the stable sort's buffer (and one neuron's shuffle).
        Connector::FixedNumberPreConnector { n, .. } => pairs * 1.5 + *n as f64 * SHUFFLE_ENTRY,
        Connector::FixedNumberPostConnector { n, .. } => pairs + *n as f64 * SHUFFLE_ENTRY,
        _ => pairs,
    }
}

/// The longest undelayed and delayed row of a projection on a post core, as the mapping will
/// size them: sPyNNaker's estimate for connectors built on chip (which the drawn rows rarely
/// pass), the rows themselves for a connection list.
fn row_lengths(
    net: &Network,
    p: &crate::model::Projection,
    pre: usize,
    post: usize,
    max_atoms: &[u32],
    m: u32,
) -> (usize, usize) {
    let pops = &net.populations;
    let dt = net.timestep;
    let declared_ticks = |d: f64| synapses::host_delay(d, 1.0 / dt);
    if let Some(list) = p.listed() {
        let fallback = match &p.delay {
            Some(Values::Scalar(d)) => *d,
            _ => dt,
        };
        let post_slices = slices(pops[post].size, max_atoms[post]);
        let (pre_view, post_view) = (p.pre_neurons(pops[pre].size), p.post_neurons(pops[post].size));
        let items = || {
            list.iter().map(|e| {
                let (i, j) = (e[0] as u32 + pre_view.start, e[1] as u32 + post_view.start);
                (i, j, declared_ticks(e.get(3).copied().unwrap_or(fallback)))
            })
        };
        return synapses::max_row_lengths_of(items, &post_slices, m);
    }
    let longest = declared_ticks(declared_max_delay(p, dt));
    let stages = if longest > m { longest.div_ceil(m) - 1 } else { 0 };
    let delays = p.delay.clone().unwrap_or(Values::Scalar(dt));
    let sizes = (p.pre_neurons(pops[pre].size).len() as u64, p.post_neurons(pops[post].size).len() as u64);
    estimates::row_lengths(&p.connector, sizes, max_atoms[post] as u64, &delays, m as f64 * dt, stages)
}

/// A size in bytes for people: `2 GiB`, `153 MiB`, `1.46 KiB`, `65536 B` (three significant
/// digits at most).
pub fn human_bytes(bytes: f64) -> String {
    const UNITS: [(f64, &str); 4] =
        [(1099511627776.0, "TiB"), (1073741824.0, "GiB"), (1048576.0, "MiB"), (1024.0, "KiB")];
    for (size, unit) in UNITS {
        if bytes >= size {
            let x = bytes / size;
            return match x {
                x if x.fract() == 0.0 => format!("{x} {unit}"),
                x if x >= 100.0 => format!("{x:.0} {unit}"),
                x if x >= 10.0 => format!("{x:.1} {unit}"),
                x => format!("{x:.2} {unit}"),
            };
        }
    }
    format!("{bytes:.0} B")
}

/// Memory this machine can give the process: the least of MemAvailable (/proc/meminfo), the room
/// left under the cgroup's limit (a container or a batch job) and under the process's
/// address-space limit (`ulimit -v`); 16 GiB when none is known.
pub fn available_bytes() -> f64 {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let field = |text: &str, key: &str| {
        text.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l[key.len()..].split_whitespace().next().and_then(|v| v.parse::<f64>().ok()))
    };
    let mem_available = read("/proc/meminfo").and_then(|m| field(&m, "MemAvailable:")).map(|kb| kb * 1024.0);
    let number = |path: &str| read(path).and_then(|s| s.trim().parse::<f64>().ok());
    let cgroup = number("/sys/fs/cgroup/memory.max")
        .zip(number("/sys/fs/cgroup/memory.current"))
        .map(|(max, used)| (max - used).max(0.0));
    let address_space = read("/proc/self/limits")
        .and_then(|l| field(&l, "Max address space"))
        .zip(read("/proc/self/status").and_then(|s| field(&s, "VmSize:")).map(|kb| kb * 1024.0));
    let address_space = address_space.map(|(limit, used)| (limit - used).max(0.0));
    [mem_available, cgroup, address_space].into_iter().flatten().reduce(f64::min).unwrap_or(16.0 * (1u64 << 30) as f64)
}

/// What can be refused before any connection is drawn: a row longer than SpiNNaker's rows hold
/// (the length the mapping gives a row is at least sPyNNaker's estimate, which is known now), and
/// an estimated peak above `available` bytes, naming what takes the memory (with each core's rows
/// packed as soon as they are written when `packed_as_built`, as a run maps: [`estimate_packed`]).
pub fn check_before_drawing(net: &Network, available: f64, packed_as_built: bool) -> crate::Result<()> {
    for k in plan(net) {
        if let Some(n) = k.longest_row {
            check_row_length(&k.name, n, k.plastic, &k.post_label)?;
        }
    }
    let need = estimate_with(net, rayon::current_num_threads(), packed_as_built);
    if need.peak > available {
        return Err(crate::Error::Network(format!(
            "the network needs about {} of memory to map and run, but only {} is available; the largest part is {} ({})",
            human_bytes(need.peak),
            human_bytes(available),
            need.biggest.0,
            human_bytes(need.biggest.1)
        )));
    }
    Ok(())
}
