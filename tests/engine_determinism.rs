//! Determinism and continuation: threads, split runs, reset; and the §1.5 LIF trace.

mod common;

use common::synfire;
use spinnsim::engine::cpu::CpuEngine;
use spinnsim::engine::Engine;
use spinnsim::machine::{Machine, ResetMode};
use spinnsim::mapping::{map, MapOptions};
use spinnsim::model::*;
use std::collections::BTreeMap;

/// A 300-neuron random network over several cores, with delays that need a delay extension.
fn random_network(seed: u64) -> Network {
    random_network_with_delays(seed, 90.0)
}

fn random_network_with_delays(seed: u64, max_delay: f64) -> Network {
    let mut net = synfire(300, max_delay.min(45.0), None, true);
    net.seed = seed;
    net.populations[0].record.push(RecordRequest {
        variable: "gsyn_inh".into(),
        neurons: Some(vec![1, 70, 299]),
        sampling_interval: Some(2.0),
    });
    net.populations[1].spike_times = Some(SpikeTimes::PerNeuron(vec![(0..50).map(|k| k as f64 * 3.0).collect()]));
    net.projections.push(Projection {
        label: Some("recurrent".into()),
        pre: "pop_1".into(),
        post: "pop_1".into(),
        pre_view: None,
        post_view: None,
        connector: Connector::FixedProbabilityConnector {
            p_connect: 0.05,
            allow_self_connections: false,
            rng_seed: None,
        },
        weight: Values::from(Distribution::Uniform { low: 0.1, high: 1.5 }),
        delay: Some(Values::from(Distribution::Uniform { low: 1.0, high: max_delay })),
        receptor_type: Receptor::Excitatory,
        connections: None,
        synapse_dynamics: None,
    });
    net.projections.push(Projection {
        label: Some("inhibition".into()),
        pre: "inputSSA_1".into(),
        post: "pop_1".into(),
        pre_view: None,
        post_view: None,
        connector: Connector::AllToAllConnector { allow_self_connections: true },
        weight: Values::Scalar(0.3),
        delay: Some(Values::Scalar(2.0)),
        receptor_type: Receptor::Inhibitory,
        connections: None,
        synapse_dynamics: None,
    });
    net
}

fn run(
    net: &Network,
    threads: Option<usize>,
    chunks: &[u32],
) -> (spinnsim::record::Recordings, Vec<spinnsim::record::Provenance>) {
    let image = map(net, MapOptions::default()).unwrap();
    let mut m = Machine::new(image).unwrap();
    let mut e = CpuEngine::new(threads).unwrap();
    for &c in chunks {
        e.run(&mut m, c).unwrap();
    }
    (m.recordings(), m.provenance())
}

#[test]
fn the_random_network_is_active_enough_to_test_anything() {
    let (rec, prov) = run(&random_network(7), Some(1), &[300]);
    let spikes = rec.population_spikes(0, 0);
    assert!(spikes.len() > 300, "only {} spikes", spikes.len());
    assert!(prov.iter().map(|p| p.pre_synaptic_events).sum::<u64>() > 1000);
    // The delay-extension cores carried traffic.
    assert!(prov.iter().filter(|p| p.core.contains("_delayed")).map(|p| p.packets_sent).sum::<u64>() > 0);
}

#[test]
fn one_and_two_threads_give_identical_results() {
    let net = random_network(7);
    assert_eq!(run(&net, Some(1), &[300]), run(&net, Some(2), &[300]));
}

#[test]
fn split_runs_continue_exactly_like_one_long_run() {
    let net = random_network(11);
    assert_eq!(run(&net, None, &[100, 100]), run(&net, None, &[200]));
    assert_eq!(run(&net, None, &[1, 37, 162]), run(&net, None, &[200]));
}

#[test]
fn the_same_seed_gives_the_same_network_and_another_seed_does_not() {
    let a = run(&random_network(3), None, &[200]).0;
    assert_eq!(a, run(&random_network(3), None, &[200]).0);
    assert_ne!(a.population_spikes(0, 0), run(&random_network(4), None, &[200]).0.population_spikes(0, 0));
}

#[test]
fn reset_in_reload_mode_replays_the_first_segment() {
    let image = map(&random_network(5), MapOptions::default()).unwrap();
    let mut m = Machine::new(image).unwrap();
    let mut e = CpuEngine::new(None).unwrap();
    m.set_reset_mode(ResetMode::Reload);
    e.run(&mut m, 150).unwrap();
    m.reset();
    assert_eq!(m.tick(), 0);
    e.run(&mut m, 150).unwrap();
    let r = m.recordings();
    assert!(!r.population_spikes(0, 0).is_empty());
    assert_eq!(r.population_spikes(0, 0), r.population_spikes(0, 1));
    assert_eq!(r.population_samples(0, 0, "v"), r.population_samples(0, 1, "v"));
    assert!(m.warnings().is_empty());
}

