//! The connection generators of the synapse expander (`connection_generators/*.h`;
//! docs/expander.md §3): which pairs connect, in which order, with which draws from the
//! population's and the core's mars_kiss64. Every accepted synapse draws its weight, then its
//! delay, from the core's generator, then is written (`matrix_generator::Matrix::write`).

use super::kernel::KernelGrid;
use super::matrix::{rescale_delay, rescaled_weight};
use super::matrix_generator::Matrix;
use super::params::ParamGenerator;
use super::shared::PopulationDraws;
use super::Abort;
use crate::fixed::Kiss64;
use std::ops::RangeInclusive;

/// Tries a connector makes to place a synapse whose row is full before it gives up.
const MAX_WRITE_RETRIES: u32 = 10;
/// The most pairs fixed total without replacement may draw: the binary keeps its reservoir on
/// the stack, 8 bytes a pair, and past 64 KiB (8192 pairs) the core faults; before that the stack
/// runs over the heap the chip keeps in the same 64 KiB DTCM (the connector's parameters and
/// generators). 7168 pairs leave 8 KiB for the binary's data, heap and frames.
pub const MAX_RESERVOIR_PAIRS: u32 = 7168;

/// A connector as the host hands it to the expander (`gen_connector_id` and
/// `gen_connector_params`): ids 0–8 (7 without weights of its own).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectionGenerator {
    /// Id 0.
    OneToOne,
    /// Id 1: allow_self.
    AllToAll { allow_self: bool },
    /// Id 2: allow_self, p as U0.32.
    FixedProbability { allow_self: bool, p: u32 },
    /// Id 3 (`FixedTotalNumberConnector`, `MultapseConnector`): allow_self, with_replacement, n.
    FixedTotal { allow_self: bool, with_replacement: bool, n: u32 },
    /// Id 4: allow_self, with_replacement, n.
    FixedPre { allow_self: bool, with_replacement: bool, n: u32 },
    /// Id 5: allow_self, with_replacement, n.
    FixedPost { allow_self: bool, with_replacement: bool, n: u32 },
    /// Id 8 (`OneToOneOffsetConnector`, the binary's shift generator): the offset from pre to
    /// post (i32), wrap, the neurons per group.
    OneToOneOffset { offset: i32, wrap: bool, group: u32 },
    /// Id 7 (`AllButMeConnector`): the neurons per group and the group's own weights (s16.15,
    /// `group × (group − 1)`, pre-major without the diagonal) where the host gave them.
    AllButMe { group: u32, weights: Option<Vec<i32>> },
    /// Id 6 (`KernelConnector`): the grids, the kernel and its own weights and delays.
    Kernel(Box<KernelGrid>),
}

impl ConnectionGenerator {
    pub fn id(&self) -> u32 {
        match self {
            ConnectionGenerator::OneToOne => 0,
            ConnectionGenerator::AllToAll { .. } => 1,
            ConnectionGenerator::FixedProbability { .. } => 2,
            ConnectionGenerator::FixedTotal { .. } => 3,
            ConnectionGenerator::FixedPre { .. } => 4,
            ConnectionGenerator::FixedPost { .. } => 5,
            ConnectionGenerator::Kernel(_) => 6,
            ConnectionGenerator::AllButMe { .. } => 7,
            ConnectionGenerator::OneToOneOffset { .. } => 8,
        }
    }

    pub fn words(&self) -> Vec<u32> {
        use ConnectionGenerator::*;
        match *self {
            OneToOne => vec![],
            AllToAll { allow_self } => vec![allow_self as u32],
            FixedProbability { allow_self, p } => vec![allow_self as u32, p],
            FixedTotal { allow_self, with_replacement, n }
            | FixedPre { allow_self, with_replacement, n }
            | FixedPost { allow_self, with_replacement, n } => vec![allow_self as u32, with_replacement as u32, n],
            OneToOneOffset { offset, wrap, group } => vec![offset as u32, wrap as u32, group],
            AllButMe { group, ref weights } => {
                let mut w = vec![group, weights.is_some() as u32];
                w.extend(weights.iter().flatten().map(|&x| x as u32));
                w
            }
            Kernel(ref grid) => grid.words(),
        }
    }

