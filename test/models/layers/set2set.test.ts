import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as assert from 'uvu/assert';
import { Set2Set } from '../../../models/layers/set2set.js';
import type { StateTensor } from '../../../models/layers/module.js';
import { expectClose, expectNoLeakAsync, forEachBackend, tidyAsync } from '../../helpers/backends.js';
import { expectGradcheck, gradcheck, gradcheckVariables } from '../../helpers/gradcheck.js';
import { fixturesDir } from '../../helpers/paths.js';

interface Ref {
  dim: number;
  n_iters: number;
  n_layers: number;
  sizes: number[];
  state: Record<string, { shape: number[]; data: number[] }>;
  x: number[];
  out: number[];
  w_out: number[];
  grad_x: number[];
}
const ref = JSON.parse(readFileSync(join(fixturesDir, 'set2set-ref.json'), 'utf8')) as Ref;
const N = ref.sizes.reduce((a, b) => a + b, 0);
const B = ref.sizes.length;
const graphIds = ref.sizes.flatMap((n, g) => new Array<number>(n).fill(g));

function loaded(): Set2Set {
  const m = new Set2Set(ref.dim, ref.n_iters, ref.n_layers);
  const state = new Map<string, StateTensor>(
    Object.entries(ref.state).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }]),
  );
  m.loadState(state);
  return m;
}

forEachBackend('Set2Set', (test) => {
  test('parameter names and count are nn.LSTM(2D, D, 3): 28D² + 24D', async () => {
    const m = new Set2Set(64);
    assert.is(m.countParameters(), 28 * 64 * 64 + 24 * 64);
    assert.is(m.countParameters(), 116224);
    const keys = [...(await m.stateDict()).keys()];
    assert.equal(keys.slice(0, 4), ['lstm.weight_ih_l0', 'lstm.weight_hh_l0', 'lstm.bias_ih_l0', 'lstm.bias_hh_l0']);
    assert.equal((await m.stateDict()).get('lstm.weight_ih_l0')!.shape, [256, 128]);
    assert.equal((await m.stateDict()).get('lstm.weight_ih_l2')!.shape, [256, 64]);
    const bound = 1 / Math.sqrt(64);
    for (const t of (await m.stateDict()).values())
      assert.ok(
        t.data.every((v) => Math.abs(v) <= bound),
        'init within U(±1/√D)',
      );
    m.dispose();
  });

  test('matches torch nn.LSTM + per-graph softmax (float64 reference) and its input gradient', async () => {
    const m = loaded();
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        const x = tf.tensor2d(ref.x, [N, ref.dim]);
        const batch = { graphOfAtom: tf.tensor1d(graphIds, 'int32'), numGraphs: B };
        const out = m.apply(x, batch);
        assert.equal(out.shape, [B, 2 * ref.dim]);
        expectClose(await out.data(), ref.out, { atol: 2e-6, rtol: 1e-5, label: 'out' });
        const w = tf.tensor2d(ref.w_out, [B, 2 * ref.dim]);
        const g = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(m.apply(xx as tf.Tensor2D, batch), w)))(x);
        expectClose(await g.data(), ref.grad_x, { atol: 2e-6, rtol: 1e-4, label: 'grad x' });
      }),
    );
    m.dispose();
  });

  test('each crystal is read out on its own: permuting atoms within and order of crystals', async () => {
    const m = loaded();
    await tidyAsync(async () => {
      const x = tf.tensor2d(ref.x, [N, ref.dim]);
      const full = await m.apply(x, { graphOfAtom: tf.tensor1d(graphIds, 'int32'), numGraphs: B }).array();
      // crystal 1 alone, its atoms reversed
      const rows = Array.from({ length: ref.sizes[1] }, (_, k) => N - 1 - k);
      const alone = await m
        .apply(tf.gather(x, rows) as tf.Tensor2D, {
          graphOfAtom: tf.zeros([rows.length], 'int32') as tf.Tensor1D,
          numGraphs: 1,
        })
        .array();
      expectClose(alone[0], full[1], { atol: 1e-6, label: 'crystal 1 alone' });
    });
    m.dispose();
  });

  test('gradient check of the LSTM weights and the input (finite differences)', async () => {
    const m = loaded();
    const x = tf.tensor2d(ref.x, [N, ref.dim]);
    const batch = { graphOfAtom: tf.tensor1d(graphIds, 'int32'), numGraphs: B };
    const w = tf.tensor2d(ref.w_out, [B, 2 * ref.dim]);
    const loss = () => tf.sum(tf.mul(m.apply(x, batch), w)) as tf.Scalar;
    expectGradcheck(await gradcheckVariables(loss, [...m.trainableVariables().values()], { directions: 3 }), 'weights');
    expectGradcheck(
      await gradcheck((xx) => tf.sum(tf.mul(m.apply(xx as tf.Tensor2D, batch), w)) as tf.Scalar, [x]),
      'input',
    );
    tf.dispose([x, batch.graphOfAtom, w]);
    m.dispose();
  });
});
