#!/usr/bin/env python3
"""How long spinnsim.pynn takes to build the Vogels-Abbott benchmark (PyNN's VAbenchmarks.py, CUBA,
4000 cells, FixedProbabilityConnector(0.02) with a seeded NumpyRNG as the script gives it, random
initial v) into a mapped network, with the machine's draws (the default: the connectors go to the
core, whose synapse expander draws the connections) and with `setup(draws="spinnsim")` (PyNN's
connector code draws them in Python with the script's rng, as before).

    python3 tools/bench/pynn_build.py [--n 4000] [--repeat 3]

Prints the best build time of each, and their ratio. The build is Projection creation plus
mapping the network (state.ensure_built()); nothing is run.
"""

import argparse
import time


def build(n: int, draws: str) -> float:
    import spinnsim.pynn as sim
    from spinnsim.pynn.simulator import state
    start = time.perf_counter()
    sim.setup(timestep=0.1, min_delay=0.2, draws=draws)
    n_exc = int(n * 0.8)
    cell = sim.IF_curr_exp(cm=0.2, tau_m=20.0, tau_syn_E=5.0, tau_syn_I=10.0, v_rest=-49.0,
                           v_reset=-60.0, v_thresh=-50.0, tau_refrac=5.0, i_offset=0.0)
    rng = sim.NumpyRNG(seed=98765)
    v = sim.RandomDistribution("uniform", (-60.0, -50.0), rng=rng)
    exc = sim.Population(n_exc, cell, label="Excitatory_Cells", initial_values={"v": v})
    inh = sim.Population(n - n_exc, cell, label="Inhibitory_Cells", initial_values={"v": v})
    conn = sim.FixedProbabilityConnector(0.02, rng=rng)
    e_syn = sim.StaticSynapse(weight=0.0162, delay=0.2)
    i_syn = sim.StaticSynapse(weight=0.09, delay=0.2)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for pre, post, syn, receptor in ((exc, exc, e_syn, "excitatory"), (exc, inh, e_syn, "excitatory"),
                                         (inh, exc, i_syn, "inhibitory"), (inh, inh, i_syn, "inhibitory")):
            sim.Projection(pre, post, conn, syn, receptor_type=receptor)
        state.ensure_built()
    elapsed = time.perf_counter() - start
    sim.end()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    best = {d: min(build(a.n, d) for _ in range(a.repeat)) for d in ("machine", "spinnsim")}
    for d, t in best.items():
        print(f"draws={d}: {t:.3f} s")
    print(f"ratio spinnsim/machine: {best['spinnsim'] / best['machine']:.1f}")


if __name__ == "__main__":
    main()
