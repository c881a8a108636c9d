"""Runs, changes between runs, reset, and what sPyNNaker scripts rely on beyond standard PyNN.
The tests that run a network take the `backend` fixture (conftest.py): they run on both engines."""

import warnings

import numpy as np
import pytest
from pyNN import errors

import spinnsim.pynn as sim


def v_of(pop, segment=-1):
    return np.asarray(pop.get_data("v").segments[segment].filter(name="v")[0])


def small_net(backend, profile="spinnaker-7"):
    sim.setup(timestep=1.0, profile=profile, backend=backend)
    src = sim.Population(5, sim.SpikeSourcePoisson(rate=100.0), label="src", seed=7)
    pop = sim.Population(10, sim.IF_curr_exp(tau_refrac=2.0), label="pop")
    sim.Projection(src, pop, sim.FixedProbabilityConnector(0.5, rng=sim.NumpyRNG(seed=1)),
                   sim.StaticSynapse(weight=1.5, delay=2.0))
    pop.record(["spikes", "v"])
    return src, pop


def test_split_runs_equal_one_run(backend):
    _, pop = small_net(backend)
    sim.run(60.0)
    one = v_of(pop)
    sim.end()
    _, pop = small_net(backend)
    sim.run(25.0)
    sim.run(35.0)
    two = v_of(pop)
    sim.end()
    assert np.array_equal(one, two)


def test_set_between_runs_takes_effect_from_the_next_tick(backend):
    _, pop = small_net(backend)
    sim.run(30.0)
    before = v_of(pop)
    pop.set(i_offset=2.0)
    sim.run(30.0)
    after = v_of(pop)
    sim.end()
    assert np.array_equal(after[:30], before)
    _, pop = small_net(backend)
    sim.run(60.0)
    plain = v_of(pop)
    sim.end()
    assert np.array_equal(plain[:30], after[:30])
    assert not np.array_equal(plain[30:], after[30:])


def test_spike_times_changed_between_runs(backend):
    sim.setup(timestep=1.0, backend=backend)
    ssa = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0, 8.0]), label="ssa")
    ssa.record("spikes")
    sim.run(10.0)
    ssa.set(spike_times=[12.0, 15.0, 18.0])
    sim.run(10.0)
    times = ssa.get_data("spikes").segments[0].spiketrains[0].magnitude
    sim.end()
    assert list(times) == [5.0, 8.0, 12.0, 15.0, 18.0]


def test_reset_gives_the_same_run_again(backend):
    """test__simulation_control::test_reset of PyNN, on spinnsim: a run after reset() repeats
    the first (the network has no projections between neuron populations, so the soft reset's
    colour offset cannot matter)."""
    sim.setup(timestep=1.0, backend=backend)
    pop = sim.Population(3, sim.IF_curr_exp(i_offset=1.0, tau_refrac=2.0), label="p")
    pop.record("v")
    sim.run(40.0)
    sim.reset()
    sim.run(40.0)
    block = pop.get_data("v")
    sim.end()
    a, b = (np.asarray(s.filter(name="v")[0]) for s in block.segments)
    assert np.array_equal(a, b)


def test_initialize_after_a_run_takes_effect_at_reset(backend):
    sim.setup(timestep=1.0, backend=backend)
    pop = sim.Population(2, sim.IF_curr_exp(), label="p")
    pop.record("v")
    sim.run(5.0)
    pop.initialize(v=-55.0)
    sim.run(5.0)
    assert np.all(v_of(pop)[:, 0] == -65.0)     # the running network is not changed
    sim.reset()
    sim.run(5.0)
    assert v_of(pop)[0, 0] == -55.0
    sim.end()


def test_structural_change_after_reset_maps_again_and_keeps_old_segments(backend):
    sim.setup(timestep=1.0, backend=backend)
    pop = sim.Population(2, sim.IF_curr_exp(i_offset=1.0), label="p")
    pop.record("v")
    sim.run(10.0)
    sim.reset()
    other = sim.Population(3, sim.IF_curr_exp(i_offset=2.0), label="q")
    other.record("v")
    sim.run(8.0)
    block = pop.get_data("v")
    assert [np.asarray(s.filter(name="v")[0]).shape for s in block.segments] == [(10, 2), (8, 2)]
    assert np.array_equal(np.asarray(block.segments[0].filter(name="v")[0])[:8],
                          np.asarray(block.segments[1].filter(name="v")[0]))
    assert np.asarray(other.get_data("v").segments[-1].filter(name="v")[0]).shape == (8, 3)
    res = sim.results()
    assert sorted(set(res.samples["segment"].to_pylist())) == [0, 1]
    sim.end()


