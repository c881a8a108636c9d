"""Wrong use raises PyNN's own exceptions with clear messages, never a crash of the core."""

import numpy as np
import pytest
from pyNN import errors
from pyNN.standardmodels.cells import HH_cond_exp

import spinnsim.pynn as sim


@pytest.fixture(autouse=True)
def session():
    sim.setup(timestep=1.0)
    yield
    sim.end()


def test_unknown_cell_parameter():
    with pytest.raises(errors.NonExistentParameterError, match="tau_x"):
        sim.IF_curr_exp(tau_x=3.0)
    pop = sim.Population(3, sim.IF_curr_exp())
    with pytest.raises(errors.NonExistentParameterError):
        pop.get("e_rev_E")
    with pytest.raises(errors.NonExistentParameterError):
        pop.set(foo=1.0)
    with pytest.raises(errors.NonExistentParameterError):
        pop.initialize(w=0.0)


@pytest.mark.parametrize("params", [
    {"tau_m": -1.0}, {"cm": 0.0}, {"tau_syn_E": 0.0}, {"tau_refrac": -0.5},
    {"v_thresh": 1e6}, {"i_offset": float("nan")}, {"v_rest": float("inf")},
])
def test_invalid_parameter_values(params):
    with pytest.raises(errors.InvalidParameterValueError, match=list(params)[0]):
        sim.Population(2, sim.IF_curr_exp(**params))


def test_invalid_values_after_a_run_are_refused_before_reaching_the_core():
    pop = sim.Population(2, sim.IF_curr_exp())
    sim.run(5.0)
    with pytest.raises(errors.InvalidParameterValueError, match="tau_m"):
        pop.set(tau_m=0.0)
    with pytest.raises(errors.InvalidParameterValueError):
        pop.set(v_reset=[1e9, 0.0])
    with pytest.raises(errors.InvalidParameterValueError):
        sim.Population(1, sim.SpikeSourcePoisson(rate=-1.0))


def test_recording_errors():
    pop = sim.Population(2, sim.IF_curr_exp())
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[1.0]))
    with pytest.raises(errors.RecordingError):
        pop.record("u")
    with pytest.raises(errors.RecordingError):
        src.record("v")
    pop.record("spikes")
    sim.run(3.0)
    with pytest.raises(errors.RecordingError, match="was not recorded"):
        pop.get_data("v")
    with pytest.raises(errors.RecordingError):
        pop.get_data("w")


def test_sampling_interval_must_be_a_multiple_of_the_timestep():
    pop = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(errors.InvalidParameterValueError, match="sampling_interval"):
        pop.record("v", sampling_interval=1.5)


def test_connection_errors():
    pre = sim.Population(3, sim.IF_curr_exp())
    src = sim.Population(3, sim.SpikeSourcePoisson())
    with pytest.raises(errors.ConnectionError, match="spike source"):
        sim.Projection(pre, src, sim.AllToAllConnector())
    with pytest.raises(errors.ConnectionError, match="receptor_type"):
        sim.Projection(src, pre, sim.AllToAllConnector(), receptor_type="NMDA")
    with pytest.raises(errors.ConnectionError, match="all positive or all negative"):
        sim.Projection(src, pre, sim.FromListConnector([(0, 0, 0.5, 1.0), (1, 1, -0.5, 1.0)]))
    with pytest.raises(errors.ConnectionError, match="below one timestep"):
        sim.Projection(src, pre, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.1, delay=0.5))
    with pytest.raises(errors.ConnectionError, match="outside"):
        sim.Projection(src, pre, sim.FromListConnector([(0, 7, 0.5, 1.0)]))
    with pytest.raises(errors.ConnectionError):
        sim.Projection(src, pre, sim.FromListConnector([(9, 0, 0.5, 1.0)]))
    with pytest.raises(errors.InvalidParameterValueError, match="p_connect"):
        sim.FixedProbabilityConnector(p=1.5)
    with pytest.raises(errors.InvalidParameterValueError):
        sim.FixedNumberPreConnector(-2)


def test_projection_get_errors():
    src = sim.Population(3, sim.SpikeSourcePoisson())
    post = sim.Population(3, sim.IF_curr_exp())
    prj = sim.Projection(src, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.5))
    with pytest.raises(errors.NonExistentParameterError):
        prj.get("tau_plus", format="list")
    with pytest.raises(ValueError, match="format"):
        prj.get("weight", format="matrix")
    with pytest.raises(errors.NonExistentParameterError):
        prj.set(U=0.5)


def test_unsupported_models_and_sources():
    with pytest.raises(errors.InvalidModelError):
        sim.Population(2, HH_cond_exp())
    with pytest.raises(NotImplementedError, match="ACSource"):
        sim.ACSource(amplitude=1.0)
    with pytest.raises(NotImplementedError, match="STDP"):
        sim.STDPMechanism()
    with pytest.raises(TypeError, match="spike source"):
        sim.Population(2, sim.SpikeSourceArray()).inject(sim.DCSource(amplitude=1.0))
    with pytest.raises(errors.InvalidParameterValueError, match="start"):
        sim.DCSource(amplitude=1.0, start=10.0, stop=5.0)
    with pytest.raises(errors.InvalidParameterValueError):
        sim.StepCurrentSource(times=[5.0, 1.0], amplitudes=[1.0, 0.0])


def test_setup_errors():
    with pytest.raises(errors.InvalidParameterValueError, match="profile"):
        sim.setup(timestep=1.0, profile="spinnaker-9")
    with pytest.raises(errors.InvalidParameterValueError, match="backend"):
        sim.setup(timestep=1.0, backend="tpu")
    with pytest.raises(errors.InvalidParameterValueError, match="min_delay"):
        sim.setup(timestep=1.0, min_delay=0.5)
    with pytest.raises(errors.InvalidParameterValueError, match="timestep"):
        sim.setup(timestep=-1.0)
    sim.setup(timestep=1.0)


def test_time_errors():
    sim.Population(1, sim.IF_curr_exp())
    sim.run(10.0)
    with pytest.raises(ValueError):
        sim.run(-1.0)
    with pytest.raises(ValueError, match="past"):
        sim.run_until(5.0)


def test_structural_changes_after_a_run_need_reset():
    pop = sim.Population(2, sim.IF_curr_exp())
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[1.0]))
    sim.run(5.0)
    with pytest.raises(sim.NetworkChangeError, match="reset"):
        sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(sim.NetworkChangeError):
        sim.Projection(src, pop, sim.OneToOneConnector())
    with pytest.raises(sim.NetworkChangeError):
        pop.record("v")
    with pytest.raises(sim.NetworkChangeError):
        sim.DCSource(amplitude=0.1).inject_into(pop)
    # nothing was half-done: the recording set is unchanged and the network still runs
    sim.run(5.0)
    assert pop.recorder.recorded_names() == []


def test_core_errors_are_pynn_errors_not_crashes():
    """Something only the core can detect (a row longer than SpiNNaker allows) is reported as
    an exception with the core's message."""
    pre = sim.Population(300, sim.SpikeSourceArray(spike_times=[1.0]))
    post = sim.Population(300, sim.IF_curr_exp())
    conns = [(0, j, 0.1, 1.0) for j in range(300)] * 4
    sim.Projection(pre, post, sim.FromListConnector(conns))
    with pytest.raises(sim.SpinnsimCoreError, match="a row has 1024 synapses"):
        sim.run(2.0)


def test_values_out_of_range_for_population_size():
    pop = sim.Population(3, sim.IF_curr_exp())
    with pytest.raises((errors.InvalidDimensionsError, ValueError)):
        pop.set(tau_m=np.array([10.0, 20.0]))
