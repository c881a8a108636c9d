"""
Projection on top of ``pyNN.common``.

A PyNN Projection becomes one core projection per (pre member, post member) pair: one for two
Populations, several when pre or post is an Assembly. Connections are drawn as described in
``connectors.py``. ``Projection.get`` returns the values given by the script (host side) until
the network has run; after a run it returns what the core reads back from the synaptic rows
(weights quantised to the ring-buffer weight scale, delays to whole ticks), as sPyNNaker does;
for an STDP projection (``synapse_type=STDPMechanism(...)``) these are the learned weights.
"""

import numpy as np
from pyNN import common, errors
from pyNN.parameters import LazyArray
from pyNN.random import RandomDistribution as _PyNNRandomDistribution
from pyNN.space import Space

from . import simulator
from .connectors import KernelConnector, core_spec
from .random import UNSIZED_DISTRIBUTIONS, core_distribution
from .simulator import _core_module, state, translate_core_error, warn
from .synapses import (
    STDP_PARAMETERS, StaticSynapse, STDPMechanism, check_delays, check_weights,
)


NON_CONTIGUOUS_VIEW = ("Projections over views only work on contiguous arrays, e.g. view = pop[n:m], "
                       "not view = pop[n,m]")


def _in_given_order(view):
    """Whether every index list in a chain of views is increasing: PyNN sorts ``pop[[3, 2, 1]]``
    into neurons 1, 2, 3, but sPyNNaker 7.4.1 keeps the order given, which is then not contiguous."""
    from .populations import PopulationView
    while isinstance(view, PopulationView):
        given = getattr(view, "_given_selector", view.mask)
        mask = np.asarray(given) if isinstance(given, (list, tuple, np.ndarray)) else None
        if mask is not None and mask.dtype != bool and mask.size > 1 and np.any(np.diff(mask.astype(np.int64)) <= 0):
            return False
        view = view.parent
    return True


class _Members:
    """The populations behind a Population, PopulationView or Assembly, with offsets. Each
    member is (root population, root indices, offset, view): ``view`` is ``(start, stop)`` of the
    root for a PopulationView, which must be contiguous, as sPyNNaker 7.4.1 requires; else None."""

    def __init__(self, obj, label):
        from .populations import PopulationView
        parts = obj.populations if isinstance(obj, common.Assembly) else [obj]
        self.members = []
        offset = 0
        for p in parts:
            view = None
            if isinstance(p, PopulationView):
                root = p.grandparent
                idx = np.asarray(p.index_in_grandparent(np.arange(p.size)), dtype=np.int64)
                if idx.size == 0:
                    raise errors.ConnectionError(f"projection {label}: '{p.label}' is an empty PopulationView")
                if not (_in_given_order(p) and np.array_equal(idx, np.arange(idx[0], idx[0] + idx.size))):
                    raise NotImplementedError(f"projection {label}: {NON_CONTIGUOUS_VIEW} (sPyNNaker 7.4.1 "
                                              f"refuses '{p.label}' likewise)")
                view = (int(idx[0]), int(idx[0]) + idx.size)
            else:
                root = p
                idx = np.arange(p.size, dtype=np.int64)
            self.members.append((root, idx, offset, view))
            offset += p.size
        self.offsets = np.array([m[2] for m in self.members], dtype=np.int64)

    def member_of(self, indices):
        return np.searchsorted(self.offsets, indices, side="right") - 1

    def to_root(self, m, indices):
        root, idx, offset, _ = self.members[m]
        return idx[indices - offset]

    def to_local(self, m, root_indices):
        root, idx, offset, _ = self.members[m]
        lookup = np.full(root.size, -1, dtype=np.int64)
        lookup[idx] = np.arange(idx.size) + offset
        return lookup[np.asarray(root_indices, dtype=np.int64)]


