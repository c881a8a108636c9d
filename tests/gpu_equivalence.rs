//! The GPU engine against the CPU reference: identical spikes, recorded values, provenance,
//! warnings and unrouted packets after every run, on
//! - the datasets;
//! - seeded random networks: every cell type, spike arrays (with repeated times) and Poisson
//!   sources (slow, fast, faster, zero; starts, durations and multi-rate schedules), every
//!   connector, weights and delays drawn, delay extensions, excitatory and inhibitory inputs, DC
//!   and step currents, recordings of every variable with subsets and sampling intervals,
//!   populations over several cores, populations that send nothing, dt 1 and 0.1, both profiles
//!   and host-built matrices, runs split unevenly;
//! - parameter, rate, current-source and spike-time changes between runs, initial values, soft
//!   resets off the colour cycle and resets in Reload mode;
//! - ring-buffer and delay-count saturation (the GPU's saturation replay);
//! - counters a mapped network never moves (unrouted packets, invalid pop-table hits, ghost
//!   searches, rows outside the matrix), moved by editing the image;
//! - the synaptic words over four chunks, the ring buffers over two, a job queue of three and
//!   batches of seven ticks; chunks too small are an error;
//! - a replay past llvmpipe's loop limit, an error on lavapipe.
//!
//! The hardware recordings run on both engines in tests/hardware_synfire.rs.

mod common;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use spinnsim::engine::cpu::CpuEngine;
use spinnsim::engine::gpu::{GpuEngine, GpuOptions};
use spinnsim::engine::Engine;
use spinnsim::machine::{Machine, ResetMode};
use spinnsim::mapping::{map, remap_population, CoreKind, MachineImage, MapOptions, PoissonRate, Profile};
use spinnsim::model::*;
use std::collections::BTreeMap;

/// A KernelConnector over grids of the populations' sizes, with random steps and starts and,
/// half the time, its own weights (`scale` times 0.1..1).
fn kernel(r: &mut StdRng, n_pre: u32, n_post: u32, scale: f64) -> Kernel {
    let mut grid = |n: u32| {
        let w = r.random_range(1..=n.clamp(1, 8));
        [n.div_ceil(w), w]
    };
    let (shape_pre, shape_post) = (grid(n_pre), grid(n_post));
    let shape_kernel = [r.random_range(1..=4), r.random_range(1..=4)];
    let weight_kernel = r.random_bool(0.5).then(|| {
        (0..shape_kernel[0]).map(|_| (0..shape_kernel[1]).map(|_| r.random_range(0.1..1.0) * scale).collect()).collect()
    });
    Kernel {
        shape_pre,
        shape_post,
        shape_kernel,
        shape_common: None,
        pre_sample_steps_in_post: None,
        pre_start_coords_in_post: None,
        post_sample_steps_in_pre: Some([r.random_range(1..=2), r.random_range(1..=2)]),
        post_start_coords_in_pre: Some([r.random_range(0..=1), r.random_range(0..=1)]),
        weight_kernel,
        delay_kernel: None,
    }
}

/// Two machines of one image driven alike, one by the CPU engine and one by the GPU engine,
/// compared after every step.
struct Pair {
    cpu: Machine,
    gpu: Machine,
    cpu_engine: CpuEngine,
    gpu_engine: GpuEngine,
    what: String,
    /// Provenance counts of the segments before the last reset (a reset starts them anew).
    before_reset: Activity,
}

/// How much a comparison exercised.
#[derive(Debug, Default, Clone, Copy)]
struct Activity {
    spikes: usize,
    samples: usize,
    pre_synaptic_events: u64,
    packets_sent: u64,
    delay_packets: u64,
    weight_saturations: u64,
    delay_saturations: u64,
    synapses_skipped: u64,
    late_spikes: u64,
}

impl Pair {
    fn new(image: MachineImage, options: GpuOptions, what: &str) -> Self {
        let cpu = Machine::new(image.clone()).unwrap();
        let gpu = Machine::new(image).unwrap();
        let gpu_engine = GpuEngine::with_options(&gpu, options).unwrap();
        let cpu_engine = CpuEngine::new(Some(1)).unwrap();
        Pair { cpu, gpu, cpu_engine, gpu_engine, what: what.to_string(), before_reset: Activity::default() }
    }

    fn of(net: &Network, what: &str) -> Self {
        Self::new(map(net, MapOptions::default()).unwrap(), GpuOptions::default(), what)
    }

    fn run(&mut self, ticks: u32) {
        self.cpu_engine.run(&mut self.cpu, ticks).unwrap();
        self.gpu_engine.run(&mut self.gpu, ticks).unwrap_or_else(|e| panic!("{}: the GPU run failed: {e}", self.what));
        assert_eq!(self.cpu.tick(), self.gpu.tick(), "{}: tick", self.what);
        self.check();
    }

    /// Every observable of the two engines, equal.
    fn check(&self) {
        let w = &self.what;
        let t = self.cpu.tick();
        let (a, b) = (self.cpu.provenance(), self.gpu.provenance());
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x, y, "{w}: provenance of core {} at tick {t}", x.core);
        }
        assert_eq!(self.cpu.unrouted_packets(), self.gpu.unrouted_packets(), "{w}: unrouted packets at tick {t}");
        let (a, b) = (self.cpu.recordings(), self.gpu.recordings());
        assert_eq!(a.spikes.len(), b.spikes.len(), "{w}: spike recordings");
        for (x, y) in a.spikes.iter().zip(&b.spikes) {
            if x != y {
                let first = x
                    .spikes
                    .iter()
                    .zip(&y.spikes)
                    .position(|(p, q)| p != q)
                    .unwrap_or(x.spikes.len().min(y.spikes.len()));
                panic!(
                    "{w}: spikes of population {} segment {} differ at tick {t} (cpu {} spikes, gpu {}); first difference at #{first}: cpu {:?}, gpu {:?}",
                    x.population,
                    x.segment,
                    x.spikes.len(),
                    y.spikes.len(),
                    x.spikes.get(first),
                    y.spikes.get(first)
                );
            }
        }
        assert_eq!(a.sampled.len(), b.sampled.len(), "{w}: sampled recordings");
        for (x, y) in a.sampled.iter().zip(&b.sampled) {
            assert_eq!(x.ticks, y.ticks, "{w}: sample ticks of {} of population {}", x.variable, x.population);
            if x != y {
                let n = x.neurons.len().max(1);
                let k = x.values.iter().zip(&y.values).position(|(p, q)| p != q).unwrap_or(0);
                panic!(
                    "{w}: {} of population {} segment {} differs: first at tick {:?} neuron {:?}: cpu {:?}, gpu {:?}",
                    x.variable,
                    x.population,
                    x.segment,
                    x.ticks.get(k / n),
                    x.neurons.get(k % n),
                    x.values.get(k),
                    y.values.get(k)
                );
            }
        }
        assert_eq!(a, b, "{w}: recordings");
        assert_eq!(self.cpu.warnings(), self.gpu.warnings(), "{w}: warnings");
    }

    fn reset(&mut self) {
        self.before_reset = self.activity();
        self.cpu.reset();
        self.gpu.reset();
        assert_eq!(self.gpu.tick(), 0);
    }

    fn set_reset_mode(&mut self, mode: ResetMode) {
        self.cpu.set_reset_mode(mode);
        self.gpu.set_reset_mode(mode);
    }

    /// `Simulation::set` on both engines: the population remapped from `net`, the Poisson rates
    /// marked rewritten, the initial values loaded at tick 0.
    fn set(&mut self, net: &Network, pi: usize, initial: bool) {
        net.validate().unwrap();
        self.cpu.update_image(|img| remap_population(net, pi, img)).unwrap();
        self.gpu.update_image(|img| remap_population(net, pi, img)).unwrap();
        if net.populations[pi].cell_type == CellType::SpikeSourcePoisson {
            self.cpu.poisson_rates_written(pi);
            self.gpu.poisson_rates_written(pi);
        }
        if initial && self.cpu.tick() == 0 {
            self.cpu.load_initial_values(pi).unwrap();
            self.gpu.load_initial_values(pi).unwrap();
        }
    }

    fn activity(&self) -> Activity {
        let rec = self.cpu.recordings();
        let prov = self.cpu.provenance();
        let sum = |f: fn(&spinnsim::record::Provenance) -> u64| prov.iter().map(f).sum::<u64>();
        let b = &self.before_reset;
        Activity {
            spikes: rec.spikes.iter().map(|s| s.spikes.len()).sum(),
            samples: rec.sampled.iter().map(|s| s.values.len()).sum(),
            pre_synaptic_events: b.pre_synaptic_events + sum(|p| p.pre_synaptic_events),
            packets_sent: b.packets_sent + sum(|p| p.packets_sent),
            delay_packets: b.delay_packets
                + prov.iter().filter(|p| p.core.contains("_delayed")).map(|p| p.packets_sent).sum::<u64>(),
            weight_saturations: b.weight_saturations + sum(|p| p.synaptic_weight_saturations),
            delay_saturations: b.delay_saturations + sum(|p| p.delay_count_saturations),
            synapses_skipped: b.synapses_skipped + sum(|p| p.synapses_skipped),
            late_spikes: b.late_spikes + sum(|p| p.late_spikes),
        }
    }
}

