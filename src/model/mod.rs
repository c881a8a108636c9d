//! The network as a PyNN user describes it: populations, projections, current sources and what
//! to record. Knows nothing about cores; validates what the user wrote.

mod cells;
mod connectors;
mod file;
mod kernel;
mod numpy_binomial;
mod numpy_random;
mod plasticity;
mod random;

pub use cells::{CellType, ParamSpec, Range};
pub use connectors::{list_pairs, numpy_fixed_number_pre_pairs, numpy_fixed_probability_pairs, Connector};
pub use file::load_toml;
pub use kernel::{Kernel, Shape};
pub use numpy_random::RandomState;
pub use plasticity::{exp_lut, lut_size, Stdp, TimingRule, WeightDependence};
pub use random::{host_rng, Distribution, RandomDistribution, ValueRange, ValueStream, Values, RANGES_ON_A_PROJECTION};

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Largest magnitude an s16.15 parameter can hold.
pub const S1615_MAX: f64 = 65535.0 + 32767.0 / 32768.0;
pub const S1615_MIN: f64 = -65536.0;

/// A whole network and its simulation settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// Simulation timestep in ms (PyNN `setup(timestep=...)`; sPyNNaker's default is 1.0 in practice).
    #[serde(default = "default_timestep")]
    pub timestep: f64,
    /// PyNN `min_delay`; defaults to one timestep.
    #[serde(default)]
    pub min_delay: Option<f64>,
    /// PyNN `max_delay`; accepted and ignored, as sPyNNaker does.
    #[serde(default)]
    pub max_delay: Option<f64>,
    /// Seed of every host-side random draw (connectors, random parameters, Poisson seeds).
    #[serde(default)]
    pub seed: u64,
    /// Whose draws the connectors the synapse expander builds use: the machine's (default) or
    /// spinnsim's own generator.
    #[serde(default)]
    pub draws: Draws,
    /// How long a network file asks to be run, in ms (used by `spinnsim run`).
    #[serde(default)]
    pub run_ms: Option<f64>,
    #[serde(default, rename = "population")]
    pub populations: Vec<Population>,
    #[serde(default, rename = "projection")]
    pub projections: Vec<Projection>,
    #[serde(default, rename = "current_source")]
    pub current_sources: Vec<CurrentSource>,
}

/// Who draws the connections, weights and delays of the projections sPyNNaker 7.4.1 generates
/// on the machine (docs/expander.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Draws {
    /// The synapse expander's draws, from the post population's seed: the machine's network.
    #[default]
    Machine,
    /// spinnsim's own generator from the network seed: a statistically equivalent network, not
    /// the machine's.
    Spinnsim,
}

fn default_timestep() -> f64 {
    1.0
}

/// A population of neurons or spike sources.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Population {
    pub label: String,
    pub size: u32,
    pub cell_type: CellType,
    /// Model parameters by PyNN name (also initial values such as `v`, as sPyNNaker accepts).
    #[serde(default)]
    pub parameters: BTreeMap<String, Values>,
    /// Initial values of state variables (`v`, `u`, `isyn_exc`, `isyn_inh`).
    #[serde(default)]
    pub initial_values: BTreeMap<String, Values>,
    /// SpikeSourceArray: one list for every neuron, or one list per neuron.
    #[serde(default)]
    pub spike_times: Option<SpikeTimes>,
    /// sPyNNaker's `Population(..., seed=)`: the `numpy.random.RandomState` seed of the
    /// population's on-chip draws (Poisson spikes, the expanders' connections, weights, delays and
    /// random parameters). Without one it is drawn from the network seed (sPyNNaker would use OS
    /// entropy, so the machine's own result would not repeat either).
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub max_atoms_per_core: Option<u32>,
    #[serde(default)]
    pub spikes_per_second: Option<f64>,
    #[serde(default)]
    pub ring_buffer_sigma: Option<f64>,
    #[serde(default)]
    pub record: Vec<RecordRequest>,
}

/// Spike times of a SpikeSourceArray in ms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SpikeTimes {
    Shared(Vec<f64>),
    PerNeuron(Vec<Vec<f64>>),
}

