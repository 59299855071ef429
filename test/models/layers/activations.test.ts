import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../../data/errors.js';
import { activation, activationNames, silu, softplus, ssp } from '../../../models/layers/activations.js';
import { expectClose, expectNoLeak, forEachBackend } from '../../helpers/backends.js';
import { expectGradcheck, gradcheck } from '../../helpers/gradcheck.js';
import { fixturesDir } from '../../helpers/paths.js';

/** torch.nn.functional values in float64 (scripts/reference/layers.py), x from −100 to 80. */
const ref = JSON.parse(readFileSync(join(fixturesDir, 'layers-ref.json'), 'utf8')) as { x: number[]; softplus: number[]; ssp: number[]; silu: number[] };

forEachBackend('activations', (t) => {
  t('softplus, ssp and silu equal torch, stable for large |x|', () => {
    expectNoLeak(() => tf.tidy(() => {
      const x = tf.tensor1d(ref.x);
      expectClose(softplus(x).dataSync(), ref.softplus, { atol: 1e-7, rtol: 1e-6, label: 'softplus' });
      expectClose(ssp(x).dataSync(), ref.ssp, { atol: 1e-7, rtol: 1e-6, label: 'ssp' });
      expectClose(silu(x).dataSync(), ref.silu, { atol: 1e-7, rtol: 1e-6, label: 'silu' });
      assert.is(ssp(tf.scalar(0)).dataSync()[0], 0);
      const g = tf.grad((v: tf.Tensor) => tf.sum(softplus(v)))(x).dataSync();
      assert.is(g[g.length - 1], 1);
      expectClose(g, ref.x.map((v) => 1 / (1 + Math.exp(-v))), { atol: 1e-7, rtol: 1e-6, label: 'softplus′ = σ' });
      const gs = tf.grad((v: tf.Tensor) => tf.sum(silu(v)))(x).dataSync();
      expectClose(gs, ref.x.map((v) => { const s = 1 / (1 + Math.exp(-v)); return s * (1 + v * (1 - s)); }), { atol: 1e-6, rtol: 1e-5, label: 'silu′' });
      assert.equal(Array.from(tf.grad((v: tf.Tensor) => tf.sum(silu(v)))(tf.tensor1d([2e7, -2e7])).dataSync()), [1, 0], 'silu′ far out');
      assert.ok(g.every(Number.isFinite));
    }));
  });

  t('gradients match finite differences', () => {
    const x = tf.tensor1d([-3, -0.5, 0.2, 1.4, 4]);
    for (const name of activationNames) expectGradcheck(gradcheck((v) => tf.sum(tf.square(activation(name)(v))), [x]), name);
    x.dispose();
  });
});

test('lookup: aliases resolve, unknown names list the valid ones', () => {
  assert.is(activation('swish'), activation('silu'));
  assert.is(activation('shifted_softplus'), activation('ssp'));
  try {
    activation('gelu');
    assert.unreachable('no error');
  } catch (e) {
    assert.instance(e, InputError);
    assert.match((e as Error).message, /unknown activation "gelu"; valid names: ssp, shifted_softplus, silu, swish, softplus, sigmoid, tanh, relu, identity/);
  }
});

test.run();
