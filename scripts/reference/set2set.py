"""Reference values for test/models/layers/set2set.test.ts: DGL `Set2Set` (docs/architectures.md §7) re-expressed with
torch 1.13's own `nn.LSTM` (the same module DGL wraps) and an explicit per-graph softmax, in float64.

Two graphs of 3 and 5 nodes, D = 4, n_iters = 3, n_layers = 3. Also the gradient of Σ out ⊙ W_out w.r.t. the node
features, for a fixed random W_out. Run:
  /usr/bin/python3 scripts/reference/set2set.py > test/fixtures/set2set-ref.json"""
import json

import torch

torch.manual_seed(7)
D, ITERS, LAYERS = 4, 3, 3
sizes = [3, 5]
lstm = torch.nn.LSTM(2 * D, D, LAYERS).double()
x = torch.randn(sum(sizes), D, dtype=torch.float64, requires_grad=True)
graph = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
B = len(sizes)


def set2set(feat):
    h = (feat.new_zeros((LAYERS, B, D)), feat.new_zeros((LAYERS, B, D)))
    q_star = feat.new_zeros(B, 2 * D)
    for _ in range(ITERS):
        q, h = lstm(q_star.unsqueeze(0), h)
        q = q.view(B, D)
        e = (feat * q[graph]).sum(-1)
        alpha = torch.empty_like(e)
        for b in range(B):
            m = graph == b
            alpha[m] = torch.softmax(e[m], 0)
        r = torch.zeros(B, D, dtype=feat.dtype).index_add(0, graph, feat * alpha[:, None])
        q_star = torch.cat([q, r], -1)
    return q_star


out = set2set(x)
w_out = torch.randn(B, 2 * D, dtype=torch.float64)
(grad,) = torch.autograd.grad((out * w_out).sum(), x)
state = {k: {"shape": list(v.shape), "data": v.flatten().tolist()} for k, v in lstm.state_dict().items()}
json.dump({
    "dim": D, "n_iters": ITERS, "n_layers": LAYERS, "sizes": sizes,
    "state": {"lstm." + k: v for k, v in state.items()},
    "x": x.detach().flatten().tolist(),
    "out": out.detach().flatten().tolist(),
    "w_out": w_out.flatten().tolist(),
    "grad_x": grad.flatten().tolist(),
}, __import__("sys").stdout, indent=1)
