"""STDP through spinnsim.pynn (docs/stdp.md, docs/pynn.md): sPyNNaker 7.4.1's STDPMechanism with
SpikePairRule / extra_models.SpikeNearestPairRule and Additive / Multiplicative weight dependence.

(a) the tutorial's STDP code (only the import changed); (b) PyNN 0.13's scenario 3 (additive
STDP, feed-forward, 10 s; see test_pynn_scenario3_as_spynnaker_computes_it for why it ends the
other way round with sPyNNaker's amplitudes, and passes with NEST's), and its network's learned
weights against the integer reference of the ARM binaries (tools/reference/stdp_reference.py);
(c) isolated pre/post pairs against the analytic pair rule (rtol 1e-3) and bit for bit against
docs/stdp.md §10 and the reference; (d) parameter errors, and the network description sent to
the core. The tests that run a network take the `backend` fixture (conftest.py): they run on both
engines.
"""

import importlib.util
import json
import math
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from pyNN import errors
from pyNN.random import NumpyRNG, RandomDistribution
from pyNN.standardmodels import synapses as pynn_synapses

import spinnsim.pynn as sim  # the one changed line: import pyNN.spiNNaker as sim
from spinnsim.pynn.simulator import state
from conftest import gpu_or_skip, skip_or_fail

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parents[1]


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _session():
    yield
    sim.end()


# ------------------------------------------------------------------------ (a) the tutorial


def test_tutorial_stdp(backend):
    """The SpiNNaker PyNN tutorial's STDP exercise: Poisson inputs into IF_curr_exp through an
    STDPMechanism(SpikePairRule, AdditiveWeightDependence) projection, a teaching input that
    makes the post neurons fire, run, then the learned weights with Projection.get (setup() also
    names the engine)."""
    sim.setup(timestep=1.0, min_delay=1.0, backend=backend)

    pre_pop = sim.Population(20, sim.SpikeSourcePoisson(rate=20.0), label="pre")
    teacher = sim.Population(20, sim.SpikeSourcePoisson(rate=15.0), label="teacher")
    post_pop = sim.Population(20, sim.IF_curr_exp(), label="post")

    timing_rule = sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.5, A_minus=0.5)
    weight_rule = sim.AdditiveWeightDependence(w_max=5.0, w_min=0.0)
    stdp_model = sim.STDPMechanism(timing_dependence=timing_rule, weight_dependence=weight_rule,
                                   weight=1.0, delay=1.0)

    plastic_projection = sim.Projection(pre_pop, post_pop, sim.OneToOneConnector(),
                                        synapse_type=stdp_model, receptor_type="excitatory")
    sim.Projection(teacher, post_pop, sim.OneToOneConnector(),
                   synapse_type=sim.StaticSynapse(weight=5.0, delay=1.0), receptor_type="excitatory")

    pre_pop.record("spikes")
    post_pop.record("spikes")

    # Before the run: the values the script gave.
    before = plastic_projection.get("weight", format="list", with_address=False)
    assert before == [1.0] * 20
    assert plastic_projection.get(["A_plus", "w_max"], format="list")[0] == (0, 0, 0.5, 5.0)

    sim.run(2000)

    post_spikes = post_pop.get_data("spikes").segments[0].spiketrains
    assert sum(len(st) for st in post_spikes) > 100, "the teaching input must make the post neurons fire"

    weights = plastic_projection.get("weight", format="list", with_address=False)
    assert len(weights) == 20
    assert all(0.0 <= w <= 5.0 for w in weights)
    # Learning happened: the weights moved away from the initial 1.0 (its quantised value is
    # exact: 1.0 is a multiple of every weight scale), and not all by the same amount.
    assert sum(abs(w - 1.0) > 1e-3 for w in weights) >= 15, weights
    assert len({round(w, 9) for w in weights}) > 5, weights

    as_list = plastic_projection.get(["weight", "delay"], format="list")
    assert [(i, j) for i, j, _, _ in as_list] == [(i, i) for i in range(20)]
    assert all(d == 1.0 for _, _, _, d in as_list)
    array = plastic_projection.get("weight", format="array")
    assert array.shape == (20, 20)
    assert np.array_equal(np.diag(array), np.array(weights))
    assert np.isnan(array[~np.eye(20, dtype=bool)]).all()


