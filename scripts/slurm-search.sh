#!/usr/bin/env bash
# A crystal-gnn hyperparameter search as a SLURM array (one slice of the trials per task, trial t in task t mod N),
# then a dependent job that collects the slices, retrains the best set and tests it. From the project root, after
# 'npm run build', with the data fetched once into a directory every node sees (docs/experiments.md, "SLURM"):
#
#   export CRYSTAL_GNN_DATA=/shared/obelix
#   A=$(sbatch --parsable --array=0-3 --export=ALL,SHARDS=4 --gres=gpu:1 --cpus-per-task=4 --mem=16G \
#         scripts/slurm-search.sh configs/search/schnet.yaml runs/schnet-search --backend tensorflow)
#   sbatch --dependency=afterany:$A --export=ALL,SHARDS=4,COLLECT=1 --job-name=crystal-gnn-collect \
#         --output=crystal-gnn-collect-%j.out --gres=gpu:1 \
#         scripts/slurm-search.sh configs/search/schnet.yaml runs/schnet-search --backend tensorflow
#
# Arguments after CONFIG OUT go to 'crystal-gnn search' (--set, --trials, --backend, ...): give the collect job the
# same ones (it refuses shards run under another config). SHARDS is the shard count N; resubmit a lost task alone
# with --array=I and the same SHARDS. Resources (--gres, --cpus-per-task, --mem, --time, --partition) belong on
# the sbatch line: none is set here. Each task appends to crystal-gnn-search-<array>_<task>.out; a task that is
# preempted or requeued resumes where it stopped (finished trials are kept). The collect job runs once every task
# has ended (afterany: a cancelled or failed task cannot leave it pending forever) and refuses, naming the shards
# whose trials are missing, when one did not finish.
#SBATCH --job-name=crystal-gnn-search
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=%x-%A_%a.out
set -euo pipefail
CONFIG=${1:?usage: slurm-search.sh CONFIG OUT [search options]}
OUT=${2:?usage: slurm-search.sh CONFIG OUT [search options]}
shift 2
source "${CRYSTAL_GNN_ROOT:-${SLURM_SUBMIT_DIR:-$PWD}}/scripts/slurm-lib.sh"
slurm_project
slurm_data

if [[ ${COLLECT:-0} == 1 ]]; then
  N=${SHARDS:?set SHARDS=N for the collect job too (--export=ALL,SHARDS=N,COLLECT=1)}
  shards=()
  for ((i = 0; i < N; i++)); do shards+=("$OUT/shard-$i"); done
  exec node "$CLI" search --config "$CONFIG" --out "$OUT/merged" --collect "${shards[@]}" "$@"
fi
slurm_shard
exec node "$CLI" search --config "$CONFIG" --out "$OUT/shard-$I" --shard "$I/$N" --resume --no-finish "$@"
