#!/usr/bin/env bash
# Builds the offline GPU benchmark bundle (docs/performance.md, "GPU benchmark bundle"): one folder with everything
# a bare x86-64 Linux with an NVIDIA driver needs to run bench/gpu/run.sh, no Node.js or network there:
#   node.xz        this machine's Node binary, xz-compressed
#   app.tar.xz     dist/ (built here), a pruned production node_modules (bench/gpu/prune.ts: linux-x64 dawn.node,
#                  no wasm binaries, no dev dependencies), configs/, data/atom_init.json, the OBELiX CSVs and CIFs,
#                  the Vulkan loader (libvulkan1 .deb, unpacked) and the PyTorch anchor
#   MANIFEST       every file of app.tar.xz with its size; SHA256SUMS of the two archives
#
#   bash bench/gpu/bundle.sh [OUT]        OUT defaults to bench/gpu/bundle (git-ignored); must stay under 60 MiB
# The data comes from CRYSTAL_GNN_DATA (default ../shared/obelix, then ~/.cache/crystal-gnn/obelix).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=${1:-bench/gpu/bundle}
LIMIT_MIB=60

DATA=${CRYSTAL_GNN_DATA:-}
if [[ -z $DATA ]]; then
  for d in ../shared/obelix "$HOME/.cache/crystal-gnn/obelix"; do [[ -f $d/processed.csv ]] && { DATA=$d; break; }; done
fi
[[ -n $DATA && -f $DATA/processed.csv && -d $DATA/cifs ]] || { echo "error: no OBELiX data (set CRYSTAL_GNN_DATA to a folder with processed.csv and cifs/)" >&2; exit 1; }
NODE=$(command -v node)
[[ $(uname -m) == x86_64 ]] || { echo "error: the bundle carries this machine's node binary and must be built on x86-64 Linux" >&2; exit 1; }

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
APP=$STAGE/app
mkdir -p "$APP/data" "$APP/obelix" "$APP/vulkan" "$APP/bench/gpu"

echo "building dist/"
npx tsc -p tsconfig.json
cp -r dist "$APP/dist"
rm -rf "$APP/dist/test"
find "$APP/dist" -name '*.map' -delete
cp package.json "$APP/"
cp data/atom_init.json "$APP/data/"
cp -r configs "$APP/"
cp bench/gpu/torch_anchor.py "$APP/bench/gpu/"

echo "pruning node_modules"
node --import tsx bench/gpu/prune.ts "$APP/node_modules"

echo "OBELiX data from $DATA"
cp "$DATA"/*.csv "$APP/obelix/"
[[ -f $DATA/folds.json ]] && cp "$DATA/folds.json" "$APP/obelix/"
cp -r "$DATA/cifs" "$APP/obelix/"

echo "Vulkan loader (libvulkan1)"
DEB=$(cd "$STAGE" && apt-get download libvulkan1 >/dev/null 2>&1 && ls "$STAGE"/libvulkan1_*.deb || true)
if [[ -z $DEB ]]; then
  DEB=$(ls /var/cache/apt/archives/libvulkan1_*_amd64.deb 2>/dev/null | tail -1 || true)
fi
if [[ -n $DEB ]]; then
  dpkg-deb -x "$DEB" "$STAGE/deb"
  cp -a "$STAGE"/deb/usr/lib/x86_64-linux-gnu/libvulkan.so.1* "$APP/vulkan/"
  basename "$DEB" > "$APP/vulkan/SOURCE"
else
  # no apt cache and no network: the installed loader is the same package's file
  cp -aL /usr/lib/x86_64-linux-gnu/libvulkan.so.1 "$APP/vulkan/"
  echo "installed libvulkan.so.1 ($(dpkg-query -W -f '${Version}' libvulkan1 2>/dev/null || echo unknown))" > "$APP/vulkan/SOURCE"
fi

# node.xz is reused from a previous build of the same binary (compressing it takes minutes on 2 cores)
NODE_SHA=$(sha256sum "$NODE" | cut -d' ' -f1)
if [[ -f $OUT/node.xz && $(cat "$OUT/NODE_SHA256" 2>/dev/null) == "$NODE_SHA" ]]; then mv "$OUT/node.xz" "$STAGE/node.xz"; fi
rm -rf "$OUT"
mkdir -p "$OUT"
echo "compressing"
if [[ -f $STAGE/node.xz ]]; then mv "$STAGE/node.xz" "$OUT/node.xz"; else xz -T2 -6 -c "$NODE" > "$OUT/node.xz"; fi
echo "$NODE_SHA" > "$OUT/NODE_SHA256"
(cd "$APP" && find . -type f -printf '%s\t%P\n' | sort -k2) > "$OUT/MANIFEST"
tar -C "$APP" -cf - . | xz -T2 -9 > "$OUT/app.tar.xz"
"$NODE" --version > "$OUT/NODE_VERSION"
git -C "$ROOT" rev-parse HEAD > "$OUT/COMMIT" 2>/dev/null || true
(cd "$OUT" && sha256sum node.xz app.tar.xz > SHA256SUMS)

BYTES=$(du -sb "$OUT" | cut -f1)
MIB=$(awk -v b="$BYTES" 'BEGIN { printf "%.1f", b / 1048576 }')
echo "bundle: $OUT, $MIB MiB (node.xz $(du -h "$OUT/node.xz" | cut -f1), app.tar.xz $(du -h "$OUT/app.tar.xz" | cut -f1); unpacked app $(du -sh "$APP" | cut -f1))"
if (( BYTES >= LIMIT_MIB * 1048576 )); then
  echo "error: the bundle is $MIB MiB, over the $LIMIT_MIB MiB limit" >&2
  exit 1
fi
