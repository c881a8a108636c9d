//! What sPyNNaker 7.4.1's host draws with numpy for the rows it builds itself, where the script
//! seeds the generators (docs/decisions.md D22, D23): the connections of a FixedProbability or
//! FixedNumberPre connector with `rng=NumpyRNG(seed)`, and the weights and delays of a `RandomDistribution`
//! with its own `rng`.
//!
//! The host draws the values of a distribution per post core, core after core
//! (`AbstractConnector._generate_random_values`): one uniform from the distribution's own
//! generator, drawn even for a core without connections, seeds a fresh `NumpyRNG` with
//! `int(u · 0x7FFFFFFF)`, which draws that core's values in the order of the connector's
//! synaptic block.

use crate::model::{
    numpy_fixed_number_pre_pairs, numpy_fixed_probability_pairs, Connector, Draws, Network, Projection, RandomState,
    Values,
};

/// Why a seed given on a host-built projection cannot draw as 7.4.1's host does, or `None` when
/// it can: spinnsim's own draws were asked for, or a side is a PopulationView (7.4.1's host
/// builds such rows without the view offsets, and spinnsim keeps its own draws there).
pub(super) fn seeds_refused(net: &Network, proj: &Projection) -> Option<&'static str> {
    if net.draws != Draws::Machine {
        return Some("draws = \"spinnsim\" asks for spinnsim's own generator");
    }
    if proj.pre_view.is_some() || proj.post_view.is_some() {
        return Some("7.4.1's host builds rows over a PopulationView without the view offsets");
    }
    None
}

/// The pairs (indices from the views' starts) that 7.4.1's host draws for a connector seeded
/// with its own `NumpyRNG`: FixedProbability and FixedNumberPre; `None` for the others, without a
/// seed, or where the seed cannot draw as the host does ([`seeds_refused`]).
pub(super) fn seeded_pairs(
    net: &Network,
    proj: &Projection,
    post_atoms_per_core: u32,
    sizes: (u32, u32),
) -> Option<Vec<(u32, u32)>> {
    if seeds_refused(net, proj).is_some() {
        return None;
    }
    let no_self = |allow: bool| !allow && proj.is_recurrent();
    match proj.connector {
        Connector::FixedProbabilityConnector { p_connect, allow_self_connections, rng_seed: Some(seed) } => Some(
            numpy_fixed_probability_pairs(p_connect, no_self(allow_self_connections), seed, sizes, post_atoms_per_core),
        ),
        Connector::FixedNumberPreConnector { n, allow_self_connections, with_replacement, rng_seed: Some(seed) } => {
            Some(numpy_fixed_number_pre_pairs(n, with_replacement, no_self(allow_self_connections), seed, sizes))
        }
        _ => None,
    }
}

/// Whether 7.4.1's host builds no connection at all for this projection, where it builds the
/// rows: a FixedNumberPostConnector, whose `__build_post_neurons` fills only the entries that
/// are `None` of a list that starts with empty arrays. spinnsim's own draws (`draws =
/// "spinnsim"`) connect it.
pub(super) fn builds_nothing(net: &Network, proj: &Projection) -> bool {
    net.draws == Draws::Machine && matches!(proj.connector, Connector::FixedNumberPostConnector { .. })
}

/// Whether 7.4.1's host, building this projection's rows, would draw from a `NumpyRNG` without a
/// seed (OS entropy: the machine's own result would not repeat): a random connector without
/// `rng_seed` (FixedTotalNumber always: it draws from numpy's global generator), or a weight or
/// delay distribution without one. spinnsim draws those from the network seed.
pub(super) fn unseeded(net: &Network, proj: &Projection) -> bool {
    if net.draws != Draws::Machine || proj.connections.is_some() || builds_nothing(net, proj) {
        return false;
    }
    let connector = match proj.connector {
        Connector::FixedProbabilityConnector { p_connect, rng_seed, .. } => {
            rng_seed.is_none() && p_connect > 0.0 && p_connect < 1.0
        }
        Connector::FixedNumberPreConnector { rng_seed, .. } => rng_seed.is_none(),
        Connector::FixedTotalNumberConnector { .. } => true,
        _ => false,
    };
    let delay = proj.delay.clone().unwrap_or(Values::Scalar(net.timestep));
    let value = |v: &Values| matches!(v, Values::Random(d) if d.rng_seed.is_none());
    connector || value(&proj.weight) || value(&delay)
}

/// Why a seeded distribution of `values` (a weight or a delay) cannot draw as 7.4.1's host does,
/// or `None` when it can (or nothing is seeded).
pub(super) fn values_seed_refused(net: &Network, proj: &Projection, values: &Values) -> Option<&'static str> {
    let Values::Random(d) = values else { return None };
    d.rng_seed?;
    if let Some(why) = seeds_refused(net, proj) {
        return Some(why);
    }
    if block_major(&proj.connector).is_none() {
        return Some("spinnsim does not reproduce the order in which 7.4.1's host lists this connector's connections");
    }
    None
}

/// The order of the connections in 7.4.1's synaptic block of one post core: pre-major (`false`)
/// or post-major (`true`); `None` where spinnsim does not reproduce it.
fn block_major(connector: &Connector) -> Option<bool> {
    match connector {
        Connector::OneToOneConnector
        | Connector::AllToAllConnector { .. }
        | Connector::FixedProbabilityConnector { .. } => Some(false),
        // 7.4.1 lists each post neuron's sorted pre neurons in turn.
        Connector::FixedNumberPreConnector { .. } => Some(true),
        _ => None,
    }
}

/// The values of `values` for every connection in `pairs` (indices of whole populations), as
/// 7.4.1's host draws them from a seeded distribution; `None` when it is not one that draws so
/// (see [`values_seed_refused`]).
pub(super) fn numpy_values(
    net: &Network,
    proj: &Projection,
    values: &Values,
    pairs: &[(u32, u32)],
    (n_post, atoms_per_core): (u32, u32),
) -> Option<Result<Vec<f64>, String>> {
    let Values::Random(d) = values else { return None };
    let seed = d.rng_seed?;
    if values_seed_refused(net, proj, values).is_some() {
        return None;
    }
    let post_major = block_major(&proj.connector).expect("checked");
    let core = |j: u32| (j / atoms_per_core.max(1)) as usize;
    let mut order: Vec<usize> = (0..pairs.len()).collect();
    order.sort_by_key(|&i| {
        let (pre, post) = pairs[i];
        if post_major {
            (core(post), post, pre)
        } else {
            (core(post), pre, post)
        }
    });
    let mut per_core = vec![0usize; n_post.div_ceil(atoms_per_core.max(1)) as usize];
    for &(_, post) in pairs {
        per_core[core(post)] += 1;
    }
    let mut chain = RandomState::new(seed);
    let mut out = vec![0.0; pairs.len()];
    let mut start = 0;
    for n in per_core {
        let core_seed = (chain.uniform(0.0, 1.0) * f64::from(0x7FFF_FFFFu32)) as u32;
        let drawn = match RandomState::new(core_seed).pynn_next(&d.distribution, n) {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        for (&i, v) in order[start..start + n].iter().zip(drawn) {
            out[i] = v;
        }
        start += n;
    }
    Some(Ok(out))
}
