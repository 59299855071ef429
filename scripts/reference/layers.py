"""Reference values for test/models/layers/*.test.ts (radial bases, cutoffs, activations, torch layouts).

Formulas from shared/docs/architectures.md (sections 2, 5.4, 6.2, 1) evaluated in float64 with numpy/scipy, the
activations and the Linear/Sequential/Embedding layouts with torch 1.13.
Run: /usr/bin/python3 scripts/reference/layers.py > test/fixtures/layers-ref.json"""
import json

import numpy as np
import torch
from scipy.optimize import brentq
from scipy.special import spherical_jn

D = np.array([0.3, 1.0, 2.5, 3.7, 4.99, 5.0, 6.2])
RC = 5.0


def sbf_roots(max_l, max_n):
    """(n+1)-th positive roots of j_l, bracketed by sign changes on a fine grid."""
    roots = []
    for l in range(max_l):
        xs = np.linspace(0.5, 40, 40000)
        ys = spherical_jn(l, xs)
        found = [brentq(lambda x: spherical_jn(l, x), xs[i], xs[i + 1]) for i in range(len(xs) - 1) if ys[i] * ys[i + 1] < 0]
        roots.append(found[:max_n])
    return roots


def sbf(d, max_n, max_l, rc):
    z = sbf_roots(max_l, max_n)
    dc = np.minimum(d, rc)
    cols = []
    for l in range(max_l):
        for n in range(max_n):
            cols.append(np.sqrt(2 / rc**3) * spherical_jn(l, z[l][n] * dc / rc) / abs(spherical_jn(l + 1, z[l][n])))
    return np.stack(cols, 1)


def envelope(d, rc, p):
    x = d / rc
    f = 1 - 0.5 * (p + 1) * (p + 2) * x**p + p * (p + 2) * x ** (p + 1) - 0.5 * p * (p + 1) * x ** (p + 2)
    return np.where(d <= rc, f, 0.0)


mu = np.linspace(0, RC, 20)
delta = mu[1] - mu[0]
cg_mu = np.arange(0, 8 + 0.2, 0.2)
X = np.array([-100.0, -30.0, -5.0, -1.0, 0.0, 0.5, 3.0, 15.0, 25.0, 80.0])
xt = torch.tensor(X, dtype=torch.float64)

torch.manual_seed(0)
lin = torch.nn.Linear(3, 2).double()
seq = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.SiLU(), torch.nn.Linear(4, 2)).double()
emb = torch.nn.Embedding(5, 3, padding_idx=0).double()
xin = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=torch.float64)
state = lambda m: {k: {"shape": list(v.shape), "data": v.flatten().tolist()} for k, v in m.state_dict().items()}

out = {
    "d": D.tolist(),
    "cutoff": RC,
    "gaussian": {"n_rbf": 20, "values": np.exp(-0.5 * (D[:, None] - mu[None, :]) ** 2 / delta**2).tolist()},
    "cgcnn": {"k": len(cg_mu), "values": np.exp(-((D[:, None] - cg_mu[None, :]) ** 2) / 0.2**2).tolist()},
    "bessel": {"nmax": 3, "values": (np.sqrt(2 / RC) * np.sin(np.arange(1, 4)[None, :] * np.pi * D[:, None] / RC) / D[:, None]).tolist()},
    "sbf33": sbf(D, 3, 3, RC).tolist(),
    "sbf44": sbf(D, 4, 4, RC).tolist(),
    "sbf_roots": sbf_roots(4, 4),
    "cosine": (0.5 * (np.cos(np.pi * D / RC) + 1) * (D < RC)).tolist(),
    "poly3": envelope(D, RC, 3).tolist(),
    "poly5": envelope(D, RC, 5).tolist(),
    "x": X.tolist(),
    "softplus": torch.nn.functional.softplus(xt).tolist(),
    "ssp": (torch.nn.functional.softplus(xt) - np.log(2.0)).tolist(),
    "silu": torch.nn.functional.silu(xt).tolist(),
    "linear": {"state": state(lin), "x": xin.tolist(), "y": lin(xin).tolist()},
    "sequential": {"state": state(seq), "x": xin.tolist(), "y": seq(xin).tolist()},
    "embedding": {"state": state(emb), "idx": [3, 0, 4, 3], "y": emb(torch.tensor([3, 0, 4, 3])).tolist()},
}
print(json.dumps(out))
