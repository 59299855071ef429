import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Embedding } from '../../../models/layers/embedding.js';
import type { StateTensor } from '../../../models/layers/module.js';
import { expectClose, expectNoLeakAsync, forEachBackend, tidyAsync } from '../../helpers/backends.js';
import { fixturesDir } from '../../helpers/paths.js';

/** torch.nn.Embedding(5, 3, padding_idx=0) weights and a lookup (scripts/reference/layers.py). */
const ref = JSON.parse(readFileSync(join(fixturesDir, 'layers-ref.json'), 'utf8')) as {
  embedding: { state: Record<string, { shape: number[]; data: number[] }>; idx: number[]; y: number[][] };
};

forEachBackend('Embedding', (t) => {
  t('lookup equals torch, including the zero padding row', async () => {
    const e = new Embedding(5, 3, { paddingIdx: 0 });
    const w = ref.embedding.state.weight;
    e.loadState(new Map<string, StateTensor>([['weight', { shape: w.shape, data: Float32Array.from(w.data) }]]));
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        const y = e.apply(tf.tensor1d(ref.embedding.idx, 'int32'));
        assert.equal(y.shape, [4, 3]);
        expectClose(await y.data(), ref.embedding.y.flat(), { atol: 0, rtol: 1e-7 });
      }),
    );
    e.dispose();
  });

  t('padding row: zero at init and after initialize, never updated by Adam; others are', async () => {
    const e = new Embedding(4, 2, { paddingIdx: 1 }).initialize(3);
    assert.equal(Array.from((await e.weight.data()).slice(2, 4)), [0, 0]);
    const before = Float32Array.from(await e.weight.data());
    const z = tf.tensor1d([1, 2, 1, 0], 'int32');
    const opt = tf.train.adam(0.1);
    for (let i = 0; i < 3; i++) opt.minimize(() => tf.sum(tf.square(tf.sub(e.apply(z), 1))), false, [e.weight]);
    const after = await e.weight.data();
    assert.equal(Array.from(after.slice(2, 4)), [0, 0]);
    for (const row of [0, 2]) assert.ok(after[2 * row] !== before[2 * row], `row ${row} did not move`);
    assert.equal(Array.from(after.slice(6, 8)), Array.from(before.slice(6, 8))); // row 3 unused
    // a loaded non-zero padding row is used as stored (PyTorch semantics) and still gets no gradient
    e.loadState(new Map([['weight', { shape: [4, 2], data: Float32Array.from([0, 0, 5, 6, 0, 0, 0, 0]) }]]));
    assert.equal(Array.from((await e.apply(z).data()).slice(0, 2)), [5, 6]);
    const { grads } = tf.variableGrads(() => tf.sum(e.apply(z)) as tf.Scalar, [e.weight]);
    assert.equal(Array.from(await grads[e.weight.name].data()), [1, 1, 0, 0, 1, 1, 0, 0]);
    tf.dispose([z, grads]);
    opt.dispose();
    e.dispose();
  });
});

test('negative paddingIdx counts from the end; out of range throws', () => {
  const e = new Embedding(5, 2, { paddingIdx: -1 });
  assert.is(e.paddingIdx, 4);
  assert.equal(e.getConfig(), { numEmbeddings: 5, dim: 2, paddingIdx: 4 });
  assert.throws(() => new Embedding(5, 2, { paddingIdx: 5 }), /out of range/);
  const plain = new Embedding(100, 8);
  assert.equal([...plain.namedParameters().keys()], ['weight']);
  assert.is(plain.countParameters(), 800);
  e.dispose();
  plain.dispose();
});

test.run();
