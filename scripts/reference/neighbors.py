"""Reference neighbor-list values for graph/neighbors.ts and graph/knn.ts (pymatgen 2022.11.7).

For every OBELiX CIF: Structure.from_file, round occupancies the OBELiX way (each site keeps the
first species whose Python round(occ) == 1, with occupancy 1; otherwise the site is removed), then
Structure.get_neighbor_list(r) for r in CUTOFFS. Per file and cutoff we store the edge count and an
order-independent summary of the sorted distances (min, max, sum, sum of squares, quantiles) plus
the per-centre degree histogram. For a few small files we also store the rounded atoms themselves,
the full sorted 5 Å distance list and the CGCNN 12-NN distances (get_all_neighbors(8), top 12),
and ASE neighbor_list distances (strict d < r) at 5 Å.

Run: /usr/bin/python3 scripts/reference/neighbors.py [obelix_cif_dir]
Writes test/fixtures/neighbors-obelix.json.
"""
import json
import os
import sys
import time
import warnings

import numpy as np
from pymatgen.core import Structure

CUTOFFS = [3.0, 4.0, 5.0, 6.0, 8.0]
QUANTILES = [0.1, 0.25, 0.5, 0.75, 0.9]
FULL_FILES = 6  # smallest rounded structures that get full lists
KNN_K, KNN_R = 12, 8.0
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def rounded(path):
    s = Structure.from_file(path)
    keep_species, remove = [], []
    for idx, site in enumerate(s):
        chosen = None
        for sp, occ in site.species.items():
            if round(occ) == 1:
                chosen = sp
                break
        if chosen is None:
            remove.append(idx)
        else:
            keep_species.append((idx, chosen))
    for idx, sp in keep_species:
        s.replace(idx, {sp: 1.0}, coords=s[idx].frac_coords, coords_are_cartesian=False)
    s.remove_sites(remove)
    return s


def summary(d):
    d = np.sort(d)
    n = len(d)
    out = {"count": int(n)}
    if n:
        out.update(
            min=float(d[0]), max=float(d[-1]), sum=float(d.sum()), sumSq=float((d * d).sum()),
            # quantile q = element at floor(q * (n - 1)) of the sorted list (an actual distance)
            quantiles=[float(d[int(np.floor(q * (n - 1)))]) for q in QUANTILES],
        )
    return out


def degree_histogram(centres, n_atoms):
    deg = np.bincount(centres, minlength=n_atoms)
    vals, counts = np.unique(deg, return_counts=True)
    return {str(int(v)): int(c) for v, c in zip(vals, counts)}


def knn_distances(s):
    rows = []
    for nbrs in s.get_all_neighbors(KNN_R):
        d = sorted(n.nn_distance for n in nbrs)[:KNN_K]
        rows.append([round(x, 12) for x in d])
    return rows


def ase_distances(s, r):
    from ase import Atoms
    from ase.neighborlist import neighbor_list

    atoms = Atoms(numbers=[sp.Z for sp in s.species], cell=s.lattice.matrix, scaled_positions=s.frac_coords, pbc=True)
    return neighbor_list("d", atoms, r, self_interaction=False)


def main():
    cif_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "obelix", "cifs")
    names = sorted(f for f in os.listdir(cif_dir) if f.endswith(".cif"))
    files, structures = {}, {}
    t0 = time.time()
    for name in names:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = rounded(os.path.join(cif_dir, name))
        structures[name] = s
        entry = {"atoms": len(s), "cutoffs": {}}
        for r in CUTOFFS:
            c, p, img, dist = s.get_neighbor_list(r)
            entry["cutoffs"][str(r)] = {**summary(dist), "degrees": degree_histogram(c, len(s))}
        files[name] = entry
    elapsed = time.time() - t0

    small = sorted(names, key=lambda n: (len(structures[n]), n))[:FULL_FILES]
    full = {}
    for name in small:
        s = structures[name]
        c, p, img, dist = s.get_neighbor_list(5.0)
        full[name] = {
            "lattice": s.lattice.matrix.tolist(),
            "numbers": [int(sp.Z) for sp in s.species],
            "frac": s.frac_coords.tolist(),
            "distances5": [round(float(x), 12) for x in np.sort(dist)],
            "knn": knn_distances(s),
            # ASE keeps d < r (strict): the `inclusive: false` reference
            "ase5": [round(float(x), 12) for x in np.sort(ase_distances(s, 5.0))],
        }
    # a couple of mid-sized files for the 12-NN check through the CIF reader
    knn_sample = [n for n in names[::40] if n not in full][:8]
    knn = {n: knn_distances(structures[n]) for n in knn_sample}

    totals = {str(r): sum(f["cutoffs"][str(r)]["count"] for f in files.values()) for r in CUTOFFS}
    out = {
        "generator": "scripts/reference/neighbors.py",
        "pymatgen": __import__("pymatgen.core").core.__version__,
        "cutoffs": CUTOFFS,
        "quantiles": QUANTILES,
        "totals": totals,
        "files": files,
        "full": full,
        "knn": knn,
    }
    path = os.path.join(ROOT, "test", "fixtures", "neighbors-obelix.json")
    with open(path, "w") as fh:
        json.dump(out, fh, separators=(",", ":"))
    print(f"{len(names)} files, totals {totals}, pymatgen parse+round+lists {elapsed:.1f} s -> {path}")


if __name__ == "__main__":
    main()