fn compare(net: &Network, chunks: &[u32]) -> Activity {
    let mut pair = Pair::of(net, "dataset");
    for &c in chunks {
        pair.run(c);
    }
    pair.activity()
}

fn dataset(name: &str) -> Network {
    load_toml(&std::fs::read_to_string(format!("{}/datasets/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()).unwrap()
}

#[test]
fn synfire_dataset() {
    if common::gpu_or_skip() {
        let a = compare(&dataset("synfire.toml"), &[200, 150]);
        assert!(a.spikes > 0 && a.pre_synaptic_events > 0, "{a:?}");
    }
}

#[test]
fn poisson_dataset() {
    if common::gpu_or_skip() {
        let a = compare(&dataset("poisson_driven.toml"), &[300]);
        assert!(a.spikes > 0 && a.pre_synaptic_events > 0, "{a:?}");
    }
}

#[test]
fn vogels_abbott_dataset() {
    if common::gpu_or_skip() {
        let a = compare(&dataset("vogels_abbott_cuba.toml"), &[200]);
        assert!(a.spikes > 0 && a.pre_synaptic_events > 0, "{a:?}");
    }
}

// ---- The random network generator.

const NEURON_TYPES: [CellType; 5] =
    [CellType::IfCurrExp, CellType::IfCondExp, CellType::IfCurrDelta, CellType::Izhikevich, CellType::IzhikevichCond];

fn scalar(v: f64) -> Values {
    Values::Scalar(v)
}

fn uniform(low: f64, high: f64) -> Values {
    Values::from(Distribution::Uniform { low, high })
}

/// A value for `n` neurons, in one of the three forms, around [low, high].
fn some_values(rng: &mut StdRng, n: u32, low: f64, high: f64) -> Values {
    match rng.random_range(0..3) {
        0 => scalar(rng.random_range(low..=high)),
        1 => Values::Array((0..n).map(|_| rng.random_range(low..=high)).collect()),
        _ => uniform(low, high),
    }
}

/// Some distinct sorted neuron indices of 0..n (at least one).
fn subset(rng: &mut StdRng, n: u32) -> Vec<u32> {
    let p = rng.random_range(0.1..0.7);
    let mut v: Vec<u32> = (0..n).filter(|_| rng.random::<f64>() < p).collect();
    if v.is_empty() {
        v.push(rng.random_range(0..n));
    }
    // Unsorted and with a repeat: the mapping sorts and dedups.
    if v.len() > 2 && rng.random::<bool>() {
        v.swap(0, 1);
        v.push(v[0]);
    }
    v
}

fn population(label: &str, size: u32, cell_type: CellType) -> Population {
    Population {
        label: label.into(),
        size,
        cell_type,
        parameters: BTreeMap::new(),
        initial_values: BTreeMap::new(),
        spike_times: None,
        seed: None,
        max_atoms_per_core: None,
        spikes_per_second: None,
        ring_buffer_sigma: None,
        record: vec![],
    }
}

fn record(variable: &str, neurons: Option<Vec<u32>>, interval: Option<f64>) -> RecordRequest {
    RecordRequest { variable: variable.into(), neurons, sampling_interval: interval }
}

fn projection(
    pre: &str,
    post: &str,
    connector: Connector,
    weight: Values,
    delay: Option<Values>,
    receptor: Receptor,
) -> Projection {
    Projection {
        label: None,
        pre: pre.into(),
        post: post.into(),
        pre_view: None,
        post_view: None,
        connector,
        weight,
        delay,
        receptor_type: receptor,
        connections: None,
        synapse_dynamics: None,
    }
}

/// A random network with every neuron model, both kinds of spike source, every connector,
/// delays that need delay extensions, current sources and recordings of every variable with
/// subsets and sampling intervals, its populations split over several cores. `ticks` is how
/// long it will run (the spike times and current steps fall inside).
fn random_network(seed: u64, dt: f64, ticks: u32) -> Network {
    let mut rng = StdRng::seed_from_u64(seed);
    let t_end = ticks as f64 * dt;
    let mut pops = Vec::new();
    let mut order = NEURON_TYPES.to_vec();
    // A different order of the models (and so of the cores) per seed.
    for i in (1..order.len()).rev() {
        order.swap(i, rng.random_range(0..=i));
    }
    // One big population (over 128 neurons a core: an in-core delay of 32 ticks at most) takes
    // the delays that need a delay extension; the others have room for 64 ticks in their cores.
    let big = rng.random_range(0..order.len());
    for (k, &ct) in order.iter().enumerate() {
        let size = if k == big { rng.random_range(150..220) } else { rng.random_range(12..70) };
        let mut p = population(&format!("n{k}_{}", ct.name()), size, ct);
        p.max_atoms_per_core = match rng.random_range(0..3) {
            _ if k == big => [None, Some(129), Some(140)][rng.random_range(0..3)],
            0 => None,
            1 => Some(size.div_ceil(2)),
            _ => Some(rng.random_range(5..24)),
        };
        let mut set = |name: &str, v: Values| {
            p.parameters.insert(name.to_string(), v);
        };
        let izk = matches!(ct, CellType::Izhikevich | CellType::IzhikevichCond);
        if izk {
            set("a", some_values(&mut rng, size, 0.02, 0.1));
            set("b", some_values(&mut rng, size, 0.2, 0.25));
            set("c", some_values(&mut rng, size, -65.0, -50.0));
            set("d", some_values(&mut rng, size, 0.05, 8.0));
            set("i_offset", some_values(&mut rng, size, 0.0, 12.0));
            p.initial_values.insert("u".into(), some_values(&mut rng, size, -16.0, -10.0));
            p.initial_values.insert("v".into(), some_values(&mut rng, size, -75.0, -60.0));
        } else {
            set("tau_m", some_values(&mut rng, size, 8.0, 30.0));
            set("cm", some_values(&mut rng, size, 0.5, 1.5));
            set("v_rest", scalar(-65.0));
            set("v_reset", some_values(&mut rng, size, -72.0, -60.0));
            set("v_thresh", some_values(&mut rng, size, -55.0, -48.0));
            set("tau_refrac", some_values(&mut rng, size, 0.0, 4.0));
            set("i_offset", some_values(&mut rng, size, 0.0, 1.6));
            p.initial_values.insert("v".into(), some_values(&mut rng, size, -70.0, -52.0));
        }
        if ct != CellType::IfCurrDelta {
            set("tau_syn_E", some_values(&mut rng, size, 1.0, 8.0));
            set("tau_syn_I", some_values(&mut rng, size, 1.0, 10.0));
            if rng.random::<bool>() {
                p.initial_values
                    .insert("isyn_exc".into(), scalar(rng.random_range(0.0..0.5) * ct.global_weight_scale().recip()));
            }
        }
        if ct.is_conductance() {
            set("e_rev_E", scalar(0.0));
            set("e_rev_I", some_values(&mut rng, size, -85.0, -70.0));
        }
        let interval =
            |rng: &mut StdRng| if rng.random::<bool>() { None } else { Some(dt * rng.random_range(1..6) as f64) };
        p.record.push(record(
            "spikes",
            if rng.random::<bool>() { None } else { Some(subset(&mut rng, size)) },
            interval(&mut rng),
        ));
        for v in ["v", "gsyn_exc", "gsyn_inh"] {
            if rng.random::<f64>() < 0.8 {
                let neurons = if rng.random::<bool>() { None } else { Some(subset(&mut rng, size)) };
                p.record.push(record(v, neurons, interval(&mut rng)));
            }
        }
        pops.push(p);
    }
    let neuron_labels: Vec<String> = pops.iter().map(|p| p.label.clone()).collect();

    // Spike arrays: some neurons listed several times at one tick, some never.
    for k in 0..2 {
        let size = rng.random_range(6..30);
        let mut p = population(&format!("array{k}"), size, CellType::SpikeSourceArray);
        p.max_atoms_per_core = if rng.random::<bool>() { Some(rng.random_range(3..12)) } else { None };
        let times: Vec<Vec<f64>> = (0..size)
            .map(|_| {
                let n = rng.random_range(0..12);
                let mut v: Vec<f64> = (0..n).map(|_| (rng.random_range(0.0..t_end) / dt).floor() * dt).collect();
                if n > 1 && rng.random::<f64>() < 0.3 {
                    let t = v[0];
                    v.push(t);
                    v.push(t);
                }
                v.sort_by(f64::total_cmp);
                v
            })
            .collect();
        p.spike_times = Some(if k == 0 {
            SpikeTimes::PerNeuron(times)
        } else {
            SpikeTimes::Shared((0..8).map(|_| (rng.random_range(0.0..t_end) / dt).floor() * dt).collect())
        });
        let sub = Some(subset(&mut rng, size));
        p.record.push(record(
            "spikes",
            if rng.random::<bool>() { None } else { sub },
            if rng.random::<bool>() { None } else { Some(2.0 * dt) },
        ));
        pops.push(p);
    }

    // Poisson sources: slow, fast and faster rates (per tick: < 0.01, < 10, ≥ 10 spikes),
    // zero rates, starts and durations.
    let per_tick = |r: f64| r * 1000.0 / dt; // Hz for r spikes per tick
    for k in 0..2 {
        let size = rng.random_range(8..40);
        let mut p = population(&format!("poisson{k}"), size, CellType::SpikeSourcePoisson);
        p.max_atoms_per_core = Some(rng.random_range(4..16));
        p.seed = if k == 0 { Some(rng.random_range(0..1000)) } else { None };
        let rates: Vec<f64> = (0..size)
            .map(|_| match rng.random_range(0..10) {
                0 => 0.0,
                1..=3 => per_tick(rng.random_range(0.001..0.01)),
                4..=7 => per_tick(rng.random_range(0.01..0.3)),
                8 => per_tick(rng.random_range(0.3..10.0)),
                _ => per_tick(rng.random_range(10.0..14.0)),
            })
            .collect();
        p.parameters.insert("rate".into(), Values::Array(rates));
        if rng.random::<bool>() {
            p.parameters.insert(
                "start".into(),
                Values::Array((0..size).map(|_| (rng.random_range(0.0..t_end / 2.0) / dt).round() * dt).collect()),
            );
        }
        if rng.random::<bool>() {
            p.parameters.insert(
                "duration".into(),
                Values::Array((0..size).map(|_| (rng.random_range(0.0..t_end) / dt).round() * dt).collect()),
            );
        }
        p.record.push(record("spikes", None, None));
        pops.push(p);
    }

    // Projections: every connector, from every kind of source, excitatory and inhibitory, with
    // delays from one tick to past the delay extensions' first stages.
    let labels: Vec<String> = pops.iter().map(|p| p.label.clone()).collect();
    let sizes: BTreeMap<String, (u32, CellType)> =
        pops.iter().map(|p| (p.label.clone(), (p.size, p.cell_type))).collect();
    let mut projections = Vec::new();
    let mut views = StdRng::seed_from_u64(seed ^ 0x7669_6577);
    let n_proj = rng.random_range(14..20);
    for k in 0..n_proj {
        // The first ones cover every connector and every source population once.
        // The last two go to the big population, with long delays, one of them from the spike
        // array whose neurons all fire.
        let to_big = k + 2 >= n_proj;
        let pre = if k + 1 == n_proj {
            "array1".to_string()
        } else if k < labels.len() {
            labels[k].clone()
        } else {
            labels[rng.random_range(0..labels.len())].clone()
        };
        let post = if to_big {
            neuron_labels[big].clone()
        } else {
            neuron_labels[rng.random_range(0..neuron_labels.len())].clone()
        };
        let (n_pre, pre_type) = sizes[&pre];
        let (n_post, post_type) = sizes[&post];
        let same = pre == post;
        let allow = !same || rng.random::<bool>();
        let connector = match (k + rng.random_range(0..2)) % 7 {
            // The delay extensions carry traffic: a connector without delays of its own.
            _ if k + 1 == n_proj => {
                Connector::FixedProbabilityConnector { p_connect: 0.3, allow_self_connections: true, rng_seed: None }
            }
            0 => Connector::FixedProbabilityConnector {
                p_connect: rng.random_range(0.03..0.25),
                allow_self_connections: allow,
                rng_seed: None,
            },
            1 => Connector::AllToAllConnector { allow_self_connections: allow },
            2 => Connector::OneToOneConnector,
            3 => Connector::FixedNumberPreConnector {
                n: rng.random_range(1..4.min(n_pre - 1) + 1) as u64,
                allow_self_connections: allow,
                with_replacement: rng.random(),
                rng_seed: None,
            },
            4 => Connector::FixedNumberPostConnector {
                n: rng.random_range(1..4.min(n_post - 1) + 1) as u64,
                allow_self_connections: allow,
                with_replacement: rng.random(),
            },
            5 => Connector::FixedTotalNumberConnector {
                n: rng.random_range(5..60),
                allow_self_connections: allow,
                with_replacement: rng.random(),
            },
            _ => Connector::FromListConnector {
                conn_list: (0..rng.random_range(5..40))
                    .map(|_| {
                        let mut c = vec![rng.random_range(0..n_pre) as f64, rng.random_range(0..n_post) as f64];
                        if rng.random::<f64>() < 0.8 {
                            c.push(rng.random_range(0.1..1.0));
                            if rng.random::<bool>() {
                                c.push((rng.random_range(1..30) as f64) * dt);
                            }
                        }
                        c
                    })
                    .collect(),
            },
        };
        // Strong enough to matter, in nA or µS.
        let scale = if post_type.is_conductance() {
            0.02
        } else if matches!(post_type, CellType::Izhikevich) {
            3.0
        } else {
            1.0
        };
        let scale = if pre_type == CellType::SpikeSourcePoisson { scale * 0.3 } else { scale };
        let weight = match rng.random_range(0..3) {
            0 => scalar(rng.random_range(0.1..1.0) * scale),
            _ => uniform(0.05 * scale, rng.random_range(0.3..1.5) * scale),
        };
        let max_delay = [2.0, 8.0, 16.0, 30.0, 60.0, 100.0][rng.random_range(0..6)] * dt;
        let max_delay = if to_big {
            rng.random_range(40.0..140.0) * dt
        } else if post == neuron_labels[big] {
            max_delay.min(32.0 * dt)
        } else {
            max_delay.min(60.0 * dt)
        };
        let delay = match rng.random_range(0..4) {
            _ if to_big => Some(uniform(dt, max_delay)),
            0 => None,
            1 => Some(scalar((rng.random_range(1.0..max_delay / dt)).round() * dt)),
            _ => Some(uniform(dt, max_delay)),
        };
        let receptor = if rng.random::<f64>() < 0.35 { Receptor::Inhibitory } else { Receptor::Excitatory };
        let mut proj = projection(&pre, &post, connector, weight, delay, receptor);
        // A PopulationView on either side now and then (docs/decisions.md D20), for the
        // connectors whose sizes do not matter, from a stream of its own.
        if matches!(
            proj.connector,
            Connector::AllToAllConnector { .. }
                | Connector::FixedProbabilityConnector { .. }
                | Connector::OneToOneConnector
        ) && views.random_bool(0.3)
        {
            let mut view = |n: u32| {
                let start = views.random_range(0..n);
                View { start, stop: views.random_range(start + 1..=n) }
            };
            (proj.pre_view, proj.post_view) = (Some(view(n_pre)), Some(view(n_post)));
        }
        // Now and then an AllButMeConnector with its group's weights (between populations of one
        // size) or a KernelConnector (in place of an all-to-all), between whole populations, from
        // the same stream.
        let whole = proj.pre_view.is_none() && proj.post_view.is_none();
        if whole && n_pre == n_post && views.random_bool(0.3) {
            let group = (1..=n_pre.min(6)).rev().find(|g| n_pre % g == 0).expect("1 divides");
            let n = (group * group.saturating_sub(1)) as usize;
            let weights = Some((0..n).map(|_| views.random_range(0.1..1.0) * scale).collect());
            proj.connector = Connector::AllButMeConnector { n_neurons_per_group: Some(group), weights };
        } else if whole && matches!(proj.connector, Connector::AllToAllConnector { .. }) && views.random_bool(0.3) {
            proj.connector = Connector::KernelConnector(Box::new(kernel(&mut views, n_pre, n_post, scale)));
        }
        projections.push(proj);
    }

    // Current sources: DC with start and stop, steps (with repeated times: a step is taken
    // per evaluation), on subsets and whole populations.
    let mut current_sources = Vec::new();
    for k in 0..4 {
        let target = &pops[rng.random_range(0..NEURON_TYPES.len())];
        let izk = matches!(target.cell_type, CellType::Izhikevich | CellType::IzhikevichCond);
        let amp = if izk { 6.0 } else { 0.8 };
        let neurons = if rng.random::<bool>() { None } else { Some(subset(&mut rng, target.size)) };
        let source = if k % 2 == 0 {
            let start = (rng.random_range(0.0..t_end / 2.0) / dt).round() * dt;
            let stop = if rng.random::<bool>() {
                f64::INFINITY
            } else {
                start + (rng.random_range(0.0..t_end) / dt).round() * dt
            };
            CurrentSourceKind::DCSource { amplitude: rng.random_range(-0.3..1.0) * amp, start, stop }
        } else {
            let mut times: Vec<f64> =
                (0..rng.random_range(2..7)).map(|_| (rng.random_range(0.0..t_end) / dt).round() * dt).collect();
            times.push(times[0]);
            times.push(0.0);
            times.sort_by(f64::total_cmp);
            let amplitudes = times.iter().map(|_| rng.random_range(-0.5..1.0) * amp).collect();
            CurrentSourceKind::StepCurrentSource { times, amplitudes }
        };
        current_sources.push(CurrentSource { population: target.label.clone(), neurons, source });
    }

    // Populations that send nothing: a neuron population that only receives (its core has no
    // key), a Poisson source and a spike array without projections, all recorded.
    let quiet_type = NEURON_TYPES[rng.random_range(0..NEURON_TYPES.len())];
    let mut quiet = population("quiet", rng.random_range(3..20), quiet_type);
    quiet.parameters.insert(
        "i_offset".into(),
        scalar(if matches!(quiet_type, CellType::Izhikevich | CellType::IzhikevichCond) { 8.0 } else { 0.9 }),
    );
    quiet.record.push(record("spikes", None, None));
    quiet.record.push(record("v", None, Some(3.0 * dt)));
    let scale = if quiet_type.is_conductance() { 0.02 } else { 1.0 };
    projections.push(projection(
        "array1",
        "quiet",
        Connector::AllToAllConnector { allow_self_connections: true },
        scalar(scale),
        None,
        Receptor::Excitatory,
    ));
    let mut lone_poisson = population("lone_poisson", 5, CellType::SpikeSourcePoisson);
    lone_poisson.parameters.insert("rate".into(), scalar(50.0));
    lone_poisson.record.push(record("spikes", None, None));
    let mut lone_array = population("lone_array", 4, CellType::SpikeSourceArray);
    lone_array.spike_times = Some(SpikeTimes::Shared(vec![dt, 5.0 * dt, 5.0 * dt]));
    lone_array.record.push(record("spikes", None, None));
    pops.extend([quiet, lone_poisson, lone_array]);

    let net = Network {
        timestep: dt,
        min_delay: None,
        max_delay: None,
        seed,
        draws: Default::default(),
        run_ms: None,
        populations: pops,
        projections,
        current_sources,
    };
    net.validate().unwrap_or_else(|e| panic!("random network {seed}: {e}"));
    net
}

/// Gives some Poisson sources of the image schedules of several rates (start, duration),
/// which the network model cannot express but the binary (and both engines) run.
fn add_rate_schedules(image: &mut MachineImage, seed: u64, ticks: u32) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5_C4ED);
    let u3232 = |x: f64| (x * 4294967296.0).round() as u64;
    let ms = image.timestep_ms;
    for core in &mut image.cores {
        let CoreKind::Poisson(pc) = &mut core.kind else { continue };
        for rates in pc.rates.iter_mut() {
            if rng.random::<f64>() < 0.4 {
                continue;
            }
            let mut v = Vec::new();
            let mut t = 0.0;
            for _ in 0..rng.random_range(2..5) {
                let hz = [0.0, 3.0, 40.0, 300.0, 2000.0, 15000.0][rng.random_range(0..6)] / ms;
                let dur = rng.random_range(1..(ticks / 3).max(2)) as f64 * ms;
                let forever = rng.random::<f64>() < 0.15;
                v.push(PoissonRate {
                    rate: u3232(hz),
                    start: u3232(t),
                    duration: if forever { 0xFFFF_FFFF_0000_0000 } else { u3232(dur) },
                });
                // Gaps and overlaps between periods.
                t += dur + rng.random_range(0..4) as f64 * ms;
            }
            *rates = v;
        }
    }
}

fn check_active(a: &Activity, what: &str) {
    assert!(a.spikes > 50, "{what}: only {} spikes: {a:?}", a.spikes);
    assert!(a.samples > 100, "{what}: {a:?}");
    assert!(a.pre_synaptic_events > 500, "{what}: {a:?}");
    assert!(a.delay_packets > 0, "{what}: no delay-extension traffic: {a:?}");
}

fn random_case(seed: u64, dt: f64, chunks: &[u32], schedules: bool, options: MapOptions) -> Activity {
    let ticks: u32 = chunks.iter().sum();
    let net = random_network(seed, dt, ticks);
    let mut image = map(&net, options).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    if schedules {
        add_rate_schedules(&mut image, seed, ticks);
    }
    let cores = image.cores.len();
    assert!(image.cores.iter().any(|c| matches!(c.kind, CoreKind::Delay(_))), "seed {seed}: no delay extension");
    let mut pair = Pair::new(image, GpuOptions::default(), &format!("random network {seed}, dt {dt}"));
    for &c in chunks {
        pair.run(c);
    }
    let a = pair.activity();
    eprintln!("seed {seed} dt {dt}: {cores} cores, {a:?}");
    a
}

#[test]
fn random_networks_at_dt_1() {
    if !common::gpu_or_skip() {
        return;
    }
    for seed in [1, 2, 3, 4] {
        let a = random_case(seed, 1.0, &[37, 100, 63], seed == 2, map_options(seed));
        check_active(&a, &format!("seed {seed}"));
    }
}

#[test]
fn random_networks_at_dt_0_1() {
    if !common::gpu_or_skip() {
        return;
    }
    for seed in [11, 12, 13, 14] {
        let a = random_case(seed, 0.1, &[37, 100, 63], seed == 12, map_options(seed));
        check_active(&a, &format!("seed {seed}"));
    }
}

/// The random networks of the two tests above carry KernelConnectors and AllButMeConnectors with
/// their own weights (so both engines are compared on them), and every one maps.
#[test]
fn the_random_networks_hold_every_generated_connector_and_map() {
    let (mut kernels, mut groups) = (0, 0);
    for (seed, dt) in [1, 2, 3, 4].map(|s| (s, 1.0)).into_iter().chain([11, 12, 13, 14].map(|s| (s, 0.1))) {
        let net = random_network(seed, dt, 100);
        for p in &net.projections {
            kernels += usize::from(matches!(p.connector, Connector::KernelConnector(_)));
            groups += usize::from(matches!(p.connector, Connector::AllButMeConnector { weights: Some(_), .. }));
        }
        map(&net, map_options(seed)).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
    assert!(kernels > 0 && groups > 0, "{kernels} kernel and {groups} all-but-me projections");
}

/// The 2019 profile for some seeds, host-built matrices (a virtual board) for others.
fn map_options(seed: u64) -> MapOptions {
    match seed % 10 {
        3 => MapOptions { profile: Profile::Spinnaker2019, ..Default::default() },
        4 => MapOptions { virtual_board: true, ..Default::default() },
        _ => MapOptions::default(),
    }
}

// ---- Between runs: parameter changes, new rates, current sources and spike times, resets.

fn find(net: &Network, pred: impl Fn(&Population) -> bool) -> usize {
    net.populations.iter().position(pred).expect("a population of the kind")
}

/// What sim.rs `set` and friends do, on both engines, between runs that end off the 16-tick
/// colour cycle; then a soft reset (late spikes, colour delays, delay extensions holding spikes),
/// initial values loaded at tick 0, and a reset in Reload mode.
fn changes_between_runs(seed: u64, dt: f64) {
    let mut net = random_network(seed, dt, 200);
    let image = map(&net, MapOptions::default()).unwrap();
    let mut pair = Pair::new(image, GpuOptions::default(), &format!("changes, network {seed}, dt {dt}"));
    let mut rng = StdRng::seed_from_u64(seed);
    pair.run(37);

    // Neuron parameters of a LIF and an Izhikevich population.
    let lif = find(&net, |p| p.cell_type == CellType::IfCurrExp);
    let n = net.populations[lif].size;
    net.populations[lif]
        .parameters
        .insert("i_offset".into(), Values::Array((0..n).map(|_| rng.random_range(0.0..2.0)).collect()));
    net.populations[lif].parameters.insert("tau_m".into(), scalar(12.0));
    pair.set(&net, lif, false);
    let izk = find(&net, |p| p.cell_type == CellType::IzhikevichCond);
    net.populations[izk].parameters.insert("d".into(), scalar(6.0));
    net.populations[izk].parameters.insert("i_offset".into(), scalar(9.0));
    pair.set(&net, izk, false);
    // An initial value set mid-run takes effect only after a reset.
    let delta = find(&net, |p| p.cell_type == CellType::IfCurrDelta);
    net.populations[delta].initial_values.insert("v".into(), scalar(-51.0));
    pair.set(&net, delta, true);
    pair.run(50);

    // New Poisson rates (slow sources draw anew), and rates written again unchanged.
    let p0 = find(&net, |p| p.label == "poisson0");
    let n = net.populations[p0].size;
    let rates = (0..n).map(|i| [0.0, 2.0, 60.0, 900.0, 12000.0][i as usize % 5] / dt).collect();
    net.populations[p0].parameters.insert("rate".into(), Values::Array(rates));
    pair.set(&net, p0, false);
    let p1 = find(&net, |p| p.label == "poisson1");
    pair.set(&net, p1, false);
    pair.run(41);

    // A current source and the spike times of an array changed.
    let k = net
        .current_sources
        .iter()
        .position(|c| matches!(c.source, CurrentSourceKind::StepCurrentSource { .. }))
        .unwrap();
    let t = pair.cpu.tick() as f64 * dt;
    net.current_sources[k].source = CurrentSourceKind::StepCurrentSource {
        times: vec![0.0, t + 3.0 * dt, t + 3.0 * dt, t + 20.0 * dt],
        amplitudes: vec![0.2, 0.9, -0.4, 0.5],
    };
    let target = net.population_index(&net.current_sources[k].population.clone()).unwrap();
    pair.set(&net, target, false);
    let arr = find(&net, |p| p.label == "array0");
    let n = net.populations[arr].size;
    net.populations[arr].spike_times = Some(SpikeTimes::PerNeuron(
        (0..n).map(|i| vec![t + (i % 7) as f64 * dt, t + 15.0 * dt, t + 15.0 * dt, 0.0]).collect(),
    ));
    pair.set(&net, arr, false);
    pair.run(31);
    // Off the colour cycle by an odd number of ticks: the late spikes are counted.
    assert_eq!(pair.cpu.tick() % 2, 1);

    pair.run(0);
    // A soft reset: colours and delay extensions carry on, spikes arrive late or early.
    pair.reset();
    pair.check();
    // At tick 0 new rates and spike times are read at start-up.
    let n = net.populations[p1].size;
    net.populations[p1]
        .parameters
        .insert("rate".into(), Values::Array((0..n).map(|i| [5.0, 80.0, 3000.0][i as usize % 3] / dt).collect()));
    pair.set(&net, p1, false);
    let n = net.populations[arr].size;
    net.populations[arr].spike_times =
        Some(SpikeTimes::PerNeuron((0..n).map(|i| vec![(i % 5) as f64 * dt, 9.0 * dt]).collect()));
    pair.set(&net, arr, false);
    net.populations[delta].initial_values.insert("v".into(), uniform(-60.0, -50.0));
    pair.set(&net, delta, true);
    net.populations[lif].initial_values.insert("isyn_exc".into(), scalar(0.3));
    pair.set(&net, lif, true);
    pair.run(1);
    pair.run(76);
    pair.run(23);
    let a = pair.activity();
    assert!(a.late_spikes > 0, "no late spikes after the soft reset: {a:?}");
    assert!(!pair.cpu.warnings().is_empty());

    // Reload: a fresh start, then a soft reset again.
    pair.set_reset_mode(ResetMode::Reload);
    pair.reset();
    pair.run(45);
    pair.set_reset_mode(ResetMode::Soft);
    pair.reset();
    pair.run(40);
    let a = pair.activity();
    eprintln!("changes {seed} dt {dt}: {a:?}");
    check_active(&a, &format!("changes {seed}"));
    assert!(a.synapses_skipped > 0, "no synapse skipped for a colour delay: {a:?}");
}

#[test]
fn parameter_changes_and_resets_at_dt_1() {
    if common::gpu_or_skip() {
        changes_between_runs(21, 1.0);
    }
}

#[test]
fn parameter_changes_and_resets_at_dt_0_1() {
    if common::gpu_or_skip() {
        changes_between_runs(22, 0.1);
    }
}

// ---- Saturation.

/// Many strong synapses converging on few neurons with small ring-buffer shifts (no rate
/// statistics), and more than 255 spikes of one atom in one tick into a delay extension, both
/// as many packets (a spike array listing a neuron many times) and as one payload (Poisson).
fn saturating_network(dt: f64) -> Network {
    let burst: Vec<Vec<f64>> = (0..120)
        .map(|i| {
            let mut v: Vec<f64> = [2.0, 3.0, 9.0, 10.0, 30.0, 31.0, 32.0, 70.0].iter().map(|t| t * dt).collect();
            if i < 3 {
                // Listed 300 (or 200) times at one tick: k packets of one.
                v.extend(std::iter::repeat_n(12.0 * dt, if i == 2 { 200 } else { 300 }));
                v.extend(std::iter::repeat_n(13.0 * dt, 100));
            }
            v.sort_by(f64::total_cmp);
            v
        })
        .collect();
    let mut array = population("burst", 120, CellType::SpikeSourceArray);
    array.spike_times = Some(SpikeTimes::PerNeuron(burst));
    array.max_atoms_per_core = Some(50);
    array.record.push(record("spikes", None, None));
    let mut flood = population("flood", 4, CellType::SpikeSourcePoisson);
    // 300 spikes a tick from source 0 (one packet, payload 300), fewer from the others.
    flood
        .parameters
        .insert("rate".into(), Values::Array([300.0, 250.0, 20.0, 0.5].iter().map(|r| r * 1000.0 / dt).collect()));
    flood.parameters.insert("duration".into(), scalar(40.0 * dt));
    flood.record.push(record("spikes", None, None));
    let mut sink = population("sink", 150, CellType::IfCurrExp);
    sink.spikes_per_second = Some(0.0);
    sink.ring_buffer_sigma = Some(0.0);
    sink.max_atoms_per_core = Some(140);
    sink.parameters.insert("tau_refrac".into(), scalar(2.0));
    sink.record.push(record("spikes", None, None));
    sink.record.push(record("v", Some(vec![0, 1, 2, 100, 149]), None));
    sink.record.push(record("gsyn_exc", Some(vec![0, 3, 141]), Some(2.0 * dt)));
    sink.record.push(record("gsyn_inh", None, Some(3.0 * dt)));
    let mut cond = population("cond", 30, CellType::IfCondExp);
    cond.spikes_per_second = Some(0.0);
    cond.ring_buffer_sigma = Some(0.0);
    cond.record.push(record("gsyn_exc", None, None));
    cond.record.push(record("v", None, None));
    let all = || Connector::AllToAllConnector { allow_self_connections: true };
    let d = |lo: f64, hi: f64| Some(uniform(lo * dt, hi * dt));
    Network {
        timestep: dt,
        min_delay: None,
        max_delay: None,
        seed: 5,
        draws: Default::default(),
        run_ms: None,
        populations: vec![array, flood, sink, cond],
        projections: vec![
            projection("burst", "sink", all(), uniform(0.5, 3.0), d(1.0, 4.0), Receptor::Excitatory),
            projection(
                "burst",
                "sink",
                Connector::FixedProbabilityConnector { p_connect: 0.5, allow_self_connections: true, rng_seed: None },
                uniform(0.5, 2.0),
                d(1.0, 3.0),
                Receptor::Inhibitory,
            ),
            // Through the delay extensions.
            projection(
                "burst",
                "sink",
                Connector::OneToOneConnector,
                uniform(1.0, 3.0),
                d(33.0, 60.0),
                Receptor::Excitatory,
            ),
            projection("flood", "sink", all(), uniform(0.1, 1.0), d(20.0, 70.0), Receptor::Excitatory),
            projection("flood", "sink", all(), scalar(0.5), d(1.0, 8.0), Receptor::Inhibitory),
            projection("burst", "cond", all(), uniform(0.01, 0.05), d(1.0, 5.0), Receptor::Excitatory),
            projection(
                "sink",
                "cond",
                Connector::FixedProbabilityConnector { p_connect: 0.3, allow_self_connections: true, rng_seed: None },
                uniform(0.01, 0.05),
                d(1.0, 9.0),
                Receptor::Inhibitory,
            ),
            // Multapses: more than the replay keeps of one packet for one neuron (16), from the
            // neurons that fire hundreds of times in a tick.
            projection(
                "burst",
                "cond",
                Connector::FromListConnector {
                    conn_list: (0..60)
                        .map(|k| vec![(k % 3) as f64, 7.0, 0.004 * (1 + k % 5) as f64, (1 + k % 4) as f64 * dt])
                        .collect(),
                },
                scalar(0.01),
                None,
                Receptor::Excitatory,
            ),
        ],
        current_sources: vec![],
    }
}

#[test]
fn ring_buffer_and_delay_count_saturation() {
    if !common::gpu_or_skip() {
        return;
    }
    // At 5 ms a tick a Poisson source can send more than 255 spikes in one packet (its rate is
    // an unsigned accum: 65535 Hz at most).
    for dt in [1.0, 0.1, 5.0] {
        let net = saturating_network(dt);
        let mut pair = Pair::of(&net, &format!("saturation, dt {dt}"));
        pair.run(45);
        pair.run(55);
        let a = pair.activity();
        eprintln!("saturation dt {dt}: {a:?}");
        assert!(a.weight_saturations > 1000, "{a:?}");
        assert!(a.delay_saturations > 1, "{a:?}");
        assert!(a.spikes > 100, "{a:?}");
        let prov = pair.cpu.provenance();
        // Both kinds of delay-count saturation: many packets of one (the array) and one payload (Poisson).
        let sat = |label: &str| {
            prov.iter()
                .filter(|p| p.core.starts_with(label) && p.core.contains("_delayed"))
                .map(|p| p.delay_count_saturations)
                .sum::<u64>()
        };
        assert!(sat("burst") >= 300 - 255, "{prov:?}");
        if dt == 5.0 {
            assert!(sat("flood") > 0, "{prov:?}");
        }
    }
}

/// One tick whose saturation replay needs more loop iterations than Mesa's llvmpipe lets an
/// invocation run (65535): on lavapipe the run stops with an error saying so (instead of wrong
/// counts); on a hardware GPU the results are the CPU engine's.
#[test]
fn a_replay_past_the_llvmpipe_loop_limit_is_an_error_there() {
    if !common::gpu_or_skip() {
        return;
    }
    let mut array = population("wave", 700, CellType::SpikeSourceArray);
    array.spike_times = Some(SpikeTimes::Shared(vec![3.0]));
    let mut sink = population("sink", 200, CellType::IfCurrExp);
    sink.spikes_per_second = Some(0.0);
    sink.ring_buffer_sigma = Some(0.0);
    sink.record.push(record("spikes", None, None));
    let net = Network {
        timestep: 1.0,
        min_delay: None,
        max_delay: None,
        seed: 9,
        draws: Default::default(),
        run_ms: None,
        populations: vec![array, sink],
        projections: vec![projection(
            "wave",
            "sink",
            Connector::AllToAllConnector { allow_self_connections: true },
            uniform(0.5, 2.0),
            Some(uniform(1.0, 3.0)),
            Receptor::Excitatory,
        )],
        current_sources: vec![],
    };
    let image = map(&net, MapOptions::default()).unwrap();
    let (mut cpu, mut gpu) = (Machine::new(image.clone()).unwrap(), Machine::new(image).unwrap());
    let mut gpu_engine = GpuEngine::new(&gpu).unwrap();
    CpuEngine::new(Some(1)).unwrap().run(&mut cpu, 10).unwrap();
    assert!(cpu.provenance().iter().map(|p| p.synaptic_weight_saturations).sum::<u64>() > 100_000);
    let adapter = gpu_engine.adapter().unwrap().clone();
    let software = !adapter.is_hardware && adapter.name.to_lowercase().contains("llvmpipe");
    match gpu_engine.run(&mut gpu, 10) {
        Err(e) if software => {
            eprintln!("{e}");
            assert!(e.to_string().contains("65535"), "{e}");
        }
        Err(e) => panic!("the GPU run failed on {}: {e}", adapter.name),
        // A driver without the limit (or a later Mesa) runs it to the end.
        Ok(()) => {
            assert_eq!(cpu.provenance(), gpu.provenance());
            assert_eq!(cpu.recordings(), gpu.recordings());
        }
    }
}

// ---- Chunked buffers and the row-job overflow.

fn ring_entries(image: &MachineImage) -> u64 {
    image.cores.iter().map(|c| if let CoreKind::Neuron(nc) = &c.kind { nc.ring_buffer_len() as u64 } else { 0 }).sum()
}

fn log2_ceil(x: u64) -> u32 {
    64 - (x.max(2) - 1).leading_zeros()
}

#[test]
fn small_chunks_tiny_job_queue_and_short_batches() {
    if !common::gpu_or_skip() {
        return;
    }
    for (first_seed, dt) in [(31, 1.0), (131, 0.1)] {
        // A network whose synaptic words fill all four chunks of some power of two: more than
        // 3/4 of a power of two.
        let (seed, image, n_words) = (first_seed..first_seed + 50)
            .find_map(|seed| {
                let net = random_network(seed, dt, 160);
                let image = map(&net, MapOptions::default()).unwrap();
                let n_words = GpuEngine::new(&Machine::new(image.clone()).unwrap()).unwrap().synaptic_words();
                (4 * n_words > 3 << log2_ceil(n_words)).then_some((seed, image, n_words))
            })
            .expect("a network of the right size");
        let n_ring = ring_entries(&image);
        // Words over 4 chunks, ring entries over 2.
        let words_log2 = log2_ceil(n_words.div_ceil(4));
        let ring_log2 = log2_ceil(n_ring.div_ceil(2));
        assert!(n_words > 3 << words_log2 && n_words <= 4 << words_log2, "{n_words} words, chunks of 2^{words_log2}");
        assert!(n_ring > 1 << ring_log2 && n_ring <= 2 << ring_log2, "{n_ring} entries, chunks of 2^{ring_log2}");
        let options = GpuOptions {
            words_chunk_log2: Some(words_log2),
            ring_chunk_log2: Some(ring_log2),
            job_capacity: Some(3),
            max_batch_ticks: Some(7),
            ..Default::default()
        };
        let mut pair = Pair::new(image.clone(), options, &format!("chunks, network {seed}, dt {dt}"));
        for c in [37, 60, 63] {
            pair.run(c);
        }
        // The same run through one soft reset and a parameter change.
        pair.reset();
        pair.run(29);
        let a = pair.activity();
        eprintln!(
            "chunks {seed}: {n_words} words in 2^{words_log2}, {n_ring} ring entries in 2^{ring_log2}, {:?}",
            pair.gpu_engine.stats
        );
        check_active(&a, &format!("chunks {seed}"));
        assert!(pair.gpu_engine.stats.submissions >= (160 + 29) / 7, "{:?}", pair.gpu_engine.stats);
    }
}

fn engine_error(image: MachineImage, options: GpuOptions) -> String {
    match GpuEngine::with_options(&Machine::new(image).unwrap(), options) {
        Ok(_) => panic!("the GPU engine accepted {options:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn chunks_too_small_are_a_clear_error() {
    if !common::gpu_or_skip() {
        return;
    }
    let net = random_network(33, 1.0, 100);
    let image = map(&net, MapOptions::default()).unwrap();
    let n_words = GpuEngine::new(&Machine::new(image.clone()).unwrap()).unwrap().synaptic_words();
    let n_ring = ring_entries(&image);
    let words_log2 = log2_ceil(n_words.div_ceil(4));
    let ring_log2 = log2_ceil(n_ring.div_ceil(2));
    let e = engine_error(image.clone(), GpuOptions { words_chunk_log2: Some(words_log2 - 1), ..Default::default() });
    assert!(e.contains("synaptic words"), "{e}");
    let e = engine_error(image.clone(), GpuOptions { words_chunk_log2: Some(0), ..Default::default() });
    assert!(e.contains("synaptic words"), "{e}");
    let e = engine_error(image.clone(), GpuOptions { ring_chunk_log2: Some(ring_log2 - 1), ..Default::default() });
    assert!(e.contains("ring-buffer entries"), "{e}");
    // Chunks past what a 32-bit index addresses.
    let e = engine_error(image.clone(), GpuOptions { words_chunk_log2: Some(32), ..Default::default() });
    assert!(e.contains("chunk"), "{e}");
    let e = engine_error(image.clone(), GpuOptions { ring_chunk_log2: Some(40), ..Default::default() });
    assert!(e.contains("chunk"), "{e}");
    // The exact fit is accepted.
    assert!(GpuEngine::with_options(
        &Machine::new(image).unwrap(),
        GpuOptions { words_chunk_log2: Some(words_log2), ring_chunk_log2: Some(ring_log2), ..Default::default() }
    )
    .is_ok());
}

// ---- Counters that a mapped network never moves, moved by editing its image.

/// A random network with a routing entry removed (unrouted packets), extra destinations
/// (invalid pop-table hits on neuron cores and on delay extensions), a pop-table entry whose
/// addresses are all invalid (ghost searches) and one that points outside the matrix.
#[test]
fn unrouted_packets_invalid_hits_ghost_searches_and_rows_outside_the_matrix() {
    if !common::gpu_or_skip() {
        return;
    }
    let net = random_network(41, 1.0, 150);
    let mut image = map(&net, MapOptions::default()).unwrap();
    let kind_of = |image: &MachineImage, c: u32| std::mem::discriminant(&image.cores[c as usize].kind);
    let neuron_kind =
        std::mem::discriminant(&image.cores.iter().find(|c| matches!(c.kind, CoreKind::Neuron(_))).unwrap().kind);
    let delay_cores: Vec<u32> =
        (0..image.cores.len() as u32).filter(|&c| matches!(image.cores[c as usize].kind, CoreKind::Delay(_))).collect();
    let neuron_cores: Vec<u32> = (0..image.cores.len() as u32).filter(|&c| kind_of(&image, c) == neuron_kind).collect();
    // The spike arrays' entries: the first one goes, the second one reaches every core.
    let array_entry = |image: &MachineImage, label: &str| {
        let core = image.cores.iter().find(|c| c.label.starts_with(label)).unwrap();
        image.routing_table.iter().position(|e| core.key.unwrap() & e.mask == e.key).unwrap()
    };
    let gone = array_entry(&image, "array0");
    image.routing_table.remove(gone);
    // A sending core whose keys a delay extension reads as atoms it does not have.
    let pre_mask = |image: &MachineImage, d: u32| {
        let dc = &image.cores[d as usize];
        image.population_cores[dc.population]
            .iter()
            .map(|&c| &image.cores[c as usize])
            .find(|c| c.lo_atom == dc.lo_atom)
            .unwrap()
            .mask
    };
    let mut stray = None;
    'find: for &d in &delay_cores {
        let (mask, dc) = (pre_mask(&image, d), &image.cores[d as usize]);
        for (s, src) in image.cores.iter().enumerate() {
            if let (Some(key), CoreKind::Neuron(_) | CoreKind::Poisson(_)) = (src.key, &src.kind) {
                if ((key & !mask) >> dc.n_colour_bits) >= dc.n_atoms
                    && image.routing_table.iter().any(|e| key & e.mask == e.key)
                {
                    stray = Some((s, d));
                    break 'find;
                }
            }
        }
    }
    let (s, d) = stray.expect("a core to route to a delay extension");
    let key = image.cores[s].key.unwrap();
    let e = image.routing_table.iter().position(|e| key & e.mask == e.key).unwrap();
    image.routing_table[e].destinations.push(d);
    image.routing_table[e].destinations.sort_unstable();
    let all = array_entry(&image, "array1");
    let mut dests: Vec<u32> = neuron_cores.iter().chain(&delay_cores).copied().collect();
    dests.sort_unstable();
    image.routing_table[all].destinations = dests;
    // Pop tables: on one core every address of the first entry made invalid, on another the
    // first address moved past the matrix.
    let mut edited = 0;
    for &c in &neuron_cores {
        let CoreKind::Neuron(nc) = &mut image.cores[c as usize].kind else { unreachable!() };
        let pop = &mut nc.pop_table;
        if pop[0] == 0 {
            continue;
        }
        let (w2, list) = (pop[4], 2 + pop[0] as usize * 5);
        let (start, count) = ((w2 & 0x1FFF) as usize, (w2 >> 16) as usize);
        if edited == 0 {
            for item in &mut pop[list + start..list + start + count] {
                *item |= 0xFFFF_FF00;
            }
        } else {
            pop[list + start] = (pop[list + start] & 0xFF) | (0x3F_FFF0 << 8);
        }
        edited += 1;
        if edited == 2 {
            break;
        }
    }
    let mut pair = Pair::new(image, GpuOptions::default(), "surgery");
    pair.run(70);
    pair.run(80);
    let prov = pair.cpu.provenance();
    let sum = |f: fn(&spinnsim::record::Provenance) -> u64| prov.iter().map(f).sum::<u64>();
    assert!(pair.cpu.unrouted_packets() > 0);
    assert!(sum(|p| p.invalid_master_pop_hits) > 0, "{prov:?}");
    assert!(
        prov.iter().filter(|p| p.core.contains("_delayed")).map(|p| p.invalid_master_pop_hits).sum::<u64>() > 0,
        "{prov:?}"
    );
    assert!(sum(|p| p.ghost_pop_table_searches) > 0, "{prov:?}");
    assert!(sum(|p| p.rows_outside_matrix) > 0, "{prov:?}");
}

/// A random network with plastic projections (the rule, dependence and backprop delay drawn by
/// seed), Poisson and array sources, static drive, delays that need delay extensions.
fn plastic_network(seed: u64, dt: f64) -> Network {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut net = dataset("stdp_pair.toml");
    net.timestep = dt;
    net.seed = seed;
    net.populations.clear();
    net.projections.clear();
    let mut pre = population("pre", 60, CellType::SpikeSourcePoisson);
    pre.parameters.insert("rate".into(), some_values(&mut rng, 60, 5.0, 80.0));
    net.populations.push(pre);
    let mut fast = population("fast", 8, CellType::SpikeSourcePoisson);
    // Fast sources send several spikes in one tick now and then.
    fast.parameters.insert("rate".into(), scalar(if dt < 1.0 { 9000.0 } else { 1500.0 }));
    net.populations.push(fast);
    let mut array = population("array", 5, CellType::SpikeSourceArray);
    array.spike_times = Some(SpikeTimes::PerNeuron(
        (0..5).map(|k| (0..20).map(|j| (3 + k * 7 + j * 13) as f64 * dt.max(1.0)).collect()).collect(),
    ));
    net.populations.push(array);
    let cell = if seed % 2 == 0 { CellType::IfCurrExp } else { CellType::IfCondExp };
    let mut post = population("post", 40, cell);
    post.record.push(record("spikes", None, None));
    post.record.push(record("v", Some(vec![0, 7, 39]), None));
    net.populations.push(post);
    let w = if cell == CellType::IfCondExp { 0.01 } else { 1.0 };
    let (tau_plus, tau_minus) = (rng.random_range(10.0..30.0), rng.random_range(10.0..40.0));
    let (a_plus, a_minus) = (rng.random_range(0.01..0.2) * w, rng.random_range(0.01..0.2) * w);
    let timing = if seed % 3 == 0 {
        TimingRule::SpikeNearestPairRule { tau_plus, tau_minus, a_plus, a_minus }
    } else {
        TimingRule::SpikePairRule { tau_plus, tau_minus, a_plus, a_minus }
    };
    let weight_dependence = if seed % 4 < 2 {
        WeightDependence::AdditiveWeightDependence { w_min: 0.0, w_max: 2.0 * w }
    } else {
        WeightDependence::MultiplicativeWeightDependence { w_min: 0.0, w_max: 2.0 * w }
    };
    let stdp = Stdp { timing, weight_dependence, backprop_delay: seed % 5 != 1 };
    let fp =
        |p: f64| Connector::FixedProbabilityConnector { p_connect: p, allow_self_connections: true, rng_seed: None };
    for (src, p, delay_max) in [("pre", 0.3, 30.0), ("fast", 0.2, 3.0), ("array", 0.5, 12.0)] {
        let mut proj = projection(
            src,
            "post",
            fp(p),
            uniform(0.1 * w, 1.5 * w),
            Some(uniform(1.0, delay_max)),
            Receptor::Excitatory,
        );
        proj.synapse_dynamics = Some(stdp.clone());
        net.projections.push(proj);
    }
    // Static drive and inhibition on the same core.
    net.projections.push(projection("pre", "post", fp(0.1), scalar(2.0 * w), Some(scalar(1.0)), Receptor::Excitatory));
    net.projections.push(projection(
        "array",
        "post",
        fp(0.3),
        scalar(0.5 * w),
        Some(scalar(2.0)),
        Receptor::Inhibitory,
    ));
    net
}

#[test]
fn plastic_networks_learn_the_same_weights() {
    if !common::gpu_or_skip() {
        return;
    }
    for (seed, dt) in [(1u64, 1.0), (2, 1.0), (3, 0.1), (4, 1.0), (6, 0.1), (9, 1.0)] {
        let net = plastic_network(seed, dt);
        // The plastic rows are the synapse expander's.
        let image = map(&net, MapOptions::default()).unwrap();
        let plastic_edges = image
            .cores
            .iter()
            .filter_map(|c| match &c.kind {
                CoreKind::Neuron(nc) => spinnsim::expander::ConnectionBuilder::from_words(&nc.connection_builder).ok(),
                _ => None,
            })
            .flat_map(|b| b.edges)
            .filter(|e| matches!(e.matrix, spinnsim::expander::Matrix::Stdp(_)))
            .count();
        assert_eq!(plastic_edges, 3, "seed {seed}: the expander's plastic edges");
        let mut pair = Pair::of(&net, &format!("plastic network {seed} at dt {dt}"));
        let before: Vec<_> = (0..3).map(|p| pair.cpu.connections(p)).collect();
        for c in [60, 140, 37] {
            pair.run(c);
        }
        let mut changed = 0;
        for (p, before) in before.iter().enumerate() {
            let (a, b) = (pair.cpu.connections(p), pair.gpu.connections(p));
            assert_eq!(a, b, "seed {seed}: learned weights of projection {p}");
            changed += a.iter().zip(before).filter(|(x, y)| x.weight != y.weight).count();
        }
        assert!(changed > 10, "seed {seed}: only {changed} weights changed");
        let act = pair.activity();
        assert!(act.spikes > 50 && act.pre_synaptic_events > 1000, "seed {seed}: {act:?}");
        // A reset reloads an STDP network (docs/stdp.md §8); the next run is compared too.
        pair.reset();
        pair.run(50);
    }
}

#[test]
fn stdp_dataset() {
    if common::gpu_or_skip() {
        compare(&dataset("stdp_pair.toml"), &[120, 80]);
    }
}
