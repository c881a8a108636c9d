"""A sweep on a Ray cluster: plan once, then one remote task per shard, each with a GPU.

    spinnsim sweep plan examples/sweeps/vogels_abbott_sweep.toml --out /shared/va-sweep
    python examples/sweeps/ray_sweep.py /shared/va-sweep 8

Ray sets CUDA_VISIBLE_DEVICES for each task, and the GPU engine takes the GPU it names.
"""

import sys

import ray

from spinnsim.sweep import run_shard


@ray.remote(num_gpus=1)
def shard(out: str, index: int, count: int) -> dict:
    return run_shard(out, index, count, backend="gpu")


if __name__ == "__main__":
    out, count = sys.argv[1], int(sys.argv[2])
    ray.init()
    print(ray.get([shard.remote(out, i, count) for i in range(count)]))
