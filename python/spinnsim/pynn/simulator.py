"""
The state of a spinnsim PyNN session: the objects the script made, the network description built
from them at the first run, and the core's live ``Simulation``.

How the network is built:

* PyNN objects accumulate in ``state`` (populations, projections, current sources, recorders).
  Nothing reaches the core until the first ``run()``: then the network JSON is built (see
  ``build_network``) and a ``spinnsim._spinnsim.Simulation`` is made from it.
* Between runs, ``Population.set``, ``initialize`` and new ``spike_times`` go to the live
  simulation (``Simulation.set`` / ``set_spike_times``) and take effect as on sPyNNaker (parameters
  from the next tick, initial values at the next ``reset()``, spike times from the current time).
* Structural changes (a new Population, Projection or current source, recording something new,
  ``Projection.set``, changing a current source, neurons per core) are refused after a run until
  ``reset()`` is called, as sPyNNaker requires; after a ``reset()`` they are accepted and the next
  run maps the network again from scratch (sPyNNaker's hard reset). The recordings made before
  stay available: ``get_data`` returns them as the earlier segments.
"""

import json
import warnings
from datetime import datetime

import numpy as np
from pyNN import common, errors
from pyNN.common.control import BaseState

name = "spinnsim"


def _json_array(value):
    """json.dumps's fallback: numpy arrays as (nested) lists."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class SpinnsimWarning(UserWarning):
    """A one-line notice from spinnsim (ignored setup keywords, core warnings, ...)."""


class NetworkChangeError(RuntimeError):
    """The network structure cannot be changed now (after a run, before reset())."""


def warn(message):
    warnings.warn(message, SpinnsimWarning, stacklevel=3)


def _core_module():
    try:
        from spinnsim import _spinnsim
    except ImportError as e:  # pragma: no cover - depends on the installation
        raise ImportError(
            "spinnsim's extension module (spinnsim._spinnsim) is not installed: build it with "
            "`pip install .` in the spinnsim repository") from e
    return _spinnsim


def translate_core_error(exc, context=""):
    """The PyNN exception for an error of the core (its message kept), chosen by the error's kind
    and parameter (``SpinnsimError.kind``, ``.parameter``)."""
    msg = f"{context}: {exc}" if context else str(exc)
    kind = getattr(exc, "kind", None)
    if kind == "parameter":
        if getattr(exc, "parameter", None) in ("connections", "conn_list", "pre", "post"):
            return errors.ConnectionError(msg)
        return errors.InvalidParameterValueError(msg)
    return errors.InvalidParameterValueError(msg) if kind == "run" else SpinnsimCoreError(msg)


def core_devices():
    """The GPU adapters the core sees (``spinnsim.devices()``)."""
    return _core_module().devices()


class SpinnsimCoreError(ValueError):
    """An error of the core that has no PyNN equivalent (mapping limits, ...)."""


class ID(int, common.IDMixin):
    """A cell: an int (the id) that knows its Population."""

    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


class Segment:
    """One closed recording segment: which simulation holds its data, and where it ended."""

    def __init__(self, sim, core_segment, t_stop, annotations, rec_datetime):
        self.sim = sim
        self.core_segment = core_segment
        self.t_stop = t_stop
        self.annotations = dict(annotations or {})
        self.rec_datetime = rec_datetime


class State(BaseState):
    """Everything one ``setup()`` ... ``end()`` session holds."""

    def __init__(self):
        BaseState.__init__(self)
        self.mpi_rank = 0
        self.num_processes = 1
        self.dt = 0.1
        self.min_delay = 0.1
        self.max_delay = 'auto'
        self.profile = "spinnaker-7"
        self.backend = "auto"
        self.threads = None
        self.seed = 0
        self.draws = "machine"
        self.is_setup = False
        self.ended = False
        self.clear()

    # ----------------------------------------------------------------- session
    def clear(self):
        self.recorders = set()
        self.write_on_end = []
        self.populations = []
        self.projections = []
        self.current_sources = []
        self.id_counter = 0
        self.segment_counter = -1
        self.sim = None                # the core's Simulation, once built
        self.sim_has_run = False       # whether the current sim has run (ever, also before a reset)
        self.needs_rebuild = False     # structure changed after a reset: map again at the next run
        self.core_segment = 0          # the core's segment number of the open segment
        self.segments = []             # closed segments (Segment)
        self.open_annotations = {}
        self.open_datetime = None
        self.rng_counter = 0
        self.rng_users = {}            # id(rng) -> (rng, what first took it): see rng_seed
        self._tables = {}
        self.core_warnings_seen = 0
        self.reset_state()

    def reset_state(self):
        self.running = False
        self.t = 0.0
        self.t_start = 0.0
        self.segment_counter += 1

    def default_rng(self):
        """A NumpyRNG for a RandomDistribution made without one: seeded from setup(seed=...)
        and a counter, so that scripts without seeds are reproducible."""
        from pyNN.random import NumpyRNG
        self.rng_counter += 1
        return NumpyRNG(seed=(int(self.seed) * 1_000_003 + 7919 * self.rng_counter) % (2 ** 32))

    def rng_seed(self, rng, what):
        """The seed of ``rng`` for the core, which then draws as a fresh ``NumpyRNG(seed)`` does
        where sPyNNaker 7.4.1's host draws from it (docs/decisions.md D22, D23); ``what`` names its
        user ("projection e2e: the weight distribution"). None, with a warning, for an rng whose
        stream the core cannot follow: not a seeded NumpyRNG, already drawn from, or given to a
        second user (the host would go on with one stream; the core starts each user afresh)."""
        import numpy as np
        from pyNN.random import NumpyRNG
        first = self.rng_users.setdefault(id(rng), (rng, what))[1]
        why = None
        if not isinstance(rng, NumpyRNG) or rng.seed is None:
            why = "it is not a NumpyRNG with a seed"
        elif first != what:
            why = f"it is also the rng of {first}, and the host would draw both from its one stream"
        else:
            fresh = np.random.RandomState(int(rng.seed)).get_state()
            now = rng.rng.get_state()
            if now[2] != fresh[2] or not np.array_equal(now[1], fresh[1]) or now[3] != 0:
                why = "it has been drawn from already"
        if why is None:
            return int(rng.seed)
        warn(f"{what}: spinnsim does not follow its rng ({why}): where sPyNNaker 7.4.1's host draws from it, "
             "spinnsim's own draws (seeded by setup(seed=...)) stand in for the host's; where the machine "
             "generates the projection, the machine ignores the rng too")
        return None

    @property
    def live(self):
        """Whether changes must go to the core's simulation now."""
        return self.sim is not None and self.sim_has_run and not self.needs_rebuild

    def check_structure_change(self, what):
        """Called before a structural change: refuses it after a run that was not followed by
        reset(); otherwise makes the next run map the network again."""
        if self.sim is None:
            return
        if not self.sim_has_run:
            # Built only to read connections back: simply build again later.
            self.drop_sim()
            return
        if self.t > 0 or self.running:
            raise NetworkChangeError(
                f"cannot {what} after a run without reset(): sPyNNaker maps the network once; "
                f"call reset() first (the next run then maps the changed network again)")

    def structure_changed(self):
        if self.sim is not None and self.sim_has_run:
            self.needs_rebuild = True
        elif self.sim is not None:
            self.drop_sim()

    def drop_sim(self):
        self.sim = None
        self.sim_has_run = False
        self._tables.clear()

    # ----------------------------------------------------------------- build
    def build_network(self):
        """The network description (a dict in the form of spinnsim's network files)."""
        net = {
            "timestep": float(self.dt),
            "min_delay": float(self.min_delay),
            "seed": int(self.seed),
            "draws": self.draws,
            "population": [p._core_entry() for p in self.populations],
            "projection": [],
            "current_source": [],
        }
        for proj in self.projections:
            for part in proj._core_parts():
                part.core_index = len(net["projection"])
                net["projection"].append(part.entry())
        for cs in self.current_sources:
            entries = cs.core_sources()
            cs._core_indices = list(range(len(net["current_source"]), len(net["current_source"]) + len(entries)))
            net["current_source"].extend(entries)
        return net

    def network_json(self):
        """The network description as JSON, in the form of a network file (arrays as lists)."""
        return json.dumps(self.build_network(), allow_nan=False, default=_json_array)

    def network_payload(self):
        """The network as the core takes it: the JSON without the per-connection arrays, and the
        arrays as (projection index, field, columns, little-endian float64 bytes), which JSON
        would carry a hundred times slower."""
        net = self.build_network()
        arrays = []
        for k, entry in enumerate(net["projection"]):
            places = [(entry, "connections", []), (entry, "weight", 0.0), (entry, "delay", 0.0),
                      (entry.get("connector", {}), "conn_list", [])]
            for owner, field, placeholder in places:
                v = owner.get(field)
                if isinstance(v, np.ndarray):
                    a = np.ascontiguousarray(v, dtype="<f8")
                    arrays.append((k, field, 1 if a.ndim == 1 else a.shape[1], a.tobytes()))
                    owner[field] = placeholder
        return json.dumps(net, allow_nan=False), arrays

    def ensure_built(self):
        """Builds the core's Simulation if there is none (or the structure changed after a reset)."""
        if self.sim is not None and not self.needs_rebuild:
            return self.sim
        if not self.is_setup:
            raise RuntimeError("setup() must be called first")
        core = _core_module()
        try:
            text, arrays = self.network_payload()
        except ValueError as e:
            raise errors.InvalidParameterValueError(f"the network holds a value JSON cannot carry: {e}") from None
        try:
            sim = core.Simulation(text, profile=self.profile, threads=self.threads, backend=self.backend,
                                  arrays=arrays)
        except core.SpinnsimError as e:
            raise translate_core_error(e) from None
        # An old simulation that ran keeps the data of the closed segments (state.segments).
        self.sim = sim
        self.sim_has_run = False
        self.needs_rebuild = False
        self.core_segment = 0
        self.core_warnings_seen = 0
        self._tables.clear()
        for proj in self.projections:
            proj._readback = None
            proj._sim = sim
        return sim

    def _emit_core_warnings(self):
        if self.sim is None:
            return
        ws = self.sim.warnings()
        for w in ws[self.core_warnings_seen:]:
            warn(w)
        self.core_warnings_seen = len(ws)

    # ----------------------------------------------------------------- running
    def run_until(self, tstop):
        sim = self.ensure_built()
        ms = tstop - self.t
        if ms < 0:
            ms = 0.0
        if not self.running or self.open_datetime is None:
            self.open_datetime = datetime.now()
        core = _core_module()
        t_before, completed = sim.current_time(), False
        try:
            sim.run(float(ms))
            completed = True
        except core.SpinnsimError as e:
            raise translate_core_error(e) from None
        finally:
            # Also after Ctrl-C (KeyboardInterrupt) or an error in the middle of a run: the ticks
            # that ran count, and what they recorded can be read.
            if completed or sim.current_time() != t_before:
                self.sim_has_run = True
                self.t = sim.current_time()
                self.running = True
                self._tables.clear()
                for proj in self.projections:
                    proj._readback = None
            self._emit_core_warnings()

    def run(self, simtime):
        self.run_until(self.t + simtime)

    def reset(self, annotations=None):
        """Back to t = 0: closes the open segment (if anything ran in it) and soft-resets the
        core's simulation, as sPyNNaker 7.4.1 does."""
        if self.sim is not None and self.sim_has_run:
            if self.t > 0 or self.running:
                self.segments.append(Segment(self.sim, self.core_segment, self.t,
                                             dict(self.open_annotations, **(annotations or {})),
                                             self.open_datetime))
            if not self.needs_rebuild:
                self.sim.reset()
                self.core_segment += 1
            self._tables.clear()
            self._emit_core_warnings()
        self.open_annotations = {}
        self.open_datetime = None
        self.reset_state()

    # ----------------------------------------------------------------- results
    def tables(self, sim):
        """(spikes, samples) of a simulation as pyarrow tables (shared buffers, cached until the
        next run or reset)."""
        key = id(sim)
        if key not in self._tables:
            self._tables[key] = (sim.spikes().to_pyarrow(), sim.samples().to_pyarrow())
        return self._tables[key]

    def data_segments(self):
        """The segments with data, in order: (sim, core_segment, t_stop, annotations, datetime)."""
        out = [(s.sim, s.core_segment, s.t_stop, s.annotations, s.rec_datetime) for s in self.segments]
        if self.sim is not None and self.sim_has_run and self.running and not self.needs_rebuild:
            out.append((self.sim, self.core_segment, self.t, dict(self.open_annotations),
                        self.open_datetime))
        return out

    def all_sims(self):
        """Every simulation that holds data, oldest first."""
        sims = []
        for s in self.segments:
            if all(s.sim is not x for x in sims):
                sims.append(s.sim)
        if self.sim is not None and self.sim_has_run and all(self.sim is not x for x in sims):
            sims.append(self.sim)
        return sims

    def unique_label(self, label):
        taken = {p._core_label for p in self.populations}
        if label not in taken:
            return label
        k = 1
        while f"{label}_{k}" in taken:
            k += 1
        return f"{label}_{k}"


def values_for_core(values):
    """A float when every value is the same, else a list of floats (per neuron)."""
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size and np.all(arr == arr[0]):
        return float(arr[0])
    return arr.tolist()


def finite_or_forever(values, forever=4294967295.0):
    """Durations: 1e10 ms (PyNN's default) and infinity mean forever, which the core encodes as
    0xFFFFFFFF ms (the same word sPyNNaker writes for None)."""
    arr = np.asarray(values, dtype=float).ravel()
    arr = np.where(arr >= forever, forever, arr)
    if arr.size and np.all(arr == forever):
        return None
    return values_for_core(arr)


state = State()

