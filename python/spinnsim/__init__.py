"""spinnsim: spiking neural networks with the results of SpiNNaker (sPyNNaker 7.4.1), bit for bit.

The core is the extension module ``spinnsim._spinnsim``; ``spinnsim.pynn`` is the PyNN backend.
Results come as :class:`ArrowTable` objects that pyarrow, polars and pandas read without copying
(Arrow PyCapsule interface); none of those libraries is imported until a table is converted.
``Simulation(..., backend="auto"|"cpu"|"gpu")`` picks the engine; ``devices()`` lists the GPU
adapters.
"""

from ._spinnsim import ArrowTable, Simulation, SpinnsimError, __version__, devices

__all__ = ["ArrowTable", "Simulation", "SpinnsimError", "__version__", "devices"]
