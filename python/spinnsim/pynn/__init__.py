"""
spinnsim's PyNN 0.13 backend: SpiNNaker (sPyNNaker 7.4.1) users' scripts run with one changed
line::

    import spinnsim.pynn as p        # instead of: import pyNN.spiNNaker as p

and give sPyNNaker's results bit for bit, as neo Blocks (``Population.get_data``) and as Arrow
tables (``Population.get_data_arrow``, ``spinnsim.pynn.results``). See docs/pynn.md.
"""

from pyNN import errors, space  # noqa: F401
from pyNN.network import Network  # noqa: F401
from pyNN.space import (  # noqa: F401
    Cuboid, Grid2D, Grid3D, Line, RandomStructure, Space, Sphere, distance,
)
from pyNN.standardmodels import StandardCellType

from . import extra_models, random  # noqa: F401
from .arrow import Results, provenance, results, to_pandas, to_polars  # noqa: F401
from .cells import (  # noqa: F401
    IF_cond_exp, IF_curr_delta, IF_curr_exp, Izhikevich, Izhikevich_cond, SpikeSourceArray,
    SpikeSourcePoisson,
)
from .connectors import (  # noqa: F401
    AllToAllConnector, ArrayConnector, CloneConnector, CSAConnector,
    DistanceDependentProbabilityConnector, FixedNumberPostConnector, FixedNumberPreConnector,
    FixedProbabilityConnector, FixedTotalNumberConnector, FromFileConnector, FromListConnector,
    IndexBasedProbabilityConnector, KernelConnector, MultapseConnector, OneToOneConnector,
    SmallWorldConnector,
)
from .control import (  # noqa: F401
    end, get_backend, get_current_time, get_max_delay, get_min_delay, get_time_step, initialize,
    num_processes, rank, reset, run, run_for, run_until, set_allow_delay_extensions,
    set_number_of_neurons_per_core, set_number_of_synapse_cores, setup,
)
from .electrodes import ACSource, DCSource, NoisyCurrentSource, StepCurrentSource  # noqa: F401
from .populations import Assembly, Population, PopulationView  # noqa: F401
from .procedural_api import connect, create, record, record_gsyn, record_v  # noqa: F401
from .projections import Projection  # noqa: F401
from .random import GSLRNG, NativeRNG, NumpyRNG, RandomDistribution  # noqa: F401
from .recording import NotRecordedError  # noqa: F401
from .simulator import NetworkChangeError, SpinnsimCoreError, SpinnsimWarning  # noqa: F401
from .synapses import (  # noqa: F401
    AdditiveWeightDependence, MultiplicativeWeightDependence, SpikePairRule, StaticSynapse,
    STDPMechanism,
)


def name():
    """The name of the simulator."""
    return "spinnsim"


def list_standard_models():
    """The names of the cell types spinnsim runs."""
    return [obj.__name__ for obj in globals().values()
            if isinstance(obj, type) and issubclass(obj, StandardCellType)
            and obj is not StandardCellType]
