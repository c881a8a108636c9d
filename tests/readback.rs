//! `Projection.get` after a run: connections read back from the rows, quantised as on SpiNNaker;
//! the tables of a simulation. On both engines.

mod common;

use spinnsim::engine::Backend;
use spinnsim::mapping::MapOptions;
use spinnsim::model::load_toml;
use spinnsim::sim::Simulation;

common::on_both_engines!(
    the_synfire_ring_reads_back_exactly,
    weights_read_back_as_the_expander_or_the_host_rounds_them,
    tables_of_a_simulation_hold_its_recordings_and_counters
);

fn the_synfire_ring_reads_back_exactly(backend: Backend) {
    for (n, delay) in [(20, 17.0), (256, 40.0)] {
        let mut sim =
            Simulation::with_backend(common::synfire(n, delay, None, false), MapOptions::default(), None, backend)
                .unwrap();
        sim.run(10.0).unwrap();
        let got = sim.connections(0).unwrap();
        let mut want: Vec<[f64; 4]> = (0..n).map(|i| [i as f64, ((i + 1) % n) as f64, 2.0, delay]).collect();
        want.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert_eq!(got, want, "ring of {n} at delay {delay}");
        assert_eq!(sim.connections(1).unwrap(), vec![[0.0, 0.0, 2.0, 1.0]]);
        assert!(sim.connections(2).is_err());
    }
}

fn two_projections(virtual_board: bool, backend: Backend) -> Vec<[f64; 4]> {
    // A 1.5 nA projection makes the maximum weight 1.6, so shift 1 and scale 16384 (§3.6's example).
    let net = load_toml(
        "timestep = 1.0\n\
         [[population]]\nlabel = \"src\"\nsize = 2\ncell_type = \"SpikeSourceArray\"\nspike_times = [1.0]\n\
         [[population]]\nlabel = \"dst\"\nsize = 3\ncell_type = \"IF_curr_exp\"\n\
         [[projection]]\npre = \"src\"\npost = \"dst\"\nconnector = { type = \"AllToAllConnector\" }\nweight = 0.1\ndelay = 2.0\n\
         [[projection]]\npre = \"src\"\npost = \"dst\"\nconnector = { type = \"FromListConnector\", conn_list = [[0, 0, 1.5, 1.0]] }\n",
    )
    .unwrap();
    let mut sim =
        Simulation::with_backend(net, MapOptions { virtual_board, ..Default::default() }, None, backend).unwrap();
    assert_eq!(sim.image().ring_buffer_shifts[1], Some([1, 0]));
    sim.run(5.0).unwrap();
    assert_eq!(sim.connections(1).unwrap(), vec![[0.0, 0.0, 1.5, 1.0]]);
    sim.connections(0).unwrap()
}

fn weights_read_back_as_the_expander_or_the_host_rounds_them(backend: Backend) {
    let on_chip = two_projections(false, backend);
    let host = two_projections(true, backend);
    assert_eq!(on_chip.len(), 6);
    assert!(on_chip.iter().all(|c| c[2] == 1639.0 / 16384.0 && c[3] == 2.0), "{on_chip:?}");
    assert!(host.iter().all(|c| c[2] == 1638.0 / 16384.0 && c[3] == 2.0), "{host:?}");
}

fn tables_of_a_simulation_hold_its_recordings_and_counters(backend: Backend) {
    let mut sim =
        Simulation::with_backend(common::synfire(20, 17.0, None, true), MapOptions::default(), None, backend).unwrap();
    sim.run(500.0).unwrap();
    let spikes = sim.spikes_batch().unwrap();
    assert_eq!(spikes.num_rows(), 27);
    assert_eq!(sim.samples_batch().unwrap().num_rows(), 2 * 500 * 20);
    let prov = sim.provenance_batch().unwrap();
    assert_eq!(prov.num_rows(), sim.image().cores.len());
    let col = prov.column_by_name("pre_synaptic_events").unwrap();
    let events = col.as_any().downcast_ref::<arrow_array::UInt64Array>().unwrap();
    let total: u64 = events.iter().map(|v| v.unwrap()).sum();
    assert_eq!(total, sim.provenance().iter().map(|p| p.pre_synaptic_events).sum::<u64>());
    assert_eq!(total, 28, "27 ring spikes and the input spike, one synapse each");
    assert_eq!(prov.schema().metadata()["spinnsim.profile"], "spinnaker-7");
}
