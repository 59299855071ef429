"""Reference values for test/models/so3net.test.ts: an independent float64 numpy SO3Net (MatGL layout, written
from docs/architectures.md §5.1-5.4 and §7, not from upstream code) with random weights under MatGL state-dict keys,
on a small triclinic crystal (test/helpers/symmetry.ts smallCrystal) with pymatgen's neighbor list.

Tiny sizes: F = 6, units = 5, nblocks = 2, nmax = 3, lmax = 2, cutoff 3.5 (graph and model), Set2Set(3, 3).
Real SH and CG from scripts/generate/clebschGordan.py's recipe (sympy CG, complex -> real unitary, parity).
Run: /usr/bin/python3 scripts/reference/so3net.py > test/fixtures/so3net-ref.json"""
import json
import math
import os
import sys

import numpy as np
from pymatgen.core import Lattice, Structure
from scipy.special import sph_harm

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "generate"))
import clebschGordan as gen  # noqa: E402

F, U, NB, NMAX, LMAX, RC = 6, 5, 2, 3, 2, 3.5
ELEMENTS = ["H", "Li", "O", "P", "S"]
LATTICE = [[4.1, 0, 0], [0.7, 3.9, 0], [-0.5, 0.4, 4.4]]
FRAC = [[0.1, 0.2, 0.3], [0.6, 0.55, 0.15], [0.35, 0.8, 0.7], [0.85, 0.1, 0.6]]
SPECIES = ["Li", "O", "P", "S"]
S = (LMAX + 1) ** 2
LIDX = [l for l in range(LMAX + 1) for _ in range(2 * l + 1)]

rng = np.random.default_rng(11)
state = {}


def linear(key, n_in, n_out, bias=True):
    b = 1 / math.sqrt(n_in)
    state[key + ".weight"] = rng.uniform(-b, b, (n_out, n_in))
    if bias:
        state[key + ".bias"] = rng.uniform(-b, b, n_out)


emb = rng.normal(size=(len(ELEMENTS), F))
emb[0] = 0.0
state["embedding.weight"] = emb
for k in range(NB):
    linear(f"so3convs.{k}.filternet.layers.0", NMAX, F * (LMAX + 1))
    for m in (1, 2, 3):
        linear(f"mixings{m}.{k}", F, F, bias=False)
    linear(f"gatings.{k}.scaling", F, F * (LMAX + 1))
b = 1 / math.sqrt(F)
for l in range(3):
    n_in = 2 * F if l == 0 else F
    state[f"readout.set2set.lstm.weight_ih_l{l}"] = rng.uniform(-b, b, (4 * F, n_in))
    state[f"readout.set2set.lstm.weight_hh_l{l}"] = rng.uniform(-b, b, (4 * F, F))
    state[f"readout.set2set.lstm.bias_ih_l{l}"] = rng.uniform(-b, b, 4 * F)
    state[f"readout.set2set.lstm.bias_hh_l{l}"] = rng.uniform(-b, b, 4 * F)
linear("final_layer.layers.0", 2 * F, U)
linear("final_layer.layers.2", U, U)
linear("final_layer.layers.4", U, 1)
# float32 round trip, so the TS model (float32 weights) and this float64 model share the same numbers
state = {k: v.astype(np.float32).astype(np.float64) for k, v in state.items()}


def lin(key, x):
    y = x @ state[key + ".weight"].T
    return y + state[key + ".bias"] if key + ".bias" in state else y


def silu(x):
    return x / (1 + np.exp(-x))


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def real_sh(u):
    cu = gen.complex_to_real()
    n = (LMAX + 1) ** 2
    out = []
    for x, y, z in u:
        theta, phi = math.acos(max(-1.0, min(1.0, z))), math.atan2(y, x)
        yc = np.array([sph_harm(m, l, phi, theta) for l, m in zip(gen.LS[:n], gen.MS[:n])])
        out.append((cu[:n, :n] @ yc).real)
    return np.array(out)


CG = gen.real_cg()[:S, :S, :S]


def tp(a, b):
    # a, b [K, S, F] -> [K, S, F]
    return np.einsum("abs,kaf,kbf->ksf", CG, a, b)


structure = Structure(Lattice(LATTICE), SPECIES, FRAC)
i_idx, j_idx, images, dist = structure.get_neighbor_list(RC)
cart = structure.cart_coords
rij = cart[j_idx] + images @ np.array(LATTICE) - cart[i_idx]
d = np.linalg.norm(rij, axis=1)
Y = real_sh(rij / d[:, None])
n = np.arange(1, NMAX + 1)
rad = math.sqrt(2 / RC) * np.sin(n[None] * math.pi * d[:, None] / RC) / d[:, None]
xr = d / RC
env = np.where(d <= RC, 1 - 10 * xr**3 + 15 * xr**4 - 6 * xr**5, 0.0)[:, None]

types = [ELEMENTS.index(s) for s in SPECIES]
N = len(types)
x = np.zeros((N, S, F))
x[:, 0] = state["embedding.weight"][types]
for k in range(NB):
    W = (lin(f"so3convs.{k}.filternet.layers.0", rad) * env).reshape(-1, LMAX + 1, F)[:, LIDX]  # [E, S, F]
    v = tp(W * Y[:, :, None], x[j_idx])
    y = np.zeros_like(x)
    np.add.at(y, i_idx, v)
    y = y + tp(y, y @ state[f"mixings1.{k}.weight"].T)
    y = y @ state[f"mixings2.{k}.weight"].T
    h = lin(f"gatings.{k}.scaling", y[:, 0]).reshape(-1, LMAX + 1, F)[:, LIDX]
    y = y * sigmoid(h)
    x = x + y @ state[f"mixings3.{k}.weight"].T


def set2set(feat):
    h = [np.zeros(F) for _ in range(3)]
    c = [np.zeros(F) for _ in range(3)]
    q_star = np.zeros(2 * F)
    for _ in range(3):
        inp = q_star
        for l in range(3):
            p = "readout.set2set.lstm."
            g = state[p + f"weight_ih_l{l}"] @ inp + state[p + f"bias_ih_l{l}"] + state[p + f"weight_hh_l{l}"] @ h[l] + state[p + f"bias_hh_l{l}"]
            gi, gf, gg, go = np.split(g, 4)
            c[l] = sigmoid(gf) * c[l] + sigmoid(gi) * np.tanh(gg)
            h[l] = sigmoid(go) * np.tanh(c[l])
            inp = h[l]
        q = h[2]
        e = feat @ q
        a = np.exp(e - e.max())
        a /= a.sum()
        q_star = np.concatenate([q, a @ feat])
    return q_star


pooled = set2set(x[:, 0])
out = lin("final_layer.layers.4", silu(lin("final_layer.layers.2", silu(lin("final_layer.layers.0", pooled)))))
json.dump({
    "options": {"name": "so3net", "element_types": ELEMENTS, "dim_node_embedding": F, "units": U, "nblocks": NB,
                "nmax": NMAX, "lmax": LMAX, "cutoff": RC},
    "n_edges": int(len(d)),
    "state": {k: {"shape": list(v.shape), "data": v.flatten().tolist()} for k, v in state.items()},
    "features": x.flatten().tolist(),
    "output": float(out[0]),
}, sys.stdout)