class _Part:
    """One core projection."""

    def __init__(self, proj, pre_m, post_m, sel=None):
        self.proj = proj
        self.pre_m = pre_m
        self.post_m = post_m
        self.sel = sel          # mask over the projection's explicit connections
        self.core_index = None

    def entry(self):
        proj = self.proj
        pre_root, _, _, pre_view = proj._pre_members.members[self.pre_m]
        post_root, _, _, post_view = proj._post_members.members[self.post_m]
        entry = {
            "label": f"{proj.label}" if len(proj._parts) == 1 else f"{proj.label} [{self.pre_m},{self.post_m}]",
            "pre": pre_root._core_label,
            "post": post_root._core_label,
            "receptor_type": "inhibitory" if proj.receptor_type == "inhibitory" else "excitatory",
        }
        # The core counts connector indices from the start of each view.
        starts = []
        for side, view in (("pre_view", pre_view), ("post_view", post_view)):
            if view is not None:
                entry[side] = {"start": view[0], "stop": view[1]}
            starts.append(0 if view is None else view[0])
        if proj._stdp is not None:
            entry["synapse_dynamics"] = proj._stdp_entry(post_root)
        if proj._fast is not None:
            spec, w, d = proj._fast
            entry.update(connector=spec, weight=w if isinstance(w, dict) else abs(float(w)),
                         delay=d if isinstance(d, dict) else float(d))
            return entry
        c = proj._conn
        sel = self.sel
        pre = proj._pre_members.to_root(self.pre_m, c["pre"][sel]) - starts[0]
        post = proj._post_members.to_root(self.post_m, c["post"][sel]) - starts[1]
        w = np.abs(c["weight"][sel])
        d = c["delay"][sel]
        # numpy arrays: the simulator sends them to the core as bytes beside the JSON
        conns = np.column_stack([pre.astype(float), post.astype(float), w, d])
        spec = core_spec(proj._connector) if proj._single else None
        entry["weight"] = _spec_of(proj._weight_spec, w, absolute=True)
        entry["delay"] = _spec_of(proj._delay_spec, d)
        if spec is None:
            entry["connector"] = {"type": "FromListConnector", "conn_list": conns}
        else:
            entry["connector"] = spec
            entry["connections"] = conns
        return entry


def _spec_of(spec, values, absolute=False):
    """How a weight or delay is described to the core: a constant, a distribution (its
    statistics), or the per-connection values."""
    if isinstance(spec, (int, float)):
        return abs(float(spec)) if absolute else float(spec)
    if isinstance(spec, dict):
        return spec
    return np.asarray(values, dtype=float)


def _homogeneous_number(larr):
    """The number if a LazyArray is one constant number, else None."""
    if isinstance(larr, LazyArray) and not larr.operations and isinstance(
            larr.base_value, (int, float, np.integer, np.floating)) and not isinstance(larr.base_value, bool):
        return float(larr.base_value)
    return None