/// What to record from a population.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordRequest {
    /// `spikes`, `v`, `gsyn_exc` or `gsyn_inh`.
    pub variable: String,
    /// Neuron indices to record; all when absent.
    #[serde(default)]
    pub neurons: Option<Vec<u32>>,
    /// Sampling interval in ms; a multiple of the timestep; every tick when absent.
    #[serde(default)]
    pub sampling_interval: Option<f64>,
}

/// Which synaptic input a projection drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Receptor {
    #[default]
    Excitatory,
    Inhibitory,
}

impl Receptor {
    /// The synapse type index on the core (0 = excitatory, 1 = inhibitory).
    pub fn index(self) -> u32 {
        match self {
            Receptor::Excitatory => 0,
            Receptor::Inhibitory => 1,
        }
    }
}

/// A projection: static synapses, or plastic ones when `synapse_dynamics` is set.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Projection {
    #[serde(default)]
    pub label: Option<String>,
    pub pre: String,
    pub post: String,
    /// The pre-synaptic neurons, when `pre` is a PopulationView; the whole population when absent.
    #[serde(default)]
    pub pre_view: Option<View>,
    /// The post-synaptic neurons, when `post` is a PopulationView; the whole population when absent.
    #[serde(default)]
    pub post_view: Option<View>,
    pub connector: Connector,
    /// Weight in nA (current) or µS (conductance); the sign is ignored, as on SpiNNaker.
    #[serde(default = "default_weight")]
    pub weight: Values,
    /// Delay in ms; defaults to the timestep.
    #[serde(default)]
    pub delay: Option<Values>,
    #[serde(default)]
    pub receptor_type: Receptor,
    /// Connections already drawn, `[pre, post, weight, delay]` each, used instead of the connector's
    /// own draws while the connector still sets the statistics (to import connectivity read back from
    /// sPyNNaker with `Projection.get`).
    #[serde(default)]
    pub connections: Option<Vec<Vec<f64>>>,
    /// `synapse_type=STDPMechanism(...)`; static synapses when absent.
    #[serde(default)]
    pub synapse_dynamics: Option<Stdp>,
}

/// A PopulationView as a projection sees it: the neurons `start .. stop` of a population
/// (PyNN's `pop[start:stop]`). Connector indices (`conn_list`, `connections`) count from `start`,
/// as in PyNN. sPyNNaker 7.4.1 refuses projections over views that are not contiguous.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct View {
    pub start: u32,
    pub stop: u32,
}

impl View {
    /// The number of neurons in the view.
    pub fn len(&self) -> u32 {
        self.stop.saturating_sub(self.start)
    }

    /// Whether the view holds no neuron.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The view's first and last neuron (`_view_range`, as region 12 writes them).
    pub fn range(&self) -> (u32, u32) {
        (self.start, self.stop - 1)
    }
}

fn default_weight() -> Values {
    Values::Scalar(0.0)
}

/// A current injected into (part of) a population.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurrentSource {
    pub population: String,
    #[serde(default)]
    pub neurons: Option<Vec<u32>>,
    pub source: CurrentSourceKind,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum CurrentSourceKind {
    DCSource {
        #[serde(default)]
        amplitude: f64,
        #[serde(default)]
        start: f64,
        #[serde(default = "forever")]
        stop: f64,
    },
    StepCurrentSource {
        times: Vec<f64>,
        amplitudes: Vec<f64>,
    },
}

fn forever() -> f64 {
    f64::INFINITY
}

impl Projection {
    /// The connections the projection lists itself, each with its own weight and delay where
    /// given: `connections` (already drawn), or a FromList's `conn_list`.
    pub fn listed(&self) -> Option<&[Vec<f64>]> {
        self.connections.as_deref().or(match &self.connector {
            Connector::FromListConnector { conn_list } => Some(conn_list.as_slice()),
            _ => None,
        })
    }

    /// The pre-synaptic neurons of a population of `size`: the view, or all of them.
    pub fn pre_neurons(&self, size: u32) -> View {
        self.pre_view.unwrap_or(View { start: 0, stop: size })
    }

