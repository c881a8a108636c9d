"""spinnsim.pynn hands the projections sPyNNaker 7.4.1 generates on the machine to the core as a
connector and distributions, as sPyNNaker does: no connection is drawn in Python, the PyNN script
and the network file written for it give the same connections (the synapse expander's, from the
post-synaptic Population's seed), and the rngs sPyNNaker ignores there are ignored with a warning.
`setup(draws="spinnsim")` keeps PyNN's connector code and its rngs."""

import json
import warnings

import numpy as np
import pytest

import spinnsim.pynn as sim
from spinnsim import Simulation

CELL = {"tau_m": 20.0, "cm": 0.2, "v_rest": -49.0, "v_reset": -60.0, "v_thresh": -50.0,
        "tau_syn_E": 5.0, "tau_syn_I": 10.0, "tau_refrac": 5.0, "i_offset": 0.0}
W_EXC = {"distribution": "uniform", "low": 0.01, "high": 0.03}
D_EXC = {"distribution": "normal_clipped", "mu": 1.5, "sigma": 0.5, "low": 0.2, "high": 5.0}


def script(rng=None, draws="machine"):
    """A Vogels-Abbott-like network in PyNN: two seeded populations, random weights and delays."""
    sim.setup(timestep=0.1, min_delay=0.2, seed=5, draws=draws)
    exc = sim.Population(400, sim.IF_curr_exp(**CELL), label="exc", seed=11)
    inh = sim.Population(100, sim.IF_curr_exp(**CELL), label="inh", seed=12)
    w = sim.RandomDistribution("uniform", (0.01, 0.03), rng=rng)
    d = sim.RandomDistribution("normal_clipped", mu=1.5, sigma=0.5, low=0.2, high=5.0, rng=rng)
    kw = {} if rng is None else {"rng": rng}
    projs = [
        sim.Projection(exc, exc, sim.FixedProbabilityConnector(0.05, **kw),
                       sim.StaticSynapse(weight=w, delay=d), receptor_type="excitatory"),
        sim.Projection(exc, inh, sim.FixedTotalNumberConnector(1500, **kw),
                       sim.StaticSynapse(weight=w, delay=0.2), receptor_type="excitatory"),
        sim.Projection(inh, exc, sim.FixedNumberPreConnector(10, **kw),
                       sim.StaticSynapse(weight=0.09, delay=d), receptor_type="inhibitory"),
    ]
    return projs


def network_file() -> dict:
    """The same network as a network file (the form `spinnsim run` reads)."""
    pop = {"cell_type": "IF_curr_exp", "parameters": CELL}
    return {
        "timestep": 0.1, "min_delay": 0.2, "seed": 5,
        "population": [dict(pop, label="exc", size=400, seed=11), dict(pop, label="inh", size=100, seed=12)],
        "projection": [
            {"pre": "exc", "post": "exc", "connector": {"type": "FixedProbabilityConnector", "p_connect": 0.05},
             "weight": W_EXC, "delay": D_EXC},
            {"pre": "exc", "post": "inh", "connector": {"type": "FixedTotalNumberConnector", "n": 1500},
             "weight": W_EXC, "delay": 0.2},
            {"pre": "inh", "post": "exc", "connector": {"type": "FixedNumberPreConnector", "n": 10},
             "weight": 0.09, "delay": D_EXC, "receptor_type": "inhibitory"},
        ],
    }


def rows(a) -> np.ndarray:
    a = np.asarray(a, dtype=float).reshape(-1, 4)
    return a[np.lexsort((a[:, 3], a[:, 2], a[:, 1], a[:, 0]))]


