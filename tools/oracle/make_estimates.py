#!/usr/bin/env python3
"""
Tabulate the connector estimates that the sPyNNaker 7.4.1 host computes.

For a fixed, deterministic set of cases (connector, population sizes,
post-synaptic atoms per core, weight and delay kind, delay range) this
script calls the real sPyNNaker 7.4.1 connector methods that the host uses
to size synaptic matrices and ring buffers, and writes what they return
into ``tests/fixtures/virtual-board-7.4.1/estimates/host_estimates.json``,
so that a Rust unit test can check spinnsim's port of them exactly.

Usage (the interpreter must have ``spynnaker==1!7.4.1`` installed; it pulls
PyNN 0.13, numpy and scipy):

    /path/to/venv/bin/python tools/oracle/make_estimates.py
    /path/to/venv/bin/python tools/oracle/make_estimates.py --out FILE

No simulation is run and no board (virtual or real) is used.  sPyNNaker's
own unit-test set-up (``spynnaker.pyNN.config_setup.unittest_setup``,
which mocks the data view with a 1 ms time step) is done once, so that
``AbstractConnector.set_projection_information`` can run; it is called for
every case and a case that it rejects (for example
``FixedNumberPreConnector(10, with_replacement=False)`` from 7 neurons) is
left out.  The connector objects are the real ones from
``spynnaker.pyNN.models.neural_projections.connectors``; the
``SynapseInformation`` they are given is a small stand-in
(``SynapseInfoStandIn``) holding only what these methods read:
``n_pre_neurons``, ``n_post_neurons``, ``weights``, ``delays``,
``pre_population`` and ``post_population`` (two distinct objects, so the
projection is never a self-projection), ``prepop_is_view`` and
``postpop_is_view`` (False), and ``connector``.

For every case it records:

- ``undelayed_max``: ``get_n_connections_from_pre_vertex_maximum(
  n_post_atoms, info, 0, in_core_ms)``;
- ``delayed_max``: the same for ``(in_core_ms + numpy.finfo(numpy.double)
  .tiny, in_core_ms * (stages + 1))``, the range that
  ``synapse_io.get_max_row_info`` uses for the delay extension (note that
  in double precision ``in_core_ms + tiny == in_core_ms``);
- ``fan_in``: ``get_n_connections_to_post_vertex_maximum(info)``;
- ``weight_maximum``, ``weight_mean``, ``weight_variance``:
  ``get_weight_maximum(info)``, ``get_weight_mean(info.weights, info)``,
  ``get_weight_variance(info.weights, info)``;
- ``delay_maximum``, ``delay_variance``: ``get_delay_maximum(info)``,
  ``get_delay_variance(info.delays, info)``.

A method that raises is recorded under ``errors`` as ``"Type: message"``
and its field is left out.  Integer results (numpy floats from
``scipy.stats.binom.ppf``) are written as JSON integers, other results as
full-precision floats.  The output is identical between runs.
"""

import argparse
import importlib.metadata as md
import json
import math
import os
import sys

SPYNNAKER_VERSION = "1!7.4.1"

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(
    REPO, "tests", "fixtures", "virtual-board-7.4.1", "estimates",
    "host_estimates.json")

# (n_pre, n_post, n_post_atoms)
SIZES = [(50, 100, 64), (256, 256, 256), (1000, 300, 32), (7, 3, 3)]

# (in_core_ms, stages)
DELAY_RANGES = [(2.0, 1), (16.0, 1), (32.0, 1),
                (2.0, 3), (16.0, 3), (32.0, 3)]

# Weight and delay kinds: None for the constant, else (pyNN name, params).
WEIGHT_CONSTANT = 0.5
DELAY_CONSTANT = 2.0
WEIGHT_KINDS = [
    None,
    ("uniform", {"low": 0.1, "high": 0.5}),
    ("normal", {"mu": 0.3, "sigma": 0.05}),
    ("normal_clipped", {"mu": 0.4, "sigma": 0.1, "low": 0.1, "high": 0.7}),
    ("normal_clipped_to_boundary",
     {"mu": 0.4, "sigma": 0.1, "low": 0.1, "high": 0.7}),
    ("exponential", {"beta": 0.2}),
]
DELAY_KINDS = [
    None,
    ("uniform", {"low": 1.0, "high": 40.0}),
    ("normal", {"mu": 10.0, "sigma": 3.0}),
    ("normal_clipped", {"mu": 5.0, "sigma": 2.0, "low": 1.0, "high": 9.0}),
    ("normal_clipped_to_boundary",
     {"mu": 5.0, "sigma": 2.0, "low": 1.0, "high": 9.0}),
    ("exponential", {"beta": 3.0}),
]


