//! The synaptic side of each receiving population, as docs/spynnaker-mapping.md describes it:
//! its ring-buffer shifts from the host's statistics (docs/spynnaker-mapping.md §9), its incoming
//! projections quantised into sPyNNaker's matrices with their row lengths
//! (docs/spynnaker-mapping.md §7), and each core's master population table and synaptic matrix
//! regions (docs/spynnaker-mapping.md §8, §10.5).

use super::draw::{fan_in_maximum, stats_of, Drawn, DrawnConnection};
use super::image::*;
use super::keys::{get_n_bits, Keys};
use super::layout::{Layout, Placed};
use super::shifts::{weight_scale, IncomingStats, ShiftStats};
use super::synapses::{self, IncomingMatrix, Synapse};
use super::{check_row_length, estimates, generation, seeds, slices, stdp, warnings};
use crate::error::Result;
use crate::expander::connectors::WrappedWeights;
use crate::model::{Connector, Network, Stdp, Values};
use rayon::prelude::*;

/// Config defaults (`spynnaker.cfg`).
const DEFAULT_SPIKES_PER_SECOND: f64 = 30.0;
const DEFAULT_RING_BUFFER_SIGMA: f64 = 5.0;

/// One incoming projection quantised: its synapses, its longest rows (undelayed, delayed),
/// whether it puts synapses in the undelayed and in the delayed matrix, and its warnings.
struct Quantised {
    synapses: Vec<Synapse>,
    longest: (usize, usize),
    split: (bool, bool),
    notes: Vec<String>,
}

/// A population that receives synapses, as its matrices are built: the network, the
/// population's index, its incoming projections, its ring-buffer shifts and the layout.
pub(super) struct Receiver<'a> {
    pub net: &'a Network,
    pub pi: usize,
    pub incoming: Vec<usize>,
    pub shifts: [u32; 2],
    pub layout: &'a Layout,
    /// Where each core's rows go as soon as they are written.
    pub rows: RowSink<'a>,
}

/// The left shifts of population `pi`'s ring buffers (excitatory, inhibitory), from the
/// statistics of its incoming projections `incoming` as sPyNNaker's host computes them.
pub(super) fn ring_buffer_shifts(net: &Network, pi: usize, incoming: &[usize], drawn: &[Drawn]) -> [u32; 2] {
    let p = &net.populations[pi];
    let mut stats = ShiftStats::new(
        p.cell_type.global_weight_scale(),
        1000.0 / net.timestep,
        p.spikes_per_second.unwrap_or(DEFAULT_SPIKES_PER_SECOND),
        p.ring_buffer_sigma.unwrap_or(DEFAULT_RING_BUFFER_SIGMA),
    );
    for &k in incoming {
        let d = &drawn[k];
        let proj = &net.projections[k];
        let (n_pre, n_post) = d.view_sizes();
        let n_conns = fan_in_maximum(proj, d);
        let weights = || d.conns.iter().map(|c| c.2);
        let delays = || d.conns.iter().map(|c| c.3 as f64);
        // The host's statistics of a distribution are the distribution's, whoever draws it.
        let n_draws = estimates::draws_estimate(&proj.connector, n_pre, n_post);
        let from_distribution = estimates::weight_statistics(&proj.weight, n_draws).ok();
        let (mut w_mean, mut w_var, mut w_max) = match (&proj.connector, &proj.weight) {
            (Connector::KernelConnector(kernel), _) if kernel.weight_kernel.is_some() => {
                estimates::kernel_statistics(&kernel.weights().expect("some"))
            }
            (Connector::AllButMeConnector { weights: Some(w), .. }, _) => estimates::group_weight_statistics(w),
            (Connector::FromListConnector { conn_list }, _) if conn_list.iter().any(|c| c.len() > 2) => {
                stats_of(None, weights)
            }
            (_, Values::Random(_)) if from_distribution.is_some() => from_distribution.expect("some"),
            _ => stats_of(Some(&proj.weight), weights),
        };
        if let Some(stdp) = &proj.synapse_dynamics {
            // `SynapseDynamicsSTDP.get_weight_mean/maximum/variance` (docs/stdp.md §5).
            let m = w_max.max(stdp.weight_dependence.bounds().1);
            (w_mean, w_var, w_max) = (m, 0.0, m);
        }
        let d_var = match (&proj.connector, &proj.delay) {
            (Connector::KernelConnector(kernel), _) if kernel.delay_kernel.is_some() => {
                estimates::kernel_statistics(&kernel.delays().expect("some")).1
            }
            (_, Some(delay @ Values::Random(_))) => estimates::delay_variance(delay),
            (Connector::FromListConnector { conn_list }, _) if conn_list.iter().any(|c| c.len() > 3) => {
                stats_of(None, delays).1
            }
            (_, Some(Values::Array(_))) => stats_of(None, delays).1,
            _ => 0.0,
        };
        stats.add(IncomingStats { synapse_type: d.synapse_type as usize, n_conns, w_mean, w_var, w_max, d_var });
    }
    stats.shifts()
}

