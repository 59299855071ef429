"""Fixtures for test/train/safetensors.test.ts.

1. test/fixtures/safetensors-mixed.safetensors: one tensor per dtype our reader converts (F64, F32, F16, BF16, I64,
   I32, U8, BOOL), written here from the format spec with numpy/torch (not with our writer), with __metadata__ and
   the header padded to a multiple of 8 bytes. Data is stored in a deliberately non-sorted order.
2. test/fixtures/safetensors-ref.json: the expected float values of (1), and for the shared SchNet reference weights
   (shared/pretrained/schnetpack-reference/schnet/weights.safetensors) each tensor's shape, float64 sum and first value.
Run: /usr/bin/python3 scripts/reference/safetensors.py  (writes both files)"""
import json
import os
import struct

import numpy as np
import torch

root = os.path.join(os.path.dirname(__file__), '..', '..')
fixtures = os.path.join(root, 'test', 'fixtures')
shared = os.environ.get('CRYSTAL_GNN_SHARED', os.path.join(root, '..', 'shared'))

vals = [0.5, -1.25, 3.0, 1e-3, 65504.0 / 4, -2.0]
tensors = [
    ('z_f64', 'F64', [2, 3], np.array(vals, dtype='<f8').tobytes()),
    ('a_f32', 'F32', [3, 2], np.array(vals, dtype='<f4').tobytes()),
    ('half', 'F16', [6], np.array(vals, dtype='<f2').tobytes()),
    ('brain', 'BF16', [6], torch.tensor(vals, dtype=torch.bfloat16).view(torch.int16).numpy().astype('<i2').tobytes()),
    ('long', 'I64', [2, 2], np.array([-3, 0, 7, 2**40], dtype='<i8').tobytes()),
    ('int', 'I32', [3], np.array([-7, 0, 2**30], dtype='<i4').tobytes()),
    ('bytes', 'U8', [2], np.array([0, 255], dtype='u1').tobytes()),
    ('flags', 'BOOL', [3], np.array([True, False, True], dtype='u1').tobytes()),
    ('scalar', 'F32', [], np.array([42.0], dtype='<f4').tobytes()),
]
header, blob = {'__metadata__': {'format': 'pt', 'note': 'mixed dtypes'}}, b''
for name, dtype, shape, data in tensors:
    header[name] = {'dtype': dtype, 'shape': shape, 'data_offsets': [len(blob), len(blob) + len(data)]}
    blob += data
h = json.dumps(header, separators=(',', ':')).encode()
h += b' ' * ((8 - len(h) % 8) % 8)
with open(os.path.join(fixtures, 'safetensors-mixed.safetensors'), 'wb') as f:
    f.write(struct.pack('<Q', len(h)) + h + blob)

expected = {
    'z_f64': np.array(vals, dtype='<f8').astype(np.float32).tolist(),
    'a_f32': np.array(vals, dtype='<f4').tolist(),
    'half': np.array(vals, dtype='<f2').astype(np.float32).tolist(),
    'brain': torch.tensor(vals, dtype=torch.bfloat16).float().tolist(),
    'long': [-3.0, 0.0, 7.0, float(2**40)],
    'int': [-7.0, 0.0, float(2**30)],
    'bytes': [0.0, 255.0],
    'flags': [1.0, 0.0, 1.0],
    'scalar': [42.0],
}

path = os.path.join(shared, 'pretrained', 'schnetpack-reference', 'schnet', 'weights.safetensors')
with open(path, 'rb') as f:
    n = struct.unpack('<Q', f.read(8))[0]
    sh = json.loads(f.read(n))
    data = f.read()
schnet = {}
for k, v in sh.items():
    if k == '__metadata__':
        continue
    a = np.frombuffer(data[v['data_offsets'][0]:v['data_offsets'][1]], dtype='<f4').astype(np.float64)
    schnet[k] = {'shape': v['shape'], 'sum': float(a.sum()), 'first': float(a[0])}
with open(os.path.join(fixtures, 'safetensors-ref.json'), 'w') as f:
    json.dump({'mixed': expected, 'mixed_metadata': header['__metadata__'], 'schnet': schnet, 'schnet_metadata': sh['__metadata__']}, f)
    f.write('\n')
