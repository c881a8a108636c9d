//! GPU buffers, the bind groups and pipelines, and the submission of batches of ticks.

use super::device::GpuContext;
use super::layout::{BatchCore, RowJob, StaticImage, CONTROL_WORDS, CTL_BATCH_START, CTL_RECORD_STRIDE, JOB_WORDS};
use super::record::Batch;
use super::shaders::{self, Over};
use super::transfer::HostState;
use super::{GpuOptions, RunStats};
use crate::error::{Error, Result};
use crate::machine::Machine;
use bytemuck::Pod;
use wgpu::util::DeviceExt;

/// The group-0 bindings of the module (`shaders::BINDINGS`, where their numbers are written).
const BINDINGS: usize = shaders::BINDINGS.len();
const B_CORES: usize = shaders::binding_of("cores");
const B_PARAMS: usize = shaders::binding_of("params");
const B_TABLES: usize = shaders::binding_of("tables");
const B_SPIKE_TIMES: usize = shaders::binding_of("spike_times");
const B_ROW_START: usize = shaders::binding_of("row_start");
const B_WORDS: usize = shaders::binding_of("words0");
const B_BATCH: usize = shaders::binding_of("batch");
const B_STATE: usize = shaders::binding_of("state");
const B_RING: usize = shaders::binding_of("ring0");
const B_CORE_STATE: usize = shaders::binding_of("core_state");
const B_PROV: usize = shaders::binding_of("prov");
const B_STEPS: usize = shaders::binding_of("step_state");
const B_DELAY: usize = shaders::binding_of("delay_counters");
const B_POISSON: usize = shaders::binding_of("poisson");
const B_RNG: usize = shaders::binding_of("rng");
const B_SLOTS: usize = shaders::binding_of("slots");
const B_JOBS: usize = shaders::binding_of("jobs");
const B_CONTROL: usize = shaders::binding_of("control");
const B_RECORD: usize = shaders::binding_of("record");
const B_PLASTIC: usize = shaders::binding_of("plastic");
const B_POST: usize = shaders::binding_of("post_hist");
const B_PLASTIC_STATIC: usize = shaders::binding_of("plastic_static");

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
    layout0: wgpu::BindGroupLayout,
    group0: Option<wgpu::BindGroup>,
    group1: wgpu::BindGroup,
    pipelines: Vec<wgpu::ComputePipeline>,
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

fn log2_floor(x: u64) -> u32 {
    63 - x.max(1).leading_zeros()
}

/// Group 0, the network: the sizes (uniform), then the image (read-only: the core table, neuron
/// parameters, tables, spike times, rows and their words, the batch table, the plastic control
/// words) and the state and recording the ticks write.
fn network_layout(device: &wgpu::Device) -> wgpu::BindGroupLayout {
    let entries: Vec<wgpu::BindGroupLayoutEntry> = (0..BINDINGS)
        .map(|b| wgpu::BindGroupLayoutEntry {
            binding: b as u32,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: match shaders::BINDINGS[b].access {
                    shaders::Access::Uniform => wgpu::BufferBindingType::Uniform,
                    shaders::Access::Read => wgpu::BufferBindingType::Storage { read_only: true },
                    shaders::Access::ReadWrite => wgpu::BufferBindingType::Storage { read_only: false },
                },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        })
        .collect();
    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor { label: Some("network"), entries: &entries })
}

/// Group 1: the indirect dispatch of the row jobs (its workgroup counts and the tick), which
/// `rows_args` writes.
fn indirect_layout(device: &wgpu::Device) -> wgpu::BindGroupLayout {
    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("indirect"),
        entries: &[wgpu::BindGroupLayoutEntry {
            binding: 0,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only: false },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        }],
    })
}

/// One pipeline per step of a tick (`shaders::TICK`), from the shaders compiled once; the steps
/// that bind the indirect dispatch (`rows_args`, `tick_end`) have group 1 as well.
fn tick_pipelines(
    device: &wgpu::Device,
    layout0: &wgpu::BindGroupLayout,
    layout1: &wgpu::BindGroupLayout,
) -> Vec<wgpu::ComputePipeline> {
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("spinnsim"),
        source: wgpu::ShaderSource::Wgsl(shaders::source().into()),
    });
    let pl_a = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("network"),
        bind_group_layouts: &[Some(layout0)],
        immediate_size: 0,
    });
    let pl_b = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("network+indirect"),
        bind_group_layouts: &[Some(layout0), Some(layout1)],
        immediate_size: 0,
    });
    shaders::TICK
        .iter()
        .map(|&(entry, indirect, _)| {
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: Some(if indirect { &pl_b } else { &pl_a }),
                module: &module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            })
        })
        .collect()
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

