#!/usr/bin/env bash
# One spelling, "neighbor", as the config keys (graph.max_neighbors), pymatgen and PyTorch Geometric write it (#19 §4).
# Rewrites every "neighbour" in the tracked sources, comments, docs and messages, identifiers included
# (toNeighbour -> toNeighbor, neighbourWeight -> neighborWeight); data files are left as they are (test fixtures, JSON,
# CIFs, binaries). Run once from any folder of the repository, after merging; it lists the files it changed. Then:
#   npx tsc -p tsconfig.json --noEmit && npm test
set -euo pipefail
cd "$(dirname "$0")/.."
scope=(-- . ':(exclude)test/fixtures' ':(exclude)*.json' ':(exclude)*.cif' ':(exclude)*.mcif' ':(exclude)scripts/spelling-neighbor.sh')
mapfile -t files < <(git grep -l -I -i 'neighbour' "${scope[@]}" || true)
if [ "${#files[@]}" -eq 0 ]; then
  echo "spelling-neighbor: nothing to change"
  exit 0
fi
sed -i -e 's/neighbour/neighbor/g' -e 's/Neighbour/Neighbor/g' -e 's/NEIGHBOUR/NEIGHBOR/g' "${files[@]}"
printf '%s\n' "${files[@]}"
if git grep -n -I -i 'neighbour' "${scope[@]}"; then
  echo "spelling-neighbor: the lines above still say neighbour (another capitalisation); change them by hand" >&2
  exit 1
fi
echo "spelling-neighbor: ${#files[@]} files changed"