#[test]
fn a_soft_reset_after_a_multiple_of_16_ticks_replays_the_first_segment() {
    // Without delay extensions: theirs would still hold spikes from before the reset (D8).
    let net = random_network_with_delays(5, 30.0);
    let image = map(&net, MapOptions::default()).unwrap();
    assert!(!image.cores.iter().any(|c| matches!(c.kind, spinnsim::mapping::CoreKind::Delay(_))));
    let mut m = Machine::new(image).unwrap();
    let mut e = CpuEngine::new(None).unwrap();
    e.run(&mut m, 160).unwrap();
    m.reset();
    e.run(&mut m, 100).unwrap();
    let r = m.recordings();
    let first: Vec<_> = r.population_spikes(0, 0).into_iter().filter(|s| s.0 < 100).collect();
    assert_eq!(first, r.population_spikes(0, 1));
    assert!(m.warnings().is_empty());
}
#[test]
fn lif_trace_of_the_fact_sheet_holds_exactly() {
    // §1.5: defaults (tau_m 20, cm 1, dt 1, V −65) with i_offset = 1 nA.
    let mut params = BTreeMap::new();
    params.insert("i_offset".to_string(), Values::Scalar(1.0));
    let net = Network {
        timestep: 1.0,
        min_delay: None,
        max_delay: None,
        seed: 0,
        draws: Default::default(),
        run_ms: None,
        populations: vec![Population {
            label: "lif".into(),
            size: 1,
            cell_type: CellType::IfCurrExp,
            parameters: params,
            initial_values: BTreeMap::new(),
            spike_times: None,
            seed: None,
            max_atoms_per_core: None,
            spikes_per_second: None,
            ring_buffer_sigma: None,
            record: vec![RecordRequest { variable: "v".into(), neurons: None, sampling_interval: None }],
        }],
        projections: vec![],
        current_sources: vec![],
    };
    let (rec, _) = run(&net, None, &[6]);
    let v: Vec<i32> = rec.population_samples(0, 0, "v").into_iter().map(|s| s.2).collect();
    assert_eq!(v, vec![-2129920, -2097960, -2067558, -2038639, -2011130, -1984963]);
}

#[test]
fn the_mapping_is_the_same_on_any_number_of_threads() {
    // Projections are drawn, and cores' regions built, in parallel: the image must not depend on it.
    let mut net = random_network(9);
    net.projections.push(Projection {
        label: Some("sparse".into()),
        pre: "pop_1".into(),
        post: "pop_1".into(),
        pre_view: None,
        post_view: None,
        connector: Connector::FixedTotalNumberConnector {
            n: 2000,
            allow_self_connections: true,
            with_replacement: true,
        },
        weight: Values::from(Distribution::Normal { mu: 0.5, sigma: 0.2 }),
        delay: Some(Values::from(Distribution::Uniform { low: 1.0, high: 20.0 })),
        receptor_type: Receptor::Inhibitory,
        connections: None,
        synapse_dynamics: None,
    });
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        format!("{:?}", pool.install(|| map(&net, MapOptions::default()).unwrap()))
    };
    let one = on(1);
    assert!(one.len() > 100_000);
    assert_eq!(one, on(2));
    assert_eq!(one, on(5));
}

#[test]
fn packing_rows_while_mapping_gives_the_same_machine() {
    // `Machine::map` packs each core's rows as soon as they are written; the machine, its run
    // and its image (region 6 aside, which both drop) are those of `Machine::new(map(..))`.
    let mut net = random_network(5);
    net.projections[2].synapse_dynamics = Some(Stdp {
        timing: TimingRule::SpikePairRule { tau_plus: 20.0, tau_minus: 20.0, a_plus: 0.01, a_minus: 0.01 },
        weight_dependence: WeightDependence::AdditiveWeightDependence { w_min: 0.0, w_max: 1.5 },
        backprop_delay: true,
    });
    let packed = Machine::map(&net, MapOptions::default(), &|_| {}).unwrap();
    let loaded = Machine::new(map(&net, MapOptions::default()).unwrap()).unwrap();
    assert_eq!(format!("{:?}", packed.rows()), format!("{:?}", loaded.rows()));
    assert_eq!(format!("{:?}", packed.image()), format!("{:?}", loaded.image()));
    assert!(packed.rows().iter().any(|r| !r.plastic_starts().is_empty()), "a plastic core is packed too");
    let run = |mut m: Machine| {
        CpuEngine::new(Some(2)).unwrap().run(&mut m, 200).unwrap();
        (m.recordings(), m.provenance())
    };
    let (a, b) = (run(packed), run(loaded));
    assert!(a.0.population_spikes(0, 0).len() > 100);
    assert_eq!(a, b);
}
