"""
Population, PopulationView and Assembly on top of ``pyNN.common``.

Parameters and initial values are evaluated when they are given (random distributions drawn in
Python with their own generator) and kept here as one value per neuron; the network description
sent to the core at the first run carries them, and later changes go to the live simulation.
"""

from collections import abc
from typing import Any

import numpy as np
from pyNN import common, errors
from pyNN.parameters import LazyArray, ParameterSpace, Sequence, simplify

from . import simulator
from .arrow import Results, concat_results, population_results, spinnaker_get_data
from .cells import INITIAL_VALUE_ALIASES, SpinnsimCellType, check_values
from .ranged import RangedValue, value_kind
from .recording import Recorder
from .simulator import finite_or_forever, state, values_for_core, warn

# Population keywords of sPyNNaker that mean something to spinnsim.
_USED_KWARGS = {"spikes_per_second", "ring_buffer_sigma", "seed", "neurons_per_core",
                "max_atoms_per_core"}
# Population keywords of sPyNNaker that mean nothing off the machine: accepted with a warning.
_IGNORED_KWARGS = {"incoming_spike_buffer_size", "drop_late_spikes", "splitter", "n_colour_bits",
                   "n_steps_per_timestep", "n_synapse_cores", "allow_delay_extensions",
                   "max_expected_summed_weight", "max_rate", "rate_change_callback"}


class Assembly(common.Assembly):
    __doc__ = common.Assembly.__doc__
    _simulator = simulator

    def get_data_arrow(self, variables: str | abc.Sequence[str] | None = 'all') -> Results:
        """The recordings of every member as Arrow tables (see Population.get_data_arrow)."""
        return concat_results([p.get_data_arrow(variables) for p in self.populations])


