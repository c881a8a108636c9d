//! sPyNNaker's soft reset (docs/decisions.md D5, D8): the neuron cores' colour counters keep
//! counting, so after a reset that is not a multiple of 16 ticks, spikes between neuron
//! populations are processed `c` ticks early, or skipped when their delay is ≤ c. On both engines.

mod common;

use spinnsim::engine::Backend;
use spinnsim::machine::ResetMode;
use spinnsim::mapping::MapOptions;
use spinnsim::model::load_toml;
use spinnsim::sim::Simulation;

/// `a` fires once, early, driven by a strong offset; `b` receives it with the given delays.
fn network(delays: &[f64]) -> spinnsim::model::Network {
    let conns: Vec<String> = delays.iter().enumerate().map(|(j, d)| format!("[0, {j}, 1.0, {d}]")).collect();
    load_toml(&format!(
        "timestep = 1.0\n\
         [[population]]\nlabel = \"a\"\nsize = 1\ncell_type = \"IF_curr_exp\"\nparameters = {{ i_offset = 20.0, tau_refrac = 500.0 }}\nrecord = [{{ variable = \"spikes\" }}]\n\
         [[population]]\nlabel = \"b\"\nsize = {}\ncell_type = \"IF_curr_exp\"\nrecord = [{{ variable = \"gsyn_exc\" }}]\n\
         [[projection]]\npre = \"a\"\npost = \"b\"\nconnector = {{ type = \"FromListConnector\", conn_list = [{}] }}\n",
        delays.len(),
        conns.join(", ")
    ))
    .unwrap()
}

/// First tick at which neuron j of `b` has input, per segment.
fn arrival(e: &Simulation, segment: u32, j: u32) -> Option<u32> {
    e.recordings().population_samples(1, segment, "gsyn_exc").into_iter().find(|s| s.1 == j && s.2 != 0).map(|s| s.0)
}

/// The simulation of [`network`] on `backend`.
fn simulation(delays: &[f64], backend: Backend) -> Simulation {
    Simulation::with_backend(network(delays), MapOptions::default(), None, backend).unwrap()
}

common::on_both_engines!(after_a_soft_reset_spikes_arrive_early_or_are_skipped, reload_mode_gives_a_fresh_start);

fn after_a_soft_reset_spikes_arrive_early_or_are_skipped(backend: Backend) {
    let mut e = simulation(&[3.0, 10.0], backend);
    e.run_ticks(40).unwrap();
    let spike = e.recordings().population_spikes(0, 0)[0].0;
    assert_eq!(arrival(&e, 0, 0), Some(spike + 3));
    assert_eq!(arrival(&e, 0, 1), Some(spike + 10));
    e.reset(); // 40 ticks = 2·16 + 8: the colour is now 8 ahead, so spikes look 16 − 8 = 8 ticks late.
    e.run_ticks(40).unwrap();
    assert_eq!(e.recordings().population_spikes(0, 1)[0].0, spike);
    assert_eq!(arrival(&e, 1, 0), None, "delay 3 <= 8: skipped");
    assert_eq!(arrival(&e, 1, 1), Some(spike + 10 - 8), "delay 10 > 8: processed 8 ticks early");
    let prov: u64 = e.provenance().iter().map(|p| p.synapses_skipped).sum();
    assert_eq!(prov, 1);
    assert_eq!(e.provenance().iter().map(|p| p.max_late_spike).max(), Some(8));
    assert!(e.warnings().iter().any(|w| w.contains("40 ticks")));
}

fn reload_mode_gives_a_fresh_start(backend: Backend) {
    let mut e = simulation(&[3.0, 10.0], backend);
    e.set_reset_mode(ResetMode::Reload);
    e.run_ticks(40).unwrap();
    e.reset();
    e.run_ticks(40).unwrap();
    assert_eq!(arrival(&e, 0, 0), arrival(&e, 1, 0));
    assert_eq!(arrival(&e, 0, 1), arrival(&e, 1, 1));
    assert!(e.warnings().is_empty());
}