    /// The connector of id `id` whose parameters start `w`, and how many words it used.
    pub fn from_words(id: u32, w: &[u32]) -> Option<(ConnectionGenerator, usize)> {
        use ConnectionGenerator::*;
        if id == 6 {
            return KernelGrid::from_words(w).map(|(grid, n)| (Kernel(Box::new(grid)), n));
        }
        if id == 7 {
            let (group, has_weights) = (*w.first()?, *w.get(1)? != 0);
            let n = if has_weights { group as usize * (group as usize).saturating_sub(1) } else { 0 };
            let weights = has_weights.then(|| w.get(2..2 + n).map(|v| v.iter().map(|&x| x as i32).collect()));
            return Some((AllButMe { group, weights: weights.map(|v| v.ok_or(())).transpose().ok()? }, 2 + n));
        }
        let n = [0, 1, 2, 3, 3, 3, usize::MAX, 2, 3].get(id as usize).copied().filter(|&n| n != usize::MAX)?;
        let w = w.get(..n)?;
        let g = match id {
            0 => OneToOne,
            1 => AllToAll { allow_self: w[0] != 0 },
            2 => FixedProbability { allow_self: w[0] != 0, p: w[1] },
            3 => FixedTotal { allow_self: w[0] != 0, with_replacement: w[1] != 0, n: w[2] },
            4 => FixedPre { allow_self: w[0] != 0, with_replacement: w[1] != 0, n: w[2] },
            8 => OneToOneOffset { offset: w[0] as i32, wrap: w[1] != 0, group: w[2] },
            _ => FixedPost { allow_self: w[0] != 0, with_replacement: w[1] != 0, n: w[2] },
        };
        Some((g, n))
    }
}

/// What one edge's generation sees: the view ranges of its populations, the core's slice, and
/// how an accepted synapse becomes a word.
pub struct EdgeRun<'a> {
    pub pre_lo: u32,
    pub pre_hi: u32,
    pub post_lo: u32,
    pub post_hi: u32,
    pub slice_start: u32,
    pub slice_count: u32,
    pub weight: ParamGenerator,
    pub delay: ParamGenerator,
    /// The synapse type's weight scale, u32.32.
    pub weight_scale: u64,
    /// Time steps per ms, s16.15.
    pub timestep_per_delay: i32,
    pub matrix: &'a Matrix,
    pub words: &'a mut [u32],
    /// Synapses lost to full rows by the connectors that only warn.
    pub lost: u64,
    /// Writes refused because the row was full (each one a warning of the binary).
    pub full_writes: u64,
    /// Synapses written.
    pub written: u64,
    /// Of those, the ones whose weight the word could not hold.
    pub wrapped: WrappedWeights,
    /// What the population's cores draw alike, shared between them.
    pub shared: &'a PopulationDraws,
}

/// Synapses an edge wrote whose rescaled weight passed the 16 bits of its word: the binary keeps
/// the low 16 bits without a word.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WrappedWeights {
    pub count: u64,
    /// The largest |weight| among them (s16.15), and the 16 bits it was stored as.
    pub largest: u32,
    pub stored: u16,
}

impl WrappedWeights {
    fn add(&mut self, weight: i32, weight_scale: u64) {
        self.count += 1;
        if weight.unsigned_abs() > self.largest {
            self.largest = weight.unsigned_abs();
            self.stored = super::matrix::rescale_weight(weight, weight_scale);
        }
    }

    /// Both edges' (or cores') wrapped weights together.
    pub fn merge(&mut self, other: &WrappedWeights) {
        self.count += other.count;
        if other.largest > self.largest {
            (self.largest, self.stored) = (other.largest, other.stored);
        }
    }
}

