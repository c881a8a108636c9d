//! The routing table: from each sending core (and its delay-extension core) to the cores its
//! projections can reach, as sPyNNaker 7.4.1's `get_connected_vertices` decides them
//! (docs/decisions.md D14), and from each core to its own delay-extension core.

use super::draw::{Drawn, DrawnConnection};
use super::image::{Core, RouteEntry};
use super::keys;
use super::layout::{Layout, Placed};
use super::matrices::Receiver;
use super::slices;
use crate::error::Result;
use crate::model::{Connector, Network};
use std::collections::BTreeMap;

/// The routes found so far, by key: (mask, destination cores).
#[derive(Default)]
pub(super) struct Routes(BTreeMap<u32, (u32, Vec<u32>)>);

/// Per incoming projection of a population, which (pre core, post core) pairs it connects
/// (`None`: every pair); see [`connected_cores`].
pub(super) type Links = Vec<Option<Vec<bool>>>;

impl Routes {
    /// Adds `dests` to the route of `src`'s key (a core that reaches none keeps an entry without
    /// destinations).
    fn add(&mut self, src: &Core, dests: &[u32]) {
        let key = src.key.expect("a sending core has a key");
        let entry = self.0.entry(key).or_insert_with(|| (src.mask, Vec::new()));
        for &d in dests {
            if !entry.1.contains(&d) {
                entry.1.push(d);
            }
        }
        entry.1.sort_unstable();
    }

    /// The routes into population `pi`'s cores, from each pre core of its incoming projections
    /// (`incoming`, with their `links`) and from their delay cores where the pre → post edge needs
    /// delays (`DelaySupportAdder` adds a delayed edge per edge whose longest delay is beyond the
    /// in-core delay).
    pub(super) fn add_population(
        &mut self,
        r: &Receiver,
        links: &Links,
        drawn: &[Drawn],
        placed: &Placed,
        keys: &keys::Keys,
    ) {
        let (pi, incoming) = (r.pi, &r.incoming[..]);
        let post_cores = &placed.population_cores[pi];
        let m_ms = r.layout.in_core_delay(pi) as f64 * r.net.timestep;
        for (&k, link) in incoming.iter().zip(links) {
            let d = &drawn[k];
            let targets = |si: usize| -> Vec<u32> {
                match link {
                    None => post_cores.clone(),
                    Some(m) => post_cores
                        .iter()
                        .enumerate()
                        .filter(|&(ti, _)| m[si * post_cores.len() + ti])
                        .map(|(_, &c)| c)
                        .collect(),
                }
            };
            for (si, &src) in placed.population_cores[d.pre].iter().enumerate() {
                self.add(&placed.cores[src as usize], &targets(si));
            }
            let edge_needs_delays = incoming.iter().any(|&j| drawn[j].pre == d.pre && drawn[j].max_delay_ms > m_ms);
            if keys.delay_key[d.pre].is_some() && edge_needs_delays {
                for (si, &src) in placed.delay_cores[d.pre].iter().enumerate() {
                    self.add(&placed.cores[src as usize], &targets(si));
                }
            }
        }
    }

    /// The routes from each sending core to its own delay-extension core, then the table, its
    /// keys and masks checked for overlaps.
    pub(super) fn into_table(mut self, placed: &Placed) -> Result<Vec<RouteEntry>> {
        for (pi, dcs) in placed.delay_cores.iter().enumerate() {
            for (ci, &dc) in dcs.iter().enumerate() {
                let src = placed.population_cores[pi][ci];
                self.add(&placed.cores[src as usize], &[dc]);
            }
        }
        let labelled: Vec<(u32, u32, String)> =
            self.0.iter().map(|(&k, (m, _))| (k, *m, format!("key {k:#x}"))).collect();
        keys::check_no_overlap(&labelled)?;
        Ok(self.0.into_iter().map(|(key, (mask, destinations))| RouteEntry { key, mask, destinations }).collect())
    }
}

/// [`connected_cores`] of each incoming projection of population `pi`.
pub(super) fn links(net: &Network, pi: usize, incoming: &[usize], drawn: &[Drawn], layout: &Layout) -> Links {
    let post_slices = slices(net.populations[pi].size, layout.max_atoms[pi]);
    incoming
        .iter()
        .map(|&k| {
            let d = &drawn[k];
            let pre_slices = slices(net.populations[d.pre].size, layout.max_atoms[d.pre]);
            let views = (d.pre_view.range(), d.post_view.range());
            connected_cores(&net.projections[k].connector, &d.conns, views, &pre_slices, &post_slices)
        })
        .collect()
}

/// Which (pre core, post core) pairs of a projection are connected, as sPyNNaker 7.4.1's
/// `get_connected_vertices` decides the routes: a OneToOneConnector connects slices that reach
/// into the views and whose atom ranges, counted from the start of each view, overlap; a
/// FromListConnector the slices that one of its connections joins; every other connector connects
/// every pair (`None`). `views` are the first and last neurons of the pre and post views.
/// Indexed `pre slice × post slices + post slice`.
pub(super) fn connected_cores(
    connector: &Connector,
    conns: &[DrawnConnection],
    ((pre_lo, pre_hi), (post_lo, post_hi)): ((u32, u32), (u32, u32)),
    pre: &[(u32, u32)],
    post: &[(u32, u32)],
) -> Option<Vec<bool>> {
    // `OneToOneConnector.__connects`: the ranges relative to the views are not clipped to them.
    let one_to_one = |(plo, pn): (u32, u32), (qlo, qn): (u32, u32)| {
        let (phi, qhi) = (plo + pn - 1, qlo + qn - 1);
        let in_views = phi >= pre_lo && qhi >= post_lo && plo <= pre_hi && qlo <= post_hi;
        let relative = |a: u32, lo: u32| a as i64 - lo as i64;
        in_views && relative(phi, pre_lo) >= relative(qlo, post_lo) && relative(plo, pre_lo) <= relative(qhi, post_lo)
    };
    match connector {
        Connector::OneToOneConnector => {
            Some(pre.iter().flat_map(|&p| post.iter().map(move |&q| one_to_one(p, q))).collect())
        }
        Connector::FromListConnector { .. } => {
            let slice_of = |s: &[(u32, u32)], i: u32| s.partition_point(|&(lo, n)| lo + n <= i);
            let mut m = vec![false; pre.len() * post.len()];
            for c in conns {
                let (a, b) = (slice_of(pre, c.0), slice_of(post, c.1));
                if a < pre.len() && b < post.len() {
                    m[a * post.len() + b] = true;
                }
            }
            Some(m)
        }
        _ => None,
    }
}
