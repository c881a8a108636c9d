"""A sweep on a Dask cluster: plan once, then one task per shard (``client.map``).

    python examples/sweeps/dask_sweep.py SWEEP_FILE OUT [SHARDS]

With a real cluster, give ``Client("scheduler-address:8786")`` instead of the local one; the folder
``OUT`` must be on a file system every worker sees. Each task commits its batches as it finishes
them; a task that dies leaves its batches to the next run of the same command.
"""

import subprocess
import sys

from dask.distributed import Client, LocalCluster

from spinnsim.sweep import run_shard, scan


def main(spec: str, out: str, shards: int = 3) -> None:
    subprocess.run(["spinnsim", "sweep", "plan", spec, "--out", out], check=True)
    with LocalCluster(n_workers=shards, threads_per_worker=1, processes=True) as cluster, Client(cluster) as client:
        futures = client.map(run_shard, [out] * shards, range(shards), [shards] * shards, backend="cpu",
                             pure=False)
        for report in client.gather(futures):
            print(report)
    print(scan(out, "summary").collect())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:4]))