impl EdgeRun<'_> {
    /// `post_start ..= post_end`: the part of the post view on this core (empty when none).
    fn posts(&self) -> std::ops::RangeInclusive<u32> {
        let end = (self.slice_start + self.slice_count).saturating_sub(1).min(self.post_hi);
        self.slice_start.max(self.post_lo)..=end
    }

    fn in_slice(&self, post: u32) -> bool {
        post >= self.slice_start && post < self.slice_start + self.slice_count
    }

    /// The weight, then the delay, of an accepted synapse (from the core's generator).
    fn draw(&self, core: &mut Kiss64) -> Result<(i32, u16), Abort> {
        let w = self.weight.generate(core)?;
        let d = self.delay.generate(core)?;
        Ok((w, rescale_delay(d, self.timestep_per_delay)))
    }

    fn write(&mut self, pre: u32, post: u32, (w, d): (i32, u16), scale: u64) -> Result<bool, Abort> {
        let written = self.matrix.write(self.words, pre, post - self.slice_start, w, d, scale)?;
        self.full_writes += u64::from(!written);
        self.written += u64::from(written);
        if written && rescaled_weight(w, scale) > 0xFFFF {
            self.wrapped.add(w, scale);
        }
        Ok(written)
    }

    /// Draws and writes `pre → post`; a full row stops the expander.
    fn connect_or_abort(&mut self, core: &mut Kiss64, pre: u32, post: u32, scale: u64) -> Result<(), Abort> {
        let wd = self.draw(core)?;
        self.write(pre, post, wd, scale)?.then_some(()).ok_or(Abort::RowFull { pre, post })
    }

    /// Writes a synapse onto `post` from a pre neuron drawn by `draw_pre` (0-based) from the core's
    /// generator: a self pair is redrawn uncounted when not allowed, a full row redrawn up to
    /// [`MAX_WRITE_RETRIES`] times, after which the core stops.
    fn place_on_some_pre(
        &mut self,
        core: &mut Kiss64,
        post: u32,
        wd: (i32, u16),
        allow_self: bool,
        draw_pre: impl Fn(&mut Kiss64) -> u32,
    ) -> Result<(), Abort> {
        let mut tries = 0;
        loop {
            let pre = draw_pre(core) + self.pre_lo;
            if !allow_self && pre == post {
                continue;
            }
            if self.write(pre, post, wd, self.weight_scale)? {
                return Ok(());
            }
            tries += 1;
            if tries >= MAX_WRITE_RETRIES {
                return Err(Abort::RowFull { pre, post });
            }
        }
    }

    /// Draws and writes `pre → post`; a full row loses the synapse (counted) and generation goes on.
    fn connect_or_lose(&mut self, core: &mut Kiss64, pre: u32, post: u32) -> Result<(), Abort> {
        let wd = self.draw(core)?;
        if !self.write(pre, post, wd, self.weight_scale)? {
            self.lost += 1;
        }
        Ok(())
    }
}

/// `((u & 0x7FFF) · R) >> 15` in 32 bits: a draw in 0..R for R ≤ 2^17 (fixed pre and post).
fn prand(rng: &mut Kiss64, range: u32) -> u32 {
    ((rng.next_u32() & 0x7FFF).wrapping_mul(range)) >> 15
}

impl ConnectionGenerator {
    /// Generates the edge's synapses onto this core, continuing both generators.
    pub fn generate(&self, e: &mut EdgeRun, pop: &mut Kiss64, core: &mut Kiss64) -> Result<(), Abort> {
        use ConnectionGenerator::*;
        match *self {
            OneToOne => one_to_one(e, core),
            AllToAll { allow_self } => {
                for pre in e.pre_lo..=e.pre_hi {
                    for post in e.posts().filter(|&post| allow_self || pre != post) {
                        e.connect_or_abort(core, pre, post, e.weight_scale)?;
                    }
                }
                Ok(())
            }
            FixedProbability { allow_self, p } => {
                for pre in e.pre_lo..=e.pre_hi {
                    for post in e.posts().filter(|&post| allow_self || pre != post) {
                        if core.next_u32() < p {
                            e.connect_or_lose(core, pre, post)?;
                        }
                    }
                }
                Ok(())
            }
            FixedTotal { allow_self, with_replacement: true, n } => fixed_total_with(e, pop, core, allow_self, n),
            FixedTotal { allow_self, with_replacement: false, n } => fixed_total_without(e, pop, core, allow_self, n),
            FixedPre { allow_self, with_replacement, n } => fixed_pre(e, core, allow_self, with_replacement, n),
            FixedPost { allow_self, with_replacement, n } => fixed_post(e, pop, core, allow_self, with_replacement, n),
            AllButMe { group, weights: None } => {
                for (pre, post, _) in all_but_me_pairs(group, (e.pre_lo, e.pre_hi), e.posts()) {
                    e.connect_or_abort(core, pre, post, e.weight_scale)?;
                }
                Ok(())
            }
            AllButMe { group, weights: Some(ref weights) } => {
                for (pre, post, at) in all_but_me_pairs(group, (e.pre_lo, e.pre_hi), e.posts()) {
                    let wd = (weights[at], rescale_delay(e.delay.generate(core)?, e.timestep_per_delay));
                    e.write(pre, post, wd, e.weight_scale)?.then_some(()).ok_or(Abort::RowFull { pre, post })?;
                }
                Ok(())
            }
            OneToOneOffset { offset, wrap, group } => {
                for (pre, post) in offset_pairs(offset, wrap, group, (e.pre_lo, e.pre_hi), e.posts()) {
                    e.connect_or_abort(core, pre, post, e.weight_scale)?;
                }
                Ok(())
            }
            Kernel(ref grid) => kernel(e, core, grid),
        }
    }
}

