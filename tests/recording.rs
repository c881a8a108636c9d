//! Recording conventions (§6.7): samples every r ticks from tick 0; spikes of a period OR'ed and
//! stamped with its last tick; neuron subsets; gsyn on current-based models. On both engines.

mod common;

use spinnsim::engine::Backend;
use spinnsim::mapping::MapOptions;
use spinnsim::model::load_toml;
use spinnsim::sim::Simulation;

fn run(record: &str, backend: Backend) -> spinnsim::record::Recordings {
    let net = load_toml(&format!(
        "timestep = 1.0\n\
         [[population]]\nlabel = \"lif\"\nsize = 5\ncell_type = \"IF_curr_exp\"\n\
         parameters = {{ i_offset = [0.9, 1.1, 1.3, 1.5, 2.0], tau_refrac = 1.0 }}\nrecord = {record}\n\
         [[population]]\nlabel = \"stim\"\nsize = 1\ncell_type = \"SpikeSourceArray\"\nspike_times = [3.0, 7.0, 30.0]\n\
         [[projection]]\npre = \"stim\"\npost = \"lif\"\nconnector = {{ type = \"AllToAllConnector\" }}\nweight = 1.5\nreceptor_type = \"inhibitory\"\n"
    ))
    .unwrap();
    let mut s = Simulation::with_backend(net, MapOptions::default(), None, backend).unwrap();
    s.run(101.0).unwrap();
    s.recordings()
}

common::on_both_engines!(sampled_recordings_are_the_every_tick_recordings_thinned_as_spynnaker_does);

fn sampled_recordings_are_the_every_tick_recordings_thinned_as_spynnaker_does(backend: Backend) {
    let all = run("[{ variable = \"spikes\" }, { variable = \"v\" }, { variable = \"gsyn_inh\" }]", backend);
    let some = run(
        "[{ variable = \"spikes\", neurons = [4, 1, 3], sampling_interval = 4.0 }, \
          { variable = \"v\", neurons = [2, 0], sampling_interval = 3.0 }, { variable = \"gsyn_inh\", sampling_interval = 5.0 }]",
        backend,
    );
    let spikes = all.population_spikes(0, 0);
    assert!(spikes.len() > 20, "the offsets make every neuron fire");
    // v: ticks 0, 3, 6, … of neurons 0 and 2 only.
    let want_v: Vec<_> =
        all.population_samples(0, 0, "v").into_iter().filter(|s| s.0 % 3 == 0 && (s.1 == 0 || s.1 == 2)).collect();
    assert_eq!(some.population_samples(0, 0, "v"), want_v);
    assert_eq!(want_v.len(), 34 * 2);
    // gsyn_inh on a current-based model: the inhibitory current, every 5 ticks, non-zero after input.
    let want_g: Vec<_> = all.population_samples(0, 0, "gsyn_inh").into_iter().filter(|s| s.0 % 5 == 0).collect();
    assert_eq!(some.population_samples(0, 0, "gsyn_inh"), want_g);
    assert!(want_g.iter().any(|s| s.2 > 0));
    // spikes: each period [4k, 4k + 3] with a spike of neuron n gives one (4k + 3, n); the last partial
    // period (ticks 100) is not written.
    let mut want_s: Vec<(u32, u32)> =
        spikes.iter().filter(|s| [1, 3, 4].contains(&s.1) && s.0 < 100).map(|&(t, n)| (t / 4 * 4 + 3, n)).collect();
    want_s.sort_unstable();
    want_s.dedup();
    assert_eq!(some.population_spikes(0, 0), want_s);
}
