"""
Results as Arrow tables: the core hands its spikes and samples over through the Arrow PyCapsule
interface, so the pyarrow tables share the core's buffers (no copy); polars and pandas frames are
made from them without copying either (pandas with Arrow-backed dtypes).

* ``spinnsim.pynn.results()``: every population's recordings (a Results);
* ``Population.get_data_arrow()``: one population's (or view's) recordings, filtered;
* ``spinnsim.pynn.provenance()``: the per-core counters (a pyarrow table).

The ``segment`` column counts the resets before the data (the core's numbering); ``population``
holds the population's label (made unique if the script used one label twice: see
``Population.spinnaker_label``).
"""

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .simulator import state


def to_polars(table: Any) -> Any:
    """A polars DataFrame over the table's buffers."""
    import polars as pl
    return pl.from_arrow(table, rechunk=False)


def to_pandas(table: Any) -> Any:
    """A pandas DataFrame with Arrow-backed columns (the table's buffers, no copy)."""
    import pandas as pd
    return table.to_pandas(types_mapper=pd.ArrowDtype)


class Results:
    """Spikes and samples as pyarrow tables: ``results.spikes``, ``results.samples``;
    ``spikes, samples = results``; ``to_polars()`` and ``to_pandas()`` give the same pair as
    DataFrames."""

    def __init__(self, spikes: Any, samples: Any) -> None:
        self.spikes = spikes
        self.samples = samples

    def __iter__(self) -> Iterator[Any]:
        return iter((self.spikes, self.samples))

    def __getitem__(self, key: int | str) -> Any:
        if key in (0, "spikes"):
            return self.spikes
        if key in (1, "samples"):
            return self.samples
        raise KeyError(key)

    def to_polars(self) -> "Results":
        return Results(to_polars(self.spikes), to_polars(self.samples))

    def to_pandas(self) -> "Results":
        return Results(to_pandas(self.spikes), to_pandas(self.samples))

    def __repr__(self) -> str:
        return f"Results(spikes: {len(self.spikes)} rows, samples: {len(self.samples)} rows)"


def _empty():
    import pyarrow as pa
    spikes = pa.table({"population": pa.array([], pa.string()), "neuron": pa.array([], pa.uint32()),
                       "tick": pa.array([], pa.uint32()), "time_ms": pa.array([], pa.float64()),
                       "segment": pa.array([], pa.uint32())})
    samples = pa.table({"population": pa.array([], pa.string()), "variable": pa.array([], pa.string()),
                        "neuron": pa.array([], pa.uint32()), "tick": pa.array([], pa.uint32()),
                        "time_ms": pa.array([], pa.float64()), "value": pa.array([], pa.float64()),
                        "raw": pa.array([], pa.int32()), "segment": pa.array([], pa.uint32())})
    return Results(spikes, samples)


def _with_offset(table, offset):
    if offset == 0:
        return table
    import pyarrow as pa
    import pyarrow.compute as pc
    i = table.schema.get_field_index("segment")
    seg = pc.add(table["segment"], pa.scalar(offset, table.schema.field(i).type))
    return table.set_column(i, table.schema.field(i), seg)


def results() -> Results:
    """Every recording of the session as a Results of pyarrow tables. With one simulation (no
    structural change after a reset) the tables are the core's own buffers."""
    import pyarrow as pa
    sims = state.all_sims()
    if not sims:
        return _empty()
    spikes, samples = [], []
    offset = 0
    for sim in sims:
        s, m = state.tables(sim)
        spikes.append(_with_offset(s, offset))
        samples.append(_with_offset(m, offset))
        segs = [x.core_segment for x in state.segments if x.sim is sim]
        if sim is state.sim:
            segs.append(state.core_segment)
        offset += (max(segs) + 1) if segs else 1
    if len(sims) == 1:
        return Results(spikes[0], samples[0])
    return Results(pa.concat_tables(spikes), pa.concat_tables(samples))


def population_results(label: str, neurons: Sequence[int] | np.ndarray | None = None,
                       variables: str | Sequence[str] | None = 'all') -> Results:
    """One population's recordings as a Results: the population with this core label
    (``Population.spinnaker_label``), only the given neurons of it if ``neurons`` is not None (a
    view's indices in its population)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    res = results()
    key = pa.scalar(label)
    spikes = res.spikes.filter(pc.equal(res.spikes["population"], key))
    samples = res.samples.filter(pc.equal(res.samples["population"], key))
    if neurons is not None:
        idx = pa.array(np.asarray(neurons, dtype=np.uint32))
        spikes = spikes.filter(pc.is_in(spikes["neuron"], value_set=idx))
        samples = samples.filter(pc.is_in(samples["neuron"], value_set=idx))
    if variables not in ('all', None):
        names = [variables] if isinstance(variables, str) else list(variables)
        if "spikes" not in names:
            spikes = spikes.slice(0, 0)
        signals = [n for n in names if n != "spikes"]
        samples = samples.filter(pc.is_in(samples["variable"], value_set=pa.array(signals, pa.string())))
    return Results(spikes, samples)


def concat_results(parts: Sequence[Results]) -> Results:
    import pyarrow as pa
    if not parts:
        return _empty()
    return Results(pa.concat_tables([p.spikes for p in parts]),
                   pa.concat_tables([p.samples for p in parts]))


def provenance() -> Any:
    """The per-core provenance counters of the current simulation (a pyarrow table): core,
    population, then one column per counter."""
    if state.sim is None:
        raise RuntimeError("provenance() needs a network that has been built (call run() first)")
    return state.sim.provenance().to_pyarrow()


def spinnaker_get_data(pop: Any, variable: str, as_matrix: bool = False) -> np.ndarray:
    """sPyNNaker's ``spinnaker_get_data``: spikes as (neuron, time) rows, a signal as
    (neuron, time, value) rows, of the current (last) segment."""
    block = pop.get_data(variable)
    seg = block.segments[-1]
    if variable == "spikes":
        rows = [(st.annotations["source_index"], t) for st in seg.spiketrains for t in st.magnitude]
        return np.array(rows, dtype=float).reshape(-1, 2)
    sig = seg.filter(name=variable)[0]
    if as_matrix:
        return np.asarray(sig.magnitude)
    times = sig.times.rescale("ms").magnitude
    idx = sig.array_annotations["channel_index"]
    rows = [(i, t, v) for k, i in enumerate(idx) for t, v in zip(times, sig.magnitude[:, k])]
    return np.array(rows, dtype=float).reshape(-1, 3)
