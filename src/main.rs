//! `spinnsim`: run a network file, or show how it maps onto virtual SpiNNaker cores.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use spinnsim::engine::gpu::device::{adapters, hardware_gpu_present, AdapterSummary, GpuContext};
use spinnsim::engine::Backend;
use spinnsim::mapping::{map, CoreKind, MapOptions, Profile};
use spinnsim::model::Network;
use spinnsim::record::arrow::write_ipc;
use spinnsim::sim::Simulation;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser)]
#[command(name = "spinnsim", version, about = "Spiking networks with the results of SpiNNaker (sPyNNaker 7.4.1), bit for bit")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a network file and write its recordings as Arrow IPC (or Parquet) files.
    Run {
        network: PathBuf,
        /// Output directory (created if needed).
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Model time to run in ms (default: the file's `run_ms`).
        #[arg(long)]
        time: Option<f64>,
        /// Arithmetic profile: spinnaker-7 (default) or spinnaker-2019.
        #[arg(long, default_value = "spinnaker-7")]
        profile: String,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Output file format: arrow (Arrow IPC, `.arrow`) or parquet (snappy, `.parquet`; needs a
        /// build with `--features parquet`).
        #[arg(long, value_enum, default_value_t = Format::Arrow)]
        format: Format,
        /// Engine: auto (the GPU engine when a hardware GPU is present, else the CPU engine), cpu,
        /// or gpu (the GPU engine on the best adapter, a CPU-emulated one such as lavapipe
        /// included; SPINNSIM_ADAPTER picks one by name). The results are the same bit for bit.
        #[arg(long, default_value = "auto", value_parser = parse_backend)]
        backend: Backend,
        /// Also write the connections of static projections (those of plastic projections, with
        /// their learned weights, are always written) to `connections`.
        #[arg(long)]
        connections: bool,
    },
    /// List the GPU adapters the GPU engine can see, with their limits, and which one it would use.
    Devices,
    /// Print how a network maps onto virtual cores.
    Map {
        network: PathBuf,
    },
}

/// The file format of the recordings.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Arrow,
    Parquet,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Arrow => "arrow",
            Format::Parquet => "parquet",
        }
    }

    /// Refuses a format this build cannot write, before anything runs.
    fn check_available(self) -> Result<()> {
        if self == Format::Parquet && !cfg!(feature = "parquet") {
            anyhow::bail!(
                "--format parquet needs Parquet support, which this build of spinnsim does not have: \
                 rebuild with `--features parquet` (e.g. `cargo build --release --features parquet`), \
                 or use --format arrow"
            );
        }
        Ok(())
    }

    /// Writes one table as `DIR/NAME.EXT`, atomically; returns the path.
    fn write(self, batch: &arrow_array::RecordBatch, dir: &Path, name: &str) -> Result<PathBuf> {
        let path = dir.join(format!("{name}.{}", self.extension()));
        match self {
            Format::Arrow => write_ipc(batch, &path)?,
            #[cfg(feature = "parquet")]
            Format::Parquet => spinnsim::record::parquet::write_parquet(batch, &path)?,
            #[cfg(not(feature = "parquet"))]
            Format::Parquet => self.check_available()?,
        }
        Ok(path)
    }
}

fn parse_backend(name: &str) -> std::result::Result<Backend, String> {
    Backend::from_name(name).map_err(|_| format!("unknown backend `{name}`; use auto, cpu or gpu"))
}

/// A size in bytes for people: `2 GiB`, `128 MiB`, `65536 B`.
fn bytes(n: u64) -> String {
    const UNITS: [(u64, &str); 4] = [(1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in UNITS {
        if n >= size {
            let x = n as f64 / size as f64;
            return if x.fract() == 0.0 { format!("{x} {unit}") } else { format!("{x:.2} {unit}") };
        }
    }
    format!("{n} B")
}

fn adapter_kind(a: &AdapterSummary) -> &'static str {
    if a.is_hardware {
        "hardware GPU"
    } else {
        "CPU-emulated: a GPU driver that runs on the CPU, for exact results, not speed"
    }
}

/// `spinnsim devices`.
fn list_devices() {
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
        println!("  [{i}] {}", a.name);
        println!("      backend {}, type {}, driver {}", a.backend, a.device_type, if a.driver.is_empty() { "?" } else { &a.driver });
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
        Ok(ctx) => println!("--backend gpu runs on: {} [{}]", ctx.adapter.name, if ctx.adapter.is_hardware { "hardware GPU" } else { "CPU-emulated" }),
        Err(e) => println!("--backend gpu cannot run: {e}"),
    }
    if hardware_gpu_present() {
        println!("--backend auto runs on: the GPU engine");
    } else {
        println!("--backend auto runs on: the CPU engine (no hardware GPU)");
    }
}

/// Which engine runs, for stderr.
fn engine_line(sim: &Simulation, asked: Backend, threads: Option<usize>) -> String {
    match sim.adapter() {
        Some(a) => format!("engine: gpu on `{}` ({} {}, backend {asked}; {})", a.name, a.backend, a.device_type, adapter_kind(a)),
        None => {
            let threads = threads.map(|t| format!("{t} threads")).unwrap_or_else(|| "all cores".into());
            let why = match asked {
                Backend::Auto if sim.gpu_fallback().is_some() => ", backend auto: the GPU engine could not start",
                Backend::Auto => ", backend auto: no hardware GPU",
                _ => "",
            };
            format!("engine: cpu ({threads}{why})")
        }
    }
}

