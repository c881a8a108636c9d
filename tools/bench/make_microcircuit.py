#!/usr/bin/env python3
"""Writes the cortical microcircuit of Potjans & Diesmann (2014) as a spinnsim network file.

The model is the PyNN microcircuit example as sPyNNaker runs it (SpiNNakerManchester's
`microcircuit_model`, derived from the PyNN/NEST `Potjans_2014` example): its common_params
(sizes, connection probabilities, weights, delays, background input, full-scale rates) and its
scaling rules, which are

* N_scaling scales the population sizes: N = int(N_full * N_scaling);
* K_scaling scales the in-degrees, internal (K = K_scaling * K_full) and external
  (K_ext * K_scaling Poisson inputs per neuron); each projection is a FixedTotalNumberConnector of
  n = round(K * N_post) synapses;
* when K_scaling < 1, every weight is divided by sqrt(K_scaling) and each population gets the
  DC current (i_offset) that replaces the mean input lost by the scaling
  (`adjust_w_and_ext_to_K`): 0.001 * tau_syn_E * (1 - sqrt(K_scaling)) * (x1 + x1_ext), with
  x1 = sum_s w[t][s] * K_full[t][s] * full_mean_rate[s] and x1_ext = w_mean * K_ext[t] * bg_rate
  (x1_ext only with Poisson background).

Usage:
    python3 tools/bench/make_microcircuit.py                  # scale 0.1 -> datasets/microcircuit.toml
    python3 tools/bench/make_microcircuit.py --scale 0.05 --out /tmp/mc.toml
    python3 tools/bench/make_microcircuit.py --n-scaling 0.1 --k-scaling 0.05 --input dc

`--scale S` sets N_scaling = K_scaling = S (the default, 0.1: about 7.7k neurons and 3e6
synapses; the full model has 77,169 neurons and about 3e8 synapses). The output is a pure function
of the arguments (fixed seeds; no random draw happens here: spinnsim draws the connections,
weights, delays and initial potentials from the file's `seed`).
"""

import argparse
import math
import os
import sys

LAYERS = ["L23", "L4", "L5", "L6"]
POPS = ["E", "I"]
LABELS = [l + p for l in LAYERS for p in POPS]

N_FULL = {"L23E": 20683, "L23I": 5834, "L4E": 21915, "L4I": 5479,
          "L5E": 4850, "L5I": 1065, "L6E": 14395, "L6I": 2948}

# Probabilities of at least one connection; row = target, column = source, in LABELS order.
CONN_PROBS = [
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0,    0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0,    0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135,  0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0,    0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06,   0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001,  0.0034, 0.0005, 0.0277, 0.008,  0.0658, 0.1443],
]

NEURON_PARAMS = {"cm": 0.25, "i_offset": 0.0, "tau_m": 10.0, "tau_refrac": 2.0, "tau_syn_E": 0.5,
                 "tau_syn_I": 0.5, "v_reset": -65.0, "v_rest": -65.0, "v_thresh": -50.0}
V0_MEAN, V0_SD = -58.0, 5.0            # initial v: normal(-58, 5) mV

W_MEAN = 0.0878                        # nA: 87.8 pA, the PSC of a 0.15 mV PSP
W_234 = 2.0 * W_MEAN                   # L4E -> L23E
W_REL, W_REL_234 = 0.1, 0.05           # sd of the weights relative to the mean
G = -4.0                               # relative strength of inhibition
D_MEAN = {"E": 1.5, "I": 0.75}         # ms
D_SD = {"E": 0.75, "I": 0.375}         # ms
D_LOW, D_HIGH = 0.1, 14.4              # ms: the example's clip of the delay distribution

BG_RATE = 8.0                          # Hz per external input
K_EXT = {"L23E": 1600, "L23I": 1500, "L4E": 2100, "L4I": 1900,
         "L5E": 2000, "L5I": 1900, "L6E": 2900, "L6I": 2100}
FULL_MEAN_RATES = {"L23E": 0.971, "L23I": 2.868, "L4E": 4.746, "L4I": 5.396,
                   "L5E": 8.142, "L5I": 9.078, "L6E": 0.991, "L6I": 7.523}


def indegrees_full():
    """`get_indegrees`: K[t][s] = round(log(1 - p) / log((Nt Ns - 1) / (Nt Ns))) / Nt."""
    k = [[0.0] * 8 for _ in range(8)]
    for t, lt in enumerate(LABELS):
        for s, ls in enumerate(LABELS):
            nt, ns = N_FULL[lt], N_FULL[ls]
            p = CONN_PROBS[t][s]
            k[t][s] = round(math.log(1.0 - p) / math.log((nt * ns - 1.0) / (nt * ns))) / nt
    return k


def weight_matrix():
    """`create_weight_matrix` (signed, nA)."""
    w = [[0.0] * 8 for _ in range(8)]
    for t, lt in enumerate(LABELS):
        for s, ls in enumerate(LABELS):
            if ls.endswith("E"):
                w[t][s] = W_234 if (ls == "L4E" and lt == "L23E") else W_MEAN
            else:
                w[t][s] = G * W_MEAN
    return w


