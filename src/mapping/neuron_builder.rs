//! The neuron-builder region (region 13) every neuron core of sPyNNaker 7.4.1 gets when its
//! population's parameters can be generated on the machine (`NeuronData.write_data`; host and
//! virtual board alike), and the neuron expander's draws from it (docs/expander.md §6): a random
//! parameter or initial value is the machine's, drawn from the core's seed.

use super::generation::{generatable, param_generator};
use super::{seeds, slices, sources};
use crate::error::{Error, Result};
use crate::expander::neurons::{
    FieldBuilder, FieldType, NeuronBuilder, RecordedVariable, StructBuilder, ALL_ATOMS, PER_ATOM, RECORDED,
};
use crate::expander::params::ParamGenerator;
use crate::model::{CellType, Distribution, Draws, Network, Population, ResolvedParams, ValueRange, Values};

/// Region ids the neuron-builder region names: neuron parameters, neuron recording.
pub const NEURON_REGION_IDS: [u32; 2] = [2, 9];

/// Where a struct field's value comes from.
#[derive(Clone, Copy, Debug)]
enum Source {
    /// A parameter or initial value of the population, by its PyNN name.
    Value(&'static str),
    /// The simulation time step in ms.
    Timestep,
    /// A constant of the model.
    Constant(f64),
}

type Field = (FieldType, Source);

use FieldType::{Int32, Uint32, S1615};
use Source::{Constant, Timestep, Value};

/// `n_steps_per_timestep`, the one global struct, first.
const STEPS: &[Field] = &[(Uint32, Constant(1.0))];
const LIF: &[Field] = &[
    (S1615, Value("v")),
    (S1615, Value("v_rest")),
    (S1615, Value("cm")),
    (S1615, Value("tau_m")),
    (S1615, Value("i_offset")),
    (S1615, Value("v_reset")),
    (S1615, Value("tau_refrac")),
    (Int32, Constant(0.0)), // refract_timer
    (S1615, Timestep),
];
const IZK: &[Field] = &[
    (S1615, Value("a")),
    (S1615, Value("b")),
    (S1615, Value("c")),
    (S1615, Value("d")),
    (S1615, Value("v")),
    (S1615, Value("u")),
    (S1615, Value("i_offset")),
    (S1615, Timestep),
    (S1615, Timestep), // next_h
];
const CURRENT_INPUT: &[Field] = &[];
const CONDUCTANCE_INPUT: &[Field] = &[(S1615, Value("e_rev_E")), (S1615, Value("e_rev_I"))];
const DELTA_INPUT: &[Field] = &[(S1615, Timestep)];
const STATIC_THRESHOLD: &[Field] = &[(S1615, Value("v_thresh"))];
const IZK_THRESHOLD: &[Field] = &[(S1615, Constant(30.0))];
const EXP_SYNAPSE: &[Field] = &[
    (S1615, Value("tau_syn_E")),
    (S1615, Value("isyn_exc")),
    (S1615, Value("tau_syn_I")),
    (S1615, Value("isyn_inh")),
    (S1615, Timestep),
];
const DELTA_SYNAPSE: &[Field] = &[(S1615, Value("isyn_exc")), (S1615, Value("isyn_inh"))];

/// The per-neuron structs of a neuron model, in `neuron_impl.structs` order (neuron model, input
/// type, threshold type, synapse type), after [`STEPS`].
fn neuron_structs(model: CellType) -> [&'static [Field]; 4] {
    match model {
        CellType::IfCurrExp => [LIF, CURRENT_INPUT, STATIC_THRESHOLD, EXP_SYNAPSE],
        CellType::IfCondExp => [LIF, CONDUCTANCE_INPUT, STATIC_THRESHOLD, EXP_SYNAPSE],
        CellType::IfCurrDelta => [LIF, DELTA_INPUT, STATIC_THRESHOLD, DELTA_SYNAPSE],
        CellType::Izhikevich => [IZK, CURRENT_INPUT, IZK_THRESHOLD, EXP_SYNAPSE],
        CellType::IzhikevichCond => [IZK, CONDUCTANCE_INPUT, IZK_THRESHOLD, EXP_SYNAPSE],
        CellType::SpikeSourceArray | CellType::SpikeSourcePoisson => unreachable!("sources have no neuron structs"),
    }
}

/// A population's parameters and initial values, one per neuron, and per core its neuron-builder
/// region (empty when the host writes the parameters itself).
pub(super) struct PopulationValues {
    pub resolved: ResolvedParams,
    pub neuron_builders: Vec<Vec<u32>>,
    pub warnings: Vec<String>,
}

/// Population `pi`'s values: with the machine's draws, what the neuron expander draws replaces
/// spinnsim's draw of every random value; then every value is checked.
pub(super) fn population_values(net: &Network, pi: usize) -> Result<PopulationValues> {
    let p = &net.populations[pi];
    let mut v = PopulationValues { resolved: Default::default(), neuron_builders: Vec::new(), warnings: Vec::new() };
    if p.cell_type == CellType::SpikeSourceArray {
        return Ok(v);
    }
    v.resolved = p.resolve_unchecked(net.seed, pi)?;
    // Fixed values are checked first; random ones once the machine has drawn them.
    let random = |name: &str| p.given(name).is_some_and(Values::is_random);
    p.check_resolved_where(&v.resolved, |name| !random(name))?;
    if !p.cell_type.is_source() {
        v.neuron_builders = neuron_builders(net, pi, &mut v.resolved)?;
        if net.draws == Draws::Machine {
            v.warnings.extend(host_draws_warning(p, v.neuron_builders.first().is_some_and(|b| !b.is_empty())));
        }
    }
    p.check_resolved_where(&v.resolved, random)?;
    Ok(v)
}

/// Every core's neuron-builder region; with the machine's draws, the random values of `resolved`
/// become the expander's.
fn neuron_builders(net: &Network, pi: usize, resolved: &mut ResolvedParams) -> Result<Vec<Vec<u32>>> {
    let p = &net.populations[pi];
    let population_slices = slices(p.size, p.atoms_per_core());
    let (pop_seed, core_seeds) =
        seeds::vertex_kiss_seeds(seeds::population_seed(p, net.seed, pi)?, population_slices.len());
    let machine = net.draws == Draws::Machine && has_random(p);
    let mut out = Vec::with_capacity(population_slices.len());
    for ((lo, n), core_seed) in population_slices.into_iter().zip(core_seeds) {
        let Some(builder) = builder(net, p, lo, n, [pop_seed, core_seed])? else {
            out.push(Vec::new());
            continue;
        };
        if machine {
            let params = builder.expand().map_err(|a| {
                Error::Mapping(format!(
                    "{}: the neuron expander stops the core of neurons {lo} to {}: {a}",
                    p.name(),
                    lo + n - 1
                ))
            })?;
            take_random_values(p, &params.params, lo as usize, n as usize, resolved);
        }
        out.push(builder.words());
    }
    Ok(out)
}

fn has_random(p: &Population) -> bool {
    p.parameters.values().chain(p.initial_values.values()).any(Values::is_random)
}

/// The neuron-builder region of neurons `[lo, lo + n)`, or `None` when the host writes their
/// parameters itself (`can_generate_on_machine`: a list of values, or a distribution the
/// expander has no generator for).
fn builder(net: &Network, p: &Population, lo: u32, n: u32, seeds: [[u32; 4]; 2]) -> Result<Option<NeuronBuilder>> {
    // `NeuronData.generate_data`: one region for every core while each value has one range;
    // otherwise each core gets its own, sized to its neurons.
    let repeats = if per_core(p) { n } else { PER_ATOM };
    let fields = |f: &[Field], repeats: u32| -> Result<Option<Vec<FieldBuilder>>> {
        let mut out = Vec::with_capacity(f.len());
        for &(field_type, source) in f {
            let (name, value) = match source {
                Value(name) => (name, p.value(name).expect("every struct field is a parameter of the model")),
                Timestep => ("timestep", Values::Scalar(net.timestep)),
                Constant(c) => ("constant", Values::Scalar(c)),
            };
            if !generatable(&value) {
                return Ok(None);
            }
            let items = field_items(&p.name(), name, &value, (lo, n), repeats)?;
            out.push(FieldBuilder { field_type, items });
        }
        Ok(Some(out))
    };
    let mut structs = vec![StructBuilder { n_repeats: 1, fields: fields(STEPS, 1)?.expect("constants") }];
    for s in neuron_structs(p.cell_type) {
        let Some(f) = fields(s, repeats)? else { return Ok(None) };
        structs.push(StructBuilder { n_repeats: repeats, fields: f });
    }
    Ok(Some(NeuronBuilder {
        region_ids: NEURON_REGION_IDS,
        pop_seed: seeds[0],
        core_seed: seeds[1],
        n_atoms: n,
        structs,
        recording: recorded_variables(p, lo, n, net.timestep),
    }))
}

/// A field's items for neurons `[lo, lo + n)`: one value for all `repeats`, or one item per
/// range that meets the core (`Struct.__gen_data_for_slice`).
fn field_items(
    owner: &str,
    name: &str,
    value: &Values,
    (lo, n): (u32, u32),
    repeats: u32,
) -> Result<Vec<(u32, ParamGenerator)>> {
    let Values::Ranges(ranges) = value else {
        return Ok(vec![(repeats, param_generator(owner, name, value, "neuron expander")?)]);
    };
    let mut items = Vec::new();
    for r in merged(ranges).iter().filter(|r| r.stop > lo && r.start < lo + n) {
        let len = r.stop.min(lo + n) - r.start.max(lo);
        items.push((len, param_generator(owner, name, &r.value, "neuron expander")?));
    }
    Ok(items)
}

/// The ranges as sPyNNaker's ranged list holds them: neighbours with the same number are one
/// range (a distribution is its own range, as each PyNN object is).
fn merged(ranges: &[ValueRange]) -> Vec<ValueRange> {
    let mut out: Vec<ValueRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match (out.last_mut(), &r.value) {
            (Some(last), Values::Scalar(x)) if last.value == Values::Scalar(*x) => last.stop = r.stop,
            _ => out.push(r.clone()),
        }
    }
    out
}

