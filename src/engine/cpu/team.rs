//! The workers of a run: a fixed set of threads, each owning a contiguous, balanced group of cores
//! for the whole run, meeting once per tick at a spinning barrier. Packets are gathered by each
//! worker for its own cores from every core's outbox, in core order, so the result does not depend
//! on the number of threads.

use crate::machine::state::{CoreRun, Packet};
use crate::mapping::{CoreKind, MachineImage};
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// A barrier that spins, then yields; never parks (waking a parked thread costs about a tick).
/// A worker that panics breaks it (see [`SpinBarrier::guard`]): the others then panic too
/// instead of waiting for ever, and the panic reaches the caller of the run.
pub struct SpinBarrier {
    n: usize,
    count: AtomicUsize,
    generation: AtomicUsize,
    broken: AtomicBool,
}

/// Breaks its barrier when dropped during a panic.
pub struct BarrierGuard<'a>(&'a SpinBarrier);

impl Drop for BarrierGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.broken.store(true, Ordering::Release);
        }
    }
}

impl SpinBarrier {
    pub fn new(n: usize) -> Self {
        SpinBarrier { n, count: AtomicUsize::new(0), generation: AtomicUsize::new(0), broken: AtomicBool::new(false) }
    }

    /// Held by a worker for its whole run: its panic breaks the barrier.
    pub fn guard(&self) -> BarrierGuard<'_> {
        BarrierGuard(self)
    }

    pub fn wait(&self) {
        let generation = self.generation.load(Ordering::Acquire);
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            self.count.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
            return;
        }
        let mut spins = 0u32;
        while self.generation.load(Ordering::Acquire) == generation {
            if self.broken.load(Ordering::Acquire) {
                panic!("another worker of the run panicked");
            }
            if spins < 20_000 {
                std::hint::spin_loop();
                spins += 1;
            } else {
                std::thread::yield_now();
            }
        }
    }
}

/// Splits the cores into `threads` contiguous groups of about equal work: neurons, sources, and
/// the synaptic words of each core (`synaptic_words`, one per core), weighted 1/64 of a word
/// each (measured on the microcircuit at scale 0.3, 2 threads: 1/32 to 1/64 gave 1.4× the events
/// per second of neurons alone; 1/4 and 1/256 less; docs/performance.md).
pub fn balance(image: &MachineImage, synaptic_words: &[usize], threads: usize) -> Vec<Range<usize>> {
    let weight = |k: &CoreKind, n: u32| -> u64 {
        match k {
            CoreKind::Neuron(_) => 4 * n as u64 + 64,
            CoreKind::Poisson(_) => 2 * n as u64 + 64,
            CoreKind::SpikeArray(_) | CoreKind::Delay(_) => n as u64 / 4 + 64,
        }
    };
    let w: Vec<u64> =
        image.cores.iter().zip(synaptic_words).map(|(c, &sw)| weight(&c.kind, c.n_atoms) + sw as u64 / 64).collect();
    let total: u64 = w.iter().sum();
    let mut groups = Vec::with_capacity(threads);
    let (mut start, mut acc) = (0usize, 0u64);
    for (i, &wi) in w.iter().enumerate() {
        acc += wi;
        let target = total * (groups.len() as u64 + 1) / threads as u64;
        let left = w.len() - i - 1;
        let groups_left = threads - groups.len() - 1;
        if groups.len() + 1 < threads && (acc >= target || left == groups_left) {
            groups.push(start..i + 1);
            start = i + 1;
        }
    }
    groups.push(start..w.len());
    groups.retain(|g| !g.is_empty());
    groups
}

/// Per core, its outbox of the last two ticks (by tick parity), shared between workers.
pub type Outboxes = Vec<[Mutex<Vec<Packet>>; 2]>;

/// Moves a core's packets of tick `t` to the shared outbox of that tick's parity.
pub fn publish(run: &mut CoreRun, outs: &[Mutex<Vec<Packet>>; 2], t: u32) {
    let mut o = outs[(t & 1) as usize].lock().expect("an outbox lock");
    o.clear();
    std::mem::swap(&mut run.outbox, &mut *o);
}
