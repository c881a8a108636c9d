"""The extension module spinnsim._spinnsim: runs, changes between runs, reset, Arrow tables handed
to pyarrow / polars / pandas without copies, read-back connections and the core's errors. The
tests that run a network take the `backend` fixture (conftest.py): they run on both engines."""

import csv
import gc
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import spinnsim
from spinnsim import ArrowTable, Simulation, SpinnsimError

ROOT = Path(__file__).resolve().parents[2]


def oracle_dir() -> Path:
    for cand in (ROOT / "../shared/oracles", ROOT / "../../shared/oracles"):
        if cand.exists():
            return cand.resolve() / "hardware-2019-synfire"
    raise AssertionError(f"the oracle data (../shared/oracles) is not beside {ROOT}")


def synfire() -> dict:
    with open(ROOT / "datasets" / "synfire.toml", "rb") as f:
        return tomllib.load(f)


def synfire_json(**changes) -> str:
    net = synfire()
    net.update(changes)
    return json.dumps(net)


def oracle_spikes() -> list[tuple[int, float]]:
    with open(oracle_dir() / "20_17_spikes.csv") as f:
        return sorted((int(float(n)), float(t)) for n, t in csv.reader(f))


def oracle_v() -> dict[tuple[int, int], float]:
    with open(oracle_dir() / "20_17_v.csv") as f:
        return {(int(float(n)), int(float(t))): float(v) for n, t, v in csv.reader(f)}


@pytest.fixture(scope="module")
def synfire_run(backend) -> Simulation:
    sim = Simulation(synfire_json(), profile="spinnaker-2019", backend=backend)
    sim.run(500)
    return sim


def test_import_does_not_load_arrow_libraries():
    code = "import sys, spinnsim; print(any(m in sys.modules for m in ('pyarrow', 'polars', 'pandas')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_spikes_equal_the_2019_recordings_through_pyarrow(synfire_run):
    import pyarrow as pa

    t = synfire_run.spikes()
    assert isinstance(t, ArrowTable)
    assert t.column_names == ["population", "neuron", "tick", "time_ms", "segment"]
    table = pa.table(t)
    assert table.schema.field("neuron").type == pa.uint32()
    assert table.schema.metadata[b"spinnsim.profile"] == b"spinnaker-2019"
    assert t.metadata["spinnsim.timestep_ms"] == "1"
    assert set(table.column("population").to_pylist()) == {"pop_1"}
    got = sorted(zip(table.column("neuron").to_pylist(), table.column("time_ms").to_pylist()))
    assert got == oracle_spikes()
    assert t.num_rows == len(t) == 27


def test_spikes_equal_the_2019_recordings_through_polars(synfire_run):
    import polars as pl

    t = synfire_run.spikes()
    # polars.from_arrow reads any PyCapsule producer as one struct Series: unnest gives the frame
    for df in (pl.DataFrame(t), t.to_polars(), pl.from_arrow(t).struct.unnest()):
        assert df.schema["neuron"] == pl.UInt32
        got = sorted(zip(df["neuron"].to_list(), df["time_ms"].to_list()))
        assert got == oracle_spikes()


def test_spikes_equal_the_2019_recordings_through_pandas(synfire_run):
    df = synfire_run.spikes().to_pandas()
    got = sorted(zip(df["neuron"].tolist(), df["time_ms"].tolist()))
    assert got == oracle_spikes()


def test_v_equals_the_2019_recordings(synfire_run):
    import pyarrow.compute as pc

    s = synfire_run.samples().to_pyarrow()
    v = s.filter(pc.equal(s["variable"], "v"))
    got = {(n, t): x for n, t, x in zip(v["neuron"].to_pylist(), v["tick"].to_pylist(), v["value"].to_pylist())}
    assert got == oracle_v()


def test_tables_are_not_copied(synfire_run):
    import pyarrow as pa
    import polars as pl

    t = synfire_run.samples()
    addr = lambda table: table.column("value").chunk(0).buffers()[1].address  # noqa: E731
    first, second = pa.table(t), t.to_pyarrow()
    assert addr(first) == addr(second)
    # polars takes the same buffer: its float column exports the very address pyarrow sees.
    assert pl.DataFrame(t)["value"].to_arrow().buffers()[1].address == addr(first)
    assert np.shares_memory(pl.DataFrame(t)["raw"].to_numpy(), first.column("raw").chunk(0).to_numpy())


def test_capsules_follow_the_pycapsule_interface(synfire_run):
    import pyarrow as pa

    t = synfire_run.spikes()
    cap = t.__arrow_c_stream__()
    assert type(cap).__name__ == "PyCapsule"
    del cap  # not consumed: the destructor releases the stream
    gc.collect()
    cap = t.__arrow_c_stream__(None)
    reader = pa.RecordBatchReader._import_from_c_capsule(cap)
    del cap  # consumed: the stream was moved out, the destructor must not release it again
    gc.collect()
    assert reader.read_all().num_rows == 27
    assert pa.Schema._import_from_c_capsule(t.__arrow_c_schema__()).names == t.column_names
    assert pa.schema(t).metadata[b"spinnsim.semantics"] == b"sPyNNaker 7.4.1"
    assert pa.record_batch(t).num_rows == 27


