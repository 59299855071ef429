import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { initBackend } from '../../train/backend.js';
import { gradcheck, gradcheckVariables } from './gradcheck.js';

test.before(async () => {
  await initBackend('cpu');
});

const f = (x: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.sin(x), tf.square(x)));

/** x ↦ Σ sin(x)·x² with a gradient scaled by `factor` (1 = correct). */
const scaledGrad = (factor: number) =>
  tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x]);
    return {
      value: f(x),
      gradFunc: (dy: tf.Tensor, [sx]: tf.Tensor[]) =>
        tf.mul(dy, tf.mul(factor, tf.add(tf.mul(tf.cos(sx), tf.square(sx)), tf.mul(2, tf.mul(sx, tf.sin(sx)))))),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);

const x0 = () => tf.tensor1d([0.3, -1.2, 2.0, 0.7, -0.4]);

test('accepts the true gradient of a smooth function', async () => {
  const r = await gradcheck((x) => scaledGrad(1)(x) as tf.Scalar, [x0()]);
  assert.ok(r.ok, r.message);
  assert.is(r.checks.length, 3);
  // the two estimates agree far inside the tolerance
  for (const c of r.checks) assert.ok(c.error < 1e-3 * Math.abs(c.analytic) + 1e-4, r.message);
});

test('rejects a gradient that is twice the true one', async () => {
  const r = await gradcheck((x) => scaledGrad(2)(x) as tf.Scalar, [x0()]);
  assert.not.ok(r.ok, r.message);
  for (const c of r.checks) assert.ok(Math.abs(c.analytic / c.numeric - 2) < 0.01, r.message);
});

test('rejects a gradient with a flipped sign in one component', async () => {
  const wrong = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x]);
    return {
      value: tf.sum(tf.square(x)),
      gradFunc: (dy: tf.Tensor, [sx]: tf.Tensor[]) => tf.mul(dy, tf.mul(2, tf.mul(sx, tf.tensor1d([1, 1, -1, 1, 1])))),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  assert.not.ok((await gradcheck((x) => wrong(x) as tf.Scalar, [x0()])).ok);
});

test('checks several inputs jointly, and variables (restoring them)', async () => {
  const a = tf.tensor2d([
    [0.5, -0.2],
    [0.1, 0.9],
  ]);
  const b = tf.tensor1d([1.5, -0.7]);
  const r = await gradcheck((p, q) => tf.sum(tf.tanh(tf.matMul(p, tf.reshape(q, [2, 1])))), [a, b]);
  assert.ok(r.ok, r.message);
  const v = tf.variable(tf.tensor1d([0.2, 0.4, -0.3]));
  const before = Array.from(await v.data());
  const rv = await gradcheckVariables(() => tf.sum(tf.exp(v)), [v]);
  assert.ok(rv.ok, rv.message);
  assert.equal(Array.from(await v.data()), before);
});

test.run();
