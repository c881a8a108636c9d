//! The connections of every projection, drawn by the connectors with their weights and delays
//! (delays already in ticks, weights in nA or µS until the ring-buffer shifts are known), and
//! sPyNNaker's estimates of fan-in and row length that the statistics and the matrices use
//! (docs/spynnaker-mapping.md §7).

use super::generation::{self, Generated};
use super::kernel::KernelTarget;
use super::synapses::check_delay;
use super::{estimates, host_draws, synapses, MapStep};
use crate::error::{Error, Result};
use crate::model::{host_rng, Connector, Network, Projection, Values, View, RANGES_ON_A_PROJECTION};
use rayon::prelude::*;

pub(super) use super::synapses::DrawnConnection;

/// One projection's connections, drawn and quantised in delay, weights still in nA/µS.
pub(super) struct Drawn {
    pub pre: usize,
    pub post: usize,
    /// The neurons connected from and to (the projection's views, or the whole populations).
    pub pre_view: View,
    pub post_view: View,
    pub synapse_type: u32,
    pub on_chip: bool,
    /// Built by the synapse expander (then `conns` is empty).
    pub generated: Option<Generated>,
    pub conns: Vec<DrawnConnection>,
    pub max_delay_ms: f64,
    /// Delays drawn by numpy below the timestep and raised to it, as 7.4.1's host does.
    pub clipped_delays: u64,
}

/// Every projection's connections. Each projection draws from its own seeded streams, so they are
/// drawn in parallel with the same result; the first error in projection order is reported.
pub(super) fn draw_projections(
    net: &Network,
    virtual_board: bool,
    progress: &(dyn Fn(MapStep) + Sync),
) -> Result<Vec<Drawn>> {
    let n_drawn = std::sync::atomic::AtomicUsize::new(0);
    let of = net.projections.len();
    net.projections
        .par_iter()
        .enumerate()
        .map(|(k, proj)| {
            let d = draw(net, k, proj, virtual_board);
            let done = n_drawn.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(MapStep::Connections { done, of });
            d
        })
        .collect::<Vec<Result<Drawn>>>()
        .into_iter()
        .collect()
}

/// The connections of projection `k`, with delays in ticks; none for a projection the synapse
/// expander builds, whose longest delay is then the host's estimate.
fn draw(net: &Network, k: usize, proj: &Projection, virtual_board: bool) -> Result<Drawn> {
    let dt = net.timestep;
    let pops = &net.populations;
    let pre = net.population_index(&proj.pre).expect("validated");
    let post = net.population_index(&proj.post).expect("validated");
    let (pre_view, post_view) = (proj.pre_neurons(pops[pre].size), proj.post_neurons(pops[post].size));
    let mut drawn = Drawn {
        pre,
        post,
        pre_view,
        post_view,
        synapse_type: proj.receptor_type.index(),
        on_chip: generation::on_chip(proj, dt) && !virtual_board,
        generated: None,
        conns: Vec::new(),
        max_delay_ms: 0.0,
        clipped_delays: 0,
    };
    let Some(g) = generation::generated(net, k, proj, virtual_board)? else {
        draw_on_host(net, k, proj, &mut drawn)?;
        return Ok(drawn);
    };
    let name = proj.name(k);
    let delays = proj.delay.clone().unwrap_or(Values::Scalar(dt));
    let n_draws = estimates::draws_estimate(&proj.connector, pre_view.len() as u64, post_view.len() as u64);
    drawn.max_delay_ms = match &proj.connector {
        Connector::KernelConnector(kernel) if kernel.delay_kernel.is_some() => {
            estimates::kernel_statistics(&kernel.delays().expect("some")).2
        }
        _ => estimates::delay_maximum(&delays, n_draws).map_err(|m| Error::param(&name, "delay", m))?,
    };
    estimates::weight_statistics(&proj.weight, n_draws).map_err(|m| Error::param(&name, "weight", m))?;
    if let Values::Scalar(d) = delays {
        check_delay(&name, d, dt)?;
    }
    drawn.generated = Some(g);
    Ok(drawn)
}

