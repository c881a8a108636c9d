//! Networks and readers shared by the integration tests.
#![allow(dead_code)]

use spinnsim::model::*;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// `../shared/oracles`, found beside the repository as CI finds it.
pub fn oracles_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for cand in [root.join("../shared/oracles"), root.join("../../shared/oracles")] {
        if cand.exists() {
            return cand;
        }
    }
    panic!("the oracle data (../shared/oracles) is not beside the repository at {}", root.display());
}

/// The SynfireRunner network of the 2019 hardware recordings.
pub fn synfire(n: u32, delay: f64, neurons_per_core: Option<u32>, record_all: bool) -> Network {
    let params: BTreeMap<String, Values> = [
        ("cm", 0.25),
        ("i_offset", 0.0),
        ("tau_m", 20.0),
        ("tau_refrac", 2.0),
        ("tau_syn_E", 5.0),
        ("tau_syn_I", 5.0),
        ("v_reset", -70.0),
        ("v_rest", -65.0),
        ("v_thresh", -50.0),
        ("v", -65.0),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Values::Scalar(v)))
    .collect();
    let rec = |v: &str| RecordRequest { variable: v.into(), neurons: None, sampling_interval: None };
    let record = if record_all { vec![rec("spikes"), rec("v"), rec("gsyn_exc")] } else { vec![rec("spikes")] };
    let ring: Vec<Vec<f64>> = (0..n).map(|i| vec![i as f64, ((i + 1) % n) as f64, 2.0, delay]).collect();
    Network {
        timestep: 1.0,
        min_delay: Some(1.0),
        max_delay: Some(144.0),
        seed: 1,
        draws: Default::default(),
        run_ms: None,
        populations: vec![
            Population {
                label: "pop_1".into(),
                size: n,
                cell_type: CellType::IfCurrExp,
                parameters: params,
                initial_values: BTreeMap::new(),
                spike_times: None,
                seed: None,
                max_atoms_per_core: neurons_per_core,
                spikes_per_second: None,
                ring_buffer_sigma: None,
                record,
            },
            Population {
                label: "inputSSA_1".into(),
                size: 1,
                cell_type: CellType::SpikeSourceArray,
                parameters: BTreeMap::new(),
                initial_values: BTreeMap::new(),
                spike_times: Some(SpikeTimes::PerNeuron(vec![vec![0.0]])),
                seed: None,
                max_atoms_per_core: None,
                spikes_per_second: None,
                ring_buffer_sigma: None,
                record: vec![],
            },
        ],
        projections: vec![
            Projection {
                label: Some("loop".into()),
                pre: "pop_1".into(),
                post: "pop_1".into(),
                pre_view: None,
                post_view: None,
                connector: Connector::FromListConnector { conn_list: ring },
                weight: Values::Scalar(2.0),
                delay: Some(Values::Scalar(delay)),
                receptor_type: Receptor::Excitatory,
                connections: None,
                synapse_dynamics: None,
            },
            Projection {
                label: Some("input".into()),
                pre: "inputSSA_1".into(),
                post: "pop_1".into(),
                pre_view: None,
                post_view: None,
                connector: Connector::FromListConnector { conn_list: vec![vec![0.0, 0.0, 2.0, 1.0]] },
                weight: Values::Scalar(2.0),
                delay: Some(Values::Scalar(1.0)),
                receptor_type: Receptor::Excitatory,
                connections: None,
                synapse_dynamics: None,
            },
        ],
        current_sources: vec![],
    }
}

/// Rows of a recording CSV: (neuron, tick, value).
pub fn read_csv(name: &str) -> Vec<(u32, u32, f64)> {
    let path = oracles_dir().join("hardware-2019-synfire").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<f64> = l.split(',').map(|x| x.trim().parse().expect("number")).collect();
            (f[0] as u32, f[1] as u32, f.get(2).copied().unwrap_or(0.0))
        })
        .collect()
}

/// Whether the GPU engine can run here. Without an adapter its tests are skipped, except in CI
/// (`CI` set), which installs lavapipe and must run them.
pub fn gpu_or_skip() -> bool {
    match spinnsim::engine::gpu::device::GpuContext::open() {
        Ok(_) => true,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("no GPU adapter, GPU test skipped: {e}");
            false
        }
        Err(e) => panic!("CI needs a GPU adapter (lavapipe): {e}"),
    }
}

/// Runs `body` on `backend` where it can run: always on the CPU, on the GPU where
/// [`gpu_or_skip`] says so (in CI a missing adapter fails the test).
pub fn on(backend: spinnsim::engine::Backend, body: impl FnOnce(spinnsim::engine::Backend)) {
    if backend != spinnsim::engine::Backend::Gpu || gpu_or_skip() {
        body(backend)
    }
}

