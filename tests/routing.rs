//! Routes as sPyNNaker 7.4.1 builds them (`get_connected_vertices`): a OneToOneConnector reaches
//! only the post cores whose atoms overlap the pre core's, a FromListConnector only the post cores
//! one of its connections joins, every other connector every post core. Packets then reach only
//! those cores, with the same results (on both engines).

mod common;

use spinnsim::engine::Backend;
use spinnsim::mapping::{map, MachineImage, MapOptions};
use spinnsim::model::load_toml;
use spinnsim::sim::Simulation;

/// Three pre populations of 600 neurons (3 cores: 0–255, 256–511, 512–599) into `b` of 300
/// (2 cores: 0–255, 256–299), one connector each.
fn network() -> String {
    let mut t = String::from("timestep = 1.0\n[[population]]\nlabel = \"b\"\nsize = 300\ncell_type = \"IF_curr_exp\"\nrecord = [{ variable = \"spikes\" }, { variable = \"v\" }]\n");
    for (label, connector) in [
        ("one", "{ type = \"OneToOneConnector\" }"),
        ("list", "{ type = \"FromListConnector\", conn_list = [[0, 299, 3.0, 1.0], [10, 20, 3.0, 1.0]] }"),
        ("all", "{ type = \"AllToAllConnector\" }"),
    ] {
        let times: Vec<String> = (0..600).map(|i| format!("[{}.0]", 1 + i % 50)).collect();
        t += &format!(
            "[[population]]\nlabel = \"{label}\"\nsize = 600\ncell_type = \"SpikeSourceArray\"\nmax_atoms_per_core = 256\nspike_times = [{}]\n\
             [[projection]]\npre = \"{label}\"\npost = \"b\"\nconnector = {connector}\nweight = {}\n",
            times.join(", "),
            if label == "all" { "0.001" } else { "10.0" }
        );
    }
    t
}

/// Destinations (as indices among `b`'s cores) of each core of population `pop`.
fn reach(image: &MachineImage, pop: usize) -> Vec<Vec<usize>> {
    let b = &image.population_cores[0];
    image.population_cores[pop]
        .iter()
        .map(|&c| {
            let key = image.cores[c as usize].key.expect("a sending core has a key");
            let e = image.routing_table.iter().find(|e| e.key == key).expect("every sending core has an entry");
            e.destinations.iter().map(|d| b.iter().position(|x| x == d).expect("a core of b")).collect()
        })
        .collect()
}

#[test]
fn routes_reach_only_the_cores_a_connector_can_connect() {
    let net = load_toml(&network()).unwrap();
    let image = map(&net, MapOptions::default()).unwrap();
    assert_eq!(image.population_cores[0].len(), 2);
    assert_eq!(reach(&image, 1), vec![vec![0], vec![1], vec![]], "one-to-one: overlapping atoms only");
    assert_eq!(reach(&image, 2), vec![vec![0, 1], vec![], vec![]], "from-list: 0→299 and 10→20 both leave core 0");
    assert_eq!(reach(&image, 3), vec![vec![0, 1]; 3], "all-to-all: every core");
}

common::on_both_engines!(
    a_core_that_reaches_nothing_loses_no_packet_and_the_rest_arrive,
    delay_cores_are_routed_only_to_targets_whose_edge_needs_them
);

fn a_core_that_reaches_nothing_loses_no_packet_and_the_rest_arrive(backend: Backend) {
    let mut sim =
        Simulation::with_backend(load_toml(&network()).unwrap(), MapOptions::default(), Some(2), backend).unwrap();
    sim.run(60.0).unwrap();
    assert_eq!(sim.unrouted_packets(), 0);
    // One-to-one at weight 10 nA fires every neuron of b.
    let spikes = sim.recordings().population_spikes(0, 0);
    let fired: std::collections::BTreeSet<u32> = spikes.iter().map(|s| s.1).collect();
    assert_eq!(fired.len(), 300, "every neuron of b is driven by its one-to-one partner");
}

