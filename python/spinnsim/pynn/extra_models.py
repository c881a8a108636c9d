"""sPyNNaker's extra models that spinnsim runs (``p.extra_models.Izhikevich_cond``)."""

from .cells import Izhikevich_cond  # noqa: F401

__all__ = ["Izhikevich_cond"]
