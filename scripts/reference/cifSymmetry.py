#!/usr/bin/python3
"""Reference values for the CIF reader's symmetry (data/cifSymmetry.ts, data/spaceGroups.ts) and the
real-world CIF cases of issue #23, from pymatgen 2022.11.7 (Debian python3-pymatgen).

Run with the system interpreter from the repository root:
    /usr/bin/python3 scripts/reference/cifSymmetry.py > test/fixtures/cif-symmetry-ref.json

It writes:
- "files": for each CIF under test/fixtures/cif/, pymatgen's structure (conventional cell): the number
  of sites, the sorted element list, and the sorted distances of get_neighbor_list(5.0) (d <= 5 A, self
  excluded). A file whose symmetry pymatgen cannot read from the CIF (it falls back to P1 for
  'P 1 21/n 1' style symbols that its table lacks, and for Hall symbols) is expanded instead, as
  Structure.from_spacegroup does, with the operations of pymatgen's own table entry for the same
  setting (recorded as "route").
  Every structure of a multi-block file is listed ("structures"), in file order. (pymatgen cannot
  read 'R -3 m :H' either; symbol-rhombohedral-H.cif also gives _space_group_IT_number 166, which
  pymatgen then expands on hexagonal axes: the same setting.)
- "numbers": for each International Tables number 1..230, the orbit of a generic point under
  pymatgen's SpaceGroup.from_int_number(n) (its standard setting).
- "settings": for each entry of pymatgen's space-group table (symm_ops.json, the COD list of settings),
  its Hall symbol, Hermann-Mauguin symbols and the orbit of the same generic point.
- "cifparser": for each distinct H-M symbol of that table (without a basis change), the orbit of the
  generic atom when pymatgen's CifParser reads a CIF that gives only that symbol, or null where it falls
  back to P1 (its own symbol resolution: which origin and axes a bare symbol means).
An orbit is the set of images of GENERIC wrapped into [0, 1), each written '%.4f,%.4f,%.4f', sorted;
the fixture keeps its size and the first 16 hex digits of the SHA-1 of the images joined with ';'.
"""
import hashlib
import json
import math
import os
import sys
import warnings

from monty.serialization import loadfn
import numpy as np
import pymatgen.symmetry
from pymatgen.core import Structure
from pymatgen.io.cif import CifParser, str2float
from pymatgen.symmetry.groups import SpaceGroup
from pymatgen.core.operations import SymmOp
from pymatgen.util.coord import in_coord_list_pbc

GENERIC = (0.1234, 0.2345, 0.3456)
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
CIF_DIR = os.path.join(ROOT, "test", "fixtures", "cif")

# For files whose symmetry pymatgen may fail to take from the CIF (it warns "Defaulting to P1"): the
# table entry (universal H-M symbol in symm_ops.json) of the same setting, to expand instead.
FROM_TABLE = {
    "symbol-monoclinic.cif": "P 1 21/n 1",
    "symbol-rhombohedral-H.cif": "R -3 m :H",
    "symbol-hall.cif": "P n m a",
}

# The cells and the generic atom of the symbol-only CIFs ("cifparser"): the same in the TypeScript test.
CELL_ORTHO = "".join(f"_cell_{k} {v}\n" for k, v in [("length_a", 5), ("length_b", 6), ("length_c", 7), ("angle_alpha", 90), ("angle_beta", 90), ("angle_gamma", 90)])
CELL_HEX = "".join(f"_cell_{k} {v}\n" for k, v in [("length_a", 4), ("length_b", 4), ("length_c", 7), ("angle_alpha", 90), ("angle_beta", 90), ("angle_gamma", 120)])
CELL_R = "".join(f"_cell_{k} {v}\n" for k, v in [("length_a", 6), ("length_b", 6), ("length_c", 6), ("angle_alpha", 50), ("angle_beta", 50), ("angle_gamma", 50)])
GENERIC_ATOM = "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nLi1 %s %s %s\n" % GENERIC

# Files with a structure that states no symmetry at all (P1 is right for it).
LISTS_NO_SYMMETRY = {"two-blocks.cif"}


def wrap(x):
    w = x - math.floor(x)
    return 0.0 if w >= 1.0 else w


def orbit(ops):
    images = set()
    for op in ops:
        p = op.operate(GENERIC)
        images.add("%.4f,%.4f,%.4f" % tuple(wrap(v) for v in p))
    images = sorted(images)
    return {"size": len(images), "sha1": hashlib.sha1(";".join(images).encode()).hexdigest()[:16]}


def describe(s):
    distances = sorted(float(d) for d in s.get_neighbor_list(5.0)[3])
    return {
        "sites": len(s),
        "elements": sorted(site.specie.symbol for site in s),
        "distances5": distances,
    }


