//! Network → virtual SpiNNaker cores, as sPyNNaker 7.4.1 maps it: slices, delay extensions,
//! routing keys, routing table, ring-buffer shifts, synaptic matrices and master pop tables.

mod binomial;
mod draw;
mod estimates;
pub mod generation;
mod host_draws;
pub mod image;
mod kernel;
pub mod keys;
mod layout;
mod matrices;
pub mod memory;
mod neuron_builder;
pub mod neurons;
mod poisson;
mod routes;
pub mod seeds;
pub mod shifts;
mod sources;
pub mod stdp;
pub mod synapses;
mod warnings;
pub mod words;

pub use image::*;

/// Rebuilds, for a changed population, what its cores hold of its parameters (neuron arrays,
/// current sources, spike times, Poisson rates), as the host rewrites those regions before the next
/// run. Synapses are unchanged.
pub fn remap_population(net: &Network, pi: usize, image: &mut MachineImage) -> Result<()> {
    let p = &net.populations[pi];
    let dt = net.timestep;
    let values = neuron_builder::population_values(net, pi)?;
    let resolved = &values.resolved;
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
                    neurons::neuron_arrays(&p.name(), nc.model, resolved, lo as usize, n as usize, dt, image.profile)?;
                nc.neuron_builder = values.neuron_builders[ci].clone();
                nc.current_sources = sources::current_sources(net, pi, lo, n, dt)?;
            }
            CoreKind::SpikeArray(sa) => *sa = sources::spike_array(p, lo, n, dt)?,
            CoreKind::Poisson(pc) => *pc = poisson::poisson(p, resolved, seeds[ci], lo, n, dt)?,
            CoreKind::Delay(_) => {}
        }
    }
    if p.cell_type == CellType::SpikeSourcePoisson {
        if let Some(w) = warnings::poisson_rates(p, resolved) {
            if !image.warnings.contains(&w) {
                image.warnings.push(w);
            }
        }
    }
    Ok(())
}

use crate::error::{Error, Result};
use crate::model::{CellType, Draws, Network};
use keys::get_n_bits;

/// `MAX_RING_BUFFER_BITS`.
const MAX_RING_BUFFER_BITS: u32 = 14;
/// Colour bits of every vertex (`[Simulation] n_colour_bits`).
pub const N_COLOUR_BITS: u32 = 4;

