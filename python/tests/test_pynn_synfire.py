"""The April-2019 SpiNNaker recordings of the synfire ring, reproduced through the PyNN API:
the script of sPyNNaker's integration test with only the import changed, in the 2019 profile
(bit for bit) and in the default profile (sPyNNaker's own tolerances), on both engines (the
`backend` fixture of conftest.py; the script's setup() names the engine)."""

from pathlib import Path

import numpy as np
import pytest

import spinnsim.pynn as p

ROOT = Path(__file__).resolve().parents[2]


def oracle(name):
    for cand in (ROOT / ".." / "shared" / "oracles", ROOT / ".." / ".." / "shared" / "oracles"):
        if cand.exists():
            return np.loadtxt(cand / "hardware-2019-synfire" / name, delimiter=",", ndmin=2)
    raise FileNotFoundError(f"the oracle data (../shared/oracles) is not beside {ROOT}")


def synfire(n, delay, run_ms, profile, backend, neurons_per_core=None, record_all=True):
    """sPyNNaker's SynfireRunner with its defaults, as a user script writes it."""
    p.setup(timestep=1.0, min_delay=1.0, profile=profile, backend=backend)
    if neurons_per_core is not None:
        p.set_number_of_neurons_per_core(p.IF_curr_exp, neurons_per_core)
    cell_params = {"cm": 0.25, "i_offset": 0.0, "tau_m": 20.0, "tau_refrac": 2.0,
                   "tau_syn_E": 5.0, "tau_syn_I": 5.0, "v_reset": -70.0, "v_rest": -65.0,
                   "v_thresh": -50.0}
    pop = p.Population(n, p.IF_curr_exp(**cell_params), label="pop_1")
    pop.initialize(v=-65.0)
    inp = p.Population(1, p.SpikeSourceArray(spike_times=[[0]]), label="inputSpikes_1")
    ring = [(i, (i + 1) % n, 2.0, delay) for i in range(n)]
    p.Projection(pop, pop, p.FromListConnector(ring), receptor_type="excitatory")
    p.Projection(inp, pop, p.FromListConnector([(0, 0, 2.0, 1)]), receptor_type="excitatory")
    pop.record(["spikes", "v", "gsyn_exc"] if record_all else ["spikes"])
    p.run(run_ms)
    block = pop.get_data()
    p.end()
    return block


def spikes_of(block):
    rows = [(st.annotations["source_index"], t) for st in block.segments[0].spiketrains
            for t in st.magnitude]
    return np.array(sorted(rows, key=lambda r: (r[1], r[0])), dtype=float).reshape(-1, 2)


def signal_rows(block, name):
    """(neuron, time, value) rows, ordered as the CSVs (neuron-major)."""
    sig = block.segments[0].filter(name=name)[0]
    times = sig.times.rescale("ms").magnitude
    idx = sig.array_annotations["channel_index"]
    data = sig.magnitude
    return np.array([(i, t, data[k, c]) for c, i in enumerate(idx) for k, t in enumerate(times)])


def expected_spikes(name):
    ref = oracle(name)
    order = np.lexsort((ref[:, 0], ref[:, 1]))
    return ref[order]


CASES = [("20_1", 20, 1.0, 100), ("20_7", 20, 7.0, 200), ("20_17", 20, 17.0, 500)]


@pytest.mark.parametrize("case,n,delay,run_ms", CASES)
def test_synfire_bit_exact_in_2019_profile(case, n, delay, run_ms, backend):
    block = synfire(n, delay, run_ms, "spinnaker-2019", backend)
    np.testing.assert_array_equal(spikes_of(block), expected_spikes(f"{case}_spikes.csv"))
    for var, file in (("v", "v"), ("gsyn_exc", "gsyn")):
        got = signal_rows(block, var)
        want = oracle(f"{case}_{file}.csv")
        assert got.shape == want.shape, (var, got.shape, want.shape)
        np.testing.assert_array_equal(got[:, :2], want[:, :2])
        # Every value equal, bit for bit.
        assert np.array_equal(got[:, 2], want[:, 2]), (
            f"{case} {var}: first difference at row {np.flatnonzero(got[:, 2] != want[:, 2])[0]}")


@pytest.mark.parametrize("case,n,delay,run_ms", CASES)
def test_synfire_within_spynnaker_tolerances_in_default_profile(case, n, delay, run_ms, backend):
    block = synfire(n, delay, run_ms, "spinnaker-7", backend)
    np.testing.assert_array_equal(spikes_of(block), expected_spikes(f"{case}_spikes.csv"))
    for var, file, rtol in (("v", "v", 1e-3), ("gsyn_exc", "gsyn", 1e-4)):
        got = signal_rows(block, var)
        want = oracle(f"{case}_{file}.csv")
        assert got.shape == want.shape
        assert np.allclose(got[:, 2], want[:, 2], rtol=rtol), f"{case} {var}"


@pytest.mark.parametrize("profile", ["spinnaker-2019", "spinnaker-7"])
def test_synfire_200_neurons_100_per_core_spikes_exact(profile, backend):
    block = synfire(200, 17.0, 5000, profile, backend, neurons_per_core=100, record_all=False)
    np.testing.assert_array_equal(spikes_of(block), expected_spikes("200_17_spikes.csv"))


def test_synfire_through_arrow_matches_neo(backend):
    """The same recordings as Arrow tables: the raw s16.15 column is the value times 2^15."""
    block = synfire(20, 1.0, 100, "spinnaker-2019", backend)
    res = p.results()
    v = res.samples.filter(
        (res.samples["variable"].to_numpy(zero_copy_only=False) == "v")
        & (res.samples["population"].to_numpy(zero_copy_only=False) == "pop_1"))
    assert len(v) == 2000
    assert np.array_equal(v["raw"].to_numpy() / 32768.0, v["value"].to_numpy())
    want = oracle("20_1_v.csv")
    got = np.column_stack([v["neuron"].to_numpy(), v["time_ms"].to_numpy(), v["value"].to_numpy()])
    got = got[np.lexsort((got[:, 1], got[:, 0]))]
    assert np.array_equal(got, want)
    assert len(spikes_of(block)) == len(res.spikes.filter(
        res.spikes["population"].to_numpy(zero_copy_only=False) == "pop_1"))
