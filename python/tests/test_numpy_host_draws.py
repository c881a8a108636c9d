"""Projections sPyNNaker 7.4.1's host builds itself (here: gamma weights, which the synapse
expander cannot draw) take the script's seeded NumpyRNGs to the core, which draws as the host
does with numpy: the connections of a FixedProbabilityConnector(rng=NumpyRNG(seed)) and the
weights and delays of a RandomDistribution(rng=NumpyRNG(seed)), per post core
(docs/decisions.md D22, D23). The expected values below are computed here, independently, with
numpy and PyNN as 7.4.1's `create_synaptic_block` and `_generate_random_values` do."""

import json
import warnings

import numpy as np
from pyNN.random import NumpyRNG as PyNNNumpyRNG
from pyNN.random import RandomDistribution as PyNNRandomDistribution

import spinnsim.pynn as sim
from spinnsim import Simulation

N_PRE, N_POST, P = 40, 30, 0.3
GAMMA = {"k": 2.0, "theta": 0.1}
DELAY = {"low": 1.0, "high": 9.0}


def script(conn_seed=3, weight_seed=4, delay_seed=5):
    sim.setup(timestep=1.0, seed=9)
    pre = sim.Population(N_PRE, sim.SpikeSourceArray(spike_times=[1.0]), label="pre")
    post = sim.Population(N_POST, sim.IF_curr_exp(), label="post", seed=7)
    w = sim.RandomDistribution("gamma", rng=sim.NumpyRNG(seed=weight_seed), **GAMMA)
    d = sim.RandomDistribution("uniform", rng=sim.NumpyRNG(seed=delay_seed), **DELAY)
    return sim.Projection(pre, post, sim.FixedProbabilityConnector(P, rng=sim.NumpyRNG(seed=conn_seed)),
                          sim.StaticSynapse(weight=w, delay=d), label="host")


def hosts_draws(conn_seed=3, weight_seed=4, delay_seed=5):
    """7.4.1's host on one post core: pre-major uniforms below p, then one seed per core from
    each distribution's rng, and that seed's NumpyRNG drawing the core's values."""
    items = PyNNNumpyRNG(seed=conn_seed).next(N_PRE * N_POST)
    ids = np.where(items < P)[0]
    pre, post = ids // N_POST, ids % N_POST

    def values(name, seed, params):
        core_seed = int(PyNNNumpyRNG(seed=seed).next() * 0x7FFFFFFF)
        return PyNNRandomDistribution(name, rng=PyNNNumpyRNG(core_seed), **params).next(len(ids))

    return pre, post, values("gamma", weight_seed, GAMMA), values("uniform", delay_seed, DELAY)


def by_pair(pre, post, *cols):
    order = np.lexsort((post, pre))
    return [np.asarray(c)[order] for c in (pre, post, *cols)]


def test_the_hosts_numpy_draws_from_the_scripts_seeds():
    proj = script()
    assert proj._conn is None and proj._fast is not None, "nothing drawn in Python"
    sim.run(1.0)
    got = np.asarray(proj.get(["weight", "delay"], format="list"), dtype=float)
    sim.end()
    pre, post, w, d = by_pair(*hosts_draws())
    gpre, gpost, gw, gd = by_pair(got[:, 0], got[:, 1], got[:, 2], got[:, 3])
    np.testing.assert_array_equal(gpre, pre)
    np.testing.assert_array_equal(gpost, post)
    # Delays in whole timesteps, rounded as the host rounds them.
    np.testing.assert_array_equal(gd, np.rint(d))
    # Weights as the synaptic words hold them: the nearest step of the ring buffer's scale.
    scale = next(2.0 ** k for k in range(40) if np.all(np.mod(gw * 2.0 ** k, 1.0) == 0))
    assert scale > 100, scale
    assert np.max(np.abs(gw - w)) <= 0.5 / scale + 1e-12
    assert len(np.unique(gw)) > 20


def test_the_script_and_the_network_file_agree():
    proj = script()
    sim.run(1.0)
    from_script = np.asarray(proj.get(["weight", "delay"], format="list"), dtype=float)
    sim.end()
    net = {
        "timestep": 1.0, "seed": 9,
        "population": [
            {"label": "pre", "size": N_PRE, "cell_type": "SpikeSourceArray", "spike_times": [1.0]},
            {"label": "post", "size": N_POST, "cell_type": "IF_curr_exp", "seed": 7},
        ],
        "projection": [{
            "pre": "pre", "post": "post",
            "connector": {"type": "FixedProbabilityConnector", "p_connect": P, "rng_seed": 3},
            "weight": {"distribution": "gamma", **GAMMA, "rng_seed": 4},
            "delay": {"distribution": "uniform", **DELAY, "rng_seed": 5},
        }],
    }
    want = np.asarray(Simulation(json.dumps(net), backend="cpu").connections(0), dtype=float)
    np.testing.assert_array_equal(np.vstack(by_pair(*from_script.T)), np.vstack(by_pair(*want.T)))


