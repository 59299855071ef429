#!/usr/bin/env bash
# A SLURM array job that spreads one crystal-gnn hyperparameter search over N GPUs (one trial slice per task),
# then a dependent job that collects the slices, retrains the best set and tests it.
#
#   sbatch --array=0-9 scripts/slurm-search.sh configs/search/schnet.yaml runs/schnet-search
#   sbatch --dependency=afterok:<array job id> --export=ALL,COLLECT=1 scripts/slurm-search.sh configs/search/schnet.yaml runs/schnet-search
#
# Each task writes runs/<name>/shard-<I>/trials.shard-<I>-of-<N>.jsonl; a task that is preempted or killed
# resumes where it stopped when requeued (--resume skips finished trials and finished folds).
#SBATCH --job-name=crystal-gnn-search
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=4
#SBATCH --mem=32G
#SBATCH --time=24:00:00
#SBATCH --requeue
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail
CONFIG=${1:?config file}
OUT=${2:?output directory}
N=${SLURM_ARRAY_TASK_COUNT:-1}
I=${SLURM_ARRAY_TASK_ID:-0}
export CRYSTAL_GNN_DATA=${CRYSTAL_GNN_DATA:-$HOME/.cache/crystal-gnn/obelix}

if [[ "${COLLECT:-0}" == "1" ]]; then
  npx crystal-gnn search --config "$CONFIG" --out "$OUT/merged" --collect "$OUT"/shard-* --backend auto
else
  npx crystal-gnn search --config "$CONFIG" --out "$OUT/shard-$I" --shard "$I/$N" --resume --no-finish --backend auto
fi