    /// The post-synaptic neurons of a population of `size`: the view, or all of them.
    pub fn post_neurons(&self, size: u32) -> View {
        self.post_view.unwrap_or(View { start: 0, stop: size })
    }

    /// Whether pre and post are the same, as sPyNNaker 7.4.1 compares them
    /// (`pre_population == post_population`): the same population, both whole or both the same
    /// view. Only then do `allow_self_connections = false` connectors leave out self connections.
    pub fn is_recurrent(&self) -> bool {
        self.pre == self.post && self.pre_view == self.post_view
    }

    pub fn name(&self, index: usize) -> String {
        match &self.label {
            Some(l) => format!("projection `{l}`"),
            None => format!("projection {index} ({} -> {})", self.pre, self.post),
        }
    }
}

impl Population {
    pub fn name(&self) -> String {
        format!("population `{}`", self.label)
    }

    /// Maximum atoms on one core: the population's own setting or the model default.
    pub fn max_atoms(&self) -> u32 {
        self.max_atoms_per_core.unwrap_or_else(|| self.cell_type.default_max_atoms_per_core())
    }

    /// Atoms on one core: [`Self::max_atoms`], or the whole population when it is smaller.
    pub fn atoms_per_core(&self) -> u32 {
        self.max_atoms().min(self.size)
    }

    /// The value given for a parameter or initial value, if any.
    pub fn given(&self, name: &str) -> Option<&Values> {
        self.parameters.get(name).or_else(|| self.initial_values.get(name))
    }

    /// The value of a parameter or initial value: the one given, or the model's default.
    pub fn value(&self, name: &str) -> Option<Values> {
        self.given(name).cloned().or_else(|| self.specs().find(|s| s.name == name).map(|s| Values::Scalar(s.default)))
    }

    /// The model's parameters, then its initial values.
    fn specs(&self) -> impl Iterator<Item = ParamSpec> {
        let ct = self.cell_type;
        ct.parameters().into_iter().chain(ct.initial_values().iter().copied())
    }

    /// Every parameter and initial value, one per neuron, defaults filled in, before the values are checked (random
    /// ones drawn by spinnsim, which the machine's draws may replace:
    /// `mapping::check_neuron_values` checks the values the run will have).
    pub fn resolve_unchecked(&self, network_seed: u64, pop_index: usize) -> Result<ResolvedParams> {
        let n = self.size as usize;
        let mut out = BTreeMap::new();
        for (k, spec) in self.specs().enumerate() {
            let mut rng = host_rng(network_seed, &[1, pop_index as u64, k as u64]);
            let vals = match self.given(spec.name) {
                Some(v) => v.expand(n, &mut rng).map_err(|m| Error::param(self.name(), spec.name, m))?,
                None => vec![spec.default; n],
            };
            out.insert(spec.name, vals);
        }
        Ok(ResolvedParams { values: out })
    }

    /// Every value of `r` is in its parameter's range.
    pub fn check_resolved(&self, r: &ResolvedParams) -> Result<()> {
        self.check_resolved_where(r, |_| true)
    }

    /// [`Self::check_resolved`] for the parameters and initial values `which` names.
    pub fn check_resolved_where(&self, r: &ResolvedParams, which: impl Fn(&str) -> bool) -> Result<()> {
        for spec in self.specs().filter(|s| which(s.name)) {
            for (i, &v) in r.get(spec.name).iter().enumerate() {
                check_value(&self.name(), &spec, i, v)?;
            }
        }
        Ok(())
    }
}

fn check_value(owner: &str, spec: &ParamSpec, i: usize, v: f64) -> Result<()> {
    let bad = |m: String| Err(Error::param(owner, spec.name, format!("neuron {i}: {m}")));
    if v.is_nan() {
        return bad("value is NaN".into());
    }
    if spec.name == "duration" && v == f64::INFINITY {
        return Ok(());
    }
    if !v.is_finite() {
        return bad(format!("value {v} is not finite"));
    }
    match spec.range {
        Range::Positive if v <= 0.0 => return bad(format!("{v} must be > 0")),
        Range::NonNegative if v < 0.0 => return bad(format!("{v} must be >= 0")),
        _ => {}
    }
    let limit =
        if spec.name == "rate" || spec.name == "start" || spec.name == "duration" { f64::MAX } else { S1615_MAX };
    if v > limit || v < S1615_MIN {
        return bad(format!("{v} is outside the s16.15 range [{S1615_MIN}, {S1615_MAX}]"));
    }
    Ok(())
}

