//! The CPU reference engine: the tick of docs/semantics.md §2.1, parallel over cores with rayon. Results do not
//! depend on the number of threads: every core owns its state, and packets are routed in core order.

mod delay_extension;
mod neuron_update;
pub(crate) mod poisson;
pub(crate) mod record;
mod ring_drain;
mod spike_route;
mod spike_source;
pub(crate) mod state;
pub(crate) mod stdp;
mod synapse_rows;
mod team;

pub use spike_route::route_of;
pub use synapse_rows::pop_table_lookup;

use super::{Engine, Provenance, ResetMode, RunControl};
use crate::error::{Error, Result};
use crate::mapping::{Core, CoreKind, MachineImage};
use crate::record::Recordings;
use rayon::prelude::*;
use state::CoreRun;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
pub use synapse_rows::CompactMatrix;

/// The CPU engine over one machine image.
pub struct CpuEngine {
    /// The machine image, less the padded synaptic matrices (see `rows`).
    pub(crate) image: MachineImage,
    /// Per core, its synaptic rows packed.
    pub(crate) rows: Vec<CompactMatrix>,
    pub(crate) runs: Vec<CoreRun>,
    /// For each delay core, the mask of the pre-synaptic core it mirrors.
    pub(crate) delay_src_masks: Vec<u32>,
    pub(crate) tick: u32,
    segment: u32,
    finished: Recordings,
    /// Worker threads of a run.
    threads: usize,
    /// Packets whose key matched no routing entry.
    pub unrouted_packets: u64,
    pub(crate) reset_mode: ResetMode,
    /// Ticks run since the cores were (re)loaded.
    pub(crate) ticks_since_load: u64,
    warnings: Vec<String>,
}

impl CpuEngine {
    /// An engine on the global rayon pool.
    pub fn new(image: MachineImage) -> Result<Self> {
        Self::with_threads(image, None)
    }

    /// An engine with its own pool of `threads` threads (`None`: rayon's global pool).
    pub fn with_threads(image: MachineImage, threads: Option<usize>) -> Result<Self> {
        let threads = match threads {
            Some(0) => return Err(Error::Run("the number of threads must be at least 1".into())),
            Some(n) => n,
            None => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        };
        let delay_src_masks = image
            .cores
            .iter()
            .map(|c| match c.kind {
                CoreKind::Delay(_) => {
                    let cores = &image.population_cores[c.population];
                    cores
                        .iter()
                        .map(|&i| &image.cores[i as usize])
                        .find(|s| s.lo_atom == c.lo_atom)
                        .map(|s| s.mask)
                        .unwrap_or(0)
                }
                _ => 0,
            })
            .collect();
        // The engine keeps the rows packed; the padded sPyNNaker layout is dropped from its image.
        let mut image = image;
        let rows: Vec<CompactMatrix> = image
            .cores
            .par_iter_mut()
            .map(|c| match &mut c.kind {
                CoreKind::Neuron(nc) => {
                    let rows = CompactMatrix::new(nc);
                    nc.synaptic_matrix = Vec::new();
                    rows
                }
                _ => CompactMatrix::default(),
            })
            .collect();
        let runs = image.cores.iter().zip(&rows).map(|(c, r)| CoreRun::loaded(c, r, 0)).collect();
        Ok(CpuEngine {
            image,
            rows,
            runs,
            delay_src_masks,
            tick: 0,
            segment: 0,
            finished: Recordings::default(),
            threads,
            unrouted_packets: 0,
            reset_mode: ResetMode::default(),
            ticks_since_load: 0,
            warnings: Vec::new(),
        })
    }

    /// Rewrites the state of a population's neurons from the image's initial values, as the host
    /// does before a run that starts at tick 0 (after a reset, or before the first run).
    pub fn load_initial_values(&mut self, population: usize) -> Result<()> {
        if self.tick != 0 {
            return Err(Error::Run(
                "initial values can only be loaded at tick 0 (before a run or after a reset)".into(),
            ));
        }
        for &c in &self.image.population_cores[population] {
            let (CoreKind::Neuron(nc), state::CoreState::Neuron(s)) =
                (&self.image.cores[c as usize].kind, &mut self.runs[c as usize].state)
            else {
                continue;
            };
            let a = &nc.neurons;
            s.v.clone_from(&a.v);
            s.isyn_exc.clone_from(&a.isyn_exc);
            s.isyn_inh.clone_from(&a.isyn_inh);
            if !a.u.is_empty() {
                s.u.clone_from(&a.u);
            }
        }
        Ok(())
    }

