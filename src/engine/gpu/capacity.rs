//! What a batch of instances of one network needs of a device, and whether it fits: the bytes of
//! every buffer, the chunks of the synaptic words and ring buffers, and the row jobs an instance
//! can queue in a tick, held to the device's limits (one storage binding, the z dimension of a
//! dispatch, 32-bit indices) and to the memory the engine may use. The engine sizes its buffers
//! from it ([`plan`]), and `GpuEngine::batch_capacity` asks it how many instances fit.

use super::device::GpuContext;
use super::layout::{
    BatchCore, CoreInfo, NeuronParams, PoissonSource, RowJob, Sizes, StaticImage, CONTROL_WORDS, CORE_STATE_WORDS,
    JOB_WORDS, POST_WORDS, PROV_WORDS,
};
use super::{record, shaders, GpuOptions};
use crate::error::{Error, Result};
use std::mem::size_of;

/// The group-0 bindings of the module (`shaders::BINDINGS`, where their numbers are written).
pub const BINDINGS: usize = shaders::BINDINGS.len();
pub const B_CORES: usize = shaders::binding_of("cores");
pub const B_PARAMS: usize = shaders::binding_of("params");
pub const B_TABLES: usize = shaders::binding_of("tables");
pub const B_SPIKE_TIMES: usize = shaders::binding_of("spike_times");
pub const B_ROW_START: usize = shaders::binding_of("row_start");
pub const B_WORDS: usize = shaders::binding_of("words0");
pub const B_BATCH: usize = shaders::binding_of("batch");
pub const B_STATE: usize = shaders::binding_of("state");
pub const B_RING: usize = shaders::binding_of("ring0");
pub const B_CORE_STATE: usize = shaders::binding_of("core_state");
pub const B_PROV: usize = shaders::binding_of("prov");
pub const B_STEPS: usize = shaders::binding_of("step_state");
pub const B_DELAY: usize = shaders::binding_of("delay_counters");
pub const B_POISSON: usize = shaders::binding_of("poisson");
pub const B_RNG: usize = shaders::binding_of("rng");
pub const B_SLOTS: usize = shaders::binding_of("slots");
pub const B_JOBS: usize = shaders::binding_of("jobs");
pub const B_CONTROL: usize = shaders::binding_of("control");
pub const B_RECORD: usize = shaders::binding_of("record");
pub const B_PLASTIC: usize = shaders::binding_of("plastic");
pub const B_POST: usize = shaders::binding_of("post_hist");
pub const B_PLASTIC_STATIC: usize = shaders::binding_of("plastic_static");
pub const B_TALLY: usize = shaders::binding_of("tally");

/// The bytes of a buffer holding `bytes` of data: at least 256, a whole number of words.
pub fn padded(bytes: u64) -> u64 {
    bytes.max(256).next_multiple_of(4)
}

/// The bytes of a state buffer of `words` words (at least 64 words).
pub fn state_bytes(words: u64) -> u64 {
    words.max(64) * 4
}

fn log2_floor(x: u64) -> u32 {
    63 - x.max(1).leading_zeros()
}

/// A batch's layout on a device: its sizes (the uniform of the shaders) and the bytes of each
/// buffer it holds, by binding (the recording buffer at its largest, and the staging copies of a
/// read-back counted in `staging`).
pub struct Plan {
    pub sizes: Sizes,
    pub buffers: Vec<(usize, u64)>,
    pub staging: u64,
}

impl Plan {
    /// Bytes of device memory the batch may hold at once.
    pub fn total_bytes(&self) -> u64 {
        self.buffers.iter().map(|b| b.1).sum::<u64>() + self.staging
    }
}

