//! The compiled tick: the bind-group layouts and one compute pipeline per step of a tick
//! (`shaders::TICK`), made once per device ([`super::device::GpuContext::pipelines`]) and shared by
//! every engine on it, so that a sweep's batches do not compile the module again.

use super::shaders;

/// The layouts of the two bind groups and the pipelines of a tick, in `shaders::TICK` order.
pub struct TickPipelines {
    /// Group 0, the network (`shaders::BINDINGS`).
    pub network: wgpu::BindGroupLayout,
    /// Group 1, the indirect dispatch of the row jobs.
    pub indirect: wgpu::BindGroupLayout,
    pub steps: Vec<wgpu::ComputePipeline>,
}

/// Group 0, the network: the sizes (uniform), then the image (read-only: the core table, neuron
/// parameters, tables, spike times, rows and their words, the batch table, the plastic control
/// words) and the state and recording the ticks write.
fn network_layout(device: &wgpu::Device) -> wgpu::BindGroupLayout {
    let entries: Vec<wgpu::BindGroupLayoutEntry> = (0..shaders::BINDINGS.len())
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

impl TickPipelines {
    /// Compiles the module once and makes one pipeline per step of a tick; the steps that bind
    /// the indirect dispatch (`rows_args`, `tick_end`) have group 1 as well.
    pub fn compile(device: &wgpu::Device) -> Self {
        let network = network_layout(device);
        let indirect = indirect_layout(device);
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("spinnsim"),
            source: wgpu::ShaderSource::Wgsl(shaders::source().into()),
        });
        let pl_a = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("network"),
            bind_group_layouts: &[Some(&network)],
            immediate_size: 0,
        });
        let pl_b = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("network+indirect"),
            bind_group_layouts: &[Some(&network), Some(&indirect)],
            immediate_size: 0,
        });
        let steps = shaders::TICK
            .iter()
            .map(|&(entry, uses_indirect, _)| {
                device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(entry),
                    layout: Some(if uses_indirect { &pl_b } else { &pl_a }),
                    module: &module,
                    entry_point: Some(entry),
                    compilation_options: Default::default(),
                    cache: None,
                })
            })
            .collect();
        TickPipelines { network, indirect, steps }
    }
}
