"""sPyNNaker's extra models that spinnsim runs (``p.extra_models.Izhikevich_cond``,
``p.extra_models.SpikeNearestPairRule``)."""

from .cells import Izhikevich_cond  # noqa: F401
from .connectors import AllButMeConnector, OneToOneOffsetConnector  # noqa: F401
from .synapses import SpikeNearestPairRule  # noqa: F401

__all__ = ["AllButMeConnector", "Izhikevich_cond", "OneToOneOffsetConnector", "SpikeNearestPairRule"]