/// Whether some value of the population has more than one range, so that each core gets its
/// own neuron-builder region (`_all_one_val_gen` is false).
fn per_core(p: &Population) -> bool {
    p.parameters.values().chain(p.initial_values.values()).any(|v| match v {
        Values::Ranges(r) => merged(r).len() > 1,
        _ => false,
    })
}

/// Whether neuron `i`'s value is drawn from a distribution.
fn random_at(value: &Values, i: u32) -> bool {
    match value {
        Values::Random(_) => true,
        Values::Ranges(ranges) => {
            ranges.iter().find(|r| r.start <= i && i < r.stop).is_some_and(|r| r.value.is_random())
        }
        Values::Scalar(_) | Values::Array(_) => false,
    }
}

/// Writes the expanded values of every random field of neurons `[lo, lo + n)` into `resolved`.
fn take_random_values(p: &Population, params: &[u32], lo: usize, n: usize, resolved: &mut ResolvedParams) {
    let mut base = STEPS.len();
    for s in neuron_structs(p.cell_type) {
        for (f, &(_, source)) in s.iter().enumerate() {
            let Value(name) = source else { continue };
            let Some(given) = p.given(name).filter(|v| v.is_random()) else { continue };
            let column = resolved.values.get_mut(name).expect("every struct field is resolved");
            for k in (0..n).filter(|&k| random_at(given, (lo + k) as u32)) {
                column[lo + k] = params[base + k * s.len() + f] as i32 as f64 / 32768.0;
            }
        }
        base += n * s.len();
    }
}