def test_learned_weights_continue_across_runs_and_reset_restores_them(backend):
    """Split runs learn exactly as one run (the headers, weights and post histories persist,
    docs/stdp.md §8), and reset() rewrites the synaptic matrices from the connectors."""
    def build():
        sim.setup(timestep=1.0, backend=backend)
        pre = sim.Population(10, sim.SpikeSourcePoisson(rate=30.0), label="pre")
        drive = sim.Population(10, sim.SpikeSourcePoisson(rate=20.0), label="drive")
        post = sim.Population(10, sim.IF_curr_exp(), label="post")
        rule = sim.STDPMechanism(sim.SpikePairRule(A_plus=0.2, A_minus=0.25),
                                 sim.MultiplicativeWeightDependence(w_max=4.0), weight=2.0)
        prj = sim.Projection(pre, post, sim.AllToAllConnector(), rule)
        sim.Projection(drive, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=6.0))
        return prj

    prj = build()
    sim.run(1000)
    one_run = prj.get("weight", format="array")
    sim.end()

    prj = build()
    initial = prj.get("weight", format="array")
    sim.run(400)
    sim.run(600)
    split = prj.get("weight", format="array")
    assert np.array_equal(split, one_run)
    assert not np.array_equal(split, initial)

    with pytest.warns(sim.SpinnsimWarning, match="STDP"):
        sim.reset()
    sim.run(1000)
    assert np.array_equal(prj.get("weight", format="array"), one_run)


def test_gpu_engine_learns_as_the_cpu_engine():
    """Both engines give identical results (docs/gpu-engine.md), learned weights and spikes
    included."""
    gpu_or_skip()
    weights = {}
    for backend in ("cpu", "gpu"):
        sim.setup(timestep=1.0, backend=backend)
        pre = sim.Population(10, sim.SpikeSourcePoisson(rate=30.0), label="pre")
        drive = sim.Population(10, sim.SpikeSourcePoisson(rate=20.0), label="drive")
        post = sim.Population(10, sim.IF_curr_exp(), label="post")
        prj = sim.Projection(pre, post, sim.AllToAllConnector(),
                             sim.STDPMechanism(sim.SpikePairRule(A_plus=0.2, A_minus=0.25),
                                               sim.MultiplicativeWeightDependence(w_max=4.0), weight=2.0))
        sim.Projection(drive, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=6.0))
        post.record("spikes")
        sim.run(1000)
        assert sim.get_backend() == backend
        trains = post.get_data("spikes").segments[0].spiketrains
        weights[backend] = (prj.get("weight", format="array"), [list(np.asarray(st)) for st in trains])
        sim.end()
    assert not np.array_equal(weights["cpu"][0], np.full((10, 10), 2.0))
    assert sum(len(t) for t in weights["cpu"][1]) > 20
    assert np.array_equal(weights["gpu"][0], weights["cpu"][0])
    assert weights["gpu"][1] == weights["cpu"][1]


# ------------------------------------------------------------------------ (b) PyNN's scenario 3


def _run_scenario3(tmp_path, edit=None):
    """PyNN 0.13's test_scenario3.py, run by pytest in a subprocess against spinnsim.pynn
    registered as pyNN.spinnsim (as test_pynn_scenarios.py runs the others)."""
    pytest.importorskip("scipy")
    scenarios = _load("spinnsim_pynn_scenarios", TESTS / "test_pynn_scenarios.py")
    src = scenarios._scenarios_source()
    if src is None:
        skip_or_fail(scenarios.MISSING)
    dest = tmp_path / "scenarios"
    dest.mkdir()
    for name in ("__init__.py", "fixtures.py", "test_scenario3.py"):
        shutil.copy(src / name, dest / name)
    f = dest / "test_scenario3.py"
    text = re.sub(r'@run_with_simulators\([^)]*\)', '@run_with_simulators("spinnsim")', f.read_text())
    if edit is not None:
        text = edit(text)
    f.write_text(text)
    (tmp_path / "conftest.py").write_text(scenarios.CONFTEST)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "scenarios/test_scenario3.py::test_scenario3"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=1200)


DIRECTION = "assert final_weights[:50, :].mean() < final_weights[50:, :].mean()"


def test_pynn_scenario3_as_spynnaker_computes_it(tmp_path):
    """Scenario 3 unmodified. Everything up to its last assertion holds (input rates, initial
    weights, weights learned, the two halves differ with p < 0.01), but the direction is the
    opposite of NEST's: sPyNNaker 7.4.1 writes the additive A± as absolute weight steps
    (A± · global weight scale, docs/stdp.md §4; its comment "pre-multiply A+ and A- by Wmax" is
    not what the code does), where NEST's stdp_synapse scales them by w_max. A± = 0.01 µS is four
    times w_max = 0.0025 µS here, so every pair moves a weight to a bound, the post neurons stop
    firing (about 0.1 Hz) and depression dominates: the 40 Hz inputs end lower than the 5 Hz
    ones. spinnsim computes what sPyNNaker's binaries compute (test_scenario3_network_bit_for_bit)."""
    run = _run_scenario3(tmp_path)
    out = run.stdout
    assert run.returncode == 1 and "1 failed" in out, out[-6000:] + run.stderr[-2000:]
    assert f">       {DIRECTION}" in out, out[-6000:]
    # The run says why (docs/decisions.md D13).
    assert "SpinnsimWarning: projection" in out and "A_plus = 0.01 is 4.000 times the weight range" in out, out[-6000:]


