"""The Vogels–Abbott CUBA benchmark on NEST through PyNN, timed for docs/performance.md.

The network is that of PyNN 0.13's examples/VAbenchmarks.py with `CUBA` (and of
datasets/vogels_abbott_cuba.toml): 3200 + 800 IF_curr_exp cells, FixedProbabilityConnector(0.02)
between every pair of populations, delay 0.2 ms, dt 0.1 ms, min_delay 0.2, max_delay 1.0, no
external input, initial v uniform in [v_reset, v_thresh], spikes of both populations and v of
excitatory cells 0 and 1 recorded. Only `sim.run()` is timed; building the network is reported
apart.

Usage (NEST 3.10 and PyNN 0.13 in a virtual environment outside the repository):

    python3 -m venv /root/nestvenv
    /root/nestvenv/bin/pip install nest-simulator==3.10.0 pyNN==0.13.0
    /root/nestvenv/bin/python tools/bench/nest_vogels_abbott.py --threads 1 2 --repeats 3

Each repetition runs in a fresh process (NEST's kernel cannot be set up twice in one), and the
best wall time of the repetitions is reported for each thread count.
"""

import argparse
import json
import os
import subprocess
import sys
import time


def vm_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def one_run(threads, tstop, seed, simulator="nest"):
    """Builds and runs the network once; prints one JSON line."""
    import importlib
    sim = importlib.import_module({"nest": "pyNN.nest", "spinnsim": "spinnsim.pynn"}[simulator])
    from pyNN.random import NumpyRNG, RandomDistribution

    n, r_ei, pconn = 4000, 4.0, 0.02
    dt, delay = 0.1, 0.2
    area = 20000.0 * 1e-8  # cm²
    cm = 1.0 * area * 1000  # nF
    g_leak = 5e-5
    rm = 1e-6 / (g_leak * area)  # MΩ
    tau_m = 20.0
    assert abs(tau_m - cm * rm) < 1e-9
    e_leak, v_thresh, v_reset, t_refrac, v_mean = -49.0, -50.0, -60.0, 5.0, -60.0
    gexc, ginh, erev_exc, erev_inh = 0.27, 4.5, 0.0, -80.0
    w_exc = 1e-3 * gexc * (erev_exc - v_mean)
    w_inh = 1e-3 * ginh * (erev_inh - v_mean)
    n_exc = int(round(n * r_ei / (1 + r_ei)))
    n_inh = n - n_exc

    rss0 = vm_kib("VmRSS")
    t0 = time.perf_counter()
    sim.setup(timestep=dt, min_delay=delay, max_delay=1.0, threads=threads)
    cell = sim.IF_curr_exp(tau_m=tau_m, tau_syn_E=5.0, tau_syn_I=10.0, v_rest=e_leak, v_reset=v_reset,
                           v_thresh=v_thresh, cm=cm, tau_refrac=t_refrac)
    exc = sim.Population(n_exc, cell, label="Excitatory_Cells")
    inh = sim.Population(n_inh, cell, label="Inhibitory_Cells")
    rng = NumpyRNG(seed=seed, parallel_safe=True)
    uniform = RandomDistribution("uniform", low=v_reset, high=v_thresh, rng=rng)
    exc.initialize(v=uniform)
    inh.initialize(v=uniform)
    conn = sim.FixedProbabilityConnector(pconn, rng=rng)
    exc_syn = sim.StaticSynapse(weight=w_exc, delay=delay)
    inh_syn = sim.StaticSynapse(weight=w_inh, delay=delay)
    projs = [
        sim.Projection(exc, exc, conn, exc_syn, receptor_type="excitatory"),
        sim.Projection(exc, inh, conn, exc_syn, receptor_type="excitatory"),
        sim.Projection(inh, exc, conn, inh_syn, receptor_type="inhibitory"),
        sim.Projection(inh, inh, conn, inh_syn, receptor_type="inhibitory"),
    ]
    exc.record("spikes")
    inh.record("spikes")
    exc[0, 1].record("v")
    n_syn = sum(p.size() for p in projs)
    build = time.perf_counter() - t0
    rss_built = vm_kib("VmRSS")

    t1 = time.perf_counter()
    sim.run(tstop)
    wall = time.perf_counter() - t1
    hwm_after_run = vm_kib("VmHWM")

    e_count = exc.mean_spike_count()
    i_count = inh.mean_spike_count()
    spikes = e_count * n_exc + i_count * n_inh
    # Synaptic events: every spike of a neuron is delivered to each of its outgoing synapses.
    counts = {id(exc): exc.get_spike_counts(), id(inh): inh.get_spike_counts()}
    events = 0
    for p in projs:
        c = counts[id(p.pre)]
        ids = p.pre.all_cells
        for row in p.get("weight", format="list", with_address=True):
            events += c[ids[int(row[0])]]
    if simulator == "nest":
        import nest
        version = nest.__version__ if hasattr(nest, "__version__") else str(nest.version())
    else:
        import spinnsim
        version = spinnsim.__version__

    print(json.dumps({
        "threads": threads,
        "simulator": simulator,
        "version": version,
        "build_s": build,
        "run_s": wall,
        "model_ms": tstop,
        "synapses": int(n_syn),
        "exc_rate_hz": e_count * 1000.0 / tstop,
        "inh_rate_hz": i_count * 1000.0 / tstop,
        "synaptic_events": events,
        "spikes": int(round(spikes)),
        "rss_before_build_kib": rss0,
        "rss_after_build_kib": rss_built,
        "vm_hwm_kib": hwm_after_run,
    }))
    sim.end()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--time", type=float, default=1000.0, help="model time in ms")
    ap.add_argument("--seed", type=int, default=98765)
    ap.add_argument("--simulator", choices=["nest", "spinnsim"], default="nest",
                    help="run the same PyNN script on pyNN.nest or on spinnsim.pynn")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one_run(args.threads[0], args.time, args.seed, args.simulator)
        return
    for threads in args.threads:
        results = []
        for _ in range(args.repeats):
            out = subprocess.run(
                [sys.executable, os.path.abspath(__file__), "--one", "--threads", str(threads),
                 "--time", str(args.time), "--seed", str(args.seed), "--simulator", args.simulator],
                capture_output=True, text=True, check=True,
            ).stdout
            line = [l for l in out.splitlines() if l.startswith("{")][-1]
            results.append(json.loads(line))
        best = min(results, key=lambda r: r["run_s"])
        walls = ", ".join(f"{r['run_s']:.3f}" for r in results)
        print(f"{best['simulator']} {best['version']}, {threads} thread(s): run() {best['run_s']:.3f} s best of [{walls}], "
              f"{best['model_ms'] / 1000.0 / best['run_s']:.2f}x real time, build {best['build_s']:.2f} s, "
              f"{best['synapses']} synapses, exc {best['exc_rate_hz']:.2f} Hz, inh {best['inh_rate_hz']:.2f} Hz, "
              f"{best['spikes']} spikes, RSS {best['rss_before_build_kib'] / 1024:.0f} -> "
              f"{best['rss_after_build_kib'] / 1024:.0f} MiB after build, VmHWM {best['vm_hwm_kib'] / 1024:.0f} MiB")
        print(json.dumps(best))


if __name__ == "__main__":
    main()
