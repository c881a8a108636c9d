"""
Connectors: PyNN's, with sPyNNaker's spellings (``FixedProbabilityConnector(p=...)``,
``MultapseConnector``) and a note of whether the script gave an ``rng``.

How connections are drawn (see docs/pynn.md):

* with ``setup(draws="machine")`` (the default), between Populations or contiguous views, a
  connector the core knows goes to the core as parameters, with the seed of its ``NumpyRNG``
  (FixedProbability), and the core draws as sPyNNaker 7.4.1 would: the synapse expander's draws
  where the machine generates the projection, the host's numpy draws where the host builds it;
* otherwise (views that are not contiguous, assemblies, array weights/delays, FromList, every
  connector the core does not know, or ``draws="spinnsim"`` with an ``rng``), PyNN's own
  connector code draws them here in Python with that generator; the core receives them as
  explicit ``connections`` plus the connector type, which still decides the ring-buffer
  statistics and the quantisation;
* with ``draws="spinnsim"`` and no ``rng``, between whole Populations with constant weight and
  delay, the connector itself goes to the core, which draws with its own generator seeded by
  ``setup(seed=...)``. ``Projection.get`` reads the drawn connections back from the core.
"""

from pyNN import connectors as _c
from pyNN.connectors import (  # noqa: F401
    ArrayConnector, CloneConnector, Connector, CSAConnector,
)

# Connectors the core knows, and how to describe them to it.
CORE_CONNECTORS = ("AllToAllConnector", "OneToOneConnector", "FixedProbabilityConnector",
                   "FixedTotalNumberConnector", "FixedNumberPreConnector",
                   "FixedNumberPostConnector", "OneToOneOffsetConnector", "AllButMeConnector",
                   "KernelConnector")


class _UserRng:
    def _note_rng(self, rng):
        self._user_rng = rng is not None


def _check_list(conn_list, projection):
    from pyNN import errors
    import numpy as np
    cl = np.asarray(conn_list)
    if cl.size == 0:
        return
    for col, pop, what in ((0, projection.pre, "pre"), (1, projection.post, "post")):
        idx = cl[:, col]
        bad = (idx < 0) | (idx >= pop.size) | (idx != np.floor(idx))
        if bad.any():
            raise errors.ConnectionError(
                f"FromListConnector: {what}-synaptic index {idx[bad][0]:g} is outside "
                f"0..{pop.size - 1} (projection {projection.label})")


class FromListConnector(_c.FromListConnector):
    __doc__ = _c.FromListConnector.__doc__

    def connect(self, projection):
        _check_list(self.conn_list, projection)
        super().connect(projection)


class FromFileConnector(_c.FromFileConnector):
    __doc__ = _c.FromFileConnector.__doc__

    def connect(self, projection):
        _check_list(self.conn_list, projection)
        super().connect(projection)


class AllToAllConnector(_c.AllToAllConnector):
    __doc__ = _c.AllToAllConnector.__doc__
    _user_rng = False


class OneToOneConnector(_c.OneToOneConnector):
    __doc__ = _c.OneToOneConnector.__doc__
    _user_rng = False


class OneToOneOffsetConnector(_c.MapConnector):
    """sPyNNaker's ``extra_models.OneToOneOffsetConnector``: post ``i`` from pre ``i - offset``
    within each group of ``n_neurons_per_group`` neurons (the whole population when None), moved
    round its group when ``wrap`` (else left out). Pre and post have one size, the groups divide
    it, and ``|offset|`` is at most a group, as sPyNNaker 7.4.1 checks. The machine's synapse
    expander builds it; drawn here (for array weights, say), the core's own code gives the pairs."""

    parameter_names = ("offset", "wrap", "n_neurons_per_group")
    _user_rng = False

    def __init__(self, offset: int, wrap: bool, n_neurons_per_group: "int | None" = None,
                 safe: bool = True, verbose: bool = False, callback=None):
        super().__init__(safe=safe, callback=callback)
        self.offset = int(offset)
        self.wrap = bool(wrap)
        self.n_neurons_per_group = None if n_neurons_per_group is None else int(n_neurons_per_group)

    def connect(self, projection):
        _connect_undrawn(self, projection)