def test_pynn_scenario3_passes_with_nest_amplitudes(tmp_path):
    """Scenario 3 with A± given as NEST means them (A± · w_max): it passes."""
    def nest_amplitudes(text):
        assert "A_plus=0.01, A_minus=0.01" in text
        return text.replace("A_plus=0.01, A_minus=0.01", "A_plus=0.01 * w_max, A_minus=0.01 * w_max")
    run = _run_scenario3(tmp_path, nest_amplitudes)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "1 passed" in run.stdout, run.stdout[-3000:]


def _reference_weights(reference, cfg):
    """tools/reference/stdp_reference.py's Core over recorded spikes, as its run_network, except
    that a source with k spikes in one tick (SpikeSourcePoisson at dt 0.1 ms) has its row
    processed k times."""
    dt, shift, gws = cfg["dt"], cfg["ring_buffer_shift"], cfg["global_weight_scale"]
    syns = cfg["synapses"]
    n_post = max(s[1] for s in syns) + 1
    log_n, log_t, log_d = max(reference.n_bits(n_post), 1), 1, reference.n_bits(max(s[3] for s in syns) + 1)
    words = [reference.s32(x) for x in reference.weight_dependence_words(
        cfg["weight_dependence"], cfg["w_min"], cfg["w_max"], cfg["A_plus"], cfg["A_minus"], gws)]
    core = reference.Core(cfg["rule"], cfg["weight_dependence"], reference.exp_lut(dt, cfg["tau_plus"]),
                          reference.exp_lut(dt, cfg["tau_minus"]), [words] * 2, [shift, shift],
                          cfg["backprop_delay"], n_post, log_n, log_t, log_d)
    rows, index = {}, []
    for (i, j, w, d) in syns:
        row = rows.setdefault(i, {"hdr": [0, 0], "syn": []})
        index.append((i, len(row["syn"])))
        row["syn"].append([(d << (log_n + log_t)) | j, reference.host_w16(w, shift, gws)])
    pre, post = cfg["pre_spikes"], cfg["post_spikes"]
    for t in sorted({t for v in list(pre.values()) + list(post.values()) for t in v}):
        for j in sorted(post):
            if t in post[j]:
                core.add_post(t, j)
        for i in sorted(pre):
            for _ in range(pre[i].count(t) if i in rows else 0):
                core.process_row(rows[i], t)
                core.ring.clear()
    ws = reference.weight_scale(shift, gws)
    return [rows[i]["syn"][k][1] / ws for (i, k) in index]