class Connection(common.Connection):
    """One connection of a Projection: indices in the projection's pre and post, weight and
    delay (read from the projection; setting them changes the projection, as Projection.set)."""

    def __init__(self, projection, index):
        self.projection = projection
        self.index = int(index)

    def _values(self):
        return self.projection._arrays()

    @property
    def presynaptic_index(self):
        return int(self._values()[0][self.index])

    @property
    def postsynaptic_index(self):
        return int(self._values()[1][self.index])

    @property
    def presynaptic_cell(self):
        return self.projection.pre[self.presynaptic_index]

    @property
    def postsynaptic_cell(self):
        return self.projection.post[self.postsynaptic_index]

    def _get_weight(self):
        return float(self._values()[2][self.index])

    def _set_weight(self, value):
        self.projection._set_one(self.index, "weight", value)

    weight = property(_get_weight, _set_weight)

    def _get_delay(self):
        return float(self._values()[3][self.index])

    def _set_delay(self, value):
        self.projection._set_one(self.index, "delay", value)

    delay = property(_get_delay, _set_delay)

    def as_tuple(self, *attribute_names):
        return tuple(getattr(self, name) for name in attribute_names)


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse

    def __init__(self, presynaptic_population, postsynaptic_population, connector,
                 synapse_type=None, source=None, receptor_type=None, space=Space(), label=None,  # noqa: B008 (PyNN's signature)
                 **kwargs):
        if not state.is_setup:
            raise RuntimeError("setup() must be called before making a Projection")
        for k in kwargs:
            if k not in ("download_synapses", "partition_id"):
                raise TypeError(f"Projection() got an unexpected keyword argument '{k}'")
        state.check_structure_change("create a Projection")
        if source is not None:
            raise NotImplementedError("spinnsim (as sPyNNaker) has no multi-compartment cells: source must be None")
        if receptor_type in (None, "default"):
            receptor_type = "excitatory"   # sPyNNaker's default, whatever the weight's sign
        if synapse_type is not None and not isinstance(synapse_type, (StaticSynapse, STDPMechanism)):
            from pyNN.models import BaseSynapseType
            if isinstance(synapse_type, BaseSynapseType):
                raise NotImplementedError(
                    f"{type(synapse_type).__name__}: spinnsim supports StaticSynapse and "
                    "STDPMechanism (SpikePairRule, extra_models.SpikeNearestPairRule with "
                    "AdditiveWeightDependence, MultiplicativeWeightDependence) only")
        post_pops = (postsynaptic_population.populations
                     if isinstance(postsynaptic_population, common.Assembly) else [postsynaptic_population])
        for p in post_pops:
            if hasattr(p, "celltype") and not p.celltype.injectable:
                raise errors.ConnectionError(
                    f"'{p.label}' is a {type(p.celltype).__name__}, a spike source, and cannot "
                    "receive synapses")
        common.Projection.__init__(self, presynaptic_population, postsynaptic_population,
                                   connector, synapse_type, source, receptor_type, space, label)
        if self.label is None:
            self.label = f"projection{common.Projection._nProj}"
        self._pre_members = _Members(self.pre, self.label)
        self._post_members = _Members(self.post, self.label)
        # One Population or (contiguous) PopulationView on each side: one core projection, with
        # the connector itself.
        self._single = not isinstance(self.pre, common.Assembly) and not isinstance(self.post, common.Assembly)
        self._readback = None
        self._fast = None
        self._conn = None
        self._stdp = None
        if isinstance(self.synapse_type, STDPMechanism):
            self._stdp = self.synapse_type.core_description()
            self._check_stdp(self._stdp)
        ps = self.synapse_type.parameter_space
        w, d = _homogeneous_number(ps["weight"]), _homogeneous_number(ps["delay"])
        self._weight_spec = self._describe(ps["weight"])
        self._delay_spec = self._describe(ps["delay"])
        spec = core_spec(connector)
        whole = spec is not None and self._single
        machine = self._machine_draws(whole, ps)
        if machine is not None:
            self._fast = (self._connector_spec(spec), *machine)
            self._parts = [_Part(self, 0, 0)]
        elif whole and getattr(connector, "_user_rng", True) is False and w is not None and d is not None:
            check_weights(w, self)
            check_delays(d, self)
            self._fast = (spec, w, d)
            self._parts = [_Part(self, 0, 0)]
        else:
            self._draw()
        state.projections.append(self)
        state.structure_changed()

    def _machine_draws(self, whole, ps):
        """(weight, delay) as the core takes them when it draws this projection itself
        (``setup(draws='machine')``): a Population or a contiguous PopulationView on each side, a
        connector the core knows, static or STDP synapses, constant weights and delays or
        distributions the core knows. The core then decides, as sPyNNaker 7.4.1 does, whether the
        machine generates the projection (from the post-synaptic Population's seed, ignoring every
        rng, and saying so) or the host builds it (drawing from seeded NumpyRNGs as numpy does);
        the rngs' seeds go with the distributions (``state.rng_seed``)."""
        # The core draws a KernelConnector's weights and delays on either draw.
        kernel = isinstance(self._connector, KernelConnector)
        if state.draws != "machine" and not kernel or not whole:
            return None
        specs = []
        for name in ("weight", "delay"):
            number = _homogeneous_number(ps[name])
            if number is not None:
                specs.append(number)
                continue
            larr = ps[name]
            if not (isinstance(larr, LazyArray) and not larr.operations
                    and isinstance(larr.base_value, _PyNNRandomDistribution)):
                return None
            rd = larr.base_value
            spec = core_distribution(rd)
            if spec is None or rd.name in UNSIZED_DISTRIBUTIONS:
                return None
            if getattr(rd, "_user_rng", False):
                seed = state.rng_seed(rd.rng, f"projection {self.label}: the {name} distribution")
                if seed is not None:
                    spec["rng_seed"] = seed
            specs.append(spec)
        if isinstance(specs[0], float):
            check_weights(specs[0], self)
        if isinstance(specs[1], float):
            check_delays(specs[1], self)
        return tuple(specs)

    def _connector_spec(self, spec):
        """The core's connector ``spec`` with the seed of the script's rng, where the core follows
        one (FixedProbabilityConnector, FixedNumberPreConnector); for the others a warning that
        it does not."""
        if spec is None or not getattr(self._connector, "_user_rng", False):
            return spec
        what = f"projection {self.label}: the {type(self._connector).__name__}"
        if spec["type"] in ("FixedProbabilityConnector", "FixedNumberPreConnector"):
            seed = state.rng_seed(self._connector.rng, what)
            return spec if seed is None else dict(spec, rng_seed=seed)
        warn(f"{what}'s rng is not used: where sPyNNaker 7.4.1 generates this projection on the machine it "
             "ignores the rng too (give the post-synaptic Population seed=...); where its host builds the rows, "
             "spinnsim does not reproduce the host's draws for this connector yet")
        return spec

    # ------------------------------------------------------------- STDP
    def _post_roots(self):
        return [m[0] for m in self._post_members.members]

    def _check_stdp(self, stdp):
        """What sPyNNaker checks when an STDP projection is made: the rule's values fit the
        s16.15 words of the synapse-dynamics region (docs/stdp.md §4), and every STDP projection
        into one population has the same rule (``SynapseDynamicsSTDP.is_same_as``)."""
        timing, wdep = stdp["timing"], stdp["weight_dependence"]
        from .cells import S1615_MAX, S1615_MIN
        for root in self._post_roots():
            gws = 1024.0 if getattr(root.celltype, "conductance_based", False) else 1.0
            words = {"w_min": wdep["w_min"] * gws, "w_max": wdep["w_max"] * gws}
            scale = gws if wdep["dependence"] == "AdditiveWeightDependence" else 1.0
            words.update(A_plus=timing["A_plus"] * scale, A_minus=timing["A_minus"] * scale)
            for name, v in words.items():
                if not S1615_MIN <= v <= S1615_MAX:
                    raise errors.InvalidParameterValueError(
                        f"projection {self.label}: STDP parameter '{name}' becomes {v} in the "
                        f"synapse-dynamics region of '{root.label}' (weight scale {gws:g}), outside "
                        f"the s16.15 range [{S1615_MIN}, {S1615_MAX}]")
            for other in state.projections:
                if other is self or other._stdp is None or all(r is not root for r in other._post_roots()):
                    continue
                a = dict(other._stdp, backprop_delay=None)
                b = dict(stdp, backprop_delay=None)
                if a != b:
                    raise errors.ConnectionError(
                        f"projection {self.label}: synapse dynamics must match exactly when using "
                        f"multiple edges to the same population ('{root.label}' already receives "
                        f"{other.label} with {other._stdp['timing']} and "
                        f"{other._stdp['weight_dependence']}; sPyNNaker raises "
                        f"SynapticConfigurationException)")

    def _stdp_entry(self, post_root):
        """``synapse_dynamics`` for a core projection into ``post_root``. sPyNNaker keeps one
        synapse dynamics per population, the last STDP projection's (``merge`` returns the new
        one), so its ``backprop_delay`` applies to all of them."""
        entry = dict(self._stdp)
        for other in state.projections:
            if other._stdp is not None and any(r is post_root for r in other._post_roots()):
                entry["backprop_delay"] = other._stdp["backprop_delay"]
        return entry

    def _stdp_value(self, name):
        if name == "dendritic_delay_fraction":
            return 1.0
        if name in self._stdp["timing"]:
            return self._stdp["timing"][name]
        return self._stdp["weight_dependence"][name]

    def _parameter_names(self):
        names = ["weight", "delay"]
        if self._stdp is not None:
            names += list(STDP_PARAMETERS) + ["dendritic_delay_fraction"]
        return names

    @staticmethod
    def _describe(larr):
        v = _homogeneous_number(larr)
        if v is not None:
            return v
        if isinstance(larr, LazyArray) and not larr.operations and isinstance(
                larr.base_value, _PyNNRandomDistribution):
            return core_distribution(larr.base_value)
        return None

    # ------------------------------------------------------------- drawing
    def _draw(self):
        self._chunks = []
        self._connector.connect(self)
        if self._chunks:
            pre = np.concatenate([c[0] for c in self._chunks])
            post = np.concatenate([c[1] for c in self._chunks])
            w = np.concatenate([c[2] for c in self._chunks])
            d = np.concatenate([c[3] for c in self._chunks])
        else:
            pre = post = np.zeros(0, dtype=np.int64)
            w = d = np.zeros(0)
        del self._chunks
        if pre.size and (pre.min() < 0 or pre.max() >= self.pre.size):
            raise errors.ConnectionError(
                f"projection {self.label}: pre-synaptic index {pre[(pre < 0) | (pre >= self.pre.size)][0]} "
                f"is outside 0..{self.pre.size - 1}")
        if post.size and (post.min() < 0 or post.max() >= self.post.size):
            raise errors.ConnectionError(
                f"projection {self.label}: post-synaptic index {post[(post < 0) | (post >= self.post.size)][0]} "
                f"is outside 0..{self.post.size - 1}")
        check_weights(w, self)
        check_delays(d, self)
        self._conn = {"pre": pre, "post": post, "weight": w, "delay": d}
        self._make_parts()

    def _make_parts(self):
        c = self._conn
        pm = self._pre_members.member_of(c["pre"])
        qm = self._post_members.member_of(c["post"])
        self._parts = []
        for a in range(len(self._pre_members.members)):
            for b in range(len(self._post_members.members)):
                sel = (pm == a) & (qm == b)
                if sel.any() or self._single:
                    self._parts.append(_Part(self, a, b, sel))

    def _convergent_connect(self, presynaptic_indices, postsynaptic_index,
                            location_selector=None, **connection_parameters):
        if location_selector is not None:
            raise NotImplementedError("spinnsim has no multi-compartment cells")
        pre = np.asarray(presynaptic_indices, dtype=np.int64).ravel()
        n = pre.size
        if n == 0:
            return
        post = np.full(n, int(postsynaptic_index), dtype=np.int64)
        w = np.broadcast_to(np.asarray(connection_parameters.get("weight", 0.0), dtype=float), (n,))
        d = np.broadcast_to(np.asarray(connection_parameters.get("delay", state.dt), dtype=float), (n,))
        self._chunks.append((pre, post, np.array(w), np.array(d)))

    # ------------------------------------------------------------- reading
    def _core_parts(self):
        return self._parts

    def _built_sim(self):
        """The simulation that holds this projection's rows (building it if need be)."""
        return state.ensure_built()

    def _read_back(self):
        """(pre, post, weight, delay) arrays read back from the core (projection indices)."""
        if self._readback is not None:
            return self._readback
        sim = self._built_sim()
        core = _core_module()
        out = [[], [], [], []]
        for part in self._parts:
            try:
                arr = np.asarray(sim.connections(part.core_index), dtype=float).reshape(-1, 4)
            except core.SpinnsimError as e:
                raise translate_core_error(e) from None
            out[0].append(self._pre_members.to_local(part.pre_m, arr[:, 0].astype(np.int64)))
            out[1].append(self._post_members.to_local(part.post_m, arr[:, 1].astype(np.int64)))
            out[2].append(arr[:, 2])
            out[3].append(arr[:, 3])
        self._readback = tuple(np.concatenate(x) if x else np.zeros(0) for x in out)
        return self._readback

    def _arrays(self):
        """The connections as the script sees them now: host-side values before the network
        has run, the core's read-back values after."""
        if state.sim is not None and state.sim_has_run and not state.needs_rebuild \
                and getattr(self, "_sim", None) is state.sim:
            return self._read_back()
        if self._fast is not None:
            # A distribution the machine draws has only the machine's values.
            pre, post, machine_w, machine_d = self._read_back()
            _, w, d = self._fast
            w = machine_w if isinstance(w, dict) else np.full(pre.size, w)
            d = machine_d if isinstance(d, dict) else np.full(pre.size, d)
            return pre, post, w, d
        c = self._conn
        return c["pre"], c["post"], c["weight"], c["delay"]

    def __len__(self):
        return int(self._arrays()[0].size)

    def __getitem__(self, i):
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"connection {i} of a projection with {n}")
        return Connection(self, i % n)

    @property
    def connections(self):
        return [Connection(self, k) for k in range(len(self))]

    def _make_explicit(self):
        """Keeps the connections here (drawn by the core so far) so that single values can change."""
        if self._fast is not None:
            pre, post, w, d = self._arrays()
            self._conn = {"pre": pre.copy(), "post": post.copy(), "weight": w.copy(), "delay": d.copy()}
            self._fast = None
            self._make_parts()

    def _set_one(self, k, name, value):
        state.check_structure_change("change a connection")
        self._make_explicit()
        values = self._conn[name].copy()
        values[k] = float(value)
        (check_weights if name == "weight" else check_delays)(values, self)
        self._conn[name] = values
        if name == "weight":
            self._weight_spec = None
        else:
            self._delay_spec = None
        state.structure_changed()

    def get(self, attribute_names, format, gather=True, with_address=True,
            multiple_synapses='last'):
        """Weights and/or delays as a list of tuples or as (pre.size, post.size) arrays with NaN
        where there is no connection (see PyNN). After a run the values are those read back from
        the synaptic rows, as on SpiNNaker."""
        single = isinstance(attribute_names, str)
        names = [attribute_names] if single else list(attribute_names)
        names = [n[:-1] if n in ("weights", "delays") else n for n in names]
        known = self._parameter_names()
        for n in names:
            if n not in known:
                raise errors.NonExistentParameterError(n, type(self.synapse_type).__name__, known)
        pre, post, w, d = self._arrays()
        cols = {"weight": w, "delay": d}
        for n in names:
            if n not in cols:   # an STDP parameter: one value for every connection, as sPyNNaker
                cols[n] = np.full(pre.size, self._stdp_value(n))
        if format == "list":
            fields = ([pre.tolist(), post.tolist()] if with_address else []) + [cols[n].tolist() for n in names]
            values = list(zip(*fields))
            if not with_address and single:
                values = [v[0] for v in values]
            return values
        if format == "array":
            if multiple_synapses not in common.Projection.MULTI_SYNAPSE_OPERATIONS:
                raise ValueError("`multiple_synapses` argument must be one of {}".format(
                    list(common.Projection.MULTI_SYNAPSE_OPERATIONS)))
            arrays = [_to_matrix(pre, post, cols[n], self.pre.size, self.post.size, multiple_synapses)
                      for n in names]
            return arrays[0] if single else arrays
        raise ValueError("format must be 'list' or 'array'")

    # ------------------------------------------------------------- changing
    def set(self, **attributes):
        """Sets weights and/or delays (see PyNN). Before the first run, or after reset() (the
        next run then maps the network again); sPyNNaker 7.4.1 cannot change synapses of a
        network that has run either. The parameters of an STDP rule (``tau_plus``, ``A_plus``,
        ``w_max``, ...) take one number for the whole projection."""
        known = self._parameter_names()
        for n in attributes:
            if n not in known:
                raise errors.NonExistentParameterError(n, type(self.synapse_type).__name__, known)
        state.check_structure_change("change synapses with Projection.set")
        rule = {n: attributes.pop(n) for n in list(attributes) if n not in ("weight", "delay")}
        if rule:
            self._set_stdp(rule)
            if not attributes:
                state.structure_changed()
                return
        if self._fast is not None:
            numbers = {n: v for n, v in attributes.items()
                       if isinstance(v, (int, float, np.integer, np.floating))}
            if len(numbers) == len(attributes):
                spec, w, d = self._fast
                w = float(numbers["weight"]) if "weight" in numbers else w
                d = float(numbers["delay"]) if "delay" in numbers else d
                if not isinstance(w, dict):
                    check_weights(w, self)
                if not isinstance(d, dict):
                    check_delays(d, self)
                self._fast = (spec, w, d)
                self._weight_spec, self._delay_spec = w, d
                state.structure_changed()
                return
            self._make_explicit()
        common.Projection.set(self, **attributes)
        state.structure_changed()

    def _set_stdp(self, values):
        """New values of the STDP rule's parameters for this projection (checked as the rule's
        constructor and the projection check do)."""
        from .synapses import _plain_number
        timing = dict(self._stdp["timing"])
        wdep = dict(self._stdp["weight_dependence"])
        for n, v in values.items():
            if n == "dendritic_delay_fraction":
                if _plain_number("STDPMechanism", n, v) != 1.0:
                    raise NotImplementedError("STDPMechanism: all delays must be dendritic! "
                                              "(dendritic_delay_fraction must be 1.0)")
                continue
            (timing if n in timing else wdep)[n] = v
        rule = type(self.synapse_type.timing_dependence)
        dep = type(self.synapse_type.weight_dependence)
        t = rule(**{k: timing[k] for k in ("tau_plus", "tau_minus", "A_plus", "A_minus")}).core_description()
        w = dep(w_min=wdep["w_min"], w_max=wdep["w_max"]).core_description()
        stdp = dict(self._stdp, timing=t, weight_dependence=w)
        self._check_stdp(stdp)
        self._stdp = stdp

    def _set_attributes(self, parameter_space):
        parameter_space.shape = (self.pre.size, self.post.size)
        c = self._conn
        n = c["pre"].size
        for name, larr in parameter_space.items():
            v = _homogeneous_number(larr)
            if v is not None:
                values = np.full(n, v)
                spec = v
            elif isinstance(larr, LazyArray) and not larr.operations and isinstance(
                    larr.base_value, _PyNNRandomDistribution):
                values = np.asarray(larr.base_value.next(n), dtype=float).reshape(n)
                spec = core_distribution(larr.base_value)
            else:
                full = np.asarray(larr.evaluate(simplify=False), dtype=float)
                full = np.broadcast_to(full, (self.pre.size, self.post.size))
                values = full[c["pre"], c["post"]]
                spec = None
            if name == "weight":
                check_weights(values, self)
                c["weight"] = values
                self._weight_spec = spec
            elif name == "delay":
                check_delays(values, self)
                c["delay"] = values
                self._delay_spec = spec


def _to_matrix(pre, post, values, n_pre, n_post, how):
    out = np.full((n_pre, n_post), np.nan)
    if pre.size == 0:
        return out
    if how == "last":
        out[pre, post] = values
    elif how == "first":
        out[pre[::-1], post[::-1]] = values[::-1]
    elif how == "sum":
        acc = np.zeros((n_pre, n_post))
        np.add.at(acc, (pre, post), values)
        seen = np.zeros((n_pre, n_post), bool)
        seen[pre, post] = True
        out[seen] = acc[seen]
    elif how in ("min", "max"):
        fill = np.inf if how == "min" else -np.inf
        acc = np.full((n_pre, n_post), fill)
        (np.minimum if how == "min" else np.maximum).at(acc, (pre, post), values)
        seen = np.isfinite(acc)
        out[seen] = acc[seen]
    return out
