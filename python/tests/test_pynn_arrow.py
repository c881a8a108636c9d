"""Results as Arrow tables: spinnsim.pynn.results(), Population.get_data_arrow(), provenance(),
and the polars / pandas helpers, sharing the core's buffers; on both engines (the `backend`
fixture of conftest.py)."""

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import spinnsim.pynn as sim


@pytest.fixture
def ran(backend):
    sim.setup(timestep=1.0, backend=backend)
    src = sim.Population(4, sim.SpikeSourceArray(spike_times=[[1.0, 4.0], [2.0], [], [3.0]]), label="src")
    pop = sim.Population(5, sim.IF_curr_exp(i_offset=1.5, tau_refrac=2.0), label="pop")
    sim.Projection(src, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5, delay=1.0))
    src.record("spikes")
    pop.record(["spikes", "v"])
    pop[0:2].record("gsyn_exc")
    sim.run(30.0)
    yield src, pop
    sim.end()


def test_results_tables(ran):
    src, pop = ran
    res = sim.results()
    assert isinstance(res.spikes, pa.Table) and isinstance(res.samples, pa.Table)
    assert res.spikes.column_names == ["population", "neuron", "tick", "time_ms", "segment"]
    assert res.samples.column_names == ["population", "variable", "neuron", "tick", "time_ms",
                                        "value", "raw", "segment"]
    spikes, samples = res                                   # unpacks as a pair
    assert spikes is res.spikes and samples is res["samples"]
    src_spikes = spikes.filter(pa.compute.equal(spikes["population"], "src"))
    assert sorted(zip(src_spikes["neuron"].to_pylist(), src_spikes["time_ms"].to_pylist())) == \
        [(0, 1.0), (0, 4.0), (1, 2.0), (3, 3.0)]
    v = samples.filter(pa.compute.equal(samples["variable"], "v"))
    assert len(v) == 30 * 5
    assert np.array_equal(v["raw"].to_numpy() / 2 ** 15, v["value"].to_numpy())


def test_population_tables_match_neo(ran):
    src, pop = ran
    res = pop.get_data_arrow()
    assert set(res.spikes["population"].to_pylist()) == {"pop"}
    assert set(res.samples["variable"].to_pylist()) == {"v", "gsyn_exc"}
    seg = pop.get_data().segments[0]
    assert len(res.spikes) == sum(len(st) for st in seg.spiketrains)
    v = np.asarray(seg.filter(name="v")[0])
    tv = res.samples.filter(pa.compute.equal(res.samples["variable"], "v")).to_pandas()
    mat = tv.pivot(index="tick", columns="neuron", values="value").to_numpy()
    assert np.array_equal(mat, v)
    only_v = pop.get_data_arrow("v")
    assert len(only_v.spikes) == 0 and set(only_v.samples["variable"].to_pylist()) == {"v"}
    view = pop[[1, 3]].get_data_arrow("spikes")
    assert set(view.spikes["neuron"].to_pylist()) <= {1, 3}


def test_polars_and_pandas_without_copies(ran):
    src, pop = ran
    res = sim.results()
    frames = res.to_polars()
    assert isinstance(frames.spikes, pl.DataFrame) and isinstance(frames.samples, pl.DataFrame)
    assert frames.samples.height == len(res.samples)
    # polars reads the Arrow buffers in place
    col = res.samples["value"].chunk(0)
    pl_col = frames.samples["value"].to_arrow()
    assert pl_col.buffers()[1].address == col.buffers()[1].address
    pdf = res.to_pandas()
    assert isinstance(pdf.samples, pd.DataFrame)
    assert isinstance(pdf.samples["value"].dtype, pd.ArrowDtype)
    assert pdf.samples["value"].array._pa_array.chunk(0).buffers()[1].address == col.buffers()[1].address
    assert sim.to_polars(res.spikes).height == len(res.spikes)
    assert len(sim.to_pandas(res.spikes)) == len(res.spikes)


def test_provenance(ran):
    prov = sim.provenance()
    assert isinstance(prov, pa.Table)
    assert {"core", "population"} <= set(prov.column_names)
    assert set(prov["population"].to_pylist()) >= {"pop", "src"}


def test_results_before_any_run_are_empty():
    sim.setup(timestep=1.0)
    sim.Population(2, sim.IF_curr_exp())
    res = sim.results()
    assert len(res.spikes) == 0 and len(res.samples) == 0
    sim.end()