@pytest.mark.parametrize("amplitude", ["spynnaker", "nest"])
def test_scenario3_network_bit_for_bit(amplitude, backend):
    """Scenario 3's network (seeded), its learned weights against the integer reference of the
    ARM binaries over the same spikes: every weight equal. With NEST's amplitudes the post
    neurons fire at ~30 Hz, so post histories overflow (16 entries) and some 0.1 ms ticks carry
    two spikes of one source."""
    cell_parameters = dict(tau_m=20, cm=1.0, v_rest=-70, e_rev_E=0, e_rev_I=-70, v_thresh=-54,
                           v_reset=-60, tau_syn_E=5, tau_syn_I=5)
    w_min, w_max = 0.0, 0.05 * 1.0 / 20
    a = 0.01 if amplitude == "spynnaker" else 0.01 * w_max
    rng = NumpyRNG(seed=31)
    with pytest.warns(sim.SpinnsimWarning, match="timestep"):
        sim.setup(backend=backend)
    pre = sim.Population(100, sim.SpikeSourcePoisson(duration=10000.0, start=0.0))
    post = sim.Population(10, sim.IF_cond_exp(**cell_parameters))
    pre[:50].set(rate=5.0)
    pre[50:].set(rate=40.0)
    post.initialize(v=RandomDistribution('normal', mu=-60.0, sigma=5.0, rng=rng))
    stdp = sim.STDPMechanism(sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=a, A_minus=a),
                             sim.AdditiveWeightDependence(w_min=w_min, w_max=w_max))
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), synapse_type=stdp, receptor_type='excitatory')
    prj.set(weight=RandomDistribution('uniform', low=w_min, high=w_max, rng=rng))
    pre.record('spikes')
    post.record('spikes')
    initial = np.asarray(state.ensure_built().connections(0)).copy()   # quantised, as on the machine
    shift = state.sim.ring_buffer_shifts(post._core_label)[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sim.run(10000.0)
    steps = [str(w.message) for w in caught if "absolute weight steps" in str(w.message)]
    if amplitude == "spynnaker":   # A± = 0.01 is 4 × (w_max − w_min): docs/decisions.md D13
        assert len(steps) == 1 and "A_plus = 0.01 is 4.000 times the weight range" in steps[0], steps
    else:
        assert steps == []
    learned = prj.get('weight', format='array')

    def ticks(pop):
        return {i: [int(round(t / 0.1)) for t in st.magnitude]
                for i, st in enumerate(pop.get_data('spikes').segments[0].spiketrains)}
    pre_ticks, post_ticks = ticks(pre), ticks(post)
    rate = sum(map(len, post_ticks.values())) / 10 / 10.0
    assert (rate > 10.0) if amplitude == "nest" else (rate < 2.0), rate

    reference = _load("stdp_reference", ROOT / "tools" / "reference" / "stdp_reference.py")
    weights = _reference_weights(reference, {
        "rule": "pair", "weight_dependence": "additive", "dt": 0.1, "tau_plus": 20.0, "tau_minus": 20.0,
        "A_plus": a, "A_minus": a, "w_min": w_min, "w_max": w_max, "global_weight_scale": 1024.0,
        "ring_buffer_shift": shift, "backprop_delay": True,
        "synapses": [[int(i), int(j), w, 1] for i, j, w, _ in initial],
        "pre_spikes": pre_ticks, "post_spikes": post_ticks})
    expected = np.full((100, 10), np.nan)
    for (i, j, _, _), w in zip(initial, weights):
        expected[int(i), int(j)] = w
    assert np.array_equal(learned, expected)
    assert not np.array_equal(learned, _to_array(initial))
    slow, fast = learned[:50].mean(), learned[50:].mean()
    assert (fast > slow) if amplitude == "nest" else (fast < slow)


def _to_array(conns):
    out = np.full((100, 10), np.nan)
    out[conns[:, 0].astype(int), conns[:, 1].astype(int)] = conns[:, 2]
    return out


# ------------------------------------------------------------------------ (c) isolated pairs

# docs/stdp.md §10: dt 1 ms, tau± 20 ms, w in [0, 1], current input, delay 1 (dendritic, backprop
# on), A± 0.5 so that a change is thousands of weight quanta. The post neuron fires once, at 20 ms,
# from a 1 ms current pulse (so the ring-buffer shift comes from the plastic projection alone:
# shift 1, weight scale 16384). A pre spike at 300 ms flushes the pending potentiation (the rule is
# applied only at pre spikes) and adds no depression of its own (279 ms is beyond the LUT).
TAU = 20.0
A = 0.5
DELAY = 1.0
POST = 20.0
CASES = {
    # name: (rule, dependence, pre spike times, w0, expected w16 of docs/stdp.md §10)
    "potentiation-additive": ("pair", "additive", [10.0, 300.0], 0.25, 8820),
    "depression-additive": ("pair", "additive", [30.0], 0.75, 7068),
    "both-additive": ("pair", "additive", [10.0, 30.0, 300.0], 0.5, 7696),
    "potentiation-multiplicative": ("pair", "multiplicative", [10.0, 300.0], 0.25, 7639),
    "depression-multiplicative": ("pair", "multiplicative", [30.0], 0.75, 8373),
    "both-multiplicative": ("pair", "multiplicative", [10.0, 30.0, 300.0], 0.5, 7191),
    "nearest-both-additive": ("nearest_pair", "additive", [10.0, 30.0, 300.0], 0.5, 7696),
}


def _analytic(dependence, pre_times, post_time, w0, delay=DELAY, w_min=0.0, w_max=1.0):
    """The continuous pair rule, as sPyNNaker applies it: the post spike is seen after the
    dendritic delay; each pre spike first potentiates with the post spikes since the previous pre
    spike (pre trace of that spike), then depresses with the latest post spike before it."""
    w = w0
    seen = post_time + delay
    for k, t in enumerate(pre_times):
        if k > 0 and pre_times[k - 1] < seen <= t:
            x = math.exp(-(seen - pre_times[k - 1]) / TAU)
            w += A * x if dependence == "additive" else (w_max - w) * A * x
        if seen <= t and t - seen < TAU * math.log(2048):
            y = math.exp(-(t - seen) / TAU)
            w -= A * y if dependence == "additive" else (w - w_min) * A * y
        w = min(max(w, w_min), w_max) if dependence == "additive" else w
    return w


def _run_pair(rule, dependence, pre_times, w0, backend):
    sim.setup(timestep=1.0, min_delay=1.0, backend=backend)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=pre_times), label="pre")
    post = sim.Population(1, sim.IF_curr_exp(tau_refrac=50.0), label="post")
    post.record("spikes")
    sim.DCSource(amplitude=20.0, start=POST, stop=POST + 1.0).inject_into(post)
    timing = (sim.SpikePairRule if rule == "pair" else sim.extra_models.SpikeNearestPairRule)(
        tau_plus=TAU, tau_minus=TAU, A_plus=A, A_minus=A)
    dep = (sim.AdditiveWeightDependence if dependence == "additive" else sim.MultiplicativeWeightDependence)(
        w_min=0.0, w_max=1.0)
    prj = sim.Projection(pre, post, sim.OneToOneConnector(),
                         sim.STDPMechanism(timing, dep, weight=w0, delay=DELAY))
    sim.run(310)
    post_times = [float(t) for t in post.get_data("spikes").segments[0].spiketrains[0].magnitude]
    shift = state.sim.ring_buffer_shifts(post._core_label)[0]
    (_, _, w, d), = prj.get(["weight", "delay"], format="list")
    return post_times, shift, w, d


