#!/usr/bin/python3
"""Small torch files for the TypeScript reader's tests (train/torchFile.ts), written with Debian's python3-torch.

    /usr/bin/python3 scripts/reference/torchFiles.py     # writes test/fixtures/torch/*

- zip.pt: torch's default (zip) container: a nested dict with a float32 parameter, a non-contiguous view
  (transposed, strided slice of a shared storage), a float64 0-dim tensor and an int64 tensor.
- legacy.pt: the same dict in the legacy container (_use_new_zipfile_serialization=False).
- malicious.pt: a zip container whose pickle calls os.system (must be refused without running anything).
- torch-ref.json: the expected values (row-major) and shapes.
"""
import collections, io, json, os, zipfile
import torch

out = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'torch')
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 8
view = base[1:, ::2].t()                      # shape [3, 3], strides (2, 6), offset 6: not contiguous
assert not view.is_contiguous()
weight = torch.nn.Parameter(torch.randn(2, 3))
obj = {
    'state_dict': collections.OrderedDict([('layer.weight', weight), ('layer.base', base), ('layer.view', view)]),
    'nested': {'mean': torch.tensor(-4.1, dtype=torch.float64), 'steps': torch.tensor([3, -2, 7], dtype=torch.int64)},
    'epoch': 12,
}
torch.save(obj, os.path.join(out, 'zip.pt'))
torch.save(obj, os.path.join(out, 'legacy.pt'), _use_new_zipfile_serialization=False)

# GLOBAL os.system, argument tuple, REDUCE: what a hostile checkpoint does.
marker = '/tmp/crystal-gnn-malicious-pickle-ran'
evil = b'\x80\x02cos\nsystem\nX' + len('touch ' + marker).to_bytes(4, 'little') + ('touch ' + marker).encode() + b'\x85R.'
with zipfile.ZipFile(os.path.join(out, 'malicious.pt'), 'w', zipfile.ZIP_STORED) as z:
    z.writestr('archive/data.pkl', evil)
    z.writestr('archive/version', '3\n')

def values(t):
    return {'dtype': str(t.dtype).replace('torch.', ''), 'shape': list(t.shape), 'values': t.detach().reshape(-1).tolist()}

ref = {
    'torch_version': torch.__version__,
    'tensors': {'state_dict.layer.weight': values(weight), 'state_dict.layer.base': values(base), 'state_dict.layer.view': values(view),
                'nested.mean': values(obj['nested']['mean']), 'nested.steps': values(obj['nested']['steps'])},
    'view_storage': {'offset': view.storage_offset(), 'stride': list(view.stride())},
    'malicious_marker': marker,
}
with open(os.path.join(out, 'torch-ref.json'), 'w') as f:
    json.dump(ref, f, indent=1)
    f.write('\n')