def fmt(x):
    r = repr(float(x))
    return r if ("e" in r or "." in r) else r + ".0"


def build(n_scaling, k_scaling, input_type, run_ms, seed, connector):
    k_full = indegrees_full()
    w = weight_matrix()
    tau = NEURON_PARAMS["tau_syn_E"]
    dc = {l: (BG_RATE * K_EXT[l] * W_MEAN * tau / 1000.0 if input_type == "dc" else 0.0) for l in LABELS}
    w_ext = W_MEAN
    if k_scaling != 1.0:
        sq = math.sqrt(k_scaling)
        for t, lt in enumerate(LABELS):
            x1 = sum(w[t][s] * k_full[t][s] * FULL_MEAN_RATES[ls] for s, ls in enumerate(LABELS))
            if input_type == "poisson":
                x1_ext = W_MEAN * K_EXT[lt] * BG_RATE
                dc[lt] = 0.001 * tau * ((1.0 - sq) * x1 + (1.0 - sq) * x1_ext)
            else:
                dc[lt] = 0.001 * tau * ((1.0 - sq) * x1) + dc[lt]
        w = [[x / sq for x in row] for row in w]
        w_ext = W_MEAN / sq
    sizes = {l: int(N_FULL[l] * n_scaling) for l in LABELS}

    out = []
    n_syn_total = 0
    projections = []
    for t, lt in enumerate(LABELS):
        for s, ls in enumerate(LABELS):
            k = k_full[t][s] * k_scaling
            if not k:
                continue
            n = int(round(k * sizes[lt]))
            if n == 0:
                continue
            n_syn_total += n
            exc = ls.endswith("E")
            wm = abs(w[t][s])
            rel = W_REL_234 if (ls == "L4E" and lt == "L23E") else W_REL
            projections.append((ls, lt, n, n / (sizes[ls] * sizes[lt]), wm, wm * rel, exc))
    n_ext = sum(sizes.values()) if input_type == "poisson" else 0

    h = out.append
    h("# The cortical microcircuit of Potjans & Diesmann (2014), scaled, as the PyNN microcircuit example")
    h("# (sPyNNaker's microcircuit_model, from the PyNN/NEST Potjans_2014 example) builds it.")
    h("# Written by tools/bench/make_microcircuit.py "
      f"--n-scaling {n_scaling:g} --k-scaling {k_scaling:g} --input {input_type}")
    h(f"# --connector {connector}; do not edit by hand.")
    h("#")
    h(f"# Scaling as the example: N_scaling = {n_scaling:g} (population sizes int(N_full * N_scaling)),")
    h(f"# K_scaling = {k_scaling:g} (in-degrees K_scaling * K_full, inside and from outside). The example")
    h("# connects each pair by FixedTotalNumberConnector(n = round(K * N_post)) (with replacement and")
    if connector == "fixed_total_number":
        h("# self-connections, PyNN's defaults), as here.")
    else:
        h("# self-connections). Here each pair is FixedProbabilityConnector(p = n / (N_pre * N_post)): the same")
        h("# expected number of synapses, drawn without multapses (--connector fixed_total_number writes the")
        h("# example's connector).")
    h("# With K_scaling < 1 every weight is divided by sqrt(K_scaling) and")
    h("# each population gets a DC compensation i_offset = 0.001 tau_syn (1 - sqrt(K_scaling)) (x1 + x1_ext)")
    h("# for the input lost (x1 from the full-scale rates, x1_ext from the background): the example's")
    h("# adjust_w_and_ext_to_K.")
    h(f"# {sum(sizes.values())} neurons, {n_syn_total} recurrent synapses (expected)"
      + (f", {n_ext} Poisson sources (one-to-one, one per neuron)." if n_ext else "; background as DC."))
    h("#")
    h("# Cells: IF_curr_exp, cm 0.25 nF (250 pF), tau_m 10 ms, tau_syn_E = tau_syn_I 0.5 ms, v_rest = v_reset")
    h("# -65 mV, v_thresh -50 mV, tau_refrac 2 ms; initial v normal(-58, 5) mV.")
    h("# Weights: w_mean 87.8 pA = 0.0878 nA (PSP 0.15 mV), x2 for L4E -> L23E, g = -4 for inhibitory")
    h("# sources (written as magnitudes on the inhibitory receptor, as sPyNNaker uses |w|); normal_clipped")
    h("# with relative sd 0.1 (0.05 for L4E -> L23E), clipped at 0 (the example's other bound is inf;")
    h("# here 10 x the mean, which is 90 sd away and never drawn).")
    h("# Delays: normal_clipped, mean 1.5 ms (exc) / 0.75 ms (inh), sd 0.75 / 0.375 ms, in [0.1, 14.4] ms.")
    if input_type == "poisson":
        h(f"# Background: one SpikeSourcePoisson per neuron at {BG_RATE:g} Hz x K_ext x K_scaling, one-to-one,")
        h(f"# weight w_mean / sqrt(K_scaling) = {w_ext:.6g} nA, delay 0.1 ms (the example's default delay: dt).")
    else:
        h("# Background: DC of bg_rate * K_ext * w_mean * tau_syn_E (the example's input_type 'DC'), in i_offset.")
    h("# No thalamic input (the example's default). dt 0.1 ms; spikes of all populations recorded.")
    h("# Connections, weights and delays are the synapse expander's draws, as on the machine, from each")
    h("# population's seed; initial v comes from spinnsim's seeded host generator (not yet the neuron")
    h("# expander's). A PyNN NumpyRNG would not be used by sPyNNaker either.")
    h(f"run_ms = {fmt(run_ms)}")
    h("timestep = 0.1")
    h("min_delay = 0.1")
    h(f"max_delay = {fmt(D_HIGH)}")
    h(f"seed = {seed}")
    for i, l in enumerate(LABELS):
        params = dict(NEURON_PARAMS)
        params["i_offset"] = round(dc[l], 12)
        ps = ", ".join(f"{k} = {fmt(v)}" for k, v in params.items())
        h("")
        h("[[population]]")
        h(f'label = "{l}"')
        h(f"size = {sizes[l]}")
        h('cell_type = "IF_curr_exp"')
        h(f"parameters = {{ {ps} }}")
        h(f'initial_values = {{ v = {{ distribution = "normal", mu = {fmt(V0_MEAN)}, sigma = {fmt(V0_SD)} }} }}')
        h('record = [{ variable = "spikes" }]')
    if input_type == "poisson":
        for i, l in enumerate(LABELS):
            h("")
            h("[[population]]")
            h(f'label = "{l}_bg"')
            h(f"size = {sizes[l]}")
            h('cell_type = "SpikeSourcePoisson"')
            h(f"seed = {seed * 100 + i + 1}")
            h(f"parameters = {{ rate = {fmt(BG_RATE * K_EXT[l] * k_scaling)} }}")
    for (ls, lt, n, p_conn, wm, wsd, exc) in projections:
        h("")
        h("[[projection]]")
        h(f'label = "{ls}_{lt}"')
        h(f'pre = "{ls}"')
        h(f'post = "{lt}"')
        if connector == "fixed_total_number":
            h(f'connector = {{ type = "FixedTotalNumberConnector", n = {n} }}')
        else:
            h(f'connector = {{ type = "FixedProbabilityConnector", p_connect = {float(f"{p_conn:.12g}")!r} }}')
        h(f'weight = {{ distribution = "normal_clipped", mu = {fmt(round(wm, 12))}, sigma = {fmt(round(wsd, 12))}, '
          f'low = 0.0, high = {fmt(round(10 * wm, 12))} }}')
        p = "E" if exc else "I"
        h(f'delay = {{ distribution = "normal_clipped", mu = {fmt(D_MEAN[p])}, sigma = {fmt(D_SD[p])}, '
          f'low = {fmt(D_LOW)}, high = {fmt(D_HIGH)} }}')
        h(f'receptor_type = "{"excitatory" if exc else "inhibitory"}"')
    if input_type == "poisson":
        for l in LABELS:
            h("")
            h("[[projection]]")
            h(f'label = "{l}_bg_{l}"')
            h(f'pre = "{l}_bg"')
            h(f'post = "{l}"')
            h('connector = { type = "OneToOneConnector" }')
            h(f"weight = {fmt(round(w_ext, 12))}")
            h("delay = 0.1")
            h('receptor_type = "excitatory"')
    return "\n".join(out) + "\n", sum(sizes.values()), n_syn_total


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=0.1, help="N_scaling = K_scaling (default 0.1)")
    ap.add_argument("--n-scaling", type=float, help="population-size scale (default: --scale)")
    ap.add_argument("--k-scaling", type=float, help="in-degree scale (default: --scale)")
    ap.add_argument("--input", choices=["poisson", "dc"], default="poisson", help="background input (default poisson)")
    ap.add_argument("--connector", choices=["fixed_probability", "fixed_total_number"], default="fixed_probability",
                    help="how each pair is connected (default fixed_probability; see the file header)")
    ap.add_argument("--run-ms", type=float, default=1000.0)
    ap.add_argument("--seed", type=int, default=2014)
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "datasets", "microcircuit.toml"))
    a = ap.parse_args(argv)
    n_s = a.n_scaling if a.n_scaling is not None else a.scale
    k_s = a.k_scaling if a.k_scaling is not None else a.scale
    if not (0 < n_s <= 1 and 0 < k_s <= 1):
        ap.error("scales must be in (0, 1]")
    text, n, syn = build(n_s, k_s, a.input, a.run_ms, a.seed, a.connector)
    with open(a.out, "w") as f:
        f.write(text)
    print(f"{os.path.normpath(a.out)}: {n} neurons, {syn} synapses, {len(text.encode())} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