@pytest.mark.parametrize("case", list(CASES))
def test_isolated_pair_against_the_pair_rule(case, backend):
    rule, dependence, pre_times, w0, w16 = CASES[case]
    post_times, shift, w, d = _run_pair(rule, dependence, pre_times, w0, backend)
    assert post_times == [POST], "the current pulse must make the post neuron fire once, at 20 ms"
    assert d == DELAY
    assert shift == 1, "docs/stdp.md §10: ring-buffer shift 1 (weight scale 16384)"

    # The sign and size of the change against the continuous pair rule.
    expected = _analytic(dependence, pre_times, POST, w0)
    if case.startswith("both") or case.startswith("nearest"):
        # a small difference of two large terms: compare the weights
        assert w == pytest.approx(expected, rel=1e-3, abs=0)
    else:
        assert np.sign(w - w0) == np.sign(expected - w0) == (1 if case.startswith("potentiation") else -1)
        assert (w - w0) == pytest.approx(expected - w0, rel=1e-3, abs=0)

    # Bit for bit: the 16-bit weight of docs/stdp.md §10 and of the integer reference of the
    # ARM binaries.
    assert w * 16384 == w16
    reference = _load("stdp_reference", ROOT / "tools" / "reference" / "stdp_reference.py")
    out = reference.run_network({
        "rule": rule, "weight_dependence": dependence, "dt": 1.0, "tau_plus": TAU, "tau_minus": TAU,
        "A_plus": A, "A_minus": A, "w_min": 0.0, "w_max": 1.0, "global_weight_scale": 1.0,
        "ring_buffer_shift": shift, "backprop_delay": True, "synapses": [[0, 0, w0, 1]],
        "pre_spikes": {"0": [int(t) for t in pre_times]}, "post_spikes": {"0": [int(t) for t in post_times]},
    })
    assert out["weight"] == [w]


def test_pair_without_backprop_delay(backend):
    """backprop_delay=False: the rule sees the post spike at its own time (potentiation
    Δt = t_post − t_pre)."""
    sim.setup(timestep=1.0, backend=backend)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0, 300.0]))
    post = sim.Population(1, sim.IF_curr_exp(tau_refrac=50.0))
    sim.DCSource(amplitude=20.0, start=POST, stop=POST + 1.0).inject_into(post)
    prj = sim.Projection(pre, post, sim.OneToOneConnector(),
                         sim.STDPMechanism(sim.SpikePairRule(A_plus=A, A_minus=A),
                                           sim.AdditiveWeightDependence(), weight=0.25,
                                           delay=3.0, backprop_delay=False))
    sim.run(310)
    (w,) = prj.get("weight", format="list", with_address=False)
    expected = 0.25 + A * math.exp(-(POST - 10.0) / TAU)
    assert (w - 0.25) == pytest.approx(expected - 0.25, rel=1e-3)


def test_defaults_change_the_weight_by_the_default_amplitude(backend):
    """docs/stdp.md §10 "defaults": A± = 0.01, w0 0.5, additive: w16 8286."""
    sim.setup(timestep=1.0, backend=backend)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0, 300.0]))
    post = sim.Population(1, sim.IF_curr_exp(tau_refrac=50.0))
    sim.DCSource(amplitude=20.0, start=POST, stop=POST + 1.0).inject_into(post)
    prj = sim.Projection(pre, post, sim.OneToOneConnector(),
                         sim.STDPMechanism(sim.SpikePairRule(), sim.AdditiveWeightDependence(), weight=0.5))
    sim.run(310)
    (w,) = prj.get("weight", format="list", with_address=False)
    assert w * 16384 == 8286


