#!/bin/bash
# The GPU benchmark in one command, for a machine with a real GPU (docs/performance.md): the
# adapters, the GPU engine on Vogels–Abbott (1 s) and on the 0.1-scale microcircuit (200 ms),
# each beside the CPU engine, and sweeps of Vogels–Abbott on the GPU at 1, 16 and 64 instances
# against the same instances run one by one. Every step has a time limit, so that the runs end
# within 5 minutes after the build; a step cut short says so in its file.
#
#   bash tools/bench/gpu_benchmark.sh [OUT_DIR]        # default target/bench-results
#   QUICK=1 bash tools/bench/gpu_benchmark.sh          # a smoke run (short runs, few instances)
set -uo pipefail
cd "$(dirname "$0")/../.."
out="${1:-target/bench-results}"
mkdir -p "$out"
cargo build --release --locked --bin spinnsim --bench gpu_engine --bench sweep || exit 1
ms_va=1000; ms_mc=200; instances=1,16,64; repeats=2
if [ -n "${QUICK:-}" ]; then ms_va=50; ms_mc=10; instances=1,4; repeats=1; fi
step() { # name, seconds, command...
    local name=$1 limit=$2; shift 2
    echo "== $name (at most ${limit} s)"
    { date -u +%FT%TZ; timeout "$limit" "$@"; rc=$?; [ $rc = 124 ] && echo "CUT SHORT after ${limit} s"; } 2>&1 | tee "$out/$name.txt"
}
step devices 30 target/release/spinnsim devices
step machine 10 sh -c 'nproc; free -g | head -2; nvidia-smi -L 2>/dev/null || true'
step gpu_engine_va 60 cargo bench --locked --bench gpu_engine -- --repeats "$repeats" --ms "$ms_va"
step gpu_engine_microcircuit 60 cargo bench --locked --bench gpu_engine -- --network datasets/microcircuit.toml --repeats 1 --ms "$ms_mc"
step sweep_gpu 150 cargo bench --locked --bench sweep -- --engine gpu --instances "$instances" --ms "$ms_va"
echo "results in $out"