class AllButMeConnector(_c.MapConnector):
    """sPyNNaker's ``extra_models.AllButMeConnector``: within each group of
    ``n_neurons_per_group`` neurons (the smaller population when None), every pre onto every post
    of its group but the one at its own place (winner-takes-all inhibition). Pre and post have
    one size and the groups divide it, as sPyNNaker 7.4.1 checks. The machine's synapse expander
    builds it; drawn here, the core's own code gives the pairs. ``weights``, the group's own
    (``n × (n − 1)`` values, pre-major without the diagonal), are the machine's weights; where
    7.4.1's host builds the rows it writes the synapse type's weight instead (and says so)."""

    parameter_names = ("n_neurons_per_group",)
    _user_rng = False

    def __init__(self, n_neurons_per_group: "int | None" = None, weights=None, safe: bool = True,
                 verbose: bool = False, callback=None):
        import numpy as np
        super().__init__(safe=safe, callback=callback)
        self.n_neurons_per_group = None if n_neurons_per_group is None else int(n_neurons_per_group)
        self.weights = None if weights is None else [float(w) for w in np.asarray(weights, dtype=float).ravel()]
        g = self.n_neurons_per_group
        if self.weights is not None and g is not None and len(self.weights) != g * (g - 1):
            raise ValueError(f"AllButMeConnector: {len(self.weights)} weights for groups of {g}; a group needs "
                             f"{g} x ({g} - 1) = {g * (g - 1)}")

    def connect(self, projection):
        _connect_undrawn(self, projection)


def _shape(value, what: str) -> "list[int]":
    """A [height, width] pair of whole numbers."""
    import numpy as np
    a = np.asarray(value)
    if a.shape != (2,) or not np.all(a == np.floor(a)):
        raise ValueError(f"KernelConnector: {what} must be [height, width] (whole numbers), not {value!r}")
    return [int(x) for x in a]