    /// Chooses what `reset()` does; the default is sPyNNaker's soft reset.
    pub fn set_reset_mode(&mut self, mode: ResetMode) {
        self.reset_mode = mode;
    }

    /// Things about the run a user should know (for example a reset that changes spike timing).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    pub fn image(&self) -> &MachineImage {
        &self.image
    }

    /// The synapses of a projection as its rows hold them now (docs/semantics.md §9 `Projection.get`): pre and post
    /// neuron, synapse type, the 16-bit weight and the total delay in ticks. Plastic rows give their
    /// current (learned) weights; their delay field is read unmasked, 0 meaning M (docs/stdp.md §9).
    pub fn connections(&self, projection: usize) -> Vec<crate::engine::RowSynapse> {
        let mut out = Vec::new();
        for ((core, rows), run) in self.image.cores.iter().zip(&self.rows).zip(&self.runs) {
            let CoreKind::Neuron(nc) = &core.kind else { continue };
            let (n_bits, t_bits) = (nc.log_n_neurons(), nc.log_n_synapse_types());
            let plastic: &[u32] = match &run.state {
                state::CoreState::Neuron(s) => &s.plastic,
                _ => &[],
            };
            for b in nc.blocks.iter().filter(|b| b.projection as usize == projection) {
                for (r, cr) in rows.block_range(b.offset).enumerate() {
                    let (pre, stage) = b.layout.source_of(r as u32);
                    if let Some((start, ctrl)) = rows.plastic_row(cr) {
                        let weights = start + rows.header_words() as usize;
                        for (i, &c) in ctrl.iter().enumerate() {
                            let c = c as u32;
                            let d = c >> (n_bits + t_bits);
                            let d = if d == 0 { b.max_delay } else { d };
                            out.push(crate::engine::RowSynapse {
                                pre,
                                post: core.lo_atom + (c & ((1 << n_bits) - 1)),
                                synapse_type: (c >> n_bits) & ((1 << t_bits) - 1),
                                weight: (plastic[weights + i / 2] >> (16 * (i % 2))) as u16,
                                delay: stage * b.max_delay + d,
                            });
                        }
                    }
                }
                for (r, row) in rows.block_rows(b.offset).enumerate() {
                    let (pre, stage) = b.layout.source_of(r as u32);
                    for &w in row {
                        // The host does not mask the delay field; a stored 0 means M (docs/semantics.md §3.2).
                        let d = (w & 0xFFFF) >> (n_bits + t_bits);
                        let d = if d == 0 { b.max_delay } else { d };
                        out.push(crate::engine::RowSynapse {
                            pre,
                            post: core.lo_atom + (w & ((1 << n_bits) - 1)),
                            synapse_type: (w >> n_bits) & ((1 << t_bits) - 1),
                            weight: (w >> 16) as u16,
                            delay: stage * b.max_delay + d,
                        });
                    }
                }
            }
        }
        out.sort_by_key(|s| (s.pre, s.post, s.delay));
        out
    }

    /// Bytes the engine holds for the simulation (lengths, not capacities): per core its parameters,
    /// pop table and packed rows, its state (6 words per neuron and the 16-bit ring buffer, delay
    /// slots, spike schedules), and the routing table. Recordings, which grow with the run, are not
    /// counted.
    pub fn memory_bytes(&self) -> u64 {
        let mut b = 0u64;
        for (core, rows) in self.image.cores.iter().zip(&self.rows) {
            b += std::mem::size_of_val(core) as u64 + rows.bytes() as u64;
            match &core.kind {
                CoreKind::Neuron(nc) => {
                    let a = &nc.neurons;
                    let words: usize = [
                        &a.v,
                        &a.isyn_exc,
                        &a.isyn_inh,
                        &a.v_rest,
                        &a.r_membrane,
                        &a.exp_tc,
                        &a.v_reset,
                        &a.v_thresh,
                        &a.t_refract,
                        &a.i_offset,
                        &a.delta_scale,
                        &a.e_rev_e,
                        &a.e_rev_i,
                        &a.a,
                        &a.b,
                        &a.c,
                        &a.d,
                        &a.u,
                        &a.this_h,
                        &a.reset_h,
                    ]
                    .iter()
                    .map(|v| v.len())
                    .sum::<usize>()
                        + [&a.exc_decay, &a.exc_init, &a.inh_decay, &a.inh_init].iter().map(|v| v.len()).sum::<usize>();
                    b += 4 * (words + nc.pop_table.len() + nc.synapse_params.len() + 3 * nc.blocks.len()) as u64;
                    b += 4 * 6 * core.n_atoms as u64 + 2 * nc.ring_buffer_len() as u64;
                    if let Some(st) = &nc.stdp {
                        // Plastic regions, post histories (count, 16 times, 16 int16 traces for the pair rule), LUTs.
                        b += 4 * rows.plastic_init().len() as u64;
                        b += core.n_atoms as u64 * if st.nearest { 4 + 64 } else { 4 + 64 + 32 };
                        b += 2 * (st.lut_plus.len() + st.lut_minus.len()) as u64 + 4 * st.region.len() as u64;
                    }
                }
                CoreKind::SpikeArray(sa) => b += 8 * sa.spikes.len() as u64,
                CoreKind::Delay(d) => {
                    b += ((d.n_stages * d.delay_per_stage + 1).next_power_of_two() * core.n_atoms) as u64
                }
                CoreKind::Poisson(p) => b += 24 * p.rates.iter().map(|r| r.len() as u64).sum::<u64>(),
            }
        }
        b + self.image.routing_table.iter().map(|e| 8 + 4 * e.destinations.len() as u64).sum::<u64>()
    }

    /// Marks the rates of a SpikeSourcePoisson population as rewritten by the host, as any
    /// `Population.set` of a Poisson parameter does even when the values are the same: the next
    /// resume sets every source up again (slow sources draw anew, D10).
    pub fn poisson_rates_written(&mut self, population: usize) {
        if self.tick == 0 {
            return;
        }
        for &c in &self.image.population_cores[population] {
            if let state::CoreState::Poisson(st) = &mut self.runs[c as usize].state {
                st.rates_changed = true;
            }
        }
    }

    /// Changes the image between runs (new parameters, new spike times), as the host rewrites
    /// regions before resuming. Core state (membranes, ring buffers, RNG) carries on.
    pub fn update_image(&mut self, f: impl FnOnce(&mut MachineImage) -> Result<()>) -> Result<()> {
        let mut image = self.image.clone();
        f(&mut image)?;
        if image.cores.len() != self.image.cores.len() {
            return Err(Error::Run("the network's cores changed; map it again".into()));
        }
        for ((run, old), new) in self.runs.iter_mut().zip(&self.image.cores).zip(&image.cores) {
            let kinds = (&mut run.state, &old.kind, &new.kind);
            if let (state::CoreState::Poisson(st), CoreKind::Poisson(o), CoreKind::Poisson(n)) = kinds {
                // Rewritten rates: read at start-up (tick 0) or by the next resume (D10).
                if self.tick == 0 {
                    *st = poisson::PoissonState::new(n);
                } else if o.rates != n.rates {
                    st.rates_changed = true;
                }
            }
        }
        self.image = image;
        for run in &mut self.runs {
            if let state::CoreState::SpikeArray { next } = &mut run.state {
                // The host sends the new list's spikes from the current tick on.
                *next = 0;
            }
        }
        Ok(())
    }

    /// Runs `ticks` ticks, or fewer when `progress` asks to stop; returns the ticks run. Packets
    /// sent during tick t−1 are processed at the start of tick t, before the ring drain: every
    /// delay is at least one tick, so this equals processing them during tick t−1 (docs/semantics.md §2.1) and needs
    /// one meeting of the workers per tick. The run ends by processing the packets of its last
    /// tick, so that every counter is final.
    fn run_ticks(&mut self, ticks: u32, progress: &mut dyn FnMut(u32) -> RunControl) -> u32 {
        if ticks == 0 || self.image.cores.is_empty() {
            self.tick += ticks;
            self.ticks_since_load += ticks as u64;
            return ticks;
        }
        let t0 = self.tick;
        let image = &self.image;
        let (rows, masks, table) = (&self.rows, &self.delay_src_masks, &image.routing_table);
        let words: Vec<usize> = self.rows.iter().map(|r| r.words().len() + r.plastic_ctrl().len()).collect();
        let groups = team::balance(image, &words, self.threads.min(image.cores.len()).max(1));
        let outs: team::Outboxes = image.cores.iter().map(|_| Default::default()).collect();
        let barrier = team::SpinBarrier::new(groups.len());
        let unrouted = AtomicU64::new(0);
        // The tick count at which every worker stops: set by the reporting worker during tick k to
        // k + 1, read by all after the barrier of tick k, so that all stop after the same tick.
        let end = AtomicU32::new(ticks);
        let mut rest: &mut [CoreRun] = &mut self.runs;
        let mut parts = Vec::with_capacity(groups.len());
        for g in &groups {
            let (mine, others) = rest.split_at_mut(g.len());
            parts.push((g.clone(), mine));
            rest = others;
        }
        let work = |range: std::ops::Range<usize>,
                    mine: &mut [CoreRun],
                    mut report: Option<&mut dyn FnMut(u32) -> RunControl>| {
            let _guard = barrier.guard();
            let mut k = 0;
            while k < end.load(Ordering::Acquire) {
                if let Some(r) = report.as_mut() {
                    if r(k).is_break() {
                        end.store(k + 1, Ordering::Release);
                    }
                }
                let t = t0 + k;
                for (c, run) in range.clone().zip(mine.iter_mut()) {
                    let core = &image.cores[c];
                    if !run.inbox.is_empty() {
                        deliver(core, &rows[c], masks[c], run, t.wrapping_sub(1));
                    }
                    timer(core, run, t);
                    team::publish(run, &outs[c], t);
                }
                barrier.wait();
                let lost = spike_route::spike_route(table, &outs, t, range.clone(), mine);
                unrouted.fetch_add(lost, Ordering::Relaxed);
                k += 1;
            }
            let last = t0 + k - 1;
            for (c, run) in range.zip(mine.iter_mut()) {
                if !run.inbox.is_empty() {
                    deliver(&image.cores[c], &rows[c], masks[c], run, last);
                }
            }
        };
        std::thread::scope(|scope| {
            let mut parts = parts.into_iter();
            let Some(first) = parts.next() else { return };
            for (range, mine) in parts {
                scope.spawn(|| work(range, mine, None));
            }
            // The calling thread reports the progress of its group.
            work(first.0, first.1, Some(progress));
        });
        let done = end.into_inner();
        self.tick += done;
        self.ticks_since_load += done as u64;
        self.unrouted_packets += unrouted.into_inner();
        done
    }
}

