"""Parameter sweeps: many instances of a network, each giving exactly what a single run of its own
network gives, written as one dataset that polars, pyarrow and pandas read whole (docs/sweeps.md).

A sweep is a network (a network file, a dict in the form of one, or a build function, an ordinary
``spinnsim.pynn`` script written as ``def build(p, cfg): ...`` that does not call ``run``),
``run_ms`` and axes::

    from spinnsim.sweep import Sweep

    sweep = Sweep("datasets/vogels_abbott_cuba.toml", run_ms=1000, axes={
        "w_exc": {"path": "projection.exc_exc.weight", "linspace": {"start": 0.002, "stop": 0.006, "num": 5}},
        "seed": {"path": "seed", "values": [1, 2, 3]},
    })
    sweep.run("out")                          # or plan once and run shards: run_shard("out", i, n)
    summary = Sweep.scan("out", "summary")    # a polars LazyFrame of the committed batches

An axis of a file or dict network is ``{"path": ..., <values>}`` or the shorthand
``(path, [values...])``; an axis of a build function has no path (its value is ``cfg[name]``),
and may be given as a plain list of values. Values are ``values``, ``linspace``, ``range``,
``logspace`` or, for ``method="random"``, a ``distribution``; they are computed by the core, as
for a sweep file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import _spinnsim as _core

__all__ = ["Sweep", "run_shard", "scan", "TABLES"]

TABLES = ("summary", "spikes", "samples", "provenance", "connections")
"""The tables a sweep can write, one folder of the output each."""

Network = str | os.PathLike[str] | Mapping[str, Any] | Callable[[Any, dict[str, Any]], None]
Axis = Mapping[str, Any] | tuple[str, Sequence[Any]] | Sequence[Any]


def _axis_entry(name: str, axis: Axis, built: bool) -> dict[str, Any]:
    """An axis in the form of a sweep file's ``[[axis]]`` table."""
    if isinstance(axis, Mapping):
        entry = {"name": name, **axis}
    elif isinstance(axis, tuple) and len(axis) == 2 and isinstance(axis[0], str) and not built:
        entry = {"name": name, "path": axis[0], "values": list(axis[1])}
    elif isinstance(axis, Sequence) and not isinstance(axis, str) and built:
        entry = {"name": name, "values": list(axis)}
    else:
        form = "a list of values or a dict" if built else "(path, values) or a dict with a path"
        raise TypeError(f"axis {name!r}: give {form}, not {axis!r}")
    if built and "path" in entry:
        raise ValueError(f"axis {name!r}: a build function takes its value as cfg[{name!r}]; give no path")
    if not built and "path" not in entry:
        raise ValueError(f"axis {name!r}: give the path of the value in the network (e.g. 'projection.e2e.weight')")
    for key in ("values", "choice"):
        if key in entry and not isinstance(entry[key], list):
            entry[key] = list(entry[key])
    return entry


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as Python numbers and lists, for JSON."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{value!r} cannot be a value of a sweep")


