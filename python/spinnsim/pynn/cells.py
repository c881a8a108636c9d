"""
The cell types of sPyNNaker 7.4.1 that spinnsim runs, with sPyNNaker's parameter names, defaults
and state variables.

They derive from PyNN's standard cell types (so ``isinstance`` checks in user code keep working)
but carry sPyNNaker's extras: the synapse time constants of ``Izhikevich``, the initial values
``isyn_exc`` / ``isyn_inh`` (and ``u``), recording of ``gsyn_exc`` / ``gsyn_inh`` on every neuron
model, and initial values given with the parameters (``IF_curr_exp(v=-60.0, tau_m=10.0)``), as
sPyNNaker accepts them.
"""

import math

import numpy as np
from pyNN import errors
from pyNN.standardmodels import StandardCellType, build_translations
from pyNN.standardmodels import cells as pynn_cells
from pyNN.parameters import Sequence

# Largest magnitude an s16.15 value holds.
S1615_MAX = 65535.999969482422
S1615_MIN = -65536.0

# Ranges checked in Python, so that a bad value is reported where it is given (the core checks
# the same again).
_POSITIVE = {"tau_m", "cm", "tau_syn_E", "tau_syn_I"}
_NON_NEGATIVE = {"tau_refrac", "rate", "start", "duration"}
_UNBOUNDED = {"rate", "start", "duration"}

# PyNN-style names of state variables that sPyNNaker calls differently.
INITIAL_VALUE_ALIASES = {"gsyn_exc": "isyn_exc", "gsyn_inh": "isyn_inh"}


def _identity(*names):
    return build_translations(*[(n, n) for n in names])


def check_values(celltype, name, values):
    """Raises InvalidParameterValueError when a parameter value cannot run on SpiNNaker."""
    if name == "spike_times":
        for seq in np.atleast_1d(values):
            times = np.asarray(seq.value if isinstance(seq, Sequence) else seq, dtype=float)
            if times.size and (not np.all(np.isfinite(times)) or times.min() < 0):
                raise errors.InvalidParameterValueError(
                    f"{type(celltype).__name__}: spike_times must be finite times >= 0 ms")
            if times.size > 1 and np.any(np.diff(times.ravel()) < 0):
                raise errors.InvalidParameterValueError(
                    f"{type(celltype).__name__}: spike_times must be in increasing order, got {times.ravel().tolist()}")
        return
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return
    label = f"{type(celltype).__name__}: parameter '{name}'"
    if np.isnan(arr).any():
        raise errors.InvalidParameterValueError(f"{label} is NaN")
    if name == "duration":
        finite = arr[np.isfinite(arr)]
    else:
        if not np.all(np.isfinite(arr)):
            raise errors.InvalidParameterValueError(f"{label} = {arr[~np.isfinite(arr)][0]} is not finite")
        finite = arr
    if name in _POSITIVE and (arr <= 0).any():
        raise errors.InvalidParameterValueError(f"{label} = {arr[arr <= 0][0]} must be > 0")
    if name in _NON_NEGATIVE and (arr < 0).any():
        raise errors.InvalidParameterValueError(f"{label} = {arr[arr < 0][0]} must be >= 0")
    if name not in _UNBOUNDED and finite.size and (finite.max() > S1615_MAX or finite.min() < S1615_MIN):
        bad = finite[(finite > S1615_MAX) | (finite < S1615_MIN)][0]
        raise errors.InvalidParameterValueError(
            f"{label} = {bad} is outside the s16.15 range of SpiNNaker [{S1615_MIN}, {S1615_MAX}]")


def _plain_numbers(value):
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return True
    if isinstance(value, (list, tuple, np.ndarray)):
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            return False
        return arr.ndim == 1
    return False


class SpinnsimCellType:
    """Mixin of the spinnsim cell types: the core's model name, and initial values given with
    the parameters, as sPyNNaker accepts them."""

    core_name = None
    #: Maximum neurons per core set with ``set_number_of_neurons_per_core`` (None: the default).
    _max_atoms_per_core = None

    def __init__(self, **parameters):
        initial = {}
        for name in list(parameters):
            key = INITIAL_VALUE_ALIASES.get(name, name)
            if key in type(self).default_initial_values and key not in type(self).default_parameters:
                initial[key] = parameters.pop(name)
        unknown = [n for n in parameters if n not in self.default_parameters]
        if unknown:
            raise errors.NonExistentParameterError(
                unknown[0], type(self).__name__,
                list(self.default_parameters) + list(type(self).default_initial_values))
        for name, value in parameters.items():
            if name in self.default_parameters and _plain_numbers(value):
                check_values(self, name, value)
        super().__init__(**parameters)
        if initial:
            # An instance attribute: PyNN's Population reads default_initial_values from here.
            self.default_initial_values = dict(type(self).default_initial_values, **initial)

    @classmethod
    def set_model_max_atoms_per_core(cls, n):
        cls._max_atoms_per_core = None if n is None else int(n)

    @classmethod
    def get_model_max_atoms_per_core(cls):
        return cls._max_atoms_per_core


