"""Reference values of CPython's `random` module for data/pythonRandom.ts and the MatGL search draws.

Run with the system interpreter: /usr/bin/python3 scripts/reference/python_random.py
Writes test/fixtures/python-random.json.

`upstream_draws` repeats the OBELiX MatGL benchmark (benchmark/3d_models/MatGL/main.py with its config.yaml):
random.seed(42) at start-up, then random.sample(list(itertools.product(...)), 100) over the search space, in the
product order main.py builds (singletons is_intensive / target_property / readout_type included).
"""
import itertools
import json
import random
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "python-random.json"

SEEDS = [0, 1, 42, 2**32 - 1, 2**32, 2**40 + 5, -42, 123456789012345678901234567890]
BITS = [1, 7, 31, 32, 33, 53, 64, 100]


def generator_case(seed):
    rng = random.Random(seed)
    key = rng.getstate()[1]
    bits = {str(k): str(rng.getrandbits(k)) for k in BITS}
    return {
        "seed": str(seed),
        "key_head": list(key[:4]),
        "key_tail": key[623],
        "getrandbits": bits,
        "random": [rng.random() for _ in range(3)],
    }


def randbelow_case(seed, ns):
    rng = random.Random(seed)
    return {"seed": seed, "n": [str(n) for n in ns], "values": [str(rng._randbelow(n)) for n in ns]}


def sample_case(seed, n, k):
    rng = random.Random(seed)
    return {"seed": seed, "n": n, "k": k, "indices": rng.sample(range(n), k)}


WIDTHS = [32, 64, 128, 256]
CUTOFFS = [3.0, 4.0, 5.0, 6.0]
HYPER = {"batch_size": [35], "lr": [0.001], "max_epochs": [50]}
SPACES = {
    "m3gnet": {
        "is_intensive": [True], "readout_type": ["set2set"], "nblocks": [1, 2, 3, 4, 5],
        "dim_node_embedding": WIDTHS, "dim_edge_embedding": WIDTHS, "units": WIDTHS,
        "threebody_cutoff": CUTOFFS, "cutoff": CUTOFFS, **HYPER,
    },
    "so3net": {
        "is_intensive": [True], "target_property": ["graph"], "readout_type": ["set2set"], "nmax": [1, 2, 3],
        "lmax": [1], "nblocks": [1, 2, 3, 4, 5], "dim_node_embedding": WIDTHS, "units": WIDTHS,
        "cutoff": CUTOFFS, "nlayers_readout": [1, 2, 3, 4, 5], **HYPER,
    },
}


def upstream_draw(space):
    random.seed(42)
    drawn = random.sample(list(itertools.product(*space.values())), 100)
    return {"keys": list(space), "size": len(list(itertools.product(*space.values()))), "sets": [list(s) for s in drawn]}


def main():
    out = {
        "python": sys.version.split()[0],
        "generator": [generator_case(s) for s in SEEDS],
        "randbelow": [randbelow_case(42, [1, 2, 3, 7, 4800, 5120, 2**31, 2**32, 2**32 + 1, 10**15, 2**53 - 1])],
        # pool path (n <= setsize) and set path, including both sides of the threshold:
        # setsize = 21 for k <= 5; 21 + 4**ceil(log4(3k)) = 85 for k = 6, 1045 for k = 100
        "sample": [
            sample_case(42, 5120, 100), sample_case(42, 4800, 100), sample_case(42, 20, 10),
            sample_case(1, 21, 5), sample_case(1, 22, 5), sample_case(3, 85, 6), sample_case(3, 86, 6),
            sample_case(5, 1045, 100), sample_case(5, 1046, 100), sample_case(9, 10, 10), sample_case(9, 10, 0),
        ],
        "upstream_draws": {name: upstream_draw(space) for name, space in SPACES.items()},
    }
    OUT.write_text(json.dumps(out) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
