#!/usr/bin/env python3
"""
Generate mapping fixtures by running the real sPyNNaker 7.4.1 host software
on a virtual SpiNNaker board.

For every network in NETWORKS this script builds the network with PyNN
(``pyNN.spiNNaker``), runs it on a virtual 48-chip board (``version = 5``,
``virtual_board = True``), and writes one JSON file holding what the host
computed: placements, routing keys and masks, ring-buffer shifts, the
master population table, decoded synaptic rows, the raw words of every
data-spec region of every application core, and ``Projection.get()``.

Usage (see README.md in this folder):

    python3 tools/oracle/make_fixtures.py --venv /path/to/venv
    python3 tools/oracle/make_fixtures.py --venv /path/to/venv --only poisson

The outer process only needs a Python 3 standard library.  It creates the
virtual environment if it does not exist, then runs each network in a
child process of that environment, with HOME pointing at a temporary
folder holding ``.spynnaker.cfg`` and the working directory holding the
run-level ``spynnaker.cfg``.
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

SPYNNAKER_REQ = "spynnaker==1!7.4.1"
SPYNNAKER_VERSION = "1!7.4.1"
FORMAT_VERSION = 1

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(REPO, "tests", "fixtures", "virtual-board-7.4.1")

# Regions bigger than this (in words) are stored as null with a note.
MAX_REGION_WORDS = 200000

HOME_CFG = """\
[Machine]
version = 5
virtual_board = True
"""

RUN_CFG = """\
[Mode]
mode = Debug

[Reports]
write_text_specs = True
write_network_graph = False
default_report_file_path = {reports}