_LIF = {
    'tau_m': 20.0, 'cm': 1.0, 'v_rest': -65.0, 'v_reset': -65.0, 'v_thresh': -50.0,
    'tau_refrac': 0.1, 'i_offset': 0.0,
}
_EXP_SYN = {'tau_syn_E': 5.0, 'tau_syn_I': 5.0}
_COND = {'e_rev_E': 0.0, 'e_rev_I': -70.0}
_IZK = {'a': 0.02, 'b': 0.2, 'c': -65.0, 'd': 2.0, 'i_offset': 0.0}
_LIF_INIT = {'v': -65.0, 'isyn_exc': 0.0, 'isyn_inh': 0.0}
_IZK_INIT = {'v': -70.0, 'u': -14.0, 'isyn_exc': 0.0, 'isyn_inh': 0.0}
_NEURON_RECORDABLE = ['spikes', 'v', 'gsyn_exc', 'gsyn_inh']

_UNITS_COMMON = {
    'v': 'mV', 'v_rest': 'mV', 'v_reset': 'mV', 'v_thresh': 'mV', 'cm': 'nF', 'tau_m': 'ms',
    'tau_refrac': 'ms', 'tau_syn_E': 'ms', 'tau_syn_I': 'ms', 'i_offset': 'nA',
    'e_rev_E': 'mV', 'e_rev_I': 'mV', 'a': '/ms', 'b': '/ms', 'c': 'mV', 'd': 'mV/ms',
    'u': 'mV/ms', 'spikes': 'ms',
}
# gsyn on a current-based model is the synaptic current (nA); on a conductance-based one µS.
_UNITS_CURR = dict(_UNITS_COMMON, gsyn_exc='nA', gsyn_inh='nA', isyn_exc='nA', isyn_inh='nA')
_UNITS_COND = dict(_UNITS_COMMON, gsyn_exc='uS', gsyn_inh='uS', isyn_exc='uS', isyn_inh='uS')


class IF_curr_exp(SpinnsimCellType, pynn_cells.IF_curr_exp):
    __doc__ = pynn_cells.IF_curr_exp.__doc__
    core_name = "IF_curr_exp"
    default_parameters = dict(_LIF, **_EXP_SYN)
    default_initial_values = dict(_LIF_INIT)
    recordable = list(_NEURON_RECORDABLE)
    conductance_based = False
    units = _UNITS_CURR
    translations = _identity(*default_parameters)


class IF_cond_exp(SpinnsimCellType, pynn_cells.IF_cond_exp):
    __doc__ = pynn_cells.IF_cond_exp.__doc__
    core_name = "IF_cond_exp"
    default_parameters = dict(_LIF, **_EXP_SYN, **_COND)
    default_initial_values = dict(_LIF_INIT)
    recordable = list(_NEURON_RECORDABLE)
    conductance_based = True
    units = _UNITS_COND
    translations = _identity(*default_parameters)


class IF_curr_delta(SpinnsimCellType, pynn_cells.IF_curr_delta):
    __doc__ = pynn_cells.IF_curr_delta.__doc__
    core_name = "IF_curr_delta"
    default_parameters = dict(_LIF)
    default_initial_values = dict(_LIF_INIT)
    recordable = list(_NEURON_RECORDABLE)
    conductance_based = False
    units = _UNITS_CURR
    translations = _identity(*default_parameters)


class Izhikevich(SpinnsimCellType, pynn_cells.Izhikevich):
    """Izhikevich model with current-based exponential synapses (sPyNNaker's ``Izhikevich``)."""
    core_name = "Izhikevich"
    default_parameters = dict(_IZK, **_EXP_SYN)
    default_initial_values = dict(_IZK_INIT)
    recordable = list(_NEURON_RECORDABLE)
    conductance_based = False
    units = _UNITS_CURR
    translations = _identity(*default_parameters)


class Izhikevich_cond(SpinnsimCellType, StandardCellType):
    """Izhikevich model with conductance-based exponential synapses (sPyNNaker's extra model
    ``Izhikevich_cond``)."""
    core_name = "Izhikevich_cond"
    default_parameters = dict(_IZK, **_EXP_SYN, **_COND)
    default_initial_values = dict(_IZK_INIT)
    recordable = list(_NEURON_RECORDABLE)
    conductance_based = True
    units = _UNITS_COND
    translations = _identity(*default_parameters)


class SpikeSourceArray(SpinnsimCellType, pynn_cells.SpikeSourceArray):
    __doc__ = pynn_cells.SpikeSourceArray.__doc__
    core_name = "SpikeSourceArray"
    default_parameters = {'spike_times': Sequence([])}
    default_initial_values = {}
    recordable = ['spikes']
    units = {'spikes': 'ms', 'spike_times': 'ms'}
    translations = _identity('spike_times')


class SpikeSourcePoisson(SpinnsimCellType, pynn_cells.SpikeSourcePoisson):
    __doc__ = pynn_cells.SpikeSourcePoisson.__doc__
    core_name = "SpikeSourcePoisson"
    # duration 1e10 ms (PyNN's default) and above mean "forever", as sPyNNaker's None does.
    default_parameters = {'rate': 1.0, 'start': 0.0, 'duration': 1e10}
    default_initial_values = {}
    recordable = ['spikes']
    units = {'spikes': 'ms', 'rate': 'Hz', 'start': 'ms', 'duration': 'ms'}
    translations = _identity(*default_parameters)

    def __init__(self, **parameters):
        if parameters.get('duration', 0.0) is None:
            parameters['duration'] = 1e10
        if 'duration' in parameters and isinstance(parameters['duration'], float) \
                and math.isinf(parameters['duration']):
            parameters['duration'] = 1e10
        super().__init__(**parameters)


ALL_CELL_TYPES = [IF_curr_exp, IF_cond_exp, IF_curr_delta, Izhikevich, Izhikevich_cond,
                  SpikeSourceArray, SpikeSourcePoisson]