impl Resources {
    /// The bind-group layouts and pipelines of the tick, then every buffer of the image (its
    /// synaptic words included) and of the state, sized for `img`.
    pub fn new(ctx: &GpuContext, machine: &Machine, img: &StaticImage, options: &GpuOptions) -> Result<Self> {
        let device = &ctx.device;
        let layout0 = network_layout(device);
        let layout1 = indirect_layout(device);
        let pipelines = tick_pipelines(device, &layout0, &layout1);
        let (dispatch, group1) = indirect_dispatch(device, &layout1);
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
            layout0,
            group0: None,
            group1,
            pipelines,
            record_words: 0,
            max_binding: ctx.limits.max_storage_buffer_binding_size,
        };
        r.write_words(ctx, machine, img, options)?;
        r.write_image(ctx, img, options)?;
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

    fn chunk_log2(&self, forced: Option<u32>, total: u64, chunks: u64, what: &str) -> Result<u32> {
        let log2 = forced.unwrap_or_else(|| log2_floor(self.max_binding / 4).min(31));
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
        Ok(log2)
    }

    /// The synaptic words of every core, back to back, split into the four chunk bindings.
    fn write_words(
        &mut self,
        ctx: &GpuContext,
        machine: &Machine,
        img: &StaticImage,
        options: &GpuOptions,
    ) -> Result<()> {
        let log2 = self.chunk_log2(options.words_chunk_log2, img.n_words, 4, "synaptic words")?;
        let chunk = 1u64 << log2;
        let mut all = machine.rows.iter().flat_map(|r| r.words().iter().copied());
        for k in 0..4 {
            let n = img.n_words.saturating_sub(k as u64 * chunk).min(chunk) as usize;
            let part: Vec<u32> = all.by_ref().take(n).collect();
            self.bufs[B_WORDS + k] = Some(self.buffer(ctx, B_WORDS + k, &pad_bytes(&part))?);
        }
        Ok(())
    }