class _SpinnsimPopulationMixin:
    """What Population and PopulationView share."""

    def _root(self):
        return self.grandparent if isinstance(self, PopulationView) else self

    def _root_indices(self):
        if isinstance(self, PopulationView):
            return np.asarray(self.index_in_grandparent(np.arange(self.size)), dtype=int)
        return np.arange(self.size)

    # ------------------------------------------------------------- parameters
    def _check_names(self, names):
        celltype = self.celltype
        known = list(celltype.default_parameters) + list(type(celltype).default_initial_values)
        for name in names:
            if name not in known and INITIAL_VALUE_ALIASES.get(name) not in known:
                raise errors.NonExistentParameterError(name, type(celltype).__name__, known)

    def _get_parameters(self, *names):
        self._check_names(names)
        root = self._root()
        idx = self._root_indices()
        out = {}
        for name in names:
            key = INITIAL_VALUE_ALIASES.get(name, name)
            if key in root._parameters:
                out[name] = simplify(root._parameters[key][idx])
            else:
                out[name] = simplify(root._initial_arrays[key][idx])
        return ParameterSpace(out, shape=(self.size,))

    def _get_native_parameters(self, *names):
        return self._get_parameters(*names)

    def set(self, **parameters):
        """Sets parameters of every neuron (see PyNN); between runs the change goes to the running
        simulation at once, as on sPyNNaker."""
        self._check_names(parameters)
        init = {n: v for n, v in parameters.items()
                if INITIAL_VALUE_ALIASES.get(n, n) not in self.celltype.default_parameters}
        for n in init:
            del parameters[n]
        if parameters:
            common.BasePopulation.set(self, **parameters)
        if init:
            # sPyNNaker lets set() change state variables too; they act as initial values.
            self.initialize(**init)

    def _set_parameters(self, parameter_space):
        """parameter_space holds native (here: the same) names."""
        root = self._root()
        idx = self._root_indices()
        parameter_space.shape = (self.size,)
        kinds = {name: value_kind(parameter_space[name]) for name in parameter_space.keys()}
        parameter_space.evaluate(simplify=False)
        changed = []
        for name, value in parameter_space.items():
            check_values(self.celltype, name, value)
            root._note_value(name, kinds[name], value, self)
            if name == "spike_times":
                arr = root._parameters[name]
                for i, v in zip(idx, value):
                    arr[i] = v if isinstance(v, Sequence) else Sequence(v)
            else:
                root._parameters[name][idx] = np.asarray(value, dtype=float)
            changed.append(name)
        if state.live:
            for name in changed:
                root._send_parameter(name)
        elif state.sim is not None and not state.sim_has_run:
            state.drop_sim()

    def initialize(self, **initial_values):
        """Sets initial values of state variables (v, u, isyn_exc, isyn_inh); after a run they
        take effect at the next reset(), as on sPyNNaker."""
        root = self._root()
        idx = self._root_indices()
        for variable, value in initial_values.items():
            key = INITIAL_VALUE_ALIASES.get(variable, variable)
            if key not in type(self.celltype).default_initial_values:
                raise errors.NonExistentParameterError(
                    variable, type(self.celltype).__name__,
                    list(type(self.celltype).default_initial_values))
            kind = value_kind(value)
            arr = LazyArray(value, shape=(self.size,), dtype=float).evaluate(simplify=False)
            arr = np.broadcast_to(np.asarray(arr, dtype=float), (self.size,))
            check_values(self.celltype, key, arr)
            root._note_value(key, kind, arr, self)
            root._initial_arrays[key][idx] = arr
            root.initial_values[key] = LazyArray(root._initial_arrays[key].copy(), shape=(root.size,))
            if state.live and root._core_label is not None:
                # After reset() and before the next run, the core loads them into the state at
                # once (sPyNNaker writes them when that run starts); after a run they wait for
                # the next reset.
                root._send_parameter(key)
            elif state.sim is not None and not state.sim_has_run:
                state.drop_sim()

    def _note_value(self, name, kind, values, setter):
        """Follows the ranged list sPyNNaker 7.4.1 keeps of a parameter or initial value
        (ranged.py), so that the core gets the distributions the neuron expander draws, range by
        range (the machine's draws, with ``setup(draws="machine")``): ``kind`` is what
        ``value_kind`` made of the value given, ``values`` its evaluation for the neurons of
        ``setter`` (this population or a view of it)."""
        if state.draws != "machine":
            return
        if getattr(kind, "_user_rng", False):
            warn(f"population {self.label}: the rng of the RandomDistribution of {name} is not used: "
                 "sPyNNaker 7.4.1 draws it on the machine from the Population's seed (give it seed=...)")
        if setter is self or name not in self._ranged:
            self._ranged[name] = RangedValue(self.size, kind if setter is self else None)
        else:
            self._ranged[name].set_ids(setter._root_indices(), kind, values)

    # ------------------------------------------------------------- sPyNNaker extras
    def get_data_arrow(self, variables: str | abc.Sequence[str] | None = 'all') -> Results:
        """The recordings of this population (or view) as Arrow tables, without copies from the
        core: a Results with ``spikes`` (population, neuron, tick, time_ms, segment) and
        ``samples`` (population, variable, neuron, tick, time_ms, value, raw, segment) pyarrow
        tables, and ``to_polars()`` / ``to_pandas()``."""
        neurons = self._root_indices() if isinstance(self, PopulationView) else None
        return population_results(self._root()._core_label, neurons, variables)

    def spinnaker_get_data(self, variable: str, as_matrix: bool = False, view_indexes: Any = None) -> np.ndarray:
        """sPyNNaker's raw form: for spikes an (n, 2) array of (neuron, time); for a signal an
        (n, 3) array of (neuron, time, value) (of the last segment)."""
        return spinnaker_get_data(self, variable, as_matrix)


class PopulationView(_SpinnsimPopulationMixin, common.PopulationView):
    __doc__ = common.PopulationView.__doc__
    _assembly_class = Assembly
    _simulator = simulator

    def __init__(self, parent, selector, label=None):
        # PyNN sorts an index list; sPyNNaker 7.4.1 keeps it in the order given, which decides
        # whether a Projection accepts the view (projections._in_given_order).
        self._given_selector = selector
        super().__init__(parent, selector, label)

    def _set_initial_value_array(self, variable, initial_values):
        pass

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)