fn delay_cores_are_routed_only_to_targets_whose_edge_needs_them(backend: Backend) {
    // `p` reaches `far` with 40 ms delays (a delay extension) and `near` with 1 ms.
    let text = "timestep = 1.0\n\
        [[population]]\nlabel = \"p\"\nsize = 256\ncell_type = \"SpikeSourceArray\"\nspike_times = [1.0, 5.0]\n\
        [[population]]\nlabel = \"far\"\nsize = 256\ncell_type = \"IF_curr_exp\"\nrecord = [{ variable = \"spikes\" }]\n\
        [[population]]\nlabel = \"near\"\nsize = 256\ncell_type = \"IF_curr_exp\"\nrecord = [{ variable = \"spikes\" }]\n\
        [[projection]]\npre = \"p\"\npost = \"far\"\nconnector = { type = \"OneToOneConnector\" }\nweight = 10.0\ndelay = 40.0\n\
        [[projection]]\npre = \"p\"\npost = \"near\"\nconnector = { type = \"OneToOneConnector\" }\nweight = 10.0\ndelay = 1.0\n";
    let net = load_toml(text).unwrap();
    let image = map(&net, MapOptions::default()).unwrap();
    let delay_core = image
        .cores
        .iter()
        .find(|c| matches!(c.kind, spinnsim::mapping::CoreKind::Delay(_)))
        .expect("p has a delay extension");
    let route = image.routing_table.iter().find(|e| Some(e.key) == delay_core.key).expect("the delay core's entry");
    assert_eq!(route.destinations, image.population_cores[1], "to `far` only");
    let mut sim = Simulation::with_backend(net, MapOptions::default(), None, backend).unwrap();
    sim.run(60.0).unwrap();
    let prov = sim.provenance();
    assert_eq!(
        prov.iter().map(|p| p.invalid_master_pop_hits).sum::<u64>(),
        0,
        "no packet reaches a core without its entry"
    );
    let far = sim.recordings().population_spikes(1, 0);
    let fired: std::collections::BTreeSet<u32> = far.iter().map(|s| s.1).collect();
    assert_eq!(fired.len(), 256, "the delayed spikes arrive at `far`");
    assert!(far.iter().all(|s| s.0 >= 41), "40 ms after the input at 1 ms: {:?}", &far[..3]);
}

/// A OneToOneConnector between PopulationViews routes as 7.4.1's `OneToOneConnector.__connects`:
/// slices that reach into the views, whose ranges counted from each view's start overlap, not
/// clipped to the views; so a pre core can reach a post core none of its neurons connects to.
#[test]
fn one_to_one_between_views_routes_as_the_host_does() {
    let case = |pre_view: (u32, u32), post_view: (u32, u32), post_per_core: u32| {
        let text = format!(
            "[[population]]\nlabel = \"b\"\nsize = 150\ncell_type = \"IF_curr_exp\"\nmax_atoms_per_core = {post_per_core}\n\
             [[population]]\nlabel = \"a\"\nsize = 100\ncell_type = \"SpikeSourceArray\"\nmax_atoms_per_core = 32\nspike_times = [1.0]\n\
             [[projection]]\npre = \"a\"\npost = \"b\"\nconnector = {{ type = \"OneToOneConnector\" }}\nweight = 1.0\n\
             pre_view = {{ start = {}, stop = {} }}\npost_view = {{ start = {}, stop = {} }}\n",
            pre_view.0, pre_view.1, post_view.0, post_view.1
        );
        reach(&map(&load_toml(&text).unwrap(), MapOptions::default()).unwrap(), 1)
    };
    // views_random's o2o_view: pre[0:30] -> post[100:130] over post cores 0-63, 64-127, 128-149.
    assert_eq!(case((0, 30), (100, 130), 64), vec![vec![1, 2], vec![], vec![], vec![]]);
    // pre[0:10] -> post[0:100] over 16-atom post cores: pre core 0-31 counts 0..31 from its view
    // start, so it reaches post core 16-31 too, where none of its neurons connects.
    assert_eq!(case((0, 10), (0, 100), 16), vec![vec![0, 1], vec![], vec![], vec![]]);
    // Counted from the views: pre[40:60] -> post[0:20] comes from pre cores 32-63 only.
    assert_eq!(case((40, 60), (0, 20), 64), vec![vec![], vec![0], vec![], vec![]]);
}