def connector_specs():
    """The connectors, as their JSON descriptions (in a fixed order)."""
    specs = [{"type": "OneToOneConnector"},
             {"type": "AllToAllConnector", "allow_self_connections": True}]
    for p in (0.01, 0.1, 0.5):
        specs.append({"type": "FixedProbabilityConnector", "p_connect": p,
                      "allow_self_connections": True})
    for n in (10, 500, 5000):
        for wr in (True, False):
            specs.append({"type": "FixedTotalNumberConnector", "n": n,
                          "with_replacement": wr,
                          "allow_self_connections": True})
    for kind, ns in (("FixedNumberPreConnector", (1, 10, 40)),
                     ("FixedNumberPostConnector", (1, 8, 40))):
        for n in ns:
            for wr in (False, True):
                specs.append({"type": kind, "n": n, "with_replacement": wr,
                              "allow_self_connections": True})
    return specs


class PopulationStandIn(object):
    """What the connectors may read of a Population (label and size)."""

    def __init__(self, label, size):
        self.label = label
        self.size = size

    def __repr__(self):
        return f"PopulationStandIn({self.label!r}, {self.size})"


class SynapseInfoStandIn(object):
    """
    The parts of ``SynapseInformation`` that the connector estimate
    methods (and ``set_projection_information``) read.
    """

    def __init__(self, connector, n_pre, n_post, weights, delays):
        self.connector = connector
        self.n_pre_neurons = n_pre
        self.n_post_neurons = n_post
        self.weights = weights
        self.delays = delays
        self.pre_population = PopulationStandIn("pre", n_pre)
        self.post_population = PopulationStandIn("post", n_post)
        self.prepop_is_view = False
        self.postpop_is_view = False


def make_connector(spec):
    from spynnaker.pyNN.models.neural_projections.connectors import (
        AllToAllConnector, FixedNumberPostConnector, FixedNumberPreConnector,
        FixedProbabilityConnector, MultapseConnector, OneToOneConnector)
    kind = spec["type"]
    if kind == "OneToOneConnector":
        return OneToOneConnector()
    if kind == "AllToAllConnector":
        return AllToAllConnector(
            allow_self_connections=spec["allow_self_connections"])
    if kind == "FixedProbabilityConnector":
        return FixedProbabilityConnector(
            spec["p_connect"],
            allow_self_connections=spec["allow_self_connections"])
    if kind == "FixedTotalNumberConnector":
        # pyNN.spiNNaker.FixedTotalNumberConnector is MultapseConnector
        return MultapseConnector(
            spec["n"], allow_self_connections=spec["allow_self_connections"],
            with_replacement=spec["with_replacement"])
    cls = {"FixedNumberPreConnector": FixedNumberPreConnector,
           "FixedNumberPostConnector": FixedNumberPostConnector}[kind]
    return cls(spec["n"],
               allow_self_connections=spec["allow_self_connections"],
               with_replacement=spec["with_replacement"])


def make_value(kind, constant):
    """The weight/delay object and its JSON description."""
    from pyNN.random import RandomDistribution
    if kind is None:
        return constant, constant
    name, params = kind
    desc = {"distribution": name}
    desc.update(params)
    return RandomDistribution(name, **params), desc


