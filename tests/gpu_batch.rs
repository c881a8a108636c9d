//! One GPU engine advancing a batch of machines of one mapped structure whose values differ (a
//! parameter sweep): each instance's spikes, samples, provenance and learned weights are those of
//! its run alone on the CPU engine and on the single-machine GPU engine, whatever the batch it is
//! in, its place there, or where its runs stop and resume; an instance that fails leaves the
//! others as they would be without it; machines of different structure are refused with a message
//! naming what differs; the capacity of a batch follows the device's limits.
//!
//! The networks are tests/fixtures/batch/*.toml with values changed.

mod common;

use spinnsim::engine::cpu::CpuEngine;
use spinnsim::engine::gpu::device::GpuContext;
use spinnsim::engine::gpu::{GpuEngine, GpuOptions};
use spinnsim::engine::{Engine, RunControl};
use spinnsim::machine::{Machine, RowSynapse};
use spinnsim::mapping::{map, remap_population, CoreKind, MapOptions};
use spinnsim::model::*;
use spinnsim::record::{Provenance, Recordings};

fn fixture(name: &str) -> Network {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/batch").join(name);
    load_toml(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn machine(net: &Network) -> Machine {
    Machine::new(map(net, MapOptions::default()).unwrap()).unwrap()
}

fn population<'a>(net: &'a mut Network, label: &str) -> &'a mut Population {
    net.populations.iter_mut().find(|p| p.label == label).unwrap()
}

fn projection<'a>(net: &'a mut Network, label: &str) -> &'a mut Projection {
    net.projections.iter_mut().find(|p| p.label.as_deref() == Some(label)).unwrap()
}

fn set(net: &mut Network, label: &str, parameter: &str, value: f64) {
    population(net, label).parameters.insert(parameter.into(), Values::Scalar(value));
}

/// Everything a run leaves that a batch must reproduce, and how each run call ended.
#[derive(Debug, PartialEq)]
struct Outcome {
    tick: u32,
    recordings: Recordings,
    provenance: Vec<Provenance>,
    unrouted: u64,
    connections: Vec<Vec<RowSynapse>>,
    runs: Vec<Result<u32, String>>,
}

fn outcome(m: &Machine, n_projections: usize, runs: Vec<Result<u32, String>>) -> Outcome {
    Outcome {
        tick: m.tick(),
        recordings: m.recordings(),
        provenance: m.provenance(),
        unrouted: m.unrouted_packets(),
        connections: (0..n_projections).map(|p| m.connections(p)).collect(),
        runs,
    }
}

/// Field by field, so that a failure says which.
fn assert_same(a: &Outcome, b: &Outcome, what: &str) {
    assert_eq!(a.runs, b.runs, "{what}: the runs' results");
    assert_same_state(a, b, what);
}

/// As [`assert_same`], the runs' results aside.
fn assert_same_state(a: &Outcome, b: &Outcome, what: &str) {
    assert_eq!(a.tick, b.tick, "{what}: tick");
    assert_eq!(a.provenance, b.provenance, "{what}: provenance");
    assert_eq!(a.unrouted, b.unrouted, "{what}: unrouted packets");
    assert_eq!(a.recordings.spikes, b.recordings.spikes, "{what}: spikes");
    assert_eq!(a.recordings.sampled, b.recordings.sampled, "{what}: samples");
    assert_eq!(a.connections, b.connections, "{what}: connections");
}

/// `net` run on the CPU engine, one run per entry of `ticks`.
fn run_cpu(net: &Network, ticks: &[u32]) -> Outcome {
    let mut m = machine(net);
    let mut engine = CpuEngine::new(Some(1)).unwrap();
    let runs = ticks.iter().map(|&t| engine.run(&mut m, t).map(|_| t).map_err(|e| e.to_string())).collect();
    outcome(&m, net.projections.len(), runs)
}

/// `net` run on the single-machine GPU engine.
fn run_single(ctx: &GpuContext, net: &Network, ticks: &[u32], options: GpuOptions) -> Outcome {
    let mut m = machine(net);
    let mut engine = GpuEngine::on_context(ctx.clone(), &m, options).unwrap();
    assert_eq!(engine.instances(), 1);
    let runs = ticks.iter().map(|&t| engine.run(&mut m, t).map(|_| t).map_err(|e| e.to_string())).collect();
    outcome(&m, net.projections.len(), runs)
}