/// The synapses of one incoming projection `k` of population `p` with quantised weights, and
/// their longest rows; its drawn connections are consumed.
fn quantise(r: &Receiver, k: usize, d: &Drawn, conns: Vec<DrawnConnection>, post_slices: &[(u32, u32)]) -> Quantised {
    let (net, p, shifts, m) = (r.net, &r.net.populations[r.pi], r.shifts, r.layout.in_core_delay(r.pi));
    let scale = weight_scale(shifts[d.synapse_type as usize], p.cell_type.global_weight_scale());
    let mut unheld = warnings::Unheld::default();
    // Whether any synapse goes to the undelayed and to the delayed matrix.
    let split = (conns.iter().any(|c| c.3 <= m) || conns.is_empty(), conns.iter().any(|c| c.3 > m));
    let syns: Vec<Synapse> = conns
        .into_iter()
        .map(|(pre, post, w, delay)| {
            let weight = if d.on_chip { synapses::expander_weight(w, scale) } else { synapses::host_weight(w, scale) };
            if !synapses::weight_fits(w, scale, d.on_chip) {
                unheld.add(w, weight);
            }
            Synapse { pre, post, weight, delay }
        })
        .collect();
    let lengths = if d.generated.is_some() { (0, 0) } else { synapses::max_row_lengths(&syns, post_slices, m) };
    let proj = &net.projections[k];
    let name = proj.name(k);
    let shift = shifts[d.synapse_type as usize];
    let mut notes: Vec<String> = unheld.warning(&name, p, shift, scale, syns.len()).into_iter().collect();
    if proj.synapse_dynamics.is_some() {
        let never = syns.iter().filter(|s| s.delay % m == 0).count();
        notes.extend(warnings::plastic_delay_field_zero(&name, p, never, syns.len(), m, net.timestep));
    }
    Quantised { synapses: syns, longest: lengths, split, notes }
}

/// The host's estimate of projection `k`'s longest undelayed and delayed rows
/// (`get_max_row_info`). The declared delays decide which matrices exist; for an array of delays
/// (rows built on the host), the delays drawn (`split`).
fn row_estimate(r: &Receiver, k: usize, d: &Drawn, split: (bool, bool)) -> (usize, usize) {
    let (net, layout, dt) = (r.net, r.layout, r.net.timestep);
    let proj = &net.projections[k];
    let m = layout.in_core_delay(r.pi);
    let delays = proj.delay.clone().unwrap_or(Values::Scalar(dt));
    let stages = if d.max_delay_ms > m as f64 * dt { layout.delay_stages[d.pre] } else { 0 };
    let sizes = d.view_sizes();
    let (und, del) =
        estimates::row_lengths(&proj.connector, sizes, layout.max_atoms[r.pi] as u64, &delays, m as f64 * dt, stages);
    match delays {
        Values::Array(_) => (if split.0 { und } else { 0 }, if split.1 { del } else { 0 }),
        _ => (und, del),
    }
}

