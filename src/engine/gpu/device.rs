//! Adapters and devices: which GPUs wgpu can see, and opening one for the engine.

use super::pipelines::TickPipelines;
use crate::error::{Error, Result};
use std::sync::{Arc, OnceLock};

/// What `spinnsim devices` prints for one adapter.
#[derive(Clone, Debug)]
pub struct AdapterSummary {
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
    /// A real GPU (integrated, discrete or virtual), not a CPU implementation such as lavapipe.
    pub is_hardware: bool,
    pub max_storage_buffer_binding_size: u64,
    pub max_buffer_size: u64,
    pub max_storage_buffers_per_shader_stage: u32,
    pub max_compute_workgroups_per_dimension: u32,
}

/// Keeps Mesa's Vulkan device-selection layer from looking for a display. That layer only orders
/// adapters for presenting to a screen (the engine picks its own adapter, see [`GpuContext::open`]),
/// and without a display session (ssh, containers, CI: `XDG_RUNTIME_DIR` unset) it prints
/// `error: XDG_RUNTIME_DIR is invalid or not set` for every instance, which reads like a failure.
/// Sets `NODEVICE_SELECT=1` unless the user set it or chose a device (`MESA_VK_DEVICE_SELECT`).
/// Call it at program start, before other threads run: it changes the environment.
pub fn quiet_display_probe() {
    let chosen = std::env::var_os("NODEVICE_SELECT").is_some() || std::env::var_os("MESA_VK_DEVICE_SELECT").is_some();
    if !chosen && std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        std::env::set_var("NODEVICE_SELECT", "1");
    }
}

fn instance() -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = wgpu::Backends::PRIMARY;
    wgpu::Instance::new(desc)
}

fn summary(a: &wgpu::Adapter) -> AdapterSummary {
    let info = a.get_info();
    let l = a.limits();
    AdapterSummary {
        name: info.name.clone(),
        backend: format!("{:?}", info.backend),
        device_type: format!("{:?}", info.device_type),
        driver: format!("{} {}", info.driver, info.driver_info).trim().to_string(),
        is_hardware: !matches!(info.device_type, wgpu::DeviceType::Cpu | wgpu::DeviceType::Other),
        max_storage_buffer_binding_size: l.max_storage_buffer_binding_size,
        max_buffer_size: l.max_buffer_size,
        max_storage_buffers_per_shader_stage: l.max_storage_buffers_per_shader_stage,
        max_compute_workgroups_per_dimension: l.max_compute_workgroups_per_dimension,
    }
}

/// Every adapter wgpu finds, with its limits.
pub fn adapters() -> Vec<AdapterSummary> {
    let inst = instance();
    pollster::block_on(inst.enumerate_adapters(wgpu::Backends::PRIMARY)).iter().map(summary).collect()
}

/// Whether a real GPU is present (what `--backend auto` asks).
pub fn hardware_gpu_present() -> bool {
    adapters().iter().any(|a| a.is_hardware && a.backend != "Gl")
}

/// An opened device, with the limits the engine was given. Cloning it is cheap and shares the
/// device, its queue and the tick's pipelines, compiled once on first use ([`GpuContext::pipelines`]):
/// a sweep opens one context and builds one engine per batch on clones of it.
#[derive(Clone)]
pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter: AdapterSummary,
    pub limits: wgpu::Limits,
    pipelines: Arc<OnceLock<TickPipelines>>,
}

/// Storage buffers the engine's largest stage binds at once.
pub const STORAGE_BUFFERS_NEEDED: u32 = 27;
/// All buffers (storage and uniform) of the largest stage.
pub const BUFFERS_NEEDED: u32 = 28;