/// The connections of projection `k` where the host builds its rows, into `drawn`: the pairs,
/// then each connection's weight and delay (listed, numpy's from a seeded distribution, or
/// spinnsim's own streams), delays in ticks; and the longest delay as the host reckons it.
fn draw_on_host(net: &Network, k: usize, proj: &Projection, drawn: &mut Drawn) -> Result<()> {
    if let (Connector::KernelConnector(kernel), None) = (&proj.connector, &proj.connections) {
        let (n_pre, n_post) = (drawn.pre_view.len(), drawn.post_view.len());
        let target =
            KernelTarget { on_chip: drawn.on_chip, n_pre, n_post, post: drawn.post, synapse_type: drawn.synapse_type };
        (drawn.conns, drawn.max_delay_ms) = super::kernel::kernel_connections(net, k, proj, kernel, &target)?;
        return Ok(());
    }
    let dt = net.timestep;
    let name = proj.name(k);
    let (n_pre, n_post) = (drawn.pre_view.len(), drawn.post_view.len());
    let mut rng = host_rng(net.seed, &[2, k as u64]);
    // Connections already drawn (`connections`), or a FromList, carry their own weights and delays.
    let list = proj.listed();
    let post_cores = (n_post, net.populations[drawn.post].atoms_per_core());
    let pairs = host_pairs(net, proj, post_cores.1, (n_pre, n_post), &mut rng);
    let n = pairs.len();
    let delay_values = proj.delay.clone().unwrap_or(Values::Scalar(dt));
    let numpy = |what: &str, v: &Values| {
        host_draws::numpy_values(net, proj, v, &pairs, post_cores).transpose().map_err(|m| Error::param(&name, what, m))
    };
    let (numpy_weights, numpy_delays) = (numpy("weight", &proj.weight)?, numpy("delay", &delay_values)?);
    // spinnsim's own draws of a generated AllButMe: its group's weights, as the machine's.
    let group_weights = if drawn.on_chip { all_but_me_weights(&proj.connector, &pairs) } else { None };
    let (mut wrng, mut drng) = (host_rng(net.seed, &[3, k as u64]), host_rng(net.seed, &[4, k as u64]));
    let mut weights = proj.weight.stream(n).map_err(|m| Error::param(&name, "weight", m))?;
    let mut delays = delay_values.stream(n).map_err(|m| Error::param(&name, "delay", m))?;
    drawn.conns.reserve(n);
    for (i, &(pre, post)) in pairs.iter().enumerate() {
        // Every connection draws its weight and delay, used or not, so that the draws do not
        // depend on which entries of a list carry their own.
        let (w, d) = (weights.next(&mut wrng), delays.next(&mut drng));
        let entry = list.map(|l| l[i].as_slice()).unwrap_or(&[]);
        let w = match (entry.get(2), &numpy_weights) {
            (Some(&w), _) => w,
            _ if group_weights.is_some() => group_weights.as_ref().expect("some")[i],
            (None, Some(numpy)) => numpy[i],
            (None, None) => w.map_err(|m| Error::param(&name, "weight", m))?,
        };
        if !w.is_finite() {
            return Err(Error::param(&name, "weight", format!("connection {i} ({pre} -> {post}) drew the weight {w}")));
        }
        let d = match (entry.get(3), &numpy_delays) {
            (Some(&d), _) => d,
            // 7.4.1's host raises the delays it draws below the timestep to it (`_clip_delays`).
            (None, Some(numpy)) if numpy[i] < dt => {
                drawn.clipped_delays += 1;
                dt
            }
            (None, Some(numpy)) => numpy[i],
            (None, None) => d.map_err(|m| Error::param(&name, "delay", m))?,
        };
        check_delay(&name, d, dt)?;
        drawn.max_delay_ms = drawn.max_delay_ms.max(d);
        let ticks =
            if drawn.on_chip { synapses::expander_delay(d, 1.0 / dt) } else { synapses::host_delay(d, 1.0 / dt) };
        // Connector indices count from the start of each view.
        drawn.conns.push((pre + drawn.pre_view.start, post + drawn.post_view.start, w, ticks));
    }
    // The declared delay counts even when no connection carries it (sPyNNaker's `get_delay_maximum`);
    // for a distribution, its probable maximum, where sPyNNaker has its statistics.
    match &proj.delay {
        Some(Values::Scalar(d)) => drawn.max_delay_ms = drawn.max_delay_ms.max(*d),
        Some(Values::Array(a)) => drawn.max_delay_ms = a.iter().fold(drawn.max_delay_ms, |m, &d| m.max(d)),
        Some(delay @ Values::Random(_)) => {
            let n_draws = estimates::draws_estimate(&proj.connector, n_pre as u64, n_post as u64);
            if let Ok(m) = estimates::delay_maximum(delay, n_draws) {
                drawn.max_delay_ms = drawn.max_delay_ms.max(m);
            }
        }
        Some(Values::Ranges(_)) => return Err(Error::param(&name, "delay", RANGES_ON_A_PROJECTION)),
        None => {}
    }
    Ok(())
}