/// The walk the grouped generators (shift, all-but-me) make over the posts `posts` (one core's
/// part of the post view): for each post, the first and last pre of its group and the post's
/// place in the group. The group of the first post is counted from its absolute index, the pres
/// from `pre_lo`; past `pre_hi` the groups stop. `group` is at least 1 (the host never writes 0).
fn group_walk(group: u32, (pre_lo, pre_hi): (u32, u32), posts: RangeInclusive<u32>) -> Vec<(u32, u32, u32, u32)> {
    let mut out = Vec::new();
    if posts.is_empty() {
        return out;
    }
    let (mut pre_start, mut value) = (pre_lo.wrapping_add(posts.start() / group * group), posts.start() % group);
    let mut pre_end = pre_start.wrapping_add(group - 1).min(pre_hi);
    for post in posts {
        out.push((post, pre_start, pre_end, value));
        value += 1;
        if value == group {
            value = 0;
            pre_start = pre_start.wrapping_add(group);
            pre_end = pre_start.wrapping_add(group - 1).min(pre_hi);
            if pre_start > pre_hi {
                break;
            }
        }
    }
    out
}

/// The pairs of the shift generator (`OneToOneOffsetConnector`) onto the posts `posts`, in the
/// binary's order (`group_walk`): post `p` takes pre `p − offset`, moved by a group into its
/// group when `wrap` (else left out).
pub fn offset_pairs(
    offset: i32,
    wrap: bool,
    group: u32,
    pres: (u32, u32),
    posts: RangeInclusive<u32>,
) -> Vec<(u32, u32)> {
    let pair = |(post, pre_start, pre_end, _): (u32, u32, u32, u32)| {
        let pre = (post as i32).wrapping_sub(offset);
        if pre < pre_start as i32 {
            wrap.then_some((pre.wrapping_add(group as i32) as u32, post))
        } else if pre > pre_end as i32 {
            wrap.then_some((pre.wrapping_sub(group as i32) as u32, post))
        } else {
            Some((pre as u32, post))
        }
    };
    group_walk(group, pres, posts).into_iter().filter_map(pair).collect()
}

/// The pairs of the all-but-me generator onto the posts `posts` (`group_walk`): per post,
/// every pre of its group in order but the one at the post's place in the group; with each, its
/// place in the group's weights (`pre_value · (group − 1) + post_value`, less one past the
/// diagonal: `get_weight`).
pub fn all_but_me_pairs(group: u32, pres: (u32, u32), posts: RangeInclusive<u32>) -> Vec<(u32, u32, usize)> {
    let mut out = Vec::new();
    for (post, pre_start, pre_end, value) in group_walk(group, pres, posts) {
        let at = |pre_value: u32| (pre_value * (group - 1) + value - u32::from(value >= pre_value)) as usize;
        out.extend(
            (pre_start..=pre_end).filter(|&pre| pre - pre_start != value).map(|pre| (pre, post, at(pre - pre_start))),
        );
    }
    out
}

/// The kernel generator: each pair under the kernel takes the kernel's weight and delay at its
/// position, or draws the ones the host did not give (the weight first), then is written; a full
/// row stops the expander.
fn kernel(e: &mut EdgeRun, core: &mut Kiss64, grid: &KernelGrid) -> Result<(), Abort> {
    for (pre, post, k) in grid.pairs((e.pre_lo, e.pre_hi), e.posts()) {
        let w = match &grid.weights {
            Some(w) => w[k],
            None => e.weight.generate(core)?,
        };
        let d = match &grid.delays {
            Some(d) => d[k],
            None => e.delay.generate(core)?,
        };
        let wd = (w, rescale_delay(d, e.timestep_per_delay));
        e.write(pre, post, wd, e.weight_scale)?.then_some(()).ok_or(Abort::RowFull { pre, post })?;
    }
    Ok(())
}

