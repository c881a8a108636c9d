//! What the cores of one post population draw alike from the population's mars_kiss64, drawn
//! once and shared: every core of the machine draws it again itself (the population generator's
//! draws do not depend on the core), and spinnsim gives each core the part that falls on it, with
//! the population generator's state after the whole draw. The result is the same; the work is one
//! core's.

use crate::fixed::Kiss64;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// What identifies a reservoir of fixed total without replacement: the population generator's
/// state at the edge, the view ranges, `n` and whether self connections are allowed.
type ReservoirKey = ([u32; 4], [u32; 4], u32, bool);
/// The pairs of a reservoir, in reservoir order, and the population generator's state after it.
pub type Reservoir = (Vec<(u32, u32)>, [u32; 4]);
/// What identifies the post draws of fixed total with replacement: the population generator's
/// state at the edge, the post view and `n`.
type PostKey = ([u32; 4], [u32; 2], u32);
/// The post neurons drawn, per core of the population in draw order, and the population
/// generator's state after the `n` draws.
pub type PostDraws = (Vec<Vec<u32>>, [u32; 4]);

/// The shared draws of one post population's cores: the reservoirs of fixed total without
/// replacement, and (when the population's atoms per core are known) the post draws of fixed
/// total with replacement.
#[derive(Default)]
pub struct PopulationDraws {
    atoms_per_core: Option<u32>,
    reservoirs: Mutex<HashMap<ReservoirKey, Arc<OnceLock<Reservoir>>>>,
    posts: Mutex<HashMap<PostKey, Arc<OnceLock<PostDraws>>>>,
}

fn shared<K: std::hash::Hash + Eq, V>(
    map: &Mutex<HashMap<K, Arc<OnceLock<V>>>>,
    key: K,
    draw: impl FnOnce() -> V,
) -> Arc<OnceLock<V>> {
    let cell = map.lock().unwrap_or_else(|e| e.into_inner()).entry(key).or_default().clone();
    cell.get_or_init(draw);
    cell
}

impl PopulationDraws {
    /// The shared draws of a population whose cores hold `atoms_per_core` neurons each (the last
    /// one fewer).
    pub fn for_population(atoms_per_core: u32) -> Self {
        PopulationDraws { atoms_per_core: Some(atoms_per_core.max(1)), ..Default::default() }
    }

    /// The reservoir of `key`, drawn by `draw` the first time a core asks.
    pub(super) fn reservoir(&self, key: ReservoirKey, draw: impl FnOnce() -> Reservoir) -> Arc<OnceLock<Reservoir>> {
        shared(&self.reservoirs, key, draw)
    }

    /// The core of the population whose slice starts at `slice_start` and holds `slice_count`
    /// atoms, or `None` when the population's cores are not known (or the slice is not one of
    /// them).
    pub(super) fn core_of(&self, slice_start: u32, slice_count: u32) -> Option<usize> {
        let per_core = self.atoms_per_core?;
        (slice_start % per_core == 0 && slice_count <= per_core).then(|| (slice_start / per_core) as usize)
    }

    /// The `n` posts of `post_lo ..= post_hi` drawn from `pop` (uniformly, below the view's size)
    /// per core, drawn the first time a core asks; `None` when the cores are not known.
    pub(super) fn posts(
        &self,
        pop: [u32; 4],
        (post_lo, post_hi): (u32, u32),
        n: u32,
    ) -> Option<Arc<OnceLock<PostDraws>>> {
        let per_core = self.atoms_per_core?;
        Some(shared(&self.posts, (pop, [post_lo, post_hi], n), || {
            // Counted first, then drawn again into buckets of that size: n words in all.
            let n_post = post_hi - post_lo + 1;
            let bucket = |post: u32| ((post + post_lo) / per_core) as usize;
            let mut counts = vec![0usize; (post_hi / per_core) as usize + 1];
            let mut after = Kiss64::from_state(pop);
            (0..n).for_each(|_| counts[bucket(after.below(n_post))] += 1);
            let mut per: Vec<Vec<u32>> = counts.into_iter().map(Vec::with_capacity).collect();
            let mut rng = Kiss64::from_state(pop);
            for _ in 0..n {
                let post = rng.below(n_post) + post_lo;
                per[(post / per_core) as usize].push(post);
            }
            (per, after.seed)
        }))
    }
}
