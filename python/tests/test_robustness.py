"""Odd inputs from Python: errors Python can catch, runs that Ctrl-C stops, warnings where the
machine does something the script did not ask, and what `pip install .` brings (the `spinnsim`
command, the tutorial)."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from pyNN import errors

import spinnsim
import spinnsim.pynn as sim
from spinnsim import SpinnsimError

ROOT = Path(__file__).resolve().parents[2]


def test_an_empty_network_runs():
    s = spinnsim.Simulation("{}")
    s.run(10)
    assert s.current_time() == 10.0
    sim.setup()
    sim.run(10)
    assert sim.get_current_time() == 10.0
    sim.end()


def test_a_panic_is_a_spinnsim_error_that_except_exception_catches():
    with pytest.raises(SpinnsimError, match="internal error .* on purpose"):
        spinnsim._spinnsim._panic_for_tests()
    try:
        spinnsim._spinnsim._panic_for_tests()
    except Exception as e:  # noqa: BLE001 - the point: a plain `except Exception` catches it
        assert "bug in spinnsim" in str(e)


@pytest.mark.parametrize("rng", [None, "numpy"])
def test_a_connector_with_nothing_to_draw_from_is_refused_at_once(rng):
    from pyNN.random import NumpyRNG
    sim.setup()
    a = sim.Population(1, sim.IF_curr_exp(), label="a")
    start = time.monotonic()
    with pytest.raises(errors.InvalidParameterValueError, match="no pairs of neurons to choose from"):
        sim.Projection(a, a, sim.FixedTotalNumberConnector(1, allow_self_connections=False,
                                                           rng=NumpyRNG(1) if rng else None),
                       sim.StaticSynapse(weight=0.1, delay=1.0))
        sim.run(1)
    assert time.monotonic() - start < 10
    sim.end()


def test_what_the_machine_does_differently_comes_as_a_warning():
    sim.setup()
    sim.Population(2, sim.SpikeSourcePoisson(rate=70000.0), label="fast")
    with pytest.warns(sim.SpinnsimWarning, match="70000.0 Hz runs at 4464.0 Hz|70000 Hz runs at 4464 Hz"):
        sim.run(1)
    sim.end()


CTRL_C = """
import sys, json, spinnsim
net = {"population": [{"label": "a", "size": 200, "cell_type": "IF_curr_exp",
                       "parameters": {"i_offset": 2.0}, "record": [{"variable": "spikes"}]}]}
sim = spinnsim.Simulation(json.dumps(net), backend=sys.argv[1])
print("running", flush=True)
try:
    sim.run(1e9)
except KeyboardInterrupt:
    print("interrupted", sim.current_time(), flush=True)
    print("recorded", sim.spikes().num_rows, flush=True)
    sim.run(5)   # the simulation carries on from where it stopped
    print("resumed", sim.current_time(), flush=True)
"""


def test_ctrl_c_stops_a_run_within_a_fraction_of_a_second(backend):
    child = subprocess.Popen([sys.executable, "-c", CTRL_C, backend], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "running"
    time.sleep(1.0)
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    line = child.stdout.readline().split()
    stopped = time.monotonic() - sent
    # The rest from the same buffered reader (communicate() would miss what readline buffered).
    rest, err = child.stdout.read(), child.stderr.read()
    child.wait(timeout=120)
    assert line[:1] == ["interrupted"], (line, err)
    assert stopped < 0.5, f"stopped {stopped:.2f} s after Ctrl-C"
    t = float(line[1])
    rest = rest.split()
    assert t > 0 and rest[0] == "recorded" and int(rest[1]) > 0, rest
    assert rest[2:] == ["resumed", str(t + 5.0)]


def test_the_spinnsim_command_is_installed(tmp_path):
    exe = shutil.which("spinnsim")
    assert exe, "pip install puts the `spinnsim` command on PATH"
    out = tmp_path / "out"
    run = subprocess.run([exe, "run", str(ROOT / "datasets" / "synfire.toml"), "--out", str(out),
                          "--backend", "cpu"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "pop_1: 27 spikes" in run.stdout and (out / "spikes.arrow").exists()
    bad = subprocess.run([exe, "run", str(ROOT / "datasets" / "synfire.toml"), "--time", "-5"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and bad.stderr.startswith("error: --time -5"), bad.stderr
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
    assert version.stdout.strip() == f"spinnsim {spinnsim.__version__}"


def test_the_tutorial_of_the_readme_plots(tmp_path):
    env = dict(os.environ)
    env.pop("XDG_RUNTIME_DIR", None)
    run = subprocess.run([sys.executable, str(ROOT / "examples" / "tutorial.py"), str(tmp_path / "t.png")],
                         capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "t.png").stat().st_size > 10_000
    assert "excitatory:" in run.stdout and "error" not in run.stderr.lower(), run.stderr
    rate = float(run.stdout.split("excitatory:")[1].split("Hz")[0])
    assert 1.0 < rate < 100.0, run.stdout


def test_distribution_parameters_that_cannot_be_drawn_are_errors():
    for dist in ({"distribution": "poisson", "lam": 1e20},
                 {"distribution": "uniform", "low": -1.7e308, "high": 1.7e308}):
        net = {"population": [{"label": "a", "size": 3, "cell_type": "IF_curr_exp",
                               "parameters": {"v": dist}}]}
        with pytest.raises(SpinnsimError, match="parameter `v`"):
            spinnsim.Simulation(json.dumps(net))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net = {"population": [{"label": "a", "size": 3, "cell_type": "IF_curr_exp",
                               "parameters": {"v": {"distribution": "vonmises", "mu": -65, "kappa": 1e-12}}}]}
        spinnsim.Simulation(json.dumps(net)).run(1)


def test_get_data_of_a_large_population_takes_linear_time():
    """neo's SpikeTrainList.append is quadratic in the trains already there; 50,000 recorded
    neurons took minutes through it."""
    sim.setup(timestep=1.0)
    pop = sim.Population(50_000, sim.SpikeSourceArray(spike_times=[1.0, 3.0]), label="many")
    pop.record("spikes")
    sim.run(5)
    start = time.monotonic()
    trains = pop.get_data().segments[0].spiketrains
    assert len(trains) == 50_000 and all(len(st) == 2 for st in trains[:100])
    assert time.monotonic() - start < 60
    sim.end()