def test_other_seeds_other_draws():
    proj = script(weight_seed=40)
    sim.run(1.0)
    got = np.asarray(proj.get("weight", format="list"), dtype=float)
    sim.end()
    _, _, w, _ = by_pair(*hosts_draws())
    assert np.max(np.abs(by_pair(got[:, 0], got[:, 1], got[:, 2])[2] - w)) > 0.05


def test_a_shared_rng_is_not_followed_and_says_so():
    sim.setup(timestep=1.0, seed=9)
    pre = sim.Population(N_PRE, sim.SpikeSourceArray(spike_times=[1.0]), label="pre")
    post = sim.Population(N_POST, sim.IF_curr_exp(), label="post", seed=7)
    rng = sim.NumpyRNG(seed=3)
    w = sim.RandomDistribution("gamma", rng=rng, **GAMMA)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        proj = sim.Projection(pre, post, sim.FixedProbabilityConnector(P, rng=rng),
                              sim.StaticSynapse(weight=w, delay=1.0), label="shared")
    said = [str(c.message) for c in caught]
    assert any("projection shared: the FixedProbabilityConnector: spinnsim does not follow its rng (it is also "
               "the rng of projection shared: the weight distribution" in s for s in said), said
    # The weights keep the seed; the connections are spinnsim's own draws (seeded by setup).
    sim.run(1.0)
    assert len(proj.get("weight", format="list")) > 0
    sim.end()


def test_a_fixed_number_pre_draws_the_hosts_choices():
    """FixedNumberPreConnector(rng=NumpyRNG(seed)): numpy's `choice` of n pre neurons for each post
    neuron in turn, sorted; the weights in that post-major order, one seed per core."""
    sim.setup(timestep=1.0, seed=9)
    pre = sim.Population(N_PRE, sim.SpikeSourceArray(spike_times=[1.0]), label="pre")
    post = sim.Population(N_POST, sim.IF_curr_exp(), label="post", seed=7)
    w = sim.RandomDistribution("gamma", rng=sim.NumpyRNG(seed=4), **GAMMA)
    proj = sim.Projection(pre, post, sim.FixedNumberPreConnector(5, rng=sim.NumpyRNG(seed=12)),
                          sim.StaticSynapse(weight=w, delay=1.0), label="pre5")
    assert proj._conn is None and proj._fast is not None, "nothing drawn in Python"
    sim.run(1.0)
    got = np.asarray(proj.get("weight", format="list"), dtype=float)
    sim.end()
    rng = PyNNNumpyRNG(seed=12)
    chosen = [np.sort(rng.choice(N_PRE, 5, False)) for _ in range(N_POST)]
    pre_ids = np.concatenate(chosen)
    post_ids = np.repeat(np.arange(N_POST), 5)
    core_seed = int(PyNNNumpyRNG(seed=4).next() * 0x7FFFFFFF)
    want = PyNNRandomDistribution("gamma", rng=PyNNNumpyRNG(core_seed), **GAMMA).next(len(pre_ids))
    pre_w, post_w, ww = by_pair(pre_ids, post_ids, want)
    gpre, gpost, gw = by_pair(got[:, 0], got[:, 1], got[:, 2])
    np.testing.assert_array_equal(gpre, pre_w)
    np.testing.assert_array_equal(gpost, post_w)
    scale = next(2.0 ** k for k in range(40) if np.all(np.mod(gw * 2.0 ** k, 1.0) == 0))
    assert np.max(np.abs(gw - ww)) <= 0.5 / scale + 1e-12


def test_a_fixed_number_post_the_host_builds_has_no_connection_and_says_so():
    """7.4.1's host builds no FixedNumberPostConnector connection (it warns 'No connection'):
    the same here, and the run says so."""
    sim.setup(timestep=1.0, seed=9)
    pre = sim.Population(N_PRE, sim.SpikeSourceArray(spike_times=[1.0]), label="pre")
    post = sim.Population(N_POST, sim.IF_curr_exp(), label="post", seed=7)
    w = sim.RandomDistribution("gamma", **GAMMA)
    proj = sim.Projection(pre, post, sim.FixedNumberPostConnector(3),
                          sim.StaticSynapse(weight=w, delay=1.0), label="post3")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sim.run(1.0)
    said = [str(c.message) for c in caught]
    assert len(proj.get("weight", format="list")) == 0
    sim.end()
    assert sum("post3" in s and "host builds no connection for a FixedNumberPostConnector" in s
               for s in said) == 1, said