/// `nets` run together by one engine, one `run_batch` per entry of `ticks`.
fn run_batch(ctx: &GpuContext, nets: &[Network], ticks: &[u32], options: GpuOptions) -> Vec<Outcome> {
    let mut machines: Vec<Machine> = nets.iter().map(machine).collect();
    let refs: Vec<&Machine> = machines.iter().collect();
    let mut engine = GpuEngine::for_batch(ctx.clone(), &refs, options).unwrap_or_else(|e| panic!("for_batch: {e}"));
    assert_eq!(engine.instances() as usize, nets.len());
    let mut runs: Vec<Vec<Result<u32, String>>> = vec![Vec::new(); nets.len()];
    for &t in ticks {
        let mut refs: Vec<&mut Machine> = machines.iter_mut().collect();
        let mut reports = Vec::new();
        let results = engine.run_batch(&mut refs, t, &mut |done| {
            reports.push(done);
            RunControl::Continue(())
        });
        assert_eq!(results.len(), nets.len());
        assert!(reports.iter().all(|&d| d <= t), "progress reports {reports:?} of a run of {t}");
        for (r, res) in runs.iter_mut().zip(results) {
            r.push(res.map_err(|e| e.to_string()));
        }
    }
    machines.iter().zip(runs).map(|(m, r)| outcome(m, nets[0].projections.len(), r)).collect()
}

/// The sweep network and instances of it that differ in one value each: a weight, tau_m,
/// i_offset, a Poisson rate and seed, a DC amplitude, spike times (as many).
fn sweep_variants() -> Vec<(String, Network)> {
    let base = fixture("sweep.toml");
    let mut out = vec![("base".to_string(), base.clone())];
    let mut variant = |what: &str, change: &dyn Fn(&mut Network)| {
        let mut net = base.clone();
        change(&mut net);
        out.push((what.to_string(), net));
    };
    variant("weight", &|n| projection(n, "noise_exc").weight = Values::Scalar(1.1));
    variant("tau_m", &|n| set(n, "exc", "tau_m", 12.0));
    variant("i_offset", &|n| set(n, "exc", "i_offset", 0.45));
    variant("Poisson rate and seed", &|n| {
        set(n, "noise", "rate", 90.0);
        population(n, "noise").seed = Some(12);
    });
    variant("DC amplitude", &|n| {
        n.current_sources[0].source = CurrentSourceKind::DCSource { amplitude: 1.6, start: 10.0, stop: 70.0 };
    });
    variant("spike times", &|n| {
        let times = vec![vec![6.0, 21.0, 43.0], vec![8.0, 33.0], vec![2.0], vec![14.0, 15.0, 61.0], vec![4.0, 52.0]];
        population(n, "input").spike_times = Some(SpikeTimes::PerNeuron(times));
    });
    out
}

/// The STDP network and instances that differ in A_plus, a static weight and tau_m.
fn stdp_variants() -> Vec<(String, Network)> {
    let base = fixture("stdp.toml");
    let mut out = vec![("base".to_string(), base.clone())];
    let mut variant = |what: &str, change: &dyn Fn(&mut Network)| {
        let mut net = base.clone();
        change(&mut net);
        out.push((what.to_string(), net));
    };
    variant("A_plus", &|n| {
        let stdp = projection(n, "pre_to_post").synapse_dynamics.as_mut().unwrap();
        let TimingRule::SpikePairRule { a_plus, .. } = &mut stdp.timing else { panic!("the fixture's rule") };
        *a_plus = 0.15;
    });
    variant("weight", &|n| projection(n, "drive_to_post").weight = Values::Scalar(0.9));
    variant("tau_m", &|n| set(n, "post", "tau_m", 14.0));
    out
}

fn nets(variants: &[(String, Network)]) -> Vec<Network> {
    variants.iter().map(|v| v.1.clone()).collect()
}