/// Parameters and initial values expanded to one value per neuron.
#[derive(Clone, Debug, Default)]
pub struct ResolvedParams {
    pub values: BTreeMap<&'static str, Vec<f64>>,
}

impl ResolvedParams {
    pub fn get(&self, name: &str) -> &[f64] {
        self.values.get(name).map(|v| v.as_slice()).unwrap_or(&[])
    }
}

impl Network {
    /// One tick in ms.
    pub fn dt(&self) -> f64 {
        self.timestep
    }

    pub fn population_index(&self, label: &str) -> Option<usize> {
        self.populations.iter().position(|p| p.label == label)
    }

    /// Checks everything that can be checked without mapping; the first problem found is returned.
    pub fn validate(&self) -> Result<()> {
        self.validate_setup()?;
        let mut seen = std::collections::HashSet::new();
        for pop in &self.populations {
            if !seen.insert(pop.label.as_str()) {
                return Err(Error::Network(format!("two populations are labelled `{}`", pop.label)));
            }
            pop.validate(self.timestep)?;
        }
        for (k, proj) in self.projections.iter().enumerate() {
            self.validate_projection(k, proj)?;
        }
        self.validate_stdp_merge()?;
        for (k, cs) in self.current_sources.iter().enumerate() {
            let owner = format!("current source {k}");
            let pi = self.population_index(&cs.population).ok_or_else(|| {
                Error::param(&owner, "population", format!("no population is labelled `{}`", cs.population))
            })?;
            cs.validate(&owner, &self.populations[pi])?;
        }
        Ok(())
    }

    /// The timestep and `min_delay` of `setup`.
    fn validate_setup(&self) -> Result<()> {
        let dt = self.timestep;
        if !dt.is_finite() || dt <= 0.0 {
            return Err(Error::param("setup", "timestep", format!("{dt} ms must be a positive finite number")));
        }
        if !(0.001..=1000.0).contains(&dt) {
            return Err(Error::param(
                "setup",
                "timestep",
                format!("{dt} ms is outside the supported range [0.001, 1000]"),
            ));
        }
        if let Some(md) = self.min_delay {
            if !md.is_finite() || md < dt * (1.0 - 1e-9) {
                return Err(Error::param(
                    "setup",
                    "min_delay",
                    format!("{md} ms must be at least one timestep ({dt} ms)"),
                ));
            }
        }
        Ok(())
    }

