//! sPyNNaker's KernelConnector on every path: generated on the machine (the expander's kernel
//! generator), with spinnsim's own draws, and where 7.4.1's host builds the rows; and what the
//! run refuses or says. The host path is compared word for word with 7.4.1 in
//! tests/mapping_fixtures.rs (fixtures `kernel`, `kernel_onchip`).

use spinnsim::mapping::MapOptions;
use spinnsim::model::load_toml;
use spinnsim::sim::Simulation;

const WEIGHTS: [[f64; 3]; 3] = [[0.25, 0.5, 0.75], [1.0, 1.25, 1.5], [1.75, 2.0, 2.25]];

fn network(connector: &str, header: &str, post_atoms: u32) -> String {
    format!(
        "{header}[[population]]\nlabel = \"grid\"\nsize = 30\ncell_type = \"SpikeSourceArray\"\nspike_times = [1.0]\n\
         [[population]]\nlabel = \"out\"\nsize = 12\ncell_type = \"IF_curr_exp\"\nmax_atoms_per_core = {post_atoms}\n\
         [[projection]]\nlabel = \"conv\"\npre = \"grid\"\npost = \"out\"\nconnector = {connector}\nweight = 0.5\n"
    )
}

fn kernel(extra: &str) -> String {
    format!("{{ type = \"KernelConnector\", shape_pre = [5, 6], shape_post = [3, 4], shape_kernel = [3, 3]{extra} }}")
}

fn connections(toml: &str, opts: MapOptions) -> Vec<[f64; 4]> {
    let sim = Simulation::new(load_toml(toml).unwrap(), opts, Some(1)).unwrap();
    let mut c = sim.connections(0).unwrap();
    c.sort_by(|a, b| a.partial_cmp(b).unwrap());
    c
}

/// PyNN's KernelConnector in plain integer arithmetic (every pre neuron, as the machine): post
/// (r, c) sits at `start + (r, c) · step` on the pre grid, seen from the pre grid as
/// `(x − pre_start − 1) div pre_step + 1`; pre (i, j) is kernel position `half − (seen − (i, j))`.
fn reference(steps: [i64; 2], starts: [i64; 2]) -> Vec<(u32, u32, usize)> {
    let mut out = Vec::new();
    for pre in 0..30i64 {
        for post in 0..12i64 {
            let seen = |x: i64, axis: usize| (starts[axis] + x * steps[axis] - 1).div_euclid(1) + 1;
            let (kr, kc) = (1 - (seen(post / 4, 0) - pre / 6), 1 - (seen(post % 4, 1) - pre % 6));
            if (0..3).contains(&kr) && (0..3).contains(&kc) {
                out.push((pre as u32, post as u32, (kr * 3 + kc) as usize));
            }
        }
    }
    out.sort_unstable();
    out
}

#[test]
fn the_machine_connects_each_post_to_the_kernel_around_its_place_with_the_kernels_weights() {
    let weights = format!(", weight_kernel = {WEIGHTS:?}");
    for (steps, starts) in [([1, 1], [0, 0]), ([2, 1], [1, 0]), ([1, 2], [0, 1])] {
        let extra = format!("{weights}, post_sample_steps_in_pre = {steps:?}, post_start_coords_in_pre = {starts:?}");
        let want = reference(steps, starts);
        assert!(want.len() > 20, "{want:?}");
        for header in ["", "draws = \"spinnsim\"\n"] {
            let got = connections(&network(&kernel(&extra), header, 5), MapOptions::default());
            let pairs: Vec<(u32, u32)> = got.iter().map(|c| (c[0] as u32, c[1] as u32)).collect();
            let mut want_pairs: Vec<(u32, u32)> = want.iter().map(|w| (w.0, w.1)).collect();
            want_pairs.sort_unstable();
            assert_eq!(pairs, want_pairs, "steps {steps:?} starts {starts:?} {header}");
            for (c, &(_, _, k)) in got.iter().zip(&want) {
                assert_eq!(c[2], WEIGHTS[k / 3][k % 3], "the weight of kernel position {k}");
                assert_eq!(c[3], 1.0, "the projection's delay");
            }
        }
    }
}

