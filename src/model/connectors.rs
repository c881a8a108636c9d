//! Connectors in PyNN terms and the host-side generation of their connections (seeded, ordered).

use super::kernel::Kernel;
use rand::rngs::StdRng;
use rand::RngExt;
use serde::{Deserialize, Serialize};

/// How a projection connects its pre- and post-synaptic populations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum Connector {
    OneToOneConnector,
    AllToAllConnector {
        #[serde(default = "yes")]
        allow_self_connections: bool,
    },
    FixedProbabilityConnector {
        #[serde(alias = "p")]
        p_connect: f64,
        #[serde(default = "yes")]
        allow_self_connections: bool,
        /// The seed of the connector's own `NumpyRNG(seed=...)`. Used only where sPyNNaker
        /// 7.4.1's host builds the rows (weights or delays without an on-chip generator): the
        /// connections are then numpy's, draw for draw. The machine ignores it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rng_seed: Option<u32>,
    },
    FixedTotalNumberConnector {
        n: u64,
        #[serde(default = "yes")]
        allow_self_connections: bool,
        #[serde(default = "yes")]
        with_replacement: bool,
    },
    FixedNumberPreConnector {
        n: u64,
        #[serde(default = "yes")]
        allow_self_connections: bool,
        #[serde(default)]
        with_replacement: bool,
        /// The seed of the connector's own `NumpyRNG(seed=...)`, used where 7.4.1's host builds
        /// the rows (as for FixedProbability's); the machine ignores it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rng_seed: Option<u32>,
    },
    FixedNumberPostConnector {
        n: u64,
        #[serde(default = "yes")]
        allow_self_connections: bool,
        #[serde(default)]
        with_replacement: bool,
    },
    /// sPyNNaker's `OneToOneOffsetConnector` (`extra_models`): post `i` from pre `i − offset`
    /// within each group of `n_neurons_per_group` (the whole population when absent), moved round
    /// the group (`wrap`) or left out where that falls outside it.
    OneToOneOffsetConnector {
        offset: i32,
        wrap: bool,
        #[serde(default)]
        n_neurons_per_group: Option<u32>,
    },
    /// sPyNNaker's `AllButMeConnector` (`extra_models`): within each group of
    /// `n_neurons_per_group` (the smaller population when absent), every pre onto every post but
    /// the one at its own place in the group, with the group's own `weights` where given
    /// (`group × (group − 1)` of them, pre-major, the diagonal left out).
    AllButMeConnector {
        #[serde(default)]
        n_neurons_per_group: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weights: Option<Vec<f64>>,
    },
    /// sPyNNaker's `KernelConnector`: pre and post as 2-D grids, each post connected to the pre
    /// neurons under a kernel centred on its place (src/model/kernel.rs).
    KernelConnector(Box<Kernel>),
    /// Explicit connections `[pre, post]`, `[pre, post, weight]` or `[pre, post, weight, delay]`.
    FromListConnector {
        conn_list: Vec<Vec<f64>>,
    },
}

fn yes() -> bool {
    true
}

/// The pairs sPyNNaker 7.4.1's host draws for a `FixedProbabilityConnector` with
/// `rng=NumpyRNG(seed)` (`create_synaptic_block`), core by core in slice order: one uniform per
/// pre × post-in-slice, pre-major; a pair is connected when its draw is below `p_connect`. Without
/// self connections the host leaves out every `(n_atoms + 1)`-th place of each core's block
/// (`items[0::n_atoms + 1] = inf`), which are the self connections only on the first core.
pub fn numpy_fixed_probability_pairs(
    p_connect: f64,
    no_self: bool,
    seed: u32,
    (n_pre, n_post): (u32, u32),
    atoms_per_core: u32,
) -> Vec<(u32, u32)> {
    let mut rs = crate::model::RandomState::new(seed);
    let mut out = Vec::new();
    for lo in (0..n_post).step_by(atoms_per_core.max(1) as usize) {
        let n_atoms = atoms_per_core.min(n_post - lo) as u64;
        for idx in 0..n_pre as u64 * n_atoms {
            let u = rs.random_sample();
            if u < p_connect && !(no_self && idx % (n_atoms + 1) == 0) {
                out.push(((idx / n_atoms) as u32, lo + (idx % n_atoms) as u32));
            }
        }
    }
    out
}

