"""spinnsim.sweep: sweeps from Python (file, dict and build-function networks), evaluate() for
ask-and-tell optimisers, readers of a running sweep, and the Dask recipe on a real local cluster."""

import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as pads
import pytest

import spinnsim
from conftest import skip_or_fail
from spinnsim import _spinnsim
from spinnsim.sweep import Sweep, scan

ROOT = Path(__file__).resolve().parents[2]
SYNFIRE = ROOT / "datasets" / "synfire.toml"


def single_run_spikes(network_toml: str, run_ms: float, backend: str = "cpu") -> pa.Table:
    """The spikes of one run of a network file's text, as `spinnsim run` would make them."""
    net = tomllib.loads(network_toml)
    sim = spinnsim.Simulation(json.dumps(net), backend=backend)
    sim.run(run_ms)
    return pa.table(sim.spikes())


def sweep_spikes(out: Path, instance: int) -> pa.Table:
    """An instance's rows of a sweep's spikes, without the instance column, as pyarrow reads them."""
    t = pads.dataset(out / "spikes", format="parquet").to_table(filter=pads.field("instance") == instance)
    return t.drop_columns(["instance"]).replace_schema_metadata(None)


def test_a_file_sweep_gives_each_instance_its_single_run(tmp_path, backend):
    sweep = Sweep(SYNFIRE, run_ms=150, tables=["summary", "spikes"], batch_size=2, axes={
        "w": ("projection.input.connector.conn_list.0.2", [2.0, 0.4]),
        "tau_m": {"path": "population.pop_1.parameters.tau_m", "linspace": {"start": 10.0, "stop": 30.0, "num": 3}},
    })
    assert sweep.points()[4] == {"w": 0.4, "tau_m": 20.0}
    report = sweep.run(tmp_path / "out", backend=backend)
    assert report["failed"] == [] and sorted(report["committed"]) == [0, 1, 2]
    out = tmp_path / "out"
    for i in range(6):
        want = single_run_spikes(_spinnsim.sweep_export(str(out), i), 150, backend)
        got = sweep_spikes(out, i)
        assert got.equals(want.replace_schema_metadata(None)), f"instance {i}"
    summary = scan(out, "summary").join(pl.scan_parquet(out / "instances.parquet"), on="instance").collect()
    assert summary.height == 6
    assert (summary.filter(pl.col("w") == 0.4)["spikes"] == 0).all()
    assert (summary.filter(pl.col("w") == 2.0)["spikes"] > 0).all()


def build(p, cfg):
    """An ordinary spinnsim.pynn script, as a function of a config."""
    p.setup(timestep=1.0)
    src = p.Population(1, p.SpikeSourceArray(spike_times=[1.0, 20.0]), label="src")
    cells = p.Population(cfg["n"], p.IF_curr_exp(tau_m=cfg["tau_m"]), label="cells")
    cells.record("spikes")
    p.Projection(src, cells, p.AllToAllConnector(), p.StaticSynapse(weight=cfg["w"], delay=1.0))


def direct(cfg, run_ms):
    """The same script run directly."""
    import spinnsim.pynn as p
    build(p, cfg)
    p.run(run_ms)
    spikes = p.simulator.state.sim.spikes()
    p.end()
    return pa.table(spikes)


def test_a_build_function_sweep_gives_what_its_script_gives(tmp_path):
    sweep = Sweep(build, run_ms=60, tables=["spikes", "summary"], axes={
        "n": [3, 5], "tau_m": [10.0, 25.0], "w": {"values": [2.0, 6.0]}, })
    assert len(sweep.points()) == 8
    sweep.run(tmp_path / "out", backend="cpu")
    inst = pl.read_parquet(tmp_path / "out" / "instances.parquet")
    assert inst.height == 8 and (inst["status"] == "ok").all()
    # n changes the structure: two structures, so at least two batches.
    assert inst["structure"].n_unique() == 2
    for row in inst.iter_rows(named=True):
        cfg = {"n": row["n"], "tau_m": row["tau_m"], "w": row["w"]}
        want = direct(cfg, 60)
        got = sweep_spikes(tmp_path / "out", row["instance"])
        assert got.equals(want.replace_schema_metadata(None)), cfg


def test_evaluate_gives_the_rows_a_folder_gets(tmp_path):
    sweep = Sweep(SYNFIRE, run_ms=100, tables=["summary", "spikes"], axes={
        "w": ("projection.input.connector.conn_list.0.2", [2.0, 0.4, 1.0])})
    sweep.run(tmp_path / "out", backend="cpu")
    res = sweep.evaluate([{"w": 1.0}, {"w": 2.0}], backend="cpu")
    got = pl.DataFrame(res["summary"])
    folder = scan(tmp_path / "out", "summary").collect()
    for k, w_index in enumerate([2, 0]):
        a = got.filter(pl.col("instance") == k).drop("instance")
        b = folder.filter(pl.col("instance") == w_index).drop("instance")
        assert a.equals(b), (k, a, b)
    assert pl.DataFrame(res["instances"])["w"].to_list() == [1.0, 2.0]


