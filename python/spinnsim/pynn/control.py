"""
Simulation control: setup, end, run, run_until, reset and the state queries, with sPyNNaker's
conventions (timestep default and warnings, ``max_delay`` ignored, machine-only keywords accepted
with a warning) and spinnsim's own keywords (``profile``, ``backend``, ``threads``, ``seed``).
"""

from collections.abc import Callable, Sequence
from typing import Any

from pyNN import common, errors
from pyNN.recording import get_io

from . import simulator as _simulator
from .simulator import state, warn

PROFILES = ("spinnaker-7", "spinnaker-2019")
BACKENDS = ("auto", "cpu", "gpu")

# setup() keywords of sPyNNaker that mean nothing off the machine.
MACHINE_KEYWORDS = ("time_scale_factor", "n_chips_required", "n_boards_required",
                    "database_socket_addresses", "machine", "machine_name", "spalloc_server",
                    "remote_spinnaker_url", "graph_label", "n_boards", "version")


def setup(timestep: float | str | None = None, min_delay: float | str = 'auto', max_delay: float | str | None = None,
          profile: str = "spinnaker-7", backend: str = "auto", threads: int | None = None, seed: int = 0,
          draws: str = "machine", **extra_params: Any) -> int:
    """Starts a new simulation session (any previous network is discarded).

    As in sPyNNaker: ``timestep`` in ms (default 0.1 with a warning, ``'auto'`` = 1.0),
    ``min_delay`` ('auto' = one timestep), ``max_delay`` ignored with a warning, machine keywords
    (``time_scale_factor``, ``n_chips_required``, ``n_boards_required``, ...) ignored with a warning.

    spinnsim's own: ``profile`` ("spinnaker-7", the 7.4.1 binaries, or "spinnaker-2019", constants
    computed on the host as the 2019 software did), ``backend`` ("auto": the GPU engine when a
    hardware GPU is present, else the CPU engine; "cpu"; "gpu": the GPU engine on the best adapter,
    CPU-emulated ones such as lavapipe included, an error when there is none; the results are the
    same bit for bit; the environment variable SPINNSIM_ADAPTER picks an adapter by name),
    ``threads`` (engine threads; default: all cores), ``seed`` (every draw of the core's own
    generator and of distributions made without an rng derives from it), ``draws`` ("machine":
    the projections sPyNNaker generates on the machine are drawn as its synapse expander draws
    them, from the post-synaptic Population's ``seed``; "spinnsim": PyNN's connector code and the
    core's own generator, honouring connector and distribution rngs).
    """
    if timestep is None:
        warn("setup(): no timestep given; using PyNN's default of 0.1 ms "
             "(sPyNNaker is designed for 1 ms: consider setup(timestep=1.0))")
        timestep = 0.1
    elif timestep == "auto":
        timestep = 1.0
    try:
        timestep = float(timestep)
    except (TypeError, ValueError):
        raise errors.InvalidParameterValueError(f"setup(): timestep {timestep!r} is not a number") from None
    if not (0.001 <= timestep <= 1000.0):
        raise errors.InvalidParameterValueError(
            f"setup(): timestep {timestep} ms is outside the supported range [0.001, 1000]")
    if min_delay in ('auto', None):
        min_delay = timestep
    min_delay = float(min_delay)
    if min_delay < timestep * (1 - 1e-9):
        raise errors.InvalidParameterValueError(
            f"setup(): min_delay {min_delay} ms must be at least the timestep {timestep} ms")
    if max_delay is not None and max_delay != 'auto':
        warn("setup(): max_delay is not supported by sPyNNaker and is ignored")
    if profile not in PROFILES:
        raise errors.InvalidParameterValueError(
            f"setup(): profile must be one of {', '.join(PROFILES)}, not {profile!r}")
    if backend not in BACKENDS:
        raise errors.InvalidParameterValueError(
            f"setup(): backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if backend == "gpu" and not _simulator.core_devices():
        raise errors.InvalidParameterValueError(
            "setup(backend='gpu'): no GPU adapter was found (install a Vulkan driver, for example "
            "Mesa's lavapipe, Debian package mesa-vulkan-drivers, which runs the GPU engine on the "
            "CPU; see `spinnsim devices`), or use backend='cpu' or 'auto'")
    if draws not in ("machine", "spinnsim"):
        raise errors.InvalidParameterValueError(f"setup(): draws must be 'machine' or 'spinnsim', not {draws!r}")
    if threads is not None and (int(threads) != threads or threads < 1):
        raise errors.InvalidParameterValueError(f"setup(): threads must be a whole number >= 1, not {threads!r}")
    for bad in ('mindelay', 'maxdelay', 'dt', 'time_step'):
        if bad in extra_params:
            raise errors.InvalidParameterValueError(f"{bad} is not a valid argument for setup()")
    for k in MACHINE_KEYWORDS:
        if k in extra_params:
            extra_params.pop(k)
            warn(f"setup(): '{k}' means nothing off the SpiNNaker machine and is ignored")
    if extra_params:
        warn(f"setup(): extra parameters {sorted(extra_params)} are not used by spinnsim")
    if state.is_setup and not state.ended and (state.populations or state.sim is not None):
        warn("setup() called again: the previous network is discarded")
    state.clear()
    from .cells import ALL_CELL_TYPES
    for ct in ALL_CELL_TYPES:
        ct.set_model_max_atoms_per_core(None)
    state.dt = timestep
    state.min_delay = min_delay
    state.max_delay = 'auto' if max_delay is None else max_delay
    state.profile = profile
    state.backend = backend
    state.threads = None if threads is None else int(threads)
    state.seed = int(seed)
    state.draws = draws
    state.is_setup = True
    state.ended = False
    return 0


def end(compatible_output: bool = True) -> None:
    """Writes the files asked for with record(..., to_file) and ends the session."""
    for (population, variables, filename) in state.write_on_end:
        io = get_io(filename)
        population.write_data(io, variables)
    state.write_on_end = []
    state.ended = True


_run, _run_until = common.build_run(_simulator)


def run(simtime: float, callbacks: Sequence[Callable[[float], float]] | None = None) -> float:
    """Runs for ``simtime`` more ms (ceil(simtime / dt) ticks, as sPyNNaker counts them) and
    returns the current time."""
    _require_setup()
    if simtime < 0:
        raise ValueError(f"run(): simtime {simtime} ms must be >= 0")
    return _run(simtime, callbacks)


def run_until(tstop: float, callbacks: Sequence[Callable[[float], float]] | None = None) -> float:
    """Runs until ``tstop`` ms and returns the current time."""
    _require_setup()
    return _run_until(tstop, callbacks)


run_for = run


def reset(annotations: dict[str, Any] | None = None) -> None:
    """Back to t = 0 (sPyNNaker 7.4.1's soft reset): a new recording segment begins; initial
    values set since take effect; structural changes are allowed until the next run."""
    _require_setup()
    state.reset(annotations)


def _require_setup():
    if not state.is_setup:
        raise RuntimeError("setup() must be called first")


initialize = common.initialize


def get_current_time() -> float:
    """The current time in ms."""
    return state.t


def get_time_step() -> float:
    """The timestep in ms."""
    return state.dt


def get_min_delay() -> float:
    """The minimum synaptic delay in ms."""
    return state.min_delay


def get_max_delay() -> float:
    """The maximum delay in ms: sPyNNaker has no system-wide one; this is 144 timesteps (the
    most a delay extension gives with the default neurons per core)."""
    return 144 * state.dt if state.max_delay in ('auto', None) else state.max_delay


def get_backend() -> str | None:
    """The engine the current simulation runs on, "cpu" or "gpu", once the network has been
    built (at the first run); before that, None."""
    _require_setup()
    return None if state.sim is None else state.sim.backend()


def num_processes() -> int:
    return 1


def rank() -> int:
    return 0


def set_number_of_neurons_per_core(neuron_type: type, max_permitted: int | tuple[int, ...]) -> None:
    """The most neurons of a model on one core, for the Populations made after this call
    (sPyNNaker's ``set_number_of_neurons_per_core``)."""
    from .cells import SpinnsimCellType
    if isinstance(neuron_type, str):
        raise errors.InvalidParameterValueError(
            "set_number_of_neurons_per_core expects the model class (e.g. p.IF_curr_exp), not a string")
    if not (isinstance(neuron_type, type) and issubclass(neuron_type, SpinnsimCellType)):
        raise errors.InvalidModelError(f"{neuron_type!r} is not a spinnsim cell type")
    if max_permitted is not None:
        if isinstance(max_permitted, (tuple, list)):
            n = 1
            for m in max_permitted:
                n *= int(m)
            max_permitted = n
        if int(max_permitted) < 1 or int(max_permitted) > 65535:
            raise errors.InvalidParameterValueError(
                f"neurons per core {max_permitted} is outside 1..65535")
    neuron_type.set_model_max_atoms_per_core(max_permitted)
    if state.populations:
        warn("set_number_of_neurons_per_core only affects Populations not yet made")


def set_allow_delay_extensions(neuron_type: type, allow_delay_extensions: bool) -> None:
    warn("set_allow_delay_extensions is ignored: spinnsim adds delay extensions as sPyNNaker's default does")


def set_number_of_synapse_cores(neuron_type: type, n_synapse_cores: int) -> None:
    warn("set_number_of_synapse_cores is ignored: spinnsim models combined neuron-synapse cores")