/// The weight of each pair of an AllButMeConnector with its group's own weights (pre-major, the
/// diagonal left out, as the expander's `get_weight` reads them); `None` for other connectors.
fn all_but_me_weights(connector: &Connector, pairs: &[(u32, u32)]) -> Option<Vec<f64>> {
    let Connector::AllButMeConnector { weights: Some(w), .. } = connector else { return None };
    let group = (1..).find(|g| g * (g - 1) >= w.len()).expect("validated: group × (group − 1) weights") as u32;
    let at = |(pre, post): (u32, u32)| {
        let (i, j) = (pre % group, post % group);
        (i * (group - 1) + j - u32::from(j > i)) as usize
    };
    Some(pairs.iter().map(|&p| w[at(p)]).collect())
}

/// The pairs the host builds (indices from the views' starts): listed or imported ones, numpy's
/// for a seeded connector, none where 7.4.1's host builds none, else the connector's own draws
/// from `rng`.
fn host_pairs(
    net: &Network,
    proj: &Projection,
    post_atoms_per_core: u32,
    sizes: (u32, u32),
    rng: &mut rand::rngs::StdRng,
) -> Vec<(u32, u32)> {
    if let Some(list) = &proj.connections {
        return crate::model::list_pairs(list);
    }
    if host_draws::builds_nothing(net, proj) {
        return Vec::new();
    }
    host_draws::seeded_pairs(net, proj, post_atoms_per_core, sizes)
        .unwrap_or_else(|| proj.connector.pairs(sizes.0, sizes.1, proj.is_recurrent(), rng))
}

/// Mean, variance and maximum of |values| (for the ring-buffer statistics): of the constant when
/// `declared` is one, else of the values drawn (two passes over `drawn`, in order).
pub(super) fn stats_of<I: Iterator<Item = f64>>(declared: Option<&Values>, drawn: impl Fn() -> I) -> (f64, f64, f64) {
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

/// `get_n_connections_to_post_vertex_maximum`: for a FromListConnector the most connections
/// onto one neuron of its list; for the others the host's estimate, from the sizes of the views.
pub(super) fn fan_in_maximum(proj: &Projection, d: &Drawn) -> u64 {
    let (n_pre, n_post) = d.view_sizes();
    if !matches!(proj.connector, crate::model::Connector::FromListConnector { .. }) {
        return estimates::fan_in_maximum(&proj.connector, n_pre, n_post);
    }
    let mut counts = vec![0u64; n_post as usize];
    for c in &d.conns {
        counts[(c.1 - d.post_view.start) as usize] += 1;
    }
    counts.into_iter().max().unwrap_or(0)
}

impl Drawn {
    /// The numbers of neurons connected from and to (`n_pre_neurons`, `n_post_neurons`).
    pub fn view_sizes(&self) -> (u64, u64) {
        (self.pre_view.len() as u64, self.post_view.len() as u64)
    }
}
