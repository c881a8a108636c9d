"""Random sequences of PyNN calls on spinnsim.pynn, odd values included (NaN, infinities, zero and
negative sizes and times, unknown names, every cell type and connector), each sequence in a
process of its own under a time and an address-space limit: every call must return or raise an
``Exception`` (which a script can catch), never a ``BaseException`` such as pyo3's
``PanicException``, a crash, an abort or a hang.

``SPINNSIM_FUZZ_CASES=N`` runs more sequences (CI runs the default budget); a failing sequence
prints its seed, and ``python python/tests/test_fuzz.py SEED`` replays it.
"""

import math
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

CASES = int(os.environ.get("SPINNSIM_FUZZ_CASES", "24"))
CASE_SECONDS = 120
ADDRESS_SPACE = 6 << 30

ODD = [0.0, -0.0, -1.0, 1e-300, 1e300, math.inf, -math.inf, math.nan, 65536.0, 1e9]


def number(rng, usual, hostility):
    if rng.random() < hostility:
        return rng.choice(ODD)
    return usual * rng.uniform(0.2, 2.0)


def value(rng, sim, usual, hostility):
    from pyNN.random import NumpyRNG, RandomDistribution
    kind = rng.random()
    if kind < 0.75:
        return number(rng, usual, hostility)
    lo = number(rng, usual, hostility)
    return RandomDistribution("uniform", (lo, lo + abs(number(rng, usual, hostility)) + 1e-3),
                              rng=NumpyRNG(seed=rng.randrange(1000)))


CELLS = [
    ("IF_curr_exp", {"tau_m": 20.0, "cm": 1.0, "v_thresh": -50.0, "i_offset": 0.5, "tau_refrac": 0.1}),
    ("IF_cond_exp", {"tau_m": 20.0, "e_rev_E": 0.0, "i_offset": 0.5}),
    ("IF_curr_delta", {"tau_m": 20.0, "i_offset": 0.5}),
    ("Izhikevich", {"a": 0.02, "b": 0.2, "i_offset": 5.0}),
    ("SpikeSourcePoisson", {"rate": 20.0, "duration": 50.0}),
    ("SpikeSourceArray", {}),
]


def population(rng, sim, pops, hostility):
    name, params = rng.choice(CELLS)
    size = rng.choice([1, 2, 10, 50, 300]) if rng.random() > hostility else rng.choice([0, -1, 10**6, 2**32])
    kwargs = {k: value(rng, sim, u, hostility) for k, u in params.items() if rng.random() < 0.5}
    if name == "SpikeSourceArray":
        kwargs["spike_times"] = sorted(abs(number(rng, 10.0, hostility)) for _ in range(rng.randrange(4)))
    if rng.random() < hostility:
        kwargs["no_such_parameter"] = 1.0
    pop = sim.Population(size, getattr(sim, name)(**kwargs), label=f"p{len(pops)}")
    pops.append(pop)
    variables = ["spikes"] if name.startswith("SpikeSource") else ["spikes", "v", "gsyn_exc"]
    if rng.random() < hostility:
        variables.append("nonsense")
    pop.record(rng.sample(variables, rng.randrange(len(variables) + 1)))


