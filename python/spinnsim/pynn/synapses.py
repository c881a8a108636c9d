"""
Synapse types: StaticSynapse and sPyNNaker 7.4.1's STDP (docs/stdp.md §1):
``STDPMechanism(timing_dependence, weight_dependence, ...)`` with ``SpikePairRule`` (and
``extra_models.SpikeNearestPairRule``) and ``AdditiveWeightDependence`` /
``MultiplicativeWeightDependence``.

Weights are in nA (current-based targets) or µS (conductance-based); as on sPyNNaker their sign is
ignored (a positive weight on an inhibitory projection inhibits), but one projection may not mix
signs.
"""

import math
import numbers

import numpy as np
from pyNN import errors
from pyNN.standardmodels import STDPTimingDependence, STDPWeightDependence, build_translations
from pyNN.standardmodels import synapses as pynn_synapses

from .simulator import state


def check_weights(weights, projection):
    """sPyNNaker's rule: all positive or all negative in one projection."""
    w = np.asarray(weights, dtype=float)
    if w.size and not np.all(np.isfinite(w)):
        raise errors.ConnectionError(f"projection {projection.label}: weights must be finite")
    if w.size and w.min() < 0 < w.max():
        raise errors.ConnectionError(
            f"Weights must be either all positive or all negative in projection {projection.label}")


def check_delays(delays, projection):
    d = np.asarray(delays, dtype=float)
    if d.size and (not np.all(np.isfinite(d)) or d.min() < state.dt * (1 - 1e-9)):
        bad = d[~np.isfinite(d) | (d < state.dt * (1 - 1e-9))][0]
        raise errors.ConnectionError(
            f"projection {projection.label}: delay {bad} ms is below one timestep ({state.dt} ms)")


class StaticSynapse(pynn_synapses.StaticSynapse):
    __doc__ = pynn_synapses.StaticSynapse.__doc__
    translations = build_translations(('weight', 'weight'), ('delay', 'delay'))
    parameter_checks = {'weight': check_weights, 'delay': check_delays}

    def _get_minimum_delay(self):
        d = state.min_delay
        if d == 'auto':
            d = state.dt
        return d




# ---------------------------------------------------------------------------------------- STDP

