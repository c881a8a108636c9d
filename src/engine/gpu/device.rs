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
    /// The PCI bus id (`0000:65:00.0`), where the driver tells it.
    pub pci_bus_id: String,
    /// PCI vendor id (0x10de: NVIDIA).
    pub vendor: u32,
    /// What chose this adapter (`SPINNSIM_ADAPTER=1`, `CUDA_VISIBLE_DEVICES=2`), when something did.
    pub chosen_by: Option<String>,
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
        pci_bus_id: info.device_pci_bus_id.clone(),
        vendor: info.vendor,
        chosen_by: None,
    }
}

/// The adapter the engine opens: the one the environment asks for ([`choose_adapter`], with the
/// indices of `spinnsim devices`), else the best with compute shaders (a discrete GPU first, a
/// CPU implementation last); and what chose it.
fn pick_adapter() -> Result<(wgpu::Adapter, Option<String>)> {
    let inst = instance();
    let mut all: Vec<wgpu::Adapter> = pollster::block_on(inst.enumerate_adapters(wgpu::Backends::PRIMARY));
    let usable = |a: &wgpu::Adapter| {
        a.get_info().backend != wgpu::Backend::Gl
            && a.get_downlevel_capabilities().flags.contains(wgpu::DownlevelFlags::COMPUTE_SHADERS)
    };
    let summaries: Vec<AdapterSummary> = all.iter().map(summary).collect();
    let asked = std::env::var("SPINNSIM_ADAPTER").ok();
    let cuda = std::env::var("CUDA_VISIBLE_DEVICES").ok();
    if let Some((k, why)) = choose_adapter(&summaries, asked.as_deref(), cuda.as_deref())? {
        let a = all.swap_remove(k);
        if !usable(&a) {
            return Err(Error::Run(format!(
                "{why}: adapter `{}` cannot run the GPU engine (OpenGL, or no compute shaders)",
                summaries[k].name
            )));
        }
        return Ok((a, Some(why)));
    }
    all.retain(usable);
    if all.is_empty() {
        return Err(Error::Run(
            "no GPU adapter with compute shaders was found (install a Vulkan driver, for example Mesa's lavapipe, \
             Debian package mesa-vulkan-drivers, or use the CPU backend)"
                .into(),
        ));
    }
    let rank = |a: &wgpu::Adapter| match a.get_info().device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Cpu => 3,
        wgpu::DeviceType::Other => 4,
    };
    all.sort_by_key(rank);
    Ok((all.swap_remove(0), None))
}

/// PCI vendor id of NVIDIA.
const NVIDIA: u32 = 0x10de;

/// A PCI bus id without its domain, in lower case: `65:00.0`.
fn bus_id(id: &str) -> String {
    let id = id.trim().to_lowercase();
    match id.matches(':').count() {
        2 => id.split_once(':').map(|(_, rest)| rest.to_string()).unwrap_or(id),
        _ => id,
    }
}