/// Feature tests on every engine, as GeNN runs its feature tests on every backend: for each
/// `fn name(backend: Backend)` named here, the tests `name::cpu` and `name::gpu` run its body on
/// the CPU and the GPU engine (the GPU one skipped without an adapter, except in CI). A body that
/// is not named here is never called, which the dead-code lint (denied in CI) reports.
#[allow(unused_macros)] // in the test files without feature tests
macro_rules! on_both_engines {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[test]
                fn cpu() {
                    $crate::common::on(spinnsim::engine::Backend::Cpu, super::$name);
                }

                #[test]
                fn gpu() {
                    $crate::common::on(spinnsim::engine::Backend::Gpu, super::$name);
                }
            }
        )+
    };
}
#[allow(unused_imports)]
pub(crate) use on_both_engines;

/// A machine built from a machine image and the engine that advances it, for the tests that edit
/// an image before they run it (the others go through `spinnsim::sim::Simulation::with_backend`):
/// the one place where the feature tests construct an engine themselves. It derefs to the machine.
pub struct ImageRun {
    pub machine: spinnsim::machine::Machine,
    pub engine: Box<dyn spinnsim::engine::Engine>,
}

/// The engine of `backend` (`Cpu` or `Gpu`) for `image`; `threads` is for the CPU engine only.
pub fn engine_for(
    image: spinnsim::mapping::MachineImage,
    backend: spinnsim::engine::Backend,
    threads: Option<usize>,
) -> ImageRun {
    use spinnsim::engine::Backend;
    let machine = spinnsim::machine::Machine::new(image).unwrap();
    let engine: Box<dyn spinnsim::engine::Engine> = match backend {
        Backend::Cpu => Box::new(spinnsim::engine::cpu::CpuEngine::new(threads).unwrap()),
        Backend::Gpu => {
            Box::new(spinnsim::engine::gpu::GpuEngine::new(&machine).unwrap_or_else(|e| panic!("the GPU engine: {e}")))
        }
        Backend::Auto => panic!("engine_for takes Backend::Cpu or Backend::Gpu"),
    };
    ImageRun { machine, engine }
}

impl ImageRun {
    /// One run of `ticks` ticks.
    pub fn run(&mut self, ticks: u32) -> spinnsim::error::Result<()> {
        self.engine.run(&mut self.machine, ticks)
    }
}

impl std::ops::Deref for ImageRun {
    type Target = spinnsim::machine::Machine;

    fn deref(&self) -> &Self::Target {
        &self.machine
    }
}

impl std::ops::DerefMut for ImageRun {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.machine
    }
}

/// Runs entry point `entry` of the WGSL module `source` over `n` invocations (workgroups of 64),
/// group-0 binding 0 being the storage buffer `ins`, binding 1 a storage buffer of `out_words`
/// words the shader writes and, when given, binding 2 the uniform `params`; returns binding 1.
/// The test harnesses of the WGSL libraries (`tests/gpu_fixed.rs`, `tests/gpu_words.rs`) use it.
pub fn run_wgsl(
    ctx: &spinnsim::engine::gpu::device::GpuContext,
    source: &str,
    entry: &str,
    ins: &[[u32; 4]],
    params: Option<&[u32; 4]>,
    n: u32,
    out_words: usize,
) -> Vec<u32> {
    use wgpu::util::DeviceExt;
    let device = &ctx.device;
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(entry),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(entry),
        layout: None,
        module: &module,
        entry_point: Some(entry),
        compilation_options: Default::default(),
        cache: None,
    });
    let storage = |label, contents: &[u8], usage| {
        device.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some(label), contents, usage })
    };
    let ins_buf = storage("ins", bytemuck::cast_slice(ins), wgpu::BufferUsages::STORAGE);
    let size = (out_words * 4) as u64;
    let buffer = |label, usage| {
        device.create_buffer(&wgpu::BufferDescriptor { label: Some(label), size, usage, mapped_at_creation: false })
    };
    let outs_buf = buffer("outs", wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC);
    let staging = buffer("staging", wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST);
    let params_buf = params.map(|p| storage("params", bytemuck::cast_slice(p), wgpu::BufferUsages::UNIFORM));
    let mut entries = vec![
        wgpu::BindGroupEntry { binding: 0, resource: ins_buf.as_entire_binding() },
        wgpu::BindGroupEntry { binding: 1, resource: outs_buf.as_entire_binding() },
    ];
    if let Some(p) = &params_buf {
        entries.push(wgpu::BindGroupEntry { binding: 2, resource: p.as_entire_binding() });
    }
    let bind = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some(entry),
        layout: &pipeline.get_bind_group_layout(0),
        entries: &entries,
    });
    let mut enc = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(entry) });
    {
        let mut pass =
            enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(entry), timestamp_writes: None });
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups(n.div_ceil(64), 1, 1);
    }
    enc.copy_buffer_to_buffer(&outs_buf, 0, &staging, 0, size);
    ctx.queue.submit([enc.finish()]);
    let slice = staging.slice(..);
    slice.map_async(wgpu::MapMode::Read, |r| r.expect("map staging buffer"));
    device.poll(wgpu::PollType::wait_indefinitely()).expect("poll");
    let out = {
        let view = slice.get_mapped_range().expect("mapped range");
        bytemuck::cast_slice::<u8, u32>(&view).to_vec()
    };
    staging.unmap();
    out
}