/// Timer and background of a core at tick `t`: ring drain and neuron update, sources, delay sends.
fn timer(core: &Core, run: &mut CoreRun, t: u32) {
    match &core.kind {
        CoreKind::Neuron(nc) => {
            if let state::CoreState::Neuron(s) = &mut run.state {
                ring_drain::ring_drain(nc, s, t);
            }
            neuron_update::neuron_update(core, nc, run, t);
        }
        CoreKind::SpikeArray(sa) => spike_source::spike_array(core, sa, run, t),
        CoreKind::Delay(dc) => delay_extension::delay_send(core, dc, run, t),
        CoreKind::Poisson(pc) => poisson::poisson(core, pc, run, t),
    }
}

/// Packets that arrived at a core during tick `t`: rows into ring buffers, counts into delay slots.
fn deliver(core: &Core, rows: &synapse_rows::CompactMatrix, src_mask: u32, run: &mut CoreRun, t: u32) {
    match &core.kind {
        CoreKind::Neuron(nc) => synapse_rows::synapse_rows(nc, rows, run, t),
        CoreKind::Delay(_) => delay_extension::delay_receive(core, run, t, src_mask),
        _ => run.inbox.clear(),
    }
}

impl CpuEngine {
    /// What the binaries do when a run starts or resumes, before its first tick.
    pub(crate) fn begin_run(&mut self, ticks: u32) -> Result<()> {
        if self.tick.checked_add(ticks).is_none() {
            return Err(Error::Run(format!("{ticks} more ticks would pass the 2^32 tick limit")));
        }
        // Every run() resumes the binaries, which reload the current-source state.
        for (run, core) in self.runs.iter_mut().zip(&self.image.cores) {
            run.step_sources.iter_mut().for_each(|s| *s = (0, 0));
            record::reserve_samples(core, run, self.tick, ticks);
        }
        // A resume (not a start-up or a reset) re-reads the Poisson rates (D10).
        if self.tick > 0 && ticks > 0 {
            for (run, core) in self.runs.iter_mut().zip(&self.image.cores) {
                if let (state::CoreState::Poisson(st), CoreKind::Poisson(pc)) = (&mut run.state, &core.kind) {
                    let changed = std::mem::take(&mut st.rates_changed);
                    st.resume(pc, self.tick, changed);
                }
            }
        }
        Ok(())
    }