def test_points_are_numpys_linspace_and_logspace():
    axes = {"a": {"linspace": {"start": 0.1, "stop": 0.7, "num": 7}},
            "b": {"logspace": {"start": -3.0, "stop": 1.0, "num": 7}},
            "c": {"range": {"start": 0.5, "stop": 2.0, "step": 0.25}}}
    pts = Sweep(build, run_ms=1, method="zip", axes={k: v for k, v in axes.items() if k != "c"}).points()
    assert [p["a"] for p in pts] == np.linspace(0.1, 0.7, 7).tolist()
    assert [p["b"] for p in pts] == np.logspace(-3.0, 1.0, 7).tolist()
    pts = Sweep(build, run_ms=1, axes={"c": axes["c"]}).points()
    assert [p["c"] for p in pts] == np.arange(0.5, 2.0, 0.25).tolist()


def test_a_bad_axis_is_named_before_anything_runs(tmp_path):
    bad = Sweep(SYNFIRE, run_ms=10, axes={"tau": ("population.pop_1.parameters.tau_m", [10.0, -2.0])})
    with pytest.raises(spinnsim.SpinnsimError) as e:
        bad.run(tmp_path / "out")
    assert e.value.kind == "sweep"
    assert "axis `tau` (population.pop_1.parameters.tau_m) = -2.0" in str(e.value)
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match="give the path"):
        Sweep(SYNFIRE, run_ms=10, axes={"tau": {"values": [1.0]}})


def spinnsim_command() -> str:
    found = shutil.which("spinnsim")
    assert found, "the package puts the spinnsim command on PATH"
    return found


def test_readers_see_only_whole_files_while_a_sweep_runs(tmp_path):
    spec = tmp_path / "sweep.toml"
    spec.write_text(f'network = "{SYNFIRE}"\nrun_ms = 2000\nbatch_size = 1\ntables = ["summary", "spikes"]\n'
                    '[[axis]]\nname = "tau_m"\npath = "population.pop_1.parameters.tau_m"\n'
                    'linspace = { start = 5.0, stop = 40.0, num = 24 }\n')
    out = tmp_path / "out"
    subprocess.run([spinnsim_command(), "sweep", "plan", str(spec), "--out", str(out)], check=True)
    worker = subprocess.Popen([spinnsim_command(), "sweep", "run", str(out), "--backend", "cpu", "--threads", "1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = []
    try:
        while worker.poll() is None:
            if (out / "summary").exists():
                # The committed batches first: the folder readers then see at least those.
                n_scan = scan(out, "summary").collect().height
                n_pl = pl.scan_parquet(out / "summary").collect().height
                n_pa = pads.dataset(out / "summary", format="parquet", partitioning="hive").to_table().num_rows
                n_pd = len(pd.read_parquet(out / "summary"))
                assert n_pl >= n_scan and n_pa >= n_scan and n_pd >= n_scan
                seen.append(n_scan)
            time.sleep(0.01)
    finally:
        worker.wait()
    assert worker.returncode == 0
    assert seen == sorted(seen), "committed rows only grow"
    assert len(set(seen)) > 2, f"the readers ran while the sweep ran: {seen}"
    assert scan(out, "summary").collect().height == 24


def test_the_dask_recipe_runs_a_sweep_on_a_local_cluster(tmp_path):
    try:
        import dask.distributed  # noqa: F401
    except ImportError as e:
        skip_or_fail(f"dask.distributed is not installed: {e}")
    spec = tmp_path / "sweep.toml"
    spec.write_text(f'network = "{SYNFIRE}"\nrun_ms = 100\nbatch_size = 1\ntables = ["summary", "spikes"]\n'
                    '[[axis]]\nname = "tau_m"\npath = "population.pop_1.parameters.tau_m"\n'
                    'values = [8.0, 12.0, 20.0, 30.0, 40.0]\n')
    recipe = ROOT / "examples" / "sweeps" / "dask_sweep.py"
    env = {**os.environ, "PATH": f"{Path(spinnsim_command()).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run([sys.executable, str(recipe), str(spec), str(tmp_path / "dask"), "3"], check=True, env=env,
                   timeout=600)
    subprocess.run([spinnsim_command(), "sweep", "run", str(spec), "--out", str(tmp_path / "alone"),
                    "--backend", "cpu"], check=True)
    for table in ["summary", "spikes"]:
        for b in range(5):
            rel = Path(table) / f"batch={b}" / "part-0.parquet"
            assert (tmp_path / "dask" / rel).read_bytes() == (tmp_path / "alone" / rel).read_bytes(), rel


def test_running_another_sweep_into_a_folder_is_refused(tmp_path):
    axes = {"w": ("projection.input.connector.conn_list.0.2", [2.0])}
    Sweep(SYNFIRE, run_ms=10, axes=axes).run(tmp_path / "out", backend="cpu")
    again = Sweep(SYNFIRE, run_ms=10, axes=axes).run(tmp_path / "out", backend="cpu")
    assert again["already"] == 1 and again["committed"] == []
    with pytest.raises(spinnsim.SpinnsimError, match="resuming with a different spec is refused"):
        Sweep(SYNFIRE, run_ms=11, axes=axes).run(tmp_path / "out", backend="cpu")