fn spikes(o: &Outcome) -> usize {
    o.recordings.spikes.iter().map(|s| s.spikes.len()).sum()
}

#[test]
fn each_instance_of_a_batch_is_its_run_alone() {
    if !common::gpu_or_skip() {
        return;
    }
    let ctx = GpuContext::open().unwrap();
    for (name, variants) in [("sweep", sweep_variants()), ("stdp", stdp_variants())] {
        let image = map(&variants[0].1, MapOptions::default()).unwrap();
        let has = |f: fn(&CoreKind) -> bool| image.cores.iter().any(|c| f(&c.kind));
        if name == "sweep" {
            assert!(has(|k| matches!(k, CoreKind::Delay(_))), "the sweep network has delay extensions");
        } else {
            assert!(has(|k| matches!(k, CoreKind::Neuron(nc) if nc.stdp.is_some())), "the STDP network has STDP");
        }
        let ticks = [70];
        let batch = run_batch(&ctx, &nets(&variants), &ticks, GpuOptions::default());
        for (i, (what, net)) in variants.iter().enumerate() {
            let cpu = run_cpu(net, &ticks);
            let single = run_single(&ctx, net, &ticks, GpuOptions::default());
            assert_same(&cpu, &single, &format!("{name} `{what}`: single GPU run against the CPU"));
            assert_same(&cpu, &batch[i], &format!("{name} `{what}`: instance {i} of the batch against the CPU"));
            assert!(spikes(&cpu) > 20, "{name} `{what}`: only {} spikes", spikes(&cpu));
            if i > 0 {
                // Each changed value changes what its instance does, so an instance reading
                // another's values would be seen.
                assert_ne!(batch[i], batch[0], "{name} `{what}` runs as the base does");
            }
        }
        if name == "stdp" {
            let learned = |o: &Outcome| o.connections[1].iter().map(|s| s.weight).collect::<Vec<_>>();
            assert_ne!(learned(&batch[1]), learned(&batch[0]), "A_plus changes the learned weights");
        }
        eprintln!("{name}: {} instances, {:?} spikes", batch.len(), batch.iter().map(spikes).collect::<Vec<_>>());
    }
}

#[test]
fn an_instance_runs_alike_in_any_batch_and_at_any_place() {
    if !common::gpu_or_skip() {
        return;
    }
    let ctx = GpuContext::open().unwrap();
    let all = nets(&sweep_variants());
    let ticks = [45];
    let whole = run_batch(&ctx, &all, &ticks, GpuOptions::default());
    assert!(ctx.pipelines_compiled(), "the engines of a context compile the tick once, on the context");
    for (i, alone) in all.iter().enumerate() {
        let one = run_batch(&ctx, std::slice::from_ref(alone), &ticks, GpuOptions::default());
        assert_same(&whole[i], &one[0], &format!("instance {i} alone"));
    }
    for (k, chunk) in all.chunks(3).enumerate() {
        for (j, o) in run_batch(&ctx, chunk, &ticks, GpuOptions::default()).iter().enumerate() {
            assert_same(&whole[3 * k + j], o, &format!("instance {} in a batch of {}", 3 * k + j, chunk.len()));
        }
    }
    let reversed: Vec<Network> = all.iter().rev().cloned().collect();
    for (j, o) in run_batch(&ctx, &reversed, &ticks, GpuOptions::default()).iter().enumerate() {
        assert_same(&whole[all.len() - 1 - j], o, &format!("instance {} in reverse order", all.len() - 1 - j));
    }
    // Short submissions and a tiny row-job queue (spike_route making the adds itself) change nothing.
    let options = GpuOptions { max_batch_ticks: Some(4), job_capacity: Some(2), ..Default::default() };
    for (i, o) in run_batch(&ctx, &all, &ticks, options).iter().enumerate() {
        assert_same(&whole[i], o, &format!("instance {i} with short submissions and 2 row jobs"));
    }
}

