"""
A population's parameter or initial value as sPyNNaker 7.4.1 holds it: a ranged list
(``spinn_utilities.ranged.RangedList``) of ``(start, stop, value)``, each value a number or one
RandomDistribution object, neighbours with equal values merged (numbers by value, distributions
by identity), or a plain list of one value per neuron once the whole population was given a list.

The neuron expander draws a distribution range by range from the core's seed, so
``pop[0:10].initialize(v=RandomDistribution(...))`` hands the core the ranges, not values drawn
here; a list given to the whole population keeps the population's values on the host, as in
7.4.1 (``PopulationVertex.can_generate_on_machine``).
"""

from numbers import Real

import numpy as np
from pyNN.parameters import LazyArray

from .random import core_distribution, machine_drawn

#: A range's value that the neuron expander cannot draw (a distribution it has no generator for,
#: or one with operations applied): the 7.4.1 host then writes the whole population itself.
HOST = object()


def value_kind(value):
    """What a ranged list stores for ``value`` (before it is evaluated): a float, a
    RandomDistribution the neuron expander draws, :data:`HOST` for another distribution, or None
    for values that differ per neuron (a list, an array, a function)."""
    rd = machine_drawn(value)
    if rd is not None:
        return rd
    base = value
    if isinstance(value, LazyArray):
        if value.operations:
            return HOST if _is_distribution(value.base_value) else None
        base = value.base_value
    if isinstance(base, Real) or (isinstance(base, np.ndarray) and base.ndim == 0):
        return float(base)
    return HOST if _is_distribution(base) else None


def _is_distribution(v):
    return hasattr(v, "next") and hasattr(v, "parameters")


def _same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return a == b
    return a is b


class RangedValue:
    """One value of a population, as 7.4.1's ranged list holds it."""

    def __init__(self, size, kind):
        self.size = size
        self.ranges = None
        self.set_all(kind)

    def set_all(self, kind):
        """The whole population set to ``kind`` (see :func:`value_kind`); None makes it a list."""
        self.ranges = None if kind is None else [(0, self.size, kind)]

    def set_ids(self, ids, kind, values):
        """Neurons ``ids`` (of the population) set through a view: to ``kind``, or when it is
        None to ``values`` (one number per id)."""
        if self.ranges is None:
            return
        per_neuron = [v for a, b, v in self.ranges for _ in range(b - a)]
        if kind is None:
            for i, v in zip(ids, np.asarray(values, dtype=float).ravel()):
                per_neuron[int(i)] = float(v)
        else:
            for i in ids:
                per_neuron[int(i)] = kind
        ranges = []
        for i, v in enumerate(per_neuron):
            if ranges and _same(ranges[-1][2], v):
                ranges[-1] = (ranges[-1][0], i + 1, v)
            else:
                ranges.append((i, i + 1, v))
        self.ranges = ranges

    def for_core(self, values, as_list):
        """The network-file form: a number, a distribution, a list of ranges, or — for a list,
        or a range the expander cannot draw — ``values`` (drawn here), through ``as_list``."""
        if self.ranges is None or any(v is HOST for _, _, v in self.ranges):
            return as_list(values)
        if len(self.ranges) == 1:
            return _range_value(self.ranges[0][2])
        return [{"start": a, "stop": b, "value": _range_value(v)} for a, b, v in self.ranges]

    def distributions(self):
        """The distributions the ranges hold."""
        return [v for _, _, v in self.ranges or () if not isinstance(v, float) and v is not HOST]


def _range_value(v):
    return v if isinstance(v, float) else core_distribution(v)
