//! The CPU reference engine: the tick of docs/semantics.md §2.1, parallel over cores on a team of scoped worker
//! threads. Results do not depend on the number of threads: every core owns its state, and packets are routed in
//! core order.

mod delay_extension;
mod neuron_update;
mod poisson;
mod ring_drain;
mod spike_route;
mod spike_source;
mod stdp;
mod synapse_rows;
mod team;

use super::{Backend, Engine, RunControl};
use crate::error::{Error, Result};
use crate::machine::rows::CompactMatrix;
use crate::machine::state::{CoreRun, CoreState};
use crate::machine::Machine;
use crate::mapping::{Core, CoreKind};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// The CPU engine: a team of worker threads, each advancing a share of the cores.
#[derive(Clone, Debug)]
pub struct CpuEngine {
    /// Worker threads of a run.
    threads: usize,
}

impl CpuEngine {
    /// A team of `threads` workers (`None`: one per core of the machine running it).
    pub fn new(threads: Option<usize>) -> Result<Self> {
        let threads = match threads {
            Some(0) => return Err(Error::Run("the number of threads must be at least 1".into())),
            Some(n) => n,
            None => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        };
        Ok(CpuEngine { threads })
    }

    /// Worker threads of a run.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `ticks` ticks, or fewer when `progress` asks to stop; returns the ticks run. Packets
    /// sent during tick t−1 are processed at the start of tick t, before the ring drain: every
    /// delay is at least one tick, so this equals processing them during tick t−1 (docs/semantics.md §2.1) and needs
    /// one meeting of the workers per tick. The run ends by processing the packets of its last
    /// tick, so that every counter is final.
    fn run_ticks(&self, m: &mut Machine, ticks: u32, progress: &mut dyn FnMut(u32) -> RunControl) -> u32 {
        if ticks == 0 || m.image.cores.is_empty() {
            m.ticks_run(ticks);
            return ticks;
        }
        let t0 = m.tick;
        let image = &m.image;
        let (rows, masks, table) = (&m.rows, &m.delay_src_masks, &image.routing_table);
        let words: Vec<usize> = m.rows.iter().map(|r| r.words().len() + r.plastic_ctrl().len()).collect();
        let groups = team::balance(image, &words, self.threads.min(image.cores.len()).max(1));
        let outs: team::Outboxes = image.cores.iter().map(|_| Default::default()).collect();
        let barrier = team::SpinBarrier::new(groups.len());
        let unrouted = AtomicU64::new(0);
        // The tick count at which every worker stops: set by the reporting worker during tick k to
        // k + 1, read by all after the barrier of tick k, so that all stop after the same tick.
        let end = AtomicU32::new(ticks);
        let mut rest: &mut [CoreRun] = &mut m.runs;
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
        m.ticks_run(done);
        m.unrouted_packets += unrouted.into_inner();
        done
    }
}

/// Timer and background of a core at tick `t`: ring drain and neuron update, sources, delay sends.
fn timer(core: &Core, run: &mut CoreRun, t: u32) {
    match &core.kind {
        CoreKind::Neuron(nc) => {
            if let CoreState::Neuron(s) = &mut run.state {
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
fn deliver(core: &Core, rows: &CompactMatrix, src_mask: u32, run: &mut CoreRun, t: u32) {
    match &core.kind {
        CoreKind::Neuron(nc) => synapse_rows::synapse_rows(nc, rows, run, t),
        CoreKind::Delay(_) => delay_extension::delay_receive(core, run, t, src_mask),
        _ => run.inbox.clear(),
    }
}

impl Engine for CpuEngine {
    fn advance(
        &mut self,
        machine: &mut Machine,
        ticks: u32,
        progress: &mut dyn FnMut(u32) -> RunControl,
    ) -> Result<u32> {
        Ok(self.run_ticks(machine, ticks, progress))
    }

    fn backend(&self) -> Backend {
        Backend::Cpu
    }
}