# ------------------------------------------------------------------------ (d) parameters, errors


def test_classes_and_defaults():
    sim.setup(timestep=0.5)
    assert not hasattr(sim, "SpikeNearestPairRule"), "only in extra_models, as in sPyNNaker"
    assert isinstance(sim.SpikePairRule(), pynn_synapses.SpikePairRule)
    assert isinstance(sim.AdditiveWeightDependence(), pynn_synapses.AdditiveWeightDependence)
    assert isinstance(sim.MultiplicativeWeightDependence(), pynn_synapses.MultiplicativeWeightDependence)
    assert isinstance(sim.STDPMechanism(sim.SpikePairRule(), sim.AdditiveWeightDependence()),
                      pynn_synapses.STDPMechanism)
    m = sim.STDPMechanism(sim.extra_models.SpikeNearestPairRule(), sim.MultiplicativeWeightDependence())
    assert m.weight == 0.0 and m.delay == 0.5 and m.backprop_delay is True
    assert m.dendritic_delay_fraction == 1.0
    assert m.core_description() == {
        "timing": {"rule": "SpikeNearestPairRule", "tau_plus": 20.0, "tau_minus": 20.0,
                   "A_plus": 0.01, "A_minus": 0.01},
        "weight_dependence": {"dependence": "MultiplicativeWeightDependence", "w_min": 0.0, "w_max": 1.0},
        "backprop_delay": True,
    }
    ps = sim.STDPMechanism(sim.SpikePairRule(tau_plus=16.8, A_minus=0.06),
                           sim.AdditiveWeightDependence(w_max=2.0), weight=0.3, delay=2.0).parameter_space
    assert {name: value.base_value for name, value in ps.items()} == {
        "weight": 0.3, "delay": 2.0, "dendritic_delay_fraction": 1.0, "tau_plus": 16.8,
        "tau_minus": 20.0, "A_plus": 0.01, "A_minus": 0.06, "w_min": 0.0, "w_max": 2.0}


def test_network_description_sent_to_the_core():
    """`synapse_dynamics` of each core projection (src/model/plasticity.rs), weight and delay from
    the mechanism; one backprop_delay per post population (the last STDP projection's, as
    sPyNNaker's merge keeps the newest dynamics)."""
    sim.setup(timestep=1.0)
    a = sim.Population(4, sim.SpikeSourcePoisson(rate=10.0), label="a")
    b = sim.Population(4, sim.SpikeSourceArray(spike_times=[5.0]), label="b")
    post = sim.Population(4, sim.IF_cond_exp(), label="post")
    other = sim.Population(4, sim.IF_curr_exp(), label="other")
    rule = sim.SpikePairRule(tau_plus=16.8, tau_minus=33.7, A_plus=0.05, A_minus=0.06)
    dep = sim.AdditiveWeightDependence(w_min=0.0, w_max=0.01)
    sim.Projection(a, post, sim.AllToAllConnector(),
                   sim.STDPMechanism(rule, dep, weight=0.005, delay=2.0), label="p1")
    sim.Projection(b, post, sim.OneToOneConnector(),
                   sim.STDPMechanism(rule, dep, weight=0.002, backprop_delay=False), label="p2")
    sim.Projection(a, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.1), label="static")
    sim.Projection(a, other, sim.FixedProbabilityConnector(0.5, rng=NumpyRNG(seed=3)),
                   sim.STDPMechanism(sim.extra_models.SpikeNearestPairRule(A_plus=0.02),
                                     sim.MultiplicativeWeightDependence(w_max=2.0),
                                     weight=RandomDistribution("uniform", (0.5, 1.5), rng=NumpyRNG(seed=4))),
                   receptor_type="inhibitory", label="p3")
    net = json.loads(state.network_json())
    prj = {p["label"]: p for p in net["projection"]}
    pair = {"rule": "SpikePairRule", "tau_plus": 16.8, "tau_minus": 33.7, "A_plus": 0.05, "A_minus": 0.06}
    additive = {"dependence": "AdditiveWeightDependence", "w_min": 0.0, "w_max": 0.01}
    assert prj["p1"]["synapse_dynamics"] == {"timing": pair, "weight_dependence": additive,
                                             "backprop_delay": False}
    assert prj["p2"]["synapse_dynamics"] == prj["p1"]["synapse_dynamics"]
    assert (prj["p1"]["weight"], prj["p1"]["delay"]) == (0.005, 2.0)
    assert (prj["p2"]["weight"], prj["p2"]["delay"]) == (0.002, 1.0)
    assert "synapse_dynamics" not in prj["static"]
    p3 = prj["p3"]
    assert p3["synapse_dynamics"] == {
        "timing": {"rule": "SpikeNearestPairRule", "tau_plus": 20.0, "tau_minus": 20.0,
                   "A_plus": 0.02, "A_minus": 0.01},
        "weight_dependence": {"dependence": "MultiplicativeWeightDependence", "w_min": 0.0, "w_max": 2.0},
        "backprop_delay": True}
    assert p3["receptor_type"] == "inhibitory"
    assert p3["weight"] == {"distribution": "uniform", "low": 0.5, "high": 1.5}
    # The machine generates it: the connector goes to the core, no connection is drawn in Python.
    assert "connections" not in p3 and p3["connector"]["type"] == "FixedProbabilityConnector"