/// The incoming projections `incoming` of population `pi` as sPyNNaker's matrices: quantised
/// (each projection's drawn connections are freed as it is), with their row lengths and keys.
pub(super) fn incoming_matrices(
    r: &Receiver,
    drawn: &mut [Drawn],
    keys: &Keys,
    warnings: &mut Vec<String>,
) -> Result<Vec<IncomingMatrix>> {
    let (net, pi, incoming, layout) = (r.net, r.pi, &r.incoming[..], r.layout);
    let (pops, p, dt) = (&net.populations, &net.populations[pi], net.timestep);
    let m = layout.in_core_delay(pi);
    let post_slices = slices(p.size, layout.max_atoms[pi]);
    let taken: Vec<(usize, Vec<DrawnConnection>)> =
        incoming.iter().map(|&k| (k, std::mem::take(&mut drawn[k].conns))).collect();
    let drawn = &*drawn;
    let quantised: Vec<Quantised> =
        taken.into_par_iter().map(|(k, conns)| quantise(r, k, &drawn[k], conns, &post_slices)).collect();
    let mut matrices = Vec::with_capacity(incoming.len());
    for (&k, Quantised { synapses: syns, longest: (und, del), split, notes }) in incoming.iter().zip(quantised) {
        warnings.extend(notes);
        let d = &drawn[k];
        let proj = &net.projections[k];
        let (und, del) = if matches!(proj.connector, Connector::FromListConnector { .. }) {
            (und, del)
        } else {
            let (und_est, del_est) = row_estimate(r, k, d, split);
            (und.max(und_est), del.max(del_est))
        };
        let plastic_header_bytes = proj.synapse_dynamics.as_ref().map(|s| stdp::header_bytes(s.timing.is_nearest()));
        check_row_length(&proj.name(k), und.max(del), plastic_header_bytes.is_some(), &p.label)?;
        let stages = layout.delay_stages[d.pre];
        matrices.push(IncomingMatrix {
            label: proj.name(k),
            projection: k,
            synapse_type: d.synapse_type,
            key: keys.pop_key(keys.pop_key[d.pre].expect("pre sends"), layout.max_atoms[d.pre], 1),
            delay_key: keys.delay_key[d.pre]
                .filter(|_| del > 0 || d.max_delay_ms > m as f64 * dt)
                .map(|part| keys.pop_key(part, layout.max_atoms[d.pre], stages)),
            n_pre_atoms: pops[d.pre].size,
            n_delay_stages: stages,
            max_delay: m,
            pre_max_atoms: layout.max_atoms[d.pre],
            post_max_atoms: layout.max_atoms[pi],
            on_chip: d.on_chip,
            generated: d.generated.clone(),
            synapses: syns,
            undelayed_max_n: und,
            delayed_max_n: del,
            plastic_header_bytes,
        });
    }
    Ok(matrices)
}

/// What the cores of the receiving population write alike in their connection-builder regions,
/// and each core's seed, drawn from the population's `RandomState` (docs/expander.md §1).
fn population_generation(r: &Receiver, n_cores: usize) -> Result<(generation::PopulationGeneration, Vec<[u32; 4]>)> {
    let (net, p) = (r.net, &r.net.populations[r.pi]);
    let (pop_seed, core_seeds) = seeds::vertex_kiss_seeds(seeds::population_seed(p, net.seed, r.pi)?, n_cores);
    let global = p.cell_type.global_weight_scale();
    let scales = r.shifts.map(|s| weight_scale(s, global));
    let timestep_us = (net.timestep * 1000.0 - 1e-9).ceil() as u32;
    let g = generation::PopulationGeneration::new(timestep_us, pop_seed, &scales, p.size, r.layout.max_atoms[r.pi]);
    Ok((g, core_seeds))
}