def as_int(value):
    """A method's integer result as a Python int (must be integral)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    f = float(value)
    if not f.is_integer():
        raise AssertionError(f"non-integral integer result {value!r}")
    return int(f)


def as_float(value):
    f = float(value)
    if not math.isfinite(f):
        raise AssertionError(f"non-finite float result {value!r}")
    return f


def cases():
    """
    The case list: for connector c and size s, six cases k = 0..5 with
    weight kind k, delay kind (k + s + c) % 6 and delay range
    (k + 2 s + c) % 6, so that every connector meets every weight kind and
    every delay kind, and the pairings and delay ranges vary with size.
    """
    out = []
    for c, spec in enumerate(connector_specs()):
        for s, (n_pre, n_post, n_post_atoms) in enumerate(SIZES):
            for k in range(6):
                out.append((spec, n_pre, n_post, n_post_atoms,
                            WEIGHT_KINDS[k], DELAY_KINDS[(k + s + c) % 6],
                            DELAY_RANGES[(k + 2 * s + c) % 6]))
    return out


def run_case(spec, n_pre, n_post, n_post_atoms, w_kind, d_kind, d_range):
    """One case's record, or None if the connector rejects the case."""
    import numpy
    from spinn_front_end_common.utilities.exceptions import (
        ConfigurationException)
    from spynnaker.pyNN.exceptions import SpynnakerException

    weights, w_desc = make_value(w_kind, WEIGHT_CONSTANT)
    delays, d_desc = make_value(d_kind, DELAY_CONSTANT)
    in_core_ms, stages = d_range
    try:
        connector = make_connector(spec)
        info = SynapseInfoStandIn(connector, n_pre, n_post, weights, delays)
        connector.set_projection_information(info)
    except (SpynnakerException, ConfigurationException) as e:
        return None, f"{type(e).__name__}: {e}"

    # As in spynnaker.pyNN.models.neuron.synapse_io.get_max_row_info
    max_delay_supported = in_core_ms
    max_delay = max_delay_supported * (stages + 1)
    min_delay_for_delay_extension = (
        max_delay_supported + numpy.finfo(numpy.double).tiny).item()

    calls = [
        ("undelayed_max", as_int,
         lambda: connector.get_n_connections_from_pre_vertex_maximum(
             n_post_atoms, info, 0, max_delay_supported)),
        ("delayed_max", as_int,
         lambda: connector.get_n_connections_from_pre_vertex_maximum(
             n_post_atoms, info, min_delay_for_delay_extension, max_delay)),
        ("fan_in", as_int,
         lambda: connector.get_n_connections_to_post_vertex_maximum(info)),
        ("weight_maximum", as_float,
         lambda: connector.get_weight_maximum(info)),
        ("weight_mean", as_float,
         lambda: connector.get_weight_mean(info.weights, info)),
        ("weight_variance", as_float,
         lambda: connector.get_weight_variance(info.weights, info)),
        ("delay_maximum", as_float,
         lambda: connector.get_delay_maximum(info)),
        ("delay_variance", as_float,
         lambda: connector.get_delay_variance(info.delays, info)),
    ]
    record = {"connector": spec, "n_pre": n_pre, "n_post": n_post,
              "n_post_atoms": n_post_atoms, "weights": w_desc,
              "delays": d_desc, "in_core_ms": in_core_ms, "stages": stages}
    errors = {}
    for field, convert, call in calls:
        try:
            value = call()
        except Exception as e:  # recorded, as the brief asks
            errors[field] = f"{type(e).__name__}: {e}"
            continue
        record[field] = convert(value)
    record["errors"] = errors
    return record, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="output JSON file")
    args = ap.parse_args()

    try:
        if md.version("sPyNNaker") != SPYNNAKER_VERSION:
            raise ValueError(md.version("sPyNNaker"))
    except Exception as e:
        ap.error(f"spynnaker {SPYNNAKER_VERSION} is not importable here "
                 f"({e!r}); run this with that venv's python")

    import numpy
    import scipy
    from spynnaker.pyNN.config_setup import unittest_setup
    unittest_setup()

    records = []
    skipped = []
    for case in cases():
        record, why = run_case(*case)
        if record is None:
            spec, n_pre, n_post = case[0], case[1], case[2]
            skipped.append(f"{json.dumps(spec)} {n_pre}->{n_post}: {why}")
        else:
            records.append(record)

    generated_by = (
        f"spynnaker {md.version('sPyNNaker')}, PyNN {md.version('PyNN')}, "
        f"numpy {numpy.__version__}, scipy {scipy.__version__}, Python "
        f"{sys.version_info.major}.{sys.version_info.minor}."
        f"{sys.version_info.micro}; connector estimate methods called on a "
        "SynapseInformation stand-in after unittest_setup() (mocked data "
        "view, 1 ms time step), no simulation; tools/oracle/make_estimates.py")

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    # One case per line: valid JSON that diffs well.
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("{\"generated_by\": "
                + json.dumps(generated_by, allow_nan=False)
                + ",\n \"cases\": [\n")
        f.write(",\n".join("  " + json.dumps(r, allow_nan=False)
                           for r in records))
        f.write("\n]}\n")

    n_err = sum(1 for r in records if r["errors"])
    print(f"wrote {len(records)} cases to {args.out} "
          f"({n_err} with errors, {len(skipped) // 6} connector/size "
          f"combinations rejected, {len(skipped)} cases skipped)")
    seen = set()
    for s in skipped:
        if s not in seen:
            seen.add(s)
            print("  rejected:", s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