def test_the_script_and_the_network_file_give_the_machines_connections():
    projs = script()
    # Nothing was drawn in Python: the core has the connector and the distributions.
    assert all(p._conn is None and p._fast is not None for p in projs)
    sim.run(1.0)
    from_script = [rows(p.get(["weight", "delay"], format="list")) for p in projs]
    sim.end()
    core = Simulation(json.dumps(network_file()), backend="cpu")
    for k, got in enumerate(from_script):
        want = rows(core.connections(k))
        assert got.shape == want.shape and len(got) > 0, f"projection {k}"
        np.testing.assert_array_equal(got, want, err_msg=f"projection {k}")
    # The weights and delays are drawn (not one value), within their bounds.
    w = from_script[0][:, 2]
    assert len(np.unique(w)) > 10 and w.min() >= 0.01 - 1e-3 and w.max() <= 0.03 + 1e-3


def test_plastic_projections_are_the_machines_too():
    """An STDP projection with a random connector, weights and delays is handed to the core as
    parameters, and gives the network file's connections: the synapse expander's plastic rows."""
    sim.setup(timestep=1.0, seed=5)
    pre = sim.Population(60, sim.SpikeSourcePoisson(rate=20.0), label="pre", seed=3)
    post = sim.Population(50, sim.IF_curr_exp(**CELL), label="post", seed=11)
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=16.8, tau_minus=33.7, A_plus=0.05, A_minus=0.06),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=2.0),
        weight=sim.RandomDistribution("uniform", (0.1, 1.0)),
        delay=sim.RandomDistribution("uniform", (1.0, 30.0)))
    proj = sim.Projection(pre, post, sim.FixedProbabilityConnector(0.3), stdp, receptor_type="excitatory")
    assert proj._conn is None and proj._fast is not None, "nothing drawn in Python"
    sim.run(1.0)
    from_script = rows(proj.get(["weight", "delay"], format="list"))
    sim.end()
    net = {
        "timestep": 1.0, "seed": 5,
        "population": [
            {"label": "pre", "size": 60, "cell_type": "SpikeSourcePoisson", "parameters": {"rate": 20.0}, "seed": 3},
            {"label": "post", "size": 50, "cell_type": "IF_curr_exp", "parameters": CELL, "seed": 11},
        ],
        "projection": [{
            "pre": "pre", "post": "post", "connector": {"type": "FixedProbabilityConnector", "p_connect": 0.3},
            "weight": {"distribution": "uniform", "low": 0.1, "high": 1.0},
            "delay": {"distribution": "uniform", "low": 1.0, "high": 30.0},
            "synapse_dynamics": {
                "timing": {"rule": "SpikePairRule", "tau_plus": 16.8, "tau_minus": 33.7, "A_plus": 0.05,
                           "A_minus": 0.06},
                "weight_dependence": {"dependence": "AdditiveWeightDependence", "w_min": 0.0, "w_max": 2.0}},
        }],
    }
    want = rows(Simulation(json.dumps(net), backend="cpu").connections(0))
    assert len(want) > 500 and len(np.unique(want[:, 2])) > 100 and len(np.unique(want[:, 3])) > 20
    np.testing.assert_array_equal(from_script, want)


def test_rngs_sPyNNaker_ignores_are_ignored_with_a_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        projs = script(rng=sim.NumpyRNG(seed=77))
        sim.run(1.0)
    said = " ".join(str(w.message) for w in caught)
    # The rng's first user hands its seed to the core, which says the machine ignores it ...
    assert "rng_seed 77 of the weight distribution is ignored: sPyNNaker 7.4.1 generates this projection on " \
           "the machine" in said, said
    # ... and the rng's other users are not followed (the host would draw all from one stream).
    assert "spinnsim does not follow its rng (it is also the rng of projection" in said, said
    assert "FixedTotalNumberConnector's rng is not used" in said, said
    seeded = [rows(p.get(["weight", "delay"], format="list")) for p in projs]
    sim.end()
    projs = script()
    sim.run(1.0)
    unseeded = [rows(p.get(["weight", "delay"], format="list")) for p in projs]
    sim.end()
    for a, b in zip(seeded, unseeded):
        np.testing.assert_array_equal(a, b)


