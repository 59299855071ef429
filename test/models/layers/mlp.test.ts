import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Mlp } from '../../../models/layers/mlp.js';
import type { StateTensor } from '../../../models/layers/module.js';
import { expectClose, expectNoLeakAsync, forEachBackend, tidyAsync } from '../../helpers/backends.js';
import { expectGradcheck, gradcheckVariables } from '../../helpers/gradcheck.js';
import { fixturesDir } from '../../helpers/paths.js';

/** torch.nn.Sequential(Linear(3, 4), SiLU(), Linear(4, 2)): keys 0.*, 2.* (scripts/reference/layers.py). */
const ref = JSON.parse(readFileSync(join(fixturesDir, 'layers-ref.json'), 'utf8')) as {
  sequential: { state: Record<string, { shape: number[]; data: number[] }>; x: number[][]; y: number[][] };
};
const toState = (s: Record<string, { shape: number[]; data: number[] }>) =>
  new Map<string, StateTensor>(
    Object.entries(s).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }]),
  );

forEachBackend('Mlp', (t) => {
  t('stride 2 matches a torch Sequential(Linear, SiLU, Linear) state dict and outputs', async () => {
    const m = new Mlp([3, 4, 2], 'silu', { stride: 2, init: 'torch' });
    assert.equal([...m.namedParameters().keys()], ['0.weight', '0.bias', '2.weight', '2.bias']);
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        m.loadState(toState(ref.sequential.state));
        expectClose(await m.apply(tf.tensor2d(ref.sequential.x)).data(), ref.sequential.y.flat(), {
          atol: 1e-6,
          rtol: 1e-6,
        });
      }),
    );
    m.dispose();
  });

  t('activation between layers only, unless activateLast', async () => {
    const lin = new Mlp([2, 2, 2], 'relu');
    const act = new Mlp([2, 2, 2], 'relu', { activateLast: true });
    const state = new Map<string, StateTensor>([
      ['0.weight', { shape: [2, 2], data: Float32Array.from([1, 0, 0, 1]) }],
      ['0.bias', { shape: [2], data: Float32Array.from([0, 0]) }],
      ['1.weight', { shape: [2, 2], data: Float32Array.from([-1, 0, 0, 1]) }],
      ['1.bias', { shape: [2], data: Float32Array.from([0, 0]) }],
    ]);
    lin.loadState(state);
    act.loadState(state);
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        const x = tf.tensor2d([[2, -3]]);
        // relu(x·I) = [2, 0]; then ·diag(−1, 1) = [−2, 0]; activateLast clips to [0, 0]
        assert.equal(Array.from(await lin.apply(x).data()), [-2, 0]);
        assert.equal(Array.from(await act.apply(x).data()), [0, 0]);
      }),
    );
    lin.dispose();
    act.dispose();
  });

  t('weight gradients match finite differences (first layer with inputGrad: false)', async () => {
    const m = new Mlp([3, 5, 2], 'ssp').initialize(9);
    const x = tf.randomNormal([6, 3], 0, 1, 'float32', 7);
    expectGradcheck(
      await gradcheckVariables(
        () => tf.sum(tf.square(m.apply(x, { inputGrad: false }))),
        [...m.trainableVariables().values()],
      ),
    );
    x.dispose();
    m.dispose();
  });
});

test('names: SchNetPack build_mlp 0, 1; explicit dotted names (MatGL layers.0, layers.2)', () => {
  const a = new Mlp([20, 8, 8], 'ssp');
  assert.equal([...a.namedParameters().keys()], ['0.weight', '0.bias', '1.weight', '1.bias']);
  assert.is(a.countParameters(), 20 * 8 + 8 + 8 * 8 + 8);
  const b = new Mlp([4, 4, 1], 'silu', { names: ['layers.0', 'layers.2'], bias: false });
  assert.equal([...b.namedParameters().keys()], ['layers.0.weight', 'layers.2.weight']);
  assert.throws(() => new Mlp([4], 'silu'), /at least \[in, out\]/);
  assert.throws(() => new Mlp([4, 4, 1], 'silu', { names: ['x'] }), /1 names for 2 layers/);
  assert.is(b.getConfig().activation, 'silu');
  a.dispose();
  b.dispose();
});

test.run();