def test_stdp_parameters_through_the_projection():
    sim.setup(timestep=1.0)
    pre = sim.Population(3, sim.SpikeSourcePoisson(rate=10.0))
    post = sim.Population(2, sim.IF_curr_exp())
    prj = sim.Projection(pre, post, sim.AllToAllConnector(),
                         sim.STDPMechanism(sim.SpikePairRule(A_plus=0.0, A_minus=0.5),
                                           sim.AdditiveWeightDependence(w_max=2.0), weight=0.5))
    a_plus, a_minus = prj.get(["A_plus", "A_minus"], format="array")
    assert (a_plus == 0.0).all() and (a_minus == 0.5).all()
    assert prj.get("w_max", format="list")[0] == (0, 0, 2.0)
    prj.set(tau_plus=30.0, weight=0.75)
    assert (prj.get("tau_plus", format="array") == 30.0).all()
    assert (prj.get("weight", format="array") == 0.75).all()
    net = json.loads(state.network_json())
    assert net["projection"][0]["synapse_dynamics"]["timing"]["tau_plus"] == 30.0
    with pytest.raises(errors.InvalidParameterValueError):
        prj.set(tau_minus=-1.0)
    with pytest.raises(errors.NonExistentParameterError):
        prj.get("U", format="list")
    with pytest.raises(errors.NonExistentParameterError):
        prj.set(tau_rec=10.0)


def test_mechanism_errors():
    sim.setup(timestep=1.0)
    rule, dep = sim.SpikePairRule(), sim.AdditiveWeightDependence()
    with pytest.raises(NotImplementedError, match="timing_dependence and weight_dependence"):
        sim.STDPMechanism()
    with pytest.raises(NotImplementedError, match="weight_dependence"):
        sim.STDPMechanism(timing_dependence=rule)
    with pytest.raises(NotImplementedError, match="[Vv]oltage dependence"):
        sim.STDPMechanism(rule, dep, voltage_dependence=object())
    with pytest.raises(NotImplementedError, match="dendritic"):
        sim.STDPMechanism(rule, dep, dendritic_delay_fraction=0.5)
    with pytest.raises(NotImplementedError, match="dendritic"):
        sim.STDPMechanism(rule, dep, dendritic_delay_fraction=0)
    with pytest.raises(NotImplementedError, match="pad_to_length"):
        sim.STDPMechanism(rule, dep, pad_to_length=16)
    with pytest.raises(TypeError, match="timing_dependence"):
        sim.STDPMechanism(dep, dep)
    with pytest.raises(TypeError, match="weight_dependence"):
        sim.STDPMechanism(rule, rule)
    with pytest.raises(NotImplementedError, match="Vogels2011Rule"):
        sim.STDPMechanism(pynn_synapses.Vogels2011Rule(), dep)
    with pytest.raises(NotImplementedError, match="GutigWeightDependence"):
        sim.STDPMechanism(rule, pynn_synapses.GutigWeightDependence())
    with pytest.raises(errors.InvalidParameterValueError, match="backprop_delay"):
        sim.STDPMechanism(rule, dep, backprop_delay="yes")


@pytest.mark.parametrize("make, match", [
    (lambda: sim.SpikePairRule(tau_plus=0.0), "tau_plus"),
    (lambda: sim.SpikePairRule(tau_minus=-5.0), "tau_minus"),
    (lambda: sim.SpikePairRule(A_plus=float("nan")), "A_plus"),
    (lambda: sim.SpikePairRule(A_minus=float("inf")), "A_minus"),
    (lambda: sim.SpikePairRule(A_plus=RandomDistribution("uniform", (0.0, 1.0))), "single number"),
    (lambda: sim.SpikePairRule(tau_plus="20"), "single number"),
    (lambda: sim.extra_models.SpikeNearestPairRule(tau_plus=-1.0), "tau_plus"),
    (lambda: sim.AdditiveWeightDependence(w_min=-0.1), "w_min"),
    (lambda: sim.AdditiveWeightDependence(w_min=1.0, w_max=0.5), "w_max"),
    (lambda: sim.MultiplicativeWeightDependence(w_max=[1.0, 2.0]), "single number"),
    (lambda: sim.MultiplicativeWeightDependence(w_max=float("nan")), "w_max"),
])
def test_rule_parameter_errors(make, match):
    sim.setup(timestep=1.0)
    with pytest.raises(errors.InvalidParameterValueError, match=match):
        make()