def test_projection_get_and_set(backend):
    sim.setup(timestep=1.0, backend=backend)
    src = sim.Population(4, sim.SpikeSourceArray(spike_times=[1.0]), label="src")
    post = sim.Population(3, sim.IF_curr_exp(), label="post")
    fast = sim.Projection(src, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.3, delay=2.0))
    drawn = sim.Projection(src, post, sim.FromListConnector([(0, 0, 0.5, 1.0), (3, 2, 0.25, 4.0)]))
    w = fast.get("weight", format="array")
    assert w.shape == (4, 3) and np.all(w == 0.3)
    fast.set(weight=0.6)
    drawn.set(weight=np.array([[0.1, np.nan, np.nan], [np.nan] * 3, [np.nan] * 3, [np.nan, np.nan, 0.2]]))
    assert drawn.get(["weight", "delay"], format="list") == [(0, 0, 0.1, 1.0), (3, 2, 0.2, 4.0)]
    arr = drawn.get("delay", format="array")
    assert np.isnan(arr[1, 1]) and arr[3, 2] == 4.0
    assert np.all(fast.get("weight", format="array") == 0.6)
    sim.run(5.0)
    after = fast.get("weight", format="array")
    assert np.allclose(after, 0.6, atol=1e-3)            # read back, quantised
    with pytest.raises(sim.NetworkChangeError):
        fast.set(weight=0.1)
    assert len(fast) == 12 and len(drawn) == 2
    sim.end()


def test_initial_values_in_the_parameter_dict_and_old_style_population(backend):
    sim.setup(timestep=1.0, backend=backend)
    a = sim.Population(2, sim.IF_curr_exp(tau_m=10.0, v=-55.0), label="a")
    b = sim.Population(2, sim.IF_curr_exp, {"tau_m": 10.0, "v": -58.0, "isyn_exc": 0.5}, label="b")
    b0 = sim.Population(2, sim.IF_curr_exp, {"tau_m": 10.0, "v": -58.0}, label="b0")
    c = sim.Population(1, sim.Izhikevich(a=0.02, v=-68.0, u=-13.0), label="c")
    for pop in (a, b, b0, c):
        pop.record("v")
    assert b.get("tau_m") == 10.0 and b.get("v") == -58.0
    sim.run(2.0)
    assert v_of(a)[0, 0] == -55.0 and v_of(b)[0, 0] == -58.0 and v_of(c)[0, 0] == -68.0
    assert v_of(b)[1, 0] > v_of(b0)[1, 0]                  # the initial isyn_exc drives b up
    sim.end()


def test_gsyn_on_current_models_and_positive_inhibitory_weights(backend):
    sim.setup(timestep=1.0, profile="spinnaker-2019", backend=backend)
    ssa = sim.Population(1, sim.SpikeSourceArray(spike_times=[[0.0]]), label="ssa")
    pop = sim.Population(2, sim.IF_curr_exp(cm=0.25, tau_m=20.0, v_reset=-70.0, tau_refrac=2.0), label="pop")
    sim.Projection(ssa, pop[0:1], sim.AllToAllConnector(), sim.StaticSynapse(weight=2.0, delay=1.0),
                   receptor_type="excitatory")
    sim.Projection(ssa, pop[1:2], sim.AllToAllConnector(), sim.StaticSynapse(weight=2.0, delay=1.0),
                   receptor_type="inhibitory")
    pop.record(["v", "gsyn_exc", "gsyn_inh"])
    sim.run(5.0)
    seg = pop.get_data().segments[0]
    gexc = np.asarray(seg.filter(name="gsyn_exc")[0])
    ginh = np.asarray(seg.filter(name="gsyn_inh")[0])
    v = np.asarray(seg.filter(name="v")[0])
    sim.end()
    # oracles.md 2.1: gsyn(1) = 59398 / 2^15 after the spike at 0 with delay 1 and weight 2
    assert gexc[1, 0] == 59398 / 2 ** 15
    assert ginh[1, 1] == 59398 / 2 ** 15           # a positive weight on the inhibitory receptor
    assert v[2, 0] > -65.0 > v[2, 1]               # ... inhibits


def test_p_and_p_connect_spellings_draw_the_same():
    def conns(**kw):
        sim.setup(timestep=1.0)
        a = sim.Population(10, sim.SpikeSourcePoisson(), label="a")
        b = sim.Population(10, sim.IF_curr_exp(), label="b")
        prj = sim.Projection(a, b, sim.FixedProbabilityConnector(rng=sim.NumpyRNG(seed=3), **kw),
                             sim.StaticSynapse(weight=0.1))
        out = prj.get("weight", format="list")
        sim.end()
        return out
    assert conns(p=0.3) == conns(p_connect=0.3)


def test_neurons_per_core(backend):
    sim.setup(timestep=1.0, backend=backend)
    sim.set_number_of_neurons_per_core(sim.IF_curr_exp, 10)
    sim.Population(35, sim.IF_curr_exp(), label="a")
    b = sim.Population(35, sim.IF_curr_exp(), label="b")
    b.set_max_neurons_per_core(20)
    sim.Population(35, sim.IF_cond_exp(), label="c", neurons_per_core=5)
    sim.run(1.0)
    prov = sim.provenance().to_pandas()
    cores = prov.groupby("population").size()
    sim.end()
    assert (cores["a"], cores["b"], cores["c"]) == (4, 2, 7)