#[test]
fn instances_with_equal_weights_share_their_synaptic_words() {
    if !common::gpu_or_skip() {
        return;
    }
    let ctx = GpuContext::open().unwrap();
    let variants = sweep_variants();
    let equal_weights: Vec<Network> =
        variants.iter().filter(|(what, _)| what == "tau_m" || what == "i_offset").map(|v| v.1.clone()).collect();
    let machines: Vec<Machine> = equal_weights.iter().map(machine).collect();
    let refs: Vec<&Machine> = machines.iter().collect();
    assert!(GpuEngine::for_batch(ctx.clone(), &refs, GpuOptions::default()).unwrap().shares_synaptic_words());
    let ticks = [50];
    for (i, o) in run_batch(&ctx, &equal_weights, &ticks, GpuOptions::default()).iter().enumerate() {
        assert_same(&run_cpu(&equal_weights[i], &ticks), o, &format!("instance {i} of shared words"));
    }
    let machines: Vec<Machine> = nets(&variants[..2]).iter().map(machine).collect();
    let refs: Vec<&Machine> = machines.iter().collect();
    assert!(!GpuEngine::for_batch(ctx.clone(), &refs, GpuOptions::default()).unwrap().shares_synaptic_words());
}

#[test]
fn a_resumed_batch_is_one_run() {
    if !common::gpu_or_skip() {
        return;
    }
    let ctx = GpuContext::open().unwrap();
    for variants in [sweep_variants(), stdp_variants()] {
        let all = nets(&variants);
        let once = run_batch(&ctx, &all, &[50], GpuOptions::default());
        let twice = run_batch(&ctx, &all, &[30, 20], GpuOptions::default());
        for (i, (a, b)) in once.iter().zip(&twice).enumerate() {
            let what = format!("`{}`: 30 then 20 ticks against 50", variants[i].0);
            assert_eq!(a.runs, vec![Ok(50)], "{what}");
            assert_eq!(b.runs, vec![Ok(30), Ok(20)], "{what}");
            assert_same_state(a, b, &what);
            assert_same(&run_cpu(&all[i], &[30, 20]), b, &format!("{what}, on the CPU"));
        }
    }
}

// ---- Isolation.

/// Spikes of each neuron of `burst` at its one tick.
const BURST: usize = 40_000;

/// The sweep network with a population `target` driven by eight spike-array neurons `burst`, one
/// a core, each listed [`BURST`] times at one tick (tick 1000, past the runs, unless `burst_at`
/// says otherwise) through strong synapses: at tick 5 the one ring-buffer entry seven of them
/// reach receives more than 2^32 − 1 (each core's spikes within lavapipe's loop limit).
fn with_burst(mut net: Network, burst_at: f64) -> Network {
    let mut burst = fixture("stdp.toml").populations[0].clone();
    burst.label = "burst".into();
    burst.size = 8;
    burst.max_atoms_per_core = Some(1);
    burst.record.clear();
    burst.spike_times = Some(SpikeTimes::PerNeuron(vec![vec![burst_at; BURST]; 8]));
    let mut target = fixture("sweep.toml").populations[2].clone();
    target.label = "target".into();
    target.size = 1;
    // No rate statistics and delays that vary: the ring-buffer shift that only holds the largest
    // weight, so the strongest 16-bit weights.
    (target.spikes_per_second, target.ring_buffer_sigma) = (Some(0.0), Some(0.0));
    target.record = vec![RecordRequest { variable: "v".into(), neurons: None, sampling_interval: None }];
    net.populations.push(burst);
    net.populations.push(target);
    let mut p = net.projections[0].clone();
    (p.label, p.pre, p.post) = (Some("burst_target".into()), "burst".into(), "target".into());
    // Seven of them at one delay, the eighth at another.
    let conn_list = (0..8).map(|i| vec![i as f64, 0.0, 100.0, if i < 7 { 1.0 } else { 2.0 }]).collect();
    p.connector = Connector::FromListConnector { conn_list };
    net.projections.push(p);
    net
}

/// The instance of the sweep whose `exc` ring-buffer entries saturate: shifts made for one spike
/// a tick from each source (no rate statistics), and noise of 8 spikes a tick from each.
fn saturating(mut net: Network) -> Network {
    let exc = population(&mut net, "exc");
    exc.spikes_per_second = Some(0.0);
    exc.ring_buffer_sigma = Some(0.0);
    set(&mut net, "noise", "rate", 8000.0);
    projection(&mut net, "noise_exc").weight = Values::Scalar(3.0);
    net
}

