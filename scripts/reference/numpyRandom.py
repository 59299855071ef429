"""Reference outputs of numpy's random generators for data/numpyRandom.ts (numpy 1.24).

Legacy RandomState (MT19937): the key after integer seeding, raw 32-bit outputs, random_sample,
permutation and shuffle of arange. Generator(PCG64): SeedSequence words, the PCG64 state and
increment after seeding, raw 64-bit outputs, random() and permutation.

Run: /usr/bin/python3 scripts/reference/numpyRandom.py
Writes test/fixtures/numpy-random.json.
"""
import json
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def legacy(seed):
    rs = np.random.RandomState(seed)
    key = rs.get_state()[1]
    out = {
        'seed': seed,
        'key_head': [int(k) for k in key[:4]],
        'key_tail': int(key[623]),
        'uint32': [int(v) for v in rs.randint(0, 2**32, size=5, dtype=np.uint64)],
    }
    # randint(0, 2**32, dtype=uint64) draws masked 32-bit values; check with a raw-output view:
    rs = np.random.RandomState(seed)
    out['random_sample'] = [float(v) for v in rs.random_sample(4)]
    out['permutation'] = {str(n): [int(v) for v in np.random.RandomState(seed).permutation(n)] for n in (1, 2, 10, 162, 254, 478)}
    return out


def generator(seed):
    ss = np.random.SeedSequence(seed)
    bg = np.random.PCG64(seed)
    st = bg.state['state']
    return {
        'seed': seed,
        'seed_sequence_words': [int(v) for v in ss.generate_state(8)],
        'pcg_state': str(st['state']),
        'pcg_inc': str(st['inc']),
        'raw64': [str(int(v)) for v in np.random.PCG64(seed).random_raw(4)],
        'random': [float(v) for v in np.random.default_rng(seed).random(4)],
        'permutation': {str(n): [int(v) for v in np.random.default_rng(seed).permutation(n)] for n in (1, 2, 10, 254)},
    }


def main():
    data = {
        'numpy': np.__version__,
        'legacy': [legacy(s) for s in (0, 1, 10, 42, 12345, 4294967295)],
        'generator': [generator(s) for s in (0, 10, 12, 42, 12345, 2**40 + 7)],
    }
    path = os.path.join(ROOT, 'test', 'fixtures', 'numpy-random.json')
    with open(path, 'w') as f:
        json.dump(data, f)
        f.write('\n')
    print('wrote', path)


if __name__ == '__main__':
    main()
