import * as tf from '@tensorflow/tfjs';
import * as assert from 'uvu/assert';
import { BatchNorm1d } from '../../../models/layers/batchNorm.js';
import { batchNormalize } from '../../../models/layers/ops.js';
import { expectGradcheck, gradcheck } from '../../helpers/gradcheck.js';
import { expectClose, expectNoLeak, forEachBackend } from '../../helpers/backends.js';

const X = [[1, 2], [3, 6], [5, 4]];
const values = (v: tf.Variable | tf.Tensor): number[] => Array.from(v.dataSync());

forEachBackend('BatchNorm1d', (test) => {
  test('training: batch mean and biased variance normalise; running stats take the unbiased variance', () => {
    const bn = new BatchNorm1d(2);
    // Column means 3 and 4, biased variances 8/3 and 8/3 (unbiased 4 and 4).
    const y = tf.tidy(() => bn.apply(tf.tensor2d(X), true).dataSync());
    const s = 1.2247425750014138; // 2/√(8/3 + 1e-5)
    expectClose(y, [-s, -s, 0, s, s, 0], { atol: 1e-5 });
    expectClose(values(bn.runningMean), [0.3, 0.4]);
    expectClose(values(bn.runningVar), [0.9 + 0.4, 0.9 + 0.4]);
    tf.tidy(() => bn.apply(tf.tensor2d(X), true));
    expectClose(values(bn.runningMean), [0.9 * 0.3 + 0.3, 0.9 * 0.4 + 0.4]);
    expectClose(values(bn.runningVar), [0.9 * 1.3 + 0.4, 0.9 * 1.3 + 0.4]);
    bn.dispose();
  });

  test('eval: running statistics, γ and β', () => {
    const bn = new BatchNorm1d(2);
    tf.tidy(() => bn.apply(tf.tensor2d(X), true)); // running mean [0.3, 0.4], var [1.3, 1.3]
    bn.weight.assign(tf.tensor1d([2, 1]));
    bn.bias.assign(tf.tensor1d([0.5, -1]));
    const y = tf.tidy(() => bn.apply(tf.tensor2d(X), false).dataSync());
    const col0 = [0.6139382522184912, 2.368047544271324, 4.122156836324156].map((v) => 2 * v + 0.5);
    const col1 = [2, 6, 4].map((v) => (v - 0.4) / Math.sqrt(1.3 + 1e-5) - 1);
    expectClose(y, [col0[0], col1[0], col0[1], col1[1], col0[2], col1[2]], { atol: 1e-5 });
    expectClose(values(bn.runningMean), [0.3, 0.4], { label: 'eval leaves running stats alone' });
    bn.dispose();
  });

  test('row weights count rows as repeated: same output and running stats as the expanded batch', () => {
    const a = new BatchNorm1d(2);
    const b = new BatchNorm1d(2);
    const weighted = tf.tidy(() => a.apply(tf.tensor2d(X), true, tf.tensor1d([1, 2, 1])).dataSync());
    const expanded = tf.tidy(() => b.apply(tf.tensor2d([X[0], X[1], X[1], X[2]]), true).dataSync());
    expectClose(weighted, [...expanded.slice(0, 4), ...expanded.slice(6, 8)], { atol: 1e-6 });
    // Column 0: 1, 3, 3, 5 → mean 3, unbiased var 8/3; column 1: 2, 6, 6, 4 → mean 4.5, unbiased var 11/3.
    expectClose(values(a.runningMean), [0.3, 0.45]);
    expectClose(values(a.runningVar), [0.9 + 0.8 / 3, 0.9 + 1.1 / 3]);
    a.dispose();
    b.dispose();
  });

  test('training-mode gradient (through the batch statistics) matches finite differences; no leaks', () => {
    const bn = new BatchNorm1d(3);
    const x = tf.tensor2d([[0.3, -1, 2], [1.5, 0.2, -0.7], [-0.4, 0.9, 0.1], [2, -0.3, 0.6]]);
    const w = tf.tensor1d([1, 3, 0, 2]);
    const probe = tf.tensor2d([[1, -2, 0.5], [0.3, 1, -1], [2, 0.1, 0.4], [-0.6, 0.8, 1.2]]);
    expectGradcheck(gradcheck((xi) => tf.sum(tf.mul(bn.apply(xi as tf.Tensor2D, true, w), probe)) as tf.Scalar, [x]), 'plain');
    expectNoLeak(() => tf.tidy(() => {
      bn.apply(x, true, w);
    }), 'apply');
    assert.ok(values(bn.runningVar).every(Number.isFinite));
    tf.dispose([x, w, probe]);
    bn.dispose();
  });

  test('batchNormalize: gradients of x, γ and β equal finite differences and the autodiff of the composed formula', () => {
    const x = tf.tensor2d([[0.3, -1, 2], [1.5, 0.2, -0.7], [-0.4, 0.9, 0.1], [2, -0.3, 0.6], [0.8, 0.4, -1.1]]);
    const gamma = tf.tensor1d([1.7, -0.6, 0.9]);
    const beta = tf.tensor1d([0.2, -0.4, 1.1]);
    const probe = tf.randomNormal([5, 3], 0, 1, 'float32', 7);
    const composed = (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor, w?: tf.Tensor1D): tf.Tensor => {
      const wc = w ? tf.reshape(w, [-1, 1]) : tf.onesLike(tf.slice(xi, [0, 0], [-1, 1]));
      const mean = tf.div(tf.sum(tf.mul(xi, wc), 0), tf.sum(wc));
      const variance = tf.div(tf.sum(tf.mul(tf.square(tf.sub(xi, mean)), wc), 0), tf.sum(wc));
      return tf.add(tf.mul(tf.div(tf.sub(xi, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
    };
    for (const w of [undefined, tf.tensor1d([1, 3, 0, 2, 0.5])]) {
      const label = w ? 'row weights' : 'plain';
      const loss = (f: (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(xi, g, b), probe));
      const fused = loss((xi, g, b) => batchNormalize(xi as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, w));
      expectGradcheck(gradcheck(fused, [x, gamma, beta]), label);
      const [ours, reference] = [fused, loss((xi, g, b) => composed(xi, g, b, w))].map((f) => tf.tidy(() => tf.grads(f)([x, gamma, beta]).map((g) => Array.from(g.dataSync()))));
      ours.forEach((g, k) => expectClose(g, reference[k], { atol: 1e-5, rtol: 1e-4, label: `${label}: d${['x', 'γ', 'β'][k]}` }));
      expectClose(batchNormalize(x, gamma, beta, 1e-5, w).dataSync(), composed(x, gamma, beta, w).dataSync(), { atol: 1e-6, label });
      w?.dispose();
    }
    tf.dispose([x, gamma, beta, probe]);
  });

  test('column blocks: the same outputs, gradients and running statistics as the whole input', () => {
    const [whole, split] = [new BatchNorm1d(3), new BatchNorm1d(3)];
    for (const bn of [whole, split]) {
      bn.weight.assign(tf.tensor1d([1.5, -0.5, 2]));
      bn.bias.assign(tf.tensor1d([0.1, 0.2, -0.3]));
    }
    const x = tf.tensor2d([[0.3, -1, 2], [1.5, 0.2, -0.7], [-0.4, 0.9, 0.1], [2, -0.3, 0.6]]);
    const w = tf.tensor1d([1, 3, 0, 2]);
    for (const training of [true, false]) {
      const label = training ? 'training' : 'eval';
      const a = tf.tidy(() => whole.apply(x, training, w).dataSync());
      const b = tf.tidy(() => tf.concat(split.applyBlocks([tf.slice(x, [0, 0], [-1, 1]), tf.slice(x, [0, 1], [-1, 2])], training, w), 1).dataSync());
      expectClose(b, a, { atol: 1e-6, label });
      expectClose(values(split.runningMean), values(whole.runningMean), { atol: 1e-7, label: `${label}: running mean` });
      expectClose(values(split.runningVar), values(whole.runningVar), { atol: 1e-7, label: `${label}: running var` });
    }
    const grad = (bn: BatchNorm1d, blocks: boolean) => tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const y = blocks ? tf.concat(bn.applyBlocks([tf.slice(x, [0, 0], [-1, 2]), tf.slice(x, [0, 2], [-1, 1])], true, w), 1) : bn.apply(x, true, w);
        return tf.sum(tf.mul(y, tf.tensor2d([[1, -2, 0.5], [0.3, 1, -1], [2, 0.1, 0.4], [-0.6, 0.8, 1.2]]))) as tf.Scalar;
      }, [bn.weight, bn.bias]);
      return [...values(grads[bn.weight.name]), ...values(grads[bn.bias.name])];
    });
    expectClose(grad(split, true), grad(whole, false), { atol: 1e-6, label: 'dγ, dβ' });
    assert.throws(() => split.applyBlocks([tf.slice(x, [0, 0], [-1, 2])], true), /BatchNorm1d\(3\): input must be \[M, 3\], got \[4, 2\]/);
    assert.throws(() => split.applyBlocks([tf.slice(x, [0, 0], [3, 2]), tf.slice(x, [0, 2], [-1, 1])], true), /got \[3, 2\] \| \[4, 1\]/);
    assert.throws(() => split.apply(x, true, tf.tensor1d([1, 1, 1])), /3 row weights for 4 rows/);
    tf.dispose([x, w]);
    whole.dispose();
    split.dispose();
  });

  test('state dict keys and shapes are PyTorch BatchNorm1d', async () => {
    const bn = new BatchNorm1d(4);
    assert.equal([...(await bn.stateDict()).keys()], ['weight', 'bias', 'running_mean', 'running_var']);
    assert.is(bn.countParameters(), 8, 'running stats are buffers');
    bn.dispose();
  });
});