#[test]
fn a_failing_or_saturating_instance_leaves_the_others_as_they_are_alone() {
    if !common::gpu_or_skip() {
        return;
    }
    let ctx = GpuContext::open().unwrap();
    let variants = sweep_variants();
    let mut batch: Vec<(String, Network)> =
        variants.iter().take(3).map(|(w, n)| (w.clone(), with_burst(n.clone(), 1000.0))).collect();
    batch.insert(1, ("saturating".into(), with_burst(saturating(variants[0].1.clone()), 1000.0)));
    batch.insert(3, ("overflowing".into(), with_burst(variants[0].1.clone(), 5.0)));
    let overflowing = machine(&batch[3].1);
    let burst = overflowing.connections(batch[3].1.projections.len() - 1);
    let sum: u64 = burst.iter().filter(|s| s.delay == 1).map(|s| s.weight as u64).sum();
    assert!(sum * BURST as u64 > u32::MAX as u64, "the bursts pass 2^32 - 1 in one entry: {burst:?}");
    // Short submissions, so that the failure is seen after the same ticks alone and in the batch.
    let options = GpuOptions { max_batch_ticks: Some(10), ..Default::default() };
    let ticks = [40];
    let together = run_batch(&ctx, &nets(&batch), &ticks, options);
    for (i, (what, net)) in batch.iter().enumerate() {
        let alone = run_single(&ctx, net, &ticks, options);
        assert_same(&alone, &together[i], &format!("`{what}` (instance {i}) in the batch against alone"));
        if what != "overflowing" {
            assert_same(&run_cpu(net, &ticks), &together[i], &format!("`{what}` (instance {i}) against the CPU"));
        }
    }
    let saturations = |o: &Outcome| o.provenance.iter().map(|p| p.synaptic_weight_saturations).sum::<u64>();
    // Every instance's IF_cond_exp core saturates (in its own way); only one instance's exc.
    let exc_saturations = |o: &Outcome| {
        o.provenance.iter().filter(|p| p.core.starts_with("exc(")).map(|p| p.synaptic_weight_saturations).sum::<u64>()
    };
    let at_exc: Vec<u64> = together.iter().map(exc_saturations).collect();
    assert!(at_exc[1] > 1000 && at_exc.iter().enumerate().all(|(i, &s)| i == 1 || s == 0), "{at_exc:?}");
    assert!(together.iter().all(|o| saturations(o) > 0), "{:?}", together.iter().map(saturations).collect::<Vec<_>>());
    let failed = &together[3];
    let Err(first) = &failed.runs[0] else { panic!("the overflowing instance ran: {:?}", failed.runs) };
    assert!(first.contains("the run stopped after 10 of 40 ticks"), "{first}");
    assert!(first.contains("a ring-buffer entry received more than 2^32 - 1"), "{first}");
    assert_eq!(failed.tick, 10, "the failed instance counts the ticks of its failing submission");
    // The failed instance is then behind the others: the next run of the batch is refused for
    // all, and leaves every machine as it was.
    let again = run_batch(&ctx, &nets(&batch), &[40, 20], options);
    for (i, o) in again.iter().enumerate() {
        let Err(second) = &o.runs[1] else { panic!("instance {i}: {:?}", o.runs) };
        assert!(second.contains("must stand at one tick: machine 3 is at tick 10, machine 0 at tick 40"), "{second}");
        assert_same_state(&together[i], o, &format!("instance {i} after a refused run"));
    }
}

// ---- Batches that cannot be.

