"""
Synapse types: StaticSynapse. Weights are in nA (current-based targets) or µS (conductance-based);
as on sPyNNaker their sign is ignored (a positive weight on an inhibitory projection inhibits),
but one projection may not mix signs. STDP is not in spinnsim's engine yet.
"""

import numpy as np
from pyNN import errors
from pyNN.standardmodels import build_translations
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


class _NotSupported:
    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            f"{type(self).__name__}: plastic synapses (STDP) are not supported by spinnsim yet")


class STDPMechanism(_NotSupported, pynn_synapses.STDPMechanism):
    pass


class SpikePairRule(_NotSupported, pynn_synapses.SpikePairRule):
    pass


class AdditiveWeightDependence(_NotSupported, pynn_synapses.AdditiveWeightDependence):
    pass


class MultiplicativeWeightDependence(_NotSupported, pynn_synapses.MultiplicativeWeightDependence):
    pass