/// The recorder's generator data for neurons `[lo, lo + n)`: v, gsyn_exc, gsyn_inh, then spikes.
fn recorded_variables(p: &Population, lo: u32, n: u32, dt: f64) -> Vec<RecordedVariable> {
    ["v", "gsyn_exc", "gsyn_inh", "spikes"]
        .into_iter()
        .map(|name| {
            let element_size = (name != "spikes").then_some(4);
            let Some(req) = p.record.iter().rev().find(|r| r.variable == name) else {
                return RecordedVariable { rate: 0, element_size, n_recording: 0, items: Vec::new() };
            };
            let (n_recording, items) = match &req.neurons {
                None => (PER_ATOM, vec![ALL_ATOMS | RECORDED]),
                Some(ids) => recorded_runs(ids, lo, n),
            };
            RecordedVariable { rate: sources::sampling_rate(req, dt), element_size, n_recording, items }
        })
        .collect()
}

/// The recorded neurons of `[lo, lo + n)` among `ids`, and the runs of recorded and not
/// recorded neurons (`NeuronRecorder.__get_generator_indices`).
fn recorded_runs(ids: &[u32], lo: u32, n: u32) -> (u32, Vec<u32>) {
    let mut local: Vec<u32> = ids.iter().filter(|&&i| i >= lo && i < lo + n).map(|&i| i - lo).collect();
    local.sort_unstable();
    local.dedup();
    if local.is_empty() {
        return (PER_ATOM, vec![ALL_ATOMS]);
    }
    let mut items = Vec::new();
    let mut next = 0;
    for run in local.chunk_by(|a, b| b == &(a + 1)) {
        if run[0] > next {
            items.push(run[0] - next);
        }
        items.push(run.len() as u32 | RECORDED);
        next = run[run.len() - 1] + 1;
    }
    if next < n {
        items.push(n - next);
    }
    (local.len() as u32, items)
}

