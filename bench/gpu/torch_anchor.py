#!/usr/bin/env python3
"""PyTorch anchor for the GPU benchmark (bench/gpu/run.sh): the paper-best SchNet and CGCNN epochs in plain PyTorch.

Reads the graphs bench/gpu/exportGraphs.ts wrote (the same crystals, neighbor lists, targets and config as the
webgpu epochs) and times training epochs with the config's widths, batch size, optimiser and loss:

  python3 bench/gpu/torch_anchor.py --graphs /tmp/schnet.graphs --epochs 3 [--device cuda] [--out result.json]

The models follow the upstream PyTorch code our models port (docs: models/schnet.ts, models/cgcnn.ts):
- SchNet as SchNetPack 2.x: Gaussian RBF on [0, r_c], cosine cutoff, filters per directed edge, in2f / f2out,
  residual interaction blocks, Atomwise head (F -> F/2 -> 1, SiLU), mean over atoms.
- CGCNN as txie-93/cgcnn: atom_init (92) embedding, K = max_num_nbr neighbor slots per atom padded with the first
  atom of the crystal at radius + 1, fc_full on [h_i, h_j, u_ij], bn1, sigmoid * softplus gate, bn2, softplus;
  mean pooling, softplus, conv_to_fc, softplus, fc_out.
Only plain PyTorch (no torch_geometric / schnetpack). Timing anchor only: weights are PyTorch's own initialisation.
"""
import argparse
import json
import math
import time

import torch
from torch import nn
import torch.nn.functional as F


def read_graphs(path):
    with open(path, 'rb') as f:
        header = json.loads(f.readline())
        payload = f.read()
    samples, offset = [], 0

    def take(n, dtype):
        nonlocal offset
        t = torch.frombuffer(bytearray(payload[offset:offset + 4 * n]), dtype=dtype) if n else torch.zeros(0, dtype=dtype)
        offset += 4 * n
        return t

    for s in header['samples']:
        n, e = s['atoms'], s['edges']
        numbers, src, dst, dist = take(n, torch.int32), take(e, torch.int32), take(e, torch.int32), take(e, torch.float32)
        samples.append({'numbers': numbers.long(), 'src': src.long(), 'dst': dst.long(), 'dist': dist, 'target': s['target']})
    if offset != len(payload):
        raise SystemExit(f'error: {path}: {len(payload) - offset} bytes left after {len(samples)} crystals')
    return header, samples


def ssp(x):
    return F.softplus(x) - math.log(2.0)