def test_ring_buffer_keywords_change_the_shifts():
    def shifts(**kw):
        sim.setup(timestep=1.0)
        src = sim.Population(100, sim.SpikeSourcePoisson(rate=10.0), label="src")
        pop = sim.Population(10, sim.IF_curr_exp(), label="pop", **kw)
        sim.Projection(src, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5))
        sim.run(1.0)
        out = sim.simulator.state.sim.ring_buffer_shifts("pop")
        sim.end()
        return out
    default = shifts()
    assert shifts(spikes_per_second=2000.0) != default
    assert shifts(additional_parameters={"spikes_per_second": 2000.0}) == shifts(spikes_per_second=2000.0)
    # both keywords reach the network description the core maps
    sim.setup(timestep=1.0)
    sim.Population(10, sim.IF_curr_exp(), label="pop", spikes_per_second=50.0, ring_buffer_sigma=7.0)
    entry = sim.simulator.state.build_network()["population"][0]
    sim.end()
    assert (entry["spikes_per_second"], entry["ring_buffer_sigma"]) == (50.0, 7.0)


def test_setup_keywords():
    with pytest.warns(sim.SpinnsimWarning, match="time_scale_factor"):
        sim.setup(timestep=1.0, time_scale_factor=10)
    with pytest.warns(sim.SpinnsimWarning, match="n_boards_required"):
        sim.setup(timestep=1.0, n_boards_required=3)
    with pytest.warns(sim.SpinnsimWarning, match="n_chips_required"):
        sim.setup(timestep=1.0, n_chips_required=48)
    with pytest.warns(sim.SpinnsimWarning, match="timestep"):
        sim.setup()
    assert sim.get_time_step() == 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sim.setup(timestep=1.0, backend="cpu", profile="spinnaker-2019", threads=1, seed=3)
    assert sim.get_min_delay() == 1.0
    import spinnsim
    if spinnsim.devices():
        sim.setup(timestep=1.0, backend="gpu")
    else:
        with pytest.raises(errors.InvalidParameterValueError, match="GPU adapter"):
            sim.setup(timestep=1.0, backend="gpu")
    sim.setup(timestep=1.0, backend="auto")
    with pytest.warns(sim.SpinnsimWarning, match="incoming_spike_buffer_size"):
        sim.Population(2, sim.IF_curr_exp(), incoming_spike_buffer_size=512)
    sim.end()


def test_run_until_and_time_queries(backend):
    sim.setup(timestep=0.1, backend=backend)
    sim.Population(1, sim.IF_curr_exp())
    assert sim.run_until(12.7) == pytest.approx(12.7)
    assert sim.get_current_time() == pytest.approx(12.7)
    sim.run_until(99.9)
    assert sim.get_current_time() == pytest.approx(99.9)
    sim.end()


def test_seeded_core_draws_are_reproducible():
    def draw(seed):
        sim.setup(timestep=1.0, seed=seed)
        a = sim.Population(30, sim.SpikeSourcePoisson(), label="a")
        b = sim.Population(30, sim.IF_curr_exp(), label="b")
        prj = sim.Projection(a, b, sim.FixedProbabilityConnector(0.2), sim.StaticSynapse(weight=0.1))
        out = prj.get("weight", format="list")
        sim.end()
        return out
    assert draw(1) == draw(1)
    assert draw(1) != draw(2)


def test_a_dc_source_changed_between_runs_applies_from_the_next_run(backend):
    import numpy as np
    import spinnsim.pynn as p

    def v_of(change):
        p.setup(timestep=1.0, backend=backend)
        pop = p.Population(2, p.IF_curr_exp(tau_refrac=2.0))
        pop.record("v")
        if change:
            dc = p.DCSource(amplitude=0.5, start=10.0)
            dc.inject_into(pop)
            p.run(50.0)
            dc.amplitude = 0.9
            p.run(50.0)
        else:
            p.DCSource(amplitude=0.5, start=10.0, stop=50.0).inject_into(pop)
            p.DCSource(amplitude=0.9, start=50.0).inject_into(pop)
            p.run(100.0)
        v = pop.get_data("v").segments[0].analogsignals[0].magnitude.copy()
        p.end()
        return v

    changed, reference = v_of(True), v_of(False)
    assert changed.shape == (100, 2)
    assert np.array_equal(changed, reference)
    assert changed[60, 0] != changed[40, 0]


def test_a_poisson_rate_set_between_runs_applies_from_the_next_run(backend):
    import spinnsim.pynn as p

    p.setup(timestep=1.0, backend=backend)
    src = p.Population(200, p.SpikeSourcePoisson(rate=5.0), additional_parameters={"seed": 3})
    src.record("spikes")
    p.run(1000.0)
    src.set(rate=50.0)
    p.run(1000.0)
    trains = src.get_data("spikes").segments[0].spiketrains
    first = sum(int((st.magnitude < 1000.0).sum()) for st in trains)
    second = sum(int((st.magnitude >= 1000.0).sum()) for st in trains)
    p.end()
    # 200 sources × 1 s: about 1000 spikes at 5 Hz, then about 10000 at 50 Hz.
    assert 800 < first < 1200, first
    assert 9000 < second < 11000, second
