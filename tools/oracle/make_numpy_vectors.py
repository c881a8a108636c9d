"""
Reference draws of numpy's legacy RandomState, through PyNN's NumpyRNG where
sPyNNaker 7.4.1's host goes through it, for src/model/numpy_random.rs.

    python3 tools/oracle/make_numpy_vectors.py [--out tests/fixtures/numpy/vectors.json]

Needs numpy (any version: the legacy streams are frozen) and, for the
clipped normals, PyNN. Each case is a seed and a list of calls on one
RandomState; floats are written with float.hex so that they compare exactly.
"""

import argparse
import json
import os

import numpy

CASES = [
    (0, [["random_sample", 1300]]),
    (4294967295, [["random_sample", 5]]),
    (11, [["uniform", 700, -1.5, 3.25]]),
    (12, [["normal", 1001, 0.5, 2.0], ["random_sample", 1], ["normal", 3, 0.0, 1.0]]),
    (13, [["exponential", 500, 0.2]]),
    (14, [["gamma", 400, 2.0, 0.1], ["gamma", 400, 0.5, 1.0], ["gamma", 10, 1.0, 3.0]]),
    (15, [["lognormal", 300, 0.1, 0.5]]),
    (16, [["poisson", 400, 3.0], ["poisson", 400, 25.0], ["poisson", 5, 0.0]]),
    (17, [["randint", 300, 0, 7], ["randint", 300, 0, 100], ["randint", 50, 0, 4294967296],
          ["randint", 5, 3, 4]]),
    (18, [["permutation", 10], ["permutation", 1000], ["permutation", 1]]),
    (19, [["choice", 50, 8, False], ["choice", 50, 8, True], ["choice", 3, 3, False]]),
    (20, [["normal_clipped", 500, 0.0, 1.0, -0.5, 1.0]]),
    (21, [["normal_clipped_to_boundary", 300, 0.0, 1.0, -0.5, 1.0]]),
    # Inversion (n·p <= 30) and BTPE, either side of p = 1/2, and the cases that draw nothing.
    (22, [["binomial", 400, 10, 0.3], ["binomial", 400, 100, 0.4], ["binomial", 300, 1000, 0.9],
          ["binomial", 300, 50, 0.7], ["binomial", 200, 100000, 0.02], ["binomial", 5, 0, 0.5],
          ["binomial", 5, 7, 0.0], ["binomial", 5, 7, 1.0]]),
    (23, [["vonmises", 300, 0.5, 4.0], ["vonmises", 300, -1.0, 0.3], ["vonmises", 50, 0.0, 1e-6],
          ["vonmises", 20, 2.0, 1e-9], ["vonmises", 200, 3.0, 200.0], ["vonmises", 50, -3.0, 1e4]]),
]


# PyNN's RandomDistribution(name, rng=NumpyRNG(seed)).next(n), as 7.4.1's host draws weights and
# delays (AbstractConnector._generate_random_values): the distribution in network-file form.
PYNN_CASES = [
    (31, 400, {"distribution": "uniform", "low": 0.1, "high": 0.9}),
    (32, 300, {"distribution": "uniform_int", "low": 1.0, "high": 17.0}),
    (33, 300, {"distribution": "uniform_int", "low": -2.5, "high": 4.75}),
    (34, 301, {"distribution": "normal", "mu": 0.5, "sigma": 0.1}),
    (35, 300, {"distribution": "normal_clipped", "mu": 1.0, "sigma": 2.0, "low": 0.0, "high": 3.0}),
    (36, 300, {"distribution": "normal_clipped_to_boundary", "mu": 1.0, "sigma": 2.0, "low": 0.0,
               "high": 3.0}),
    (37, 300, {"distribution": "exponential", "beta": 2.5}),
    (38, 300, {"distribution": "gamma", "k": 3.0, "theta": 0.25}),
    (39, 300, {"distribution": "lognormal", "mu": -1.0, "sigma": 0.3}),
    (40, 300, {"distribution": "poisson", "lam": 4.0}),
    (41, 1, {"distribution": "normal", "mu": 0.0, "sigma": 1.0}),
    (42, 0, {"distribution": "normal", "mu": 0.0, "sigma": 1.0}),
    (43, 300, {"distribution": "binomial", "n": 40.0, "p": 0.3}),
    (44, 300, {"distribution": "vonmises", "mu": 1.0, "kappa": 2.0}),
]


def pynn_case(seed, n, dist):
    from pyNN.random import NumpyRNG, RandomDistribution
    params = {("lambda_" if k == "lam" else k): v for k, v in dist.items() if k != "distribution"}
    rd = RandomDistribution(dist["distribution"], rng=NumpyRNG(seed), **params)
    return {"seed": seed, "n": n, "distribution": dist, "values": hexes(numpy.atleast_1d(rd.next(n)))}


def hexes(values):
    return [float(v).hex() for v in values]


def call(rs, nrng, op):
    name, args = op[0], op[1:]
    if name == "random_sample":
        return hexes(rs.random_sample(args[0]))
    if name in ("uniform", "normal", "exponential", "gamma", "lognormal"):
        return hexes(getattr(rs, name)(*args[1:], size=args[0]))
    if name == "binomial":
        return [int(v) for v in rs.binomial(args[1], args[2], size=args[0])]
    if name == "vonmises":
        return hexes(rs.vonmises(args[1], args[2], size=args[0]))
    if name == "poisson":
        return [int(v) for v in rs.poisson(args[1], size=args[0])]
    if name == "randint":
        return [int(v) for v in rs.randint(args[1], args[2], size=args[0])]
    if name == "permutation":
        return [int(v) for v in rs.permutation(args[0])]
    if name == "choice":
        return [int(v) for v in rs.choice(args[0], args[1], args[2])]
    if name in ("normal_clipped", "normal_clipped_to_boundary"):
        mu, sigma, low, high = args[1:]
        return hexes(getattr(nrng, name)(mu, sigma, low, high, size=args[0]))
    raise ValueError(name)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "..", "tests", "fixtures", "numpy", "vectors.json")
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=default)
    out = ap.parse_args().out
    from pyNN.random import NumpyRNG
    cases = []
    for seed, ops in CASES:
        nrng = NumpyRNG(seed=seed)
        rs = nrng.rng
        cases.append({"seed": seed, "calls": [{"call": op, "values": call(rs, nrng, op)} for op in ops]})
    os.makedirs(os.path.dirname(out), exist_ok=True)
    pynn = [pynn_case(*c) for c in PYNN_CASES]
    doc = {"generated_by": f"tools/oracle/make_numpy_vectors.py with numpy {numpy.__version__}", "cases": cases,
           "pynn_next": pynn}
    with open(out + ".tmp", "w") as f:
        json.dump(doc, f, indent=0)
        f.write("\n")
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main()