def test_draws_spinnsim_keeps_pyNNs_connector_code():
    projs = script(rng=sim.NumpyRNG(seed=77), draws="spinnsim")
    assert all(p._conn is not None for p in projs), "drawn in Python with the script's rng"
    sim.run(1.0)
    theirs = rows(projs[0].get(["weight", "delay"], format="list"))
    sim.end()
    projs = script()
    sim.run(1.0)
    machine = rows(projs[0].get(["weight", "delay"], format="list"))
    sim.end()
    assert theirs.shape != machine.shape or not np.array_equal(theirs, machine)


@pytest.mark.parametrize("bad", [{"draws": "chip"}])
def test_a_bad_draws_is_refused(bad):
    from pyNN import errors
    with pytest.raises(errors.InvalidParameterValueError, match="draws must be 'machine' or 'spinnsim'"):
        sim.setup(timestep=1.0, **bad)


V_INIT = {"distribution": "uniform", "low": -70.0, "high": -55.0}
TAU_M = {"distribution": "normal_clipped", "mu": 20.0, "sigma": 4.0, "low": 10.0, "high": 30.0}


def random_neurons_script(draws="machine"):
    """A population with a random membrane time constant and random initial v, recording v."""
    sim.setup(timestep=1.0, seed=3, draws=draws)
    cell = sim.IF_curr_exp(**dict(CELL, tau_m=sim.RandomDistribution("normal_clipped", mu=20.0, sigma=4.0,
                                                                     low=10.0, high=30.0)))
    pop = sim.Population(150, cell, label="pop", seed=21, neurons_per_core=64)
    pop.initialize(v=sim.RandomDistribution("uniform", (-70.0, -55.0)))
    pop.record("v")
    return pop


def test_random_neuron_values_are_the_neuron_expanders():
    pop = random_neurons_script()
    entry = pop._core_entry()
    # The core gets the distributions, as sPyNNaker hands them to the neuron expander.
    assert entry["initial_values"]["v"] == V_INIT and entry["parameters"]["tau_m"] == TAU_M
    sim.run(5.0)
    from_script = pop.get_data_arrow().samples.to_pandas()
    sim.end()
    params = dict(CELL, tau_m=TAU_M)
    net = {"timestep": 1.0, "seed": 3, "population": [{
        "label": "pop", "size": 150, "cell_type": "IF_curr_exp", "seed": 21, "max_atoms_per_core": 64,
        "parameters": params, "initial_values": {"v": V_INIT}, "record": [{"variable": "v"}]}]}
    core = Simulation(json.dumps(net), backend="cpu")
    core.run(5.0)
    want = core.samples().to_pandas()
    got = from_script.sort_values(["neuron", "tick"])["raw"].to_numpy()
    want = want.sort_values(["neuron", "tick"])["raw"].to_numpy()
    assert len(got) == 150 * 5
    np.testing.assert_array_equal(got, want)
    assert len(np.unique(got)) > 100, "v is drawn per neuron"


V_VIEW = {"distribution": "normal", "mu": -60.0, "sigma": 3.0}
I_VIEW = {"distribution": "exponential", "beta": 0.2}


def ranged_neurons_script():
    """Values set view by view, as `views_ranged_values` (tests/fixtures) sets them in sPyNNaker."""
    sim.setup(timestep=1.0, seed=3)
    pop = sim.Population(150, sim.IF_curr_exp(**CELL), label="pop", seed=21, neurons_per_core=64)
    pop.initialize(v=-65.0)
    pop[40:100].initialize(v=sim.RandomDistribution("normal", mu=-60.0, sigma=3.0))
    pop[100:150].initialize(v=-64.0)
    pop[[100, 101, 102, 110]].initialize(v=-64.0)  # the same number: one range still
    pop[70:120].set(tau_m=15.0)
    pop[120:150].set(tau_m=15.0)
    i_offset = sim.RandomDistribution("exponential", beta=0.2)
    pop[[3, 4, 5, 9]].set(i_offset=i_offset)  # one distribution over ids: a range per run
    pop[0:10].set(cm=np.linspace(0.2, 0.3, 10))  # numbers per neuron: a range each
    pop.record("v")
    return pop


