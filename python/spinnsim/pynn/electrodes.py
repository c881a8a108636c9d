"""
Current sources: DCSource and StepCurrentSource, injected as sPyNNaker 7.4.1 injects them (the
current source region of the neuron core). ACSource and NoisyCurrentSource exist on SpiNNaker but
not yet in spinnsim's engine: making one raises NotImplementedError.
"""

import copy
import json

import numpy as np
from pyNN import errors
from pyNN.models import BaseCurrentSource
from pyNN.parameters import ParameterSpace, Sequence
from pyNN.standardmodels import build_translations
from pyNN.standardmodels import electrodes as pynn_electrodes

from .simulator import state


class SpinnsimCurrentSource(BaseCurrentSource):
    """Base class of the current sources: the parameters live here until the network is built;
    changing them after the first run is refused (the engine cannot change a source yet)."""

    def __init__(self, **parameters):
        unknown = [n for n in parameters if n not in self.default_parameters]
        if unknown:
            raise errors.NonExistentParameterError(unknown[0], type(self).__name__,
                                                   list(self.default_parameters))
        self.parameter_space = ParameterSpace(self.default_parameters, self.get_schema(), shape=(1,))
        if parameters:
            self.parameter_space.update(**parameters)
        self._targets = []          # (population, indices)
        self._check()

    def _check(self):
        pass

    def inject_into(self, cells):
        """Injects the current into a Population, PopulationView, Assembly or list of IDs."""
        from .populations import Assembly, Population, PopulationView
        state.check_structure_change("inject a current source")
        if isinstance(cells, Assembly):
            groups = [(p.grandparent if isinstance(p, PopulationView) else p,
                       _indices_in_root(p)) for p in cells.populations]
        elif isinstance(cells, (Population, PopulationView)):
            groups = [(cells.grandparent if isinstance(cells, PopulationView) else cells,
                       _indices_in_root(cells))]
        else:
            by_pop = {}
            for cell in cells:
                pop = cell.parent
                by_pop.setdefault(id(pop), (pop, []))[1].append(pop.id_to_index(cell))
            groups = [(pop, np.array(sorted(ix), dtype=int)) for pop, ix in by_pop.values()]
        for pop, _indices in groups:
            if not pop.celltype.injectable:
                raise TypeError("Can't inject current into a spike source.")
        for pop, indices in groups:
            self._targets.append((pop, np.asarray(indices, dtype=int)))
        if self not in state.current_sources:
            state.current_sources.append(self)
        state.structure_changed()

    def set_native_parameters(self, parameters):
        parameters.shape = (1,)
        if state.live and getattr(self, "_core_indices", None):
            # Between runs: the core reloads the source at the next run, as the binary does.
            old = copy.deepcopy(self.parameter_space)
            self.parameter_space.update(**parameters)
            try:
                self._check()
                source = json.dumps(self.core_source(), allow_nan=False)
                for i in self._core_indices:
                    state.sim.set_current_source(i, source)
            except Exception:
                self.parameter_space = old
                raise
            return
        if state.sim is not None:
            state.check_structure_change(f"change the parameters of a {type(self).__name__}")
        self.parameter_space.update(**parameters)
        self._check()
        state.structure_changed()

    def get_native_parameters(self):
        ps = copy.deepcopy(self.parameter_space)
        ps.shape = (1,)
        ps.evaluate(simplify=True)
        return ps

    def _value(self, name):
        ps = copy.deepcopy(self.parameter_space)
        ps.shape = (1,)
        ps.evaluate(simplify=True)
        v = ps[name]
        if isinstance(v, Sequence):
            return np.asarray(v.value, dtype=float)
        if isinstance(v, np.ndarray) and v.dtype == object:
            v = v[0]
            return np.asarray(v.value if isinstance(v, Sequence) else v, dtype=float)
        return v

    def core_sources(self):
        """The entries of the network's `current_source` list for this source."""
        out = []
        for pop, indices in self._targets:
            entry = {"population": pop._core_label, "source": self.core_source()}
            if len(indices) != pop.size or np.any(indices != np.arange(pop.size)):
                entry["neurons"] = [int(i) for i in indices]
            out.append(entry)
        return out


def _indices_in_root(view):
    from .populations import PopulationView
    if isinstance(view, PopulationView):
        return np.asarray(view.index_in_grandparent(np.arange(view.size)), dtype=int)
    return np.arange(view.size)


class DCSource(SpinnsimCurrentSource, pynn_electrodes.DCSource):
    __doc__ = pynn_electrodes.DCSource.__doc__
    translations = build_translations(('amplitude', 'amplitude'), ('start', 'start'), ('stop', 'stop'))

    def _check(self):
        a, start, stop = (float(self._value(n)) for n in ("amplitude", "start", "stop"))
        if not np.isfinite(a):
            raise errors.InvalidParameterValueError(f"DCSource: amplitude {a} is not finite")
        if not (0 <= start <= stop):
            raise errors.InvalidParameterValueError(
                f"DCSource: need 0 <= start <= stop, got start={start}, stop={stop}")

    def core_source(self):
        a, start, stop = (float(self._value(n)) for n in ("amplitude", "start", "stop"))
        src = {"type": "DCSource", "amplitude": a, "start": start}
        if np.isfinite(stop) and stop < 1e12:
            src["stop"] = stop
        return src


class StepCurrentSource(SpinnsimCurrentSource, pynn_electrodes.StepCurrentSource):
    __doc__ = pynn_electrodes.StepCurrentSource.__doc__
    translations = build_translations(('amplitudes', 'amplitudes'), ('times', 'times'))

    def _check(self):
        times, amps = self._value("times"), self._value("amplitudes")
        if times.shape != amps.shape:
            raise errors.InvalidParameterValueError(
                f"StepCurrentSource: {amps.size} amplitudes for {times.size} times")
        if times.size and (not np.all(np.isfinite(times)) or times.min() < 0 or np.any(np.diff(times) < 0)):
            raise errors.InvalidParameterValueError(
                "StepCurrentSource: times must be finite, >= 0 and increasing")
        if not np.all(np.isfinite(amps)):
            raise errors.InvalidParameterValueError("StepCurrentSource: amplitudes must be finite")

    def core_source(self):
        return {"type": "StepCurrentSource",
                "times": [float(t) for t in self._value("times")],
                "amplitudes": [float(a) for a in self._value("amplitudes")]}


class ACSource(pynn_electrodes.ACSource):
    """Not available yet in spinnsim's engine (sPyNNaker has it)."""

    def __init__(self, **parameters):
        raise NotImplementedError("ACSource is not supported by spinnsim yet (DCSource and "
                                  "StepCurrentSource are)")


class NoisyCurrentSource(pynn_electrodes.NoisyCurrentSource):
    """Not available yet in spinnsim's engine (sPyNNaker has it)."""

    def __init__(self, **parameters):
        raise NotImplementedError("NoisyCurrentSource is not supported by spinnsim yet (DCSource "
                                  "and StepCurrentSource are)")
