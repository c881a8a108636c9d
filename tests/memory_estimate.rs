//! The memory estimate that refuses networks too large for the machine (`mapping::memory`),
//! against the heap the mapping and the CPU engine really use (a counting allocator), over
//! networks of several shapes.

use peak_alloc::PeakAlloc;
use spinnsim::model::*;
use std::collections::BTreeMap;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

fn pop(label: &str, size: u32, cell_type: CellType) -> Population {
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

fn proj(pre: &str, post: &str, connector: Connector, weight: Values, delay: Values) -> Projection {
    Projection {
        label: None,
        pre: pre.into(),
        post: post.into(),
        pre_view: None,
        post_view: None,
        connector,
        weight,
        delay: Some(delay),
        receptor_type: Receptor::Excitatory,
        connections: None,
        synapse_dynamics: None,
    }
}

fn net(populations: Vec<Population>, projections: Vec<Projection>) -> Network {
    Network {
        timestep: 1.0,
        min_delay: None,
        max_delay: None,
        seed: 3,
        draws: Default::default(),
        run_ms: None,
        populations,
        projections,
        current_sources: vec![],
    }
}

fn shapes() -> Vec<(&'static str, Network)> {
    let lif = CellType::IfCurrExp;
    let w = Values::Scalar(0.1);
    let d = Values::Scalar(1.0);
    let uniform = |low, high| Values::from(Distribution::Uniform { low, high });
    vec![
        (
            "all-to-all 2000x2000",
            net(
                vec![pop("a", 2000, lif), pop("b", 2000, lif)],
                vec![proj(
                    "a",
                    "b",
                    Connector::AllToAllConnector { allow_self_connections: true },
                    w.clone(),
                    d.clone(),
                )],
            ),
        ),
        (
            "fixed probability 0.05, 8000x8000, random weights and delays",
            net(
                vec![pop("a", 8000, lif)],
                vec![proj(
                    "a",
                    "a",
                    Connector::FixedProbabilityConnector {
                        p_connect: 0.05,
                        allow_self_connections: false,
                        rng_seed: None,
                    },
                    uniform(0.0, 0.2),
                    uniform(1.0, 30.0),
                )],
            ),
        ),
        (
            "fixed total 2M with replacement, 2000x2000",
            net(
                vec![pop("a", 2000, lif), pop("b", 2000, lif)],
                vec![proj(
                    "a",
                    "b",
                    Connector::FixedTotalNumberConnector {
                        n: 2_000_000,
                        allow_self_connections: true,
                        with_replacement: true,
                    },
                    w.clone(),
                    d.clone(),
                )],
            ),
        ),
        (
            // More pairs than the machine's expander can draw without replacement: spinnsim's own
            // generator draws them on the host.
            "fixed total 3M without replacement, 4000x4000, spinnsim's draws",
            Network {
                draws: spinnsim::model::Draws::Spinnsim,
                ..net(
                    vec![pop("a", 4000, lif), pop("b", 4000, lif)],
                    vec![proj(
                        "a",
                        "b",
                        Connector::FixedTotalNumberConnector {
                            n: 3_000_000,
                            allow_self_connections: true,
                            with_replacement: false,
                        },
                        w.clone(),
                        d.clone(),
                    )],
                )
            },
        ),
        (
            "fixed number pre 200, Poisson 20000 -> 20000",
            net(
                vec![pop("p", 20000, CellType::SpikeSourcePoisson), pop("b", 20000, lif)],
                vec![proj(
                    "p",
                    "b",
                    Connector::FixedNumberPreConnector {
                        n: 200,
                        allow_self_connections: true,
                        with_replacement: false,
                        rng_seed: None,
                    },
                    w.clone(),
                    d.clone(),
                )],
            ),
        ),
        (
            "one-to-one 100000 (sPyNNaker pads a row for every pre neuron on every post core)",
            net(
                vec![pop("a", 100000, lif), pop("b", 100000, lif)],
                vec![proj("a", "b", Connector::OneToOneConnector, w.clone(), d.clone())],
            ),
        ),
        (
            "neurons only: 300000 LIF, 100000 Izhikevich, 100000 Poisson",
            net(
                vec![
                    pop("a", 300000, lif),
                    pop("i", 100000, CellType::Izhikevich),
                    pop("p", 100000, CellType::SpikeSourcePoisson),
                ],
                vec![],
            ),
        ),
        ("STDP all-to-all 1500x1500", {
            let mut b = pop("b", 1500, lif);
            b.max_atoms_per_core = Some(128);
            let mut n = net(
                vec![pop("a", 1500, CellType::SpikeSourcePoisson), b],
                vec![proj(
                    "a",
                    "b",
                    Connector::AllToAllConnector { allow_self_connections: true },
                    w.clone(),
                    d.clone(),
                )],
            );
            n.projections[0].synapse_dynamics = Some(Stdp {
                timing: TimingRule::SpikePairRule { tau_plus: 20.0, tau_minus: 20.0, a_plus: 0.01, a_minus: 0.01 },
                weight_dependence: WeightDependence::AdditiveWeightDependence { w_min: 0.0, w_max: 0.5 },
                backprop_delay: true,
            });
            n
        }),
        ("STDP fixed probability 0.1, 3000x3000, rows laid out for the longest", {
            let mut n = net(
                vec![pop("a", 3000, CellType::SpikeSourcePoisson), pop("b", 3000, lif)],
                vec![proj(
                    "a",
                    "b",
                    Connector::FixedProbabilityConnector {
                        p_connect: 0.1,
                        allow_self_connections: true,
                        rng_seed: None,
                    },
                    w.clone(),
                    d.clone(),
                )],
            );
            n.projections[0].synapse_dynamics = Some(Stdp {
                timing: TimingRule::SpikeNearestPairRule {
                    tau_plus: 20.0,
                    tau_minus: 20.0,
                    a_plus: 0.01,
                    a_minus: 0.01,
                },
                weight_dependence: WeightDependence::MultiplicativeWeightDependence { w_min: 0.0, w_max: 0.5 },
                backprop_delay: true,
            });
            n
        }),
        (
            "delays through delay extensions, 2000x2000 p 0.2",
            net(
                vec![pop("a", 2000, lif)],
                vec![proj(
                    "a",
                    "a",
                    Connector::FixedProbabilityConnector {
                        p_connect: 0.2,
                        allow_self_connections: true,
                        rng_seed: None,
                    },
                    w.clone(),
                    uniform(1.0, 100.0),
                )],
            ),
        ),
        ("from list 1M", {
            let list: Vec<Vec<f64>> = (0..1_000_000u64)
                .map(|i| vec![(i % 5000) as f64, ((i * 7919) % 5000) as f64, 0.1, 1.0 + (i % 4) as f64])
                .collect();
            net(
                vec![pop("a", 5000, lif), pop("b", 5000, lif)],
                vec![proj("a", "b", Connector::FromListConnector { conn_list: list }, w.clone(), d.clone())],
            )
        }),
    ]
}

/// Several populations and projections: the peak is while one population's matrices are built
/// beside the connections still to come.
fn layered() -> Network {
    let lif = CellType::IfCurrExp;
    let pops: Vec<Population> = (0..6).map(|i| pop(&format!("p{i}"), 1500 + 500 * i, lif)).collect();
    let mut projs = Vec::new();
    for i in 0..6 {
        for j in [(i + 1) % 6, (i + 3) % 6] {
            let c = Connector::FixedProbabilityConnector {
                p_connect: 0.02 + 0.01 * j as f64,
                allow_self_connections: true,
                rng_seed: None,
            };
            projs.push(proj(
                &format!("p{i}"),
                &format!("p{j}"),
                c,
                Values::Scalar(0.05),
                Values::Scalar(1.0 + i as f64),
            ));
        }
    }
    net(pops, projs)
}

/// Peak heap bytes of mapping `network` and loading it into a machine: the image whole then
/// packed (`Machine::new(map(..))`), or packed core by core as it is written (`Machine::map`, as
/// a run does) when `packed_as_built`.
fn measured_peak(network: &Network, packed_as_built: bool) -> usize {
    HEAP.reset_peak_usage();
    let base = HEAP.current_usage();
    let machine = if packed_as_built {
        spinnsim::machine::Machine::map(network, Default::default(), &|_| {}).unwrap()
    } else {
        spinnsim::machine::Machine::new(spinnsim::mapping::map(network, Default::default()).unwrap()).unwrap()
    };
    let peak = HEAP.peak_usage() - base;
    drop(machine);
    peak
}

/// One test, so that no other test allocates while the peaks are measured.
#[test]
fn the_estimate_is_within_25_percent_of_the_measured_peak_and_refusals_name_the_biggest_part() {
    let mib = |b: f64| b / 1048576.0;
    let mut report = Vec::new();
    let mut shapes = shapes();
    shapes.push(("six populations, twelve projections", layered()));
    let threads = rayon::current_num_threads();
    for (name, network) in &shapes {
        for packed_as_built in [false, true] {
            let estimate = if packed_as_built {
                spinnsim::mapping::memory::estimate_packed(network, threads).peak
            } else {
                spinnsim::mapping::memory::estimate(network, threads).peak
            };
            let peak = measured_peak(network, packed_as_built) as f64;
            let ratio = estimate / peak;
            report.push(format!(
                "{name}{}: estimate {:.1} MiB, measured peak {:.1} MiB, ratio {ratio:.3}",
                if packed_as_built { " (packed as built)" } else { "" },
                mib(estimate),
                mib(peak)
            ));
            assert!((0.95..=1.25).contains(&ratio), "{}", report.join("\n"));
        }
    }
    println!("{}", report.join("\n"));

    // A refusal names what takes the memory.
    let one_to_one = &shapes.iter().find(|s| s.0.starts_with("one-to-one")).unwrap().1;
    let err =
        spinnsim::mapping::memory::check_before_drawing(one_to_one, 64.0 * 1048576.0, false).unwrap_err().to_string();
    assert!(
        err.contains("only 64 MiB is available")
            && err.contains("the largest part is the synaptic matrices")
            && err.contains("in sPyNNaker's padded layout"),
        "{err}"
    );
    // With spinnsim's own draws the connections are held on the host.
    let all_to_all = Network { draws: spinnsim::model::Draws::Spinnsim, ..shapes[0].1.clone() };
    let err =
        spinnsim::mapping::memory::check_before_drawing(&all_to_all, 64.0 * 1048576.0, false).unwrap_err().to_string();
    assert!(err.contains("the largest part is the drawn connections into `b` (91.6 MiB)"), "{err}");
}