    /// Counts `ticks` ticks run by another engine on this engine's state.
    pub(crate) fn advance(&mut self, ticks: u32) {
        self.tick += ticks;
        self.ticks_since_load += ticks as u64;
    }
}

impl Engine for CpuEngine {
    fn run_with_progress(&mut self, ticks: u32, progress: &mut dyn FnMut(u32) -> RunControl) -> Result<u32> {
        self.begin_run(ticks)?;
        let done = self.run_ticks(ticks, progress);
        // The last report: its answer no longer matters, the run is over.
        let _ = progress(done);
        Ok(done)
    }

    fn reset(&mut self) {
        let rec = self.recordings();
        self.finished = rec;
        self.segment += 1;
        self.tick = 0;
        let fresh: Vec<CoreRun> =
            self.image.cores.iter().zip(&self.rows).map(|(c, r)| CoreRun::loaded(c, r, self.segment)).collect();
        let old = std::mem::replace(&mut self.runs, fresh);
        // With STDP, sPyNNaker regenerates the data and reloads the binaries whatever the mode
        // (docs/stdp.md §8, docs/decisions.md D12): fresh weights, headers, histories and colours.
        let stdp = self.image.cores.iter().any(|c| matches!(&c.kind, CoreKind::Neuron(nc) if nc.stdp.is_some()));
        if stdp && self.reset_mode == ResetMode::Soft {
            let msg =
                "reset of a network with STDP synapses: sPyNNaker 7.4.1 reloads it (initial weights, empty post-spike \
                       histories, fresh colour counters and delay extensions), so the soft reset acts as a Reload \
                       (docs/decisions.md D12)";
            if !self.warnings.iter().any(|w| w == msg) {
                self.warnings.push(msg.to_string());
            }
        }
        if self.reset_mode == ResetMode::Reload || stdp {
            self.ticks_since_load = 0;
            return;
        }
        // The binaries keep running: colour counters and delay-extension slots survive (D5, D8).
        for (new, old) in self.runs.iter_mut().zip(old) {
            match (&mut new.state, old.state) {
                (state::CoreState::Neuron(n), state::CoreState::Neuron(o)) => n.colour = o.colour,
                (state::CoreState::Delay { counters, .. }, state::CoreState::Delay { counters: c, .. }) => {
                    *counters = c
                }
                _ => {}
            }
        }
        let offset = self.ticks_since_load % 16;
        // Only spikes sent by neuron cores carry the drifting colour.
        let neurons_send = self.image.cores.iter().any(|c| matches!(&c.kind, CoreKind::Neuron(nc) if nc.sends));
        if offset != 0 && neurons_send {
            self.warnings.push(format!(
                "reset after {} ticks (not a multiple of 16): as on SpiNNaker, spikes between neuron populations now arrive \
                 {} ticks early or are skipped, and delayed spikes late; reset in Reload mode for a fresh start",
                self.ticks_since_load,
                (16 - offset) % 16
            ));
        }
    }

    fn tick(&self) -> u32 {
        self.tick
    }

    fn recordings(&self) -> Recordings {
        let mut r = self.finished.clone();
        for run in &self.runs {
            if let Some(s) = &run.spikes {
                r.spikes.push(s.clone());
            }
            r.sampled.extend(run.sampled.iter().cloned());
        }
        r
    }

    fn provenance(&self) -> Vec<Provenance> {
        self.runs.iter().map(|r| r.prov.clone()).collect()
    }
}