class Population(_SpinnsimPopulationMixin, common.Population):
    __doc__ = common.Population.__doc__ + """
    spinnsim (as sPyNNaker) also takes ``additional_parameters`` (a dict) or keywords:
    ``spikes_per_second`` and ``ring_buffer_sigma`` (the ring-buffer shift statistics),
    ``seed`` (the seed of its on-chip draws: a SpikeSourcePoisson's spikes, the synapse expander's
    connections onto it), ``neurons_per_core``; the machine-only ones
    (``incoming_spike_buffer_size``, ``splitter``, ...) are accepted with a warning.
    """
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def __init__(self, size, cellclass, cellparams=None, structure=None, initial_values={},  # noqa: B006 (PyNN's signature)
                 label=None, additional_parameters=None, **additional_kwargs):
        if not state.is_setup:
            raise RuntimeError("setup() must be called before making a Population")
        state.check_structure_change("create a Population")
        extra = dict(additional_parameters or {})
        extra.update(additional_kwargs)
        unknown = set(extra) - _USED_KWARGS - _IGNORED_KWARGS
        if unknown:
            raise TypeError(f"Population() got unexpected keyword argument(s): {', '.join(sorted(unknown))}")
        for k in sorted(set(extra) & _IGNORED_KWARGS):
            warn(f"Population keyword '{k}' means nothing off the SpiNNaker machine and is ignored")
        if isinstance(cellclass, type) and cellparams is None:
            cellparams = {}
        if isinstance(cellclass, type) and not issubclass(cellclass, SpinnsimCellType):
            raise errors.InvalidModelError(
                f"{cellclass.__name__} is not a spinnsim cell type; use the classes of "
                "spinnsim.pynn (IF_curr_exp, IF_cond_exp, IF_curr_delta, Izhikevich, "
                "Izhikevich_cond, SpikeSourceArray, SpikeSourcePoisson)")
        if not isinstance(cellclass, type) and not isinstance(cellclass, SpinnsimCellType):
            raise errors.InvalidModelError(
                f"{type(cellclass).__name__} is not a spinnsim cell type")
        if not isinstance(size, (tuple,)) and not isinstance(size, (int, np.integer)):
            if isinstance(size, float) and size.is_integer():
                size = int(size)
        if isinstance(size, (int, np.integer)) and size < 1:
            raise errors.InvalidDimensionsError(f"a Population needs at least one neuron, not {size}")
        self._spikes_per_second = extra.get("spikes_per_second")
        self._ring_buffer_sigma = extra.get("ring_buffer_sigma")
        self._seed = extra.get("seed")
        self._max_atoms = extra.get("neurons_per_core", extra.get("max_atoms_per_core"))
        self._core_label = None
        self._ranged = {}
        state.structure_changed()
        common.Population.__init__(self, size, cellclass, cellparams, structure, initial_values, label)
        if self._max_atoms is None:
            self._max_atoms = type(self.celltype).get_model_max_atoms_per_core()
        self._core_label = state.unique_label(self.label)
        state.populations.append(self)

    def _create_cells(self):
        id_range = np.arange(state.id_counter, state.id_counter + self.size)
        self.all_cells = np.array([simulator.ID(i) for i in id_range], dtype=simulator.ID)
        self._mask_local = np.ones((self.size,), bool)
        ps = self.celltype.native_parameters
        ps.shape = (self.size,)
        kinds = {name: value_kind(ps[name]) for name in ps.keys()}
        ps.evaluate(simplify=False)
        self._parameters = {}
        for name, value in ps.items():
            check_values(self.celltype, name, value)
            self._note_value(name, kinds[name], value, self)
            if name == "spike_times":
                arr = np.empty(self.size, dtype=object)
                for i, v in enumerate(value):
                    arr[i] = v if isinstance(v, Sequence) else Sequence(v)
                self._parameters[name] = arr
            else:
                self._parameters[name] = np.broadcast_to(
                    np.asarray(value, dtype=float).reshape(-1) if np.ndim(value) else
                    np.asarray(value, dtype=float), (self.size,)).copy()
        self._initial_arrays = {
            k: np.full(self.size, float(v)) for k, v in type(self.celltype).default_initial_values.items()
        }
        for k, v in type(self.celltype).default_initial_values.items():
            self._note_value(k, float(v), None, self)
        for id in self.all_cells:
            id.parent = self
        state.id_counter += self.size

    def _set_initial_value_array(self, variable, initial_values):
        pass

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def set_max_neurons_per_core(self, max_neurons):
        """The most neurons of this population on one core (sPyNNaker's
        ``Population.set_max_neurons_per_core``)."""
        if isinstance(max_neurons, (tuple, list)):
            max_neurons = int(np.prod(max_neurons))
        if max_neurons is not None and (int(max_neurons) < 1 or int(max_neurons) > 65535):
            raise errors.InvalidParameterValueError(
                f"max neurons per core {max_neurons} is outside 1..65535")
        state.check_structure_change("change the neurons per core")
        self._max_atoms = None if max_neurons is None else int(max_neurons)
        state.structure_changed()

    # ------------------------------------------------------------- to the core
    def _send_parameter(self, name):
        """Sends the current values of one parameter or initial value to the live simulation."""
        from .simulator import _core_module, translate_core_error
        core = _core_module()
        try:
            if name == "spike_times":
                state.sim.set_spike_times(self._core_label, self._spike_times_for_core())
            elif name == "duration":
                v = finite_or_forever(self._parameters[name])
                state.sim.set(self._core_label, name, float("inf") if v is None else v)
            elif name in self._parameters:
                state.sim.set(self._core_label, name, values_for_core(self._parameters[name]))
            else:
                state.sim.set(self._core_label, name, values_for_core(self._initial_arrays[name]))
        except core.SpinnsimError as e:
            raise translate_core_error(e) from None

    def _value_for_core(self, name, values):
        """What the core gets for a parameter or initial value: a number, the distribution the
        neuron expander draws it from, its ranges, or one value per neuron (a list given to the
        whole population, which 7.4.1 keeps on the host)."""
        rv = self._ranged.get(name)
        if rv is None or self.celltype.core_name in ("SpikeSourceArray", "SpikeSourcePoisson"):
            return values_for_core(values)
        return rv.for_core(values, lambda v: np.asarray(v, dtype=float).ravel().tolist())

    def _spike_times_for_core(self):
        return [np.atleast_1d(np.asarray(s.value, dtype=float)).tolist() for s in self._parameters["spike_times"]]

    def _core_entry(self):
        ct = self.celltype
        entry = {"label": self._core_label, "size": int(self.size), "cell_type": ct.core_name}
        params = {}
        for name, values in self._parameters.items():
            if name == "spike_times":
                entry["spike_times"] = self._spike_times_for_core()
            elif name == "duration":
                v = finite_or_forever(values)
                if v is not None:
                    params[name] = v
            else:
                params[name] = self._value_for_core(name, values)
        if params:
            entry["parameters"] = params
        if self._initial_arrays:
            entry["initial_values"] = {k: self._value_for_core(k, v) for k, v in self._initial_arrays.items()}
        if self._seed is not None:
            entry["seed"] = int(self._seed)
        if self._max_atoms is not None:
            entry["max_atoms_per_core"] = int(self._max_atoms)
        if self._spikes_per_second is not None:
            entry["spikes_per_second"] = float(self._spikes_per_second)
        if self._ring_buffer_sigma is not None:
            entry["ring_buffer_sigma"] = float(self._ring_buffer_sigma)
        entry["record"] = self.recorder._core_requests()
        return entry

    @property
    def spinnaker_label(self):
        """The label this population has in the core's tables (unique)."""
        return self._core_label
