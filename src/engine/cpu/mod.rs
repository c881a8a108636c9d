//! The CPU reference engine: the tick of §2.1, parallel over cores with rayon. Results do not
//! depend on the number of threads: every core owns its state, and packets are routed in core order.

mod delay_extension;
mod neuron_update;
mod poisson;
mod record;
mod ring_drain;
mod spike_route;
mod spike_source;
mod state;
mod synapse_rows;

pub use spike_route::route_of;
pub use synapse_rows::pop_table_lookup;

use super::{Engine, Provenance, ResetMode};
use crate::error::{Error, Result};
use crate::mapping::{CoreKind, MachineImage};
use crate::record::Recordings;
use rayon::prelude::*;
use state::CoreRun;

/// The CPU engine over one machine image.
pub struct CpuEngine {
    image: MachineImage,
    runs: Vec<CoreRun>,
    /// For each delay core, the mask of the pre-synaptic core it mirrors.
    delay_src_masks: Vec<u32>,
    tick: u32,
    segment: u32,
    finished: Recordings,
    pool: Option<rayon::ThreadPool>,
    /// Packets whose key matched no routing entry.
    pub unrouted_packets: u64,
    reset_mode: ResetMode,
    /// Ticks run since the cores were (re)loaded.
    ticks_since_load: u64,
    warnings: Vec<String>,
}

impl CpuEngine {
    /// An engine on the global rayon pool.
    pub fn new(image: MachineImage) -> Result<Self> {
        Self::with_threads(image, None)
    }

    /// An engine with its own pool of `threads` threads (`None`: rayon's global pool).
    pub fn with_threads(image: MachineImage, threads: Option<usize>) -> Result<Self> {
        let pool = match threads {
            Some(n) => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .map_err(|e| Error::Run(format!("cannot start {n} threads: {e}")))?,
            ),
            None => None,
        };
        let delay_src_masks = image
            .cores
            .iter()
            .map(|c| match c.kind {
                CoreKind::Delay(_) => {
                    let cores = &image.population_cores[c.population];
                    cores.iter().map(|&i| &image.cores[i as usize]).find(|s| s.lo_atom == c.lo_atom).map(|s| s.mask).unwrap_or(0)
                }
                _ => 0,
            })
            .collect();
        let runs = image.cores.iter().map(|c| CoreRun::new(c, 0)).collect();
        Ok(CpuEngine {
            image,
            runs,
            delay_src_masks,
            tick: 0,
            segment: 0,
            finished: Recordings::default(),
            pool,
            unrouted_packets: 0,
            reset_mode: ResetMode::default(),
            ticks_since_load: 0,
            warnings: Vec::new(),
        })
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

    /// Changes the image between runs (new parameters, new spike times), as the host rewrites
    /// regions before resuming. Core state (membranes, ring buffers, RNG) carries on.
    pub fn update_image(&mut self, f: impl FnOnce(&mut MachineImage) -> Result<()>) -> Result<()> {
        let mut image = self.image.clone();
        f(&mut image)?;
        if image.cores.len() != self.image.cores.len() {
            return Err(Error::Run("the network's cores changed; map it again".into()));
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

    fn step(&mut self) {
        let t = self.tick;
        let image = &self.image;
        // Timer and background of every core: ring drain and neuron update, sources, delay sends.
        self.runs.par_iter_mut().zip(image.cores.par_iter()).for_each(|(run, core)| match &core.kind {
            CoreKind::Neuron(nc) => {
                if let state::CoreState::Neuron(s) = &mut run.state {
                    ring_drain::ring_drain(nc, s, t);
                }
                neuron_update::neuron_update(core, nc, run, t);
            }
            CoreKind::SpikeArray(sa) => spike_source::spike_array(core, sa, run, t),
            CoreKind::Delay(dc) => delay_extension::delay_send(core, dc, run, t),
            CoreKind::Poisson(pc) => poisson::poisson(core, pc, run, t),
        });
        self.unrouted_packets += spike_route::spike_route(&image.routing_table, &mut self.runs);
        // Packets arriving during the tick: rows into ring buffers, counts into delay slots.
        let masks = &self.delay_src_masks;
        self.runs.par_iter_mut().zip(image.cores.par_iter()).zip(masks.par_iter()).for_each(|((run, core), &m)| {
            if run.inbox.is_empty() {
                return;
            }
            match &core.kind {
                CoreKind::Neuron(nc) => synapse_rows::synapse_rows(nc, run, t),
                CoreKind::Delay(_) => delay_extension::delay_receive(core, run, t, m),
                _ => run.inbox.clear(),
            }
        });
        self.tick += 1;
        self.ticks_since_load += 1;
    }
}

impl Engine for CpuEngine {
    fn run(&mut self, ticks: u32) -> Result<()> {
        if self.tick.checked_add(ticks).is_none() {
            return Err(Error::Run(format!("{ticks} more ticks would pass the 2^32 tick limit")));
        }
        // Every run() resumes the binaries, which reload the current-source state.
        for run in &mut self.runs {
            run.step_sources.iter_mut().for_each(|s| *s = (0, 0));
        }
        match self.pool.take() {
            Some(pool) => {
                pool.install(|| (0..ticks).for_each(|_| self.step()));
                self.pool = Some(pool);
            }
            None => (0..ticks).for_each(|_| self.step()),
        }
        Ok(())
    }

    fn reset(&mut self) {
        let rec = self.recordings();
        self.finished = rec;
        self.segment += 1;
        self.tick = 0;
        let fresh: Vec<CoreRun> = self.image.cores.iter().map(|c| CoreRun::new(c, self.segment)).collect();
        let old = std::mem::replace(&mut self.runs, fresh);
        if self.reset_mode == ResetMode::Reload {
            self.ticks_since_load = 0;
            return;
        }
        // The binaries keep running: colour counters and delay-extension slots survive (D5, D8).
        for (new, old) in self.runs.iter_mut().zip(old) {
            match (&mut new.state, old.state) {
                (state::CoreState::Neuron(n), state::CoreState::Neuron(o)) => n.colour = o.colour,
                (state::CoreState::Delay { counters, .. }, state::CoreState::Delay { counters: c, .. }) => *counters = c,
                _ => {}
            }
        }
        let offset = self.ticks_since_load % 16;
        if offset != 0 {
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
