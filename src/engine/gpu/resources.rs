//! GPU buffers, the bind groups, and the submission of batches of ticks, for the instances of
//! a batch of machines (sized by `capacity::plan`).

use super::capacity::{self, *};
use super::device::GpuContext;
use super::layout::{BatchCore, Sizes, StaticImage, CONTROL_WORDS, CTL_BATCH_START, CTL_RECORD_STRIDE};
use super::record::Batch;
use super::shaders::{self, Over};
use super::transfer::HostState;
use super::{GpuOptions, RunStats};
use crate::error::{Error, Result};
use crate::machine::Machine;
use bytemuck::Pod;
use wgpu::util::DeviceExt;

/// What each binding holds, for messages.
const NAMES: [&str; BINDINGS] = {
    let mut names = [""; BINDINGS];
    let mut i = 0;
    while i < BINDINGS {
        names[i] = shaders::BINDINGS[i].what;
        i += 1;
    }
    names
};

pub struct Resources {
    sizes: wgpu::Buffer,
    bufs: Vec<Option<wgpu::Buffer>>,
    dispatch: wgpu::Buffer,
    group0: Option<wgpu::BindGroup>,
    group1: wgpu::BindGroup,
    record_words: u64,
    /// The limit on one storage binding, in bytes.
    max_binding: u64,
}

fn pad_bytes<T: Pod>(data: &[T]) -> Vec<u8> {
    let mut b = bytemuck::cast_slice(data).to_vec();
    while b.len() < 256 || b.len() % 4 != 0 {
        b.push(0);
    }
    b
}

/// The buffer of the row jobs' indirect dispatch (its workgroup counts and the tick), and its
/// group 1.
fn indirect_dispatch(device: &wgpu::Device, layout1: &wgpu::BindGroupLayout) -> (wgpu::Buffer, wgpu::BindGroup) {
    let dispatch = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("indirect dispatch"),
        size: 16,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::INDIRECT,
        mapped_at_creation: false,
    });
    let group1 = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("indirect"),
        layout: layout1,
        entries: &[wgpu::BindGroupEntry { binding: 0, resource: dispatch.as_entire_binding() }],
    });
    (dispatch, group1)
}

/// Runs `make` with the device's allocation failures caught: an error saying that the buffers
/// of the network (or batch) do not fit the device's memory.
fn allocating<T>(ctx: &GpuContext, what: &str, make: impl FnOnce() -> Result<T>) -> Result<T> {
    let scope = ctx.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let made = make();
    match pollster::block_on(scope.pop()) {
        Some(e) => Err(Error::Run(format!(
            "the GPU adapter `{}` could not allocate the buffers of {what}: {e}; they do not fit its memory",
            ctx.adapter.name
        ))),
        None => made,
    }
}

/// " of n instances" for n > 1, for messages.
fn instances(n: u32) -> String {
    if n > 1 {
        format!("a batch of {n} instances")
    } else {
        "the network".to_string()
    }
}

impl Resources {
    /// The buffers of a batch of `machines` (one image `img`, laid out by `batch::merge`): every
    /// buffer of the image, the synaptic words included, and of the state. The pipelines are the
    /// context's ([`GpuContext::pipelines`]).
    pub fn new(ctx: &GpuContext, machines: &[&Machine], img: &StaticImage, options: &GpuOptions) -> Result<Self> {
        let device = &ctx.device;
        let (dispatch, group1) = indirect_dispatch(device, &ctx.pipelines().indirect);
        let sizes = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("sizes"),
            size: std::mem::size_of::<super::layout::Sizes>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut r = Resources {
            sizes,
            bufs: (0..BINDINGS).map(|_| None).collect(),
            dispatch,
            group0: None,
            group1,
            record_words: 0,
            max_binding: ctx.limits.max_storage_buffer_binding_size,
        };
        allocating(ctx, &instances(img.sizes.n_instances), || {
            r.write_words(ctx, machines, img, options)?;
            r.image_buffers(ctx, img, options)
        })?;
        Ok(r)
    }