    /// (Re)creates every buffer of the image and of the state, sized for `img`.
    pub fn write_image(&mut self, ctx: &GpuContext, img: &StaticImage, options: &GpuOptions) -> Result<()> {
        let mut sizes = img.sizes;
        sizes.words_chunk_log2 = self.chunk_log2(options.words_chunk_log2, img.n_words, 4, "synaptic words")?;
        sizes.ring_chunk_log2 =
            self.chunk_log2(options.ring_chunk_log2, sizes.n_ring as u64, 2, "ring-buffer entries")?;
        // Room for the row jobs of a busy tick: a 32nd of all rows firing at once. A tick
        // with more queues what fits and spike_route makes the other adds itself (same result).
        let rows = img.row_start.len() as u64;
        let busy = rows / 32 + img.n_words / (32 * JOB_WORDS as u64) + 4096;
        let fits = self.max_binding / std::mem::size_of::<RowJob>() as u64;
        sizes.job_capacity = options.job_capacity.unwrap_or(busy.min(fits).min(1 << 22) as u32).max(1);
        ctx.queue.write_buffer(&self.sizes, 0, bytemuck::bytes_of(&sizes));
        self.bufs[B_CORES] = Some(self.buffer(ctx, B_CORES, &pad_bytes(&img.cores))?);
        self.bufs[B_PARAMS] = Some(self.buffer(ctx, B_PARAMS, &pad_bytes(&img.params))?);
        self.bufs[B_TABLES] = Some(self.buffer(ctx, B_TABLES, &pad_bytes(&img.tables))?);
        self.bufs[B_SPIKE_TIMES] = Some(self.buffer(ctx, B_SPIKE_TIMES, &pad_bytes(&img.spike_times))?);
        self.bufs[B_ROW_START] = Some(self.buffer(ctx, B_ROW_START, &pad_bytes(&img.row_start))?);
        self.bufs[B_PLASTIC_STATIC] = Some(self.buffer(ctx, B_PLASTIC_STATIC, &pad_bytes(&img.plastic_static))?);
        self.bufs[B_BATCH] =
            Some(self.buffer(ctx, B_BATCH, &pad_bytes(&vec![BatchCore::default(); img.cores.len()]))?);
        let zeros = |n: u64| vec![0u8; (n.max(64) * 4) as usize];
        let s = &sizes;
        let ring_chunk = 1u64 << sizes.ring_chunk_log2;
        let n_ring = s.n_ring as u64;
        for (b, words) in [
            (B_STATE, s.n_neurons as u64 * 6),
            (B_RING, n_ring.min(ring_chunk)),
            (B_RING + 1, n_ring.saturating_sub(ring_chunk)),
            (B_CORE_STATE, s.n_cores as u64 * 4),
            (B_PROV, s.n_cores as u64 * 24),
            (B_STEPS, s.n_steps as u64 * 2),
            (B_DELAY, s.n_delay_counters as u64),
            (B_POISSON, s.n_poisson as u64 * 11),
            (B_RNG, s.n_cores as u64 * 4),
            (B_SLOTS, s.n_slots as u64),
            (B_JOBS, s.job_capacity as u64 * 8),
            (B_CONTROL, CONTROL_WORDS as u64),
            (B_PLASTIC, s.n_plastic as u64),
            (B_POST, s.n_post as u64 * super::layout::POST_WORDS as u64),
        ] {
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
            layout: &self.layout0,
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
            (self.buf(B_CONTROL), CONTROL_WORDS as u64),
            (self.buf(B_PLASTIC), h.plastic.len() as u64),
            (self.buf(B_POST), h.post_hist.len() as u64),
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
        Ok(())
    }

    /// Grid of 64-wide workgroups for n invocations (2D past the per-dimension limit).
    fn grid(n: u32) -> (u32, u32) {
        let groups = n.div_ceil(64);
        let x = groups.min(65535);
        (x, if x == 0 { 0 } else { groups.div_ceil(x) })
    }

    /// Runs the ticks of a batch in one submission; returns the recording words and the
    /// control words.
    pub fn run_batch(
        &mut self,
        ctx: &GpuContext,
        img: &StaticImage,
        batch: &Batch,
        stats: &mut RunStats,
    ) -> Result<(Vec<u32>, Vec<u32>)> {
        if batch.record_words > self.record_words {
            let words = batch.record_words.max(self.record_words * 2).max(1024);
            let words = words.min(self.max_binding / 4).max(batch.record_words);
            self.bufs[B_RECORD] = Some(self.buffer(ctx, B_RECORD, &vec![0u8; (words * 4) as usize])?);
            self.record_words = words;
            self.rebind(ctx);
        }
        ctx.queue.write_buffer(self.buf(B_BATCH), 0, &pad_bytes(&batch.table));
        // The batch's first tick and the recording words of one instance.
        const _: () = assert!(CTL_RECORD_STRIDE == CTL_BATCH_START + 1);
        ctx.queue.write_buffer(
            self.buf(B_CONTROL),
            CTL_BATCH_START as u64 * 4,
            bytemuck::cast_slice(&[batch.t0, batch.record_words as u32]),
        );
        let s = &img.sizes;
        let mut enc = ctx.device.create_command_encoder(&Default::default());
        if batch.record_words > 0 {
            enc.clear_buffer(self.buf(B_RECORD), 0, Some(batch.record_words * 4));
        }
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            let g0 = self.group0.as_ref().expect("bind group");
            for _ in 0..batch.ticks {
                for (k, &(_, indirect, over)) in shaders::TICK.iter().enumerate() {
                    pass.set_pipeline(&self.pipelines[k]);
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
                    let (x, y) = if over == Over::One { (1, 1) } else { Self::grid(n) };
                    if x > 0 {
                        pass.dispatch_workgroups(x, y, s.n_instances);
                        stats.dispatches += 1;
                    }
                }
            }
        }
        ctx.queue.submit([enc.finish()]);
        stats.ticks += batch.ticks as u64;
        stats.submissions += 1;
        let mut got =
            self.read(ctx, &[(self.buf(B_RECORD), batch.record_words), (self.buf(B_CONTROL), CONTROL_WORDS as u64)])?;
        let control = got.pop().expect("control");
        Ok((got.pop().expect("record"), control))
    }
}
