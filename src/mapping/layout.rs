//! Where the network goes (docs/spynnaker-mapping.md §2, §5, §6): each population's atoms per
//! core and slices, the delay its cores hold, the delay-extension stages its projections need,
//! and the cores themselves, each with the regions of its parameters (synaptic regions come later).

use super::draw::Drawn;
use super::image::*;
use super::neuron_builder::PopulationValues;
use super::{in_core_delay_bits, neurons, poisson, slices, sources, stages_beyond_core, MapOptions, N_COLOUR_BITS};
use crate::error::{Error, Result};
use crate::model::{CellType, Network};

/// Delay-extension stages at most (`DelayExtensionVertex.MAX_SLOTS`).
const MAX_DELAY_STAGES: u32 = 8;

/// Per population: atoms per core, the bits of delay its cores hold (D, in-core delay M = 2^D),
/// and the delay-extension stages of its outgoing projections and their length in ticks.
pub(super) struct Layout {
    pub max_atoms: Vec<u32>,
    pub log_d: Vec<u32>,
    pub delay_stages: Vec<u32>,
    pub delay_per_stage: Vec<u32>,
}

impl Layout {
    pub(super) fn of(net: &Network, drawn: &[Drawn]) -> Result<Layout> {
        let (pops, dt) = (&net.populations, net.timestep);
        let max_atoms: Vec<u32> = pops.iter().map(|p| p.atoms_per_core()).collect();
        let mut log_d = vec![0u32; pops.len()];
        for (pi, p) in pops.iter().enumerate() {
            if p.cell_type.is_source() {
                continue;
            }
            let max_delay_ms = drawn.iter().filter(|d| d.post == pi).map(|d| d.max_delay_ms).fold(dt, f64::max);
            log_d[pi] = in_core_delay_bits(max_atoms[pi], max_delay_ms, dt);
        }
        let mut layout =
            Layout { max_atoms, log_d, delay_stages: vec![0; pops.len()], delay_per_stage: vec![0; pops.len()] };
        for (k, d) in drawn.iter().enumerate() {
            layout.add_delay_extension(net, k, d)?;
        }
        Ok(layout)
    }

    /// The in-core delay of population `pi`'s cores in ticks (M = 2^D).
    pub(super) fn in_core_delay(&self, pi: usize) -> u32 {
        1 << self.log_d[pi]
    }

    /// The stages projection `k` needs from a delay extension of its pre population, if any.
    fn add_delay_extension(&mut self, net: &Network, k: usize, d: &Drawn) -> Result<()> {
        let pops = &net.populations;
        let m = self.in_core_delay(d.post);
        let m_ms = m as f64 * net.timestep;
        if d.max_delay_ms <= m_ms {
            return Ok(());
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
        if self.delay_per_stage[d.pre] != 0 && self.delay_per_stage[d.pre] != m {
            return Err(Error::Mapping(format!(
                "population `{}` needs a delay extension for targets with different in-core delays ({} and {} ticks)",
                pops[d.pre].label, self.delay_per_stage[d.pre], m
            )));
        }
        self.delay_per_stage[d.pre] = m;
        self.delay_stages[d.pre] = self.delay_stages[d.pre].max(stages);
        Ok(())
    }
}

/// The cores, in order: every population's slices, then the delay-extension cores.
pub(super) struct Placed {
    pub cores: Vec<Core>,
    /// Per population: its cores (not its delay cores).
    pub population_cores: Vec<Vec<u32>>,
    /// Per population: its delay-extension cores, slice for slice.
    pub delay_cores: Vec<Vec<u32>>,
}

/// Makes every core, with the regions of its parameters.
pub(super) fn place_cores(
    net: &Network,
    opts: MapOptions,
    values: &[PopulationValues],
    layout: &Layout,
    drawn: &[Drawn],
) -> Result<Placed> {
    let pops = &net.populations;
    let mut placed = Placed {
        cores: Vec::new(),
        population_cores: vec![Vec::new(); pops.len()],
        delay_cores: vec![Vec::new(); pops.len()],
    };
    for (pi, values) in values.iter().enumerate() {
        let sends = drawn.iter().any(|d| d.pre == pi);
        for core in population_cores(net, opts, pi, values, layout, sends)? {
            placed.population_cores[pi].push(placed.cores.len() as u32);
            placed.cores.push(core);
        }
    }
    for (pi, p) in pops.iter().enumerate() {
        if layout.delay_stages[pi] == 0 {
            continue;
        }
        for (lo, n) in slices(p.size, layout.max_atoms[pi]) {
            placed.delay_cores[pi].push(placed.cores.len() as u32);
            let kind = CoreKind::Delay(DelayCore {
                n_stages: layout.delay_stages[pi],
                delay_per_stage: layout.delay_per_stage[pi],
            });
            let label = format!("{}_delayed({}:{})", p.label, lo, lo + n - 1);
            placed.cores.push(Core::unkeyed(label, pi, lo, n, CoreRecording::default(), kind));
        }
    }
    Ok(placed)
}

/// The cores of population `pi`, one per slice.
fn population_cores(
    net: &Network,
    opts: MapOptions,
    pi: usize,
    values: &PopulationValues,
    layout: &Layout,
    sends: bool,
) -> Result<Vec<Core>> {
    let resolved = &values.resolved;
    let (p, dt) = (&net.populations[pi], net.timestep);
    let population_slices = slices(p.size, layout.max_atoms[pi]);
    let seeds = if p.cell_type == CellType::SpikeSourcePoisson {
        poisson::population_kiss_seeds(p, net.seed, pi, population_slices.len())?
    } else {
        Vec::new()
    };
    let mut cores = Vec::with_capacity(population_slices.len());
    for (ci, (lo, n)) in population_slices.into_iter().enumerate() {
        let label = format!("{}({}:{})", p.label, lo, lo + n - 1);
        let kind = match p.cell_type {
            CellType::SpikeSourceArray => CoreKind::SpikeArray(sources::spike_array(p, lo, n, dt)?),
            CellType::SpikeSourcePoisson => CoreKind::Poisson(poisson::poisson(p, resolved, seeds[ci], lo, n, dt)?),
            model => CoreKind::Neuron(Box::new(NeuronCore {
                model,
                synapse_params: Vec::new(),
                pop_table: Vec::new(),
                synaptic_matrix: Vec::new(),
                connection_builder: Vec::new(),
                neuron_builder: values.neuron_builders[ci].clone(),
                neurons: neurons::neuron_arrays(&p.name(), model, resolved, lo as usize, n as usize, dt, opts.profile)?,
                current_sources: sources::current_sources(net, pi, lo, n, dt)?,
                blocks: Vec::new(),
                sends,
                stdp: None,
            })),
        };
        cores.push(Core::unkeyed(label, pi, lo, n, sources::recording(p, lo, n, dt), kind));
    }
    Ok(cores)
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
