"""Splits a `perf script` call-graph dump by engine stage (docs/performance.md, "Profile").

    perf record --call-graph dwarf,16384 -F 997 -o perf.data -- \
        target/release/deps/vogels_abbott-<hash> --child-threads 1 --ms 10000
    perf script -i perf.data -F comm,tid,ip,sym --no-inline > perf.txt
    python3 tools/bench/perf_stages.py perf.txt

Each sample is charged to the innermost `spinnsim::engine::cpu::<stage>` frame of its stack
(inlined closures of `CpuEngine::step` show up as `step`), to `mapping` when it lies under
`spinnsim::mapping::map`, and to `rayon` when only rayon frames are found. The second table
shows the leaf function inside each stage (malloc, kernel, ...), the third the mapping's split.
"""

import collections
import re
import sys


def samples(path):
    cur = None
    for line in open(path, errors="replace"):
        if not line.strip():
            if cur is not None:
                yield cur
            cur = None
            continue
        if not line[0].isspace():
            cur = []
            continue
        parts = line.strip().split(None, 1)
        cur.append(re.sub(r"\+0x[0-9a-f]+$", "", parts[1] if len(parts) > 1 else "?"))
    if cur:
        yield cur


def stage(stack):
    for f in stack:
        m = re.match(r"spinnsim::engine::cpu::(\w+)::(\w+)", f)
        if m:
            return f"engine::{m.group(1)}::{m.group(2)}"
        if "spinnsim::mapping::map" in f:
            return "mapping"
        if "CpuEngine>::step" in f or "CpuEngine::step" in f:
            return "engine::step (inlined closures)"
    if any("rayon" in f for f in stack):
        return "rayon (scheduling, idle)"
    return "other"


def main():
    all_samples = list(samples(sys.argv[1]))
    n = len(all_samples)
    print(f"{n} samples")
    by_stage = collections.Counter(stage(s) for s in all_samples)
    for k, v in by_stage.most_common():
        print(f"{100 * v / n:6.2f}%  {k}")
    print("\nleaf function within each stage:")
    leaves = collections.Counter((stage(s), s[0][:90]) for s in all_samples if s)
    for (st, leaf), v in leaves.most_common(25):
        print(f"{100 * v / n:6.2f}%  {st:36s} {leaf}")
    mapping = [s for s in all_samples if stage(s) == "mapping"]
    if mapping:
        print("\ninnermost spinnsim function within the mapping:")
        inner = collections.Counter(next((f for f in s if f.startswith("spinnsim::")), s[0])[:80] for s in mapping)
        for k, v in inner.most_common(8):
            print(f"{100 * v / len(mapping):6.1f}%  {k}")


if __name__ == "__main__":
    main()
