"""A sweep on Slurm through submitit: plan once, then a job array of shards from Python.

    spinnsim sweep plan examples/sweeps/vogels_abbott_sweep.toml --out /shared/va-sweep
    python examples/sweeps/submitit_sweep.py /shared/va-sweep 8
"""

import sys

import submitit

from spinnsim.sweep import run_shard

if __name__ == "__main__":
    out, count = sys.argv[1], int(sys.argv[2])
    executor = submitit.AutoExecutor(folder="submitit-logs")
    executor.update_parameters(timeout_min=60, gpus_per_node=1, slurm_array_parallelism=count)
    jobs = executor.map_array(run_shard, [out] * count, range(count), [count] * count)
    print([j.result() for j in jobs])
