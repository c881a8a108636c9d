"""What every test module shares: how a comparison that cannot run here is reported, and the
engine a feature test runs on."""

import functools
import json
import os

import pytest

import spinnsim


def skip_or_fail(why: str) -> None:
    """A test that cannot run on this machine: skipped here, a failure when CI is set (`.ci/run`
    installs and fetches everything the tests use, so lost coverage cannot pass unseen)."""
    if os.environ.get("CI"):
        pytest.fail(f"in CI every test must run, but: {why}")
    pytest.skip(why)


@functools.cache
def _no_gpu() -> str | None:
    """Why the GPU engine cannot run here (None when it can), asked once per session."""
    tiny = {"timestep": 1.0, "population": [{"label": "p", "size": 1, "cell_type": "IF_curr_exp"}]}
    try:
        spinnsim.Simulation(json.dumps(tiny), backend="gpu")
    except spinnsim.SpinnsimError as e:
        return str(e)
    return None


def gpu_or_skip() -> None:
    """A test of the GPU engine: skipped without a GPU adapter, a failure in CI (which installs
    lavapipe, Vulkan on the CPU)."""
    why = _no_gpu()
    if why is not None:
        skip_or_fail(f"no GPU adapter (CI installs lavapipe): {why}")


@pytest.fixture(scope="module", params=["cpu", "gpu"])
def backend(request) -> str:
    """The engine a feature test runs on: each test that takes `backend` runs on the CPU engine
    ([cpu]) and on the GPU engine ([gpu]), as GeNN's feature tests run on every backend. Module
    scope, so that module fixtures (a network run once for several tests) can take it too."""
    if request.param == "gpu":
        gpu_or_skip()
    return request.param