/// Writes the synaptic regions of every core of population `pi` (SynapseParams, PopTable,
/// SynBlocks and the STDP region), from its incoming `matrices`.
pub(super) fn write_regions(
    r: &Receiver,
    matrices: &[IncomingMatrix],
    stdp: Option<&Stdp>,
    placed: &mut Placed,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let (net, pi, incoming, layout, shifts) = (r.net, r.pi, &r.incoming[..], r.layout, r.shifts);
    let p = &net.populations[pi];
    let n_bits = get_n_bits(layout.max_atoms[pi] as u64);
    let stdp_core = match stdp {
        Some(s) => {
            let owner = incoming
                .iter()
                .rev()
                .find(|&&k| net.projections[k].synapse_dynamics.is_some())
                .map(|&k| net.projections[k].name(k))
                .unwrap_or_default();
            Some(stdp::stdp_core(s, &owner, net.timestep, p.cell_type.global_weight_scale(), 2)?)
        }
        None => None,
    };
    let (generation, core_seeds) = population_generation(r, placed.population_cores[pi].len())?;
    // The cores' regions are independent of each other: built in parallel, used in core order.
    let cores = &placed.cores;
    let shared = crate::expander::shared::PopulationDraws::for_population(layout.max_atoms[pi]);
    let all_regions: Vec<Result<synapses::CoreRegions>> = placed.population_cores[pi]
        .par_iter()
        .zip(&core_seeds)
        .map(|(&c, &seed)| {
            let core = &cores[c as usize];
            let expander =
                synapses::ExpanderCore { label: &core.label, seed, population: &generation, shared: &shared };
            let regions = synapses::build_core_regions(matrices, core.lo_atom, core.n_atoms, n_bits, 1, &expander)?;
            Ok(hand_over_rows(r, c as usize, regions, stdp_core.as_ref()))
        })
        .collect();
    let mut plastic_delay_zero = vec![(0, 0); matrices.len()];
    let mut expanded = vec![(0u64, WrappedWeights::default()); matrices.len()];
    for (&c, regions) in placed.population_cores[pi].iter().zip(all_regions) {
        let regions = regions?;
        warnings.extend(regions.expander_notes);
        for (sum, (never, total)) in plastic_delay_zero.iter_mut().zip(&regions.plastic_delay_zero) {
            *sum = (sum.0 + never, sum.1 + total);
        }
        for (sum, (n, wrapped)) in expanded.iter_mut().zip(&regions.expanded_weights) {
            sum.0 += n;
            sum.1.merge(wrapped);
        }
        let core = &mut placed.cores[c as usize];
        for (k, count) in regions.dropped.iter().copied().enumerate().filter(|&(_, c)| c > 0) {
            warnings.push(format!(
                "{}: {count} delayed synapses onto core {} are dropped, as sPyNNaker 7.4.1's host writer drops them \
                 (their delayed row falls outside the block: the pre-synaptic population's cores are not full)",
                matrices[k].label, core.label
            ));
        }
        if let CoreKind::Neuron(nc) = &mut core.kind {
            // Word 0 is the population's atoms per core, the same on every core.
            nc.synapse_params =
                vec![layout.max_atoms[pi], 2, n_bits, 1, layout.log_d[pi], 0, 256, shifts[0], shifts[1]];
            nc.pop_table = regions.pop_table;
            nc.synaptic_matrix = regions.matrix;
            nc.connection_builder = regions.connection_builder;
            nc.blocks = regions.blocks;
            nc.stdp = stdp_core.clone();
        }
    }
    let m = layout.in_core_delay(pi);
    for (mx, &(never, total)) in matrices.iter().zip(&plastic_delay_zero) {
        warnings.extend(warnings::plastic_delay_field_zero(&mx.label, p, never, total, m, net.timestep));
    }
    warnings.extend(wrapped_weights(r, matrices, &expanded));
    Ok(())
}

/// Hands core `core`'s rows to the receiver's row sink as soon as they are written; the padded
/// matrix is dropped when the sink keeps them.
fn hand_over_rows(
    r: &Receiver,
    core: usize,
    mut regions: synapses::CoreRegions,
    stdp: Option<&StdpCore>,
) -> synapses::CoreRegions {
    let rows = CoreRows { matrix: &regions.matrix, blocks: &regions.blocks, pop_table: &regions.pop_table, stdp };
    if (r.rows)(core, rows) {
        regions.matrix = Vec::new();
    }
    regions
}

/// What the run says of the weights the synapse expander drew past the 16 bits of a synaptic
/// word (the ring-buffer shift follows the host's estimate of the largest weight, which a tail
/// draw can pass): once per projection, over all its cores.
fn wrapped_weights(r: &Receiver, matrices: &[IncomingMatrix], expanded: &[(u64, WrappedWeights)]) -> Vec<String> {
    let p = &r.net.populations[r.pi];
    let global = p.cell_type.global_weight_scale();
    matrices
        .iter()
        .zip(expanded)
        .filter(|(_, (_, w))| w.count > 0)
        .filter_map(|(mx, (n, w))| {
            let shift = r.shifts[mx.synapse_type as usize];
            let mut unheld = warnings::Unheld::default();
            unheld.add_expanded(w.count as usize, w.largest as f64 / 32768.0, w.stored);
            unheld.warning(&mx.label, p, shift, weight_scale(shift, global), *n as usize)
        })
        .collect()
}
