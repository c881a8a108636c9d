//! Recordings of a batch of ticks: where each core writes them on the GPU, and how they are
//! read back into the machine's recording buffers (the functions of `machine::recording` then
//! apply the recording period and selection, so both engines record alike).

use super::device::GpuContext;
use super::layout::{BatchCore, StaticImage, KIND_NEURON, KIND_POISSON, KIND_SPIKE_ARRAY, REC_TALLIED};
use crate::error::{Error, Result};
use crate::machine::recording::{record_spike, record_spike_counts};
use crate::machine::Machine;

/// One submission's ticks and its recording layout (the same for every instance of a batch of
/// machines, each instance's recordings following the one before).
pub struct Batch {
    pub t0: u32,
    pub ticks: u32,
    pub table: Vec<BatchCore>,
    /// The recording words of one instance.
    pub record_words: u64,
}

fn layout(img: &StaticImage, t0: u32, n: u32) -> (Vec<BatchCore>, u64) {
    let mut off = 0u64;
    let mut table = Vec::with_capacity(img.cores.len());
    for c in &img.cores {
        let mut b = BatchCore::default();
        // A core that tallies its spikes writes no spike bitfields.
        if c.rec_flags & 1 != 0 && c.rec_flags & (1 << REC_TALLIED) == 0 {
            if c.kind == KIND_POISSON {
                b.poisson = off as u32;
                off += n as u64 * c.n_atoms as u64;
            } else {
                b.spikes = off as u32;
                off += n as u64 * c.rec_ncols[0].div_ceil(32) as u64;
            }
        }
        if c.kind == KIND_NEURON {
            for k in 0..3 {
                if c.rec_flags & (2 << k) != 0 {
                    let (first, count) = crate::mapping::sampling_ticks(t0, n, c.rec_rate[k + 1]);
                    b.samples[k] = off as u32;
                    b.first_sample[k] = first;
                    off += count * c.rec_ncols[k + 1] as u64;
                }
            }
        }
        table.push(b);
    }
    (table, off)
}

/// The recording words the recording buffer holds at most, for all the instances of a batch.
pub fn max_record_words(ctx: &GpuContext) -> u64 {
    (ctx.limits.max_storage_buffer_binding_size / 4).min(16 << 20)
}

/// The recording words of one tick of one instance at most (the first tick of a batch may
/// sample every variable).
pub fn tick_record_words(img: &StaticImage) -> u64 {
    layout(img, 0, 1).1
}

/// The next batch from tick `t0`: at most `most` ticks, as many as the recording buffer allows
/// for the image's instances.
pub fn plan(img: &StaticImage, t0: u32, most: u32, ctx: &GpuContext) -> Result<Batch> {
    let max_words = max_record_words(ctx);
    let instances = img.sizes.n_instances.max(1) as u64;
    let mut n = most.max(1);
    loop {
        let (table, words) = layout(img, t0, n);
        if words * instances <= max_words || n == 1 {
            if words * instances > max_words || words * instances >= u32::MAX as u64 {
                return Err(Error::Run(format!(
                    "one tick of recording needs {words} words for each of {instances} instances, more than a GPU \
                     buffer holds"
                )));
            }
            return Ok(Batch { t0, ticks: n, table, record_words: words });
        }
        n = n.div_ceil(2);
    }
}

/// Moves a batch's recordings of one instance (`words`, its part of the recording buffer) into
/// the machine's recording buffers.
pub fn decode(machine: &mut Machine, img: &StaticImage, batch: &Batch, words: &[u32]) {
    let Machine { image, runs, .. } = machine;
    for (ci, (info, b)) in img.cores.iter().zip(&batch.table).enumerate() {
        if info.rec_flags == 0 {
            continue;
        }
        let core = &image.cores[ci];
        let run = &mut runs[ci];
        let rec = &core.recording;
        let bitfields = info.rec_flags & (1 << REC_TALLIED) == 0;
        if let Some(spec) = rec.spikes.as_ref().filter(|_| bitfields) {
            if info.kind == KIND_POISSON {
                let n = info.n_atoms as usize;
                let mut counts = Vec::new();
                for k in 0..batch.ticks as usize {
                    let at = b.poisson as usize + k * n;
                    counts.clear();
                    counts.extend(
                        words[at..at + n].iter().enumerate().filter(|(_, &c)| c > 0).map(|(i, &c)| (i as u32, c)),
                    );
                    if !counts.is_empty() {
                        record_spike_counts(run, &counts, core.lo_atom, batch.t0 + k as u32);
                    }
                }
            } else if info.kind == KIND_NEURON || info.kind == KIND_SPIKE_ARRAY {
                let wpt = info.rec_ncols[0].div_ceil(32) as usize;
                let mut spiked = Vec::new();
                for k in 0..batch.ticks as usize {
                    let at = b.spikes as usize + k * wpt;
                    spiked.clear();
                    for (w, &bits) in words[at..at + wpt].iter().enumerate() {
                        let mut bits = bits;
                        while bits != 0 {
                            let col = w * 32 + bits.trailing_zeros() as usize;
                            spiked.push(spec.neurons[col]);
                            bits &= bits - 1;
                        }
                    }
                    record_spike(run, spec, &spiked, core.lo_atom, batch.t0 + k as u32);
                }
            }
        }
        if info.kind != KIND_NEURON {
            continue;
        }
        for (k, (name, spec)) in
            [("v", &rec.v), ("gsyn_exc", &rec.gsyn_exc), ("gsyn_inh", &rec.gsyn_inh)].into_iter().enumerate()
        {
            let Some(spec) = spec else { continue };
            let Some(r) = run.sampled.iter_mut().find(|r| r.variable == name) else { continue };
            let ncols = spec.neurons.len();
            let (first, count) = spec.sample_ticks(batch.t0, batch.ticks);
            for s in 0..count as usize {
                r.ticks.push((first as usize + s) as u32 * spec.rate.max(1));
                let at = b.samples[k] as usize + s * ncols;
                r.values.extend(words[at..at + ncols].iter().map(|&w| w as i32));
            }
        }
    }
}
