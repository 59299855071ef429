#!/usr/bin/env bash
# A crystal-gnn cross-validation as a SLURM array (job j of the CV, fold j or the fixed-length retraining, in task
# j mod N), then a dependent job that scores it (and, with --test, retrains if that was not a task's job, and tests).
# From the project root, after 'npm run build', with the data fetched once (docs/experiments.md, "SLURM"):
#
#   export CRYSTAL_GNN_DATA=/shared/obelix
#   A=$(sbatch --parsable --array=0-4 --export=ALL,SHARDS=5 --gres=gpu:1 \
#         scripts/slurm-cv.sh configs/schnet.yaml runs/schnet-cv --backend tensorflow)
#   sbatch --dependency=afterany:$A --export=ALL,SHARDS=5,COLLECT=1 --job-name=crystal-gnn-cv-collect \
#         --output=crystal-gnn-cv-collect-%j.out --gres=gpu:1 \
#         scripts/slurm-cv.sh configs/schnet.yaml runs/schnet-cv --backend tensorflow
#
# Arguments after CONFIG OUT go to 'crystal-gnn cv' (--set, --folds, --test, --backend, ...), the same for both
# submissions. The collect job trains no fold: it refuses, naming the unfinished jobs, when a task did not finish.
# Requeued tasks resume from their last epoch and append to crystal-gnn-cv-<array>_<task>.out.
#SBATCH --job-name=crystal-gnn-cv
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=%x-%A_%a.out
set -euo pipefail
CONFIG=${1:?usage: slurm-cv.sh CONFIG OUT [cv options]}
OUT=${2:?usage: slurm-cv.sh CONFIG OUT [cv options]}
shift 2
source "${CRYSTAL_GNN_ROOT:-${SLURM_SUBMIT_DIR:-$PWD}}/scripts/slurm-lib.sh"
slurm_project
slurm_data

if [[ ${COLLECT:-0} == 1 ]]; then
  exec node "$CLI" cv --config "$CONFIG" --out "$OUT" --collect "$@"
fi
slurm_shard
exec node "$CLI" cv --config "$CONFIG" --out "$OUT" --shard "$I/$N" "$@"