    /// Projection `k`: its populations, connector, weights, delays, listed connections and STDP.
    fn validate_projection(&self, k: usize, proj: &Projection) -> Result<()> {
        let (name, dt) = (proj.name(k), self.timestep);
        let pre = self
            .population_index(&proj.pre)
            .ok_or_else(|| Error::param(&name, "pre", format!("no population is labelled `{}`", proj.pre)))?;
        let post = self
            .population_index(&proj.post)
            .ok_or_else(|| Error::param(&name, "post", format!("no population is labelled `{}`", proj.post)))?;
        let (pre, post) = (&self.populations[pre], &self.populations[post]);
        if post.cell_type.is_source() {
            return Err(Error::param(
                &name,
                "post",
                format!("`{}` is a spike source and cannot receive synapses", post.label),
            ));
        }
        for (side, view, pop) in [("pre_view", proj.pre_view, pre), ("post_view", proj.post_view, post)] {
            check_view(&name, side, view, pop)?;
        }
        let (n_pre, n_post) = (proj.pre_neurons(pre.size).len(), proj.post_neurons(post.size).len());
        proj.connector.validate(n_pre, n_post, proj.is_recurrent()).map_err(|(p, m)| Error::param(&name, p, m))?;
        check_offset_views(&name, proj)?;
        check_kernel(&name, proj, dt)?;
        check_values(&name, "weight", &proj.weight, None)?;
        if let Some(d) = &proj.delay {
            check_values(&name, "delay", d, Some(dt))?;
        }
        if let Some(list) = &proj.connections {
            connectors::validate_list(list, n_pre, n_post).map_err(|(_, m)| Error::param(&name, "connections", m))?;
            if let Some(i) = list.iter().position(|c| c.len() != 4) {
                return Err(Error::param(&name, "connections", format!("entry {i} is not [pre, post, weight, delay]")));
            }
        }
        if let Some(stdp) = &proj.synapse_dynamics {
            stdp.validate(&name, post.cell_type.global_weight_scale(), dt)?;
        }
        let lists = [
            proj.connections.as_ref(),
            match &proj.connector {
                Connector::FromListConnector { conn_list } => Some(conn_list),
                _ => None,
            },
        ];
        for (i, c) in lists.into_iter().flatten().flat_map(|l| l.iter().enumerate()) {
            if let Some(&d) = c.get(3) {
                if d < dt * (1.0 - 1e-9) {
                    let why = format!("entry {i}: delay {d} ms is below one timestep ({dt} ms)");
                    return Err(Error::param(&name, "conn_list", why));
                }
            }
        }
        Ok(())
    }
}

/// The grouped connectors (OneToOneOffset, AllButMe) connect views only from their first
/// neurons: the machine's expander counts their groups from neuron 0 of the post population and
/// their pres from the pre view's start, so views that start elsewhere would not be connected as
/// the connector says.
fn check_offset_views(name: &str, proj: &Projection) -> Result<()> {
    if proj.connector.offset_group(1).is_none() {
        return Ok(());
    }
    for (side, view) in [("pre_view", proj.pre_view), ("post_view", proj.post_view)] {
        if let Some(v) = view.filter(|v| v.start != 0) {
            let why = format!(
                "a {} over a view must start at neuron 0 (this one starts at {}): sPyNNaker \
                 7.4.1's expander counts the groups from neuron 0 of the post population, so it would not connect \
                 the views as asked",
                proj.connector.name(),
                v.start
            );
            return Err(Error::param(name, side, why));
        }
    }
    Ok(())
}

/// A KernelConnector's shapes and kernels, between whole populations: 7.4.1's host builds its rows
/// over a view without the view's offsets, and the grids are the populations'.
fn check_kernel(name: &str, proj: &Projection, dt: f64) -> Result<()> {
    let Connector::KernelConnector(k) = &proj.connector else { return Ok(()) };
    k.validate(dt).map_err(|(p, m)| Error::param(name, p, m))?;
    for (what, v) in [("weight", Some(&proj.weight)), ("delay", proj.delay.as_ref())] {
        if let Some(Values::Array(_)) = v {
            let why = format!("a KernelConnector takes its values per kernel position: give them as {what}_kernel");
            return Err(Error::param(name, what, why));
        }
    }
    for (side, view) in [("pre_view", proj.pre_view), ("post_view", proj.post_view)] {
        if view.is_some() {
            let why = "a KernelConnector connects whole populations (its shapes are theirs); project from and to the \
                       populations themselves";
            return Err(Error::param(name, side, why.to_string()));
        }
    }
    Ok(())
}

/// A projection's view of `pop` holds at least one neuron, all of them in the population.
fn check_view(name: &str, side: &str, view: Option<View>, pop: &Population) -> Result<()> {
    let Some(v) = view else { return Ok(()) };
    if v.is_empty() {
        return Err(Error::param(
            name,
            side,
            format!("neurons {}..{} of `{}` are no neurons", v.start, v.stop, pop.label),
        ));
    }
    if v.stop > pop.size {
        let why =
            format!("neurons {}..{} are outside `{}`, which has {} neurons", v.start, v.stop, pop.label, pop.size);
        return Err(Error::param(name, side, why));
    }
    Ok(())
}

