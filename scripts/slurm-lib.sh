# Shared by scripts/slurm-search.sh and scripts/slurm-cv.sh (sourced from the project root; see docs/experiments.md).
# Sets ROOT (the project, where the job was submitted), CLI (the built CLI), N and I (this array task's shard),
# and checks the data directory, each with one error: line when something is off.

die() { echo "error: $*" >&2; exit 2; }

# The project root: sbatch copies the script to the node's spool directory, so its own path says nothing; the
# directory sbatch ran in does (override with CRYSTAL_GNN_ROOT). Relative configs/ and runs/ resolve from there.
slurm_project() {
  ROOT=${CRYSTAL_GNN_ROOT:-${SLURM_SUBMIT_DIR:-$PWD}}
  cd "$ROOT" || die "CRYSTAL_GNN_ROOT/SLURM_SUBMIT_DIR $ROOT: no such directory"
  CLI=$ROOT/dist/cli/main.js
  [[ -f $CLI ]] || die "$CLI not found: run 'npm run build' in $ROOT before submitting (or submit from the project root)"
}

# One shared copy of OBELiX for every task: CRYSTAL_GNN_DATA, else the submitting user's cache. It must exist
# before the jobs start (run 'crystal-gnn data fetch' once on the login node), not be fetched by each task.
slurm_data() {
  export CRYSTAL_GNN_DATA=${CRYSTAL_GNN_DATA:-$HOME/.cache/crystal-gnn/obelix}
  [[ -f $CRYSTAL_GNN_DATA/processed.csv ]] || die "CRYSTAL_GNN_DATA=$CRYSTAL_GNN_DATA has no processed.csv on $(hostname -s): fetch once before submitting ('node dist/cli/main.js data fetch --dest DIR') into a directory every node sees, and export CRYSTAL_GNN_DATA=DIR"
}

# N is the number of shards, given as SHARDS (so that resubmitting one lost task, --array=3, keeps its slice);
# without it, the array must be 0..N-1 with step 1. SLURM_ARRAY_TASK_COUNT is not N: --array=1-4 has 4 tasks
# whose highest index is 4.
slurm_shard() {
  I=${SLURM_ARRAY_TASK_ID:?submit the shards as an array job (sbatch --array=0-N-1), or set COLLECT=1}
  if [[ -n ${SHARDS:-} ]]; then
    [[ $SHARDS =~ ^[1-9][0-9]*$ ]] || die "SHARDS=$SHARDS: expected a positive integer"
    N=$SHARDS
  else
    local min=${SLURM_ARRAY_TASK_MIN:-0} max=${SLURM_ARRAY_TASK_MAX:-0} step=${SLURM_ARRAY_TASK_STEP:-1} count=${SLURM_ARRAY_TASK_COUNT:-1}
    if [[ $min != 0 || $step != 1 || $count != $((max + 1)) ]]; then
      die "--array=$min-$max:$step ($count tasks) is not 0..N-1: set the shard count (sbatch --export=ALL,SHARDS=N)"
    fi
    N=$((max + 1))
  fi
  ((I < N)) || die "array task $I is not a shard of SHARDS=$N (indices 0..$((N - 1)))"
  echo "$(date -u +%FT%TZ) shard $I/$N of job ${SLURM_ARRAY_JOB_ID:-?} on $(hostname -s), attempt $((${SLURM_RESTART_COUNT:-0} + 1))"
}