/// The pairs sPyNNaker 7.4.1's host draws for a `FixedNumberPreConnector` with
/// `rng=NumpyRNG(seed)` (`__build_pre_neurons`, once for the whole projection): for each post
/// neuron in turn, `rng.choice` of `n` pre neurons (from all of them, or without the post neuron
/// itself when `no_self`), sorted. Post-major, as its synaptic blocks list them.
pub fn numpy_fixed_number_pre_pairs(
    n: u64,
    with_replacement: bool,
    no_self: bool,
    seed: u32,
    (n_pre, n_post): (u32, u32),
) -> Vec<(u32, u32)> {
    let mut rs = crate::model::RandomState::new(seed);
    let mut out = Vec::with_capacity(n as usize * n_post as usize);
    for m in 0..n_post {
        // Without self connections numpy chooses among the list of the other pre neurons.
        let candidates = if no_self { n_pre.saturating_sub(1) } else { n_pre };
        let mut chosen: Vec<u32> = rs
            .choice(candidates, n as usize, with_replacement)
            .into_iter()
            .map(|i| if no_self && i >= m { i + 1 } else { i })
            .collect();
        chosen.sort_unstable();
        out.extend(chosen.into_iter().map(|i| (i, m)));
    }
    out
}

/// Checks a list of connections `[pre, post(, weight(, delay))]` between populations of `n_pre`
/// and `n_post` neurons; the error names the parameter (`conn_list`) and the entry.
pub fn validate_list(conn_list: &[Vec<f64>], n_pre: u32, n_post: u32) -> Result<(), (String, String)> {
    let err = |m: String| Err(("conn_list".to_string(), m));
    for (k, c) in conn_list.iter().enumerate() {
        if !(2..=4).contains(&c.len()) {
            return err(format!("entry {k} has {} fields; expected [pre, post(, weight(, delay))]", c.len()));
        }
        if let Some((f, v)) = c.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return err(format!("entry {k} field {f} is {v}"));
        }
        let (i, j) = (c[0], c[1]);
        if i < 0.0 || i.fract() != 0.0 || i >= n_pre as f64 {
            return err(format!("entry {k}: pre index {i} is outside 0..{n_pre}"));
        }
        if j < 0.0 || j.fract() != 0.0 || j >= n_post as f64 {
            return err(format!("entry {k}: post index {j} is outside 0..{n_post}"));
        }
    }
    Ok(())
}

/// Whether `n` connections can be drawn from `avail` candidates: none at all cannot give one, and
/// without replacement no more than there are.
fn check_available(n: u64, avail: u64, with_replacement: bool, what: &str) -> Result<(), (String, String)> {
    let no_self = if avail == 0 { " (a population of one neuron without self-connections)" } else { "" };
    if n > 0 && avail == 0 {
        return Err(("n".into(), format!("{n} connections asked, but there are no {what} to choose from{no_self}")));
    }
    if !with_replacement && n > avail {
        return Err(("n".into(), format!("{n} exceeds the {avail} available {what} without replacement")));
    }
    Ok(())
}