impl CurrentSource {
    /// The source's neurons and parameters, against the population it drives.
    fn validate(&self, owner: &str, pop: &Population) -> Result<()> {
        if pop.cell_type.is_source() {
            return Err(Error::param(owner, "population", format!("`{}` is a spike source", pop.label)));
        }
        if let Some(ns) = &self.neurons {
            if let Some(&bad) = ns.iter().find(|&&i| i >= pop.size) {
                return Err(Error::param(owner, "neurons", format!("index {bad} is outside 0..{}", pop.size)));
            }
        }
        match &self.source {
            CurrentSourceKind::DCSource { amplitude, start, stop } => {
                if !amplitude.is_finite() || amplitude.abs() > S1615_MAX {
                    return Err(Error::param(owner, "amplitude", format!("{amplitude} is not a finite s16.15 value")));
                }
                if !start.is_finite() || *start < 0.0 || stop.is_nan() || stop < start {
                    return Err(Error::param(
                        owner,
                        "start/stop",
                        format!("need 0 <= start <= stop, got {start}, {stop}"),
                    ));
                }
            }
            CurrentSourceKind::StepCurrentSource { times, amplitudes } => {
                if times.len() != amplitudes.len() {
                    let why = format!("{} amplitudes for {} times", amplitudes.len(), times.len());
                    return Err(Error::param(owner, "amplitudes", why));
                }
                if times.iter().any(|t| !t.is_finite() || *t < 0.0) || times.windows(2).any(|w| w[1] < w[0]) {
                    return Err(Error::param(owner, "times", "must be finite, >= 0 and increasing".to_string()));
                }
                if amplitudes.iter().any(|a| !a.is_finite() || a.abs() > S1615_MAX) {
                    return Err(Error::param(owner, "amplitudes", "must be finite s16.15 values".to_string()));
                }
            }
        }
        Ok(())
    }
}

impl Network {
    /// The STDP mechanism of each population's core (docs/stdp.md §1): sPyNNaker merges the
    /// mechanisms of all STDP projections into a population, which must be "the same"
    /// (`is_same_as`); the merged one is the last projection's, so its `backprop_delay` is written.
    /// `None` for populations without STDP input.
    pub fn population_stdp(&self) -> Result<Vec<Option<Stdp>>> {
        let mut out: Vec<Option<(usize, Stdp)>> = vec![None; self.populations.len()];
        for (k, proj) in self.projections.iter().enumerate() {
            let (Some(stdp), Some(post)) = (&proj.synapse_dynamics, self.population_index(&proj.post)) else {
                continue;
            };
            if let Some((first, merged)) = &out[post] {
                if !merged.is_same_as(stdp) {
                    return Err(Error::param(
                        proj.name(k),
                        "synapse_dynamics",
                        format!(
                            "all STDP projections into population `{}` must have the same timing rule, weight dependence, \
                             tau_plus, tau_minus, A_plus, A_minus, w_min and w_max (sPyNNaker raises SynapticConfigurationException); \
                             {} has {}, this one has {}",
                            proj.post,
                            self.projections[*first].name(*first),
                            merged.describe(),
                            stdp.describe()
                        ),
                    ));
                }
            }
            let first = out[post].as_ref().map(|f| f.0).unwrap_or(k);
            out[post] = Some((first, stdp.clone()));
        }
        Ok(out.into_iter().map(|o| o.map(|(_, s)| s)).collect())
    }

    fn validate_stdp_merge(&self) -> Result<()> {
        self.population_stdp().map(|_| ())
    }
}

fn check_values(owner: &str, what: &str, v: &Values, min: Option<f64>) -> Result<()> {
    let check = |x: f64| -> Result<()> {
        if !x.is_finite() {
            return Err(Error::param(owner, what, format!("{x} is not finite")));
        }
        if let Some(m) = min {
            if x < m * (1.0 - 1e-9) {
                return Err(Error::param(owner, what, format!("{x} ms is below one timestep ({m} ms)")));
            }
        }
        Ok(())
    };
    match v {
        Values::Scalar(x) => check(*x),
        Values::Array(a) => a.iter().try_for_each(|&x| check(x)),
        Values::Random(d) => d.validate().map_err(|m| Error::param(owner, what, m)),
        Values::Ranges(_) => Err(Error::param(owner, what, random::RANGES_ON_A_PROJECTION)),
    }
}