def test_projection_errors():
    sim.setup(timestep=1.0)
    src = sim.Population(3, sim.SpikeSourceArray(spike_times=[1.0]))
    post = sim.Population(3, sim.IF_curr_exp())
    cond = sim.Population(3, sim.IF_cond_exp())
    rule, dep = sim.SpikePairRule(), sim.AdditiveWeightDependence()
    # weights and delays of the mechanism are checked as StaticSynapse's
    with pytest.raises(errors.ConnectionError, match="delay"):
        sim.Projection(src, post, sim.OneToOneConnector(), sim.STDPMechanism(rule, dep, weight=0.5, delay=0.5))
    with pytest.raises(errors.ConnectionError, match="finite"):
        sim.Projection(src, post, sim.OneToOneConnector(), sim.STDPMechanism(rule, dep, weight=float("nan")))
    with pytest.raises(errors.ConnectionError, match="spike source"):
        sim.Projection(src, src, sim.OneToOneConnector(), sim.STDPMechanism(rule, dep, weight=0.5))
    # A± and w_max must fit the s16.15 words (× 1024 on conductance-based cells, additive)
    with pytest.raises(errors.InvalidParameterValueError, match="A_plus"):
        sim.Projection(src, cond, sim.OneToOneConnector(),
                       sim.STDPMechanism(sim.SpikePairRule(A_plus=100.0), dep, weight=0.01))
    with pytest.raises(errors.InvalidParameterValueError, match="w_max"):
        sim.Projection(src, cond, sim.OneToOneConnector(),
                       sim.STDPMechanism(rule, sim.MultiplicativeWeightDependence(w_max=100.0), weight=0.01))
    sim.Projection(src, cond, sim.OneToOneConnector(),
                   sim.STDPMechanism(sim.SpikePairRule(A_plus=100.0), sim.MultiplicativeWeightDependence(),
                                     weight=0.01))
    # every STDP projection into one population has the same rule (sPyNNaker's
    # SynapticConfigurationException); backprop_delay may differ
    sim.Projection(src, post, sim.OneToOneConnector(), sim.STDPMechanism(rule, dep, weight=0.5))
    sim.Projection(src, post, sim.AllToAllConnector(),
                   sim.STDPMechanism(sim.SpikePairRule(), sim.AdditiveWeightDependence(), weight=0.1,
                                     backprop_delay=False))
    with pytest.raises(errors.ConnectionError, match="must match"):
        sim.Projection(src, post, sim.AllToAllConnector(),
                       sim.STDPMechanism(sim.SpikePairRule(A_minus=0.02), dep, weight=0.1))
    with pytest.raises(errors.ConnectionError, match="must match"):
        sim.Projection(src, post[0:2], sim.AllToAllConnector(),
                       sim.STDPMechanism(sim.extra_models.SpikeNearestPairRule(), dep, weight=0.1))
    with pytest.raises(errors.ConnectionError, match="must match"):
        sim.Projection(src, post, sim.AllToAllConnector(),
                       sim.STDPMechanism(rule, sim.MultiplicativeWeightDependence(), weight=0.1))
    # other plastic synapse types are still refused
    class TsodyksMarkramSynapse(pynn_synapses.TsodyksMarkramSynapse):
        def _get_minimum_delay(self):
            return 1.0

    with pytest.raises(NotImplementedError, match="StaticSynapse and STDPMechanism"):
        sim.Projection(src, post, sim.OneToOneConnector(), TsodyksMarkramSynapse())


def test_stdp_projection_cannot_change_after_a_run():
    sim.setup(timestep=1.0)
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[1.0]))
    post = sim.Population(2, sim.IF_curr_exp())
    prj = sim.Projection(src, post, sim.OneToOneConnector(),
                         sim.STDPMechanism(sim.SpikePairRule(), sim.AdditiveWeightDependence(), weight=0.5))
    sim.run(10)
    with pytest.raises(sim.NetworkChangeError):
        prj.set(weight=0.2)
    with pytest.raises(sim.NetworkChangeError):
        prj.set(A_plus=0.2)
