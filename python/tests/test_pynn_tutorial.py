"""PyNN's tutorial code ("Building networks", "Running simulations", "Data handling") with only
the import changed: every cell type, random initial values, every connector, random weights,
current sources, run, set, run again, get_data, PyNN's plotting, Projection.get. On both engines
(the `backend` fixture of conftest.py; setup() names the engine)."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import spinnsim.pynn as sim  # noqa: E402  (the one changed line: import pyNN.spiNNaker as sim)
from pyNN.random import NumpyRNG, RandomDistribution  # noqa: E402
from pyNN.utility.plotting import Figure, Panel  # noqa: E402


def build_network(backend):
    sim.setup(timestep=1.0, min_delay=1.0, backend=backend)
    rng = NumpyRNG(seed=4242)

    # Populations of every cell type
    params = {'cm': 0.25, 'tau_m': 20.0, 'v_rest': -65.0, 'v_thresh': -50.0,
              'tau_refrac': RandomDistribution('uniform', (2.0, 3.0), rng=rng),
              'v_reset': -70.0, 'tau_syn_E': 5.0, 'tau_syn_I': 5.0, 'i_offset': 0.1}
    exc = sim.Population(40, sim.IF_curr_exp(**params), label="excitatory")
    inh = sim.Population(10, sim.IF_cond_exp(tau_m=15.0, e_rev_I=-75.0), label="inhibitory")
    delta = sim.Population(10, sim.IF_curr_delta(tau_m=10.0), label="delta")
    izk = sim.Population(8, sim.Izhikevich(a=0.02, b=0.2, c=-65.0, d=8.0, i_offset=0.0), label="izhikevich")
    izk_cond = sim.Population(8, sim.extra_models.Izhikevich_cond(), label="izhikevich_cond")
    stim = sim.Population(20, sim.SpikeSourcePoisson(rate=40.0), label="poisson")
    times = sim.Population(2, sim.SpikeSourceArray(spike_times=[[5.0, 15.0, 25.0], [10.0, 30.0]]),
                           label="array")

    # Initial values drawn from a distribution
    uniform = RandomDistribution('uniform', (-70.0, -55.0), rng=rng)
    exc.initialize(v=uniform)
    inh.initialize(v=RandomDistribution('normal', mu=-65.0, sigma=2.0, rng=rng))
    izk.initialize(v=-70.0, u=-14.0)

    # Recording
    for pop in (exc, inh, delta, izk, izk_cond):
        pop.record(['spikes', 'v'])
    exc.record(['gsyn_exc', 'gsyn_inh'])
    inh[0:4].record(['gsyn_exc'])
    stim.record('spikes')

    # Every connector, random weights and delays
    w_exc = RandomDistribution('uniform', (0.05, 0.15), rng=rng)
    syn = sim.StaticSynapse(weight=w_exc, delay=RandomDistribution('uniform_int', (1, 5), rng=rng))
    projections = {
        "all_to_all": sim.Projection(stim, exc, sim.AllToAllConnector(), syn, receptor_type='excitatory'),
        "one_to_one": sim.Projection(exc[0:10], inh, sim.OneToOneConnector(),
                                     sim.StaticSynapse(weight=0.002, delay=1.0), receptor_type='excitatory'),
        "fixed_probability": sim.Projection(inh, exc, sim.FixedProbabilityConnector(0.2, rng=rng),
                                            sim.StaticSynapse(weight=0.3, delay=2.0),
                                            receptor_type='inhibitory'),
        "fixed_total_number": sim.Projection(stim, delta, sim.FixedTotalNumberConnector(30, rng=rng),
                                             sim.StaticSynapse(weight=4.0, delay=1.0)),
        "fixed_number_pre": sim.Projection(stim, izk, sim.FixedNumberPreConnector(5, rng=rng),
                                           sim.StaticSynapse(weight=8.0, delay=1.0)),
        "fixed_number_post": sim.Projection(stim, izk_cond, sim.FixedNumberPostConnector(3, rng=rng),
                                            sim.StaticSynapse(weight=0.05, delay=1.0)),
        "from_list": sim.Projection(times, exc, sim.FromListConnector([(0, 0, 1.0, 1.0), (1, 1, 1.5, 3.0)]),
                                    receptor_type='excitatory'),
        "recurrent": sim.Projection(exc, exc, sim.FixedProbabilityConnector(0.1, allow_self_connections=False),
                                    sim.StaticSynapse(weight=0.05, delay=1.0)),
    }

    # Current sources
    sim.DCSource(amplitude=0.5, start=20.0, stop=60.0).inject_into(delta)
    izk.inject(sim.StepCurrentSource(times=[10.0, 40.0], amplitudes=[5.0, 0.0]))
    return dict(exc=exc, inh=inh, delta=delta, izk=izk, izk_cond=izk_cond, stim=stim, times=times,
                projections=projections)


def test_tutorial_network_runs_sets_and_records(tmp_path, backend):
    net = build_network(backend)
    exc, inh, projections = net["exc"], net["inh"], net["projections"]

    # Projection.get before the run: the values the script gave
    weights = projections["fixed_probability"].get("weight", format="array")
    assert weights.shape == (10, 40)
    given = weights[~np.isnan(weights)]
    assert given.size > 0 and np.all(given == 0.3)
    listed = projections["all_to_all"].get(["weight", "delay"], format="list")
    assert len(listed) == 20 * 40
    w = np.array([x[2] for x in listed])
    assert np.all((w >= 0.05) & (w <= 0.15))
    d = np.array([x[3] for x in listed])
    assert set(np.unique(d)) <= {1.0, 2.0, 3.0, 4.0, 5.0}

    sim.run(100.0)
    assert sim.get_current_time() == pytest.approx(100.0)

    # change parameters between runs, run again
    exc.set(i_offset=0.3)
    net["times"].set(spike_times=[[110.0], [120.0]])
    sim.run(50.0)
    assert sim.get_current_time() == pytest.approx(150.0)

    data = exc.get_data()
    seg = data.segments[0]
    v = seg.filter(name="v")[0]
    assert v.shape == (150, 40)                  # sPyNNaker: one sample per tick, ticks 0..149
    assert len(seg.spiketrains) == 40
    assert sum(len(st) for st in seg.spiketrains) > 0
    gsyn = inh.get_data("gsyn_exc").segments[0].filter(name="gsyn_exc")[0]
    assert gsyn.shape == (150, 4)
    assert list(gsyn.array_annotations["channel_index"]) == [0, 1, 2, 3]

    # the spike source array sent its new spikes after the change
    assert net["stim"].get_data("spikes").segments[0].spiketrains[0].t_stop == 150.0 * v.times.units

    # after the run, weights are the values read back from the synaptic rows (quantised)
    after = projections["all_to_all"].get("weight", format="array")
    assert after.shape == (20, 40) and not np.isnan(after).any()
    host, quantised = np.sort(w), np.sort(after.ravel())   # quantising keeps the order
    assert np.allclose(quantised, host, atol=0.005)
    assert not np.array_equal(quantised, host)             # not the drawn doubles any more
    assert np.all(quantised * 2 ** 15 == np.round(quantised * 2 ** 15))

    # PyNN's plotting
    png = tmp_path / "tutorial.png"
    Figure(
        Panel(v, ylabel="Membrane potential (mV)", xticks=False, yticks=True),
        Panel(seg.filter(name="gsyn_exc")[0], ylabel="gsyn_exc (nA)", yticks=True),
        Panel(seg.spiketrains, xlabel="Time (ms)", xticks=True, yticks=True),
        title="spinnsim tutorial", annotations="run with spinnsim.pynn",
    ).save(str(png))
    assert png.stat().st_size > 10_000

    # every model produced data
    for name in ("delta", "izk", "izk_cond"):
        blk = net[name].get_data(["spikes", "v"])
        assert blk.segments[0].filter(name="v")[0].shape[0] == 150
    # write_data with a neo IO
    path = tmp_path / "exc.pkl"
    exc.write_data(str(path))
    assert path.exists()
    sim.end()


def test_tutorial_is_reproducible_with_seeds(backend):
    def once():
        net = build_network(backend)
        sim.run(80.0)
        spikes = [np.asarray(st.magnitude) for st in net["exc"].get_data("spikes").segments[0].spiketrains]
        conns = net["projections"]["fixed_probability"].get("weight", format="list")
        sim.end()
        return spikes, conns
    a, b = once(), once()
    assert all(np.array_equal(x, y) for x, y in zip(a[0], b[0]))
    assert a[1] == b[1]


def test_procedural_api(tmp_path, backend):
    sim.setup(timestep=1.0, backend=backend)
    cells = sim.create(sim.IF_curr_exp, {'i_offset': 0.11, 'tau_refrac': 3.0, 'v_thresh': -51.0}, n=5)
    src = sim.create(sim.SpikeSourceArray, {'spike_times': [1.0, 2.0]}, n=1)
    prj = sim.connect(src, cells, weight=1.0, delay=1.0, p=1.0)
    out = tmp_path / "procedural.pkl"
    sim.record(['v', 'spikes'], cells, str(out))
    sim.initialize(cells, v=-60.0)
    sim.run(30.0)
    assert len(prj) == 5
    blk = cells.get_data()
    assert blk.segments[0].filter(name="v")[0][0, 0].magnitude == pytest.approx(-60.0)
    sim.end()
    assert out.exists()            # end() wrote the file asked for with record(..., filename)