impl Population {
    fn validate(&self, dt: f64) -> Result<()> {
        let name = self.name();
        if self.label.is_empty() {
            return Err(Error::Network("a population has an empty label".into()));
        }
        if self.size == 0 {
            return Err(Error::param(&name, "size", "must be at least 1"));
        }
        if let Some(m) = self.max_atoms_per_core {
            if m == 0 || m > 65535 {
                return Err(Error::param(&name, "max_atoms_per_core", format!("{m} is outside 1..=65535")));
            }
        }
        if let Some(s) = self.spikes_per_second {
            if !s.is_finite() || s < 0.0 {
                return Err(Error::param(&name, "spikes_per_second", format!("{s} must be a finite number >= 0")));
            }
        }
        if let Some(s) = self.ring_buffer_sigma {
            if !s.is_finite() || s < 0.0 {
                return Err(Error::param(&name, "ring_buffer_sigma", format!("{s} must be a finite number >= 0")));
            }
        }
        let known: Vec<&str> =
            self.cell_type.parameters().iter().chain(self.cell_type.initial_values()).map(|p| p.name).collect();
        for key in self.parameters.keys().chain(self.initial_values.keys()) {
            if !known.contains(&key.as_str()) {
                return Err(Error::param(
                    &name,
                    key.as_str(),
                    format!("unknown for {}; known: {}", self.cell_type.name(), known.join(", ")),
                ));
            }
        }
        self.validate_spike_times()?;
        self.validate_records(dt)
    }

    /// A SpikeSourceArray's spike times: one list, or one per neuron; finite times >= 0.
    fn validate_spike_times(&self) -> Result<()> {
        let name = self.name();
        match (&self.spike_times, self.cell_type) {
            (Some(_), CellType::SpikeSourceArray) | (None, _) => {}
            (Some(_), _) => return Err(Error::param(&name, "spike_times", "only a SpikeSourceArray has spike times")),
        }
        if let Some(st) = &self.spike_times {
            let lists: Vec<&Vec<f64>> = match st {
                SpikeTimes::Shared(v) => vec![v],
                SpikeTimes::PerNeuron(v) => {
                    if v.len() != self.size as usize {
                        return Err(Error::param(
                            &name,
                            "spike_times",
                            format!("{} lists for {} neurons", v.len(), self.size),
                        ));
                    }
                    v.iter().collect()
                }
            };
            for t in lists.into_iter().flatten() {
                if !t.is_finite() || *t < 0.0 {
                    return Err(Error::param(&name, "spike_times", format!("{t} ms is not a finite time >= 0")));
                }
            }
        }
        Ok(())
    }

    /// What to record: variables the model has, neurons it has, sampling intervals of whole ticks.
    fn validate_records(&self, dt: f64) -> Result<()> {
        let name = self.name();
        for r in &self.record {
            if !self.cell_type.recordables().contains(&r.variable.as_str()) {
                return Err(Error::param(
                    &name,
                    "record",
                    format!(
                        "cannot record `{}`; {} records {}",
                        r.variable,
                        self.cell_type.name(),
                        self.cell_type.recordables().join(", ")
                    ),
                ));
            }
            if let Some(ns) = &r.neurons {
                if let Some(&bad) = ns.iter().find(|&&i| i >= self.size) {
                    return Err(Error::param(
                        &name,
                        "record",
                        format!("neuron index {bad} is outside 0..{}", self.size),
                    ));
                }
            }
            if let Some(si) = r.sampling_interval {
                let ratio = si / dt;
                if !si.is_finite() || si <= 0.0 || (ratio - ratio.round()).abs() > 1e-9 || ratio.round() < 1.0 {
                    return Err(Error::param(
                        &name,
                        "sampling_interval",
                        format!("{si} ms is not a positive multiple of the timestep {dt} ms"),
                    ));
                }
            }
        }
        Ok(())
    }
}
