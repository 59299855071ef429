import * as tf from '@tensorflow/tfjs';
import * as assert from 'uvu/assert';
import { BatchNorm1d } from '../../../models/layers/batchNorm.js';
import { batchNormalize } from '../../../models/layers/ops.js';
import { expectGradcheck, gradcheck } from '../../helpers/gradcheck.js';
import { expectClose, expectNoLeak, forEachBackend, tidyAsync } from '../../helpers/backends.js';

const X = [
  [1, 2],
  [3, 6],
  [5, 4],
];
const values = async (v: tf.Variable | tf.Tensor): Promise<number[]> => Array.from(await v.data());

forEachBackend('BatchNorm1d', (test) => {
  test('training: batch mean and biased variance normalise; running stats take the unbiased variance', async () => {
    const bn = new BatchNorm1d(2);
    // Column means 3 and 4, biased variances 8/3 and 8/3 (unbiased 4 and 4).
    const y = await tidyAsync(async () => await bn.apply(tf.tensor2d(X), true).data());
    const s = 1.2247425750014138; // 2/√(8/3 + 1e-5)
    expectClose(y, [-s, -s, 0, s, s, 0], { atol: 1e-5 });
    expectClose(await values(bn.runningMean), [0.3, 0.4]);
    expectClose(await values(bn.runningVar), [0.9 + 0.4, 0.9 + 0.4]);
    tf.tidy(() => bn.apply(tf.tensor2d(X), true));
    expectClose(await values(bn.runningMean), [0.9 * 0.3 + 0.3, 0.9 * 0.4 + 0.4]);
    expectClose(await values(bn.runningVar), [0.9 * 1.3 + 0.4, 0.9 * 1.3 + 0.4]);
    bn.dispose();
  });

  test('eval: running statistics, γ and β', async () => {
    const bn = new BatchNorm1d(2);
    tf.tidy(() => bn.apply(tf.tensor2d(X), true)); // running mean [0.3, 0.4], var [1.3, 1.3]
    bn.weight.assign(tf.tensor1d([2, 1]));
    bn.bias.assign(tf.tensor1d([0.5, -1]));
    const y = await tidyAsync(async () => await bn.apply(tf.tensor2d(X), false).data());
    const col0 = [0.6139382522184912, 2.368047544271324, 4.122156836324156].map((v) => 2 * v + 0.5);
    const col1 = [2, 6, 4].map((v) => (v - 0.4) / Math.sqrt(1.3 + 1e-5) - 1);
    expectClose(y, [col0[0], col1[0], col0[1], col1[1], col0[2], col1[2]], { atol: 1e-5 });
    expectClose(await values(bn.runningMean), [0.3, 0.4], { label: 'eval leaves running stats alone' });
    bn.dispose();
  });

  test('row weights count rows as repeated: same output and running stats as the expanded batch', async () => {
    const a = new BatchNorm1d(2);
    const b = new BatchNorm1d(2);
    const weighted = await tidyAsync(async () => await a.apply(tf.tensor2d(X), true, tf.tensor1d([1, 2, 1])).data());
    const expanded = await tidyAsync(async () => await b.apply(tf.tensor2d([X[0], X[1], X[1], X[2]]), true).data());
    expectClose(weighted, [...expanded.slice(0, 4), ...expanded.slice(6, 8)], { atol: 1e-6 });
    // Column 0: 1, 3, 3, 5 → mean 3, unbiased var 8/3; column 1: 2, 6, 6, 4 → mean 4.5, unbiased var 11/3.
    expectClose(await values(a.runningMean), [0.3, 0.45]);
    expectClose(await values(a.runningVar), [0.9 + 0.8 / 3, 0.9 + 1.1 / 3]);
    a.dispose();
    b.dispose();
  });

  test('training-mode gradient (through the batch statistics) matches finite differences; no leaks', async () => {
    const bn = new BatchNorm1d(3);
    const x = tf.tensor2d([
      [0.3, -1, 2],
      [1.5, 0.2, -0.7],
      [-0.4, 0.9, 0.1],
      [2, -0.3, 0.6],
    ]);
    const w = tf.tensor1d([1, 3, 0, 2]);
    const probe = tf.tensor2d([
      [1, -2, 0.5],
      [0.3, 1, -1],
      [2, 0.1, 0.4],
      [-0.6, 0.8, 1.2],
    ]);
    expectGradcheck(
      await gradcheck((xi) => tf.sum(tf.mul(bn.apply(xi as tf.Tensor2D, true, w), probe)) as tf.Scalar, [x]),
      'plain',
    );
    expectNoLeak(
      () =>
        tf.tidy(() => {
          bn.apply(x, true, w);
        }),
      'apply',
    );
    assert.ok((await values(bn.runningVar)).every(Number.isFinite));
    tf.dispose([x, w, probe]);
    bn.dispose();
  });

  test('batchNormalize: gradients of x, γ and β equal finite differences and the autodiff of the composed formula', async () => {
    const x = tf.tensor2d([
      [0.3, -1, 2],
      [1.5, 0.2, -0.7],
      [-0.4, 0.9, 0.1],
      [2, -0.3, 0.6],
      [0.8, 0.4, -1.1],
    ]);
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
      const loss =
        (f: (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(f(xi, g, b), probe));
      const fused = loss((xi, g, b) => batchNormalize(xi as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, w));
      expectGradcheck(await gradcheck(fused, [x, gamma, beta]), label);
      const grads = (f: (...xs: tf.Tensor[]) => tf.Tensor) =>
        tidyAsync(async () =>
          Promise.all(
            tf
              .grads(f)([x, gamma, beta])
              .map(async (g) => Array.from(await g.data())),
          ),
        );
      const ours = await grads(fused);
      const reference = await grads(loss((xi, g, b) => composed(xi, g, b, w)));
      ours.forEach((g, k) =>
        expectClose(g, reference[k], { atol: 1e-5, rtol: 1e-4, label: `${label}: d${['x', 'γ', 'β'][k]}` }),
      );
      expectClose(await batchNormalize(x, gamma, beta, 1e-5, w).data(), await composed(x, gamma, beta, w).data(), {
        atol: 1e-6,
        label,
      });
      w?.dispose();
    }
    tf.dispose([x, gamma, beta, probe]);
  });

  test('column blocks: the same outputs, gradients and running statistics as the whole input', async () => {
    const [whole, split] = [new BatchNorm1d(3), new BatchNorm1d(3)];
    for (const bn of [whole, split]) {
      bn.weight.assign(tf.tensor1d([1.5, -0.5, 2]));
      bn.bias.assign(tf.tensor1d([0.1, 0.2, -0.3]));
    }
    const x = tf.tensor2d([
      [0.3, -1, 2],
      [1.5, 0.2, -0.7],
      [-0.4, 0.9, 0.1],
      [2, -0.3, 0.6],
    ]);
    const w = tf.tensor1d([1, 3, 0, 2]);
    for (const training of [true, false]) {
      const label = training ? 'training' : 'eval';
      const a = await tidyAsync(async () => await whole.apply(x, training, w).data());
      const b = await tidyAsync(
        async () =>
          await tf
            .concat(split.applyBlocks([tf.slice(x, [0, 0], [-1, 1]), tf.slice(x, [0, 1], [-1, 2])], training, w), 1)
            .data(),
      );
      expectClose(b, a, { atol: 1e-6, label });
      expectClose(await values(split.runningMean), await values(whole.runningMean), {
        atol: 1e-7,
        label: `${label}: running mean`,
      });
      expectClose(await values(split.runningVar), await values(whole.runningVar), {
        atol: 1e-7,
        label: `${label}: running var`,
      });
    }
    const grad = (bn: BatchNorm1d, blocks: boolean) =>
      tidyAsync(async () => {
        const { grads } = tf.variableGrads(() => {
          const y = blocks
            ? tf.concat(bn.applyBlocks([tf.slice(x, [0, 0], [-1, 2]), tf.slice(x, [0, 2], [-1, 1])], true, w), 1)
            : bn.apply(x, true, w);
          return tf.sum(
            tf.mul(
              y,
              tf.tensor2d([
                [1, -2, 0.5],
                [0.3, 1, -1],
                [2, 0.1, 0.4],
                [-0.6, 0.8, 1.2],
              ]),
            ),
          ) as tf.Scalar;
        }, [bn.weight, bn.bias]);
        return [...(await values(grads[bn.weight.name])), ...(await values(grads[bn.bias.name]))];
      });
    expectClose(await grad(split, true), await grad(whole, false), { atol: 1e-6, label: 'dγ, dβ' });
    assert.throws(
      () => split.applyBlocks([tf.slice(x, [0, 0], [-1, 2])], true),
      /BatchNorm1d\(3\): input must be \[M, 3\], got \[4, 2\]/,
    );
    assert.throws(
      () => split.applyBlocks([tf.slice(x, [0, 0], [3, 2]), tf.slice(x, [0, 2], [-1, 1])], true),
      /got \[3, 2\] \| \[4, 1\]/,
    );
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