fn one_to_one(e: &mut EdgeRun, core: &mut Kiss64) -> Result<(), Abort> {
    let posts = e.posts();
    if posts.is_empty() {
        return Ok(());
    }
    let (ps, pe) = (*posts.start(), *posts.end());
    let pre_start = e.pre_lo + (ps - e.post_lo);
    let pre_end = (pre_start + (pe - ps)).min(e.pre_hi);
    for (pre, post) in (pre_start..=pre_end).zip(ps..) {
        e.connect_or_abort(core, pre, post, e.weight_scale)?;
    }
    Ok(())
}

/// Fixed total with replacement: every core replays the whole projection's post draws (drawn
/// once for the population, when its cores are known).
fn fixed_total_with(
    e: &mut EdgeRun,
    pop: &mut Kiss64,
    core: &mut Kiss64,
    allow_self: bool,
    n: u32,
) -> Result<(), Abort> {
    let (n_pre, n_post) = (e.pre_hi - e.pre_lo + 1, e.post_hi - e.post_lo + 1);
    let connect = |e: &mut EdgeRun, core: &mut Kiss64, post: u32| {
        if !allow_self && n_pre == 1 && e.pre_lo == post {
            return Err(Abort::OnlySelf { post });
        }
        let wd = e.draw(core)?;
        e.place_on_some_pre(core, post, wd, allow_self, |core| core.below(n_pre))
    };
    // The posts are the population generator's: drawn once for all the population's cores.
    if let (Some(c), Some(cell)) =
        (e.shared.core_of(e.slice_start, e.slice_count), e.shared.posts(pop.seed, (e.post_lo, e.post_hi), n))
    {
        let (per_core, after) = cell.get().expect("drawn");
        *pop = Kiss64::from_state(*after);
        let (lo, hi) = (e.slice_start, e.slice_start + e.slice_count);
        for &post in per_core.get(c).into_iter().flatten().filter(|&&post| (lo..hi).contains(&post)) {
            connect(e, core, post)?;
        }
        return Ok(());
    }
    for _ in 0..n {
        let post = pop.below(n_post) + e.post_lo;
        if e.in_slice(post) {
            connect(e, core, post)?;
        }
    }
    Ok(())
}

/// Fixed total without replacement: a reservoir over the pairs in pre-fastest order, drawn from
/// the population's generator, then the pairs on this core written in reservoir order.
fn fixed_total_without(
    e: &mut EdgeRun,
    pop: &mut Kiss64,
    core: &mut Kiss64,
    allow_self: bool,
    n: u32,
) -> Result<(), Abort> {
    if n > MAX_RESERVOIR_PAIRS {
        return Err(Abort::ReservoirTooLarge { n });
    }
    let key = (pop.seed, [e.pre_lo, e.pre_hi, e.post_lo, e.post_hi], n, allow_self);
    let (pre_lo, pre_hi, post_lo, post_hi) = (e.pre_lo, e.pre_hi, e.post_lo, e.post_hi);
    let mut drawing = Kiss64::from_state(pop.seed);
    let cell = e.shared.reservoir(key, || {
        let conns = reservoir_of_pairs(&mut drawing, (pre_lo, pre_hi), (post_lo, post_hi), n, allow_self);
        (conns, drawing.seed)
    });
    let (conns, after) = cell.get().expect("drawn");
    *pop = Kiss64::from_state(*after);
    for &(pre, post) in conns {
        if e.in_slice(post) {
            e.connect_or_abort(core, pre, post, e.weight_scale)?;
        }
    }
    Ok(())
}