def projection(rng, sim, pops, projs, hostility):
    from pyNN.random import NumpyRNG
    pre, post = rng.choice(pops), rng.choice(pops)
    user_rng = NumpyRNG(seed=rng.randrange(1000)) if rng.random() < 0.3 else None
    small = pre.size * post.size < 10**5
    n = rng.choice([0, 1, 3, 10, 1000])
    choices = [
        lambda: sim.OneToOneConnector(),
        lambda: sim.FixedTotalNumberConnector(n, allow_self_connections=rng.random() < 0.5, rng=user_rng),
        lambda: sim.FixedNumberPostConnector(min(n, 5), with_replacement=rng.random() < 0.5, rng=user_rng),
        lambda: sim.FromListConnector([(rng.randrange(3), rng.randrange(3), abs(number(rng, 0.5, hostility)),
                                        1.0 + abs(number(rng, 2.0, hostility))) for _ in range(rng.randrange(4))]),
    ]
    if small:
        choices += [
            lambda: sim.AllToAllConnector(allow_self_connections=rng.random() < 0.5),
            lambda: sim.FixedProbabilityConnector(number(rng, 0.1, hostility), rng=user_rng),
            lambda: sim.FixedNumberPreConnector(min(n, 5), rng=user_rng),
        ]
    synapse = sim.StaticSynapse(weight=value(rng, sim, 0.5, hostility), delay=1.0 + abs(number(rng, 2.0, hostility)))
    if rng.random() < 0.15:
        synapse = sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(tau_plus=number(rng, 20.0, hostility), tau_minus=20.0,
                                                A_plus=number(rng, 0.01, hostility), A_minus=0.01),
            weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=number(rng, 1.0, hostility)),
            weight=0.5, delay=1.0)
    receptor = rng.choice(["excitatory", "inhibitory"] + (["nonsense"] if rng.random() < hostility else []))
    projs.append(sim.Projection(pre, post, rng.choice(choices)(), synapse, receptor_type=receptor))


def sequence(seed):
    """One random sequence of calls; every call may raise an Exception, nothing else."""
    import spinnsim.pynn as sim
    rng = random.Random(seed)
    hostility = rng.choice([0.0, 0.0, 0.05, 0.2])
    timestep = rng.choice([1.0, 0.1, 0.5]) if rng.random() > hostility else rng.choice([0.0, -1.0, math.nan, 1e-9, 1e9])
    pops, projs, outcomes = [], [], []

    def attempt(what, f, *args, **kwargs):
        try:
            f(*args, **kwargs)
            outcomes.append(f"{what}: ok")
        except Exception as e:  # noqa: BLE001 - what the test allows
            outcomes.append(f"{what}: {type(e).__name__}: {str(e)[:120]}")

    attempt("setup", lambda: sim.setup(timestep=timestep, seed=rng.randrange(100)))
    for _ in range(rng.randrange(1, 12)):
        op = rng.random()
        if op < 0.3 or not pops:
            attempt("Population", population, rng, sim, pops, hostility)
        elif op < 0.55:
            attempt("Projection", projection, rng, sim, pops, projs, hostility)
        elif op < 0.75:
            odd = rng.random() < hostility
            ms = rng.choice([-1.0, math.nan, math.inf]) if odd else rng.choice([0.0, 1.0, 10.0, 30.0])
            attempt("run", sim.run, ms)
        elif op < 0.82:
            name = rng.choice(["i_offset", "rate", "tau_m", "v_thresh", "bogus"])
            attempt("set", rng.choice(pops).set, **{name: number(rng, 1.0, hostility)})
        elif op < 0.87:
            attempt("initialize", lambda: rng.choice(pops).initialize(v=number(rng, -65.0, hostility)))
        elif op < 0.92:
            attempt("reset", sim.reset)
        elif op < 0.97:
            attempt("get_data", lambda: rng.choice(pops).get_data())
        elif projs:
            attempt("Projection.get", lambda: rng.choice(projs).get(["weight", "delay"], format="list"))
    attempt("end", sim.end)
    return outcomes


def _child(seed):
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    for line in sequence(seed):
        print(line)


@pytest.mark.parametrize("seed", range(CASES))
def test_random_call_sequences_end_in_results_or_exceptions(seed):
    run = subprocess.run([sys.executable, __file__, str(seed)], capture_output=True, text=True,
                         timeout=CASE_SECONDS, cwd=Path(__file__).parent)
    assert run.returncode == 0, (f"sequence {seed} (replay: python {__file__} {seed}) ended with status "
                                 f"{run.returncode}:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    assert "PanicException" not in run.stdout + run.stderr


if __name__ == "__main__":
    _child(int(sys.argv[1]))