impl GpuContext {
    /// Opens the best compute adapter: a hardware GPU if there is one, else a CPU implementation
    /// (lavapipe). `SPINNSIM_ADAPTER` picks the first adapter whose name contains its value.
    pub fn open() -> Result<Self> {
        let inst = instance();
        let mut all: Vec<wgpu::Adapter> = pollster::block_on(inst.enumerate_adapters(wgpu::Backends::PRIMARY))
            .into_iter()
            .filter(|a| a.get_info().backend != wgpu::Backend::Gl)
            .filter(|a| a.get_downlevel_capabilities().flags.contains(wgpu::DownlevelFlags::COMPUTE_SHADERS))
            .collect();
        if all.is_empty() {
            return Err(Error::Run(
                "no GPU adapter with compute shaders was found (install a Vulkan driver, for example Mesa's lavapipe, \
                 Debian package mesa-vulkan-drivers, or use the CPU backend)"
                    .into(),
            ));
        }
        if let Ok(want) = std::env::var("SPINNSIM_ADAPTER") {
            all.retain(|a| a.get_info().name.to_lowercase().contains(&want.to_lowercase()));
            if all.is_empty() {
                return Err(Error::Run(format!(
                    "no adapter's name contains `{want}` (SPINNSIM_ADAPTER); see `spinnsim devices`"
                )));
            }
        }
        let rank = |a: &wgpu::Adapter| match a.get_info().device_type {
            wgpu::DeviceType::DiscreteGpu => 0,
            wgpu::DeviceType::IntegratedGpu => 1,
            wgpu::DeviceType::VirtualGpu => 2,
            wgpu::DeviceType::Cpu => 3,
            wgpu::DeviceType::Other => 4,
        };
        all.sort_by_key(rank);
        let adapter = all.swap_remove(0);
        let summary = summary(&adapter);
        let have = adapter.limits();
        if have.max_storage_buffers_per_shader_stage < STORAGE_BUFFERS_NEEDED
            || have.max_buffers_and_acceleration_structures_per_shader_stage < BUFFERS_NEEDED
        {
            return Err(Error::Run(format!(
                "adapter `{}` offers {} storage buffers per shader stage; the GPU engine needs {}",
                summary.name, have.max_storage_buffers_per_shader_stage, STORAGE_BUFFERS_NEEDED
            )));
        }
        let limits = wgpu::Limits {
            max_storage_buffers_per_shader_stage: STORAGE_BUFFERS_NEEDED,
            max_buffers_and_acceleration_structures_per_shader_stage: have
                .max_buffers_and_acceleration_structures_per_shader_stage
                .max(BUFFERS_NEEDED),
            max_storage_buffer_binding_size: have.max_storage_buffer_binding_size,
            max_buffer_size: have.max_buffer_size,
            max_compute_workgroups_per_dimension: have.max_compute_workgroups_per_dimension,
            max_compute_invocations_per_workgroup: have.max_compute_invocations_per_workgroup.min(256),
            max_compute_workgroup_size_x: have.max_compute_workgroup_size_x.min(256),
            ..wgpu::Limits::downlevel_defaults()
        };
        let desc = wgpu::DeviceDescriptor {
            label: Some("spinnsim"),
            required_features: wgpu::Features::empty(),
            required_limits: limits.clone(),
            ..Default::default()
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&desc))
            .map_err(|e| Error::Run(format!("could not open GPU adapter `{}`: {e}", summary.name)))?;
        Ok(GpuContext { device, queue, adapter: summary, limits, pipelines: Arc::default() })
    }

    /// The layouts and pipelines of a tick on this device, compiled on the first call and shared
    /// by every clone of the context.
    pub fn pipelines(&self) -> &TickPipelines {
        self.pipelines.get_or_init(|| TickPipelines::compile(&self.device))
    }

    /// Whether the tick's pipelines have been compiled on this device (by an engine on this
    /// context or a clone of it).
    pub fn pipelines_compiled(&self) -> bool {
        self.pipelines.get().is_some()
    }

    /// Bytes of memory the engine may plan to hold on this device, where that is known: for a CPU
    /// implementation of Vulkan (lavapipe), which allocates the host's memory, three quarters of
    /// the memory the host has available; None on a hardware GPU, whose allocation failures are
    /// reported instead (wgpu does not tell the size of a device's memory).
    pub fn memory_budget(&self) -> Option<u64> {
        if self.adapter.is_hardware {
            return None;
        }
        let info = std::fs::read_to_string("/proc/meminfo").ok()?;
        let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024 / 4 * 3)
    }
}
