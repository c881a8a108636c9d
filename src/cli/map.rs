//! `spinnsim map` and `spinnsim devices`: what a network becomes on virtual cores, and which GPU
//! adapters the GPU engine can use.

use super::load;
use super::report::{bytes, Spinner};
use crate::engine::gpu::device::{adapters, hardware_gpu_present, AdapterSummary, GpuContext};
use crate::mapping::{map_with_progress, Core, CoreKind, MapOptions, NeuronCore};
use anyhow::{Context, Result};
use std::path::Path;

/// Whether an adapter is a real GPU, in words.
pub(super) fn adapter_kind(a: &AdapterSummary) -> &'static str {
    if a.is_hardware {
        "hardware GPU"
    } else {
        "CPU-emulated: a GPU driver that runs on the CPU, for exact results, not speed"
    }
}

/// `spinnsim devices`.
pub(super) fn list_devices() {
    let list = adapters();
    if list.is_empty() {
        println!(
            "no GPU adapter found: `--backend gpu` cannot run and `--backend auto` runs on the CPU engine \
             (install a Vulkan driver; Mesa's lavapipe, Debian package mesa-vulkan-drivers, runs the GPU engine on the CPU)"
        );
        return;
    }
    println!("{} adapter{}:", list.len(), if list.len() == 1 { "" } else { "s" });
    for (i, a) in list.iter().enumerate() {
        let bus = if a.pci_bus_id.is_empty() { String::new() } else { format!(" (PCI {})", a.pci_bus_id) };
        println!("  [{i}] {}{bus}", a.name);
        println!(
            "      backend {}, type {}, driver {}",
            a.backend,
            a.device_type,
            if a.driver.is_empty() { "?" } else { &a.driver }
        );
        let unused = if a.backend == "Gl" { " (OpenGL: not used by the GPU engine)" } else { "" };
        println!("      {}{unused}", adapter_kind(a));
        println!(
            "      limits: max storage binding size {}, max buffer size {}, {} storage buffers per shader stage, {} workgroups per dimension",
            bytes(a.max_storage_buffer_binding_size),
            bytes(a.max_buffer_size),
            a.max_storage_buffers_per_shader_stage,
            a.max_compute_workgroups_per_dimension
        );
    }
    match GpuContext::open() {
        Ok(ctx) => println!(
            "--backend gpu runs on: {} [{}]",
            ctx.adapter.name,
            if ctx.adapter.is_hardware { "hardware GPU" } else { "CPU-emulated" }
        ),
        Err(e) => println!("--backend gpu cannot run: {e}"),
    }
    if hardware_gpu_present() {
        println!("--backend auto runs on: the GPU engine");
    } else {
        println!("--backend auto runs on: the CPU engine (no hardware GPU)");
    }
}

/// `spinnsim map NETWORK`.
pub(super) fn print_map(path: &Path) -> Result<()> {
    let net = load(path)?;
    let spinner = Spinner::new("mapping");
    let image = map_with_progress(&net, MapOptions::default(), &|step| spinner.step(step))
        .with_context(|| format!("in {}", path.display()))?;
    spinner.finish();
    for w in &image.warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "{} cores, {} routing entries, timestep {} ms",
        image.cores.len(),
        image.routing_table.len(),
        image.timestep_ms
    );
    let (mut synapses, mut held, mut neurons) = (0usize, 0usize, 0usize);
    for c in &image.cores {
        if let CoreKind::Neuron(nc) = &c.kind {
            let m = nc.matrix_stats();
            synapses += m.synapses;
            held += m.bytes + nc.ring_buffer_len() * 2 + nc.pop_table.len() * 4;
            neurons += c.n_atoms as usize;
        }
        let key = c.key.map(|k| format!("{k:#010x}/{:#010x}", c.mask)).unwrap_or_else(|| "no key".into());
        println!("  {:<28} {:<24} {}", c.label, key, describe(c));
    }
    println!(
        "{neurons} neurons, {synapses} synapses; synaptic matrices, ring buffers and pop tables: {:.1} MiB ({:.2} bytes per synapse)",
        held as f64 / (1 << 20) as f64,
        if synapses > 0 { held as f64 / synapses as f64 } else { 0.0 }
    );
    Ok(())
}

/// One core in a line.
fn describe(c: &Core) -> String {
    match &c.kind {
        CoreKind::Neuron(nc) => describe_neuron_core(c, nc),
        CoreKind::SpikeArray(s) => format!("SpikeSourceArray {} sources, {} spikes", c.n_atoms, s.spikes.len()),
        CoreKind::Poisson(_) => format!("SpikeSourcePoisson {} sources", c.n_atoms),
        CoreKind::Delay(d) => format!("delay extension, {} stages of {} ticks", d.n_stages, d.delay_per_stage),
    }
}

fn describe_neuron_core(c: &Core, nc: &NeuronCore) -> String {
    let m = nc.matrix_stats();
    let stdp = nc.stdp.as_ref().map(|st| {
        format!(
            ", STDP {} {}{}",
            if st.nearest { "nearest-pair" } else { "pair" },
            if st.additive { "additive" } else { "multiplicative" },
            if st.backprop_delay { "" } else { ", no backprop delay" }
        )
    });
    format!(
        "{} {} neurons, shifts {:?}, {} delay slots, {} pop-table entries, {} synapses in {} rows (longest {}), matrix {} KiB{}",
        nc.model.name(),
        c.n_atoms,
        nc.shifts(),
        1 << nc.log_max_delay(),
        nc.pop_table.first().copied().unwrap_or(0),
        m.synapses,
        m.rows,
        m.longest_row,
        m.bytes.div_ceil(1024),
        stdp.unwrap_or_default()
    )
}
