"""Reference values for test/train/optim.test.ts: torch.optim.Adam / AdamW on a fixed gradient sequence.
Run: /usr/bin/python3 scripts/reference/optim.py > test/fixtures/optim-ref.json"""
import json
import torch

def run(cls, **kw):
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0], dtype=torch.float64))
    opt = cls([p], lr=0.1, **kw)
    for t in range(1, 4):
        opt.zero_grad()
        p.grad = torch.tensor([0.5 * t, 0.25 * t], dtype=torch.float64)
        opt.step()
    return p.detach().tolist()

print(json.dumps({"adam": run(torch.optim.Adam), "adamw": run(torch.optim.AdamW, weight_decay=0.1)}))