def test_values_set_through_views_go_to_the_core_as_ranges():
    pop = ranged_neurons_script()
    entry = pop._core_entry()
    ranges = lambda value: [(r["start"], r["stop"], r["value"]) for r in value]  # noqa: E731
    assert ranges(entry["initial_values"]["v"]) == [(0, 40, -65.0), (40, 100, V_VIEW), (100, 150, -64.0)]
    assert ranges(entry["parameters"]["tau_m"]) == [(0, 70, 20.0), (70, 150, 15.0)]
    assert ranges(entry["parameters"]["i_offset"]) == [
        (0, 3, 0.0), (3, 6, I_VIEW), (6, 9, 0.0), (9, 10, I_VIEW), (10, 150, 0.0)]
    assert len(entry["parameters"]["cm"]) == 11 and entry["parameters"]["cm"][-1]["start"] == 10
    sim.run(3.0)
    from_script = pop.get_data_arrow().samples.to_pandas()
    sim.end()
    # The core draws the random ranges as the neuron expander does: the same as the network file.
    net = {"timestep": 1.0, "seed": 3, "population": [dict(entry, record=[{"variable": "v"}])]}
    core = Simulation(json.dumps(net), backend="cpu")
    core.run(3.0)
    want = core.samples().to_pandas().sort_values(["neuron", "tick"])
    got = from_script.sort_values(["neuron", "tick"])
    np.testing.assert_array_equal(got["raw"].to_numpy(), want["raw"].to_numpy())
    first = got[got.tick == 0].set_index("neuron")["value"]
    assert (first[:40] == -65.0).all() and (first[100:] == -64.0).all()
    assert first[40:100].nunique() > 50, "v is drawn per neuron in the view"


def test_a_list_for_the_whole_population_keeps_its_random_values_on_the_host():
    """sPyNNaker 7.4.1 writes a population from the host once one of its values is a list given
    to the whole population, so its random values are numpy's, not the expander's: said."""
    sim.setup(timestep=1.0, seed=3)
    pop = sim.Population(20, sim.IF_curr_exp(**dict(CELL, tau_m=list(np.linspace(15.0, 25.0, 20)))),
                         label="pop", seed=21)
    pop[0:10].initialize(v=sim.RandomDistribution("uniform", (-70.0, -55.0)))
    entry = pop._core_entry()
    assert isinstance(entry["parameters"]["tau_m"], list) and len(entry["parameters"]["tau_m"]) == 20
    assert isinstance(entry["initial_values"]["v"][0]["value"], dict)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sim.run(1.0)
    sim.end()
    said = " ".join(str(w.message) for w in caught)
    assert "draws the random values of `v` on the host with numpy" in said


def test_draws_spinnsim_draws_random_neuron_values_in_python():
    pop = random_neurons_script(draws="spinnsim")
    entry = pop._core_entry()
    assert isinstance(entry["initial_values"]["v"], list) and isinstance(entry["parameters"]["tau_m"], list)
    sim.end()


def _views_script():
    """Projections between contiguous PopulationViews (the `views_random` fixture's shapes)."""
    sim.setup(timestep=1.0, seed=5)
    pre = sim.Population(100, sim.SpikeSourcePoisson(rate=20.0), label="pre", seed=3, neurons_per_core=32)
    post = sim.Population(150, sim.IF_curr_exp(**CELL), label="post", seed=11, neurons_per_core=64)
    fp = sim.Projection(pre[10:60], post[20:140], sim.FixedProbabilityConnector(0.2),
                        sim.StaticSynapse(weight=sim.RandomDistribution("uniform", (0.1, 1.0)),
                                          delay=sim.RandomDistribution("uniform", (1.0, 20.0))))
    o2o = sim.Projection(pre[0:30], post[100:130], sim.OneToOneConnector(),
                         sim.StaticSynapse(weight=0.5, delay=2.0))
    return fp, o2o