fn load(path: &Path) -> Result<Network> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    spinnsim::model::load_toml(&text).with_context(|| format!("in {}", path.display()))
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Map { network } => {
            let net = load(&network)?;
            let image = map(&net, MapOptions::default())?;
            for w in &image.warnings {
                eprintln!("warning: {w}");
            }
            println!("{} cores, {} routing entries, timestep {} ms", image.cores.len(), image.routing_table.len(), image.timestep_ms);
            let (mut synapses, mut bytes, mut neurons) = (0usize, 0usize, 0usize);
            for c in &image.cores {
                let what = match &c.kind {
                    CoreKind::Neuron(nc) => {
                        let m = nc.matrix_stats();
                        synapses += m.synapses;
                        bytes += m.bytes + nc.ring_buffer_len() * 2 + nc.pop_table.len() * 4;
                        neurons += c.n_atoms as usize;
                        format!(
                            "{} {} neurons, shifts {:?}, {} delay slots, {} pop-table entries, {} synapses in {} rows (longest {}), matrix {} KiB",
                            nc.model.name(),
                            c.n_atoms,
                            nc.shifts(),
                            1 << nc.log_max_delay(),
                            nc.pop_table[0],
                            m.synapses,
                            m.rows,
                            m.longest_row,
                            m.bytes.div_ceil(1024)
                        ) + &nc
                            .stdp
                            .as_ref()
                            .map(|st| {
                                format!(
                                    ", STDP {} {}{}",
                                    if st.nearest { "nearest-pair" } else { "pair" },
                                    if st.additive { "additive" } else { "multiplicative" },
                                    if st.backprop_delay { "" } else { ", no backprop delay" }
                                )
                            })
                            .unwrap_or_default()
                    }
                    CoreKind::SpikeArray(s) => format!("SpikeSourceArray {} sources, {} spikes", c.n_atoms, s.spikes.len()),
                    CoreKind::Poisson(_) => format!("SpikeSourcePoisson {} sources", c.n_atoms),
                    CoreKind::Delay(d) => format!("delay extension, {} stages of {} ticks", d.n_stages, d.delay_per_stage),
                };
                let key = c.key.map(|k| format!("{k:#010x}/{:#010x}", c.mask)).unwrap_or_else(|| "no key".into());
                println!("  {:<28} {:<24} {}", c.label, key, what);
            }
            println!(
                "{neurons} neurons, {synapses} synapses; synaptic matrices, ring buffers and pop tables: {:.1} MiB ({:.2} bytes per synapse)",
                bytes as f64 / (1 << 20) as f64,
                if synapses > 0 { bytes as f64 / synapses as f64 } else { 0.0 }
            );
        }
        Command::Devices => list_devices(),
        Command::Run { network, out, time, profile, threads, format, backend, connections } => {
            format.check_available()?;
            let net = load(&network)?;
            let profile = Profile::from_name(&profile)
                .with_context(|| format!("unknown profile `{profile}`; use spinnaker-7 or spinnaker-2019"))?;
            let run_ms = time.or(net.run_ms).context("give the model time with --time or `run_ms` in the file")?;
            if !run_ms.is_finite() || run_ms < 0.0 {
                anyhow::bail!("--time {run_ms}: the model time must be a finite number of ms >= 0");
            }
            let mut sim = Simulation::with_backend(net, MapOptions { profile, ..Default::default() }, threads, backend)?;
            for w in sim.warnings() {
                eprintln!("warning: {w}");
            }
            eprintln!("{}", engine_line(&sim, backend, threads));
            let ticks = sim.ticks_for(run_ms)?;
            let bar = ProgressBar::new(ticks as u64);
            bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} ticks {elapsed_precise} eta {eta}").expect("template"));
            let start = Instant::now();
            // One run, as the file asks (several runs would resume the binaries in between).
            sim.run_ticks_with_progress(ticks, &mut |done| bar.set_position(done as u64))?;
            bar.finish_and_clear();
            let wall = start.elapsed().as_secs_f64();
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            let rec = sim.recordings();
            let spikes_path = format.write(&sim.spikes_batch()?, &out, "spikes")?;
            let samples_path = format.write(&sim.samples_batch()?, &out, "samples")?;
            let prov = sim.provenance();
            let net = sim.network();
            let labels = &sim.image().population_labels;
            let events: u64 = prov.iter().map(|p| p.pre_synaptic_events).sum();
            println!("ran {run_ms} ms ({ticks} ticks) in {wall:.3} s, {:.1}× real time", run_ms / 1000.0 / wall.max(1e-9));
            for (pi, label) in labels.iter().enumerate() {
                let n = net.populations[pi].size as f64;
                let spikes = rec.spikes.iter().filter(|s| s.population == pi).map(|s| s.spikes.len()).sum::<usize>();
                if net.populations[pi].record.iter().any(|r| r.variable == "spikes") {
                    println!("  {label}: {spikes} spikes, mean rate {:.2} Hz", spikes as f64 / n / (run_ms / 1000.0));
                }
            }
            println!("  {events} synaptic events, {:.3e} per second of wall time", events as f64 / wall.max(1e-9));
            let sat: u64 = prov.iter().map(|p| p.synaptic_weight_saturations).sum();
            if sat > 0 {
                println!("  warning: {sat} ring-buffer saturations (weights summed past 0xFFFF in one slot)");
            }
            let which: Vec<usize> =
                (0..net.projections.len()).filter(|&i| connections || net.projections[i].synapse_dynamics.is_some()).collect();
            if which.is_empty() {
                println!("wrote {} and {}", spikes_path.display(), samples_path.display());
            } else {
                let path = format.write(&sim.connections_batch(&which)?, &out, "connections")?;
                println!("wrote {}, {} and {} (weights as the rows hold them after the run)", spikes_path.display(), samples_path.display(), path.display());
            }
        }
    }
    Ok(())
}
