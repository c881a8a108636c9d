"""A first spinnsim run from PyNN: a balanced network of excitatory and inhibitory neurons driven
by Poisson input, run as SpiNNaker (sPyNNaker 7.4.1) would run it, then plotted.

    python examples/tutorial.py            # writes tutorial.png

A script written for SpiNNaker needs one changed line: ``import spinnsim.pynn as sim`` instead of
``import pyNN.spiNNaker as sim``.
"""

import sys

import matplotlib

matplotlib.use("Agg")

import spinnsim.pynn as sim  # noqa: E402  (on SpiNNaker: import pyNN.spiNNaker as sim)
from pyNN.random import NumpyRNG, RandomDistribution  # noqa: E402
from pyNN.utility.plotting import Figure, Panel  # noqa: E402


def main(out="tutorial.png"):
    sim.setup(timestep=1.0, seed=42)
    rng = NumpyRNG(seed=4242)

    cells = sim.IF_curr_exp(tau_m=20.0, v_thresh=-50.0, v_reset=-65.0, tau_refrac=2.0)
    exc = sim.Population(400, cells, label="excitatory")
    inh = sim.Population(100, cells, label="inhibitory")
    noise = sim.Population(100, sim.SpikeSourcePoisson(rate=20.0), label="noise")
    for pop in (exc, inh):
        pop.initialize(v=RandomDistribution("uniform", (-65.0, -55.0), rng=rng))
        pop.record("spikes")
    exc[0:5].record("v")

    fixed = sim.FixedProbabilityConnector(0.1)
    sim.Projection(noise, exc, fixed, sim.StaticSynapse(weight=0.8, delay=1.0))
    sim.Projection(noise, inh, fixed, sim.StaticSynapse(weight=0.8, delay=1.0))
    sim.Projection(exc, exc, fixed, sim.StaticSynapse(weight=0.15, delay=2.0))
    sim.Projection(exc, inh, fixed, sim.StaticSynapse(weight=0.15, delay=2.0))
    sim.Projection(inh, exc, fixed, sim.StaticSynapse(weight=0.6, delay=1.0), receptor_type="inhibitory")
    sim.Projection(inh, inh, fixed, sim.StaticSynapse(weight=0.6, delay=1.0), receptor_type="inhibitory")

    sim.run(1000.0)

    data = exc.get_data().segments[0]
    inh_spikes = inh.get_data().segments[0].spiketrains
    rate = sum(len(st) for st in data.spiketrains) / exc.size
    print(f"excitatory: {rate:.1f} Hz, inhibitory: {sum(len(st) for st in inh_spikes) / inh.size:.1f} Hz "
          f"(on {sim.get_backend()})")
    Figure(
        Panel(data.spiketrains, markersize=0.5, ylabel="excitatory neuron", yticks=True),
        Panel(inh_spikes, markersize=0.5, ylabel="inhibitory neuron", yticks=True),
        Panel(data.filter(name="v")[0], ylabel="v (mV)", xlabel="time (ms)", xticks=True, yticks=True),
        title="spinnsim: a balanced network as SpiNNaker runs it",
    ).save(out)
    sim.end()
    print(f"wrote {out}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
