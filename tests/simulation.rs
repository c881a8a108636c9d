//! Runs as PyNN scripts drive them: parameters and spike times changed between runs. On both engines.

mod common;

use spinnsim::engine::Backend;
use spinnsim::mapping::MapOptions;
use spinnsim::model::*;
use spinnsim::sim::Simulation;

fn net(extra: &str) -> Network {
    load_toml(&format!(
        "timestep = 1.0\n[[population]]\nlabel = \"lif\"\nsize = 3\ncell_type = \"IF_curr_exp\"\n\
         parameters = {{ tau_refrac = 2.0, v_thresh = -55.0 }}\nrecord = [{{ variable = \"v\" }}, {{ variable = \"spikes\" }}]\n\
         [[population]]\nlabel = \"stim\"\nsize = 1\ncell_type = \"SpikeSourceArray\"\nspike_times = [5.0]\nrecord = [{{ variable = \"spikes\" }}]\n\
         [[projection]]\npre = \"stim\"\npost = \"lif\"\nconnector = {{ type = \"AllToAllConnector\" }}\nweight = 3.0\n{extra}"
    ))
    .unwrap()
}

common::on_both_engines!(
    setting_i_offset_between_runs_equals_a_dc_source_starting_then,
    changing_tau_m_between_runs_changes_the_decay_from_then_on,
    new_spike_times_are_sent_from_the_current_time_on,
    bad_changes_are_refused_and_leave_the_simulation_usable,
    initial_values_set_after_a_run_apply_at_reset,
    changing_a_dc_source_between_runs_equals_the_changed_source_from_the_start_of_the_next_run,
    a_current_source_reaches_its_neurons_in_any_order,
);

fn setting_i_offset_between_runs_equals_a_dc_source_starting_then(backend: Backend) {
    let mut a = Simulation::with_backend(net(""), MapOptions::default(), None, backend).unwrap();
    a.run(50.0).unwrap();
    a.set("lif", "i_offset", Values::Scalar(0.8)).unwrap();
    a.run(100.0).unwrap();
    let dc =
        "[[current_source]]\npopulation = \"lif\"\nsource = { type = \"DCSource\", amplitude = 0.8, start = 50.0 }\n";
    let mut b = Simulation::with_backend(net(dc), MapOptions::default(), None, backend).unwrap();
    b.run(150.0).unwrap();
    let (ra, rb) = (a.recordings(), b.recordings());
    assert!(!ra.population_spikes(0, 0).is_empty(), "the offset makes the neurons fire");
    assert_eq!(ra.population_samples(0, 0, "v"), rb.population_samples(0, 0, "v"));
    assert_eq!(ra.population_spikes(0, 0), rb.population_spikes(0, 0));
    assert_eq!(a.current_time(), 150.0);
}

fn changing_tau_m_between_runs_changes_the_decay_from_then_on(backend: Backend) {
    let mut a = Simulation::with_backend(net(""), MapOptions::default(), None, backend).unwrap();
    a.run(20.0).unwrap();
    let before = a.recordings().population_samples(0, 0, "v");
    a.set("lif", "tau_m", Values::Array(vec![5.0, 20.0, 40.0])).unwrap();
    a.run(20.0).unwrap();
    let mut b = Simulation::with_backend(net(""), MapOptions::default(), None, backend).unwrap();
    b.run(40.0).unwrap();
    let (va, vb) = (a.recordings().population_samples(0, 0, "v"), b.recordings().population_samples(0, 0, "v"));
    assert_eq!(va[..before.len()], vb[..before.len()]);
    // Neuron 1 kept tau_m = 20; neurons 0 and 2 relax differently after tick 20.
    let after =
        |v: &[(u32, u32, i32)], n: u32| v.iter().filter(|s| s.1 == n && s.0 > 21).map(|s| s.2).collect::<Vec<_>>();
    assert_eq!(after(&va, 1), after(&vb, 1));
    assert_ne!(after(&va, 0), after(&vb, 0));
    assert_ne!(after(&va, 2), after(&vb, 2));
}

fn new_spike_times_are_sent_from_the_current_time_on(backend: Backend) {
    let mut s = Simulation::with_backend(net(""), MapOptions::default(), None, backend).unwrap();
    s.run(10.0).unwrap();
    s.set_spike_times("stim", SpikeTimes::Shared(vec![3.0, 12.0, 15.0, 18.0])).unwrap();
    s.run(20.0).unwrap();
    let ticks: Vec<u32> = s.recordings().population_spikes(1, 0).into_iter().map(|(t, _)| t).collect();
    assert_eq!(ticks, vec![5, 12, 15, 18]);
}

