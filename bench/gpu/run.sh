#!/usr/bin/env bash
# Runs the offline GPU benchmark from the bundle bench/gpu/bundle.sh built (docs/performance.md, "GPU benchmark
# bundle"): unpacks it, checks that the WebGPU adapter is the NVIDIA GPU, times steady training epochs of the five
# paper-best configs on --backend webgpu, and the same SchNet and CGCNN epochs in PyTorch (CUDA) where PyTorch is
# installed. Writes OUTDIR/results.json and OUTDIR/results.md (plus each run's JSON line and log).
#
#   bash bench/gpu/run.sh OUTDIR [--allow-software] [--epochs N] [--structures N] [--budget SECONDS]
#                                [--models "schnet cgcnn painn so3net m3gnet"] [--bundle DIR]
#   --allow-software  accept any adapter, lavapipe included (the end-to-end test on a machine without a GPU)
#   --epochs N        epochs per run, the first one a warm-up (default 3)
#   --structures N    train on the first N training CIFs only (a few steps per epoch; default all 254)
#   --budget S        wall-clock limit per run in seconds (default 75)
#   --total S         wall-clock limit of the whole script (default 450: under 8 minutes); later runs get what is left
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)

usage() { sed -n '7,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "error: $*" >&2; exit 2; }

OUTDIR=""
ALLOW_SOFTWARE=0
EPOCHS=3
STRUCTURES=""
BUDGET=75
TOTAL=450
MODELS="schnet cgcnn painn so3net m3gnet"
BUNDLE=$REPO/bench/gpu/bundle
positive() { [[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1 needs a positive integer, got '$2'"; }
while (($#)); do
  case $1 in
    --allow-software) ALLOW_SOFTWARE=1 ;;
    --epochs) (($# > 1)) || die "--epochs needs a value"; positive --epochs "$2"; EPOCHS=$2; shift ;;
    --structures) (($# > 1)) || die "--structures needs a value"; positive --structures "$2"; STRUCTURES=$2; shift ;;
    --budget) (($# > 1)) || die "--budget needs a value"; positive --budget "$2"; BUDGET=$2; shift ;;
    --total) (($# > 1)) || die "--total needs a value"; positive --total "$2"; TOTAL=$2; shift ;;
    --models) (($# > 1)) || die "--models needs a value"; MODELS=$2; shift ;;
    --bundle) (($# > 1)) || die "--bundle needs a value"; BUNDLE=$2; shift ;;
    -h|--help) usage ;;
    -*) die "unknown option $1 (see bench/gpu/run.sh --help)" ;;
    *) [[ -z $OUTDIR ]] || die "one OUTDIR only (got '$OUTDIR' and '$1')"; OUTDIR=$1 ;;
  esac
  shift
done
[[ -n $OUTDIR ]] || die "usage: bench/gpu/run.sh OUTDIR [--allow-software] [--epochs N] [--structures N] [--budget S] [--models LIST] [--bundle DIR]"
for m in $MODELS; do
  case $m in schnet|cgcnn|painn|so3net|m3gnet) ;; *) die "--models: unknown model '$m' (schnet cgcnn painn so3net m3gnet)" ;; esac
done
[[ -f $BUNDLE/node.xz && -f $BUNDLE/app.tar.xz ]] || die "$BUNDLE: no bundle (build it with bash bench/gpu/bundle.sh)"
if [[ ${RUN_SH_DRY_RUN:-} == 1 ]]; then  # argument handling only (test/benchGpuBundle.test.ts)
  echo "outdir=$OUTDIR allow_software=$ALLOW_SOFTWARE epochs=$EPOCHS structures=${STRUCTURES:-all} budget=$BUDGET total=$TOTAL models=$MODELS"
  exit 0
fi

START=$SECONDS
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/crystal-gnn-gpu.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
(cd "$BUNDLE" && sha256sum -c --quiet SHA256SUMS) || die "$BUNDLE: checksums do not match SHA256SUMS"

# unpack: xz where installed, else Python's lzma (PyTorch machines have Python)
echo "unpacking $BUNDLE into $WORK"
mkdir -p "$WORK/app"
if command -v xz >/dev/null; then
  xz -dc "$BUNDLE/node.xz" > "$WORK/node"
  xz -dc "$BUNDLE/app.tar.xz" | tar -xf - -C "$WORK/app"
else
  python3 - "$BUNDLE" "$WORK" <<'PY'
import lzma, shutil, sys, tarfile
bundle, work = sys.argv[1:]
with lzma.open(f'{bundle}/node.xz') as src, open(f'{work}/node', 'wb') as dst:
    shutil.copyfileobj(src, dst)
with tarfile.open(f'{bundle}/app.tar.xz', 'r:xz') as t:
    t.extractall(f'{work}/app')
PY
fi
chmod +x "$WORK/node"
NODE=$WORK/node
APP=$WORK/app

export XDG_RUNTIME_DIR=$WORK/xdg
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
export LD_LIBRARY_PATH=$APP/vulkan${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export CRYSTAL_GNN_DATA=$APP/obelix
if [[ -z ${VK_ICD_FILENAMES:-} ]]; then
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
           /etc/vulkan/icd.d/nvidia_icd.json /usr/local/share/vulkan/icd.d/nvidia_icd.json; do
    [[ -f $f ]] && { export VK_ICD_FILENAMES=$f; break; }
  done
fi
echo "VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-(loader default)}"

# the adapter must be the NVIDIA GPU unless --allow-software
"$NODE" "$APP/dist/bench/gpu/adapter.js" > "$OUTDIR/adapter.json" 2> "$OUTDIR/adapter.log" || true
cat "$OUTDIR/adapter.json"
ADAPTER=$(cat "$OUTDIR/adapter.json")
if [[ $ADAPTER != *'"ok":true'* ]]; then
  echo "error: no WebGPU adapter (see $OUTDIR/adapter.log; VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-unset})" >&2
  exit 1
fi
if ((!ALLOW_SOFTWARE)) && { [[ $ADAPTER == *'"software":true'* ]] || ! grep -qi '"vendor":"nvidia' "$OUTDIR/adapter.json"; }; then
  echo "error: the WebGPU adapter is not the NVIDIA GPU ($ADAPTER); --allow-software accepts it for a test run" >&2
  exit 1
fi

: > "$OUTDIR/status.tsv"
SUBSET=()
[[ -n $STRUCTURES ]] && SUBSET=(--structures "$STRUCTURES")
# record one run: kind model command...; a run past the budget or failing is recorded, the others still run
record() {
  local kind=$1 model=$2; shift 2
  local t0=$SECONDS state=ok rc=0
  local left=$((TOTAL - (SECONDS - START) - 15))  # 15 s kept for the kill grace and the summary
  local limit=$((left < BUDGET ? left : BUDGET))
  if ((limit < 5)); then
    printf '%s\t%s\t%s\t%s\n' "$kind" "$model" "skipped" 0 >> "$OUTDIR/status.tsv"
    echo "$kind $model: skipped (the $TOTAL s total is spent)"
    return
  fi
  timeout --kill-after=10 "$limit" "$@" > "$OUTDIR/$kind-$model.log" 2>&1 || rc=$?
  if ((rc == 124 || rc == 137)); then state=timeout; elif ((rc != 0)); then state=failed; fi
  [[ -s $OUTDIR/$kind-$model.json ]] || [[ $state != ok ]] || state=failed
  printf '%s\t%s\t%s\t%s\n' "$kind" "$model" "$state" "$((SECONDS - t0))" >> "$OUTDIR/status.tsv"
  echo "$kind $model: $state ($((SECONDS - t0)) s)"
}

cd "$APP"
# the PyTorch anchor first: seconds on CUDA, and the webgpu runs then share what is left of the total
TORCH=none
if command -v python3 >/dev/null && python3 -c 'import torch' 2>/dev/null; then
  TORCH=$(python3 -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")')
  for m in schnet cgcnn; do
    [[ " $MODELS " == *" $m "* ]] || continue
    "$NODE" dist/bench/gpu/exportGraphs.js --config "configs/$m.yaml" --out "$WORK/$m.graphs" "${SUBSET[@]}" > "$OUTDIR/graphs-$m.log" 2>&1 || true
    record torch "$m" python3 bench/gpu/torch_anchor.py --graphs "$WORK/$m.graphs" --epochs "$EPOCHS" --device "$TORCH" --out "$OUTDIR/torch-$m.json"
  done
else
  echo "no PyTorch here: the anchor is skipped"
fi

for m in $MODELS; do
  record webgpu "$m" "$NODE" dist/bench/epoch.js --config "configs/$m.yaml" --backend webgpu --epochs "$EPOCHS" \
    "${SUBSET[@]}" --out "$OUTDIR/webgpu-$m.json"
done

cat > "$OUTDIR/meta.json" <<EOF
{"date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)", "host": "$(hostname)", "commit": "$(cat "$BUNDLE/COMMIT" 2>/dev/null)", "node": "$("$NODE" --version)", "torch_device": "$TORCH", "settings": "epochs $EPOCHS (first is warm-up), structures ${STRUCTURES:-all 254 training CIFs}, budget ${BUDGET} s per run, total ${TOTAL} s, allow_software $ALLOW_SOFTWARE", "total_seconds": $((SECONDS - START))}
EOF
"$NODE" dist/bench/gpu/summarize.js "$OUTDIR"
grep -q $'\tok\t' "$OUTDIR/status.tsv" || { echo "error: no run succeeded (see $OUTDIR/*.log)" >&2; exit 1; }