class SchNet(nn.Module):
    def __init__(self, n_atom_basis, n_interactions, n_rbf, cutoff, n_filters=None, aggregation='mean'):
        super().__init__()
        nf = n_filters or n_atom_basis
        self.cutoff, self.aggregation = cutoff, aggregation
        self.register_buffer('centers', torch.linspace(0, cutoff, n_rbf))
        self.width = cutoff / (n_rbf - 1)
        self.embedding = nn.Embedding(100, n_atom_basis)
        self.blocks = nn.ModuleList()
        for _ in range(n_interactions):
            self.blocks.append(nn.ModuleDict({
                'in2f': nn.Linear(n_atom_basis, nf, bias=False),
                'filter1': nn.Linear(n_rbf, nf), 'filter2': nn.Linear(nf, nf),
                'f2out1': nn.Linear(nf, n_atom_basis), 'f2out2': nn.Linear(n_atom_basis, n_atom_basis),
            }))
        self.head1 = nn.Linear(n_atom_basis, max(1, n_atom_basis // 2))
        self.head2 = nn.Linear(max(1, n_atom_basis // 2), 1)

    def forward(self, b):
        d = b['dist']
        rbf = torch.exp(-0.5 * ((d[:, None] - self.centers) / self.width) ** 2)
        fcut = (0.5 * (torch.cos(d * math.pi / self.cutoff) + 1.0) * (d < self.cutoff)).unsqueeze(1)
        x = self.embedding(b['numbers'])
        for blk in self.blocks:
            w = blk['filter2'](ssp(blk['filter1'](rbf))) * fcut
            messages = blk['in2f'](x)[b['dst']] * w
            agg = torch.zeros_like(x[:, :messages.shape[1]]).index_add_(0, b['src'], messages)
            x = x + blk['f2out2'](ssp(blk['f2out1'](agg)))
        per_atom = self.head2(F.silu(self.head1(x))).squeeze(1)
        return pool(per_atom, b, self.aggregation)


class CGCNN(nn.Module):
    def __init__(self, atom_init, atom_fea_len, n_conv, h_fea_len, n_h, max_num_nbr, radius, dmin=0.0, step=0.2):
        super().__init__()
        self.register_buffer('atom_table', atom_init)
        self.K, self.radius = max_num_nbr, radius
        self.register_buffer('centers', torch.arange(dmin, radius + step / 2, step))
        self.step = step
        nbr_len, fl = self.centers.numel(), atom_fea_len
        self.embedding = nn.Linear(atom_init.shape[1], fl)
        self.convs = nn.ModuleList(nn.ModuleDict({
            'fc_full': nn.Linear(2 * fl + nbr_len, 2 * fl), 'bn1': nn.BatchNorm1d(2 * fl), 'bn2': nn.BatchNorm1d(fl),
        }) for _ in range(n_conv))
        self.conv_to_fc = nn.Linear(fl, h_fea_len)
        self.fcs = nn.ModuleList(nn.Linear(h_fea_len, h_fea_len) for _ in range(n_h - 1))
        self.fc_out = nn.Linear(h_fea_len, 1)

    def forward(self, b):
        h = self.embedding(self.atom_table[b['numbers']])
        nbr_idx, nbr_dist = b['nbr_idx'], b['nbr_dist']
        u = torch.exp(-((nbr_dist.unsqueeze(2) - self.centers) ** 2) / self.step ** 2)
        N, M = nbr_idx.shape
        for conv in self.convs:
            fl = h.shape[1]
            total = torch.cat([h.unsqueeze(1).expand(N, M, fl), h[nbr_idx], u], dim=2)
            gated = conv['bn1'](conv['fc_full'](total).view(-1, 2 * fl)).view(N, M, 2 * fl)
            nbr_filter, nbr_core = gated.chunk(2, dim=2)
            summed = (torch.sigmoid(nbr_filter) * F.softplus(nbr_core)).sum(dim=1)
            h = F.softplus(h + conv['bn2'](summed))
        x = F.softplus(self.conv_to_fc(F.softplus(pool(h, b, 'mean'))))
        for fc in self.fcs:
            x = F.softplus(fc(x))
        return self.fc_out(x).squeeze(1)


def pool(x, b, aggregation):
    shape = (b['num_graphs'],) + tuple(x.shape[1:])
    total = torch.zeros(shape, dtype=x.dtype, device=x.device).index_add_(0, b['graph_of_atom'], x)
    if aggregation == 'sum':
        return total
    return total / b['atom_counts'].view((-1,) + (1,) * (x.dim() - 1))


def cgcnn_slots(s, K, radius):
    """txie-93/cgcnn's neighbor layout: the K nearest per atom (sorted by distance), padded with atom 0 at radius+1."""
    n = s['numbers'].numel()
    order = torch.argsort(s['src'] * 1e4 + s['dist'].double())
    src, dst, dist = s['src'][order], s['dst'][order], s['dist'][order]
    counts = torch.bincount(src, minlength=n)
    starts = torch.cumsum(counts, 0) - counts
    rank = torch.arange(src.numel()) - starts[src]
    keep = rank < K
    nbr_idx = torch.zeros(n, K, dtype=torch.long)
    nbr_dist = torch.full((n, K), radius + 1.0)
    nbr_idx[src[keep], rank[keep]] = dst[keep]
    nbr_dist[src[keep], rank[keep]] = dist[keep]
    return nbr_idx, nbr_dist


def collate(samples, idx, device, cgcnn):
    parts = [samples[i] for i in idx]
    offsets = torch.tensor([0] + [p['numbers'].numel() for p in parts]).cumsum(0)
    b = {
        'num_graphs': len(parts),
        'numbers': torch.cat([p['numbers'] for p in parts]),
        'graph_of_atom': torch.cat([torch.full((p['numbers'].numel(),), g, dtype=torch.long) for g, p in enumerate(parts)]),
        'atom_counts': torch.tensor([float(p['numbers'].numel()) for p in parts]),
        'target': torch.tensor([p['y'] for p in parts]),
    }
    if cgcnn:
        b['nbr_idx'] = torch.cat([p['nbr_idx'] + offsets[g] for g, p in enumerate(parts)])
        b['nbr_dist'] = torch.cat([p['nbr_dist'] for p in parts])
    else:
        b['src'] = torch.cat([p['src'] + offsets[g] for g, p in enumerate(parts)])
        b['dst'] = torch.cat([p['dst'] + offsets[g] for g, p in enumerate(parts)])
        b['dist'] = torch.cat([p['dist'] for p in parts])
    return {k: (v.to(device, non_blocking=True) if torch.is_tensor(v) else v) for k, v in b.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--graphs', required=True)
    ap.add_argument('--epochs', type=int, default=3)
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    ap.add_argument('--threads', type=int, default=0, help='CPU threads (0: PyTorch default)')
    ap.add_argument('--out')
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    header, samples = read_graphs(args.graphs)
    m, tr, cutoff = header['model'], header['training'], header['graph']['cutoff']
    torch.manual_seed(header['seed'])
    targets = torch.tensor([s['target'] for s in samples], dtype=torch.float64)
    mean = targets.mean().item()
    norm = tr['target_normalization']
    std = targets.std().item() if norm == 'standardize' else 1.0
    if norm not in ('mean', 'standardize', 'none'):
        raise SystemExit(f'error: {args.graphs}: training.target_normalization {norm!r} is not supported by the anchor')
    for s in samples:
        s['y'] = (s['target'] - (mean if norm != 'none' else 0.0)) / std

    name = m['name']
    if name == 'schnet':
        model = SchNet(m['n_atom_basis'], m['n_interactions'], m['n_rbf'], cutoff, m.get('n_filters'), m['aggregation'])
    elif name == 'cgcnn':
        ai = header['atom_init']
        table = torch.tensor(ai['rows'], dtype=torch.float32).view(ai['max_z'] + 1, ai['length'])
        model = CGCNN(table, m['atom_fea_len'], m['n_conv'], m['h_fea_len'], m['n_h'], m['max_num_nbr'], cutoff, m['dmin'], m['step'])
        for s in samples:
            s['nbr_idx'], s['nbr_dist'] = cgcnn_slots(s, m['max_num_nbr'], cutoff)
    else:
        raise SystemExit(f'error: {args.graphs}: model {name!r} has no PyTorch anchor (schnet, cgcnn)')
    model.to(args.device)
    if tr['optimizer'] == 'adamw':
        opt = torch.optim.AdamW(model.parameters(), lr=tr['lr'], weight_decay=tr['weight_decay'])
    elif tr['optimizer'] == 'adam':
        opt = torch.optim.Adam(model.parameters(), lr=tr['lr'], weight_decay=tr['weight_decay'] or 0)
    else:
        raise SystemExit(f"error: {args.graphs}: optimizer {tr['optimizer']!r} is not supported by the anchor")
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=tr['epochs']) if tr['scheduler'] == 'cosine' else None

    sync = torch.cuda.synchronize if args.device.startswith('cuda') else (lambda: None)
    gen = torch.Generator().manual_seed(header['seed'])
    bs, times, losses = tr['batch_size'], [], []
    model.train()
    for _ in range(args.epochs):
        sync()
        t0 = time.perf_counter()
        perm = torch.randperm(len(samples), generator=gen).tolist()
        total = torch.zeros((), device=args.device)
        for k in range(0, len(perm), bs):
            b = collate(samples, perm[k:k + bs], args.device, name == 'cgcnn')
            loss = F.mse_loss(model(b), b['target'])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * b['num_graphs']
        if sched:
            sched.step()
        epoch_loss = total.item() / len(samples)  # the one host read per epoch (it also waits for the device)
        sync()
        times.append(time.perf_counter() - t0)
        losses.append(epoch_loss)
    steady = min(times[1:]) if len(times) > 1 else times[0]
    result = {
        'model': name, 'framework': f'pytorch {torch.__version__}', 'device': args.device,
        'device_name': torch.cuda.get_device_name(0) if args.device.startswith('cuda') else f'cpu ({torch.get_num_threads()} threads)',
        'structures': len(samples), 'edges': sum(s['src'].numel() for s in samples), 'batch_size': bs,
        'epoch_seconds': [round(t, 3) for t in times], 'steady_epoch_seconds': round(steady, 3),
        'epoch_losses': [round(v, 5) for v in losses],
        'trainable_parameters': sum(p.numel() for p in model.parameters() if p.requires_grad),
    }
    line = json.dumps(result)
    print(line)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(line + '\n')


if __name__ == '__main__':
    main()
