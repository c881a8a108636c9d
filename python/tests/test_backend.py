"""The engine choice: backend="gpu" gives the spikes, v and provenance of backend="cpu", bit for bit,
through the core's Simulation and through spinnsim.pynn's setup(backend=...).

Without a GPU adapter the GPU comparisons are skipped, except in CI (CI set), which installs
lavapipe (Vulkan on the CPU) and must run them.
"""

import json
import pathlib
import tomllib

import numpy as np
import pytest
from pyNN import errors

import spinnsim
import spinnsim.pynn as sim
from conftest import gpu_or_skip

DATASETS = pathlib.Path(__file__).resolve().parents[2] / "datasets"


def tables(s):
    spikes = s.spikes().to_pyarrow().to_pydict()
    samples = s.samples().to_pyarrow().to_pydict()
    return spikes, samples


def test_backend_names_are_checked_by_the_core():
    net = json.dumps({"timestep": 1.0, "population": [{"label": "p", "size": 1, "cell_type": "IF_curr_exp"}]})
    with pytest.raises(spinnsim.SpinnsimError, match="auto, cpu or gpu"):
        spinnsim.Simulation(net, backend="cuda")
    cpu = spinnsim.Simulation(net, backend="cpu")
    assert cpu.backend() == "cpu" and cpu.adapter() is None
    assert spinnsim.Simulation(net).backend() in ("cpu", "gpu")   # auto
    for d in spinnsim.devices():
        assert {"name", "backend", "device_type", "driver", "is_hardware",
                "max_storage_buffer_binding_size"} <= set(d)


def test_gpu_backend_equals_cpu_backend_through_the_core():
    gpu_or_skip()
    net = tomllib.loads((DATASETS / "synfire.toml").read_text())
    text = json.dumps(net)
    sims = {b: spinnsim.Simulation(text, profile="spinnaker-2019", threads=1, backend=b) for b in ("cpu", "gpu")}
    assert sims["gpu"].backend() == "gpu" and sims["gpu"].adapter()["name"]
    assert "backend gpu" in repr(sims["gpu"])
    for s in sims.values():
        s.run(120)
        s.set("pop_1", "i_offset", 0.3)
        s.run(80)
        s.set_spike_times("inputSSA_1", [[5.0, 9.0]])
        s.reset()
        s.run(60)
        s.reset(reload=True)
        s.set("pop_1", "v", -62.0)
        s.run(50)
    cpu, gpu = sims["cpu"], sims["gpu"]
    assert tables(cpu) == tables(gpu)
    assert len(tables(cpu)[0]["tick"]) > 0
    assert cpu.provenance().to_pyarrow().equals(gpu.provenance().to_pyarrow())
    assert np.array_equal(cpu.connections(0), gpu.connections(0))
    assert cpu.warnings() == gpu.warnings()
    assert cpu.current_time() == gpu.current_time() == 50.0


def pynn_run(backend):
    sim.setup(timestep=1.0, backend=backend, threads=1, seed=11)
    src = sim.Population(8, sim.SpikeSourcePoisson(rate=80.0), label="src", seed=5)
    arr = sim.Population(2, sim.SpikeSourceArray(spike_times=[[3.0, 20.0], [7.0]]), label="arr")
    exc = sim.Population(20, sim.IF_curr_exp(tau_refrac=2.0, i_offset=0.2), label="exc")
    inh = sim.Population(6, sim.IF_cond_exp(), label="inh")
    sim.Projection(src, exc, sim.FixedProbabilityConnector(0.4, rng=sim.NumpyRNG(seed=2)),
                   sim.StaticSynapse(weight=1.2, delay=2.0))
    sim.Projection(arr, exc, sim.AllToAllConnector(), sim.StaticSynapse(weight=3.0, delay=1.0))
    sim.Projection(exc, inh, sim.FixedProbabilityConnector(0.5, rng=sim.NumpyRNG(seed=3)),
                   sim.StaticSynapse(weight=0.02, delay=30.0), receptor_type="excitatory")
    sim.Projection(inh, exc, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5, delay=3.0),
                   receptor_type="inhibitory")
    dc = sim.DCSource(amplitude=0.4, start=10.0, stop=60.0)
    inh.inject(dc)
    exc.record(["spikes", "v"])
    inh.record(["spikes", "v"])
    sim.run(70.0)
    ran_on = sim.get_backend()
    exc.set(i_offset=0.5)
    dc.set_parameters(amplitude=0.6)
    sim.run(50.0)
    sim.reset()
    sim.run(40.0)
    out = []
    for pop in (exc, inh):
        block = pop.get_data(["spikes", "v"])
        for seg in block.segments:
            out.append([np.asarray(st.times.magnitude) for st in seg.spiketrains])
            out.append(np.asarray(seg.filter(name="v")[0].magnitude))
    sim.end()
    return ran_on, out


@pytest.mark.filterwarnings("ignore:reset after")
def test_setup_backend_gpu_gives_the_spikes_and_v_of_backend_cpu():
    gpu_or_skip()
    ran_cpu, cpu = pynn_run("cpu")
    ran_gpu, gpu = pynn_run("gpu")
    assert (ran_cpu, ran_gpu) == ("cpu", "gpu")
    assert len(cpu) == len(gpu) == 8
    n_spikes = 0
    for a, b in zip(cpu, gpu):
        if isinstance(a, list):
            assert len(a) == len(b)
            for x, y in zip(a, b):
                assert np.array_equal(x, y)
                n_spikes += len(x)
        else:
            assert a.shape == b.shape and np.array_equal(a, b)
    assert n_spikes > 0


def test_setup_backend_auto_runs_and_unknown_backend_is_refused():
    with pytest.raises(errors.InvalidParameterValueError, match="backend"):
        sim.setup(timestep=1.0, backend="cuda")
    sim.setup(timestep=1.0, backend="auto")
    assert sim.get_backend() is None
    sim.Population(2, sim.IF_curr_exp(i_offset=1.0)).record("spikes")
    sim.run(10.0)
    assert sim.get_backend() in ("cpu", "gpu")
    sim.end()