class Sweep:
    """A parameter sweep (see the module). Bad axes (an unknown path, a wrong type, a value the
    network refuses) raise ``SpinnsimError`` naming the axis and the value before anything runs."""

    def __init__(self, network: Network, run_ms: float, axes: Mapping[str, Axis], *, method: str = "grid",
                 tables: Sequence[str] = ("summary",), profile: str = "spinnaker-7", batch_size: int = 64,
                 n: int | None = None, seed: int | None = None,
                 points: Sequence[Mapping[str, Any]] | None = None) -> None:
        self.network = network
        self.build = network if callable(network) else None
        built = self.build is not None
        self.axes = [_axis_entry(name, axis, built) for name, axis in axes.items()]
        self.spec: dict[str, Any] = {"run_ms": float(run_ms), "method": method, "tables": list(tables),
                                     "profile": profile, "batch_size": int(batch_size), "n": n, "seed": seed,
                                     "axis": self.axes}
        if points is not None:
            self.spec["point"] = [dict(p) for p in points]
        unknown = [t for t in tables if t not in TABLES]
        if unknown:
            raise ValueError(f"unknown tables {unknown}: use {', '.join(TABLES)}")

    @property
    def names(self) -> list[str]:
        """The axes' names: the columns of instances.parquet."""
        return [a["name"] for a in self.axes]

    def _spec_json(self, spec: Mapping[str, Any] | None = None) -> str:
        return json.dumps(spec if spec is not None else self.spec, allow_nan=False, default=_plain)

    def points(self) -> list[dict[str, Any]]:
        """Every instance's values, in instance order."""
        rows = json.loads(_core.sweep_points(self._spec_json()))
        return [dict(zip(self.names, row)) for row in rows]

    def _sources(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        """The network arguments of the core's sweep functions."""
        if self.build is not None:
            rows = json.loads(_core.sweep_points(self._spec_json(spec)))
            return {"networks_json": [_built_network(self.build, dict(zip(self.names, r))) for r in rows]}
        if isinstance(self.network, Mapping):
            return {"base_json": json.dumps(self.network, allow_nan=False, default=_plain)}
        return {"base_toml": Path(self.network).read_text()}

    def plan(self, out: str | os.PathLike[str]) -> tuple[int, int]:
        """Maps every instance and writes the folder (sweep.toml, plan.toml, instances.parquet);
        returns (instances, batches). Planning the same sweep into its folder again is a no-op; a
        folder of another sweep is refused."""
        return _core.sweep_plan(self._spec_json(), os.fspath(out), **self._sources(self.spec))

    def run(self, out: str | os.PathLike[str], *, backend: str = "auto", threads: int | None = None,
            shard: tuple[int, int] = (0, 1)) -> dict[str, Any]:
        """Plans the sweep into ``out`` (unless it is planned there; a folder of another sweep is
        refused) and runs the uncommitted batches of ``shard`` (index, count). Returns what
        :func:`run_shard` returns."""
        self.plan(out)
        return run_shard(out, shard[0], shard[1], backend=backend, threads=threads)

    def evaluate(self, points: Sequence[Mapping[str, Any]], *, backend: str = "auto",
                 threads: int | None = None) -> dict[str, _core.ArrowTable]:
        """Runs ``points`` (dicts of axis values) now and writes nothing, for ask-and-tell
        optimisers such as Optuna: ``{"instances": ..., "summary": ..., ...}`` (the tables of the
        sweep, each with the ``instance`` column, the points' order)."""
        spec = {**self.spec, "method": "list", "point": [dict(p) for p in points], "n": None, "seed": None}
        spec["axis"] = [{k: v for k, v in a.items() if k in ("name", "path")} for a in self.axes]
        instances, tables = _core.sweep_evaluate(self._spec_json(spec), backend=backend, threads=threads,
                                                 **self._sources(spec))
        return {"instances": instances, **tables}

    @staticmethod
    def scan(out: str | os.PathLike[str], table: str) -> Any:
        """The committed batches of a table as a polars LazyFrame (see :func:`scan`)."""
        return scan(out, table)


def _built_network(build: Callable[[Any, dict[str, Any]], None], cfg: dict[str, Any]) -> str:
    """The network (JSON) that ``build(p, cfg)`` makes with ``spinnsim.pynn``."""
    from . import pynn
    from .pynn.simulator import state
    build(pynn, cfg)
    if not state.is_setup:
        raise RuntimeError("the build function must call p.setup(...) first")
    try:
        if state.t > 0:
            raise RuntimeError("the build function must not call p.run(...): the sweep runs the network")
        return state.network_json()
    finally:
        pynn.end()


def run_shard(out: str | os.PathLike[str], index: int = 0, count: int = 1, *, backend: str = "auto",
              threads: int | None = None, stale_after_s: int = 6 * 3600) -> dict[str, Any]:
    """Runs the uncommitted batches ``b`` with ``b % count == index`` of a planned folder, each under
    its lock: what a Slurm array task, a Ray task or a Dask task calls. Returns ``{"committed":
    [batch ids], "failed": [(instance, message)], "skipped": [batches another worker holds],
    "already": batches committed before}``."""
    return _core.sweep_run_shard(os.fspath(out), index, count, backend=backend, threads=threads,
                                 stale_after_s=stale_after_s)


def scan(out: str | os.PathLike[str], table: str) -> Any:
    """The files of ``table`` of the batches committed so far, as a polars LazyFrame (with the
    ``instance`` column; join ``pl.read_parquet(out / "instances.parquet")`` on it for the axes'
    values). A batch still running is left out; no half-written file is ever read."""
    import polars as pl
    files = _core.sweep_committed_files(os.fspath(out), table)
    if not files:
        return pl.LazyFrame()
    return pl.scan_parquet(files)
