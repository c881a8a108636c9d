//! Connectors in PyNN terms and the host-side generation of their connections (seeded, ordered).

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
    },
    FixedNumberPostConnector {
        n: u64,
        #[serde(default = "yes")]
        allow_self_connections: bool,
        #[serde(default)]
        with_replacement: bool,
    },
    /// Explicit connections `[pre, post]`, `[pre, post, weight]` or `[pre, post, weight, delay]`.
    FromListConnector { conn_list: Vec<Vec<f64>> },
}

fn yes() -> bool {
    true
}

/// One generated connection, before quantisation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Connection {
    pub pre: u32,
    pub post: u32,
    /// Per-connection weight or delay from a FromList, overriding the synapse's.
    pub weight: Option<f64>,
    pub delay: Option<f64>,
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
            Connector::FromListConnector { .. } => "FromListConnector",
        }
    }

    /// Whether sPyNNaker 7.4.1 would build this connector's rows on chip (the synapse expander,
    /// §3.6), which decides how weights and delays are quantised.
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
            Connector::FixedNumberPreConnector { n, with_replacement, allow_self_connections } => {
                let avail = n_pre as u64 - u64::from(same_population && !allow_self_connections);
                if !with_replacement && *n > avail {
                    return err("n", format!("{n} exceeds the {avail} available pre-synaptic neurons without replacement"));
                }
                Ok(())
            }
            Connector::FixedNumberPostConnector { n, with_replacement, allow_self_connections } => {
                let avail = n_post as u64 - u64::from(same_population && !allow_self_connections);
                if !with_replacement && *n > avail {
                    return err("n", format!("{n} exceeds the {avail} available post-synaptic neurons without replacement"));
                }
                Ok(())
            }
            Connector::FixedTotalNumberConnector { n, with_replacement, .. } => {
                if !with_replacement && *n > n_pre as u64 * n_post as u64 {
                    return err("n", format!("{n} exceeds the {} possible connections without replacement", n_pre as u64 * n_post as u64));
                }
                Ok(())
            }
            Connector::FromListConnector { conn_list } => {
                for (k, c) in conn_list.iter().enumerate() {
                    if !(2..=4).contains(&c.len()) {
                        return err("conn_list", format!("entry {k} has {} fields; expected [pre, post(, weight(, delay))]", c.len()));
                    }
                    for (f, &v) in c.iter().enumerate() {
                        if !v.is_finite() {
                            return err("conn_list", format!("entry {k} field {f} is {v}"));
                        }
                    }
                    let (i, j) = (c[0], c[1]);
                    if i < 0.0 || i.fract() != 0.0 || i >= n_pre as f64 {
                        return err("conn_list", format!("entry {k}: pre index {i} is outside 0..{n_pre}"));
                    }
                    if j < 0.0 || j.fract() != 0.0 || j >= n_post as f64 {
                        return err("conn_list", format!("entry {k}: post index {j} is outside 0..{n_post}"));
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// All connections, in the connector's order (pre-major for the on-chip connectors, list order for
    /// FromList). Deterministic for a given `rng` state.
    pub fn generate(&self, n_pre: u32, n_post: u32, same_population: bool, rng: &mut StdRng) -> Vec<Connection> {
        let c = |pre: u32, post: u32| Connection { pre, post, weight: None, delay: None };
        let allowed = |allow: bool, i: u32, j: u32| allow || !same_population || i != j;
        let mut out = Vec::new();
        match *self {
            Connector::OneToOneConnector => out.extend((0..n_pre.min(n_post)).map(|i| c(i, i))),
            Connector::AllToAllConnector { allow_self_connections } => {
                for i in 0..n_pre {
                    out.extend((0..n_post).filter(|&j| allowed(allow_self_connections, i, j)).map(|j| c(i, j)));
                }
            }
            Connector::FixedProbabilityConnector { p_connect, allow_self_connections } => {
                for i in 0..n_pre {
                    for j in 0..n_post {
                        if rng.random::<f64>() < p_connect && allowed(allow_self_connections, i, j) {
                            out.push(c(i, j));
                        }
                    }
                }
            }
            Connector::FixedTotalNumberConnector { n, allow_self_connections, with_replacement } => {
                let mut pairs = Vec::with_capacity(n as usize);
                if with_replacement {
                    while (pairs.len() as u64) < n && n_pre > 0 && n_post > 0 {
                        let (i, j) = (rng.random_range(0..n_pre), rng.random_range(0..n_post));
                        if allowed(allow_self_connections, i, j) {
                            pairs.push((i, j));
                        }
                    }
                } else {
                    let all: Vec<(u32, u32)> = (0..n_pre)
                        .flat_map(|i| (0..n_post).map(move |j| (i, j)))
                        .filter(|&(i, j)| allowed(allow_self_connections, i, j))
                        .collect();
                    pairs = sample_without_replacement(&all, n as usize, rng);
                }
                pairs.sort_by_key(|&(i, _)| i);
                out.extend(pairs.into_iter().map(|(i, j)| c(i, j)));
            }
            Connector::FixedNumberPreConnector { n, allow_self_connections, with_replacement } => {
                // Each post neuron draws n pre neurons.
                let mut pairs = Vec::new();
                for j in 0..n_post {
                    let cands: Vec<u32> = (0..n_pre).filter(|&i| allowed(allow_self_connections, i, j)).collect();
                    for i in draw(&cands, n as usize, with_replacement, rng) {
                        pairs.push((i, j));
                    }
                }
                pairs.sort_by_key(|&(i, _)| i);
                out.extend(pairs.into_iter().map(|(i, j)| c(i, j)));
            }
            Connector::FixedNumberPostConnector { n, allow_self_connections, with_replacement } => {
                for i in 0..n_pre {
                    let cands: Vec<u32> = (0..n_post).filter(|&j| allowed(allow_self_connections, i, j)).collect();
                    out.extend(draw(&cands, n as usize, with_replacement, rng).into_iter().map(|j| c(i, j)));
                }
            }
            Connector::FromListConnector { ref conn_list } => {
                out.extend(conn_list.iter().map(|e| Connection {
                    pre: e[0] as u32,
                    post: e[1] as u32,
                    weight: e.get(2).copied(),
                    delay: e.get(3).copied(),
                }));
            }
        }
        out
    }
}

fn draw(cands: &[u32], n: usize, with_replacement: bool, rng: &mut StdRng) -> Vec<u32> {
    if cands.is_empty() {
        return Vec::new();
    }
    if with_replacement {
        (0..n).map(|_| cands[rng.random_range(0..cands.len())]).collect()
    } else {
        let mut v = sample_without_replacement(cands, n, rng);
        v.sort_unstable();
        v
    }
}

/// A partial Fisher–Yates shuffle: the first `n` of a random permutation.
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