def _plain_number(component, name, value):
    """An STDP parameter as a float: sPyNNaker takes one number per rule, not per synapse."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise errors.InvalidParameterValueError(
            f"{component}: parameter '{name}' must be a single number (one value for the whole "
            f"rule, as on sPyNNaker), not {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise errors.InvalidParameterValueError(f"{component}: parameter '{name}' = {value} is not finite")
    return value


def _identity(*names):
    return build_translations(*[(n, n) for n in names])


class _TimingRule:
    """What spinnsim's timing rules share: checks and the core's description."""
    core_rule = None

    def _check(self, parameters):
        name = type(self).__name__
        values = {k: _plain_number(name, k, v) for k, v in parameters.items()}
        for tau in ("tau_plus", "tau_minus"):
            if values[tau] <= 0:
                raise errors.InvalidParameterValueError(
                    f"{name}: parameter '{tau}' = {values[tau]} must be > 0 ms")
        return values

    def core_description(self):
        ps = self.parameter_space
        return {"rule": self.core_rule,
                **{k: float(ps[k].base_value) for k in ("tau_plus", "tau_minus", "A_plus", "A_minus")}}


class SpikePairRule(_TimingRule, pynn_synapses.SpikePairRule):
    __doc__ = pynn_synapses.SpikePairRule.__doc__
    translations = _identity("tau_plus", "tau_minus", "A_plus", "A_minus")
    core_rule = "SpikePairRule"

    def __init__(self, tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.01):
        values = self._check(dict(tau_plus=tau_plus, tau_minus=tau_minus, A_plus=A_plus, A_minus=A_minus))
        pynn_synapses.SpikePairRule.__init__(self, **values)


class SpikeNearestPairRule(_TimingRule, STDPTimingDependence):
    """
    sPyNNaker's nearest-pair rule (``pyNN.spiNNaker.extra_models.SpikeNearestPairRule``): only the
    nearest pre/post spikes are paired (no traces).

    Arguments:
        `tau_plus`, `tau_minus`: time constants of potentiation and depression (ms).
        `A_plus`, `A_minus`: amplitudes of potentiation and depression.
    """
    default_parameters = {
        'tau_plus': 20.0,
        'tau_minus': 20.0,
        'A_plus': 0.01,
        'A_minus': 0.01,
    }
    translations = _identity("tau_plus", "tau_minus", "A_plus", "A_minus")
    core_rule = "SpikeNearestPairRule"

    def __init__(self, tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.01):
        values = self._check(dict(tau_plus=tau_plus, tau_minus=tau_minus, A_plus=A_plus, A_minus=A_minus))
        STDPTimingDependence.__init__(self, **values)


class _WeightDependence:
    core_dependence = None

    def _check(self, w_min, w_max):
        name = type(self).__name__
        w_min = _plain_number(name, "w_min", w_min)
        w_max = _plain_number(name, "w_max", w_max)
        if w_min < 0:
            raise errors.InvalidParameterValueError(
                f"{name}: w_min = {w_min} must be >= 0 (SpiNNaker stores weights as magnitudes; "
                f"the projection's receptor_type gives the sign)")
        if w_max < w_min:
            raise errors.InvalidParameterValueError(f"{name}: w_max = {w_max} is below w_min = {w_min}")
        return dict(w_min=w_min, w_max=w_max)

    def core_description(self):
        ps = self.parameter_space
        return {"dependence": self.core_dependence,
                "w_min": float(ps["w_min"].base_value), "w_max": float(ps["w_max"].base_value)}


class AdditiveWeightDependence(_WeightDependence, pynn_synapses.AdditiveWeightDependence):
    __doc__ = pynn_synapses.AdditiveWeightDependence.__doc__
    translations = _identity("w_min", "w_max")
    core_dependence = "AdditiveWeightDependence"

    def __init__(self, w_min=0.0, w_max=1.0):
        pynn_synapses.AdditiveWeightDependence.__init__(self, **self._check(w_min, w_max))


class MultiplicativeWeightDependence(_WeightDependence, pynn_synapses.MultiplicativeWeightDependence):
    __doc__ = pynn_synapses.MultiplicativeWeightDependence.__doc__
    translations = _identity("w_min", "w_max")
    core_dependence = "MultiplicativeWeightDependence"

    def __init__(self, w_min=0.0, w_max=1.0):
        pynn_synapses.MultiplicativeWeightDependence.__init__(self, **self._check(w_min, w_max))


_RULES = "SpikePairRule or extra_models.SpikeNearestPairRule"
_DEPENDENCES = "AdditiveWeightDependence or MultiplicativeWeightDependence"
STDP_PARAMETERS = ("tau_plus", "tau_minus", "A_plus", "A_minus", "w_min", "w_max")


class STDPMechanism(pynn_synapses.STDPMechanism):
    """
    sPyNNaker 7.4.1's STDP mechanism (docs/stdp.md): a timing rule (``SpikePairRule``,
    ``extra_models.SpikeNearestPairRule``) and a weight dependence
    (``AdditiveWeightDependence``, ``MultiplicativeWeightDependence``).

    ``weight`` (default 0.0, as sPyNNaker) and ``delay`` (default: one timestep) are the initial
    weight and the delay of the projection's synapses. All delays are dendritic
    (``dendritic_delay_fraction`` must be 1); ``backprop_delay=True`` (sPyNNaker's default) makes
    the rule see a post spike after the synapse's delay. ``voltage_dependence`` and
    ``pad_to_length`` (structural plasticity) are not supported. After a run,
    ``Projection.get('weight', ...)`` returns the learned weights.
    """
    base_translations = _identity("weight", "delay", "dendritic_delay_fraction")
    parameter_checks = {'weight': check_weights, 'delay': check_delays}

    def __init__(self, timing_dependence=None, weight_dependence=None, voltage_dependence=None,
                 dendritic_delay_fraction=1.0, weight=0.0, delay=None, pad_to_length=None,
                 backprop_delay=True):
        if timing_dependence is None or weight_dependence is None:
            raise NotImplementedError(
                "STDPMechanism: both timing_dependence and weight_dependence must be specified")
        if voltage_dependence is not None:
            raise NotImplementedError("STDPMechanism: voltage dependence has not been implemented "
                                      "(as in sPyNNaker)")
        if isinstance(dendritic_delay_fraction, bool) or not isinstance(dendritic_delay_fraction, numbers.Real):
            raise errors.InvalidParameterValueError(
                f"STDPMechanism: dendritic_delay_fraction must be a number, not {dendritic_delay_fraction!r}")
        if float(dendritic_delay_fraction) != 1.0:
            raise NotImplementedError(
                "STDPMechanism: all delays must be dendritic! (dendritic_delay_fraction must be 1.0, "
                f"not {dendritic_delay_fraction}, as in sPyNNaker)")
        if pad_to_length is not None:
            raise NotImplementedError(
                "STDPMechanism: pad_to_length (structural plasticity) is not supported by spinnsim")
        if not isinstance(timing_dependence, _TimingRule):
            if isinstance(timing_dependence, STDPTimingDependence):
                raise NotImplementedError(
                    f"STDPMechanism: the timing rule {type(timing_dependence).__name__} is not supported "
                    f"by spinnsim; use spinnsim.pynn's {_RULES}")
            raise TypeError(f"STDPMechanism: timing_dependence must be a {_RULES}, "
                            f"not {type(timing_dependence).__name__}")
        if not isinstance(weight_dependence, _WeightDependence):
            if isinstance(weight_dependence, STDPWeightDependence):
                raise NotImplementedError(
                    f"STDPMechanism: the weight dependence {type(weight_dependence).__name__} is not "
                    f"supported by spinnsim; use spinnsim.pynn's {_DEPENDENCES}")
            raise TypeError(f"STDPMechanism: weight_dependence must be an {_DEPENDENCES}, "
                            f"not {type(weight_dependence).__name__}")
        if backprop_delay not in (True, False, 0, 1) or isinstance(backprop_delay, float):
            raise errors.InvalidParameterValueError(
                f"STDPMechanism: backprop_delay must be True or False, not {backprop_delay!r}")
        pynn_synapses.STDPMechanism.__init__(
            self, timing_dependence, weight_dependence, None, 1.0, weight, delay)
        if delay is not None:
            self.delay = delay          # PyNN's `delay or minimum` would turn 0 into the minimum
        self.dendritic_delay_fraction = 1.0
        self.pad_to_length = None
        self.backprop_delay = bool(backprop_delay)

    def _build_translations(self):
        # PyNN's version updates the class's base_translations in place; keep them apart.
        self.translations = dict(self.base_translations)
        for component in (self.timing_dependence, self.weight_dependence):
            self.translations.update(component.translations)

    def _get_minimum_delay(self):
        d = state.min_delay
        if d == 'auto':
            d = state.dt
        return d

    def get_stdp_value(self, name):
        """A parameter of the rule (``tau_plus``, ..., ``w_max``, ``dendritic_delay_fraction``)."""
        if name == "dendritic_delay_fraction":
            return self.dendritic_delay_fraction
        for component in (self.timing_dependence, self.weight_dependence):
            if component.has_parameter(name):
                return float(component.parameter_space[name].base_value)
        raise KeyError(name)

    def core_description(self):
        """The ``synapse_dynamics`` of a core projection (src/model/plasticity.rs)."""
        return {"timing": self.timing_dependence.core_description(),
                "weight_dependence": self.weight_dependence.core_description(),
                "backprop_delay": bool(self.backprop_delay)}
