//! The connections of a `KernelConnector` where the host builds its rows: on a virtual board or
//! for weights or delays without an on-chip generator, as 7.4.1's host builds them
//! (`create_synaptic_block`: its own pairs, one value per kernel position); with spinnsim's own
//! draws, the machine's pairs with a value drawn per synapse.

use super::slices;
use super::synapses::{self, check_delay, DrawnConnection};
use crate::error::{Error, Result};
use crate::model::{host_rng, Kernel, Network, Projection, RandomState, Values};

/// Where a KernelConnector's connections go: whether the machine's arithmetic places them (on
/// chip, with spinnsim's draws) or 7.4.1's host's, the neurons on each side, the post
/// population and the projection's synapse type.
pub(super) struct KernelTarget {
    pub on_chip: bool,
    pub n_pre: u32,
    pub n_post: u32,
    pub post: usize,
    pub synapse_type: u32,
}

/// The connections of projection `k` (a KernelConnector `kernel`), weights in nA or µS and delays
/// in ticks, and the longest delay in ms as the host reckons it.
pub(super) fn kernel_connections(
    net: &Network,
    k: usize,
    proj: &Projection,
    kernel: &Kernel,
    t: &KernelTarget,
) -> Result<(Vec<DrawnConnection>, f64)> {
    let (dt, name) = (net.timestep, proj.name(k));
    let (n_pre, n_post) = (t.n_pre, t.n_post);
    let delay = proj.delay.clone().unwrap_or(Values::Scalar(dt));
    let pairs: Vec<(u32, u32, usize)> = if t.on_chip {
        kernel.grid().pairs((0, n_pre.saturating_sub(1)), 0..=n_post.saturating_sub(1)).collect()
    } else {
        let apc = net.populations[t.post].atoms_per_core();
        let cores: Vec<(u32, u32)> = slices(n_post, apc).into_iter().map(|(lo, n)| (lo, lo + n - 1)).collect();
        let pairs = kernel.host_pairs(n_pre, &cores);
        check_core_starts(&name, &pairs, apc)?;
        pairs
    };
    let n = if t.on_chip { pairs.len() } else { kernel.size() };
    let values = |what: &str, own: Option<Vec<f64>>, declared: &Values, stream: u64| {
        own.map_or_else(|| declared_values(net, k, declared, n, stream), Ok).map_err(|m| Error::param(&name, what, m))
    };
    let weights = values("weight", kernel.weights(), &proj.weight, 3)?;
    let delays = values("delay", kernel.delays(), &delay, 4)?;
    if !t.on_chip {
        check_signs(&name, &weights, t.synapse_type)?;
    }
    // Per synapse where spinnsim drew them, per kernel position where the kernel holds them.
    let per_synapse = |own: bool| t.on_chip && !own;
    let (w_each, d_each) = (per_synapse(kernel.weight_kernel.is_some()), per_synapse(kernel.delay_kernel.is_some()));
    let (mut conns, mut max_delay_ms) = (Vec::with_capacity(pairs.len()), 0.0f64);
    for (i, &(pre, post, at)) in pairs.iter().enumerate() {
        let (w, d) = (weights[if w_each { i } else { at }], delays[if d_each { i } else { at }]);
        check_delay(&name, d, dt)?;
        max_delay_ms = max_delay_ms.max(d);
        let ticks = if t.on_chip { synapses::expander_delay(d, 1.0 / dt) } else { synapses::host_delay(d, 1.0 / dt) };
        conns.push((pre, post, w, ticks));
    }
    // The host's `get_delay_maximum`: the delay kernel's, else the declared delay's.
    max_delay_ms = match (kernel.delays(), &delay) {
        (Some(own), _) => max_delay_ms.max(super::estimates::kernel_statistics(&own).2),
        (None, Values::Scalar(d)) => max_delay_ms.max(*d),
        (None, random) => super::estimates::delay_maximum(random, kernel.draws_estimate())
            .map_or(max_delay_ms, |m| max_delay_ms.max(m)),
    };
    Ok((conns, max_delay_ms))
}

/// `n` values of the projection's own `weight` or `delay`: a constant, or draws of its
/// distribution (numpy's from its seed, as PyNN's `RandomDistribution.next(n)`, else spinnsim's
/// host stream `stream`).
fn declared_values(
    net: &Network,
    k: usize,
    v: &Values,
    n: usize,
    stream: u64,
) -> std::result::Result<Vec<f64>, String> {
    match v {
        Values::Random(d) if d.rng_seed.is_some() && net.draws == crate::model::Draws::Machine => {
            RandomState::new(d.rng_seed.expect("some")).pynn_next(&d.distribution, n)
        }
        Values::Array(_) => {
            Err("a KernelConnector takes an array of values as its weight_kernel or delay_kernel".into())
        }
        _ => v.expand(n, &mut host_rng(net.seed, &[stream, k as u64])),
    }
}

/// 7.4.1's host files each synapse of a KernelConnector by the sign of its weight (negative:
/// synapse type 1, else 0: `create_synaptic_block`), whatever the projection's receptor, against
/// ring-buffer shifts reckoned for the receptor; spinnsim refuses the kernels where that differs.
fn check_signs(name: &str, weights: &[f64], synapse_type: u32) -> Result<()> {
    let Some(&w) = weights.iter().find(|&&w| u32::from(w < 0.0) != synapse_type) else { return Ok(()) };
    Err(Error::param(
        name,
        "weight",
        format!(
            "{w}: sPyNNaker 7.4.1's host, which builds this KernelConnector's rows (a virtual board, or weights or \
             delays without an on-chip generator), files each synapse by the sign of its weight (negative: \
             inhibitory, else excitatory) whatever the projection's receptor_type, which spinnsim does not \
             reproduce; give weights whose sign is the receptor's (negative for inhibitory), or weights and delays \
             the machine generates"
        ),
    ))
}

/// 7.4.1's host writes a KernelConnector's targets as population indices, not indices on the
/// post core (`create_synaptic_block` leaves `lo_atom` in them), and the row keeps their low
/// `get_n_bits(max_atoms_per_core)` bits: right on a core whose first neuron is a multiple of
/// that power of two, the wrong neuron (or none) elsewhere. spinnsim refuses the cores where
/// that differs.
fn check_core_starts(name: &str, pairs: &[(u32, u32, usize)], atoms_per_core: u32) -> Result<()> {
    let span = 1u64 << super::words::get_n_bits(u64::from(atoms_per_core));
    let Some(&(pre, post, _)) = pairs.iter().find(|p| u64::from(p.1 / atoms_per_core * atoms_per_core) % span != 0)
    else {
        return Ok(());
    };
    Err(Error::param(
        name,
        "connector",
        format!(
            "sPyNNaker 7.4.1's host, which builds this KernelConnector's rows (a virtual board, or weights or \
             delays without an on-chip generator), writes each target as its population index cut to the core's \
             {} neuron bits, so on a post core whose first neuron is not a multiple of {span} it connects the \
             wrong neurons (here {pre} -> {post}); spinnsim does not reproduce that: give the post population a \
             max_atoms_per_core that is a power of two, or weights and delays the machine generates",
            span.trailing_zeros()
        ),
    ))
}
