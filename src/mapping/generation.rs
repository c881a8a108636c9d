//! The projections sPyNNaker 7.4.1 has the synapse expander build on the machine
//! (docs/expander.md §5): which ones (`SynapseInformation.may_generate_on_machine`), their
//! connector and distributions as the expander's parameter words, and what every core of a post
//! population writes alike in its connection-builder region. The region of each core and the
//! expander's run over it are in [`super::synapses`], beside the blocks they fill.

use crate::error::{Error, Result};
use crate::expander::{ConnectionGenerator, ParamGenerator};
use crate::fixed::{encode_s1615, encode_u032, encode_u3232};
use crate::model::{Connector, Distribution, Draws, Network, Projection, Values, S1615_MAX, S1615_MIN};

/// Region ids the connection-builder region names on a combined neuron-and-synapse core:
/// synaptic matrix, pop table, bit field, structural (none).
pub const COMBINED_CORE_REGION_IDS: [u32; 4] = [6, 5, 14, 0xFFFF_FFFF];

const SYNAPSE_EXPANDER: &str = "synapse expander";

/// A projection the synapse expander builds: the neurons it connects (first and last of each
/// view, or of the whole populations), its connector and its weight and delay generators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generated {
    pub pre_range: (u32, u32),
    pub post_range: (u32, u32),
    pub connector: ConnectionGenerator,
    pub weight: ParamGenerator,
    pub delay: ParamGenerator,
}

/// Whether a value is one the expander generates (`is_param_generatable`): a constant, or a
/// distribution it has a generator for. Arrays are drawn on the host.
pub(super) fn generatable(v: &Values) -> bool {
    use Distribution::*;
    match v {
        Values::Scalar(_) => true,
        Values::Random(d) => matches!(
            &d.distribution,
            Uniform { .. }
                | UniformInt { .. }
                | Normal { .. }
                | NormalClipped { .. }
                | NormalClippedToBoundary { .. }
                | Exponential { .. }
        ),
        Values::Array(_) => false,
        // sPyNNaker's `_all_gen`: a ranged list is generated when every range's value is.
        Values::Ranges(ranges) => ranges.iter().all(|r| generatable(&r.value)),
    }
}

/// Whether sPyNNaker 7.4.1 generates the projection on a real machine
/// (`may_generate_on_machine`, static synapses or STDP): a connector the expander has, with
/// weights and delays it can generate. Its weights and delays are then rounded as the expander
/// rounds them, whoever draws them.
pub(super) fn on_chip(proj: &Projection, dt: f64) -> bool {
    let delay = proj.delay.clone().unwrap_or(Values::Scalar(dt));
    proj.connector.generated_on_chip() && generatable(&proj.weight) && generatable(&delay)
}

/// Projection `k` as the expander builds it (static or plastic rows), or `None` when the host
/// builds its rows: on a virtual board, with spinnsim's own draws, for listed or imported
/// connections, and weights or delays without an on-chip generator.
pub(super) fn generated(net: &Network, k: usize, proj: &Projection, virtual_board: bool) -> Result<Option<Generated>> {
    let delay = proj.delay.clone().unwrap_or(Values::Scalar(net.timestep));
    if virtual_board
        || net.draws == Draws::Spinnsim
        || proj.connections.is_some()
        || !on_chip(proj, net.timestep)
        || every_pair(proj)
    {
        return Ok(None);
    }
    let name = proj.name(k);
    let size = |label: &str| net.populations[net.population_index(label).expect("validated")].size;
    let (pre, post) = (proj.pre_neurons(size(&proj.pre)), proj.post_neurons(size(&proj.post)));
    Ok(Some(Generated {
        pre_range: pre.range(),
        post_range: post.range(),
        connector: connection_generator(&name, &proj.connector, proj.is_recurrent(), (pre.len(), post.len()))?,
        weight: param_generator(&name, "weight", &proj.weight, SYNAPSE_EXPANDER)?,
        delay: param_generator(&name, "delay", &delay, SYNAPSE_EXPANDER)?,
    }))
}

/// A fixed probability of 1, which the 7.4.1 host cannot write for the expander (U0.32 ends below
/// 1: it raises): every pair is connected instead, on the host, and the run says so.
fn every_pair(proj: &Projection) -> bool {
    matches!(proj.connector, Connector::FixedProbabilityConnector { p_connect, .. } if p_connect >= 1.0)
}

/// What the run says of a projection the machine would generate but could not, because its
/// `p_connect` is 1.
pub(super) fn every_pair_warning(net: &Network, k: usize, proj: &Projection, virtual_board: bool) -> Option<String> {
    let machine = !virtual_board && net.draws == Draws::Machine && proj.connections.is_none();
    (machine && on_chip(proj, net.timestep) && every_pair(proj)).then(|| {
        format!(
            "{}: sPyNNaker 7.4.1 cannot give p_connect = 1 to the synapse expander (it encodes p as U0.32, which \
             ends below 1, and raises), so the machine would not run this network; spinnsim connects every pair \
             on the host instead",
            proj.name(k)
        )
    })
}