impl Connector {
    pub fn name(&self) -> &'static str {
        match self {
            Connector::OneToOneConnector => "OneToOneConnector",
            Connector::AllToAllConnector { .. } => "AllToAllConnector",
            Connector::FixedProbabilityConnector { .. } => "FixedProbabilityConnector",
            Connector::FixedTotalNumberConnector { .. } => "FixedTotalNumberConnector",
            Connector::FixedNumberPreConnector { .. } => "FixedNumberPreConnector",
            Connector::FixedNumberPostConnector { .. } => "FixedNumberPostConnector",
            Connector::OneToOneOffsetConnector { .. } => "OneToOneOffsetConnector",
            Connector::AllButMeConnector { .. } => "AllButMeConnector",
            Connector::KernelConnector(_) => "KernelConnector",
            Connector::FromListConnector { .. } => "FromListConnector",
        }
    }

    /// The connector's `allow_self_connections`, for the connectors that have one.
    pub fn allow_self_connections(&self) -> Option<bool> {
        match self {
            Connector::AllToAllConnector { allow_self_connections }
            | Connector::FixedProbabilityConnector { allow_self_connections, .. }
            | Connector::FixedTotalNumberConnector { allow_self_connections, .. }
            | Connector::FixedNumberPreConnector { allow_self_connections, .. }
            | Connector::FixedNumberPostConnector { allow_self_connections, .. } => Some(*allow_self_connections),
            Connector::OneToOneConnector
            | Connector::OneToOneOffsetConnector { .. }
            | Connector::AllButMeConnector { .. }
            | Connector::KernelConnector(_)
            | Connector::FromListConnector { .. } => None,
        }
    }

    /// The seed of the connector's own `NumpyRNG`, for the connectors that take one.
    pub fn rng_seed(&self) -> Option<u32> {
        match *self {
            Connector::FixedProbabilityConnector { rng_seed, .. }
            | Connector::FixedNumberPreConnector { rng_seed, .. } => rng_seed,
            _ => None,
        }
    }

    /// Whether sPyNNaker 7.4.1 would build this connector's rows on chip (the synapse expander,
    /// docs/semantics.md §3.1), which decides how weights and delays are quantised.
    pub fn generated_on_chip(&self) -> bool {
        !matches!(self, Connector::FromListConnector { .. })
    }

    /// Checks the connector against the population sizes; the message names the problem.
    pub fn validate(&self, n_pre: u32, n_post: u32, same_population: bool) -> Result<(), (String, String)> {
        let err = |p: &str, m: String| Err((p.to_string(), m));
        match self {
            Connector::FixedProbabilityConnector { p_connect, .. } if !(0.0..=1.0).contains(p_connect) => {
                err("p_connect", format!("{p_connect} is outside [0, 1]"))
            }
            Connector::FixedNumberPreConnector { n, with_replacement, allow_self_connections, .. } => {
                let avail = n_pre as u64 - u64::from(same_population && !allow_self_connections);
                check_available(*n, avail, *with_replacement, "pre-synaptic neurons for each post-synaptic neuron")
            }
            Connector::FixedNumberPostConnector { n, with_replacement, allow_self_connections } => {
                let avail = n_post as u64 - u64::from(same_population && !allow_self_connections);
                check_available(*n, avail, *with_replacement, "post-synaptic neurons for each pre-synaptic neuron")
            }
            Connector::FixedTotalNumberConnector { n, with_replacement, allow_self_connections } => {
                let avail = n_pre as u64 * n_post as u64
                    - if same_population && !allow_self_connections { n_pre as u64 } else { 0 };
                check_available(*n, avail, *with_replacement, "pairs of neurons")
            }
            Connector::FromListConnector { conn_list } => validate_list(conn_list, n_pre, n_post),
            Connector::OneToOneOffsetConnector { offset, n_neurons_per_group, .. } => {
                validate_groups(self.name(), *n_neurons_per_group, n_pre, n_post)?;
                let n = n_neurons_per_group.unwrap_or(n_pre);
                if n < offset.unsigned_abs() {
                    return Err(("offset".into(), format!("{offset} is larger than the {n} neurons of a group")));
                }
                Ok(())
            }
            Connector::AllButMeConnector { n_neurons_per_group, weights } => {
                validate_groups(self.name(), *n_neurons_per_group, n_pre, n_post)?;
                let g = u64::from(n_neurons_per_group.unwrap_or(n_pre.min(n_post)));
                match weights {
                    Some(w) if w.len() as u64 != g * g.saturating_sub(1) => err(
                        "weights",
                        format!(
                            "{} weights for groups of {g}: a group needs {g} × ({g} − 1) = {}",
                            w.len(),
                            g * g.saturating_sub(1)
                        ),
                    ),
                    Some(w) => match w.iter().position(|&x| crate::fixed::encode_s1615(x).is_err()) {
                        Some(i) => err("weights", format!("weight {i} ({}) cannot be written as s16.15", w[i])),
                        None => Ok(()),
                    },
                    None => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }

    /// All connections as (pre, post), in the connector's order (pre-major for the on-chip
    /// connectors, list order for FromList). Deterministic for a given `rng` state. The vector is
    /// sized once (for FixedProbability, to a bound the count passes with odds below 1e-9), so
    /// that it does not grow by copies.
    pub fn pairs(&self, n_pre: u32, n_post: u32, same_population: bool, rng: &mut StdRng) -> Vec<(u32, u32)> {
        let allowed = |allow: bool, i: u32, j: u32| allow || !same_population || i != j;
        match *self {
            Connector::OneToOneConnector => (0..n_pre.min(n_post)).map(|i| (i, i)).collect(),
            Connector::AllToAllConnector { allow_self_connections } => {
                let mut out = Vec::with_capacity(n_pre as usize * n_post as usize);
                for i in 0..n_pre {
                    out.extend((0..n_post).filter(|&j| allowed(allow_self_connections, i, j)).map(|j| (i, j)));
                }
                out
            }
            Connector::FixedProbabilityConnector { p_connect, allow_self_connections, .. } => {
                let trials = n_pre as f64 * n_post as f64;
                let bound = trials * p_connect + 6.0 * (trials * p_connect * (1.0 - p_connect)).sqrt() + 16.0;
                let mut out = Vec::with_capacity(bound.min(trials) as usize);
                for i in 0..n_pre {
                    for j in 0..n_post {
                        if rng.random::<f64>() < p_connect && allowed(allow_self_connections, i, j) {
                            out.push((i, j));
                        }
                    }
                }
                out
            }
            Connector::FixedTotalNumberConnector { n, allow_self_connections, with_replacement } => {
                let mut pairs = if with_replacement {
                    let mut pairs = Vec::with_capacity(n as usize);
                    while (pairs.len() as u64) < n && n_pre > 0 && n_post > 0 {
                        let (i, j) = (rng.random_range(0..n_pre), rng.random_range(0..n_post));
                        if allowed(allow_self_connections, i, j) {
                            pairs.push((i, j));
                        }
                    }
                    pairs
                } else {
                    let no_diagonal = same_population && !allow_self_connections;
                    sample_pairs_without_replacement(n_pre, n_post, no_diagonal, n as usize, rng)
                };
                pairs.sort_by_key(|&(i, _)| i);
                pairs
            }
            Connector::FixedNumberPreConnector { n, allow_self_connections, with_replacement, .. } => {
                // Each post neuron draws n pre neurons.
                let no_self = same_population && !allow_self_connections;
                let mut pairs = Vec::with_capacity(n as usize * n_post as usize);
                for j in 0..n_post {
                    for i in draw_candidates(n_pre, no_self.then_some(j), n as usize, with_replacement, rng) {
                        pairs.push((i, j));
                    }
                }
                pairs.sort_by_key(|&(i, _)| i);
                pairs
            }
            Connector::FixedNumberPostConnector { n, allow_self_connections, with_replacement } => {
                let no_self = same_population && !allow_self_connections;
                let mut out = Vec::with_capacity(n as usize * n_pre as usize);
                for i in 0..n_pre {
                    out.extend(
                        draw_candidates(n_post, no_self.then_some(i), n as usize, with_replacement, rng)
                            .into_iter()
                            .map(|j| (i, j)),
                    );
                }
                out
            }
            Connector::OneToOneOffsetConnector { .. }
            | Connector::AllButMeConnector { .. }
            | Connector::KernelConnector(_) => self.undrawn_pairs(n_pre, n_post).expect("undrawn"),
            Connector::FromListConnector { ref conn_list } => list_pairs(conn_list),
        }
    }

    /// The pairs of a connector that draws nothing and has no self-connection rule (OneToOne,
    /// OneToOneOffset as the machine's expander makes it), in its order; `None` for the others.
    pub fn undrawn_pairs(&self, n_pre: u32, n_post: u32) -> Option<Vec<(u32, u32)>> {
        match *self {
            Connector::OneToOneConnector => Some((0..n_pre.min(n_post)).map(|i| (i, i)).collect()),
            // The machine's pairs: every post neuron on one core.
            Connector::KernelConnector(ref k) if n_pre > 0 && n_post > 0 => {
                Some(k.grid().pairs((0, n_pre - 1), 0..=n_post - 1).map(|(i, j, _)| (i, j)).collect())
            }
            Connector::KernelConnector(_) => Some(Vec::new()),
            Connector::OneToOneOffsetConnector { offset, wrap, .. } if n_pre > 0 && n_post > 0 => {
                let group = self.offset_group(n_pre)?;
                Some(crate::expander::connectors::offset_pairs(offset, wrap, group, (0, n_pre - 1), 0..=n_post - 1))
            }
            Connector::AllButMeConnector { .. } if n_pre > 0 && n_post > 0 => {
                let group = self.offset_group(n_pre.min(n_post))?;
                let pairs = crate::expander::connectors::all_but_me_pairs(group, (0, n_pre - 1), 0..=n_post - 1);
                Some(pairs.into_iter().map(|(i, j, _)| (i, j)).collect())
            }
            Connector::OneToOneOffsetConnector { .. } | Connector::AllButMeConnector { .. } => Some(Vec::new()),
            _ => None,
        }
    }

    /// The neurons per group of a OneToOneOffsetConnector or AllButMeConnector as the host
    /// writes them: `n_neurons_per_group`, else `whole` (the pre view's size for the first, the
    /// smaller view's for the second).
    pub fn offset_group(&self, whole: u32) -> Option<u32> {
        match *self {
            Connector::OneToOneOffsetConnector { n_neurons_per_group, .. }
            | Connector::AllButMeConnector { n_neurons_per_group, .. } => Some(n_neurons_per_group.unwrap_or(whole)),
            _ => None,
        }
    }
}

/// `validate_connection` of the grouped connectors (OneToOneOffset, AllButMe): pre and post of
/// one size and groups that divide it.
fn validate_groups(name: &str, group: Option<u32>, n_pre: u32, n_post: u32) -> Result<(), (String, String)> {
    let err = |p: &str, m: String| Err((p.to_string(), m));
    if n_pre != n_post {
        return err("type", format!("{name} needs pre and post of one size ({n_pre} and {n_post})"));
    }
    match group {
        Some(0) => return err("n_neurons_per_group", "0 neurons per group".into()),
        Some(g) if g > n_pre => return err("n_neurons_per_group", format!("{g} exceeds the {n_pre} neurons")),
        Some(g) if n_post % g != 0 => {
            return err("n_neurons_per_group", format!("{g} does not divide the {n_post} neurons into groups"))
        }
        _ => {}
    }
    Ok(())
}

/// The (pre, post) of each entry of a validated connection list, in list order.
pub fn list_pairs(conn_list: &[Vec<f64>]) -> Vec<(u32, u32)> {
    conn_list.iter().map(|e| (e[0] as u32, e[1] as u32)).collect()
}

/// `n` of the candidates 0..`count` (`skip` left out: the neuron itself, without
/// self-connections), as drawing from the list of candidates draws them (uniformly with
/// replacement, or the first `n` of a partial Fisher–Yates shuffle of it, sorted), without making
/// the list: the work grows with `n`, not with `count`.
fn draw_candidates(count: u32, skip: Option<u32>, n: usize, with_replacement: bool, rng: &mut StdRng) -> Vec<u32> {
    let len = count as usize - usize::from(skip.is_some_and(|s| s < count));
    let candidate = |i: usize| match skip {
        Some(s) if i as u32 >= s => i as u32 + 1,
        _ => i as u32,
    };
    if len == 0 {
        return Vec::new();
    }
    if with_replacement {
        (0..n).map(|_| candidate(rng.random_range(0..len))).collect()
    } else {
        let mut v: Vec<u32> = shuffled_prefix(len, n, rng).into_iter().map(candidate).collect();
        v.sort_unstable();
        v
    }
}

/// `n` distinct pairs (pre, post), as a partial Fisher–Yates shuffle of the list of every allowed
/// pair in pre-major order (the diagonal left out when `no_diagonal`) draws them, without making
/// that list. Memory grows with `n`, not with `n_pre × n_post`.
fn sample_pairs_without_replacement(
    n_pre: u32,
    n_post: u32,
    no_diagonal: bool,
    n: usize,
    rng: &mut StdRng,
) -> Vec<(u32, u32)> {
    let row = n_post as usize - usize::from(no_diagonal);
    let pair = |i: usize| {
        let (pre, k) = (i / row, i % row);
        let post = if no_diagonal && k >= pre { k + 1 } else { k };
        (pre as u32, post as u32)
    };
    shuffled_prefix(n_pre as usize * row, n, rng).into_iter().map(pair).collect()
}

/// The first `n` (at most `len`) entries of a partial Fisher–Yates shuffle of 0..`len` (step k
/// swaps position k with a position drawn from k..len), storing only the positions moved.
fn shuffled_prefix(len: usize, n: usize, rng: &mut StdRng) -> Vec<usize> {
    let n = n.min(len);
    let mut moved: std::collections::HashMap<usize, usize> = std::collections::HashMap::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let r = rng.random_range(k..len);
        let at_r = moved.get(&r).copied().unwrap_or(r);
        let at_k = moved.get(&k).copied().unwrap_or(k);
        moved.insert(r, at_k);
        out.push(at_r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// A partial Fisher–Yates shuffle of a whole list: the first `n` of a random permutation.
    fn sample_without_replacement<T: Copy>(all: &[T], n: usize, rng: &mut StdRng) -> Vec<T> {
        let mut v = all.to_vec();
        let n = n.min(v.len());
        for k in 0..n {
            let r = rng.random_range(k..v.len());
            v.swap(k, r);
        }
        v.truncate(n);
        v
    }

    /// Drawing from implicit candidates draws what drawing from their list draws.
    #[test]
    fn implicit_candidates_equal_the_list_of_candidates() {
        for (count, skip, n, with_replacement) in [
            (10, None, 4, false),
            (10, Some(3), 9, false),
            (10, Some(9), 5, true),
            (1, Some(0), 3, true),
            (300, Some(150), 299, false),
        ] {
            let list: Vec<u32> = (0..count).filter(|&i| Some(i) != skip).collect();
            let mut want = if with_replacement {
                let mut rng = StdRng::seed_from_u64(5);
                (0..n)
                    .map(|_| list[rng.random_range(0..list.len().max(1))])
                    .take(if list.is_empty() { 0 } else { n })
                    .collect::<Vec<u32>>()
            } else {
                sample_without_replacement(&list, n, &mut StdRng::seed_from_u64(5))
            };
            if !with_replacement {
                want.sort_unstable();
            }
            assert_eq!(
                draw_candidates(count, skip, n, with_replacement, &mut StdRng::seed_from_u64(5)),
                want,
                "{count} {skip:?} {n}"
            );
        }
    }

    /// The sparse shuffle draws exactly what the shuffle of the whole list of pairs draws.
    #[test]
    fn sparse_pair_shuffle_equals_the_full_shuffle() {
        for (n_pre, n_post, no_diagonal, n) in
            [(7, 5, false, 12), (6, 6, true, 30), (6, 6, true, 3), (1, 9, false, 9), (40, 40, true, 500)]
        {
            let all: Vec<(u32, u32)> = (0..n_pre)
                .flat_map(|i| (0..n_post).map(move |j| (i, j)))
                .filter(|&(i, j)| !no_diagonal || i != j)
                .collect();
            let full = sample_without_replacement(&all, n, &mut StdRng::seed_from_u64(9));
            let sparse = sample_pairs_without_replacement(n_pre, n_post, no_diagonal, n, &mut StdRng::seed_from_u64(9));
            assert_eq!(full, sparse, "{n_pre}x{n_post}, no diagonal {no_diagonal}, n {n}");
        }
    }
}