fn batch_error(ctx: &GpuContext, nets: &[Network]) -> String {
    let machines: Vec<Machine> = nets.iter().map(machine).collect();
    let refs: Vec<&Machine> = machines.iter().collect();
    match GpuEngine::for_batch(ctx.clone(), &refs, GpuOptions::default()) {
        Ok(_) => panic!("a batch of machines of different structure was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn machines_of_different_structure_are_refused_with_what_differs() {
    if !common::gpu_or_skip() {
        return;
    }
    let ctx = GpuContext::open().unwrap();
    let base = fixture("sweep.toml");
    let mut bigger = base.clone();
    population(&mut bigger, "exc").size = 131;
    let e = batch_error(&ctx, &[base.clone(), bigger]);
    assert!(e.contains("machine 1") && e.contains("the number of neurons (140 in machine 0, 141 here)"), "{e}");
    // One synapse of the ring to another neuron: the same rows, another post-synaptic index.
    let mut rewired = base.clone();
    projection(&mut rewired, "ring").connector = Connector::FromListConnector {
        conn_list: [[0, 1, 25], [1, 2, 35], [2, 3, 40], [3, 4, 25], [4, 0, 60], [5, 8, 2]]
            .iter()
            .map(|&[a, b, d]| vec![a as f64, b as f64, 1.5, d as f64])
            .collect(),
    };
    let e = batch_error(&ctx, &[base.clone(), base.clone(), rewired]);
    assert!(e.contains("machine 2") && e.contains("the synapses of core") && e.contains("exc"), "{e}");
    // One more spike in the array.
    let mut more = base.clone();
    population(&mut more, "input").spike_times = Some(SpikeTimes::PerNeuron(vec![
        vec![5.0, 20.0, 41.0, 42.0],
        vec![7.0, 30.0],
        vec![9.0],
        vec![12.0, 13.0, 60.0],
        vec![3.0, 50.0],
    ]));
    let e = batch_error(&ctx, &[base.clone(), more]);
    assert!(e.contains("spikes of the spike arrays (11 in machine 0, 12 here)"), "{e}");
    // Another connector on the inhibitory feedback: other rows.
    let mut sparse = base.clone();
    projection(&mut sparse, "inh_exc").connector =
        Connector::FromListConnector { conn_list: vec![vec![0.0, 0.0, 0.5, 1.0], vec![3.0, 7.0, 0.5, 1.0]] };
    let e = batch_error(&ctx, &[base.clone(), sparse]);
    assert!(e.contains("machine 1 of the batch does not have the structure of machine 0"), "{e}");
    // No machines, and a run given other machines than the engine's.
    assert!(GpuEngine::for_batch(ctx.clone(), &[], GpuOptions::default()).is_err());
    let mut machines: Vec<Machine> = [base.clone(), base].iter().map(machine).collect();
    let refs: Vec<&Machine> = machines.iter().collect();
    let mut engine = GpuEngine::for_batch(ctx.clone(), &refs, GpuOptions::default()).unwrap();
    let mut one: Vec<&mut Machine> = machines.iter_mut().take(1).collect();
    let r = engine.run_batch(&mut one, 10, &mut |_| RunControl::Continue(()));
    assert!(r.len() == 1 && r[0].as_ref().is_err_and(|e| e.to_string().contains("batch of 2 machines")), "{r:?}");
    assert_eq!(machines[0].tick(), 0);
}

#[test]
fn the_capacity_of_a_batch_follows_the_device() {
    if !common::gpu_or_skip() {
        return;
    }
    let ctx = GpuContext::open().unwrap();
    let net = fixture("sweep.toml");
    let m = machine(&net);
    let most = GpuEngine::batch_capacity(&ctx, &m, &GpuOptions::default()).unwrap();
    assert!(most > 16 && most <= ctx.limits.max_compute_workgroups_per_dimension, "{most}");
    // With little memory to use, the capacity is what fits: one more is refused.
    let variants: Vec<Network> = (0..12)
        .map(|k| {
            let mut n = net.clone();
            projection(&mut n, "noise_exc").weight = Values::Scalar(0.5 + 0.05 * k as f64);
            n
        })
        .collect();
    let machines: Vec<Machine> = variants.iter().map(machine).collect();
    let budget = |bytes: u64| GpuOptions { memory_budget: Some(bytes), ..Default::default() };
    let capacity = |bytes: u64| GpuEngine::batch_capacity(&ctx, &m, &budget(bytes)).unwrap_or(0);
    // The least memory that holds 4 instances, by bisection.
    let (mut lo, mut hi) = (1u64 << 10, 1u64 << 34);
    assert!(capacity(hi) >= 4);
    while lo + 1 < hi {
        let mid = lo + (hi - lo) / 2;
        if capacity(mid) >= 4 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    let (options, fit) = (budget(hi), capacity(hi) as usize);
    assert!((4..machines.len()).contains(&fit), "{fit} instances in {hi} bytes");
    let refs: Vec<&Machine> = machines.iter().take(fit).collect();
    assert!(GpuEngine::for_batch(ctx.clone(), &refs, options).is_ok(), "{fit} instances in {hi} bytes");
    let refs: Vec<&Machine> = machines.iter().take(fit + 1).collect();
    let e = GpuEngine::for_batch(ctx.clone(), &refs, options).err().expect("one instance more than fits");
    assert!(
        e.to_string().contains("device memory") && e.to_string().contains(&format!("{} instances", fit + 1)),
        "{e}"
    );
    // Not even one.
    let tiny = GpuOptions { memory_budget: Some(1024), ..Default::default() };
    assert!(GpuEngine::batch_capacity(&ctx, &m, &tiny).is_err());
    assert!(GpuEngine::on_context(ctx.clone(), &m, tiny).is_err());
}

#[test]
fn values_changed_between_runs_of_a_batch_are_taken_up_as_alone() {
    if !common::gpu_or_skip() {
        return;
    }
    let ctx = GpuContext::open().unwrap();
    let all = nets(&sweep_variants()[..3]);
    let exc = all[1].populations.iter().position(|p| p.label == "exc").unwrap();
    // After 30 ticks, `Population.set` of instance 1's tau_m and i_offset.
    let mut changed = all[1].clone();
    set(&mut changed, "exc", "tau_m", 25.0);
    set(&mut changed, "exc", "i_offset", 0.3);
    let change = |m: &mut Machine| m.update_image(|img| remap_population(&changed, exc, img)).unwrap();
    let mut machines: Vec<Machine> = all.iter().map(machine).collect();
    let refs: Vec<&Machine> = machines.iter().collect();
    let mut engine = GpuEngine::for_batch(ctx.clone(), &refs, GpuOptions::default()).unwrap();
    let mut run = |machines: &mut [Machine], ticks: u32| {
        let mut refs: Vec<&mut Machine> = machines.iter_mut().collect();
        engine
            .run_batch(&mut refs, ticks, &mut |_| RunControl::Continue(()))
            .into_iter()
            .map(|r| r.unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(run(&mut machines, 30), vec![30; 3]);
    change(&mut machines[1]);
    assert_eq!(run(&mut machines, 30), vec![30; 3]);
    for (i, net) in all.iter().enumerate() {
        let mut m = machine(net);
        let mut cpu = CpuEngine::new(Some(1)).unwrap();
        cpu.run(&mut m, 30).unwrap();
        if i == 1 {
            change(&mut m);
        }
        cpu.run(&mut m, 30).unwrap();
        let runs = vec![Ok(30), Ok(30)];
        let what = format!("instance {i}, instance 1 changed after 30 ticks");
        assert_same(
            &outcome(&m, net.projections.len(), runs.clone()),
            &outcome(&machines[i], net.projections.len(), runs),
            &what,
        );
    }
    // A change of structure (one more spike) is refused before any machine runs.
    let mut more = all[2].clone();
    let input = more.populations.iter().position(|p| p.label == "input").unwrap();
    more.populations[input].spike_times = Some(SpikeTimes::PerNeuron(vec![
        vec![5.0, 20.0, 41.0, 70.0],
        vec![7.0, 30.0],
        vec![9.0],
        vec![12.0, 13.0, 60.0],
        vec![3.0, 50.0],
    ]));
    machines[2].update_image(|img| remap_population(&more, input, img)).unwrap();
    let mut refs: Vec<&mut Machine> = machines.iter_mut().collect();
    let results = engine.run_batch(&mut refs, 10, &mut |_| RunControl::Continue(()));
    for r in &results {
        let e = r.as_ref().expect_err("refused").to_string();
        assert!(e.contains("machine 2") && e.contains("spikes of the spike arrays (11 in machine 0, 12 here)"), "{e}");
    }
    assert!(machines.iter().all(|m| m.tick() == 60));
}
