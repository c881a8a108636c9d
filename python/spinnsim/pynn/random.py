"""
Random numbers: PyNN's NumpyRNG and RandomDistribution. Values drawn from a distribution (random
parameters, initial values, weights and delays) are drawn here in Python with the distribution's
own generator, so a script that seeds its NumpyRNG gets the same network every time and the
same values PyNN would draw. A RandomDistribution made without an ``rng`` gets a NumpyRNG seeded
from ``setup(seed=...)`` and the number of distributions made before it, so that a script without
seeds is reproducible too (PyNN would seed such a generator from the clock).
"""

from pyNN.random import (  # noqa: F401
    AbstractRNG, GSLRNG, NativeRNG, NumpyRNG, WrappedRNG, available_distributions,
)
from pyNN.parameters import LazyArray
from pyNN.random import RandomDistribution as _PyNNRandomDistribution

from .simulator import state

# The core's names of PyNN's distributions and of their parameters.
_CORE_PARAMETERS = {
    "uniform": ("low", "high"),
    "uniform_int": ("low", "high"),
    "normal": ("mu", "sigma"),
    "normal_clipped": ("mu", "sigma", "low", "high"),
    "normal_clipped_to_boundary": ("mu", "sigma", "low", "high"),
    "exponential": ("beta",),
    "gamma": ("k", "theta"),
    "lognormal": ("mu", "sigma"),
    "poisson": ("lambda_",),
    "binomial": ("n", "p"),
    "vonmises": ("mu", "kappa"),
}


class RandomDistribution(_PyNNRandomDistribution):
    __doc__ = _PyNNRandomDistribution.__doc__

    def __init__(self, distribution, parameters_pos=None, rng=None, **parameters_named):
        if distribution not in available_distributions:
            from pyNN import errors
            raise errors.InvalidParameterValueError(
                f"unknown distribution '{distribution}'; available: "
                f"{', '.join(sorted(available_distributions))}")
        user_rng = rng is not None
        if rng is None:
            rng = state.default_rng()
        super().__init__(distribution, parameters_pos, rng=rng, **parameters_named)
        self._user_rng = user_rng


#: The distributions the synapse expander of sPyNNaker 7.4.1 generates (and the host has statistics
#: for: not uniform_int).
MACHINE_DISTRIBUTIONS = ("uniform", "normal", "normal_clipped", "normal_clipped_to_boundary", "exponential")

#: The distributions sPyNNaker 7.4.1 has no statistics for (`STATS_BY_NAME` spells it "randint"),
#: so that it cannot size a projection with such weights or delays (it raises KeyError): these are
#: drawn here in Python, and the core sizes the projection from the values drawn.
UNSIZED_DISTRIBUTIONS = ("uniform_int",)

#: The distributions the neuron expander of sPyNNaker 7.4.1 draws random parameters and initial
#: values from (the core's ``generatable``, src/mapping/generation.rs): a population set to one of
#: them whole gets the machine's draws; others are drawn here, as the 7.4.1 host draws them with
#: numpy.
NEURON_EXPANDER_DISTRIBUTIONS = MACHINE_DISTRIBUTIONS + ("uniform_int",)


def machine_drawn(value):
    """The RandomDistribution the neuron expander draws ``value`` from, or None: a LazyArray (or
    the distribution itself) that is one such distribution, with no operations on it."""
    if isinstance(value, LazyArray):
        if value.operations:
            return None
        value = value.base_value
    if isinstance(value, _PyNNRandomDistribution) and value.name in NEURON_EXPANDER_DISTRIBUTIONS:
        return value
    return None


def core_distribution(rd):
    """The network-file form of a PyNN RandomDistribution (a dict), or None if the core does not
    know the distribution."""
    names = _CORE_PARAMETERS.get(rd.name)
    if names is None:
        return None
    out = {"distribution": rd.name}
    for n in names:
        key = "lam" if n == "lambda_" else n
        out[key] = float(rd.parameters[n])
    return out