[Simulation]
# A seeded rng on an on-machine-capable connector is reported as
# "non-sPyNNaker PyNN"; make that a warning so that host generation on the
# virtual board is reproducible.
error_on_non_spynnaker_pynn = False
"""

# ---------------------------------------------------------------------------
# Network descriptions (machine-readable; also used to build the networks)
# ---------------------------------------------------------------------------

LIF_DEFAULTS_NOTE = "params not listed take the PyNN/sPyNNaker defaults"


def _ring(n, delays, weight):
    return [[i, (i + 1) % n, weight, delays[i % len(delays)]]
            for i in range(n)]


def _networks():
    nets = []

    # 1. FixedProbability from an SSA, population split by max atoms per core
    nets.append({
        "name": "fixed_probability",
        "description": (
            "50-source SpikeSourceArray -> 100 IF_curr_exp, "
            "FixedProbabilityConnector(0.1), w 0.5 nA, d 2 ms, excitatory. "
            "The population is limited to 64 atoms per core (2 cores) and "
            "the SSA to 32 atoms per core (2 cores)."),
        "timestep": 1.0, "run_ms": 50.0,
        "populations": [
            {"label": "ssa", "model": "SpikeSourceArray", "n": 50,
             "max_atoms_per_core": 32,
             "spike_times": [[1.0 + (i % 5), 10.0 + i % 7, 20.0]
                             for i in range(50)]},
            {"label": "pop", "model": "IF_curr_exp", "n": 100,
             "max_atoms_per_core": 64, "seed": 1001,
             "record": ["spikes", "v", "gsyn_exc"],
             "params": {}, "initial_values": {"v": -65.0}},
        ],
        "projections": [
            {"label": "ssa_to_pop", "pre": "ssa", "post": "pop",
             "connector": {"type": "FixedProbabilityConnector",
                           "p_connect": 0.1,
                           "allow_self_connections": True,
                           "rng_seed": 11},
             "synapse": "StaticSynapse", "weight": 0.5, "delay": 2.0,
             "receptor_type": "excitatory"},
        ],
    })

    # 2. AllToAll, plus AllToAll recurrent without self connections
    nets.append({
        "name": "all_to_all",
        "description": (
            "30 SSA -> 40 IF_curr_exp AllToAll w 0.25 d 3; "
            "40 -> 40 AllToAll allow_self_connections=False w 0.1 d 1."),
        "timestep": 1.0, "run_ms": 50.0,
        "populations": [
            {"label": "ssa", "model": "SpikeSourceArray", "n": 30,
             "spike_times": [[float(i % 10), 25.0] for i in range(30)]},
            {"label": "pop", "model": "IF_curr_exp", "n": 40, "seed": 1002,
             "record": ["spikes"],
             "params": {"tau_m": 20.0, "cm": 1.0, "v_thresh": -50.0},
             "initial_values": {"v": -65.0}},
        ],
        "projections": [
            {"label": "ssa_to_pop", "pre": "ssa", "post": "pop",
             "connector": {"type": "AllToAllConnector",
                           "allow_self_connections": True},
             "synapse": "StaticSynapse", "weight": 0.25, "delay": 3.0,
             "receptor_type": "excitatory"},
            {"label": "pop_to_pop", "pre": "pop", "post": "pop",
             "connector": {"type": "AllToAllConnector",
                           "allow_self_connections": False},
             "synapse": "StaticSynapse", "weight": 0.1, "delay": 1.0,
             "receptor_type": "excitatory"},
        ],
    })

    # 3. Inhibitory + excitatory FromList with several weights
    inh = []
    exc = []
    for i in range(20):
        for k in range(3):
            j = (i * 7 + k * 3) % 20
            inh.append([i, j, [0.5, 1.25, 2.0, 3.75][(i + k) % 4],
                        float(1 + (i + k) % 4)])
        for k in range(4):
            j = (i + k * 5) % 20
            exc.append([i, j, [1.5, 2.5, 4.0][(i + k) % 3],
                        float(1 + (2 * i + k) % 6)])
    nets.append({
        "name": "inhibitory",
        "description": (
            "20 SSA -> 20 IF_curr_exp; FromList inhibitory (weights 0.5, "
            "1.25, 2.0, 3.75 nA, fan-in up to 3) and FromList excitatory "
            "(weights 1.5, 2.5, 4.0 nA, fan-in 4, summed weight > 8)."),
        "timestep": 1.0, "run_ms": 50.0,
        "populations": [
            {"label": "ssa", "model": "SpikeSourceArray", "n": 20,
             "spike_times": [[2.0 + i, 30.0] for i in range(20)]},
            {"label": "pop", "model": "IF_curr_exp", "n": 20, "seed": 1003,
             "record": ["spikes"],
             "params": {"tau_syn_E": 5.0, "tau_syn_I": 10.0,
                        "i_offset": 0.1},
             "initial_values": {"v": -60.0}},
        ],
        "projections": [
            {"label": "inh", "pre": "ssa", "post": "pop",
             "connector": {"type": "FromListConnector", "conn_list": inh},
             "synapse": "StaticSynapse", "weight": None, "delay": None,
             "receptor_type": "inhibitory"},
            {"label": "exc", "pre": "ssa", "post": "pop",
             "connector": {"type": "FromListConnector", "conn_list": exc},
             "synapse": "StaticSynapse", "weight": None, "delay": None,
             "receptor_type": "excitatory"},
        ],
    })

    # 4. Conductance-based model (global weight scale 1024)
    cexc = [[i, (i * 3 + k) % 30, [0.01, 0.003, 0.02][k % 3],
             float(1 + k)] for i in range(10) for k in range(3)]
    nets.append({
        "name": "conductance",
        "description": (
            "10 SSA -> 30 IF_cond_exp; FromList excitatory (0.01/0.003/0.02 "
            "uS) and OneToOne inhibitory (0.003 uS, d 2). Conductance input "
            "uses a global weight scale of 1024."),
        "timestep": 1.0, "run_ms": 50.0,
        "populations": [
            {"label": "ssa", "model": "SpikeSourceArray", "n": 10,
             "spike_times": [[5.0 + i] for i in range(10)]},
            {"label": "pop", "model": "IF_cond_exp", "n": 30, "seed": 1004,
             "record": ["spikes"],
             "params": {"e_rev_E": 0.0, "e_rev_I": -80.0,
                        "tau_syn_E": 5.0, "tau_syn_I": 5.0},
             "initial_values": {"v": -65.0}},
        ],
        "projections": [
            {"label": "exc", "pre": "ssa", "post": "pop",
             "connector": {"type": "FromListConnector", "conn_list": cexc},
             "synapse": "StaticSynapse", "weight": None, "delay": None,
             "receptor_type": "excitatory"},
            {"label": "inh", "pre": "ssa", "post": "pop",
             "connector": {"type": "OneToOneConnector"},
             "synapse": "StaticSynapse", "weight": 0.003, "delay": 2.0,
             "receptor_type": "inhibitory"},
        ],
    })

    # 5. Poisson, 2 source cores and 2 target cores
    nets.append({
        "name": "poisson",
        "description": (
            "600 SpikeSourcePoisson (10 Hz, seed 42; 500 per core -> 2 "
            "cores) -> 300 IF_curr_exp (256 per core -> 2 cores), "
            "FixedProbability 0.05, w 0.2, d 1."),
        "timestep": 1.0, "run_ms": 100.0,
        "populations": [
            {"label": "poisson", "model": "SpikeSourcePoisson", "n": 600,
             "rate": 10.0, "start": 0.0, "seed": 42,
             "record": ["spikes"]},
            {"label": "pop", "model": "IF_curr_exp", "n": 300, "seed": 1005,
             "record": ["spikes"],
             "params": {}, "initial_values": {"v": -65.0}},
        ],
        "projections": [
            {"label": "poisson_to_pop", "pre": "poisson", "post": "pop",
             "connector": {"type": "FixedProbabilityConnector",
                           "p_connect": 0.05,
                           "allow_self_connections": True,
                           "rng_seed": 55},
             "synapse": "StaticSynapse", "weight": 0.2, "delay": 1.0,
             "receptor_type": "excitatory"},
        ],
    })

    # 6. Delay extension: ring of 300 (2 cores) with delays 5 / 70 / 100
    nets.append({
        "name": "delay_extension_a",
        "description": (
            "300 IF_curr_exp FromList ring i -> i+1 (w 2.0) with delays "
            "cycling 5, 40, 70, 100 ms (i % 4) + SSA [0] -> neuron 0 "
            "(w 2, d 1). 256 atoms per core leaves 5 delay bits (32 ticks in "
            "core), so a delay extension with 3 stages is added; the "
            "population and the delay extension have 2 cores each (256 + "
            "44). The host writer puts delayed rows of pre core 1 at "
            "1*256*3 + (stage-1)*256 + local, beyond the 900 rows of the "
            "block for stages 2 and 3, so those synapses are dropped (see "
            "host_generation); Projection.get() reads the delayed matrix "
            "back with a different row formula."),
        "timestep": 1.0, "run_ms": 200.0,
        "populations": [
            {"label": "ssa", "model": "SpikeSourceArray", "n": 1,
             "spike_times": [[0.0]]},
            {"label": "pop", "model": "IF_curr_exp", "n": 300, "seed": 1006,
             "record": ["spikes"],
             "params": {"cm": 0.25, "i_offset": 0.0, "tau_m": 20.0,
                        "tau_refrac": 2.0, "tau_syn_E": 5.0,
                        "tau_syn_I": 5.0, "v_reset": -70.0,
                        "v_rest": -65.0, "v_thresh": -50.0},
             "initial_values": {"v": -65.0}},
        ],
        "projections": [
            {"label": "ring", "pre": "pop", "post": "pop",
             "connector": {"type": "FromListConnector",
                           "conn_list": _ring(
                               300, [5.0, 40.0, 70.0, 100.0], 2.0)},
             "synapse": "StaticSynapse", "weight": None, "delay": None,
             "receptor_type": "excitatory"},
            {"label": "input", "pre": "ssa", "post": "pop",
             "connector": {"type": "FromListConnector",
                           "conn_list": [[0, 0, 2.0, 1.0]]},
             "synapse": "StaticSynapse", "weight": None, "delay": None,
             "receptor_type": "excitatory"},
        ],
    })

    # 7. Delay extension, large uniform delay, dt 0.1 (see also _c)
    nets.append({
        "name": "delay_extension_b",
        "description": (
            "dt 0.1 ms. 100 SSA -> 256 IF_curr_exp FixedProbability 0.1, "
            "w 0.3, d 25 ms (250 ticks). 256 atoms leave 32 ticks in core, "
            "so 7 delay stages (8 is the maximum; 50 ms = 500 ticks would "
            "need 15 and is rejected). At dt < 1 ms sPyNNaker picks split "
            "cores: one neuron core and one synapse core for the "
            "population. The host writer indexes delayed rows with the "
            "post vertex's atoms per core (256), not the pre's (100), so "
            "every stage-7 row lands beyond the 700-row block and is "
            "dropped: on a virtual board this projection has no synapses "
            "(see host_generation and the _onchip variant for the "
            "hardware layout)."),
        "timestep": 0.1, "run_ms": 50.0,
        "populations": [
            {"label": "ssa", "model": "SpikeSourceArray", "n": 100,
             "spike_times": [[0.5 + 0.1 * (i % 10)] for i in range(100)]},
            {"label": "pop", "model": "IF_curr_exp", "n": 256, "seed": 1007,
             "record": ["spikes"],
             "params": {}, "initial_values": {"v": -65.0}},
        ],
        "projections": [
            {"label": "ssa_to_pop", "pre": "ssa", "post": "pop",
             "connector": {"type": "FixedProbabilityConnector",
                           "p_connect": 0.1,
                           "allow_self_connections": True,
                           "rng_seed": 77},
             "synapse": "StaticSynapse", "weight": 0.3, "delay": 25.0,
             "receptor_type": "excitatory"},
        ],
    })

    b_comb = json.loads(json.dumps(nets[-1]))
    b_comb["name"] = "delay_extension_b_combined"
    b_comb["description"] = (
        b_comb["description"] + " Same network with n_synapse_cores=0, "
        "forcing a combined neuron+synapse core (at dt < 1 ms the default "
        "is a split neuron core + synapse core, as in delay_extension_b).")
    b_comb["populations"][1]["n_synapse_cores"] = 0
    nets.append(b_comb)

    nets.append({
        "name": "delay_extension_c",
        "description": (
            "dt 1 ms. 256 SSA -> 256 IF_curr_exp FixedProbability 0.1 "
            "w 0.05 d 90 ms (32 ticks in core -> 2 delay stages; every "
            "synapse is in the delayed matrix, stage 2, row delay 26). Pre "
            "and post have the same atoms per core, so the host row layout "
            "matches the delay-extension keys."),
        "timestep": 1.0, "run_ms": 200.0,
        "populations": [
            {"label": "ssa", "model": "SpikeSourceArray", "n": 256,
             "spike_times": [[float(i % 20)] for i in range(256)]},
            {"label": "pop", "model": "IF_curr_exp", "n": 256, "seed": 1008,
             "record": ["spikes"],
             "params": {}, "initial_values": {"v": -65.0}},
        ],
        "projections": [
            {"label": "ssa_to_pop", "pre": "ssa", "post": "pop",
             "connector": {"type": "FixedProbabilityConnector",
                           "p_connect": 0.1,
                           "allow_self_connections": True,
                           "rng_seed": 99},
             "synapse": "StaticSynapse", "weight": 0.05, "delay": 90.0,
             "receptor_type": "excitatory"},
        ],
    })

    # 8. Izhikevich
    nets.append({
        "name": "izhikevich",
        "description": (
            "10 SSA -> 20 Izhikevich (IZK_curr_exp) OneToOne w 5 d 1; "
            "neuron_builder region of a second neuron model."),
        "timestep": 1.0, "run_ms": 50.0,
        "populations": [
            {"label": "ssa", "model": "SpikeSourceArray", "n": 10,
             "spike_times": [[1.0 + i, 20.0] for i in range(10)]},
            {"label": "pop", "model": "Izhikevich", "n": 20, "seed": 1009,
             "record": ["spikes", "v"],
             "params": {"a": 0.02, "b": 0.2, "c": -65.0, "d": 2.0,
                        "i_offset": 0.0, "tau_syn_E": 5.0,
                        "tau_syn_I": 5.0},
             "initial_values": {"v": -70.0, "u": -14.0}},
        ],
        "projections": [
            {"label": "ssa_to_pop", "pre": "ssa", "post": "pop",
             "connector": {"type": "OneToOneConnector"},
             "synapse": "StaticSynapse", "weight": 5.0, "delay": 1.0,
             "receptor_type": "excitatory"},
        ],
    })
    nets.extend(_random_networks())
    nets.extend(_seeded_value_networks())
    return nets


def _seeded_value_networks():
    """
    Host-built projections whose weights and delays come from
    RandomDistributions with their own NumpyRNG(seed=...) (given as
    "rng_seed" in the distribution): the host draws them per post core from
    a seed it takes from the distribution's rng.
    """
    nets = []
    nets.append({
        "name": "seeded_weights_delays",
        "description": (
            "50 SSA (32 per core) -> 100 IF_curr_exp (64 per core, 2 cores), "
            "FixedProbability(0.2, rng seed 61), w normal(0.5, 0.1, rng seed "
            "62), d uniform(1, 14, rng seed 63), excitatory; a recurrent "
            "AllToAll without self connections on a 30-neuron population, w "
            "exponential(0.05, rng seed 64), d 1, inhibitory."),
        "timestep": 1.0, "run_ms": 20.0,
        "populations": [
            {"label": "ssa", "model": "SpikeSourceArray", "n": 50,
             "max_atoms_per_core": 32,
             "spike_times": [[1.0 + (i % 5), 10.0 + i % 7] for i in range(50)]},
            {"label": "pop", "model": "IF_curr_exp", "n": 100,
             "max_atoms_per_core": 64, "seed": 1201,
             "record": ["spikes"], "params": {},
             "initial_values": {"v": -65.0}},
            {"label": "rec", "model": "IF_curr_exp", "n": 30, "seed": 1202,
             "record": ["spikes"], "params": {},
             "initial_values": {"v": -65.0}},
        ],
        "projections": [
            {"label": "ssa_to_pop", "pre": "ssa", "post": "pop",
             "connector": {"type": "FixedProbabilityConnector",
                           "p_connect": 0.2, "allow_self_connections": True,
                           "rng_seed": 61},
             "synapse": "StaticSynapse",
             "weight": _dist("normal", mu=0.5, sigma=0.1, rng_seed=62),
             "delay": _dist("uniform", low=1.0, high=14.0, rng_seed=63),
             "receptor_type": "excitatory"},
            {"label": "rec_to_rec", "pre": "rec", "post": "rec",
             "connector": {"type": "AllToAllConnector",
                           "allow_self_connections": False},
             "synapse": "StaticSynapse",
             "weight": _dist("exponential", beta=0.05, rng_seed=64),
             "delay": 1.0, "receptor_type": "inhibitory"},
        ],
    })
    nets.append({
        "name": "seeded_all_to_all",
        "description": (
            "20 SSA -> 70 IF_curr_exp (32 per core, 3 cores), AllToAll, w "
            "normal_clipped(0.3, 0.1, 0.05, 0.6, rng seed 71), d normal(2, "
            "1.5, rng seed 72: "
            "some delays below the timestep, which the host raises to it); "
            "20 SSA -> 70 OneToOne, w uniform(0.05, 0.4, rng seed 73), d "
            "poisson(4, rng seed 74; 0 raised to the timestep), inhibitory."),
        "timestep": 1.0, "run_ms": 20.0,
        "populations": [
            {"label": "ssa", "model": "SpikeSourceArray", "n": 20,
             "spike_times": [[1.0 + i % 9] for i in range(20)]},
            {"label": "pop", "model": "IF_curr_exp", "n": 70,
             "max_atoms_per_core": 32, "seed": 1203,
             "record": ["spikes"], "params": {},
             "initial_values": {"v": -65.0}},
        ],
        "projections": [
            {"label": "all", "pre": "ssa", "post": "pop",
             "connector": {"type": "AllToAllConnector",
                           "allow_self_connections": True},
             "synapse": "StaticSynapse",
             "weight": _dist("normal_clipped", mu=0.3, sigma=0.1, low=0.05,
                             high=0.6, rng_seed=71),
             "delay": _dist("normal", mu=2.0, sigma=1.5, rng_seed=72),
             "receptor_type": "excitatory"},
            {"label": "one", "pre": "ssa", "post": "pop",
             "connector": {"type": "OneToOneConnector"},
             "synapse": "StaticSynapse",
             "weight": _dist("uniform", low=0.05, high=0.4, rng_seed=73),
             "delay": _dist("poisson", lam=4.0, rng_seed=74),
             "receptor_type": "inhibitory"},
        ],
    })
    nets.append({
        "name": "seeded_fixed_number_pre",
        "description": (
            "40 SSA -> 90 IF_curr_exp (32 per core, 3 cores), "
            "FixedNumberPre(12, with replacement, rng seed 81), w normal(0.4, "
            "0.1, rng seed 82), d uniform(1, 12, rng seed 83), excitatory; a "
            "recurrent FixedNumberPre(9) without self connections or "
            "replacement (rng seed 84) on a 60-neuron population, w "
            "uniform(0.1, 0.3, rng seed 85), d 2, inhibitory."),
        "timestep": 1.0, "run_ms": 20.0,
        "populations": [
            {"label": "ssa", "model": "SpikeSourceArray", "n": 40,
             "spike_times": [[1.0 + i % 6, 9.0 + i % 4] for i in range(40)]},
            {"label": "pop", "model": "IF_curr_exp", "n": 90,
             "max_atoms_per_core": 32, "seed": 1204,
             "record": ["spikes"], "params": {},
             "initial_values": {"v": -65.0}},
            {"label": "rec", "model": "IF_curr_exp", "n": 60, "seed": 1205,
             "record": ["spikes"], "params": {},
             "initial_values": {"v": -65.0}},
        ],
        "projections": [
            {"label": "ssa_to_pop", "pre": "ssa", "post": "pop",
             "connector": {"type": "FixedNumberPreConnector", "n": 12,
                           "with_replacement": True,
                           "allow_self_connections": True, "rng_seed": 81},
             "synapse": "StaticSynapse",
             "weight": _dist("normal", mu=0.4, sigma=0.1, rng_seed=82),
             "delay": _dist("uniform", low=1.0, high=12.0, rng_seed=83),
             "receptor_type": "excitatory"},
            {"label": "rec_to_rec", "pre": "rec", "post": "rec",
             "connector": {"type": "FixedNumberPreConnector", "n": 9,
                           "with_replacement": False,
                           "allow_self_connections": False, "rng_seed": 84},
             "synapse": "StaticSynapse",
             "weight": _dist("uniform", low=0.1, high=0.3, rng_seed=85),
             "delay": 2.0, "receptor_type": "inhibitory"},
        ],
    })
    nets.append({
        "name": "seeded_gamma_lognormal",
        "description": (
            "20 SSA -> three 30-neuron IF_curr_exp populations, AllToAll: w "
            "gamma(k 2, theta 0.1, rng seed 91) d gamma(k 2, theta 1.5, rng "
            "seed 92); w lognormal(mu 0.2, sigma 0.5, rng seed 93) d 1; w "
            "lognormal(mu -1, sigma 0.3, rng seed 94) d 1. 7.4.1's host reads "
            "scipy's parameters positionally (gamma(a=k, loc=theta), "
            "lognorm(s=mu, loc=sigma)) for the shifts and the delay maximum."),
        "timestep": 1.0, "run_ms": 20.0,
        "populations": [
            {"label": "ssa", "model": "SpikeSourceArray", "n": 20,
             "spike_times": [[1.0 + i % 7] for i in range(20)]},
        ] + [
            {"label": label, "model": "IF_curr_exp", "n": 30,
             "seed": 1206 + k, "record": ["spikes"], "params": {},
             "initial_values": {"v": -65.0}}
            for k, label in enumerate(("gam", "logn", "logneg"))
        ],
        "projections": [
            {"label": "to_gam", "pre": "ssa", "post": "gam",
             "connector": {"type": "AllToAllConnector",
                           "allow_self_connections": True},
             "synapse": "StaticSynapse",
             "weight": _dist("gamma", k=2.0, theta=0.1, rng_seed=91),
             "delay": _dist("gamma", k=2.0, theta=1.5, rng_seed=92),
             "receptor_type": "excitatory"},
            {"label": "to_logn", "pre": "ssa", "post": "logn",
             "connector": {"type": "AllToAllConnector",
                           "allow_self_connections": True},
             "synapse": "StaticSynapse",
             "weight": _dist("lognormal", mu=0.2, sigma=0.5, rng_seed=93),
             "delay": 1.0, "receptor_type": "excitatory"},
            {"label": "to_logneg", "pre": "ssa", "post": "logneg",
             "connector": {"type": "AllToAllConnector",
                           "allow_self_connections": True},
             "synapse": "StaticSynapse",
             "weight": _dist("lognormal", mu=-1.0, sigma=0.3, rng_seed=94),
             "delay": 1.0, "receptor_type": "inhibitory"},
        ],
    })
    return nets


def _dist(name, **params):
    """A RandomDistribution in the description: {"distribution": name, ...}."""
    d = {"distribution": name}
    d.update(params)
    return d


def _random_networks():
    """
    Networks whose _onchip variants exercise the synapse expander's random
    generation (FixedTotalNumber / FixedNumberPre / FixedNumberPost /
    FixedProbability connectors, random weights and delays) and the neuron
    builder's random initial values. No rng= is passed anywhere: on the
    machine the draws are seeded by the receiving Population's seed; on the
    host (virtual board) the unseeded NumpyRNGs are seeded in creation order
    from HOST_RNG_SEED_BASE (see child_main) so that the host fixtures are
    reproducible.
    """
    nets = []
    nets.append({
        "name": "fixed_total_random",
        "description": (
            "60 SSA -> 120 IF_curr_exp (64 per core, 2 cores), "
            "FixedTotalNumberConnector(500, with_replacement=True), "
            "w uniform(0.1, 0.5), d uniform(1, 12), excitatory."),
        "timestep": 1.0, "run_ms": 20.0,
        "populations": [
            {"label": "ssa", "model": "SpikeSourceArray", "n": 60,
             "spike_times": [[1.0 + (i % 7), 8.0 + (i % 5)]
                             for i in range(60)]},
            {"label": "pop", "model": "IF_curr_exp", "n": 120,
             "max_atoms_per_core": 64, "seed": 1101,
             "record": ["spikes"], "params": {},
             "initial_values": {"v": -65.0}},
        ],
        "projections": [
            {"label": "ssa_to_pop", "pre": "ssa", "post": "pop",
             "connector": {"type": "FixedTotalNumberConnector", "n": 500,
                           "with_replacement": True,
                           "allow_self_connections": True},
             "synapse": "StaticSynapse",
             "weight": _dist("uniform", low=0.1, high=0.5),
             "delay": _dist("uniform", low=1.0, high=12.0),
             "receptor_type": "excitatory"},
        ],
    })
    nets.append({
        "name": "fixed_total_noreplace",
        "description": (
            "40 SSA -> 100 IF_curr_exp (64 per core, 2 cores), "
            "FixedTotalNumberConnector(300, with_replacement=False), "
            "w normal(0.3, 0.05), d 2, inhibitory."),
        "timestep": 1.0, "run_ms": 20.0,
        "populations": [
            {"label": "ssa", "model": "SpikeSourceArray", "n": 40,
             "spike_times": [[2.0 + (i % 9)] for i in range(40)]},
            {"label": "pop", "model": "IF_curr_exp", "n": 100,
             "max_atoms_per_core": 64, "seed": 1102,
             "record": ["spikes"], "params": {},
             "initial_values": {"v": -65.0}},
        ],
        "projections": [
            {"label": "ssa_to_pop", "pre": "ssa", "post": "pop",
             "connector": {"type": "FixedTotalNumberConnector", "n": 300,
                           "with_replacement": False,
                           "allow_self_connections": True},
             "synapse": "StaticSynapse",
             "weight": _dist("normal", mu=0.3, sigma=0.05),
             "delay": 2.0,
             "receptor_type": "inhibitory"},
        ],
    })
    nets.append({
        "name": "fixed_pre_random",
        "description": (
            "50 SSA -> 80 IF_curr_exp (32 per core, 3 cores), "
            "FixedNumberPreConnector(10), w normal_clipped(mu 0.4, sigma "
            "0.1, low 0.1, high 0.7), d normal_clipped_to_boundary(mu 5, "
            "sigma 2, low 1, high 9), excitatory."),
        "timestep": 1.0, "run_ms": 20.0,
        "populations": [
            {"label": "ssa", "model": "SpikeSourceArray", "n": 50,
             "spike_times": [[1.0 + (i % 4), 11.0 + (i % 6)]
                             for i in range(50)]},
            {"label": "pop", "model": "IF_curr_exp", "n": 80,
             "max_atoms_per_core": 32, "seed": 1103,
             "record": ["spikes"], "params": {},
             "initial_values": {"v": -65.0}},
        ],
        "projections": [
            {"label": "ssa_to_pop", "pre": "ssa", "post": "pop",
             "connector": {"type": "FixedNumberPreConnector", "n": 10,
                           "with_replacement": False,
                           "allow_self_connections": True},
             "synapse": "StaticSynapse",
             "weight": _dist("normal_clipped", mu=0.4, sigma=0.1, low=0.1,
                             high=0.7),
             "delay": _dist("normal_clipped_to_boundary", mu=5.0,
                            sigma=2.0, low=1.0, high=9.0),
             "receptor_type": "excitatory"},
        ],
    })
    nets.append({
        "name": "fixed_post_random",
        "description": (
            "50 SSA -> 80 IF_curr_exp (32 per core, 3 cores), "
            "FixedNumberPostConnector(8), w exponential(beta 0.2), d 3, "
            "excitatory. On the host (virtual board) sPyNNaker 7.4.1 "
            "generates no connection for FixedNumberPostConnector (its "
            "__build_post_neurons starts from a list of empty arrays and "
            "only fills the entries that are None) and warns 'No "
            "connection in FixedNumberPostConnector(8)', so the host "
            "fixture has empty rows and an empty proj_get."),
        "timestep": 1.0, "run_ms": 20.0,
        "populations": [
            {"label": "ssa", "model": "SpikeSourceArray", "n": 50,
             "spike_times": [[3.0 + (i % 5), 12.0] for i in range(50)]},
            {"label": "pop", "model": "IF_curr_exp", "n": 80,
             "max_atoms_per_core": 32, "seed": 1104,
             "record": ["spikes"], "params": {},
             "initial_values": {"v": -65.0}},
        ],
        "projections": [
            {"label": "ssa_to_pop", "pre": "ssa", "post": "pop",
             "connector": {"type": "FixedNumberPostConnector", "n": 8,
                           "with_replacement": False,
                           "allow_self_connections": True},
             "synapse": "StaticSynapse",
             "weight": _dist("exponential", beta=0.2),
             "delay": 3.0,
             "receptor_type": "excitatory"},
        ],
    })
    nets.append({
        "name": "recurrent_random",
        "description": (
            "150 IF_curr_exp (64 per core, 3 cores) with initial v "
            "uniform(-70, -55); 20 SSA -> pop FixedProbability(0.3) w 1 d 1; "
            "pop -> pop FixedProbability(0.1, allow_self_connections=False) "
            "w uniform(0.05, 0.2) d uniform(1, 20) excitatory; pop -> pop "
            "AllToAll(allow_self_connections=False) w 0.01 d 1 inhibitory."),
        "timestep": 1.0, "run_ms": 20.0,
        "populations": [
            {"label": "ssa", "model": "SpikeSourceArray", "n": 20,
             "spike_times": [[1.0 + i % 10, 10.0 + i % 3]
                             for i in range(20)]},
            {"label": "pop", "model": "IF_curr_exp", "n": 150,
             "max_atoms_per_core": 64, "seed": 1105,
             "record": ["spikes"], "params": {},
             "initial_values": {"v": _dist("uniform", low=-70.0,
                                           high=-55.0)}},
        ],
        "projections": [
            {"label": "ssa_to_pop", "pre": "ssa", "post": "pop",
             "connector": {"type": "FixedProbabilityConnector",
                           "p_connect": 0.3,
                           "allow_self_connections": True},
             "synapse": "StaticSynapse", "weight": 1.0, "delay": 1.0,
             "receptor_type": "excitatory"},
            {"label": "rec_exc", "pre": "pop", "post": "pop",
             "connector": {"type": "FixedProbabilityConnector",
                           "p_connect": 0.1,
                           "allow_self_connections": False},
             "synapse": "StaticSynapse",
             "weight": _dist("uniform", low=0.05, high=0.2),
             "delay": _dist("uniform", low=1.0, high=20.0),
             "receptor_type": "excitatory"},
            {"label": "rec_inh", "pre": "pop", "post": "pop",
             "connector": {"type": "AllToAllConnector",
                           "allow_self_connections": False},
             "synapse": "StaticSynapse", "weight": 0.01, "delay": 1.0,
             "receptor_type": "inhibitory"},
        ],
    })
    nets.append({
        "name": "long_delays_random",
        "description": (
            "dt 1 ms. 100 SSA -> 200 IF_curr_exp FixedProbability(0.2), "
            "w 0.5, d uniform(1, 60), excitatory. 200 atoms on one core "
            "leave 14 - (8 + 1) = 5 delay bits (32 ticks in core), so the "
            "delays of 33..60 ticks go through a delay extension (1 stage). "
            "(With 100 post atoms the core would have 6 delay bits, i.e. 64 "
            "ticks, and no delay extension.)"),
        "timestep": 1.0, "run_ms": 20.0,
        "populations": [
            {"label": "ssa", "model": "SpikeSourceArray", "n": 100,
             "spike_times": [[float(i % 15)] for i in range(100)]},
            {"label": "pop", "model": "IF_curr_exp", "n": 200,
             "seed": 1106, "record": ["spikes"], "params": {},
             "initial_values": {"v": -65.0}},
        ],
        "projections": [
            {"label": "ssa_to_pop", "pre": "ssa", "post": "pop",
             "connector": {"type": "FixedProbabilityConnector",
                           "p_connect": 0.2,
                           "allow_self_connections": True},
             "synapse": "StaticSynapse", "weight": 0.5,
             "delay": _dist("uniform", low=1.0, high=60.0),
             "receptor_type": "excitatory"},
        ],
    })
    return nets


RANDOM_NETWORKS = [n["name"] for n in _random_networks()]


def _single_post_core(net):
    net["populations"][1].pop("max_atoms_per_core")
    net["description"] += (
        " Host variant: the population is on one core (no "
        "max_atoms_per_core).")


def _all_to_all_with_self(net):
    net["projections"][2]["connector"]["allow_self_connections"] = True
    net["description"] = net["description"].replace(
        "AllToAll(allow_self_connections=False) w 0.01",
        "AllToAll(allow_self_connections=True) w 0.01") + (
        " Host variant: the inhibitory AllToAll allows self connections.")


_MULTAPSE_ERROR = (
    "sPyNNaker 7.4.1 raises 'ValueError: The truth value of an array with "
    "more than one element is ambiguous. Use a.any() or a.all()' in "
    "MultapseConnector._get_n_connections (`if not "
    "self.__synapses_per_edge:` on the numpy multinomial result) when the "
    "host generates a FixedTotalNumberConnector for a post population of "
    "more than one core")

# Host (virtual board) variants that sPyNNaker 7.4.1 refuses as specified:
# the change made for the host variant only (the _onchip variant builds the
# network as described), and what sPyNNaker said.
HOST_VARIANT_CHANGES = {
    "fixed_total_random": (_single_post_core, _MULTAPSE_ERROR),
    "fixed_total_noreplace": (_single_post_core, _MULTAPSE_ERROR),
    "recurrent_random": (_all_to_all_with_self, (
        "sPyNNaker 7.4.1 raises 'ValueError: could not broadcast input "
        "array from shape (22350,) into shape (9536,)' in "
        "AllToAllConnector.create_synaptic_block: with "
        "allow_self_connections=False on a recurrent projection it builds "
        "the sources of all n*(n-1) pairs instead of those of the post "
        "core, so host generation fails when the population has more than "
        "one core")),
}


def _drop_projections(*labels):
    def change(net):
        net["projections"] = [p for p in net["projections"]
                              if p["label"] not in labels]
        net["description"] += (
            " Host variant: without " + ", ".join(labels) + ".")
    return change


_ONE_TO_ONE_VIEW_ERROR = (
    "sPyNNaker 7.4.1 raises 'ValueError: The truth value of an array with "
    "more than one element is ambiguous. Use a.any() or a.all()' in "
    "OneToOneConnector.create_synaptic_block (`pre_atoms <= pre_hi & "
    "pre_atoms >= pre_lo`: & binds before the comparisons, so this is a "
    "chained comparison of arrays) when the host generates a OneToOne "
    "projection whose pre or post is a PopulationView")

_FIXED_PRE_VIEW_ERROR = (
    "sPyNNaker 7.4.1 raises 'IndexError: list index out of range' in "
    "FixedNumberPreConnector.create_synaptic_block (`for pn in "
    "pre_neurons[n]` over the post vertex atoms n of the core: the list "
    "has one entry per neuron of the post view (n_post_neurons = 80), but "
    "it is indexed by post vertex atom, so the post core 64:127 runs past "
    "it)")

HOST_VARIANT_CHANGES.update({
    "views_random": (_drop_projections("o2o_view", "ftn_view", "fnp_view"),
                     _ONE_TO_ONE_VIEW_ERROR + " (o2o_view); " +
                     _MULTAPSE_ERROR + " (ftn_view); " +
                     _FIXED_PRE_VIEW_ERROR + " (fnp_view)"),
    "views_recurrent": (_drop_projections("poisson_to_view"),
                        _ONE_TO_ONE_VIEW_ERROR + " (poisson_to_view)"),
})

# Base seed for the unseeded NumpyRNGs of the host variants of
# RANDOM_NETWORKS: the k-th NumpyRNG() created without a seed gets its
# numpy RandomState seeded with HOST_RNG_SEED_BASE + k (its .seed attribute
# stays None, so sPyNNaker's check_rng does not see a user rng).
HOST_RNG_SEED_BASE = 7100


def _stdp_networks():
    """
    STDP networks (docs/stdp.md). They are written into the subdirectory
    given by "out_subdir" so that the top-level fixtures are unchanged.
    """
    nets = []
    # pre spikes of 4 sources; post neurons are driven by their own SSA
    # through a strong static synapse so that they fire at known times
    # (on hardware; on the virtual board nothing runs).
    pre_times = [[10.0, 60.0, 110.0], [20.0, 70.0], [30.0, 80.0, 130.0],
                 [40.0]]
    drive_times = [[15.0, 65.0], [12.0, 75.0], [35.0], [45.0, 140.0]]
    base = {
        "timestep": 1.0, "run_ms": 200.0,
        "out_subdir": "stdp",
        "populations": [
            {"label": "pre", "model": "SpikeSourceArray", "n": 4,
             "spike_times": pre_times},
            {"label": "drive", "model": "SpikeSourceArray", "n": 4,
             "spike_times": drive_times},
            {"label": "post", "model": "IF_curr_exp", "n": 4, "seed": 2001,
             "record": ["spikes", "v"], "params": {},
             "initial_values": {"v": -65.0}},
        ],
    }

    def net(name, desc, stdp, pre_post_conn, delay, extra_proj=None):
        n = json.loads(json.dumps(base))
        n["name"] = name
        n["description"] = desc
        n["projections"] = [
            {"label": "drive_to_post", "pre": "drive", "post": "post",
             "connector": {"type": "OneToOneConnector"},
             "synapse": "StaticSynapse", "weight": 20.0, "delay": 1.0,
             "receptor_type": "excitatory"},
            {"label": "pre_to_post", "pre": "pre", "post": "post",
             "connector": pre_post_conn,
             "synapse": "STDPMechanism", "stdp": stdp,
             "weight": None, "delay": delay,
             "receptor_type": "excitatory"},
        ] + (extra_proj or [])
        return n

    fl = {"type": "FromListConnector",
          "conn_list": [[0, 0, 0.5, 1.0], [1, 1, 0.25, 2.0],
                        [2, 2, 1.0, 3.0], [3, 3, 0.75, 4.0],
                        [0, 1, 0.1, 5.0], [2, 3, 0.6, 1.0]]}
    nets.append(net(
        "stdp_pair_additive",
        "4 SSA -> 4 IF_curr_exp, FromList plastic projection with "
        "STDPMechanism(SpikePairRule(tau_plus=16.8, tau_minus=33.7, "
        "A_plus=0.05, A_minus=0.06), AdditiveWeightDependence(w_min=0.0, "
        "w_max=2.0)), weights 0.1..1.0 nA, delays 1..5 ms; plus a static "
        "OneToOne drive projection (w 20) from a second SSA.",
        {"timing": "SpikePairRule",
         "timing_params": {"tau_plus": 16.8, "tau_minus": 33.7,
                           "A_plus": 0.05, "A_minus": 0.06},
         "weight_dependence": "AdditiveWeightDependence",
         "weight_params": {"w_min": 0.0, "w_max": 2.0}},
        fl, None))
    nets.append(net(
        "stdp_pair_multiplicative",
        "4 SSA -> 4 IF_curr_exp, AllToAll plastic projection w 0.5 d 2 "
        "with STDPMechanism(SpikePairRule(defaults: tau 20/20, A 0.01/"
        "0.01), MultiplicativeWeightDependence(w_min=0.0, w_max=1.0)); "
        "plus the static drive projection.",
        {"timing": "SpikePairRule", "timing_params": {},
         "weight_dependence": "MultiplicativeWeightDependence",
         "weight_params": {"w_min": 0.0, "w_max": 1.0},
         "weight": 0.5, "delay": 2.0},
        {"type": "AllToAllConnector", "allow_self_connections": True},
        None))
    nets.append(net(
        "stdp_nearest_pair_additive_delayext",
        "4 SSA -> 4 IF_curr_exp, FromList plastic projection with "
        "STDPMechanism(SpikeNearestPairRule(tau_plus=20, tau_minus=20, "
        "A_plus=0.02, A_minus=0.03), AdditiveWeightDependence(w_min=0.05, "
        "w_max=1.5)), delays 1..40 ms so that the post core supports 16 "
        "ticks and a delay extension carries the longer ones; plus the "
        "static drive projection.",
        {"timing": "SpikeNearestPairRule",
         "timing_params": {"tau_plus": 20.0, "tau_minus": 20.0,
                           "A_plus": 0.02, "A_minus": 0.03},
         "weight_dependence": "AdditiveWeightDependence",
         "weight_params": {"w_min": 0.05, "w_max": 1.5}},
        {"type": "FromListConnector",
         "conn_list": [[0, 0, 0.5, 1.0], [1, 1, 0.25, 16.0],
                       [2, 2, 1.0, 32.0], [3, 3, 0.75, 40.0],
                       [0, 1, 0.1, 33.0], [2, 3, 0.6, 70.0],
                       [1, 200, 0.3, 64.0]]},
        None))
    # 256 post atoms on one core: 14 - (8 + 1) = 5 delay bits (32 slots),
    # so the delays 33, 40, 64 and 70 ms go through a delay extension
    nets[-1]["populations"][2]["n"] = 256
    nets[-1]["description"] = nets[-1]["description"].replace(
        "4 SSA -> 4 IF_curr_exp", "4 SSA -> 256 IF_curr_exp").replace(
        "delays 1..40 ms so that the post core supports 16 ticks",
        "delays 1..70 ms; the post core supports 32 ticks")
    nets.extend(_stdp_random_networks())
    return nets


def _stdp_random_networks():
    """
    Random plastic projections (written to stdp/ like the other STDP
    networks). As for RANDOM_NETWORKS, no rng= is passed: on the machine the
    draws are seeded by the post Population's seed, on the host the
    unseeded NumpyRNGs are seeded from HOST_RNG_SEED_BASE (see child_main).
    Each post neuron is driven by its own SSA source through a static
    OneToOne projection (w 20, d 1), as in the other STDP networks.
    """
    nets = []
    nets.append({
        "name": "stdp_random",
        "description": (
            "80 SSA -> 100 IF_curr_exp (64 per core, 2 cores), initial v "
            "uniform(-70, -55), FixedProbabilityConnector(0.3) plastic "
            "projection with STDPMechanism(SpikePairRule(tau_plus=16.8, "
            "tau_minus=33.7, A_plus=0.05, A_minus=0.06), "
            "AdditiveWeightDependence(w_min=0.0, w_max=2.0)), w uniform(0.1, "
            "1.0), d uniform(1, 160): 64 atoms per core leave 14 - (6 + 1) "
            "= 7 delay bits (128 ticks in core), so the delays of 129..160 "
            "ticks go through a delay extension (1 stage); plus a static "
            "OneToOne drive projection (w 20, d 1) from a 100-source SSA."),
        "timestep": 1.0, "run_ms": 200.0,
        "out_subdir": "stdp",
        "populations": [
            {"label": "pre", "model": "SpikeSourceArray", "n": 80,
             "spike_times": [[5.0 + 3.0 * (i % 10), 60.0 + 5.0 * (i % 7),
                              130.0 + float(i % 4)] for i in range(80)]},
            {"label": "drive", "model": "SpikeSourceArray", "n": 100,
             "spike_times": [[20.0 + 7.0 * (i % 9), 150.0 + float(i % 5)]
                             for i in range(100)]},
            {"label": "post", "model": "IF_curr_exp", "n": 100,
             "max_atoms_per_core": 64, "seed": 2101,
             "record": ["spikes", "v"], "params": {},
             "initial_values": {"v": _dist("uniform", low=-70.0,
                                           high=-55.0)}},
        ],
        "projections": [
            {"label": "drive_to_post", "pre": "drive", "post": "post",
             "connector": {"type": "OneToOneConnector"},
             "synapse": "StaticSynapse", "weight": 20.0, "delay": 1.0,
             "receptor_type": "excitatory"},
            {"label": "pre_to_post", "pre": "pre", "post": "post",
             "connector": {"type": "FixedProbabilityConnector",
                           "p_connect": 0.3,
                           "allow_self_connections": True},
             "synapse": "STDPMechanism",
             "stdp": {"timing": "SpikePairRule",
                      "timing_params": {"tau_plus": 16.8, "tau_minus": 33.7,
                                        "A_plus": 0.05, "A_minus": 0.06},
                      "weight_dependence": "AdditiveWeightDependence",
                      "weight_params": {"w_min": 0.0, "w_max": 2.0}},
             "weight": _dist("uniform", low=0.1, high=1.0),
             "delay": _dist("uniform", low=1.0, high=160.0),
             "receptor_type": "excitatory"},
        ],
    })
    nets.append({
        "name": "stdp_random_nearest",
        "description": (
            "40 SSA -> 50 IF_curr_exp (one core), FixedNumberPreConnector(7, "
            "with_replacement=False) plastic projection with "
            "STDPMechanism(SpikeNearestPairRule(tau_plus=20, tau_minus=20, "
            "A_plus=0.02, A_minus=0.03), MultiplicativeWeightDependence("
            "w_min=0.0, w_max=1.5)), w normal_clipped(mu 0.5, sigma 0.2, low "
            "0.1, high 1.0), d uniform(1, 10); plus a static OneToOne drive "
            "projection (w 20, d 1) from a 50-source SSA."),
        "timestep": 1.0, "run_ms": 200.0,
        "out_subdir": "stdp",
        "populations": [
            {"label": "pre", "model": "SpikeSourceArray", "n": 40,
             "spike_times": [[4.0 + 2.0 * (i % 8), 50.0 + 3.0 * (i % 6),
                              110.0 + float(i % 3)] for i in range(40)]},
            {"label": "drive", "model": "SpikeSourceArray", "n": 50,
             "spike_times": [[10.0 + 5.0 * (i % 7), 120.0 + float(i % 4)]
                             for i in range(50)]},
            {"label": "post", "model": "IF_curr_exp", "n": 50, "seed": 2102,
             "record": ["spikes", "v"], "params": {},
             "initial_values": {"v": -65.0}},
        ],
        "projections": [
            {"label": "drive_to_post", "pre": "drive", "post": "post",
             "connector": {"type": "OneToOneConnector"},
             "synapse": "StaticSynapse", "weight": 20.0, "delay": 1.0,
             "receptor_type": "excitatory"},
            {"label": "pre_to_post", "pre": "pre", "post": "post",
             "connector": {"type": "FixedNumberPreConnector", "n": 7,
                           "with_replacement": False,
                           "allow_self_connections": True},
             "synapse": "STDPMechanism",
             "stdp": {"timing": "SpikeNearestPairRule",
                      "timing_params": {"tau_plus": 20.0, "tau_minus": 20.0,
                                        "A_plus": 0.02, "A_minus": 0.03},
                      "weight_dependence": "MultiplicativeWeightDependence",
                      "weight_params": {"w_min": 0.0, "w_max": 1.5}},
             "weight": _dist("normal_clipped", mu=0.5, sigma=0.2, low=0.1,
                             high=1.0),
             "delay": _dist("uniform", low=1.0, high=10.0),
             "receptor_type": "excitatory"},
        ],
    })
    return nets


STDP_RANDOM_NETWORKS = [n["name"] for n in _stdp_random_networks()]


def _view_networks():
    """
    Projections between PopulationViews (written to views/ so that the
    top-level fixtures, which the Rust tests read, are unchanged). A
    projection's "pre_view" / "post_view" selects a PopulationView of the
    population: {"slice": [start, stop]} or {"slice": [start, stop, step]}
    is pop[start:stop(:step)], {"indices": [...]} is pop[[...]]. Seeding
    follows RANDOM_NETWORKS: no rng=, the Population seed seeds the machine
    draws, the host variant seeds the unseeded NumpyRNGs from
    HOST_RNG_SEED_BASE. A projection that sPyNNaker 7.4.1 refuses when it
    is created is dropped and recorded in "refused_projections".
    """
    nets = []
    nets.append({
        "name": "views_random",
        "description": (
            "100 SSA (32 per core, 4 cores) -> 150 IF_curr_exp (64 per "
            "core, 3 cores), projections "
            "between PopulationViews: pre[10:60] -> post[20:140] "
            "FixedProbability(0.2) w uniform(0.1, 1.0) d uniform(1, 20); "
            "pre[0:30] -> post[100:130] OneToOne w 0.5 d 2; pre[50:100] -> "
            "post[0:64] FixedTotalNumber(300, with_replacement=True) w "
            "normal_clipped(0.5, 0.2, 0.1, 1.0) d 1 inhibitory; pre[5:45] -> "
            "post[70:150] FixedNumberPre(5) w 0.3 d uniform(1, 10); pre -> "
            "post[30:90] AllToAll w 0.05 d 3."),
        "timestep": 1.0, "run_ms": 20.0,
        "out_subdir": "views",
        "populations": [
            {"label": "pre", "model": "SpikeSourceArray", "n": 100,
             "max_atoms_per_core": 32,
             "spike_times": [[1.0 + (i % 6), 9.0 + (i % 4)]
                             for i in range(100)]},
            {"label": "post", "model": "IF_curr_exp", "n": 150,
             "max_atoms_per_core": 64, "seed": 3101,
             "record": ["spikes"], "params": {},
             "initial_values": {"v": -65.0}},
        ],
        "projections": [
            {"label": "fp_view", "pre": "pre", "post": "post",
             "pre_view": {"slice": [10, 60]},
             "post_view": {"slice": [20, 140]},
             "connector": {"type": "FixedProbabilityConnector",
                           "p_connect": 0.2,
                           "allow_self_connections": True},
             "synapse": "StaticSynapse",
             "weight": _dist("uniform", low=0.1, high=1.0),
             "delay": _dist("uniform", low=1.0, high=20.0),
             "receptor_type": "excitatory"},
            {"label": "o2o_view", "pre": "pre", "post": "post",
             "pre_view": {"slice": [0, 30]},
             "post_view": {"slice": [100, 130]},
             "connector": {"type": "OneToOneConnector"},
             "synapse": "StaticSynapse", "weight": 0.5, "delay": 2.0,
             "receptor_type": "excitatory"},
            {"label": "ftn_view", "pre": "pre", "post": "post",
             "pre_view": {"slice": [50, 100]},
             "post_view": {"slice": [0, 64]},
             "connector": {"type": "FixedTotalNumberConnector", "n": 300,
                           "with_replacement": True,
                           "allow_self_connections": True},
             "synapse": "StaticSynapse",
             "weight": _dist("normal_clipped", mu=0.5, sigma=0.2, low=0.1,
                             high=1.0),
             "delay": 1.0,
             "receptor_type": "inhibitory"},
            {"label": "fnp_view", "pre": "pre", "post": "post",
             "pre_view": {"slice": [5, 45]},
             "post_view": {"slice": [70, 150]},
             "connector": {"type": "FixedNumberPreConnector", "n": 5,
                           "with_replacement": False,
                           "allow_self_connections": True},
             "synapse": "StaticSynapse", "weight": 0.3,
             "delay": _dist("uniform", low=1.0, high=10.0),
             "receptor_type": "excitatory"},
            {"label": "a2a_postview", "pre": "pre", "post": "post",
             "post_view": {"slice": [30, 90]},
             "connector": {"type": "AllToAllConnector",
                           "allow_self_connections": True},
             "synapse": "StaticSynapse", "weight": 0.05, "delay": 3.0,
             "receptor_type": "excitatory"},
        ],
    })
    nets.append({
        "name": "views_recurrent",
        "description": (
            "120 IF_curr_exp (64 per core, 2 cores): recurrent pop[0:60] -> "
            "pop[40:120] FixedProbability(0.1, allow_self_connections=False) "
            "w 0.2 d uniform(1, 5); 20 SpikeSourcePoisson (10 Hz, seed 3150) "
            "-> pop[0:20] OneToOne w 1.0 d 1."),
        "timestep": 1.0, "run_ms": 20.0,
        "out_subdir": "views",
        "populations": [
            {"label": "poisson", "model": "SpikeSourcePoisson", "n": 20,
             "rate": 10.0, "start": 0.0, "seed": 3150},
            {"label": "pop", "model": "IF_curr_exp", "n": 120,
             "max_atoms_per_core": 64, "seed": 3102,
             "record": ["spikes"], "params": {},
             "initial_values": {"v": -65.0}},
        ],
        "projections": [
            {"label": "rec_view", "pre": "pop", "post": "pop",
             "pre_view": {"slice": [0, 60]},
             "post_view": {"slice": [40, 120]},
             "connector": {"type": "FixedProbabilityConnector",
                           "p_connect": 0.1,
                           "allow_self_connections": False},
             "synapse": "StaticSynapse", "weight": 0.2,
             "delay": _dist("uniform", low=1.0, high=5.0),
             "receptor_type": "excitatory"},
            {"label": "poisson_to_view", "pre": "poisson", "post": "pop",
             "post_view": {"slice": [0, 20]},
             "connector": {"type": "OneToOneConnector"},
             "synapse": "StaticSynapse", "weight": 1.0, "delay": 1.0,
             "receptor_type": "excitatory"},
        ],
    })
    nets.append({
        "name": "views_noncontiguous",
        "description": (
            "40 SSA -> 50 IF_curr_exp (one core): pre[[1, 5, 9, 30]] -> "
            "post[[0, 2, 4, 6]] OneToOne w 0.4 d 1; pre[0:40:2] -> "
            "post[10:30] FixedProbability(0.5) w 0.1 d 1. Both pre views "
            "(and the first post view) are non-contiguous."),
        "timestep": 1.0, "run_ms": 20.0,
        "out_subdir": "views",
        "populations": [
            {"label": "pre", "model": "SpikeSourceArray", "n": 40,
             "spike_times": [[2.0 + (i % 5)] for i in range(40)]},
            {"label": "post", "model": "IF_curr_exp", "n": 50,
             "seed": 3103, "record": ["spikes"], "params": {},
             "initial_values": {"v": -65.0}},
        ],
        "projections": [
            {"label": "o2o_indices", "pre": "pre", "post": "post",
             "pre_view": {"indices": [1, 5, 9, 30]},
             "post_view": {"indices": [0, 2, 4, 6]},
             "connector": {"type": "OneToOneConnector"},
             "synapse": "StaticSynapse", "weight": 0.4, "delay": 1.0,
             "receptor_type": "excitatory"},
            {"label": "fp_strided", "pre": "pre", "post": "post",
             "pre_view": {"slice": [0, 40, 2]},
             "post_view": {"slice": [10, 30]},
             "connector": {"type": "FixedProbabilityConnector",
                           "p_connect": 0.5,
                           "allow_self_connections": True},
             "synapse": "StaticSynapse", "weight": 0.1, "delay": 1.0,
             "receptor_type": "excitatory"},
        ],
    })
    nets.append({
        "name": "views_ranged_values",
        "description": (
            "60 SSA -> 150 IF_curr_exp (64 per core, 3 cores) FixedProbability"
            "(0.1) w 0.4 d 1, the post population's values set view by view "
            "(\"ranged_values\": [start, stop, value] in order, each "
            "pop[start:stop].set or .initialize): v -65 / normal(-60, 3) / "
            "uniform(-70, -55), tau_m 20 / 15 / 20 (neighbours with one value "
            "merge), i_offset normal_clipped on one view, isyn_exc "
            "exponential on another. \"host_ranges\" is what the vertex's "
            "ranged lists hold afterwards."),
        "timestep": 1.0, "run_ms": 20.0,
        "out_subdir": "views",
        "populations": [
            {"label": "pre", "model": "SpikeSourceArray", "n": 60,
             "spike_times": [[1.0 + (i % 7)] for i in range(60)]},
            {"label": "post", "model": "IF_curr_exp", "n": 150,
             "max_atoms_per_core": 64, "seed": 3104,
             "record": ["spikes"], "params": {},
             "ranged_values": {
                 "v": [[0, 40, -65.0],
                       [40, 100, _dist("normal", mu=-60.0, sigma=3.0)],
                       [100, 150, _dist("uniform", low=-70.0, high=-55.0)]],
                 "tau_m": [[0, 70, 20.0], [70, 120, 15.0], [120, 150, 15.0]],
                 "i_offset": [[0, 30, 0.0],
                              [30, 90, _dist("normal_clipped", mu=0.2,
                                             sigma=0.1, low=0.0, high=0.5)],
                              [90, 150, 0.0]],
                 "isyn_exc": [[0, 100, 0.0],
                              [100, 150, _dist("exponential", beta=0.5)]],
             }},
        ],
        "projections": [
            {"label": "fp", "pre": "pre", "post": "post",
             "connector": {"type": "FixedProbabilityConnector",
                           "p_connect": 0.1,
                           "allow_self_connections": True},
             "synapse": "StaticSynapse", "weight": 0.4, "delay": 1.0,
             "receptor_type": "excitatory"},
        ],
    })
    return nets


VIEW_NETWORKS = [n["name"] for n in _view_networks()]


def _kernel_networks():
    """
    KernelConnector projections: on the host (virtual board) 7.4.1 builds
    their rows in Python (``__compute_statistics``: only the pre neurons on
    the sampling grid, numpy uint32 post coordinates, one value per kernel
    position); the _onchip variant writes the kernel's parameters for the
    synapse expander (connector id 6).
    """
    wk = [[0.5, 1.0, 0.5], [1.0, 2.0, 1.0], [0.5, 1.0, 0.25]]
    dk = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]
    return [{
        "name": "kernel",
        "description": (
            "48 SSA (a 6 x 8 grid) -> three IF_curr_exp populations by "
            "KernelConnector: conv (3 x 4, 4 per core) 3 x 3 kernel with its "
            "own weights and delays, post steps (2, 2) from (1, 1); wide "
            "(6 x 8, 16 per core) 3 x 5 kernel, projection weight 0.25 delay "
            "2, pre steps (2, 1) from (1, 0); drawn (6 x 8, 32 per core) "
            "3 x 3 kernel, weights uniform(0.1, 0.5, rng seed 61), delay 1"),
        "timestep": 1.0, "run_ms": 20.0,
        "populations": [
            {"label": "grid", "model": "SpikeSourceArray", "n": 48,
             "spike_times": [[1.0 + i % 5, 9.0 + i % 3] for i in range(48)]},
            {"label": "conv", "model": "IF_curr_exp", "n": 12,
             "seed": 1301, "max_atoms_per_core": 4, "record": ["spikes"],
             "params": {}, "initial_values": {"v": -65.0}},
            {"label": "wide", "model": "IF_curr_exp", "n": 48,
             "seed": 1302, "max_atoms_per_core": 16, "record": ["spikes"],
             "params": {}, "initial_values": {"v": -65.0}},
            {"label": "drawn", "model": "IF_curr_exp", "n": 48,
             "seed": 1303, "max_atoms_per_core": 32, "record": ["spikes"],
             "params": {}, "initial_values": {"v": -65.0}},
        ],
        "projections": [
            {"label": "to_conv", "pre": "grid", "post": "conv",
             "connector": {"type": "KernelConnector", "shape_pre": [6, 8],
                           "shape_post": [3, 4], "shape_kernel": [3, 3],
                           "post_sample_steps_in_pre": [2, 2],
                           "post_start_coords_in_pre": [1, 1],
                           "weight_kernel": wk, "delay_kernel": dk},
             "synapse": "StaticSynapse", "weight": None, "delay": None,
             "receptor_type": "excitatory"},
            {"label": "to_wide", "pre": "grid", "post": "wide",
             "connector": {"type": "KernelConnector", "shape_pre": [6, 8],
                           "shape_post": [6, 8], "shape_kernel": [3, 5],
                           "pre_sample_steps_in_post": [2, 1],
                           "pre_start_coords_in_post": [1, 0]},
             "synapse": "StaticSynapse", "weight": 0.25, "delay": 2.0,
             "receptor_type": "excitatory"},
            {"label": "to_drawn", "pre": "grid", "post": "drawn",
             "connector": {"type": "KernelConnector", "shape_pre": [6, 8],
                           "shape_post": [6, 8], "shape_kernel": [3, 3]},
             "synapse": "StaticSynapse",
             "weight": _dist("uniform", low=0.1, high=0.5, rng_seed=61),
             "delay": 1.0, "receptor_type": "excitatory"},
        ],
    }]


KERNEL_NETWORKS = [n["name"] for n in _kernel_networks()]


def _all_but_me_networks():
    """
    sPyNNaker's extra_models.AllButMeConnector with its group's own weights:
    the _onchip variant writes them for the synapse expander (connector 7,
    has_weights 1); on the host (virtual board) 7.4.1 writes the
    projection's weight instead. Both take the shifts from the group's
    weights (amax signed, mean and var of the magnitudes).
    """
    group_w = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 0.25, 0.75, 1.25, 1.75, 2.25,
               2.75]
    return [{
        "name": "all_but_me_weights",
        "description": (
            "24 SSA -> 24 IF_curr_exp (8 per core) OneToOne w 2 d 1; wta -> "
            "wta AllButMe(n_neurons_per_group 4, weights 12 values), "
            "projection weight 0.1, delay 2, inhibitory"),
        "timestep": 1.0, "run_ms": 20.0,
        "populations": [
            {"label": "drive", "model": "SpikeSourceArray", "n": 24,
             "spike_times": [[1.0 + i % 4] for i in range(24)]},
            {"label": "wta", "model": "IF_curr_exp", "n": 24, "seed": 1401,
             "max_atoms_per_core": 8, "record": ["spikes"], "params": {},
             "initial_values": {"v": -65.0}},
        ],
        "projections": [
            {"label": "drive_wta", "pre": "drive", "post": "wta",
             "connector": {"type": "OneToOneConnector"},
             "synapse": "StaticSynapse", "weight": 2.0, "delay": 1.0,
             "receptor_type": "excitatory"},
            {"label": "wta_wta", "pre": "wta", "post": "wta",
             "connector": {"type": "AllButMeConnector",
                           "n_neurons_per_group": 4, "weights": group_w},
             "synapse": "StaticSynapse", "weight": 0.1, "delay": 2.0,
             "receptor_type": "inhibitory"},
        ],
    }]


ALL_BUT_ME_NETWORKS = [n["name"] for n in _all_but_me_networks()]

# Networks whose unseeded host RNGs are seeded from HOST_RNG_SEED_BASE
HOST_RNG_SEEDED = RANDOM_NETWORKS + STDP_RANDOM_NETWORKS + VIEW_NETWORKS

NETWORKS = {n["name"]: n for n in
            _networks() + _stdp_networks() + _view_networks() +
            _kernel_networks() + _all_but_me_networks()}

# Networks that are additionally run with on-machine generation forced on
# (the layout real hardware gets for AllToAll/OneToOne/FixedProbability).
ONCHIP_VARIANTS = ["fixed_probability", "all_to_all", "conductance",
                   "poisson", "delay_extension_b",
                   "delay_extension_b_combined", "delay_extension_c",
                   "izhikevich"] + RANDOM_NETWORKS + STDP_RANDOM_NETWORKS + \
    VIEW_NETWORKS + KERNEL_NETWORKS + ALL_BUT_ME_NETWORKS


# ---------------------------------------------------------------------------
# Outer process: venv, temp HOME, one child per network
# ---------------------------------------------------------------------------

def ensure_venv(venv):
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        base = shutil.which("python3.11") or sys.executable
        print(f"creating venv {venv} with {base}", flush=True)
        subprocess.check_call([base, "-m", "venv", venv])
    try:
        ver = subprocess.check_output(
            [py, "-c", "import importlib.metadata as m;"
             "print(m.version('sPyNNaker'))"],
            stderr=subprocess.DEVNULL, text=True).strip()
    except subprocess.CalledProcessError:
        ver = None
    if ver != SPYNNAKER_VERSION:
        print(f"installing {SPYNNAKER_REQ} into {venv}", flush=True)
        subprocess.check_call(
            [py, "-m", "pip", "install", "--quiet", SPYNNAKER_REQ])
    return py


def run_child(py, name, onchip, out_dir, keep):
    tmp = tempfile.mkdtemp(prefix=f"spinn_oracle_{name}_")
    home = os.path.join(tmp, "home")
    run = os.path.join(tmp, "run")
    reports = os.path.join(tmp, "reports")
    for d in (home, run, reports):
        os.makedirs(d)
    with open(os.path.join(home, ".spynnaker.cfg"), "w") as f:
        f.write(HOME_CFG)
    with open(os.path.join(run, "spynnaker.cfg"), "w") as f:
        f.write(RUN_CFG.format(reports=reports))
    env = dict(os.environ)
    env["HOME"] = home
    env.pop("PYTHONPATH", None)
    cmd = [py, os.path.abspath(__file__), "--child", name,
           "--out", out_dir]
    if onchip:
        cmd.append("--onchip")
    log = os.path.join(tmp, "log.txt")
    with open(log, "w") as lf:
        rc = subprocess.call(cmd, cwd=run, env=env, stdout=lf,
                             stderr=subprocess.STDOUT)
    if rc != 0:
        with open(log) as lf:
            tail = lf.read()[-4000:]
        print(f"FAILED {name}{' (onchip)' if onchip else ''}:\n{tail}",
              flush=True)
    if keep or rc != 0:
        print(f"  work dir kept: {tmp}", flush=True)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return rc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--venv", help="virtual environment to use (created "
                    "and populated with spynnaker 1!7.4.1 if missing)")
    ap.add_argument("--out", default=DEFAULT_OUT,
                    help="output folder for the JSON fixtures")
    ap.add_argument("--only", action="append",
                    help="only this network (repeatable)")
    ap.add_argument("--no-onchip", action="store_true",
                    help="skip the on-machine-generation variants")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary run folders")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--onchip", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.list:
        for n in NETWORKS:
            print(n, "(+ onchip)" if n in ONCHIP_VARIANTS else "")
        return 0
    if args.child:
        child_main(args.child, args.onchip, args.out)
        return 0

    if args.venv:
        py = ensure_venv(os.path.abspath(args.venv))
    else:
        py = sys.executable
        try:
            import importlib.metadata as md
            if md.version("sPyNNaker") != SPYNNAKER_VERSION:
                raise ValueError
        except Exception:
            ap.error("spynnaker 1!7.4.1 is not importable here; "
                     "pass --venv PATH")
    os.makedirs(args.out, exist_ok=True)
    names = args.only or list(NETWORKS)
    failed = []
    for name in names:
        if name not in NETWORKS:
            ap.error(f"unknown network {name}")
        variants = [False]
        if name in ONCHIP_VARIANTS and not args.no_onchip:
            variants.append(True)
        for onchip in variants:
            print(f"running {name}{' (onchip)' if onchip else ''}",
                  flush=True)
            if run_child(py, name, onchip, args.out, args.keep):
                failed.append(name + ("_onchip" if onchip else ""))
    if failed:
        print("failed:", ", ".join(failed))
        return 1
    return 0


# ---------------------------------------------------------------------------
# Child process: build, run, extract
# ---------------------------------------------------------------------------

def hx(v):
    return hex(int(v) & 0xFFFFFFFF)


def _value(sim, v):
    """A description value: a number, None or {"distribution": ...}."""
    if isinstance(v, dict) and "distribution" in v:
        from pyNN.random import NumpyRNG
        params = {("lambda_" if k == "lam" else k): x for k, x in v.items()
                  if k not in ("distribution", "rng_seed")}
        rng = NumpyRNG(seed=v["rng_seed"]) if "rng_seed" in v else None
        return sim.RandomDistribution(v["distribution"], rng=rng, **params)
    return v


def _select_view(pop, view):
    """The Population itself, or the PopulationView a description selects."""
    if view is None:
        return pop
    if "slice" in view:
        return pop[slice(*view["slice"])]
    return pop[list(view["indices"])]


def _host_ranges(net, pops):
    """
    For every population with "ranged_values": per value, the ranges the
    vertex's ranged list holds, [start, stop, number or distribution name].
    """
    out = {}
    for p in net["populations"]:
        if not p.get("ranged_values"):
            continue
        vertex = pops[p["label"]]._vertex
        lists = {}
        for name in p["ranged_values"]:
            rd = vertex.state_variables if name in vertex.state_variables \
                else vertex.parameters
            lists[name] = [
                [int(a), int(b), float(v) if isinstance(v, (int, float))
                 else v.name] for a, b, v in rd[name].iter_ranges()]
        out[p["label"]] = lists
    return out


def build_network(sim, net, refused=None):
    """
    Build the populations and projections of a description. With a list
    as `refused`, a projection whose creation raises is left out and
    [label, exception type, message] is appended to the list.
    """
    import numpy
    from pyNN.random import NumpyRNG
    pops = {}
    for p in net["populations"]:
        model = p["model"]
        kw = {}
        for k in ("seed", "n_synapse_cores"):
            if k in p:
                kw[k] = p[k]
        if model == "SpikeSourceArray":
            cell = sim.SpikeSourceArray(spike_times=p["spike_times"])
        elif model == "SpikeSourcePoisson":
            cell = sim.SpikeSourcePoisson(rate=p["rate"], start=p["start"])
        else:
            cell = getattr(sim, model)(**p.get("params", {}))
        pop = sim.Population(p["n"], cell, label=p["label"], **kw)
        if p.get("initial_values"):
            pop.initialize(**{k: _value(sim, v) for k, v in
                              p["initial_values"].items()})
        for name, ranges in p.get("ranged_values", {}).items():
            initial = name in cell.default_initial_values
            for start, stop, v in ranges:
                view = pop[start:stop]
                if initial:
                    view.initialize(**{name: _value(sim, v)})
                else:
                    view.set(**{name: _value(sim, v)})
        if p.get("max_atoms_per_core"):
            pop.set_max_atoms_per_core(p["max_atoms_per_core"])
        if p.get("record"):
            pop.record(p["record"])
        pops[p["label"]] = pop
    projs = {}
    for pr in net["projections"]:
        c = pr["connector"]
        t = c["type"]
        if t == "FromListConnector":
            conn = sim.FromListConnector(
                [tuple(x) for x in c["conn_list"]])
        elif t == "AllToAllConnector":
            conn = sim.AllToAllConnector(
                allow_self_connections=c["allow_self_connections"])
        elif t == "OneToOneConnector":
            conn = sim.OneToOneConnector()
        elif t == "FixedProbabilityConnector":
            conn = sim.FixedProbabilityConnector(
                c["p_connect"],
                allow_self_connections=c["allow_self_connections"],
                rng=(NumpyRNG(seed=c["rng_seed"]) if "rng_seed" in c
                     else None))
        elif t == "FixedTotalNumberConnector":
            conn = sim.FixedTotalNumberConnector(
                c["n"], allow_self_connections=c["allow_self_connections"],
                with_replacement=c["with_replacement"])
        elif t == "FixedNumberPreConnector":
            conn = sim.FixedNumberPreConnector(
                c["n"], allow_self_connections=c["allow_self_connections"],
                with_replacement=c["with_replacement"],
                rng=(NumpyRNG(seed=c["rng_seed"]) if "rng_seed" in c
                     else None))
        elif t == "AllButMeConnector":
            conn = sim.extra_models.AllButMeConnector(
                n_neurons_per_group=c.get("n_neurons_per_group"),
                weights=(numpy.array(c["weights"]) if "weights" in c
                         else None))
        elif t == "KernelConnector":
            conn = sim.KernelConnector(**{k: v for k, v in c.items()
                                          if k != "type"})
        elif t == "FixedNumberPostConnector":
            conn = sim.FixedNumberPostConnector(
                c["n"], allow_self_connections=c["allow_self_connections"],
                with_replacement=c["with_replacement"],
                rng=(NumpyRNG(seed=c["rng_seed"]) if "rng_seed" in c
                     else None))
        else:
            raise ValueError(t)
        syn_kw = {}
        if pr["weight"] is not None:
            syn_kw["weight"] = _value(sim, pr["weight"])
        if pr["delay"] is not None:
            syn_kw["delay"] = _value(sim, pr["delay"])
        if pr["synapse"] == "STDPMechanism":
            st = pr["stdp"]
            for k in ("weight", "delay"):
                if k in st:
                    syn_kw[k] = st[k]
            # SpikeNearestPairRule is only in pyNN.spiNNaker.extra_models
            timing_cls = getattr(sim, st["timing"], None) or getattr(
                sim.extra_models, st["timing"])
            synapse = sim.STDPMechanism(
                timing_dependence=timing_cls(**st["timing_params"]),
                weight_dependence=getattr(sim, st["weight_dependence"])(
                    **st["weight_params"]),
                **syn_kw)
        else:
            synapse = sim.StaticSynapse(**syn_kw)
        pre = _select_view(pops[pr["pre"]], pr.get("pre_view"))
        post = _select_view(pops[pr["post"]], pr.get("post_view"))
        try:
            proj = sim.Projection(
                pre, post, conn, synapse, receptor_type=pr["receptor_type"],
                label=pr["label"])
        except Exception as ex:  # pylint: disable=broad-except
            if refused is None:
                raise
            refused.append([pr["label"], type(ex).__name__, str(ex)])
            continue
        projs[pr["label"]] = proj
    return pops, projs


def read_regions(db_path, x, y, p):
    import sqlite3
    import numpy
    con = sqlite3.connect(db_path)
    out = {}
    for (num, label, size, content, ref_num) in con.execute(
            "SELECT region_num, region_label, size, content, reference_num "
            "FROM region WHERE x=? AND y=? AND p=? ORDER BY region_num",
            (x, y, p)):
        entry = {"label": label, "size_bytes": size}
        if content is None:
            entry["words_hex"] = None
            entry["note"] = "reserved only; nothing written by the host"
        else:
            words = numpy.frombuffer(bytes(content), dtype="<u4")
            entry["n_words_written"] = int(len(words))
            if len(words) > MAX_REGION_WORDS:
                entry["words_hex"] = None
                entry["note"] = f"{len(words)} words written (omitted)"
            else:
                entry["words_hex"] = [hx(w) for w in words]
        if ref_num is not None:
            entry["reference_num"] = ref_num
        out[str(num)] = entry
    for (num, ref_num, ref_label) in con.execute(
            "SELECT region_num, reference_num, ref_label FROM reference "
            "WHERE x=? AND y=? AND p=? ORDER BY region_num", (x, y, p)):
        out[str(num)] = {"label": ref_label, "references": ref_num,
                         "words_hex": None,
                         "note": "reference to a region of another core"}
    con.close()
    return out


def region_words(regions, num):
    import numpy
    r = regions.get(str(num))
    if r is None or r.get("words_hex") is None:
        return None
    return numpy.array([int(w, 16) for w in r["words_hex"]], dtype="uint64")


def decode_pop_table(words):
    n_entries, n_addr = int(words[0]), int(words[1])
    entries = []
    for e in range(n_entries):
        w = words[2 + 5 * e: 7 + 5 * e]
        entries.append({
            "key": hx(w[0]), "mask": hx(w[1]),
            "start": int(w[2]) & 0x1FFF,
            "n_colour_bits": (int(w[2]) >> 13) & 0x7,
            "count": int(w[2]) >> 16,
            "core_mask": int(w[3]) & 0xFFFF,
            "mask_shift": int(w[3]) >> 16,
            "n_neurons": int(w[4]) & 0xFFFF,
            "n_words": int(w[4]) >> 16})
    addrs = []
    base = 2 + 5 * n_entries
    for a in range(n_addr):
        w = int(words[base + a])
        addrs.append({"row_length": w & 0xFF, "address": w >> 8})
    return entries, addrs


def decode_rows(words, start_word, n_rows, stride, n_bits):
    """Decode n_rows static rows of `stride` words each."""
    log_n, log_t, _log_d = n_bits
    rows = []
    headers = []
    for r in range(n_rows):
        base = start_word + r * stride
        n_plastic = int(words[base])
        n_fixed = int(words[base + 1 + n_plastic])
        n_fp = int(words[base + 2 + n_plastic])
        fb = base + 3 + n_plastic
        row = []
        for k in range(n_fixed):
            w = int(words[fb + k])
            row.append({
                "w": w >> 16,
                "d": (w & 0xFFFF) >> (log_n + log_t),
                "t": (w >> log_n) & ((1 << log_t) - 1),
                "idx": w & ((1 << log_n) - 1)})
        rows.append(row)
        if n_plastic or n_fp:
            headers.append([r, n_plastic, n_fp])
    return rows, headers


def decode_plastic_rows(words, start_word, n_rows, stride, n_bits,
                        header_bytes):
    """
    Decode n_rows plastic rows: [pp_size, pp words (pre-event header of
    header_bytes, then one uint16 weight per synapse), n_fixed (0),
    n_plastic, control half-words (2 per word)].
    """
    import numpy
    log_n, log_t, _log_d = n_bits
    rows = []
    for r in range(n_rows):
        base = start_word + r * stride
        pp = int(words[base])
        n_fixed = int(words[base + 1 + pp])
        n_fp = int(words[base + 2 + pp])
        pp_bytes = numpy.array(
            words[base + 1: base + 1 + pp], dtype="<u4").tobytes()
        ctrl_words = words[base + 3 + pp + n_fixed:
                           base + 3 + pp + n_fixed + (n_fp + 1) // 2]
        ctrl = numpy.array(ctrl_words, dtype="<u4").view("<u2")[:n_fp]
        wts = numpy.frombuffer(
            pp_bytes[header_bytes: header_bytes + 2 * n_fp], dtype="<u2")
        row = {"pp_words": pp, "n_fixed": n_fixed,
               "header_hex": [hx(x) for x in numpy.frombuffer(
                   pp_bytes[:header_bytes], dtype="<u4")],
               "syn": [{"w": int(w), "ctrl": int(c),
                        "d": int(c) >> (log_n + log_t),
                        "t": (int(c) >> log_n) & ((1 << log_t) - 1),
                        "idx": int(c) & ((1 << log_n) - 1)}
                       for w, c in zip(wts, ctrl)]}
        rows.append(row)
    return rows


def decode_stdp_region(words, n_types):
    """Synapse-dynamics region of a pair / nearest-pair MAD rule."""
    import numpy
    out = {"backprop_delay": int(words[0])}
    pos = 1
    for name in ("lut_tau_plus", "lut_tau_minus"):
        size = int(words[pos]) & 0xFFFF
        shift = int(words[pos]) >> 16
        n_w = (size + 1) // 2
        vals = numpy.array(words[pos + 1: pos + 1 + n_w],
                           dtype="<u4").view("<i2")[:size]
        out[name] = {"size": size, "shift": shift,
                     "values": [int(v) for v in vals]}
        pos += 1 + n_w
    wd = []
    for _ in range(n_types):
        raw = [int(x) for x in words[pos: pos + 4]]
        sgn = [x - (1 << 32) if x & 0x80000000 else x for x in raw]
        wd.append({"raw_hex": [hx(x) for x in raw],
                   "w_min": sgn[0] / 32768.0, "w_max": sgn[1] / 32768.0,
                   "a2_plus": sgn[2] / 32768.0,
                   "a2_minus": sgn[3] / 32768.0})
        pos += 4
    out["weight_dependence_per_synapse_type"] = wd
    out["n_words"] = pos
    return out


_STATIC_MATRIX_PARAMS = (
    "synaptic_matrix_offset_words", "delayed_matrix_offset_words",
    "max_row_n_words", "max_delayed_row_n_words", "synapse_type",
    "n_synapse_type_bits", "n_synapse_index_bits", "max_stage",
    "max_delay_per_stage", "max_delay_bits", "n_pre_atoms",
    "max_pre_atoms_per_core")
_STDP_MATRIX_PARAMS = (
    "synaptic_matrix_offset_words", "delayed_matrix_offset_words",
    "max_row_n_synapses", "max_delayed_row_n_synapses",
    "max_row_n_words", "max_delayed_row_n_words", "synapse_type",
    "n_synapse_type_bits", "n_synapse_index_bits", "max_stage",
    "max_delay_per_stage", "max_delay_bits", "n_pre_atoms",
    "max_pre_atoms_per_core", "n_header_half_words",
    "n_half_words_per_synapse", "weight_half_word",
    "write_row_number_to_header", "row_offset")
_MATRIX_PARAM_NAMES = {0: _STATIC_MATRIX_PARAMS, 1: _STDP_MATRIX_PARAMS}


def decode_connection_builder(words, on_machine, projs):
    """
    Split a ConnectorBuilderRegion (region 12) into its parts: the header,
    the pop/core seeds, the weight scales and, per on-machine matrix (in
    the order the host wrote them), the 9-word edge header, the matrix
    generator parameters (named for the static (0) and STDP (1) matrix
    generators), and the connector, weight and delay parameter words. The
    part sizes come from the host objects' own size methods; every edge
    header is checked against the host objects.
    """
    hdr_names = ("synaptic_matrix_region", "pop_table_region",
                 "bitfield_filter_region", "structural_dynamics_region",
                 "n_matrices", "post_lo_atom", "post_n_atoms", "post_index",
                 "n_synapse_types", "timesteps_per_ms_s1615")
    w = [int(x) for x in words]
    out = {"header": dict(zip(hdr_names, w[:10])),
           "pop_seed": w[10:14], "core_seed": w[14:18]}
    n_types = w[8]
    pos = 18
    out["weight_scales_u3232_hex"] = [
        [hx(w[pos + 2 * k + 1]), hx(w[pos + 2 * k])] for k in range(n_types)]
    out["weight_scales_u3232_note"] = "[integer word, fraction word]"
    pos += 2 * n_types
    if w[4] != len(on_machine):
        raise ValueError("ConnectorBuilderRegion: n_matrices mismatch")
    edges = []
    for app_matrix in on_machine:
        s_info = app_matrix._SynapticMatrixApp__synapse_info
        conn = s_info.connector
        sdyn = s_info.synapse_dynamics
        lab = next(pl for pl, pj in projs.items()
                   if pj._synapse_information is s_info)
        e = {"projection": lab, "word_offset": pos}
        eh = w[pos: pos + 9]
        e["edge_header"] = dict(zip(
            ("pre_lo", "pre_hi", "post_lo", "post_hi", "synapse_type",
             "matrix_id", "connector_id", "weights_id", "delays_id"), eh))
        expect = [s_info.synapse_type, sdyn.gen_matrix_id,
                  conn.gen_connector_id,
                  conn.gen_weights_id(s_info.weights),
                  conn.gen_delays_id(s_info.delays)]
        if eh[4:9] != [int(x) for x in expect]:
            raise ValueError(f"ConnectorBuilderRegion: edge header of {lab} "
                             f"{eh} does not match {expect}")
        pos += 9
        n_m = sdyn.gen_matrix_params_size_in_bytes // 4
        mp = w[pos: pos + n_m]
        e["matrix_params_word_offset"] = pos
        names = _MATRIX_PARAM_NAMES.get(eh[5])
        if names is not None and len(names) == n_m:
            e["matrix_params"] = dict(zip(names, mp))
        else:
            e["matrix_params_words"] = mp
        pos += n_m
        for key, n_b in (
                ("connector_params_hex",
                 conn.gen_connector_params_size_in_bytes),
                ("weight_params_hex",
                 conn.gen_weight_params_size_in_bytes(s_info.weights)),
                ("delay_params_hex",
                 conn.gen_delay_params_size_in_bytes(s_info.delays))):
            e[key.replace("_hex", "_word_offset")] = pos
            e[key] = [hx(x) for x in w[pos: pos + n_b // 4]]
            pos += n_b // 4
        edges.append(e)
    out["edges"] = edges
    out["bitfield_key_map_word_offset"] = pos
    out["bitfield_key_map_hex"] = [hx(x) for x in w[pos:]]
    return out


def install_get_synapses_probe():
    """
    Wrap synapse_io.get_synapses (as used by SynapticMatrixApp) to count,
    per projection and post core, the connections the host generated and
    how many of them ended up in a row.
    """
    import numpy
    from spynnaker.pyNN.models.neuron import synaptic_matrix_app as sma
    from spynnaker.pyNN.data import SpynnakerDataView
    records = []
    orig = sma.get_synapses

    def get_synapses(connections, synapse_info, n_delay_stages,
                     n_synapse_types, weight_scales, app_edge, max_row_info,
                     gen_undelayed, gen_delayed, max_atoms_per_core):
        conns = connections.copy()
        result = orig(connections, synapse_info, n_delay_stages,
                      n_synapse_types, weight_scales, app_edge, max_row_info,
                      gen_undelayed, gen_delayed, max_atoms_per_core)
        max_delay = app_edge.post_vertex.splitter.max_support_delay()
        ticks = numpy.rint(
            conns["delay"] *
            SpynnakerDataView.get_simulation_time_step_per_ms())
        und = ticks <= max_delay
        rec = {
            "projection": synapse_info,
            "n_generated": int(len(conns)),
            "n_undelayed": int(und.sum()),
            "n_delayed": int((~und).sum()),
            "post_max_atoms_per_core_used_for_rows": int(max_atoms_per_core),
        }
        rec["n_undelayed_row_index_out_of_range"] = int(
            (conns["source"][und] >= app_edge.pre_vertex.n_atoms).sum())
        if n_delay_stages:
            d = ticks[~und]
            stages = numpy.floor(numpy.round(d - 1.0) / max_delay).astype(
                numpy.int64)
            src = conns["source"][~und].astype(numpy.int64)
            cores = src // max_atoms_per_core
            idx = (cores * max_atoms_per_core * n_delay_stages +
                   (stages - 1) * max_atoms_per_core +
                   (src - cores * max_atoms_per_core))
            n_rows = app_edge.pre_vertex.n_atoms * n_delay_stages
            rec["n_delayed_row_index_out_of_range"] = int(
                (idx >= n_rows).sum())
            rec["delayed_stage_histogram"] = {
                str(int(k)): int(v) for k, v in zip(
                    *numpy.unique(stages, return_counts=True))}
        records.append(rec)
        return result

    sma.get_synapses = get_synapses

    orig_row_data = sma.SynapticMatrixApp._SynapticMatrixApp__get_row_data

    def get_row_data(self, post_vertex_slice):
        n = len(records)
        result = orig_row_data(self, post_vertex_slice)
        for rec in records[n:]:
            rec["post_slice"] = [post_vertex_slice.lo_atom,
                                 post_vertex_slice.hi_atom]
        return result

    sma.SynapticMatrixApp._SynapticMatrixApp__get_row_data = get_row_data
    return records


def install_connector_maximum_probe():
    """
    Wrap get_n_connections_from_pre_vertex_maximum and
    get_n_connections_to_post_vertex_maximum of every connector class of
    sPyNNaker so that each call the host makes is recorded with its
    arguments, its result and the calling functions. Returns (records,
    state); set state["off"] to stop recording (for calls made by this
    script itself).
    """
    import inspect
    from spynnaker.pyNN.models.neural_projections import connectors as cmod
    records = []
    state = {"off": False}
    here = os.sep + "connectors" + os.sep

    def callers():
        chain = []
        f = sys._getframe(2)
        while f is not None and len(chain) < 3:
            fn = f.f_code.co_filename
            if here not in fn:
                chain.append(os.path.basename(fn)[:-3] + "." +
                             f.f_code.co_name)
            f = f.f_back
        return chain

    def wrap(cls, name):
        orig = cls.__dict__[name]
        if getattr(orig, "_oracle_probe", False):
            return

        def from_pre(self, n_post_atoms, synapse_info, min_delay=None,
                     max_delay=None):
            result = orig(self, n_post_atoms, synapse_info, min_delay,
                          max_delay)
            if not state["off"]:
                records.append({
                    "s_info": synapse_info, "method": name,
                    "n_post_atoms": int(n_post_atoms),
                    "min_delay": (None if min_delay is None
                                  else float(min_delay)),
                    "max_delay": (None if max_delay is None
                                  else float(max_delay)),
                    "result": int(result), "called_from": callers()})
            return result

        def to_post(self, synapse_info):
            result = orig(self, synapse_info)
            if not state["off"]:
                records.append({
                    "s_info": synapse_info, "method": name,
                    "result": int(result), "called_from": callers()})
            return result

        fn = (from_pre if name == "get_n_connections_from_pre_vertex_maximum"
              else to_post)
        fn._oracle_probe = True
        fn.__name__ = name
        setattr(cls, name, fn)

    for obj in vars(cmod).values():
        if not inspect.isclass(obj):
            continue
        for klass in obj.__mro__:
            for name in ("get_n_connections_from_pre_vertex_maximum",
                         "get_n_connections_to_post_vertex_maximum"):
                if name in klass.__dict__ and \
                        not getattr(klass.__dict__[name], "__isabstractmethod__",
                                    False):
                    wrap(klass, name)
    return records, state


def record_views(projs, label_of, probe_records, probe_state):
    """
    Per projection: what sPyNNaker 7.4.1 computes for the PopulationViews
    (synapse_info sizes and view ranges, may_generate_on_machine), the
    connector maxima as the host called them (probe), per post core the
    n_post_atoms the host passes to the row maxima and the maxima, and the
    pre machine vertices the connector connects to each post core.
    """
    from spynnaker.pyNN.models.neuron import synapse_io
    out = []
    for lab, proj in projs.items():
        s_info = proj._synapse_information
        edge = proj._projection_edge
        conn = s_info.connector
        post_av = edge.post_vertex
        pre_av = edge.pre_vertex

        def pop_info(p):
            d = {"label": p.label, "size": int(p.size),
                 "view_range": [int(x) for x in p._view_range]}
            idx = getattr(p, "_indexes", None)
            if idx is not None:
                d["indexes"] = [int(x) for x in idx]
            return d

        probe_state["off"] = True
        try:
            rec = {
                "projection": lab,
                "connector": repr(conn),
                "n_pre_neurons": int(s_info.n_pre_neurons),
                "n_post_neurons": int(s_info.n_post_neurons),
                "prepop_is_view": bool(s_info.prepop_is_view),
                "postpop_is_view": bool(s_info.postpop_is_view),
                "pre_population": pop_info(s_info.pre_population),
                "post_population": pop_info(s_info.post_population),
                "pre_view_range": [int(x) for x in
                                   s_info.pre_population._view_range],
                "post_view_range": [int(x) for x in
                                    s_info.post_population._view_range],
                "may_generate_on_machine": bool(
                    s_info.may_generate_on_machine()),
                "connector_generate_on_machine": bool(
                    hasattr(conn, "generate_on_machine") and
                    conn.generate_on_machine(s_info)),
                "n_connections_to_post_vertex_maximum": int(
                    conn.get_n_connections_to_post_vertex_maximum(s_info)),
            }
            max_delay_supported = synapse_io.get_maximum_delay_supported_in_ms(
                post_av.splitter.max_support_delay())
            per_core = []
            for mv in post_av.machine_vertices:
                if not hasattr(mv, "_synaptic_matrices"):
                    continue
                mats = mv._synaptic_matrices._SynapticMatrices__matrices
                m = mats.get((edge, s_info))
                if m is None:
                    continue
                n_post = int(m._SynapticMatrixApp__max_atoms_per_core)
                mri = m._SynapticMatrixApp__max_row_info
                per_core.append({
                    "post_core": label_of.get(mv, mv.label),
                    "post_slice": [mv.vertex_slice.lo_atom,
                                   mv.vertex_slice.hi_atom],
                    "n_post_atoms_passed": n_post,
                    "from_pre_vertex_maximum_no_delay_range": int(
                        conn.get_n_connections_from_pre_vertex_maximum(
                            n_post, s_info)),
                    "from_pre_vertex_maximum_undelayed": int(
                        conn.get_n_connections_from_pre_vertex_maximum(
                            n_post, s_info, 0, max_delay_supported)),
                    "to_post_vertex_maximum": int(
                        conn.get_n_connections_to_post_vertex_maximum(
                            s_info)),
                    "max_row_info": {
                        "undelayed_max_n_synapses":
                            mri.undelayed_max_n_synapses,
                        "delayed_max_n_synapses":
                            mri.delayed_max_n_synapses,
                        "undelayed_max_words": mri.undelayed_max_words,
                        "delayed_max_words": mri.delayed_max_words},
                })
            rec["per_post_core"] = per_core
            sources = [pre_av]
            if edge.delay_edge is not None:
                sources.append(edge.delay_edge.pre_vertex)
            cv = []
            for src in sources:
                for tgt, srcs in s_info.synapse_dynamics.get_connected_vertices(
                        s_info, src, post_av):
                    cv.append({
                        "source_app_vertex": src.label,
                        "post_core": label_of.get(tgt, tgt.label),
                        "pre_vertices": [label_of.get(s, s.label)
                                         for s in srcs]})
            rec["connected_vertices"] = cv
        finally:
            probe_state["off"] = False
        calls = []
        seen = {}
        for r in probe_records:
            if r["s_info"] is not s_info or any(
                    c.startswith("make_fixtures.") for c in r["called_from"]):
                continue
            c = {k: v for k, v in r.items() if k != "s_info"}
            key = json.dumps(c, sort_keys=True)
            if key in seen:
                seen[key]["n_calls"] += 1
            else:
                c["n_calls"] = 1
                seen[key] = c
                calls.append(c)
        rec["host_connector_maximum_calls"] = calls
        out.append(rec)
    return out


def record_in_coming_vertices(label_of):
    """
    Per post core, the source machine vertices the splitter reports
    (get_source_specific_in_coming_vertices, which the routing uses), for
    every incoming application source.
    """
    from spynnaker.pyNN.data import SpynnakerDataView as V
    from spynnaker.pyNN.models.neuron import PopulationVertex
    from spynnaker.pyNN.utilities.constants import SPIKE_PARTITION_ID
    out = []
    for av in V.iterate_vertices():
        if not isinstance(av, PopulationVertex):
            continue
        srcs = []
        for proj in av.incoming_projections:
            pv = proj._projection_edge.pre_vertex
            if pv not in srcs:
                srcs.append(pv)
            de = proj._projection_edge.delay_edge
            if de is not None and de.pre_vertex not in srcs:
                srcs.append(de.pre_vertex)
        for src in srcs:
            for part in (SPIKE_PARTITION_ID,):
                for tgt, s in av.splitter.get_source_specific_in_coming_vertices(
                        src, part):
                    out.append({"source_app_vertex": src.label,
                                "post_core": label_of.get(tgt, tgt.label),
                                "pre_vertices": [label_of.get(x, x.label)
                                                 for x in s]})
    return out


def child_main(name, onchip, out_dir):
    import numpy
    net = NETWORKS[name]
    host_change = None
    if not onchip and name in HOST_VARIANT_CHANGES:
        change, said = HOST_VARIANT_CHANGES[name]
        original = net
        net = json.loads(json.dumps(net))
        change(net)
        host_change = {
            "refused": said,
            "changed": {
                "populations": [
                    [a, b] for a, b in zip(original["populations"],
                                           net["populations"]) if a != b],
                "projections": [
                    [a, b] for a in original["projections"]
                    for b in net["projections"]
                    if a["label"] == b["label"] and a != b]},
            "note": "[as specified, as built] pairs; the _onchip variant "
                    "builds the network as specified"}
        built = {b["label"] for b in net["projections"]}
        removed = [a for a in original["projections"]
                   if a["label"] not in built]
        if removed:
            host_change["changed"]["removed_projections"] = removed
            host_change["note"] = (
                "[as specified, as built] pairs; removed_projections are "
                "left out of the host variant; the _onchip variant builds "
                "the network as specified")

    if onchip:
        # Ignore the "virtual board => generate on host" rule so that the
        # data spec is the one real hardware gets (ConnectorBuilderRegion
        # filled, on-chip blocks reserved but not written).
        from spinn_utilities.config_holder import get_config_bool
        from spynnaker.pyNN.models.neural_projections import \
            synapse_information as si_mod
        from spynnaker.pyNN.models.neural_projections.connectors import (
            AbstractGenerateConnectorOnMachine)
        from spynnaker.pyNN.models.neuron.synapse_dynamics import (
            AbstractGenerateOnMachine)

        def may_generate_on_machine(self):
            return (isinstance(self.connector,
                               AbstractGenerateConnectorOnMachine) and
                    self.connector.generate_on_machine(self) and
                    isinstance(self.synapse_dynamics,
                               AbstractGenerateOnMachine) and
                    self.synapse_dynamics.generate_on_machine())
        si_mod.SynapseInformation.may_generate_on_machine = \
            may_generate_on_machine
        del get_config_bool

    host_rows = install_get_synapses_probe()
    is_views = name in VIEW_NETWORKS
    if is_views:
        max_calls, max_state = install_connector_maximum_probe()

    host_rng_note = None
    if name in HOST_RNG_SEEDED:
        # No rng= is given to these networks; make pyNN's unseeded
        # NumpyRNG() reproducible by seeding its RandomState in creation
        # order (the .seed attribute stays None, as sPyNNaker sees it).
        import itertools
        import pyNN.random as pyNN_random
        counter = itertools.count(HOST_RNG_SEED_BASE)
        orig_rng_init = pyNN_random.NumpyRNG.__init__

        def rng_init(self, seed=None, parallel_safe=True):
            orig_rng_init(self, seed, parallel_safe)
            if seed is None:
                self.rng.seed(next(counter))
        pyNN_random.NumpyRNG.__init__ = rng_init
        # MultapseConnector (FixedTotalNumber) draws its pairs with the
        # global numpy.random.choice
        numpy.random.seed(HOST_RNG_SEED_BASE)
        host_rng_note = (
            "no rng= is passed; the k-th unseeded pyNN NumpyRNG() created "
            f"in this run has its RandomState seeded with {HOST_RNG_SEED_BASE}"
            " + k (k from 0; NumpyRNG.seed stays None) so that host draws "
            "are reproducible, and the global numpy.random (used by "
            f"FixedTotalNumberConnector on the host) is seeded with "
            f"{HOST_RNG_SEED_BASE}; on the machine the draws are seeded by "
            "the Population seed")

    import pyNN.spiNNaker as sim
    from spynnaker.pyNN.data import SpynnakerDataView as V
    from spynnaker.pyNN.models.neuron import PopulationVertex
    from spynnaker.pyNN.models.utility_models.delays import (
        DelayExtensionVertex)
    from spynnaker.pyNN.models.spike_source import (
        SpikeSourcePoissonVertex)

    sim.setup(timestep=net["timestep"])
    refused = [] if is_views else None
    pops, projs = build_network(sim, net, refused)
    if refused:
        # the network key holds what was built; the refused projections
        # (with what sPyNNaker said) are in "refused_projections"
        spec = net
        net = json.loads(json.dumps(net))
        gone = {r[0] for r in refused}
        net["projections"] = [p for p in net["projections"]
                              if p["label"] not in gone]
    host_ranges = _host_ranges(net, pops)
    sim.run(net["run_ms"])

    run_dir = V.get_run_dir_path()
    db_path = os.path.join(run_dir, "ds.sqlite3")

    out = {
        "name": name + ("_onchip" if onchip else ""),
        "format_version": FORMAT_VERSION,
        "generated_by": (
            "spynnaker 1!7.4.1 (PyPI), Python "
            f"{sys.version_info.major}.{sys.version_info.minor}, numpy "
            f"{numpy.__version__}, virtual_board=True version=5, "
            "Mode=Debug; tools/oracle/make_fixtures.py"),
        "generation_mode": (
            "on_machine: SynapseInformation.may_generate_on_machine() "
            "forced to ignore virtual_board, so on-machine-capable "
            "connectors are described in ConnectorBuilderRegion and their "
            "blocks are reserved but not written (as on real hardware)"
            if onchip else
            "host: virtual board, every synaptic matrix generated on the "
            "host and written into SynBlocks"),
        "description": net["description"],
        "network": net,
    }
    if host_rng_note is not None:
        out["host_rng_seeding"] = host_rng_note
    if host_ranges:
        out["host_ranges"] = host_ranges
    if refused:
        out["refused_projections"] = [
            {"projection": next(p for p in spec["projections"]
                                if p["label"] == lab),
             "exception": ex_type, "message": msg,
             "note": "raised by sim.Projection(...) in both variants; the "
                     "projection is left out of the network that was built"}
            for lab, ex_type, msg in refused]
    if host_change is not None:
        out["host_variant_change"] = host_change
    out["timestep_us"] = V.get_simulation_time_step_us()
    out["time_scale_factor"] = V.get_time_scale_factor()
    out["hardware_timestep_us"] = V.get_hardware_time_step_us()

    # Application and machine vertices
    app_vertices = []
    machine_vertices = []
    placements = []
    label_of = {}
    for av in V.iterate_vertices():
        app_vertices.append([av.label, type(av).__name__, av.n_atoms])
    all_pl = [pl for pl in V.iterate_placemements()
              if not (pl.vertex.label or "").startswith(
                  "SYSTEM:ExtraMonitor")]
    n_label = {}
    for pl in all_pl:
        n_label[pl.vertex.label] = n_label.get(pl.vertex.label, 0) + 1
    for pl in all_pl:
        v = pl.vertex
        lab = v.label
        # Delay extension machine vertices all share one label
        if n_label[lab] > 1:
            lab = f"{v.label} {v.vertex_slice}"
        label_of[v] = lab
        placements.append([lab, pl.x, pl.y, pl.p])
    placements.sort(key=lambda a: (a[1], a[2], a[3]))
    for av in V.iterate_vertices():
        for mv in av.machine_vertices:
            pl = V.get_placement_of_vertex(mv)
            machine_vertices.append({
                "label": label_of.get(mv, mv.label),
                "app_vertex": av.label,
                "class": type(mv).__name__,
                "lo_atom": mv.vertex_slice.lo_atom,
                "hi_atom": mv.vertex_slice.hi_atom,
                "n_atoms": mv.vertex_slice.n_atoms,
                "placement": [pl.x, pl.y, pl.p]})
    out["app_vertices"] = app_vertices
    out["machine_vertices"] = machine_vertices
    out["placements"] = placements

    # Routing
    rinfos = V.get_routing_infos()
    routing_keys = []
    r_app = []
    r_mach = []
    for av in V.iterate_vertices():
        for part in rinfos.get_partitions_from(av) if av in rinfos._info \
                else []:
            ri = rinfos.get_info_from(av, part)
            r_app.append({
                "vertex": av.label, "partition": part,
                "key": hx(ri.key), "mask": hx(ri.mask),
                "machine_mask": hx(ri.machine_mask),
                "n_bits_atoms": ri.n_bits_atoms})
        for mv in av.machine_vertices:
            if mv not in rinfos._info:
                continue
            for part in rinfos.get_partitions_from(mv):
                ri = rinfos.get_info_from(mv, part)
                lab = label_of.get(mv, mv.label)
                routing_keys.append([lab, hx(ri.key), hx(ri.mask)])
                r_mach.append({
                    "vertex": lab, "app_vertex": av.label,
                    "partition": part, "key": hx(ri.key),
                    "mask": hx(ri.mask), "index": ri.index,
                    "lo_atom": mv.vertex_slice.lo_atom,
                    "hi_atom": mv.vertex_slice.hi_atom})
    r_app.sort(key=lambda a: int(a["key"], 16))
    r_mach.sort(key=lambda a: int(a["key"], 16))
    routing_keys.sort(key=lambda a: int(a[1], 16))
    out["routing_keys"] = routing_keys
    out["routing_info"] = {"app_partitions": r_app,
                           "machine_partitions": r_mach}
    out["n_colour_bits"] = {av.label: getattr(av, "n_colour_bits", None)
                            for av in V.iterate_vertices()}

    # Per population mapping data
    shifts = {}
    scales = {}
    max_atoms = {}
    for av in V.iterate_vertices():
        max_atoms[av.label] = av.get_max_atoms_per_core()
        if isinstance(av, PopulationVertex):
            s = av.get_ring_buffer_shifts()
            shifts[av.label] = [int(x) for x in s]
            scales[av.label] = [float(x) for x in av.get_weight_scales(s)]
    out["ring_buffer_shifts"] = shifts
    out["weight_scales"] = scales
    out["max_atoms_per_core"] = max_atoms

    # Delay information per projection edge
    edges = []
    for lab, proj in projs.items():
        edge = proj._projection_edge
        sinfo = proj._synapse_information
        post = edge.post_vertex
        mac = min(post.get_max_atoms_per_core(), post.n_atoms)
        mri = post.get_max_row_info(sinfo, mac, edge)
        e = {
            "projection": lab,
            "pre": edge.pre_vertex.label, "post": post.label,
            "synapse_type": sinfo.synapse_type,
            "may_generate_on_machine": bool(sinfo.may_generate_on_machine()),
            "n_delay_stages": edge.n_delay_stages,
            "delay_edge_pre": (edge.delay_edge.pre_vertex.label
                               if edge.delay_edge is not None else None),
            "post_max_support_delay_ticks":
                post.splitter.max_support_delay(),
            "max_row_info": {
                "undelayed_max_n_synapses": mri.undelayed_max_n_synapses,
                "delayed_max_n_synapses": mri.delayed_max_n_synapses,
                "undelayed_max_bytes": mri.undelayed_max_bytes,
                "delayed_max_bytes": mri.delayed_max_bytes,
                "undelayed_max_words": mri.undelayed_max_words,
                "delayed_max_words": mri.delayed_max_words},
            "n_connections_to_post_vertex_maximum":
                int(sinfo.connector.get_n_connections_to_post_vertex_maximum(
                    sinfo)),
            "weight_maximum": float(sinfo.connector.get_weight_maximum(
                sinfo)),
        }
        edges.append(e)
    out["projections_mapping"] = edges
    if is_views:
        out["projection_views"] = record_views(
            projs, label_of, max_calls, max_state)
        out["in_coming_vertices"] = record_in_coming_vertices(label_of)

    # What the host generated versus what was written into rows
    hr = []
    for rec in host_rows:
        lab = next((pl for pl, pj in projs.items()
                    if pj._synapse_information is rec["projection"]), None)
        rec = dict(rec)
        rec["projection"] = lab
        hr.append(rec)
    out["host_generation"] = hr

    delay_vertices = []
    for av in V.iterate_vertices():
        if isinstance(av, DelayExtensionVertex):
            delay_vertices.append({
                "label": av.label,
                "source": av.source_vertex.label,
                "n_delay_stages": av.n_delay_stages,
                "delay_per_stage": av.delay_per_stage,
                "n_atoms": av.n_atoms})
    out["delay_extensions"] = delay_vertices

    # Data-spec regions of every application core
    regions_by_core = {}
    region_cache = {}
    for av in V.iterate_vertices():
        for mv in av.machine_vertices:
            pl = V.get_placement_of_vertex(mv)
            lab = label_of.get(mv, mv.label)
            regs = read_regions(db_path, pl.x, pl.y, pl.p)
            regions_by_core[lab] = regs
            region_cache[mv] = regs
    out["data_spec_regions_by_core"] = regions_by_core

    # Synaptic data per post core
    synapse_params = {}
    pop_tables = {}
    matrices = {}
    stdp_regions = {}
    conn_builder = {}
    for av in V.iterate_vertices():
        if not isinstance(av, PopulationVertex):
            continue
        for mv in av.machine_vertices:
            if not hasattr(mv, "_synaptic_matrices"):
                continue
            sregs = type(mv).SYNAPSE_REGIONS
            lab = label_of.get(mv, mv.label)
            regs = region_cache[mv]
            sp = region_words(regs, sregs.synapse_params)
            if sp is not None:
                synapse_params[lab] = [int(x) for x in sp]
            pt = region_words(regs, sregs.pop_table)
            if pt is None:
                continue
            entries, addrs = decode_pop_table(pt)
            pop_tables[lab] = {"raw": [hx(x) for x in pt],
                               "entries": entries, "address_list": addrs}
            log_n, log_t, log_d = int(sp[2]), int(sp[3]), int(sp[4])
            syn = region_words(regs, sregs.synaptic_matrix)
            smat = mv._synaptic_matrices
            mats = smat._SynapticMatrices__matrices
            mlist = []
            for (app_edge, s_info), m in mats.items():
                mri = m._SynapticMatrixApp__max_row_info
                n_pre = app_edge.pre_vertex.n_atoms
                proj_label = None
                for plab, proj in projs.items():
                    if proj._synapse_information is s_info:
                        proj_label = plab
                gen = bool(s_info.may_generate_on_machine())
                for delayed in (False, True):
                    off = (m._SynapticMatrixApp__delay_syn_mat_offset
                           if delayed else
                           m._SynapticMatrixApp__syn_mat_offset)
                    if delayed and app_edge.delay_edge is None:
                        continue
                    max_words = (mri.delayed_max_words if delayed
                                 else mri.undelayed_max_words)
                    n_rows = n_pre * (app_edge.n_delay_stages
                                      if delayed else 1)
                    d = {
                        "projection": proj_label,
                        "pre": app_edge.pre_vertex.label,
                        "source_vertex": (app_edge.delay_edge.pre_vertex.label
                                          if delayed
                                          else app_edge.pre_vertex.label),
                        "delayed": delayed,
                        "generated_on_machine": gen,
                        "block_offset_bytes": off,
                        "max_row_words": max_words,
                        "row_stride_words": max_words + 3,
                        "n_rows": n_rows if off is not None else 0,
                        "size_bytes": (
                            n_rows * (max_words + 3) * 4
                            if off is not None else 0),
                        "pop_table_index": (m._SynapticMatrixApp__index
                                            if not delayed else None),
                    }
                    # FromList splits its list per post slice with an
                    # unstable numpy.argsort: with several post slices the
                    # order of synapses inside a row depends on numpy's sort
                    # implementation (SIMD dispatch), not on the list order.
                    if (type(s_info.connector).__name__ ==
                            "FromListConnector" and
                            len(av.splitter.get_in_coming_slices()) > 1):
                        d["row_order_platform_dependent"] = True
                    plastic = hasattr(s_info.synapse_dynamics,
                                      "get_plastic_synaptic_data")
                    if plastic:
                        d["plastic_header_bytes"] = \
                            s_info.synapse_dynamics._n_header_bytes
                    if (plastic and off is not None and not gen and
                            syn is not None):
                        d["plastic_rows"] = decode_plastic_rows(
                            syn, off // 4, n_rows, max_words + 3,
                            (log_n, log_t, log_d),
                            s_info.synapse_dynamics._n_header_bytes)
                    elif off is not None and not gen and syn is not None:
                        rows, hdrs = decode_rows(
                            syn, off // 4, n_rows, max_words + 3,
                            (log_n, log_t, log_d))
                        d["rows"] = rows
                        if hdrs:
                            d["non_static_row_headers"] = hdrs
                    mlist.append(d)
            sdyn_num = getattr(sregs, "synapse_dynamics", None)
            sdyn = (region_words(regs, sdyn_num)
                    if sdyn_num is not None else None)
            if (sdyn is not None and
                    type(av.synapse_dynamics).__name__ ==
                    "SynapseDynamicsSTDP"):
                stdp_regions[lab] = dict(
                    region=int(sdyn_num),
                    executable=mv.get_binary_file_name(),
                    **decode_stdp_region(sdyn, int(sp[1])))
            matrices[lab] = {
                "regions": {k: int(v) for k, v in sregs._asdict().items()},
                "host_generated_block_addr":
                    smat.host_generated_block_addr,
                "on_chip_generated_matrix_size":
                    smat.on_chip_generated_matrix_size,
                "all_syn_block_sz": smat._SynapticMatrices__all_syn_block_sz,
                "log_n_neurons": log_n, "log_n_synapse_types": log_t,
                "log_max_delay": log_d,
                "matrices": mlist}
            on_machine = smat._SynapticMatrices__on_machine_matrices
            if (onchip and net.get("out_subdir") in ("stdp", "views") and
                    on_machine):
                cb_num = sregs.connection_builder
                cbw = region_words(regs, cb_num)
                if cbw is not None:
                    conn_builder[lab] = dict(
                        region=int(cb_num),
                        **decode_connection_builder(cbw, on_machine, projs))
    out["synapse_params"] = synapse_params
    out["master_pop_tables"] = pop_tables
    if stdp_regions:
        out["stdp_synapse_dynamics"] = stdp_regions
    out["synaptic_matrices"] = matrices
    if conn_builder:
        out["connection_builder_decoded"] = conn_builder

    # Poisson sources
    poisson = {}
    for av in V.iterate_vertices():
        if not isinstance(av, SpikeSourcePoissonVertex):
            continue
        for mv in av.machine_vertices:
            lab = label_of.get(mv, mv.label)
            regs = region_cache[mv]
            pw = region_words(regs, 1)
            info = {"lo_atom": mv.vertex_slice.lo_atom,
                    "n_atoms": mv.vertex_slice.n_atoms,
                    "kiss_seed": [int(x) for x in
                                  av.kiss_seed(mv.vertex_slice)],
                    "max_spikes_per_ts": int(mv.max_spikes_per_ts())}
            if pw is not None:
                info["params_decoded"] = {
                    "has_key": int(pw[0]),
                    "set_rate_neuron_id_mask": hx(pw[1]),
                    "seconds_per_tick_u032": int(pw[2]),
                    "ticks_per_ms_u1616": int(pw[3]),
                    "slow_rate_per_tick_cutoff_u1616": int(pw[4]),
                    "fast_rate_per_tick_cutoff_u1616": int(pw[5]),
                    "first_source_id": int(pw[6]),
                    "n_spike_sources": int(pw[7]),
                    "max_spikes_per_tick": int(pw[8]),
                    "n_colour_bits": int(pw[9]),
                    "kiss_seed": [int(x) for x in pw[10:14]],
                    "keys": [hx(x) for x in pw[14:]]}
            ew = region_words(regs, 7)
            if ew is not None:
                items = []
                pos = 2
                for _ in range(int(ew[1])):
                    count, n_rates, idx = (int(ew[pos]), int(ew[pos + 1]),
                                           int(ew[pos + 2]))
                    pos += 3
                    rates = []
                    for _r in range(n_rates):
                        vals = [int(ew[pos + 2 * k]) |
                                (int(ew[pos + 2 * k + 1]) << 32)
                                for k in range(3)]
                        rates.append({
                            "rate_u3232": hx(vals[0] >> 32) + ":" +
                            hx(vals[0] & 0xFFFFFFFF),
                            "rate": vals[0] / 2**32,
                            "start": vals[1] / 2**32,
                            "duration_raw_u3232": str(vals[2]),
                            "duration": vals[2] / 2**32})
                        pos += 6
                    items.append({"count": count, "n_rates": n_rates,
                                  "index": idx, "rates": rates})
                info["expander_rates_decoded"] = {
                    "rate_changed": int(ew[0]), "n_items": int(ew[1]),
                    "items": items}
            poisson[lab] = info
    if poisson:
        out["poisson"] = poisson

    # Spike source arrays: the keys the send buffer would hold per tick
    from spynnaker.pyNN.models.spike_source import SpikeSourceArrayVertex
    ssa = {}
    for av in V.iterate_vertices():
        if not isinstance(av, SpikeSourceArrayVertex):
            continue
        for mv in av.machine_vertices:
            lab = label_of.get(mv, mv.label)
            mv._first_machine_time_step = None
            mv._fill_send_buffer()
            buf = mv._send_buffer
            entries = []
            if buf is not None:
                for t in buf.timestamps:
                    entries.append([int(t), [hx(k) for k in buf._buffer[t]]])
            ssa[lab] = {"lo_atom": mv.vertex_slice.lo_atom,
                        "n_atoms": mv.vertex_slice.n_atoms,
                        "send_buffer": entries}
    if ssa:
        out["spike_source_arrays"] = ssa

    # Projection.get
    if not onchip:
        pg = {}
        for lab, proj in projs.items():
            conns = proj.get(["weight", "delay"], format="list")
            pg[lab] = [[float(c[0]), float(c[1]), float(c[2]), float(c[3])]
                       for c in conns]
        out["proj_get"] = pg
        for rec in out.get("projection_views", []):
            conns = pg[rec["projection"]]
            (plo, phi), (qlo, qhi) = (rec["pre_view_range"],
                                      rec["post_view_range"])
            rec["host_connections_vs_view"] = {
                "n_connections": len(conns),
                "pre_index_range": ([int(min(c[0] for c in conns)),
                                     int(max(c[0] for c in conns))]
                                    if conns else None),
                "post_index_range": ([int(min(c[1] for c in conns)),
                                      int(max(c[1] for c in conns))]
                                     if conns else None),
                "n_pre_outside_view_range": sum(
                    1 for c in conns if not plo <= c[0] <= phi),
                "n_post_outside_view_range": sum(
                    1 for c in conns if not qlo <= c[1] <= qhi),
                "n_global_self_connections": sum(
                    1 for c in conns if int(c[0]) == int(c[1])),
                "note": "from proj_get (global vertex atom indices)"}
    else:
        out["proj_get"] = None
        out["proj_get_note"] = (
            "not available: on-machine matrices are only built by the "
            "synapse expander on hardware; see the host-mode fixture of "
            "the same network")

    out["decode_notes"] = {
        "synapse_params":
            "region 4: [n_neurons, n_synapse_types, log_n_neurons, "
            "log_n_synapse_types, log_max_delay, drop_late_packets, "
            "incoming_spike_buffer_size, ring_buffer_shift per synapse "
            "type...]",
        "fixed_synapse_word":
            "weight<<16 | delay<<(log_n_neurons+log_n_syn_types) | "
            "syn_type<<log_n_neurons | post_index",
        "synaptic_rows_d":
            "d = (word & 0xFFFF) >> (log_n_neurons+log_n_syn_types), not "
            "masked to log_max_delay bits: the host does not mask the delay, "
            "so a delay of exactly 2^log_max_delay shows as that value (the "
            "core reads it as 0, i.e. the slot one full ring later)",
        "synaptic_row":
            "[n_plastic_words, n_fixed, n_fixed_plastic, fixed words...] "
            "padded to row_stride_words = max_row_words + 3",
        "master_pop_entry":
            "5 words: key, mask, start:13|n_colour_bits:3|count:16, "
            "core_mask:16|mask_shift:16, n_neurons:16|n_words:16; preceded "
            "by [n_entries, n_address_list]; address list word = "
            "row_length:8 | address:24 (row_length = max_row_words - 1, "
            "address = byte offset in SynBlocks / 16, 0xFFFFFF = invalid)",
        "weight_scale": "2^(16-(shift+1)) * global weight scale",
        "synaptic_matrices":
            "per post core; rows of the undelayed matrix are indexed by "
            "pre atom; rows of the delayed matrix by "
            "pre_core*max_atoms*n_stages + (stage-1)*max_atoms + local "
            "(see docs/spynnaker-mapping.md)",
        "data_spec_regions_by_core":
            "words_hex null = region reserved but not written by the host",
        "ring_buffer_shifts": "per population label",
        "spike_source_arrays":
            "send_buffer = [[tick, [keys sent at that tick]]...] for ticks in "
            "[0, run_ms/dt); key = vertex key + (atom << n_colour_bits) + "
            "(tick & colour_mask); these keys are loaded by the buffer "
            "manager, not by the data spec",
    }

    if is_views:
        out["decode_notes"]["projection_views"] = (
            "per projection: SynapseInformation n_pre_neurons / "
            "n_post_neurons (view sizes), prepop_is_view / postpop_is_view, "
            "the populations' _view_range [first, last] (what "
            "ConnectorBuilderRegion writes as pre_lo, pre_hi, post_lo, "
            "post_hi), may_generate_on_machine() in this variant and the "
            "connector's own generate_on_machine(); per_post_core: the "
            "n_post_atoms SynapticMatrixApp passes to get_max_row_info "
            "(n_post_atoms_passed) and the connector maxima at that value; "
            "connected_vertices: synapse_dynamics.get_connected_vertices per "
            "post core (an application vertex in pre_vertices means the "
            "whole source); host_connector_maximum_calls: every call the "
            "host made of the two connector maxima (deduplicated, with "
            "n_calls and the three innermost calling functions outside the "
            "connectors); host_connections_vs_view (host variants): the "
            "connections of proj_get against the view ranges")
        out["decode_notes"]["in_coming_vertices"] = (
            "per post core and incoming application source: the splitter's "
            "get_source_specific_in_coming_vertices (all projections from "
            "that source merged), as used for routing")
    sim.end()
    if net.get("out_subdir"):
        out_dir = os.path.join(out_dir, net["out_subdir"])
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, out["name"] + ".json")
    with open(path, "w") as f:
        json.dump(_strict_json(out), f, separators=(",", ":"),
                  allow_nan=False)
        f.write("\n")
    print("wrote", path, os.path.getsize(path))


def _strict_json(o):
    """`o` with every non-finite float written as a string ("NaN",
    "Infinity", "-Infinity"), which strict JSON readers accept, and numpy
    scalars (a KernelConnector's numpy.clip estimates) as Python numbers."""
    if type(o).__module__ == "numpy" and hasattr(o, "item"):
        o = o.item()
    if isinstance(o, float) and not math.isfinite(o):
        return str(o).replace("nan", "NaN").replace("inf", "Infinity")
    if isinstance(o, dict):
        return {k: _strict_json(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_strict_json(v) for v in o]
    return o


if __name__ == "__main__":
    sys.exit(main())
