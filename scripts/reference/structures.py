#!/usr/bin/python3
"""Reference values for the CIF reader and the OBELiX occupancy rounding (data/cif.ts, data/rounding.ts).

Run with the system interpreter (pymatgen 2022.11.7):
    /usr/bin/python3 scripts/reference/structures.py [/path/to/obelix/cifs] > test/fixtures/structures-ref.json

For every CIF it records, after pymatgen's `Structure.from_file` (conventional cell, default
tolerances): the number of sites, an order hash of the species on each site, and after the OBELiX
rounding rule the atom count, the composition as sorted (Z, count) pairs and an order hash of the
atomic numbers. For a few small files it also stores the lattice and the fractional coordinates in
pymatgen's site order. The hashes let the TypeScript test check the site order of every file
without storing coordinates: h = (h * 31 + v) mod 1_000_000_007 over a sequence of small ints.
"""
import json
import os
import sys
import warnings

from pymatgen.core import Structure

# Files whose coordinates are stored: hexagonal with 1/3 snapping (11b), triclinic (2t8),
# monoclinic (00x), wrapped loop rows with co-located species (gwu), mixed sites (4p7).
COORD_FILES = ["11b", "2t8", "00x", "gwu", "4p7"]
MOD = 1_000_000_007


def order_hash(values):
    h = 0
    for v in values:
        h = (h * 31 + v) % MOD
    return h


def round_partial_occ(struct):
    """OBELiX utils.round_partial_occ, re-stated: the first species whose Python round(occ) == 1
    takes the site with occupancy 1; a site where none does is removed."""
    s = struct.copy()
    remove = []
    for i, site in enumerate(s):
        for sp, occ in site.species.items():
            if int(round(occ)) == 1:
                s.replace(i, sp)
                break
        else:
            remove.append(i)
    s.remove_sites(remove)
    return s


def main():
    cif_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "..", "..", "shared", "obelix", "cifs")
    files = sorted(f for f in os.listdir(cif_dir) if f.endswith(".cif"))
    out = {"pymatgen": "2022.11.7", "hash": "h = (h*31 + v) % 1000000007", "files": {}, "coords": {}}
    total = 0
    for name in files:
        stem = name[:-4]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = Structure.from_file(os.path.join(cif_dir, name))
        # Site-order hash before rounding: per site the Zs of its species in stored order, then 0.
        seq = []
        for site in s:
            seq.extend(sp.Z for sp in site.species)
            seq.append(0)
        r = round_partial_occ(s)
        zs = [site.specie.Z for site in r]
        comp = {}
        for z in zs:
            comp[z] = comp.get(z, 0) + 1
        total += len(zs)
        out["files"][stem] = {
            "sites": len(s),
            "siteHash": order_hash(seq),
            "atoms": len(zs),
            "composition": [[z, comp[z]] for z in sorted(comp)],
            "atomHash": order_hash(zs),
        }
        if stem in COORD_FILES:
            out["coords"][stem] = {
                "lattice": [[round(x, 12) for x in row] for row in s.lattice.matrix.tolist()],
                "species": [[[sp.symbol, occ] for sp, occ in site.species.items()] for site in s],
                "frac": [[round(x, 10) for x in site.frac_coords.tolist()] for site in s],
            }
    out["totalAtoms"] = total
    json.dump(out, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")
    print(f"{len(files)} files, {total} atoms after rounding", file=sys.stderr)


if __name__ == "__main__":
    main()