/// Words of each buffer of the state, for all the instances of a batch of sizes `s` (the ring
/// buffers in their two chunks).
pub fn state_words(s: &Sizes) -> [(usize, u64); 15] {
    let n = s.n_instances as u64;
    let ring_chunk = 1u64 << s.ring_chunk_log2;
    let n_ring = n * s.n_ring as u64;
    [
        (B_STATE, n * s.n_neurons as u64 * 6),
        (B_RING, n_ring.min(ring_chunk)),
        (B_RING + 1, n_ring.saturating_sub(ring_chunk)),
        (B_CORE_STATE, n * s.n_cores as u64 * CORE_STATE_WORDS as u64),
        (B_PROV, n * s.n_cores as u64 * PROV_WORDS as u64),
        (B_STEPS, n * s.n_steps as u64 * 2),
        (B_DELAY, n * s.n_delay_counters as u64),
        (B_POISSON, n * s.n_poisson as u64 * (size_of::<PoissonSource>() / 4) as u64),
        (B_RNG, n * s.n_cores as u64 * 4),
        (B_SLOTS, n * s.n_slots as u64),
        (B_JOBS, n * s.job_capacity as u64 * (size_of::<RowJob>() / 4) as u64),
        (B_CONTROL, n * CONTROL_WORDS as u64),
        (B_PLASTIC, n * s.n_plastic as u64),
        (B_POST, n * s.n_post as u64 * POST_WORDS as u64),
        (B_TALLY, n * s.n_tallies as u64 * crate::record::TALLY_WORDS as u64),
    ]
}

/// The log2 of the chunks of `total` elements split over `chunks` bindings: forced, or the
/// largest a binding holds; an error when they do not fit.
pub fn chunk_log2(ctx: &GpuContext, forced: Option<u32>, total: u64, chunks: u64, what: &str) -> Result<u32> {
    let max_binding = ctx.limits.max_storage_buffer_binding_size;
    let log2 = forced.unwrap_or_else(|| log2_floor(max_binding / 4).min(31));
    // The shaders index a chunk with 32-bit shifts and masks.
    if log2 > 31 {
        return Err(Error::Run(format!(
            "chunks of 2^{log2} {what} are more than the GPU engine addresses (2^31 at most)"
        )));
    }
    if total > chunks << log2 {
        return Err(Error::Run(format!(
            "the network has {total} {what}; the GPU engine holds at most {} ({chunks} chunks of 2^{log2})",
            chunks << log2
        )));
    }
    if total > u32::MAX as u64 {
        return Err(Error::Run(format!("{total} {what} are more than the GPU engine indexes (2^32 - 1)")));
    }
    Ok(log2)
}

/// " (a batch of n instances)" for n > 1: how a message names the batch.
fn of_batch(n: u32) -> String {
    if n > 1 {
        format!(" (a batch of {n} instances)")
    } else {
        String::new()
    }
}

/// The sizes of a batch of `n` instances of `img`'s shape, with the synaptic words laid out per
/// instance or shared: chunks and row-job capacity chosen (or forced by `options`) and checked.
/// `img` is one machine's image or a batch's: only its per-instance sizes and the lengths of its
/// shared parts are read.
fn batch_sizes(ctx: &GpuContext, img: &StaticImage, n: u32, words_per_instance: bool, o: &GpuOptions) -> Result<Sizes> {
    let most_z = ctx.limits.max_compute_workgroups_per_dimension;
    if n == 0 || n > most_z {
        return Err(Error::Run(format!(
            "a batch of {n} instances: the GPU engine runs 1 to {most_z} instances on adapter `{}` (its dispatches \
             have one layer of workgroups per instance)",
            ctx.adapter.name
        )));
    }
    let mut s = img.sizes;
    s.n_instances = n;
    s.word_stride = if words_per_instance { img.n_words as u32 } else { 0 };
    let words = img.n_words * if words_per_instance { n as u64 } else { 1 };
    s.words_chunk_log2 = chunk_log2(ctx, o.words_chunk_log2, words, 4, "synaptic words")?;
    s.ring_chunk_log2 = chunk_log2(ctx, o.ring_chunk_log2, n as u64 * s.n_ring as u64, 2, "ring-buffer entries")?;
    // Room for the row jobs of a busy tick of an instance: a 32nd of all rows firing at once. A
    // tick with more queues what fits and spike_route makes the other adds itself (same result).
    let rows = img.row_start.len() as u64;
    let busy = rows / 32 + img.n_words / (32 * JOB_WORDS as u64) + 4096;
    let fits = ctx.limits.max_storage_buffer_binding_size / size_of::<RowJob>() as u64 / n as u64;
    s.job_capacity = o.job_capacity.unwrap_or(busy.min(fits).min(1 << 22) as u32).max(1);
    Ok(s)
}