def test_projections_over_views_are_the_machines():
    """Contiguous views go to the core as views with the connector (docs/decisions.md D20): the
    expander connects the views' own neurons, and the network file with `pre_view`/`post_view`
    gives the same connections. `Projection.get` counts from the start of each view, as PyNN."""
    fp, o2o = _views_script()
    assert all(p._conn is None and p._fast is not None for p in (fp, o2o)), "nothing drawn in Python"
    sim.run(1.0)
    from_script = [rows(p.get(["weight", "delay"], format="list")) for p in (fp, o2o)]
    sim.end()
    pop = {"cell_type": "IF_curr_exp", "parameters": CELL}
    net = {
        "timestep": 1.0, "seed": 5,
        "population": [
            {"label": "pre", "size": 100, "cell_type": "SpikeSourcePoisson", "parameters": {"rate": 20.0},
             "seed": 3, "max_atoms_per_core": 32},
            dict(pop, label="post", size=150, seed=11, max_atoms_per_core=64),
        ],
        "projection": [
            {"pre": "pre", "post": "post", "pre_view": {"start": 10, "stop": 60},
             "post_view": {"start": 20, "stop": 140},
             "connector": {"type": "FixedProbabilityConnector", "p_connect": 0.2},
             "weight": {"distribution": "uniform", "low": 0.1, "high": 1.0},
             "delay": {"distribution": "uniform", "low": 1.0, "high": 20.0}},
            {"pre": "pre", "post": "post", "pre_view": {"start": 0, "stop": 30},
             "post_view": {"start": 100, "stop": 130}, "connector": {"type": "OneToOneConnector"},
             "weight": 0.5, "delay": 2.0},
        ],
    }
    core = Simulation(json.dumps(net), backend="cpu")
    for k, (start_pre, start_post) in enumerate([(10, 20), (0, 100)]):
        want = np.asarray(core.connections(k), dtype=float).reshape(-1, 4)
        want[:, 0] -= start_pre
        want[:, 1] -= start_post
        np.testing.assert_array_equal(from_script[k], rows(want), err_msg=f"projection {k}")
    fp_rows, o2o_rows = from_script
    assert 800 < len(fp_rows) < 1600, "about 0.2 of 50 x 120 pairs"
    assert fp_rows[:, 0].max() < 50 and fp_rows[:, 1].max() < 120
    np.testing.assert_array_equal(o2o_rows[:, 0], np.arange(30))
    np.testing.assert_array_equal(o2o_rows[:, 1], np.arange(30))


@pytest.mark.parametrize("view", [lambda p: p[[1, 5, 9, 30]], lambda p: p[0:40:2], lambda p: p[[3, 2, 1]]],
                         ids=["indices", "strided", "permuted"])
def test_a_projection_over_a_view_that_is_not_contiguous_is_refused_as_sPyNNaker_refuses_it(view):
    sim.setup(timestep=1.0)
    pre = sim.Population(40, sim.SpikeSourceArray(spike_times=[1.0]), label="pre")
    post = sim.Population(50, sim.IF_curr_exp(), label="post")
    with pytest.raises(NotImplementedError, match="Projections over views only work on contiguous arrays"):
        sim.Projection(view(pre), post, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.4, delay=1.0))
    sim.end()