/// The reservoir over the pairs in pre-fastest order: the first `n`, then each later pair `i`
/// replaces entry `r < n` for `r` drawn below `i + 1`.
fn reservoir_of_pairs(
    pop: &mut Kiss64,
    (pre_lo, pre_hi): (u32, u32),
    (post_lo, post_hi): (u32, u32),
    n: u32,
    allow_self: bool,
) -> Vec<(u32, u32)> {
    let next = |(pre, post): (u32, u32)| if pre + 1 > pre_hi { (pre_lo, post + 1) } else { (pre + 1, post) };
    let next_allowed = |at: (u32, u32)| {
        let at = next(at);
        if !allow_self && at.0 == at.1 {
            next(at)
        } else {
            at
        }
    };
    let mut at = (pre_lo, post_lo);
    let mut conns = Vec::with_capacity(n as usize);
    for _ in 0..n {
        conns.push(at);
        at = next_allowed(at);
    }
    let mut i = n;
    while at.0 <= pre_hi && at.1 <= post_hi {
        let r = pop.below(i.wrapping_add(1));
        if r < n {
            conns[r as usize] = at;
        }
        at = next_allowed(at);
        i = i.wrapping_add(1);
    }
    conns
}

/// The reservoir of fixed pre and fixed post: `n` of `n_values` candidates `j + lo`, skipping the
/// one equal to `self_index` (0-based j against the population-level index, as the binary
/// compares them) unless self connections are allowed.
fn reservoir(rng: &mut Kiss64, n: u32, n_values: u32, lo: u32, self_index: Option<u32>) -> Vec<u16> {
    let mut values = vec![0u16; n as usize];
    let mut replace_start = n;
    for j in 0..n {
        if Some(j) == self_index {
            values[j as usize] = n as u16;
            replace_start = n + 1;
        } else {
            values[j as usize] = (j + lo) as u16;
        }
    }
    for j in replace_start..n_values {
        if Some(j) != self_index {
            let r = prand(rng, j + 1);
            if r < n {
                values[r as usize] = (j + lo) as u16;
            }
        }
    }
    values
}

/// Fixed number pre: each post neuron of the core draws its pre neurons from the core's generator.
/// Without replacement a full row loses the synapse; with replacement, ten full rows in a row stop
/// the core.
fn fixed_pre(
    e: &mut EdgeRun,
    core: &mut Kiss64,
    allow_self: bool,
    with_replacement: bool,
    n: u32,
) -> Result<(), Abort> {
    let n_values = e.pre_hi - e.pre_lo + 1;
    for post in e.posts() {
        if with_replacement {
            if !allow_self && n > 0 && n_values == 1 && e.pre_lo == post {
                return Err(Abort::OnlySelf { post });
            }
            for _ in 0..n {
                let wd = e.draw(core)?;
                e.place_on_some_pre(core, post, wd, allow_self, |core| prand(core, n_values))?;
            }
        } else {
            let values = reservoir(core, n, n_values, e.pre_lo, (!allow_self).then_some(post));
            for pre in values {
                e.connect_or_lose(core, pre as u32, post)?;
            }
        }
    }
    Ok(())
}

/// Fixed number post: every pre neuron draws its post neurons from the *population's* generator
/// (so every core draws the same), and the core keeps those in its slice. The weight scale passes
/// through an s16.15 on the way (`fixed_post_write` declares it `accum`).
fn fixed_post(
    e: &mut EdgeRun,
    pop: &mut Kiss64,
    core: &mut Kiss64,
    allow_self: bool,
    with_replacement: bool,
    n: u32,
) -> Result<(), Abort> {
    let n_values = e.post_hi - e.post_lo + 1;
    let scale = accum_weight_scale(e.weight_scale);
    for pre in e.pre_lo..=e.pre_hi {
        if with_replacement {
            if !allow_self && n > 0 && n_values == 1 && e.post_lo == pre {
                return Err(Abort::OnlySelf { post: pre });
            }
            for _ in 0..n {
                let mut post = prand(pop, n_values) + e.post_lo;
                while !allow_self && post == pre {
                    post = prand(pop, n_values) + e.post_lo;
                }
                if e.in_slice(post) {
                    e.connect_or_abort(core, pre, post, scale)?;
                }
            }
        } else {
            for post in reservoir(pop, n, n_values, e.post_lo, (!allow_self).then_some(pre)) {
                if e.in_slice(post as u32) {
                    e.connect_or_abort(core, pre, post as u32, scale)?;
                }
            }
        }
    }
    Ok(())
}

/// A u32.32 weight scale through an s16.15 and back: bits below 2^-15 lost, 2^16 and above wrapped.
fn accum_weight_scale(scale: u64) -> u64 {
    let k = (scale >> 17) as u32 as i32;
    ((k as i64) << 17) as u64
}