class KernelConnector(_c.MapConnector):
    """sPyNNaker's ``KernelConnector``: the pre- and post-synaptic Populations seen as 2-D grids
    (``[height, width]``, row-major), each post neuron placed on the pre grid (from
    ``post_start_coords_in_pre`` in steps of ``post_sample_steps_in_pre``) and connected to the
    pre neurons under the kernel centred there, with the kernel's own weights and delays
    (``weight_kernel``, ``delay_kernel``: a number, a ``shape_kernel`` array, or a
    ``RandomDistribution`` drawn once per kernel position here, as sPyNNaker does) or the
    synapse type's. The core builds it between whole Populations, on the machine's path or
    7.4.1's host's (docs/pynn.md)."""

    parameter_names = ("shape_pre", "shape_post", "shape_kernel")
    _user_rng = False

    def __init__(self, shape_pre, shape_post, shape_kernel, weight_kernel=None, delay_kernel=None,
                 shape_common=None, pre_sample_steps_in_post=None, pre_start_coords_in_post=None,
                 post_sample_steps_in_pre=None, post_start_coords_in_pre=None, safe: bool = True,
                 space=None, verbose: bool = False, callback=None):
        super().__init__(safe=safe, callback=callback)
        if space is not None:
            raise ValueError("KernelConnector: a space is not supported (sPyNNaker asserts it is None)")
        self.shape_pre = _shape(shape_pre, "shape_pre")
        self.shape_post = _shape(shape_post, "shape_post")
        self.shape_kernel = _shape(shape_kernel, "shape_kernel")
        self.optional = {name: None if v is None else _shape(v, name) for name, v in (
            ("shape_common", shape_common), ("pre_sample_steps_in_post", pre_sample_steps_in_post),
            ("pre_start_coords_in_post", pre_start_coords_in_post),
            ("post_sample_steps_in_pre", post_sample_steps_in_pre),
            ("post_start_coords_in_pre", post_start_coords_in_pre))}
        self.weight_kernel = self._kernel_values(weight_kernel, "weight_kernel")
        self.delay_kernel = self._kernel_values(delay_kernel, "delay_kernel")

    def _kernel_values(self, values, what: str) -> "list[list[float]] | None":
        """``values`` as ``shape_kernel`` rows (sPyNNaker's ``__get_kernel_vals``)."""
        import numpy as np
        from pyNN.random import RandomDistribution
        if values is None:
            return None
        kh, kw = self.shape_kernel
        if isinstance(values, RandomDistribution):
            a = np.asarray(values.next(kh * kw), dtype=float).reshape(kh, kw)
        elif np.isscalar(values):
            a = np.full((kh, kw), float(values))
        else:
            a = np.asarray(values, dtype=float)
            if a.shape != (kh, kw):
                raise ValueError(f"KernelConnector: {what} has shape {a.shape}, not the kernel's ({kh}, {kw})")
        return a.tolist()

    def spec(self) -> dict:
        """The core's description of the connector."""
        out = {"type": "KernelConnector", "shape_pre": self.shape_pre, "shape_post": self.shape_post,
               "shape_kernel": self.shape_kernel}
        out.update({k: v for k, v in self.optional.items() if v is not None})
        for k in ("weight_kernel", "delay_kernel"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        return out

    def connect(self, projection):
        from pyNN import errors
        raise errors.ConnectionError(
            f"projection {projection.label}: a KernelConnector is built by the core, between whole Populations, "
            "with constant weights and delays or distributions the core knows (give per-position values as "
            "weight_kernel and delay_kernel)")


def _connect_undrawn(connector, projection):
    """Connects a connector that draws nothing with the core's own pairs (``connector_pairs``)."""
    import json
    import numpy as np
    from pyNN.parameters import LazyArray
    from .simulator import _core_module, translate_core_error
    core = _core_module()
    try:
        pairs = core.connector_pairs(json.dumps(core_spec(connector)), projection.pre.size, projection.post.size)
    except core.SpinnsimError as e:
        raise translate_core_error(e, f"projection {projection.label}") from None
    mask = np.zeros((projection.pre.size, projection.post.size), dtype=bool)
    if pairs:
        pre, post = np.asarray(pairs, dtype=np.int64).T
        mask[pre, post] = True
    connector._connect_with_map(projection, LazyArray(mask))


class FixedProbabilityConnector(_UserRng, _c.FixedProbabilityConnector):
    __doc__ = _c.FixedProbabilityConnector.__doc__

    def __init__(self, p_connect=None, allow_self_connections=True, rng=None, safe=True,
                 callback=None, p=None, verbose=False, **kwargs):
        if p_connect is None:
            p_connect = p
        if p_connect is None:
            raise TypeError("FixedProbabilityConnector needs p_connect (or p)")
        if kwargs:
            raise TypeError(f"FixedProbabilityConnector got unexpected argument(s) {sorted(kwargs)}")
        from pyNN import errors
        if not 0.0 <= float(p_connect) <= 1.0:
            raise errors.InvalidParameterValueError(
                f"FixedProbabilityConnector: p_connect {p_connect} is outside [0, 1]")
        self._note_rng(rng)
        super().__init__(p_connect, allow_self_connections, rng=rng, safe=safe, callback=callback)


class _FixedNumberMixin(_UserRng):
    def connect(self, projection):
        # Refused as the core refuses it, before PyNN's own drawing, which would never end when
        # there is nothing to draw from (a neuron without self-connections).
        spec = core_spec(self)
        if spec is not None:
            import json
            from .simulator import _core_module, translate_core_error
            core = _core_module()
            try:
                core.check_connector(json.dumps(spec), projection.pre.size, projection.post.size,
                                     projection.pre == projection.post)
            except core.SpinnsimError as e:
                raise translate_core_error(e, f"projection {projection.label}") from None
        super().connect(projection)

    def _check_n(self, n):
        from pyNN import errors
        import numpy as np
        if isinstance(n, (np.integer, float)) and float(n).is_integer():
            n = int(n)
        if isinstance(n, int) and n < 0 or isinstance(n, float):
            raise errors.InvalidParameterValueError(
                f"{type(self).__name__}: n = {n} must be a whole number >= 0")
        return n


class FixedNumberPreConnector(_FixedNumberMixin, _c.FixedNumberPreConnector):
    __doc__ = _c.FixedNumberPreConnector.__doc__

    def __init__(self, n, allow_self_connections=True, with_replacement=False, rng=None,
                 safe=True, callback=None, verbose=False):
        self._note_rng(rng)
        n = self._check_n(n)
        super().__init__(n, allow_self_connections, with_replacement, rng=rng, safe=safe,
                         callback=callback)


class FixedNumberPostConnector(_FixedNumberMixin, _c.FixedNumberPostConnector):
    __doc__ = _c.FixedNumberPostConnector.__doc__

    def __init__(self, n, allow_self_connections=True, with_replacement=False, rng=None,
                 safe=True, callback=None, verbose=False):
        self._note_rng(rng)
        n = self._check_n(n)
        super().__init__(n, allow_self_connections, with_replacement, rng=rng, safe=safe,
                         callback=callback)


class FixedTotalNumberConnector(_FixedNumberMixin, _c.FixedTotalNumberConnector):
    __doc__ = _c.FixedTotalNumberConnector.__doc__

    def __init__(self, n, allow_self_connections=True, with_replacement=True, rng=None,
                 safe=True, callback=None, verbose=False):
        self._note_rng(rng)
        n = self._check_n(n)
        super().__init__(n, allow_self_connections, with_replacement, rng=rng, safe=safe,
                         callback=callback)


# sPyNNaker's name of FixedTotalNumberConnector.
MultapseConnector = FixedTotalNumberConnector


class DistanceDependentProbabilityConnector(_UserRng, _c.DistanceDependentProbabilityConnector):
    __doc__ = _c.DistanceDependentProbabilityConnector.__doc__

    def __init__(self, d_expression, allow_self_connections=True, rng=None, safe=True,
                 callback=None, verbose=False):
        self._note_rng(rng)
        super().__init__(d_expression, allow_self_connections, rng=rng, safe=safe, callback=callback)


class IndexBasedProbabilityConnector(_UserRng, _c.IndexBasedProbabilityConnector):
    __doc__ = _c.IndexBasedProbabilityConnector.__doc__

    def __init__(self, index_expression, allow_self_connections=True, rng=None, safe=True,
                 callback=None, verbose=False):
        self._note_rng(rng)
        super().__init__(index_expression, allow_self_connections, rng=rng, safe=safe,
                         callback=callback)


class SmallWorldConnector(_UserRng, _c.SmallWorldConnector):
    __doc__ = _c.SmallWorldConnector.__doc__

    def __init__(self, degree, rewiring, allow_self_connections=True, n_connections=None,
                 rng=None, safe=True, callback=None, verbose=False):
        self._note_rng(rng)
        super().__init__(degree, rewiring, allow_self_connections, n_connections, rng=rng,
                         safe=safe, callback=callback)


def core_spec(connector):
    """The core's description of a connector (a dict), or None when the core does not know it."""
    name = type(connector).__name__
    if isinstance(connector, _c.AllToAllConnector):
        return {"type": "AllToAllConnector",
                "allow_self_connections": bool(connector.allow_self_connections is True)}
    if isinstance(connector, _c.OneToOneConnector):
        return {"type": "OneToOneConnector"}
    if isinstance(connector, KernelConnector):
        return connector.spec()
    if isinstance(connector, AllButMeConnector):
        spec = {"type": "AllButMeConnector", "n_neurons_per_group": connector.n_neurons_per_group}
        if connector.weights is not None:
            spec["weights"] = connector.weights
        return spec
    if isinstance(connector, OneToOneOffsetConnector):
        return {"type": "OneToOneOffsetConnector", "offset": connector.offset, "wrap": connector.wrap,
                "n_neurons_per_group": connector.n_neurons_per_group}
    if isinstance(connector, _c.FixedProbabilityConnector):
        return {"type": "FixedProbabilityConnector", "p_connect": float(connector.p_connect),
                "allow_self_connections": bool(connector.allow_self_connections is True)}
    if isinstance(connector, (_c.FixedNumberPreConnector, _c.FixedNumberPostConnector,
                              _c.FixedTotalNumberConnector)):
        n = connector.n
        if not isinstance(n, (int, float)) or int(n) != n:
            return None
        kind = ("FixedNumberPreConnector" if isinstance(connector, _c.FixedNumberPreConnector)
                else "FixedNumberPostConnector" if isinstance(connector, _c.FixedNumberPostConnector)
                else "FixedTotalNumberConnector")
        return {"type": kind, "n": int(n),
                "allow_self_connections": bool(connector.allow_self_connections is True),
                "with_replacement": bool(connector.with_replacement)}
    del name
    return None