def test_self_connections_between_two_views_of_one_population_are_left_in_and_said():
    """sPyNNaker 7.4.1 leaves out self connections only when pre and post compare equal; two
    different views of one population do not, so neurons in both may connect to themselves."""
    sim.setup(timestep=1.0, seed=5)
    pop = sim.Population(120, sim.IF_curr_exp(**CELL), label="pop", seed=3, neurons_per_core=64)
    no_self = sim.AllToAllConnector(allow_self_connections=False)
    different = sim.Projection(pop[0:60], pop[40:120], no_self, sim.StaticSynapse(weight=0.1, delay=1.0))
    view = pop[0:60]
    same = sim.Projection(view, view, no_self, sim.StaticSynapse(weight=0.1, delay=1.0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sim.run(1.0)
    said = " ".join(str(w.message) for w in caught)
    a = rows(different.get(["weight", "delay"], format="list"))
    b = rows(same.get(["weight", "delay"], format="list"))
    sim.end()
    assert "leaves neurons 40..=59 of `pop` free to connect to themselves" in said
    assert len(a) == 60 * 80 and int(np.sum(a[:, 0] == a[:, 1] + 40)) == 20, "self connections of 40..59"
    assert len(b) == 60 * 59 and not np.any(b[:, 0] == b[:, 1]), "one view on both sides: no self connection"


def test_a_host_built_view_projection_keeps_to_the_views_and_says_the_host_would_not():
    """A distribution the expander has no generator for keeps the projection on the host; 7.4.1's
    host would ignore the views' offsets there. The core connects the views' neurons with its own
    draws, and says so, for the views and for the seeds it does not follow there."""
    sim.setup(timestep=1.0, seed=5)
    pre = sim.Population(100, sim.SpikeSourcePoisson(rate=20.0), label="pre", seed=3)
    post = sim.Population(150, sim.IF_curr_exp(**CELL), label="post", seed=11)
    w = sim.RandomDistribution("gamma", k=2.0, theta=0.1, rng=sim.NumpyRNG(seed=9))
    proj = sim.Projection(pre[10:60], post[20:140], sim.FixedProbabilityConnector(0.2, rng=sim.NumpyRNG(seed=4)),
                          sim.StaticSynapse(weight=w, delay=1.0), label="v")
    assert proj._conn is None and proj._fast is not None, "handed to the core"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sim.run(1.0)
    said = " ".join(str(w.message) for w in caught)
    got = rows(proj.get(["weight", "delay"], format="list"))
    sim.end()
    assert "builds the rows of a projection over a PopulationView on the host without the views' offsets" in said
    assert "the connector's rng_seed 4 is not used (7.4.1's host builds rows over a PopulationView" in said, said
    assert "the rng_seed 9 of the weight distribution is not used (7.4.1's host builds rows over a " \
           "PopulationView" in said, said
    assert len(got) > 500 and got[:, 0].max() < 50 and got[:, 1].max() < 120
    # 7.4.1's host reads gamma(k, theta) as scipy's gamma(a=k, loc=theta): its probable maximum
    # (about 10.9 per synapse) sets a weight scale of 64, so the drawn weights are steps of 1/64.
    assert np.array_equal(got[:, 2] * 64, np.round(got[:, 2] * 64)), "steps of 7.4.1's scale 64"
    assert not np.array_equal(got[:, 2] * 32, np.round(got[:, 2] * 32)), "and not coarser steps"
    assert len(np.unique(got[:, 2])) > 40, "drawn, not one value"


def test_one_to_one_offset_is_the_machines_and_drawn_alike_in_python():
    """sPyNNaker's extra_models.OneToOneOffsetConnector goes to the core as the connector (the
    expander's shift generator); with weights per connection it is drawn in Python from the
    core's own pairs, which are the same."""
    def script(weight):
        sim.setup(timestep=1.0, seed=5)
        pre = sim.Population(40, sim.SpikeSourceArray(spike_times=[1.0]), label="pre")
        post = sim.Population(40, sim.IF_curr_exp(**CELL), label="post", seed=11, neurons_per_core=16)
        return sim.Projection(pre, post, sim.extra_models.OneToOneOffsetConnector(3, True, n_neurons_per_group=10),
                              sim.StaticSynapse(weight=weight, delay=1.0))
    proj = script(0.5)
    assert proj._conn is None and proj._fast is not None, "the connector goes to the core"
    sim.run(1.0)
    machine = rows(proj.get(["weight", "delay"], format="list"))
    sim.end()
    want = sorted(((post - 3) % 10 + post // 10 * 10, post) for post in range(40))
    np.testing.assert_array_equal(machine[:, :2], np.array(want, dtype=float))
    proj = script(np.full((40, 40), 0.5))
    assert proj._conn is not None, "weights per connection: drawn in Python"
    sim.run(1.0)
    drawn = rows(proj.get(["weight", "delay"], format="list"))
    sim.end()
    np.testing.assert_array_equal(drawn, machine)


def test_one_to_one_offset_is_refused_where_sPyNNaker_refuses_it():
    sim.setup(timestep=1.0)
    pre = sim.Population(40, sim.SpikeSourceArray(spike_times=[1.0]), label="pre")
    post = sim.Population(30, sim.IF_curr_exp(), label="post")
    with pytest.raises(Exception, match="needs pre and post of one size"):
        sim.Projection(pre, post, sim.extra_models.OneToOneOffsetConnector(1, True),
                       sim.StaticSynapse(weight=np.full((40, 30), 0.5), delay=1.0))
    sim.end()


def test_all_but_me_is_the_machines_and_drawn_alike_in_python():
    def script(weight):
        sim.setup(timestep=1.0, seed=5)
        pop = sim.Population(40, sim.IF_curr_exp(**CELL), label="pop", seed=11, neurons_per_core=16)
        return sim.Projection(pop, pop, sim.extra_models.AllButMeConnector(n_neurons_per_group=10),
                              sim.StaticSynapse(weight=weight, delay=1.0), receptor_type="inhibitory")
    proj = script(0.5)
    assert proj._conn is None and proj._fast is not None, "the connector goes to the core"
    sim.run(1.0)
    machine = rows(proj.get(["weight", "delay"], format="list"))
    sim.end()
    want = sorted((i, j) for i in range(40) for j in range(40) if i // 10 == j // 10 and i != j)
    np.testing.assert_array_equal(machine[:, :2], np.array(want, dtype=float))
    proj = script(np.full((40, 40), 0.5))
    assert proj._conn is not None, "weights per connection: drawn in Python"
    sim.run(1.0)
    np.testing.assert_array_equal(rows(proj.get(["weight", "delay"], format="list")), machine)
    sim.end()
    with pytest.raises(ValueError, match=r"a group needs 2 x \(2 - 1\) = 2"):
        sim.extra_models.AllButMeConnector(n_neurons_per_group=2, weights=np.ones(3))


@pytest.mark.parametrize("draws", ["machine", "spinnsim"])
def test_all_but_me_takes_its_groups_own_weights_on_the_machine(draws):
    group_w = np.arange(1, 13, dtype=float) / 4.0
    sim.setup(timestep=1.0, seed=5, draws=draws)
    pop = sim.Population(24, sim.IF_curr_exp(**CELL), label="pop", seed=11, neurons_per_core=8)
    proj = sim.Projection(pop, pop, sim.extra_models.AllButMeConnector(n_neurons_per_group=4, weights=group_w),
                          sim.StaticSynapse(weight=0.1, delay=1.0), receptor_type="inhibitory")
    sim.run(1.0)
    got = rows(proj.get(["weight", "delay"], format="list"))
    sim.end()
    # Pre-major within a group, the diagonal left out: pre value i, post value j.
    want = sorted((i, j, group_w[(i % 4) * 3 + (j % 4) - ((j % 4) > (i % 4))], 1.0)
                  for i in range(24) for j in range(24) if i // 4 == j // 4 and i != j)
    np.testing.assert_array_equal(got, np.array(want))


def _kernel_reference(shape_pre, shape_post, kernel, steps=(1, 1), starts=(0, 0)):
    """PyNN's KernelConnector in plain integers: (pre, post, kernel row, kernel column)."""
    (ph, pw), (qh, qw), (kh, kw) = shape_pre, shape_post, kernel
    out = []
    for pre in range(ph * pw):
        for post in range(qh * qw):
            seen_r, seen_c = starts[0] + (post // qw) * steps[0], starts[1] + (post % qw) * steps[1]
            kr, kc = kh // 2 - (seen_r - pre // pw), kw // 2 - (seen_c - pre % pw)
            if 0 <= kr < kh and 0 <= kc < kw:
                out.append((pre, post, kr, kc))
    return out


@pytest.mark.parametrize("draws", ["machine", "spinnsim"])
def test_a_kernel_connector_goes_to_the_core_with_its_kernels(draws):
    kernel = np.arange(1, 16, dtype=float).reshape(3, 5) / 8.0
    sim.setup(timestep=1.0, seed=5, draws=draws)
    grid = sim.Population(30, sim.SpikeSourceArray(spike_times=[1.0]), label="grid")
    out = sim.Population(12, sim.IF_curr_exp(**CELL), label="out", seed=3, neurons_per_core=4)
    conn = sim.KernelConnector([5, 6], [3, 4], [3, 5], weight_kernel=kernel, delay_kernel=2.0,
                               post_sample_steps_in_pre=[2, 1], post_start_coords_in_pre=[0, 1])
    proj = sim.Projection(grid, out, conn, sim.StaticSynapse())
    assert proj._conn is None and proj._fast is not None, "the connector goes to the core"
    sim.run(1.0)
    got = rows(proj.get(["weight", "delay"], format="list"))
    sim.end()
    want = sorted((pre, post, kernel[r, c], 2.0) for pre, post, r, c in
                  _kernel_reference((5, 6), (3, 4), (3, 5), steps=(2, 1), starts=(0, 1)))
    assert len(want) > 30
    np.testing.assert_array_equal(got, np.array(want))


def test_a_random_kernel_is_drawn_once_per_position_from_its_rng_as_spynnaker_draws_it():
    sim.setup(timestep=1.0, seed=5)
    grid = sim.Population(16, sim.SpikeSourceArray(spike_times=[1.0]), label="grid")
    out = sim.Population(16, sim.IF_curr_exp(**CELL), label="out", seed=3)
    dist = sim.RandomDistribution("uniform", (0.1, 0.9), rng=sim.NumpyRNG(seed=77))
    proj = sim.Projection(grid, out, sim.KernelConnector([4, 4], [4, 4], [3, 3], weight_kernel=dist),
                          sim.StaticSynapse(delay=1.0))
    sim.run(1.0)
    got = rows(proj.get(["weight", "delay"], format="list"))
    sim.end()
    kernel = np.random.RandomState(77).uniform(0.1, 0.9, size=9).reshape(3, 3)
    want = sorted((pre, post) for pre, post, _, _ in _kernel_reference((4, 4), (4, 4), (3, 3)))
    np.testing.assert_array_equal(got[:, :2], np.array(want, dtype=float))
    at = {(pre, post): kernel[r, c] for pre, post, r, c in _kernel_reference((4, 4), (4, 4), (3, 3))}
    # Quantised as the expander writes them: within one weight step of the kernel's values.
    steps = np.abs(got[:, 2] - np.array([at[(int(a), int(b))] for a, b in got[:, :2]]))
    assert steps.max() < 1e-3 and len(set(got[:, 2])) == 9


def test_a_kernel_connector_is_refused_by_name_where_the_core_cannot_build_it():
    sim.setup(timestep=1.0)
    grid = sim.Population(16, sim.SpikeSourceArray(spike_times=[1.0]), label="grid")
    out = sim.Population(16, sim.IF_curr_exp(**CELL), label="out")
    with pytest.raises(ValueError, match=r"weight_kernel has shape \(2, 2\)"):
        sim.KernelConnector([4, 4], [4, 4], [3, 3], weight_kernel=np.ones((2, 2)))
    with pytest.raises(Exception, match="whole populations"):
        sim.Projection(grid[0:8], out, sim.KernelConnector([2, 4], [4, 4], [3, 3]), sim.StaticSynapse(weight=0.5))
        sim.run(1.0)
    sim.end()
