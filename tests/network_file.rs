//! The TOML loader and the mapping on bad input: clear errors that name the problem, never a panic.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use spinnsim::mapping::{map, MapOptions};
use spinnsim::model::load_toml;

const HEAD: &str = "timestep = 1.0\n";

fn pop(label: &str, size: &str, model: &str, extra: &str) -> String {
    format!("[[population]]\nlabel = \"{label}\"\nsize = {size}\ncell_type = \"{model}\"\n{extra}\n")
}

fn proj(pre: &str, post: &str, connector: &str, extra: &str) -> String {
    format!("[[projection]]\npre = \"{pre}\"\npost = \"{post}\"\nconnector = {connector}\n{extra}\n")
}

/// Loads and maps; returns the error text.
fn error_of(text: &str) -> String {
    match load_toml(text).and_then(|n| map(&n, MapOptions::default()).map(|_| ())) {
        Ok(()) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

fn assert_names(text: &str, parts: &[&str]) {
    let e = error_of(text);
    for p in parts {
        assert!(e.contains(p), "error `{e}` does not mention `{p}`");
    }
}

#[test]
fn a_good_file_loads_and_maps() {
    let text = format!(
        "{HEAD}run_ms = 10\n{}{}{}",
        pop("src", "5", "SpikeSourceArray", "spike_times = [1.0, 2.0]"),
        pop(
            "exc",
            "10",
            "IF_cond_exp",
            "parameters = { tau_m = 10.0, v = { distribution = \"uniform\", low = -70.0, high = -60.0 } }"
        ),
        proj("src", "exc", "{ type = \"FixedProbabilityConnector\", p_connect = 0.5 }", "weight = 0.01\ndelay = 2.0"),
    );
    let net = load_toml(&text).unwrap();
    assert_eq!(net.run_ms, Some(10.0));
    assert!(map(&net, MapOptions::default()).is_ok());
}

#[test]
fn bad_inputs_name_the_problem() {
    let lif = |extra: &str| format!("{HEAD}{}", pop("exc", "10", "IF_curr_exp", extra));
    assert_names(&format!("{HEAD}{}", pop("exc", "10", "IF_curr_foo", "")), &["unknown variant", "IF_curr_foo"]);
    assert_names(&lif("parameters = { tau_mm = 3.0 }"), &["population `exc`", "tau_mm", "unknown"]);
    assert_names(&format!("{HEAD}{}", pop("exc", "0", "IF_curr_exp", "")), &["population `exc`", "size", "at least 1"]);
    assert_names(&format!("timestep = -1.0\n{}", pop("exc", "1", "IF_curr_exp", "")), &["timestep", "positive"]);
    assert_names(&lif("parameters = { cm = nan }"), &["population `exc`", "cm", "NaN"]);
    assert_names(&lif("parameters = { v_rest = inf }"), &["population `exc`", "v_rest", "not finite"]);
    assert_names(&lif("parameters = { v_rest = 70000.0 }"), &["v_rest", "s16.15 range"]);
    assert_names(&lif("parameters = { tau_syn_E = 0.0 }"), &["tau_syn_E", "must be > 0"]);
    assert_names(
        &lif("record = [{ variable = \"v\", sampling_interval = 1.5 }]"),
        &["sampling_interval", "multiple of the timestep"],
    );
    assert_names(&lif("record = [{ variable = \"w\" }]"), &["record", "cannot record `w`"]);
    let two = format!("{HEAD}{}{}", pop("a", "10", "IF_curr_exp", ""), pop("b", "10", "IF_curr_exp", ""));
    assert_names(
        &format!("{two}{}", proj("a", "b", "{ type = \"AllToAllConnector\" }", "delay = 0.5")),
        &["delay", "below one timestep"],
    );
    assert_names(
        &format!("{two}{}", proj("a", "b", "{ type = \"AllToAllConnector\" }", "delay = 100000.0")),
        &["delay", "maximum"],
    );
    assert_names(
        &format!("{two}{}", proj("a", "b", "{ type = \"FixedProbabilityConnector\", p_connect = 1.5 }", "")),
        &["p_connect", "outside [0, 1]"],
    );
    assert_names(
        &format!("{two}{}", proj("a", "b", "{ type = \"FromListConnector\", conn_list = [[0, 10, 1.0, 1.0]] }", "")),
        &["conn_list", "post index 10"],
    );
    assert_names(
        &format!("{two}{}", proj("a", "c", "{ type = \"OneToOneConnector\" }", "")),
        &["post", "no population is labelled `c`"],
    );
    assert_names(&format!("{HEAD}{}", pop("huge", "4000000000", "IF_curr_exp", "")), &["memory", "GiB"]);
    assert_names(&format!("{HEAD}seed = 1\nbogus = 3\n"), &["unknown field", "bogus"]);
}

#[test]
fn bad_ranges_name_the_problem() {
    let lif =
        |v: &str| format!("{HEAD}{}", pop("exc", "10", "IF_curr_exp", &format!("initial_values = {{ v = {v} }}")));
    let range = |a: u32, b: u32, value: &str| format!("{{ start = {a}, stop = {b}, value = {value} }}");
    assert_names(
        &lif(&format!("[{}, {}]", range(0, 4, "-65.0"), range(5, 10, "-60.0"))),
        &["population `exc`", "`v`", "5..10", "does not follow on from neuron 4"],
    );
    assert_names(
        &lif(&format!("[{}, {}]", range(0, 4, "-65.0"), range(4, 8, "-60.0"))),
        &["`v`", "end at neuron 8", "size 10"],
    );
    assert_names(&lif(&format!("[{}]", range(0, 10, "[1.0, 2.0]"))), &["`v`", "0..10 holds a list"]);
    assert_names(&lif(&format!("[{}, {}]", range(0, 0, "1.0"), range(0, 10, "1.0"))), &["`v`", "at least one neuron"]);
    let two = format!("{HEAD}{}{}", pop("a", "10", "IF_curr_exp", ""), pop("b", "10", "IF_curr_exp", ""));
    assert_names(
        &format!(
            "{two}{}",
            proj("a", "b", "{ type = \"OneToOneConnector\" }", &format!("weight = [{}]", range(0, 10, "0.5")))
        ),
        &["weight", "ranges of values are for a population's parameters"],
    );
    // Ranges in order that cover the population load, map and draw.
    let good = lif(&format!(
        "[{}, {}]",
        range(0, 4, "-65.0"),
        range(4, 10, "{ distribution = \"uniform\", low = -70.0, high = -60.0 }")
    ));
    assert!(map(&load_toml(&good).unwrap(), MapOptions::default()).is_ok());
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("nan".to_string()),
        Just("inf".to_string()),
        Just("-inf".to_string()),
        Just("0".to_string()),
        Just("1e300".to_string()),
        (-1e6f64..1e6).prop_map(|v| format!("{v:?}")),
        (0u64..5_000_000_000).prop_map(|v| v.to_string()),
        Just("\"text\"".to_string()),
        Just("[1.0, 2.0]".to_string()),
        Just("{ distribution = \"normal\", mu = 0.0, sigma = -1.0 }".to_string()),
        Just("{ distribution = \"uniform\", low = 1.0, high = 0.5 }".to_string()),
    ]
}

fn network_text() -> impl Strategy<Value = String> {
    let models = prop_oneof![
        Just("IF_curr_exp"),
        Just("IF_cond_exp"),
        Just("IF_curr_delta"),
        Just("Izhikevich"),
        Just("SpikeSourceArray"),
        Just("SpikeSourcePoisson"),
        Just("Bogus")
    ];
    let connectors = prop_oneof![
        Just("{ type = \"AllToAllConnector\" }".to_string()),
        Just("{ type = \"OneToOneConnector\" }".to_string()),
        value().prop_map(|v| format!("{{ type = \"FixedProbabilityConnector\", p_connect = {v} }}")),
        value().prop_map(|v| format!("{{ type = \"FixedNumberPreConnector\", n = {v} }}")),
        (value(), value())
            .prop_map(|(a, b)| format!("{{ type = \"FromListConnector\", conn_list = [[{a}, {b}, 1.0, 2.0]] }}")),
    ];
    (value(), prop::collection::vec((models, 0u32..40, value(), value()), 1..4), prop::collection::vec((0usize..4, 0usize..4, connectors, value(), value()), 0..4))
        .prop_map(|(dt, pops, projs)| {
            let mut t = format!("timestep = {dt}\n");
            for (i, (m, n, a, b)) in pops.iter().enumerate() {
                t += &format!(
                    "[[population]]\nlabel = \"p{i}\"\nsize = {n}\ncell_type = \"{m}\"\nparameters = {{ tau_m = {a}, rate = {b} }}\nspike_times = [{b}]\nrecord = [{{ variable = \"spikes\", sampling_interval = {a} }}]\n"
                );
            }
            for (a, b, c, w, d) in projs {
                t += &format!("[[projection]]\npre = \"p{a}\"\npost = \"p{b}\"\nconnector = {c}\nweight = {w}\ndelay = {d}\n");
            }
            t
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        let _ = load_toml(&text);
    }

    #[test]
    fn random_networks_never_panic_when_loaded_mapped_and_run(text in network_text()) {
        use spinnsim::engine::Engine;
        if let Ok(net) = load_toml(&text) {
            if let Ok(image) = map(&net, MapOptions::default()) {
                if let Ok(mut m) = spinnsim::machine::Machine::new(image) {
                    let mut engine = spinnsim::engine::cpu::CpuEngine::new(None).unwrap();
                    let _ = engine.run(&mut m, 30);
                    m.reset();
                    let _ = engine.run(&mut m, 5);
                }
            }
        }
    }
}

fn plausible_network() -> impl Strategy<Value = String> {
    let models = prop_oneof![
        Just("IF_curr_exp"),
        Just("IF_cond_exp"),
        Just("IF_curr_delta"),
        Just("Izhikevich"),
        Just("Izhikevich_cond"),
        Just("SpikeSourceArray"),
        Just("SpikeSourcePoisson")
    ];
    let connectors = prop_oneof![
        Just("{ type = \"AllToAllConnector\" }".to_string()),
        Just("{ type = \"OneToOneConnector\" }".to_string()),
        (0.0f64..1.0).prop_map(|p| format!("{{ type = \"FixedProbabilityConnector\", p_connect = {p} }}")),
        (0u64..10).prop_map(|n| format!("{{ type = \"FixedNumberPreConnector\", n = {n}, with_replacement = true }}")),
        (0u64..10).prop_map(|n| format!("{{ type = \"FixedNumberPostConnector\", n = {n}, with_replacement = true }}")),
        (0u64..50).prop_map(|n| format!("{{ type = \"FixedTotalNumberConnector\", n = {n} }}")),
        (0u32..3, 0u32..3, 0.0f64..3.0, 1.0f64..300.0).prop_map(|(a, b, w, d)| format!(
            "{{ type = \"FromListConnector\", conn_list = [[{a}, {b}, {w}, {d}], [0, 0, 1.0, 1.0]] }}"
        )),
    ];
    let dt = prop_oneof![Just(1.0), Just(0.1), Just(0.5)];
    (
        dt,
        prop::collection::vec((models, 3u32..300, 1u32..300, -5.0f64..60.0, 1u32..4), 1..4),
        prop::collection::vec((0usize..4, 0usize..4, connectors, -5.0f64..5.0, 1.0f64..80.0, any::<bool>()), 0..5),
    )
        .prop_map(|(dt, pops, projs)| {
            let mut t = format!("timestep = {dt}\nseed = 3\n");
            for (i, (m, n, per_core, x, si)) in pops.iter().enumerate() {
                // Population 0 is always neurons, so that projections have somewhere to go.
                let m = if i == 0 && m.starts_with("Spike") { &"IF_curr_exp" } else { m };
                t += &format!("[[population]]\nlabel = \"p{i}\"\nsize = {n}\ncell_type = \"{m}\"\nmax_atoms_per_core = {per_core}\n");
                match *m {
                    "SpikeSourceArray" => t += &format!("spike_times = [0.0, {}, {}]\n", x.abs(), x.abs() * 2.0),
                    "SpikeSourcePoisson" => t += &format!("parameters = {{ rate = {} }}\n", x.abs() * 10.0),
                    "IF_curr_exp" | "IF_curr_delta" | "IF_cond_exp" => t += &format!("parameters = {{ i_offset = {} }}\n", x / 20.0),
                    _ => {}
                }
                t += &format!(
                    "record = [{{ variable = \"spikes\" }}{}]\n",
                    if m.starts_with("Spike") { String::new() } else { format!(", {{ variable = \"v\", sampling_interval = {} }}", *si as f64 * dt) }
                );
            }
            for (a, b, c, w, d, inh) in projs {
                let a = a % pops.len();
                let b = if pops[b % pops.len()].0.starts_with("Spike") { 0 } else { b % pops.len() };
                t += &format!(
                    "[[projection]]\npre = \"p{a}\"\npost = \"p{b}\"\nconnector = {c}\nweight = {w}\ndelay = {}\nreceptor_type = \"{}\"\n",
                    (d / dt).round() * dt,
                    if inh { "inhibitory" } else { "excitatory" }
                );
            }
            t
        })
}

#[test]
fn plausible_random_networks_map_and_run_without_panicking() {
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    use spinnsim::engine::Engine;
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
    let (mut ran, mut total) = (0, 0);
    for _ in 0..120 {
        let text = plausible_network().new_tree(&mut runner).unwrap().current();
        total += 1;
        let image = match load_toml(&text).and_then(|net| map(&net, MapOptions::default())) {
            Ok(i) => i,
            Err(e) => {
                if std::env::var("SHOW_REFUSED").is_ok() {
                    eprintln!("refused: {e}");
                }
                continue;
            }
        };
        let mut m = spinnsim::machine::Machine::new(image).unwrap();
        let mut engine = spinnsim::engine::cpu::CpuEngine::new(None).unwrap();
        engine.run(&mut m, 40).unwrap();
        m.reset();
        engine.run(&mut m, 7).unwrap();
        ran += 1;
    }
    assert!(ran * 2 > total, "only {ran} of {total} plausible networks mapped and ran");
}
