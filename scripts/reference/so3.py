"""Reference values for test/models/layers/sphericalHarmonics.test.ts: real spherical harmonics up to l = 3 of a
few unit vectors, from scipy's complex Y_l^m (Condon-Shortley phase included) turned real with the complex → real
unitary of scripts/generate/clebschGordan.py (docs/architectures.md §5.1; no Condon-Shortley sign remains).
Run: /usr/bin/python3 scripts/reference/so3.py > test/fixtures/so3-ref.json"""
import json
import math
import os
import sys

import numpy as np
from scipy.special import sph_harm

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "generate"))
from clebschGordan import LMAX, LS, MS, complex_to_real  # noqa: E402

rng = np.random.default_rng(5)
vectors = rng.normal(size=(6, 3))
vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
vectors = np.vstack([vectors, [[0.36, 0.48, 0.8], [0, 0, 1], [0, 0, -1], [1, 0, 0]]])
u = complex_to_real()
values = []
for x, y, z in vectors:
    theta, phi = math.acos(max(-1.0, min(1.0, z))), math.atan2(y, x)
    yc = np.array([sph_harm(m, l, phi, theta) for l, m in zip(LS, MS)])
    yr = u @ yc
    assert np.abs(yr.imag).max() < 1e-12
    values.append(yr.real.tolist())
json.dump({"lmax": LMAX, "vectors": vectors.tolist(), "values": values}, sys.stdout, indent=1)
