"""get_data returns neo Blocks shaped as sPyNNaker's: units, channel ids and indices, sampling
period, annotations, one segment per run between resets; on both engines (the `backend` fixture
of conftest.py)."""

import neo
import numpy as np
import pytest
import quantities as pq

import spinnsim.pynn as sim


@pytest.fixture
def network(backend):
    sim.setup(timestep=1.0, backend=backend)
    curr = sim.Population(6, sim.IF_curr_exp(i_offset=1.0, tau_refrac=2.0), label="curr")
    cond = sim.Population(4, sim.IF_cond_exp(i_offset=1.0), label="cond")
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[[2.0, 8.0], [5.0]]), label="src")
    sim.Projection(src, curr, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5, delay=1.0))
    sim.Projection(src, cond, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01, delay=1.0))
    sim.Projection(src, curr, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.3, delay=2.0),
                   receptor_type="inhibitory")
    curr.record(["spikes", "v", "gsyn_exc", "gsyn_inh"])
    cond[1:3].record(["v", "gsyn_exc"], sampling_interval=2.0)
    src.record("spikes")
    yield curr, cond, src
    sim.end()


def test_block_structure_and_annotations(network):
    curr, cond, src = network
    sim.run(20.0)
    block = curr.get_data()
    assert isinstance(block, neo.Block)
    assert block.name == "curr"
    for key, value in dict(size=6, first_index=0, last_index=6, first_id=int(curr.first_id),
                           last_id=int(curr.last_id), label="curr", simulator="spinnsim",
                           dt=1.0).items():
        assert block.annotations[key] == value, key
    assert len(block.segments) == 1
    seg = block.segments[0]
    assert seg.name == "segment0"
    assert seg.block is block
    names = sorted(sig.name for sig in seg.analogsignals)
    assert names == ["gsyn_exc", "gsyn_inh", "v"]


def test_units_sampling_and_channels(network):
    curr, cond, src = network
    sim.run(20.0)
    seg = curr.get_data().segments[0]
    v = seg.filter(name="v")[0]
    assert v.units == pq.mV
    assert seg.filter(name="gsyn_exc")[0].units == pq.nA      # current-based: a current
    assert seg.filter(name="gsyn_inh")[0].units == pq.nA
    assert v.sampling_period == 1.0 * pq.ms
    assert v.t_start == 0.0 * pq.ms
    assert v.shape == (20, 6)                                  # ticks 0..19, sPyNNaker's count
    assert list(v.array_annotations["channel_index"]) == list(range(6))
    assert list(v.annotations["channel_ids"]) == [int(i) for i in curr.all_cells]
    assert v.annotations["source_ids"] == [int(i) for i in curr.all_cells]
    assert v.annotations["source_population"] == "curr"
    assert v[0, 0] == -65.0 * pq.mV                           # v read before the first update

    cseg = cond.get_data().segments[0]
    cv = cseg.filter(name="v")[0]
    assert cseg.filter(name="gsyn_exc")[0].units == pq.uS     # conductance-based: µS
    assert cv.sampling_period == 2.0 * pq.ms
    assert cv.shape == (10, 2)
    assert list(cv.array_annotations["channel_index"]) == [1, 2]
    assert list(cv.annotations["channel_ids"]) == [int(cond.all_cells[1]), int(cond.all_cells[2])]


def test_spiketrains(network):
    curr, cond, src = network
    sim.run(20.0)
    trains = src.get_data("spikes").segments[0].spiketrains
    assert len(trains) == 2
    assert list(trains[0].magnitude) == [2.0, 8.0]
    assert list(trains[1].magnitude) == [5.0]
    for k, st in enumerate(trains):
        assert st.units == pq.ms
        assert st.t_start == 0.0 * pq.ms and st.t_stop == 20.0 * pq.ms
        assert st.annotations["source_index"] == k
        assert st.annotations["source_id"] == int(src.all_cells[k])
        assert st.annotations["channel_id"] == int(src.all_cells[k])
        assert st.annotations["source_population"] == "src"
    counts = curr.get_spike_counts()
    seg = curr.get_data("spikes").segments[0]
    assert sum(counts.values()) == sum(len(st) for st in seg.spiketrains)
    assert curr.mean_spike_count() == pytest.approx(sum(counts.values()) / 6)


def test_runs_continue_and_resets_make_segments(network):
    curr, cond, src = network
    sim.run(10.0)
    sim.run(10.0)
    sim.reset(annotations={"trial": 1})
    curr.initialize(v=-60.0)
    sim.run(15.0)
    block = curr.get_data("v")
    assert [s.name for s in block.segments] == ["segment0", "segment1"]
    v0 = block.segments[0].filter(name="v")[0]
    v1 = block.segments[1].filter(name="v")[0]
    assert v0.shape == (20, 6) and v1.shape == (15, 6)
    assert block.segments[0].annotations["trial"] == 1
    assert v1[0, 0] == -60.0 * pq.mV                          # initial value set before the run
    assert v1.t_start == 0.0 * pq.ms


def test_views_and_assemblies(network):
    curr, cond, src = network
    sim.run(10.0)
    view = curr[[1, 3, 4]]
    seg = view.get_data("v").segments[0]
    v = seg.filter(name="v")[0]
    assert v.shape == (10, 3)
    assert list(v.array_annotations["channel_index"]) == [1, 3, 4]
    full = curr.get_data("v").segments[0].filter(name="v")[0]
    assert np.array_equal(np.asarray(v), np.asarray(full)[:, [1, 3, 4]])
    trains = (curr + src).get_data("spikes").segments[0].spiketrains
    assert len(trains) == 8
    sigs = (curr[0:2] + curr[4:6]).get_data("v").segments[0].filter(name="v")
    assert sum(s.shape[1] for s in sigs) == 4


def test_clear_and_write(network, tmp_path):
    curr, cond, src = network
    sim.run(10.0)
    curr.get_data(clear=True)
    sim.run(5.0)
    v = curr.get_data("v").segments[0].filter(name="v")[0]
    assert v.shape == (5, 6) and v.t_start == 10.0 * pq.ms
    path = tmp_path / "curr.pkl"
    curr.write_data(str(path), variables=["spikes", "v"])
    back = neo.io.PickleIO(str(path)).read_block()
    assert back.segments[0].filter(name="v")[0].shape == (5, 6)