/// The bytes of each buffer of the image, the words' chunks and the recording buffer of a batch of sizes `s`.
fn image_buffers(ctx: &GpuContext, img: &StaticImage, s: &Sizes, o: &GpuOptions) -> Vec<(usize, u64)> {
    let n = s.n_instances as u64;
    let mut b = vec![
        (B_CORES, padded(img.cores.len() as u64 * size_of::<CoreInfo>() as u64)),
        (B_PARAMS, padded(n * s.n_neurons as u64 * size_of::<NeuronParams>() as u64)),
        (B_TABLES, padded(4 * (s.values_offset as u64 + n * s.n_values as u64))),
        (B_SPIKE_TIMES, padded(n * s.n_spike_times as u64 * 8)),
        (B_ROW_START, padded(4 * img.row_start.len() as u64)),
        (B_PLASTIC_STATIC, padded(4 * img.plastic_static.len() as u64)),
        (B_BATCH, padded(img.cores.len() as u64 * size_of::<BatchCore>() as u64)),
    ];
    let words = img.n_words * if s.word_stride == 0 { 1 } else { n };
    let chunk = 1u64 << s.words_chunk_log2;
    for k in 0..4 {
        b.push((B_WORDS + k, padded(4 * words.saturating_sub(k as u64 * chunk).min(chunk))));
    }
    // The recording buffer grows to what the longest batch records, within its binding.
    let most_ticks = o.max_batch_ticks.unwrap_or(1000).max(1) as u64;
    let record = (record::tick_record_words(img) * most_ticks * n).clamp(1024, record::max_record_words(ctx).max(1024));
    b.push((B_RECORD, 4 * record));
    b
}

/// The layout of a batch of `n` instances of `img`'s shape on the device of `ctx`, or an error
/// naming what does not fit: a buffer past one storage binding, the recording of one tick, or the
/// memory the engine may use (`options.memory_budget`, else [`GpuContext::memory_budget`]).
pub fn plan(ctx: &GpuContext, img: &StaticImage, n: u32, words_per_instance: bool, o: &GpuOptions) -> Result<Plan> {
    let s = batch_sizes(ctx, img, n, words_per_instance, o)?;
    let mut buffers = image_buffers(ctx, img, &s, o);
    let state = state_words(&s);
    buffers.extend(state.iter().map(|&(b, w)| (b, state_bytes(w))));
    let max_binding = ctx.limits.max_storage_buffer_binding_size;
    for &(b, bytes) in &buffers {
        if bytes > max_binding {
            return Err(Error::Run(format!(
                "the GPU buffer `{}` needs {bytes} bytes{}, more than the {max_binding} bytes one storage binding of \
                 adapter `{}` may hold; the network is too large for this device",
                shaders::BINDINGS[b].what,
                of_batch(n),
                ctx.adapter.name
            )));
        }
    }
    let tick_words = record::tick_record_words(img) * n as u64;
    if tick_words > record::max_record_words(ctx) {
        return Err(Error::Run(format!(
            "one tick of recording needs {tick_words} words{}, more than the recording buffer of adapter `{}` holds",
            of_batch(n),
            ctx.adapter.name
        )));
    }
    // A read-back copies the state, or a batch's recordings, to a staging buffer.
    let record = buffers.iter().find(|b| b.0 == B_RECORD).map_or(0, |b| b.1);
    let staging = state.iter().map(|&(_, w)| 4 * w).sum::<u64>().max(record);
    let plan = Plan { sizes: s, buffers, staging };
    if let Some(budget) = o.memory_budget.or_else(|| ctx.memory_budget()) {
        if plan.total_bytes() > budget {
            return Err(Error::Run(format!(
                "the GPU engine needs {} bytes of device memory{}, more than the {budget} bytes it may use on adapter \
                 `{}`",
                plan.total_bytes(),
                of_batch(n),
                ctx.adapter.name
            )));
        }
    }
    Ok(plan)
}

/// The most instances of `img`'s shape (one machine's image, its synaptic words laid out per
/// instance) that one batch holds on the device of `ctx`; the error of a single instance when
/// not even one fits.
pub fn most_instances(ctx: &GpuContext, img: &StaticImage, o: &GpuOptions) -> Result<u32> {
    plan(ctx, img, 1, true, o)?;
    // Whether n instances fit only gets harder with n: the largest that does, by bisection.
    let (mut lo, mut hi) = (1u32, ctx.limits.max_compute_workgroups_per_dimension.max(1));
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if plan(ctx, img, mid, true, o).is_ok() {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(lo)
}