def test_split_runs_equal_one_run(backend):
    import pyarrow as pa

    one = Simulation(synfire_json(), backend=backend)
    one.run(200)
    split = Simulation(synfire_json(), backend=backend)
    split.run(100)
    assert split.current_time() == 100.0
    split.run(100)
    assert split.current_time() == 200.0
    assert pa.table(one.spikes()).equals(pa.table(split.spikes()))
    assert pa.table(one.samples()).equals(pa.table(split.samples()))


def test_set_between_runs(backend):
    import pyarrow as pa

    base = Simulation(synfire_json(), backend=backend)
    base.run(200)
    sim = Simulation(synfire_json(), backend=backend)
    sim.run(100)
    sim.set("pop_1", "i_offset", 2.0)  # a float
    sim.run(100)
    before = pa.table(sim.spikes()).filter(pa.compute.less(pa.table(sim.spikes())["time_ms"], 100.0))
    after = pa.table(sim.spikes()).filter(pa.compute.greater_equal(pa.table(sim.spikes())["time_ms"], 100.0))
    base_t = pa.table(base.spikes())
    assert before.equals(base_t.filter(pa.compute.less(base_t["time_ms"], 100.0)))
    assert after.num_rows > base_t.num_rows - before.num_rows  # 2 nA drives every neuron
    # sequences and numpy arrays, one value per neuron
    sim.set("pop_1", "i_offset", [0.0] * 20)
    sim.set("pop_1", "tau_m", np.full(20, 15.0))
    sim.set("pop_1", "v", {"distribution": "uniform", "low": -65.0, "high": -55.0})
    sim.set_spike_times("inputSSA_1", [[250.0]])
    sim.run(100)
    assert sim.current_time() == 300.0


def test_reset_starts_a_new_segment(backend):
    import pyarrow as pa

    sim = Simulation(synfire_json(), profile="spinnaker-2019", backend=backend)
    sim.run(500)
    sim.reset()
    assert sim.current_time() == 0.0
    sim.run(500)
    t = pa.table(sim.spikes())
    assert sorted(set(t["segment"].to_pylist())) == [0, 1]
    seg0 = t.filter(pa.compute.equal(t["segment"], 0))
    assert sorted(zip(seg0["neuron"].to_pylist(), seg0["time_ms"].to_pylist())) == oracle_spikes()
    fresh = Simulation(synfire_json(), profile="spinnaker-2019", backend=backend)
    fresh.run(500)
    sim.reset(reload=True)
    assert sim.current_time() == 0.0
    sim.run(500)
    t = pa.table(sim.spikes())
    seg2 = t.filter(pa.compute.equal(t["segment"], 2)).drop_columns(["segment"])
    assert seg2.equals(pa.table(fresh.spikes()).drop_columns(["segment"]))


def test_provenance_table(synfire_run):
    p = synfire_run.provenance().to_pyarrow()
    for col in (
        "core",
        "population",
        "pre_synaptic_events",
        "synaptic_weight_saturations",
        "invalid_master_pop_hits",
        "ghost_pop_table_searches",
        "spikes_processed",
        "packets_sent",
        "late_spikes",
        "rows_outside_matrix",
    ):
        assert col in p.column_names
    assert set(p["population"].to_pylist()) == {"pop_1", "inputSSA_1"}
    rows = {r["population"]: r for r in p.to_pylist()}
    # 27 ring spikes and the one input spike, one synapse each (the last ring spikes may still be in flight)
    assert 0 < rows["pop_1"]["pre_synaptic_events"] <= 28
    assert rows["pop_1"]["packets_sent"] == 27
    assert rows["pop_1"]["synaptic_weight_saturations"] == 0


def test_connections_read_back_quantised(synfire_run):
    c = synfire_run.connections(0)
    assert isinstance(c, np.ndarray)
    assert c.shape == (20, 4) and c.dtype == np.float64
    expected = np.array([[i, (i + 1) % 20, 2.0, 17.0] for i in range(20)])
    assert np.array_equal(c[np.lexsort((c[:, 1], c[:, 0]))], expected)
    assert (c[:, 2] == 2.0).all()  # 2.0 nA is exact after the 16-bit weight and back
    inp = synfire_run.connections(1)
    assert inp.tolist() == [[0.0, 0.0, 2.0, 1.0]]


def test_connections_weights_are_quantised():
    net = synfire()
    net["projection"][0]["connector"]["conn_list"] = [[i, (i + 1) % 20, 2.00001, 17] for i in range(20)]
    sim = Simulation(json.dumps(net))
    w = sim.connections(0)[:, 2]
    assert (w == w[0]).all() and w[0] != 2.00001 and abs(w[0] - 2.00001) < 1e-3