/// `gen_connector_id` and `gen_connector_params` for `n_pre` pre-synaptic neurons: self
/// connections count as allowed between two populations.
fn connection_generator(
    name: &str,
    c: &Connector,
    same_population: bool,
    (n_pre, n_post): (u32, u32),
) -> Result<ConnectionGenerator> {
    use ConnectionGenerator as G;
    let allow = |a: bool| a || !same_population;
    let count = |n: u64| {
        u32::try_from(n).map_err(|_| Error::param(name, "n", format!("{n} does not fit the expander's 32-bit count")))
    };
    Ok(match *c {
        Connector::OneToOneConnector => G::OneToOne,
        Connector::AllToAllConnector { allow_self_connections } => {
            G::AllToAll { allow_self: allow(allow_self_connections) }
        }
        Connector::FixedProbabilityConnector { p_connect, allow_self_connections, .. } => G::FixedProbability {
            allow_self: allow(allow_self_connections),
            p: encode_u032(p_connect).map_err(|_| {
                Error::param(
                    name,
                    "p_connect",
                    format!(
                        "{p_connect} cannot be written for the synapse expander (sPyNNaker 7.4.1 encodes it as \
                         U0.32, whose largest value is just below 1); use an AllToAllConnector"
                    ),
                )
            })?,
        },
        Connector::FixedTotalNumberConnector { n, allow_self_connections, with_replacement } => {
            G::FixedTotal { allow_self: allow(allow_self_connections), with_replacement, n: count(n)? }
        }
        Connector::FixedNumberPreConnector { n, allow_self_connections, with_replacement, .. } => {
            G::FixedPre { allow_self: allow(allow_self_connections), with_replacement, n: count(n)? }
        }
        Connector::FixedNumberPostConnector { n, allow_self_connections, with_replacement } => {
            G::FixedPost { allow_self: allow(allow_self_connections), with_replacement, n: count(n)? }
        }
        Connector::OneToOneOffsetConnector { offset, wrap, .. } => {
            G::OneToOneOffset { offset, wrap, group: c.offset_group(n_pre).expect("an offset connector") }
        }
        Connector::AllButMeConnector { ref weights, .. } => G::AllButMe {
            group: c.offset_group(n_pre.min(n_post)).expect("an all-but-me connector"),
            weights: weights.as_ref().map(|w| w.iter().map(|&x| encode_s1615(x).expect("validated")).collect()),
        },
        Connector::KernelConnector(ref k) => G::Kernel(Box::new(k.grid())),
        Connector::FromListConnector { .. } => unreachable!("a FromListConnector is built on the host"),
    })
}

/// `param_generator_id` and `param_generator_params`: S1615 words, infinite bounds as the
/// type's limits (the same for both expanders; `expander` names the one it is written for).
pub(super) fn param_generator(name: &str, what: &str, v: &Values, expander: &str) -> Result<ParamGenerator> {
    use Distribution as D;
    use ParamGenerator as P;
    let s = |x: f64| -> Result<i32> {
        if x == f64::INFINITY {
            return Ok(i32::MAX);
        }
        if x == f64::NEG_INFINITY {
            return Ok(i32::MIN);
        }
        encode_s1615(x).map_err(|_| {
            Error::param(
                name,
                what,
                format!(
                    "{x} cannot be written for the {expander}, whose parameters are s16.15 (minimum \
                     {S1615_MIN}, maximum {S1615_MAX}); sPyNNaker 7.4.1's host refuses it too"
                ),
            )
        })
    };
    Ok(match v {
        Values::Scalar(x) => P::Constant(s(*x)?),
        Values::Random(d) => match d.distribution {
            D::Uniform { low, high } | D::UniformInt { low, high } => P::Uniform { low: s(low)?, high: s(high)? },
            D::Normal { mu, sigma } => P::Normal { mu: s(mu)?, sigma: s(sigma)? },
            D::NormalClipped { mu, sigma, low, high } => {
                P::NormalClipped { mu: s(mu)?, sigma: s(sigma)?, low: s(low)?, high: s(high)? }
            }
            D::NormalClippedToBoundary { mu, sigma, low, high } => {
                P::NormalClippedToBoundary { mu: s(mu)?, sigma: s(sigma)?, low: s(low)?, high: s(high)? }
            }
            D::Exponential { beta } => P::Exponential { beta: s(beta)? },
            _ => unreachable!("only generatable distributions reach the expander"),
        },
        Values::Array(_) => unreachable!("arrays are drawn on the host"),
        Values::Ranges(_) => unreachable!("ranges reach the neuron expander one by one (neuron_builder)"),
    })
}

/// What every core of a receiving population writes alike in its connection-builder region.
pub struct PopulationGeneration {
    /// Time steps per ms, S1615.
    pub timestep_per_ms: i32,
    pub pop_seed: [u32; 4],
    /// Per synapse type, `2^(15 − shift) · global weight scale` as U3232.
    pub weight_scales: Vec<u64>,
    /// The post population's atoms and atoms per core.
    pub n_post_atoms: u32,
    pub post_max_atoms: u32,
}

impl PopulationGeneration {
    pub fn new(timestep_us: u32, pop_seed: [u32; 4], weight_scales: &[f64], n_post: u32, max: u32) -> Self {
        PopulationGeneration {
            timestep_per_ms: encode_s1615(1000.0 / timestep_us as f64).unwrap_or(i32::MAX),
            pop_seed,
            weight_scales: weight_scales.iter().map(|&w| encode_u3232(w).unwrap_or(u64::MAX)).collect(),
            n_post_atoms: n_post,
            post_max_atoms: max,
        }
    }
}