#[test]
fn drawn_weights_and_the_kernels_delays_are_the_machines_on_either_draw() {
    let delays = ", delay_kernel = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 20.0]]";
    let toml = network(&kernel(delays), "", 5)
        .replace("weight = 0.5", "weight = { distribution = \"uniform\", low = 0.1, high = 0.9 }");
    let machine = connections(&toml, MapOptions::default());
    let want = reference([1, 1], [0, 0]);
    assert_eq!(machine.len(), want.len());
    for (c, &(_, _, k)) in machine.iter().zip(&want) {
        assert_eq!(c[3], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 20.0][k], "delay of position {k}");
        assert!((0.1..=0.9).contains(&c[2]), "{c:?}");
    }
    let distinct: std::collections::BTreeSet<u64> = machine.iter().map(|c| c[2].to_bits()).collect();
    assert!(distinct.len() > machine.len() / 2, "the expander draws a weight per synapse");
    let again = connections(&toml, MapOptions::default());
    assert_eq!(machine, again, "the same seed, the same network");
    let own = connections(&format!("draws = \"spinnsim\"\n{toml}"), MapOptions::default());
    let pairs = |c: &[[f64; 4]]| c.iter().map(|c| (c[0], c[1], c[3])).collect::<Vec<_>>();
    assert_eq!(pairs(&own), pairs(&machine), "spinnsim's draws: the same pairs and delays");
    assert_ne!(own, machine, "spinnsim's own weights");
}

#[test]
fn bad_kernels_and_views_are_refused_by_name() {
    let cases = [
        (kernel(", weight_kernel = [[1.0, 2.0, 3.0]]"), "weight_kernel", "must be 3 rows of 3"),
        (kernel(", pre_sample_steps_in_post = [0, 1]"), "pre_sample_steps_in_post", "must be in 1..=65535"),
        (kernel(", delay_kernel = [[1, 1, 1], [1, 0.5, 1], [1, 1, 1]]"), "delay_kernel", "below one timestep"),
        (
            "{ type = \"KernelConnector\", shape_pre = [5, 0], shape_post = [3, 4], shape_kernel = [3, 3] }".into(),
            "shape_pre",
            "must be in 1..=65535",
        ),
    ];
    for (connector, param, why) in cases {
        let err = load_toml(&network(&connector, "", 5))
            .and_then(|n| Simulation::new(n, Default::default(), Some(1)))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("projection `conv`") && err.contains(param) && err.contains(why), "{err}");
    }
    let view = network(&kernel(""), "", 5) + "pre_view = { start = 0, stop = 20 }\n";
    let err = load_toml(&view).and_then(|n| Simulation::new(n, Default::default(), Some(1))).err().unwrap();
    assert!(err.to_string().contains("pre_view") && err.to_string().contains("whole populations"), "{err}");
    let array = network(&kernel(""), "", 5).replace("weight = 0.5", "weight = [0.5, 0.5]");
    let err = load_toml(&array).and_then(|n| Simulation::new(n, Default::default(), Some(1))).err().unwrap();
    assert!(err.to_string().contains("weight_kernel"), "{err}");
}

/// 7.4.1's host files a kernel's synapses by the sign of their weights and writes population
/// indices as core indices; spinnsim refuses the networks where that changes what is connected.
#[test]
fn the_hosts_kernel_quirks_are_refused_where_they_would_change_the_network() {
    let board = MapOptions { virtual_board: true, ..Default::default() };
    let host = |toml: &str| Simulation::new(load_toml(toml).unwrap(), board, Some(1)).map(|_| ());
    assert!(host(&network(&kernel(""), "", 4)).is_ok(), "cores of 4 start at multiples of 4");
    let err = host(&network(&kernel(""), "", 5)).unwrap_err().to_string();
    assert!(err.contains("multiple of 8") && err.contains("max_atoms_per_core"), "{err}");
    let inhibitory = network(&kernel(""), "", 4) + "receptor_type = \"inhibitory\"\n";
    let err = host(&inhibitory).unwrap_err().to_string();
    assert!(err.contains("sign of its weight"), "{err}");
    // The machine files every synapse on the projection's receptor: both run there.
    for toml in [network(&kernel(""), "", 5), inhibitory] {
        assert!(Simulation::new(load_toml(&toml).unwrap(), Default::default(), Some(1)).is_ok());
    }
}

#[test]
fn what_the_machine_does_with_a_kernel_that_a_user_may_not_expect_is_said() {
    let negative = kernel(", weight_kernel = [[-0.5, 0.5, 0.5], [0.5, 1.0, 0.5], [0.5, 0.5, -0.5]]");
    let toml = network(&negative, "", 5).replace("size = 12", "size = 14");
    let sim = Simulation::new(load_toml(&toml).unwrap(), Default::default(), Some(1)).unwrap();
    let said: Vec<String> = sim.warnings().into_iter().filter(|w| w.contains("projection `conv`")).collect();
    assert!(said.iter().any(|w| w.contains("2 of the weight_kernel's values are negative")), "{said:?}");
    assert!(said.iter().any(|w| w.contains("shape_post 3×4 holds 12 neurons, the population 14")), "{said:?}");
    let weights: Vec<f64> = sim.connections(0).unwrap().iter().map(|c| c[2]).collect();
    assert!(weights.iter().all(|&w| w > 0.0), "the machine writes the magnitude: {weights:?}");
}