/// What the run says when the machine's draws of a population's random values are not
/// spinnsim's: the 7.4.1 host draws them with numpy when the neuron expander cannot, and the
/// expander draws `uniform_int` as a continuous uniform.
fn host_draws_warning(p: &Population, generated: bool) -> Option<String> {
    let random: Vec<(&String, &Distribution)> = p
        .parameters
        .iter()
        .chain(&p.initial_values)
        .flat_map(|(k, v)| distributions(v).into_iter().map(move |d| (k, d)))
        .collect();
    if random.is_empty() {
        return None;
    }
    let mut names: Vec<String> = random.iter().map(|(k, _)| format!("`{k}`")).collect();
    names.dedup();
    let names = names.join(", ");
    if !generated {
        return Some(format!(
            "{}: sPyNNaker 7.4.1 draws the random values of {names} on the host with numpy (a list of values or a \
             distribution without an on-chip generator keeps the whole population off the neuron expander); \
             spinnsim draws them itself, so they are not the machine's",
            p.name()
        ));
    }
    let mut ints: Vec<String> = random
        .iter()
        .filter(|(_, d)| matches!(d, Distribution::UniformInt { .. }))
        .map(|(k, _)| format!("`{k}`"))
        .collect();
    ints.dedup();
    (!ints.is_empty()).then(|| {
        format!(
            "{}: the neuron expander of sPyNNaker 7.4.1 draws uniform_int as a continuous uniform, so {} are not \
             whole numbers, as on the machine",
            p.name(),
            ints.join(", ")
        )
    })
}

/// The distributions a value draws from.
fn distributions(v: &Values) -> Vec<&Distribution> {
    match v {
        Values::Random(d) => vec![&d.distribution],
        Values::Ranges(ranges) => ranges.iter().flat_map(|r| distributions(&r.value)).collect(),
        Values::Scalar(_) | Values::Array(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_runs_alternate_as_the_host_writes_them() {
        assert_eq!(recorded_runs(&[11, 12, 15, 30], 10, 8), (3, vec![1, 2 | RECORDED, 2, 1 | RECORDED, 2]));
        assert_eq!(recorded_runs(&[0, 1], 0, 2), (2, vec![2 | RECORDED]));
        assert_eq!(recorded_runs(&[5], 10, 4), (PER_ATOM, vec![ALL_ATOMS]));
    }
}