/// Which of `adapters` (in `spinnsim devices` order) the environment asks for, and why; None
/// when it asks for none. `SPINNSIM_ADAPTER` is an index, a PCI bus id (`65:00.0`, with or without
/// its domain) or a part of a name; when it is unset, the first GPU of `CUDA_VISIBLE_DEVICES` (an
/// index among the NVIDIA GPUs in PCI bus order, as Slurm and Ray set it) is taken, where NVIDIA
/// GPUs are present.
pub fn choose_adapter(
    adapters: &[AdapterSummary],
    spinnsim_adapter: Option<&str>,
    cuda_visible: Option<&str>,
) -> Result<Option<(usize, String)>> {
    if let Some(want) = spinnsim_adapter.map(str::trim).filter(|w| !w.is_empty()) {
        let why = format!("SPINNSIM_ADAPTER={want}");
        let found = if let Ok(k) = want.parse::<usize>() {
            (k < adapters.len()).then_some(k)
        } else if want.contains(':') {
            adapters.iter().position(|a| !a.pci_bus_id.is_empty() && bus_id(&a.pci_bus_id) == bus_id(want))
        } else {
            adapters.iter().position(|a| a.name.to_lowercase().contains(&want.to_lowercase()))
        };
        return match found {
            Some(k) => Ok(Some((k, why))),
            None => Err(Error::Run(format!(
                "{why}: no adapter has that index, PCI bus id or a name that contains it; see `spinnsim devices`"
            ))),
        };
    }
    let Some(first) = cuda_visible.and_then(|v| v.split(',').next()).map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let mut nvidia: Vec<usize> =
        (0..adapters.len()).filter(|&k| adapters[k].vendor == NVIDIA && adapters[k].is_hardware).collect();
    nvidia.sort_by_key(|&k| bus_id(&adapters[k].pci_bus_id));
    nvidia.dedup_by_key(|k| bus_id(&adapters[*k].pci_bus_id));
    let why = format!("CUDA_VISIBLE_DEVICES={}", cuda_visible.unwrap_or_default());
    match (first.parse::<usize>(), nvidia.len()) {
        (_, 0) => Ok(None),
        (Ok(k), n) if k < n => Ok(Some((nvidia[k], why))),
        // The job sees only its own GPU (a cgroup), or names it by UUID: the one NVIDIA GPU there is.
        (_, 1) => Ok(Some((nvidia[0], why))),
        _ => Err(Error::Run(format!(
            "{why}: cannot tell which of the {} NVIDIA GPUs that is; set SPINNSIM_ADAPTER to its index or PCI bus id \
             (see `spinnsim devices`)",
            nvidia.len()
        ))),
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
pub const STORAGE_BUFFERS_NEEDED: u32 = 28;
/// All buffers (storage and uniform) of the largest stage.
pub const BUFFERS_NEEDED: u32 = 28;

impl GpuContext {
    /// Opens the best compute adapter: a hardware GPU if there is one, else a CPU implementation
    /// (lavapipe); or the one `SPINNSIM_ADAPTER` or `CUDA_VISIBLE_DEVICES` asks for (see
    /// [`choose_adapter`]; the indices those of `spinnsim devices`).
    pub fn open() -> Result<Self> {
        let (adapter, chosen_by) = pick_adapter()?;
        let summary = AdapterSummary { chosen_by, ..summary(&adapter) };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn gpu(name: &str, vendor: u32, bus: &str, hardware: bool) -> AdapterSummary {
        AdapterSummary {
            name: name.into(),
            backend: "Vulkan".into(),
            device_type: "DiscreteGpu".into(),
            driver: String::new(),
            is_hardware: hardware,
            max_storage_buffer_binding_size: 0,
            max_buffer_size: 0,
            max_storage_buffers_per_shader_stage: 0,
            max_compute_workgroups_per_dimension: 0,
            pci_bus_id: bus.into(),
            vendor,
            chosen_by: None,
        }
    }

    #[test]
    fn the_adapter_is_chosen_by_index_bus_id_name_or_cuda_visible_devices() {
        let all = [
            gpu("llvmpipe", 0x10005, "", false),
            gpu("NVIDIA H200 b", NVIDIA, "0000:b1:00.0", true),
            gpu("NVIDIA H200 a", NVIDIA, "0000:1a:00.0", true),
        ];
        let pick = |a: Option<&str>, c: Option<&str>| choose_adapter(&all, a, c).unwrap().map(|(k, _)| k);
        assert_eq!(pick(Some("2"), None), Some(2));
        assert_eq!(pick(Some("b1:00.0"), None), Some(1));
        assert_eq!(pick(Some("0000:1A:00.0"), None), Some(2));
        assert_eq!(pick(Some("llvm"), Some("1")), Some(0));
        // CUDA's order is the PCI bus order: device 0 is the one at 1a.
        assert_eq!(pick(None, Some("0")), Some(2));
        assert_eq!(pick(None, Some("1,0")), Some(1));
        assert_eq!(pick(None, None), None);
        assert!(choose_adapter(&all, Some("7"), None).unwrap_err().to_string().contains("SPINNSIM_ADAPTER=7"));
        assert!(choose_adapter(&all, None, Some("GPU-1234")).unwrap_err().to_string().contains("2 NVIDIA GPUs"));
        // One NVIDIA GPU in sight (a job's cgroup): CUDA_VISIBLE_DEVICES=3 means it.
        assert_eq!(choose_adapter(&all[..2], None, Some("3")).unwrap().map(|(k, _)| k), Some(1));
        // No NVIDIA GPU: CUDA_VISIBLE_DEVICES says nothing about the others.
        assert_eq!(choose_adapter(&all[..1], None, Some("0")).unwrap(), None);
    }
}
