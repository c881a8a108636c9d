#!/bin/bash
# A sweep on a Slurm cluster: plan once, then one array task per shard.
#
#   spinnsim sweep plan examples/sweeps/vogels_abbott_sweep.toml --out "$SWEEP"
#   sbatch --array=0-7 examples/sweeps/slurm_array.sh        # 8 shards; every task runs its batches
#   spinnsim sweep status "$SWEEP"                            # what is missing, and how to resubmit it
#
# Each task runs the uncommitted batches b with b mod 8 == its index (--shard auto reads
# SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT); a task killed or preempted
# leaves its batch to the next run; the GPU is the one Slurm gives the task (CUDA_VISIBLE_DEVICES).
#SBATCH --job-name=spinnsim-sweep
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=4
#SBATCH --time=01:00:00
set -euo pipefail
SWEEP="${SWEEP:-va-sweep}"
exec spinnsim sweep run "$SWEEP" --shard auto