    fn buffer(&self, ctx: &GpuContext, binding: usize, bytes: &[u8]) -> Result<wgpu::Buffer> {
        if bytes.len() as u64 > self.max_binding {
            return Err(Error::Run(format!(
                "the GPU buffer `{}` needs {} bytes, more than the {} bytes one storage binding of adapter `{}` may hold; \
                 the network is too large for this device",
                NAMES[binding],
                bytes.len(),
                self.max_binding,
                ctx.adapter.name
            )));
        }
        Ok(ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(NAMES[binding]),
            contents: bytes,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
        }))
    }

    /// The synaptic words of every core, back to back, split into the four chunk bindings: one
    /// set for the batch when `img.sizes.word_stride` is 0 (the instances' words are equal),
    /// otherwise each instance's after the one before.
    fn write_words(
        &mut self,
        ctx: &GpuContext,
        machines: &[&Machine],
        img: &StaticImage,
        options: &GpuOptions,
    ) -> Result<()> {
        let sets = if img.sizes.word_stride == 0 { &machines[..1] } else { machines };
        let total = img.n_words * sets.len() as u64;
        let log2 = capacity::chunk_log2(ctx, options.words_chunk_log2, total, 4, "synaptic words")?;
        let chunk = 1u64 << log2;
        let mut all = sets.iter().flat_map(|m| m.rows.iter().flat_map(|r| r.words().iter().copied()));
        for k in 0..4 {
            let n = total.saturating_sub(k as u64 * chunk).min(chunk) as usize;
            let part: Vec<u32> = all.by_ref().take(n).collect();
            self.bufs[B_WORDS + k] = Some(self.buffer(ctx, B_WORDS + k, &pad_bytes(&part))?);
        }
        Ok(())
    }

    /// (Re)creates every buffer of the image and of the state, sized for `img` (a batch's).
    pub fn write_image(&mut self, ctx: &GpuContext, img: &StaticImage, options: &GpuOptions) -> Result<()> {
        allocating(ctx, &instances(img.sizes.n_instances), || self.image_buffers(ctx, img, options))
    }

    fn image_buffers(&mut self, ctx: &GpuContext, img: &StaticImage, options: &GpuOptions) -> Result<()> {
        let n = img.sizes.n_instances;
        let plan = capacity::plan(ctx, img, n, img.sizes.word_stride != 0, options)?;
        let sizes = plan.sizes;
        ctx.queue.write_buffer(&self.sizes, 0, bytemuck::bytes_of(&sizes));
        self.bufs[B_CORES] = Some(self.buffer(ctx, B_CORES, &pad_bytes(&img.cores))?);
        self.bufs[B_PARAMS] = Some(self.buffer(ctx, B_PARAMS, &pad_bytes(&img.params))?);
        self.bufs[B_TABLES] = Some(self.buffer(ctx, B_TABLES, &pad_bytes(&img.tables))?);
        self.bufs[B_SPIKE_TIMES] = Some(self.buffer(ctx, B_SPIKE_TIMES, &pad_bytes(&img.spike_times))?);
        self.bufs[B_ROW_START] = Some(self.buffer(ctx, B_ROW_START, &pad_bytes(&img.row_start))?);
        self.bufs[B_PLASTIC_STATIC] = Some(self.buffer(ctx, B_PLASTIC_STATIC, &pad_bytes(&img.plastic_static))?);
        self.bufs[B_BATCH] =
            Some(self.buffer(ctx, B_BATCH, &pad_bytes(&vec![BatchCore::default(); img.cores.len()]))?);
        let zeros = |words: u64| vec![0u8; capacity::state_bytes(words) as usize];
        for (b, words) in capacity::state_words(&sizes) {
            self.bufs[b] = Some(self.buffer(ctx, b, &zeros(words))?);
        }
        if self.bufs[B_RECORD].is_none() {
            self.bufs[B_RECORD] = Some(self.buffer(ctx, B_RECORD, &zeros(4))?);
        }
        self.rebind(ctx);
        Ok(())
    }

    fn rebind(&mut self, ctx: &GpuContext) {
        let mut entries = vec![wgpu::BindGroupEntry { binding: 0, resource: self.sizes.as_entire_binding() }];
        for b in 1..BINDINGS {
            entries.push(wgpu::BindGroupEntry {
                binding: b as u32,
                resource: self.bufs[b].as_ref().expect("buffer").as_entire_binding(),
            });
        }
        self.group0 = Some(ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("network"),
            layout: &ctx.pipelines().network,
            entries: &entries,
        }));
    }

    fn buf(&self, b: usize) -> &wgpu::Buffer {
        self.bufs[b].as_ref().expect("buffer")
    }

    /// Each buffer of the network (recording excluded) and its bytes.
    pub fn buffer_bytes(&self) -> Vec<(&'static str, u64)> {
        (1..BINDINGS).filter(|&b| b != B_RECORD).map(|b| (NAMES[b], self.buf(b).size())).collect()
    }

    /// Bytes of the network's buffers (recording excluded).
    pub fn network_bytes(&self) -> u64 {
        (1..BINDINGS).filter(|&b| b != B_RECORD).map(|b| self.buf(b).size()).sum()
    }

    pub fn write_state(&self, ctx: &GpuContext, h: &HostState) {
        let q = &ctx.queue;
        q.write_buffer(self.buf(B_STATE), 0, &pad_bytes(&h.neurons));
        let chunk = self.buf(B_RING).size() as usize / 4;
        let (r0, r1) = h.ring.split_at(h.ring.len().min(chunk));
        q.write_buffer(self.buf(B_RING), 0, &pad_bytes(r0));
        if !r1.is_empty() {
            q.write_buffer(self.buf(B_RING + 1), 0, &pad_bytes(r1));
        }
        q.write_buffer(self.buf(B_CORE_STATE), 0, &pad_bytes(&h.core_state));
        q.write_buffer(self.buf(B_PROV), 0, &pad_bytes(&h.prov));
        q.write_buffer(self.buf(B_STEPS), 0, &pad_bytes(&h.steps));
        q.write_buffer(self.buf(B_DELAY), 0, &pad_bytes(&h.delay_counters));
        q.write_buffer(self.buf(B_POISSON), 0, &pad_bytes(&h.poisson));
        q.write_buffer(self.buf(B_RNG), 0, &pad_bytes(&h.rng));
        q.write_buffer(self.buf(B_CONTROL), 0, &pad_bytes(&h.control));
        if !h.plastic.is_empty() {
            q.write_buffer(self.buf(B_PLASTIC), 0, &pad_bytes(&h.plastic));
        }
        if !h.post_hist.is_empty() {
            q.write_buffer(self.buf(B_POST), 0, &pad_bytes(&h.post_hist));
        }
        if !h.tallies.is_empty() {
            q.write_buffer(self.buf(B_TALLY), 0, &pad_bytes(&h.tallies));
        }
    }

    /// Copies buffers (whole word counts) to a staging buffer and reads them.
    fn read(&self, ctx: &GpuContext, parts: &[(&wgpu::Buffer, u64)]) -> Result<Vec<Vec<u32>>> {
        let total: u64 = parts.iter().map(|p| p.1 * 4).sum::<u64>().max(4);
        let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("staging"),
            size: total,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = ctx.device.create_command_encoder(&Default::default());
        let mut off = 0;
        for (b, words) in parts {
            if *words > 0 {
                enc.copy_buffer_to_buffer(b, 0, &staging, off, words * 4);
            }
            off += words * 4;
        }
        ctx.queue.submit([enc.finish()]);
        let slice = staging.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        ctx.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Run(format!("the GPU did not finish: {e}")))?;
        rx.recv()
            .map_err(|_| Error::Run("the GPU read-back was dropped".into()))?
            .map_err(|e| Error::Run(format!("the GPU read-back failed: {e}")))?;
        let data =
            slice.get_mapped_range().map_err(|e| Error::Run(format!("the GPU read-back could not be mapped: {e}")))?;
        let all: &[u32] = bytemuck::cast_slice(&data[..]);
        let mut out = Vec::with_capacity(parts.len());
        let mut at = 0usize;
        for (_, words) in parts {
            out.push(all[at..at + *words as usize].to_vec());
            at += *words as usize;
        }
        drop(data);
        staging.unmap();
        Ok(out)
    }

    pub fn read_state(&self, ctx: &GpuContext, h: &mut HostState) -> Result<()> {
        let chunk = self.buf(B_RING).size() / 4;
        let n_ring = h.ring.len() as u64;
        let parts = [
            (self.buf(B_STATE), h.neurons.len() as u64 * 6),
            (self.buf(B_RING), n_ring.min(chunk)),
            (self.buf(B_RING + 1), n_ring.saturating_sub(chunk)),
            (self.buf(B_CORE_STATE), h.core_state.len() as u64),
            (self.buf(B_PROV), h.prov.len() as u64),
            (self.buf(B_STEPS), h.steps.len() as u64 * 2),
            (self.buf(B_DELAY), h.delay_counters.len() as u64),
            (self.buf(B_POISSON), h.poisson.len() as u64 * 11),
            (self.buf(B_RNG), h.rng.len() as u64 * 4),
            (self.buf(B_CONTROL), h.control.len() as u64),
            (self.buf(B_PLASTIC), h.plastic.len() as u64),
            (self.buf(B_POST), h.post_hist.len() as u64),
            (self.buf(B_TALLY), h.tallies.len() as u64 * crate::record::TALLY_WORDS as u64),
        ];
        let got = self.read(ctx, &parts)?;
        h.neurons = bytemuck::cast_slice(&got[0]).to_vec();
        h.ring = [&got[1][..], &got[2][..]].concat();
        h.core_state = got[3].clone();
        h.prov = got[4].clone();
        h.steps = bytemuck::cast_slice(&got[5]).to_vec();
        h.delay_counters = got[6].clone();
        h.poisson = bytemuck::cast_slice(&got[7]).to_vec();
        h.rng = bytemuck::cast_slice(&got[8]).to_vec();
        h.control.copy_from_slice(&got[9]);
        h.plastic = got[10].clone();
        h.post_hist = got[11].clone();
        h.tallies = bytemuck::cast_slice(&got[12]).to_vec();
        Ok(())
    }

    /// Grid of 64-wide workgroups for n invocations (2D past the per-dimension limit).
    fn grid(n: u32) -> (u32, u32) {
        let groups = n.div_ceil(64);
        let x = groups.min(65535);
        (x, if x == 0 { 0 } else { groups.div_ceil(x) })
    }

    /// Runs the ticks of a batch in one submission; returns the recording words (each instance's
    /// after the one before) and the control words (each instance's block).
    pub fn run_batch(
        &mut self,
        ctx: &GpuContext,
        img: &StaticImage,
        batch: &Batch,
        stats: &mut RunStats,
    ) -> Result<(Vec<u32>, Vec<u32>)> {
        let s = &img.sizes;
        let record_words = batch.record_words * s.n_instances as u64;
        if record_words > self.record_words {
            let words = record_words.max(self.record_words * 2).max(1024);
            let words = words.min(self.max_binding / 4).max(record_words);
            self.bufs[B_RECORD] = Some(self.buffer(ctx, B_RECORD, &vec![0u8; (words * 4) as usize])?);
            self.record_words = words;
            self.rebind(ctx);
        }
        ctx.queue.write_buffer(self.buf(B_BATCH), 0, &pad_bytes(&batch.table));
        // The batch's first tick and the recording words of one instance, in block 0.
        const _: () = assert!(CTL_RECORD_STRIDE == CTL_BATCH_START + 1);
        ctx.queue.write_buffer(
            self.buf(B_CONTROL),
            CTL_BATCH_START as u64 * 4,
            bytemuck::cast_slice(&[batch.t0, batch.record_words as u32]),
        );
        let mut enc = ctx.device.create_command_encoder(&Default::default());
        if record_words > 0 {
            enc.clear_buffer(self.buf(B_RECORD), 0, Some(record_words * 4));
        }
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            for _ in 0..batch.ticks {
                self.encode_tick(ctx, &mut pass, s, stats);
            }
        }
        ctx.queue.submit([enc.finish()]);
        stats.ticks += batch.ticks as u64;
        stats.submissions += 1;
        let control_words = s.n_instances as u64 * CONTROL_WORDS as u64;
        let mut got = self.read(ctx, &[(self.buf(B_RECORD), record_words), (self.buf(B_CONTROL), control_words)])?;
        let control = got.pop().expect("control");
        Ok((got.pop().expect("record"), control))
    }

    /// The dispatches of one tick, each over every instance of the batch (one layer of
    /// workgroups per instance in z; `rows_args`, one invocation, sizes the row jobs of all).
    fn encode_tick(&self, ctx: &GpuContext, pass: &mut wgpu::ComputePass<'_>, s: &Sizes, stats: &mut RunStats) {
        let g0 = self.group0.as_ref().expect("bind group");
        for (k, &(_, indirect, over)) in shaders::TICK.iter().enumerate() {
            pass.set_pipeline(&ctx.pipelines().steps[k]);
            pass.set_bind_group(0, g0, &[]);
            if indirect {
                pass.set_bind_group(1, &self.group1, &[]);
            }
            let n = match over {
                Over::Neurons => s.n_neurons,
                Over::Cores => s.n_cores,
                Over::Slots => s.n_slots,
                Over::StdpCores => {
                    if s.n_post > 0 {
                        s.n_cores
                    } else {
                        0
                    }
                }
                Over::One => 1,
                Over::RowJobs => {
                    pass.dispatch_workgroups_indirect(&self.dispatch, 0);
                    stats.dispatches += 1;
                    continue;
                }
            };
            let ((x, y), z) = if over == Over::One { ((1, 1), 1) } else { (Self::grid(n), s.n_instances) };
            if x > 0 {
                pass.dispatch_workgroups(x, y, z);
                stats.dispatches += 1;
            }
        }
    }
}