fn bad_changes_are_refused_and_leave_the_simulation_usable(backend: Backend) {
    let mut s = Simulation::with_backend(net(""), MapOptions::default(), None, backend).unwrap();
    s.run(5.0).unwrap();
    let e = s.set("lif", "tau_m", Values::Scalar(-1.0)).unwrap_err().to_string();
    assert!(e.contains("tau_m") && e.contains("must be > 0"), "{e}");
    let e = s.set("nobody", "tau_m", Values::Scalar(1.0)).unwrap_err().to_string();
    assert!(e.contains("nobody"), "{e}");
    let e = s.set("lif", "tau_x", Values::Scalar(1.0)).unwrap_err().to_string();
    assert!(e.contains("tau_x") && e.contains("unknown"), "{e}");
    assert!(s.run(f64::NAN).is_err());
    s.run(5.0).unwrap();
    assert_eq!(s.current_time(), 10.0);
}

fn initial_values_set_after_a_run_apply_at_reset(backend: Backend) {
    let mut s = Simulation::with_backend(net(""), MapOptions::default(), None, backend).unwrap();
    s.run(3.0).unwrap();
    s.set("lif", "v", Values::Scalar(-60.0)).unwrap();
    s.run(1.0).unwrap();
    let v0 = s.recordings().population_samples(0, 0, "v");
    assert_eq!(v0.iter().find(|x| x.0 == 3).unwrap().2, -65 * 32768, "the running state is not changed");
    s.reset();
    s.run(1.0).unwrap();
    let v1 = s.recordings().population_samples(0, 1, "v");
    assert_eq!(v1[0].2, -60 * 32768);
    // Set after a reset, an initial value applies to the run that follows.
    s.reset();
    s.set("lif", "v", Values::Scalar(-58.0)).unwrap();
    s.run(1.0).unwrap();
    assert_eq!(s.recordings().population_samples(0, 2, "v")[0].2, -58 * 32768);
}

fn changing_a_dc_source_between_runs_equals_the_changed_source_from_the_start_of_the_next_run(backend: Backend) {
    use spinnsim::model::CurrentSourceKind;
    let dc = |a: f64, start: f64| {
        format!("[[current_source]]\npopulation = \"lif\"\nsource = {{ type = \"DCSource\", amplitude = {a}, start = {start} }}\n")
    };
    let mut a = Simulation::with_backend(net(&dc(0.5, 10.0)), MapOptions::default(), None, backend).unwrap();
    a.run(50.0).unwrap();
    a.set_current_source(0, CurrentSourceKind::DCSource { amplitude: 0.9, start: 10.0, stop: f64::INFINITY }).unwrap();
    a.run(50.0).unwrap();
    // The same as two sources: 0.5 from tick 10 to 50, then 0.9 from tick 50 on.
    let two = format!(
        "{}[[current_source]]\npopulation = \"lif\"\nsource = {{ type = \"DCSource\", amplitude = 0.9, start = 50.0 }}\n",
        "[[current_source]]\npopulation = \"lif\"\nsource = { type = \"DCSource\", amplitude = 0.5, start = 10.0, stop = 50.0 }\n"
    );
    let mut b = Simulation::with_backend(net(&two), MapOptions::default(), None, backend).unwrap();
    b.run(100.0).unwrap();
    assert_eq!(a.recordings().population_samples(0, 0, "v"), b.recordings().population_samples(0, 0, "v"));
    assert!(!a.recordings().population_spikes(0, 0).is_empty());
    let e = a
        .set_current_source(0, CurrentSourceKind::StepCurrentSource { times: vec![1.0], amplitudes: vec![1.0] })
        .unwrap_err();
    assert!(e.to_string().contains("type"), "{e}");
    assert!(a.set_current_source(3, CurrentSourceKind::DCSource { amplitude: 0.1, start: 0.0, stop: 1.0 }).is_err());
}

fn a_current_source_reaches_its_neurons_in_any_order(backend: Backend) {
    let dc = |neurons: &str| {
        format!("[[current_source]]\npopulation = \"lif\"\nneurons = {neurons}\nsource = {{ type = \"DCSource\", amplitude = 0.8 }}\n")
    };
    let v = |neurons: &str| {
        let mut s = Simulation::with_backend(net(&dc(neurons)), MapOptions::default(), None, backend).unwrap();
        s.run(30.0).unwrap();
        s.recordings().population_samples(0, 0, "v")
    };
    let sorted = v("[0, 2]");
    let at = |v: &[(u32, u32, i32)], n: u32| v.iter().filter(|s| s.1 == n).map(|s| s.2).collect::<Vec<_>>();
    assert_ne!(at(&sorted, 0), at(&sorted, 1), "the source drives neuron 0");
    assert_eq!(at(&sorted, 0), at(&sorted, 2));
    assert_eq!(v("[2, 0]"), sorted);
    assert_eq!(v("[2, 0, 2]"), sorted, "a neuron named twice receives the source once");
}