def test_arrays_beside_the_json_equal_the_same_values_in_it(backend):
    """Per-connection data can come as float64 bytes beside the JSON (what spinnsim.pynn sends);
    the network is the same as with the values written into the JSON."""
    rng = np.random.default_rng(5)
    conns = np.column_stack([np.arange(20), (np.arange(20) + 1) % 20, rng.uniform(1.0, 3.0, 20),
                             rng.integers(1, 18, 20)]).astype(float)
    net = synfire()
    net["projection"][0]["connector"]["conn_list"] = conns.tolist()
    in_json = Simulation(json.dumps(net), backend=backend)
    net["projection"][0]["connector"]["conn_list"] = []
    beside = Simulation(json.dumps(net), arrays=[(0, "conn_list", 4, conns.astype("<f8").tobytes())],
                        backend=backend)
    assert np.array_equal(in_json.connections(0), beside.connections(0))
    in_json.run(200.0)
    beside.run(200.0)
    spikes = in_json.spikes().to_pyarrow()
    assert spikes.num_rows > 0 and spikes.equals(beside.spikes().to_pyarrow())
    # Weights and delays as one column each.
    net = synfire()
    w = rng.uniform(0.5, 2.0, 20)
    net["projection"][0]["connector"]["conn_list"] = [[i, (i + 1) % 20] for i in range(20)]
    arrays = [(0, "weight", 1, w.tobytes()), (0, "delay", 1, np.full(20, 3.0).tobytes())]
    sim = Simulation(json.dumps(net), arrays=arrays, backend=backend)
    c = sim.connections(0)
    assert np.allclose(c[:, 2], w, atol=1e-3) and (c[:, 3] == 3.0).all()


def test_arrays_beside_the_json_are_checked():
    text = synfire_json()
    good = np.zeros((1, 4)).tobytes()
    with pytest.raises(ValueError, match="projection 5 does not exist"):
        Simulation(text, arrays=[(5, "conn_list", 4, good)])
    with pytest.raises(ValueError, match="are not rows of 3 float64"):
        Simulation(text, arrays=[(0, "conn_list", 3, good)])
    with pytest.raises(ValueError, match="`tau_m` with 4 columns is not connections"):
        Simulation(text, arrays=[(0, "tau_m", 4, good)])
    # Values JSON could not carry are the core's to refuse, naming the projection.
    bad = np.array([[0.0, 1.0, np.nan, 1.0]]).tobytes()
    with pytest.raises(SpinnsimError, match=r"projection .*conn_list.*entry 0 field 2 is NaN"):
        Simulation(text, arrays=[(0, "conn_list", 4, bad)])


def test_description_of_the_network(synfire_run):
    assert synfire_run.population_labels() == ["pop_1", "inputSSA_1"]
    assert synfire_run.timestep() == 1.0
    shifts = synfire_run.ring_buffer_shifts("pop_1")
    assert isinstance(shifts, tuple) and len(shifts) == 2 and all(isinstance(s, int) for s in shifts)
    assert synfire_run.ring_buffer_shifts("inputSSA_1") is None
    assert synfire_run.warnings() == []
    with pytest.raises(SpinnsimError, match="no population is labelled `nope`"):
        synfire_run.ring_buffer_shifts("nope")


def test_bad_input_raises_the_core_message():
    assert issubclass(SpinnsimError, ValueError)
    net = synfire()
    net["population"][0]["parameters"]["tau_m"] = -20.0
    with pytest.raises(SpinnsimError) as e:
        Simulation(json.dumps(net))
    assert "population `pop_1`" in str(e.value) and "parameter `tau_m`" in str(e.value)
    sim = Simulation(synfire_json())
    with pytest.raises(SpinnsimError, match=r"population `pop_1`: parameter `tau_m`"):
        sim.set("pop_1", "tau_m", -1.0)
    with pytest.raises(SpinnsimError, match=r"parameter `tau_m`: has 2 values for 20 neurons"):
        sim.set("pop_1", "tau_m", [1.0, 2.0])
    with pytest.raises(SpinnsimError, match="no population is labelled `nope`"):
        sim.set("nope", "tau_m", 1.0)
    with pytest.raises(SpinnsimError, match="run time -1 ms must be a finite number >= 0"):
        sim.run(-1)
    with pytest.raises(SpinnsimError, match="there is no projection 7"):
        sim.connections(7)
    with pytest.raises(SpinnsimError, match="^network file: "):
        Simulation("{not json")
    with pytest.raises(SpinnsimError, match="unknown profile `spinnaker-9`"):
        Simulation(synfire_json(), profile="spinnaker-9")
    with pytest.raises(TypeError):
        sim.set("pop_1", "tau_m", "fast")
    # the failed calls changed nothing
    sim.run(500)
    assert sim.spikes().num_rows == 27


def test_threads_and_virtual_board_give_the_same_spikes(synfire_run, backend):
    """Threads are the CPU engine's; on the GPU engine the virtual board alone."""
    import pyarrow as pa

    sim = Simulation(synfire_json(), profile="spinnaker-2019", threads=2, virtual_board=True, backend=backend)
    sim.run(500)
    assert pa.table(sim.spikes()).equals(pa.table(synfire_run.spikes()))


def test_package_exports():
    assert spinnsim.Simulation is Simulation
    assert spinnsim.__version__ == "0.1.0"
    assert "Simulation(2 populations" in repr(Simulation(synfire_json()))