/// Options of the mapping.
#[derive(Clone, Copy, Debug, Default)]
pub struct MapOptions {
    pub profile: Profile,
    /// Build every synaptic matrix on the host, as sPyNNaker does on a virtual board (host weight
    /// and delay rounding, host delayed-row placement); otherwise the connectors the synapse expander
    /// supports are built as on a real machine.
    pub virtual_board: bool,
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

/// Maps a network onto virtual cores, telling `progress` (from any thread) how far it is. The
/// steps are those of docs/spynnaker-mapping.md: parameters, connections, partitioning and delays,
/// keys, then for each receiving population its ring-buffer shifts, matrices and regions and the
/// routes into it, and last the routing table.
pub fn map_with_progress(net: &Network, opts: MapOptions, progress: &(dyn Fn(MapStep) + Sync)) -> Result<MachineImage> {
    map_image(net, opts, progress, None)
}

/// As [`map_with_progress`], handing every neuron core's synaptic rows to `rows` as soon as they
/// are written (from any thread); a core whose rows `rows` keeps has an empty region 6 in the
/// image, so that a run need not hold every core's padded matrix at once.
pub fn map_with_rows(
    net: &Network,
    opts: MapOptions,
    progress: &(dyn Fn(MapStep) + Sync),
    rows: RowSink,
) -> Result<MachineImage> {
    map_image(net, opts, progress, Some(rows))
}

/// The mapping, with the rows kept in the image (`rows` None) or handed to `rows`.
fn map_image(
    net: &Network,
    opts: MapOptions,
    progress: &(dyn Fn(MapStep) + Sync),
    rows: Option<RowSink>,
) -> Result<MachineImage> {
    net.validate()?;
    memory::check_before_drawing(net, memory::available_bytes(), rows.is_some())?;
    let rows = rows.unwrap_or(&|_, _| false);
    let pops = &net.populations;
    let population_stdp = net.population_stdp()?;
    // Every population's parameters, first: they are cheap to check, the connections are not.
    let values = resolve_populations(net)?;
    let mut drawn = draw::draw_projections(net, opts.virtual_board, progress)?;
    let layout = layout::Layout::of(net, &drawn)?;
    let mut placed = layout::place_cores(net, opts, &values, &layout, &drawn)?;
    let keys = keys::Keys::assign(&drawn, &layout, &mut placed)?;
    let mut warnings = first_warnings(net, &values);
    warnings.extend(
        net.projections
            .iter()
            .enumerate()
            .filter_map(|(k, p)| generation::every_pair_warning(net, k, p, opts.virtual_board)),
    );
    let mut unseeded_projections = Vec::new();
    for (k, (p, d)) in net.projections.iter().zip(&drawn).enumerate() {
        // Where 7.4.1's host would build the rows itself (`may_generate_on_machine` false).
        let host_built = opts.virtual_board || !generation::on_chip(p, net.timestep);
        let ranges = (d.pre_view.range(), d.post_view.range());
        warnings.extend(warnings::views(&p.name(k), p, ranges, host_built));
        if host_built && host_draws::unseeded(net, p) {
            unseeded_projections.push(p.label.clone().unwrap_or_else(|| k.to_string()));
        }
        if net.draws == Draws::Machine {
            warnings.extend(warnings::connector_seed(&p.name(k), net, p, host_built));
            warnings.extend(warnings::nothing_built(&p.name(k), net, p, host_built));
            warnings.extend(warnings::value_seeds(&p.name(k), net, p, host_built, d.clipped_delays));
        }
        warnings.extend(warnings::kernel(&p.name(k), p, (d.pre_view.len(), d.post_view.len()), host_built));
        warnings.extend(warnings::all_but_me_weights_on_host(&p.name(k), p, host_built));
        if host_built {
            warnings.extend(warnings::offset_on_host(&p.name(k), p, d.pre_view.len()));
        }
    }
    let mut ring_buffer_shifts = vec![None; pops.len()];
    let mut routes = routes::Routes::default();
    let receivers: Vec<usize> = (0..pops.len()).filter(|&pi| !pops[pi].cell_type.is_source()).collect();
    for (done, &pi) in receivers.iter().enumerate() {
        progress(MapStep::Synapses { population: &pops[pi].label, done: done + 1, of: receivers.len() });
        let incoming: Vec<usize> = (0..drawn.len()).filter(|&k| drawn[k].post == pi).collect();
        let shifts = matrices::ring_buffer_shifts(net, pi, &incoming, &drawn);
        warnings.extend(warnings::ring_buffer_shifts(&pops[pi], shifts)?);
        ring_buffer_shifts[pi] = Some(shifts);
        let links = routes::links(net, pi, &incoming, &drawn, &layout);
        let receiver = matrices::Receiver { net, pi, incoming, shifts, layout: &layout, rows };
        let matrices = matrices::incoming_matrices(&receiver, &mut drawn, &keys, &mut warnings)?;
        matrices::write_regions(&receiver, &matrices, population_stdp[pi].as_ref(), &mut placed, &mut warnings)?;
        routes.add_population(&receiver, &links, &drawn, &placed, &keys);
    }
    let routing_table = routes.into_table(&placed)?;
    progress(MapStep::Mapped);
    let dt = net.timestep;
    Ok(MachineImage {
        timestep_ms: dt,
        timestep_us: (dt * 1000.0 - 1e-9).ceil() as u32,
        profile: opts.profile,
        cores: placed.cores,
        routing_table,
        population_cores: placed.population_cores,
        population_labels: pops.iter().map(|p| p.label.clone()).collect(),
        ring_buffer_shifts,
        warnings,
        unseeded_projections,
    })
}

/// Every population's parameters and initial values are in range as the run will have them (with
/// the machine's draws where the neuron expander makes them): the mapping's first check, which a
/// sweep makes of each instance before anything runs.
pub fn check_neuron_values(net: &Network) -> Result<()> {
    resolve_populations(net).map(|_| ())
}

/// Every population's parameters and initial values, one value per neuron (none for a
/// SpikeSourceArray, whose spike times are its parameters), with the machine's draws where the
/// neuron expander makes them.
fn resolve_populations(net: &Network) -> Result<Vec<neuron_builder::PopulationValues>> {
    (0..net.populations.len()).map(|pi| neuron_builder::population_values(net, pi)).collect()
}

/// What the network asks that the machine does otherwise, known before the synapses are built:
/// additive STDP amplitudes that reach the weight range, and Poisson rates of 65536 Hz or more.
fn first_warnings(net: &Network, values: &[neuron_builder::PopulationValues]) -> Vec<String> {
    let stdp = net
        .projections
        .iter()
        .enumerate()
        .filter_map(|(k, proj)| proj.synapse_dynamics.as_ref().and_then(|s| s.amplitude_warning(&proj.name(k))));
    let poisson = net
        .populations
        .iter()
        .zip(values)
        .filter(|(p, _)| p.cell_type == CellType::SpikeSourcePoisson)
        .filter_map(|(p, v)| warnings::poisson_rates(p, &v.resolved));
    let neurons = values.iter().flat_map(|v| v.warnings.iter().cloned());
    stdp.chain(poisson).chain(neurons).collect()
}