def main():
    table = loadfn(os.path.join(os.path.dirname(pymatgen.symmetry.__file__), "symm_ops.json"))
    by_universal = {e["universal_h_m"]: e for e in table}
    out = {"pymatgen": "2022.11.7", "generic": GENERIC, "files": {}, "numbers": {}, "settings": []}

    for name in sorted(os.listdir(CIF_DIR)):
        path = os.path.join(CIF_DIR, name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parser = CifParser(path)
            read = parser.get_structures(primitive=False)
            fell_back = any("Defaulting to P1" in w for w in parser.warnings)
            if not fell_back:
                routes, structures = ["CifParser"] * len(read), read
            elif name in FROM_TABLE:
                # pymatgen 2022.11.7's P1 fallback parses 'x', 'y', 'z' as three operations and moves
                # atoms: expand the rows as written with the operations of the same setting instead
                block = next(iter(parser._cif.data.values()))
                ops = [SymmOp.from_xyz_string(x) for x in by_universal[FROM_TABLE[name]]["symops"]]
                routes, structures = [f"orbits under symm_ops.json '{FROM_TABLE[name]}'"], [expand(ops, read[0].lattice, rows(block))]
            elif name in LISTS_NO_SYMMETRY:
                routes, structures = [], []
                for block in parser._cif.data.values():
                    if "_atom_site_fract_x" not in block.data:
                        continue  # a header block: pymatgen skips it too
                    one = CifParser.from_string(str(block))
                    s = one.get_structures(primitive=False)[0]
                    if any("Defaulting to P1" in w for w in one.warnings):
                        s = expand([SymmOp.from_xyz_string("x, y, z")], s.lattice, rows(block))
                        routes.append("P1 (no symmetry stated), rows as written")
                    else:
                        routes.append("CifParser")
                    structures.append(s)
            else:
                sys.exit(f"{name}: pymatgen fell back to P1; add it to FROM_TABLE or LISTS_NO_SYMMETRY")
        out["files"][name] = {"routes": routes, "structures": [describe(s) for s in structures]}

    for n in range(1, 231):
        out["numbers"][str(n)] = orbit(SpaceGroup.from_int_number(n).symmetry_ops)

    for e in table:
        ops = [SymmOp.from_xyz_string(s) for s in e["symops"]]
        out["settings"].append({
            "number": e["number"],
            "hall": e["hall"].strip(),
            "universal_h_m": e["universal_h_m"],
            "hermann_mauguin": e["hermann_mauguin"],
            **orbit(ops),
        })
    # pymatgen's own reading of symbol-only CIFs: each distinct H-M symbol of its table (no basis change)
    out["cifparser"] = []
    symbols = sorted({e[k] for e in table for k in ("hermann_mauguin", "universal_h_m") if "(" not in e[k]})
    for symbol in symbols:
        number = next(e["number"] for e in table if symbol in (e["hermann_mauguin"], e["universal_h_m"]))
        cell = CELL_R if ":R" in symbol else CELL_HEX if 143 <= number <= 194 else CELL_ORTHO
        text = "data_s\n" + cell + f"_symmetry_space_group_name_H-M '{symbol}'\n" + GENERIC_ATOM
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parser = CifParser.from_string(text)
            s = parser.get_structures(primitive=False)[0]
        if any("Defaulting to P1" in w for w in parser.warnings):
            out["cifparser"].append({"symbol": symbol, "number": number, "orbit": None})
            continue
        ops = [SymmOp.from_rotation_and_translation(np.eye(3), site.frac_coords - np.array(GENERIC)) for site in s]
        out["cifparser"].append({"symbol": symbol, "number": number, "orbit": orbit(ops)})
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


def rows(block):
    """The atom-site rows of a CIF block as written: (element, fractional coordinates)."""
    d = block.data
    symbols = d.get("_atom_site_type_symbol") or d["_atom_site_label"]
    out = []
    for k, sym in enumerate(symbols):
        element = sym[:2] if len(sym) > 1 and sym[1].islower() else sym[:1]
        out.append((element, [str2float(d[f"_atom_site_fract_{a}"][k]) for a in "xyz"]))
    return out


def expand(ops, lattice, asymmetric):
    """What Structure.from_spacegroup does with a group's operations (SpaceGroup.get_orbit per site:
    images rounded to 1e-10, wrapped, kept unless within 1e-4 of one already kept), for operations
    taken from the table rather than from a symbol pymatgen would parse."""
    species, coords = [], []
    for element, frac in asymmetric:
        kept = []
        for op in ops:
            p = np.mod(np.round(op.operate(frac), decimals=10), 1)
            if not kept or not in_coord_list_pbc(kept, p, atol=1e-4):
                kept.append(p)
        species.extend([element] * len(kept))
        coords.extend(kept)
    return Structure(lattice, species, coords)


if __name__ == "__main__":
    main()
