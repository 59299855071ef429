import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  addBias,
  gather,
  indicator,
  matMul,
  segmentMax,
  segmentMean,
  segmentSoftmax,
  segmentSum,
  stopGradient,
  sumRows,
} from '../../../models/layers/ops.js';
import { expectClose, expectNoLeakAsync, forEachBackend, tidyAsync } from '../../helpers/backends.js';
import { expectGradcheck, gradcheck } from '../../helpers/gradcheck.js';

const rng = seedrandom('ops');
const randn = (n: number) => Array.from({ length: n }, () => Math.fround(2 * rng() - 1)); // exact in float32
const randInt = (n: number, hi: number) => Array.from({ length: n }, () => Math.floor(rng() * hi));

// A small random graph: N = 7 atoms, E = 23 edges (duplicates, and atom 6 receives nothing).
const N = 7,
  E = 23,
  F = 4;
const X = randn(N * F);
const SRC = randInt(E, N);
const DST = randInt(E, N - 1);
const M = randn(E * F);

function refGather(x: number[], idx: number[], width: number): number[] {
  return idx.flatMap((i) => x.slice(i * width, (i + 1) * width));
}
function refSegmentSum(m: number[], ids: number[], s: number, width: number): number[] {
  const out = new Array<number>(s * width).fill(0);
  ids.forEach((seg, e) => {
    for (let k = 0; k < width; k++) out[seg * width + k] += m[e * width + k];
  });
  return out;
}

forEachBackend('ops', (t, backend) => {
  t('gather: rows at int32 indices, rank 2 and 3, equal to tf.gather', async () => {
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        const x = tf.tensor2d(X, [N, F]);
        const idx = tf.tensor1d(SRC, 'int32');
        expectClose(await gather(x, idx).data(), refGather(X, SRC, F), { atol: 0, rtol: 0 });
        if (backend === 'cpu')
          expectClose(await gather(x, idx).data(), await tf.gather(x, idx).data(), { atol: 0, rtol: 0 });
        const x3 = tf.tensor3d(randn(N * 3 * 2), [N, 3, 2]);
        const g3 = gather(x3, idx);
        assert.equal(g3.shape, [E, 3, 2]);
        expectClose(await g3.data(), refGather(Array.from(await x3.data()), SRC, 6), { atol: 0, rtol: 0 });
      }),
    );
  });

  t('sumRows = column sums (hand value and tf.sum); addBias: y + b, db = Σ_r dy_r, dy passes', async () => {
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        assert.equal(Array.from(await sumRows(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2])).data()), [9, 12]);
        const m = tf.tensor2d(M, [E, F]);
        expectClose(await sumRows(m).data(), await tf.sum(m, 0).data(), { atol: 1e-5, rtol: 1e-6 });
        const y = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
        const b = tf.tensor1d([10, -1]);
        assert.equal(Array.from(await addBias(y, b).data()), [11, 1, 13, 3, 15, 5]);
        const w = tf.tensor2d([1, 10, 2, 20, 3, 30], [3, 2]);
        const [dy, db] = tf.grads((yi: tf.Tensor, bi: tf.Tensor) =>
          tf.sum(tf.mul(addBias(yi as tf.Tensor2D, bi as tf.Tensor1D), w)),
        )([y, b]);
        assert.equal(Array.from(await dy.data()), [1, 10, 2, 20, 3, 30]);
        assert.equal(Array.from(await db.data()), [6, 60]);
      }),
    );
  });

  t('gather gradient sums duplicate indices (hand value)', async () => {
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
        const idx = tf.tensor1d([0, 0, 2, 0], 'int32');
        const w = tf.tensor2d([1, 10, 2, 20, 3, 30, 4, 40], [4, 2]);
        const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(gather(v as tf.Tensor2D, idx), w)))(x);
        assert.equal(Array.from(await g.data()), [7, 70, 0, 0, 3, 30]);
      }),
    );
  });

  t('segmentSum: equal to a plain loop (and tf.unsortedSegmentSum on cpu); empty segments are 0', async () => {
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        const m = tf.tensor2d(M, [E, F]);
        const dst = tf.tensor1d(DST, 'int32');
        const s = segmentSum(m, dst, N);
        assert.equal(s.shape, [N, F]);
        expectClose(await s.data(), refSegmentSum(M, DST, N, F), { atol: 1e-6 });
        assert.equal(Array.from((await s.data()).slice((N - 1) * F)), [0, 0, 0, 0]);
        if (backend === 'cpu')
          expectClose(await s.data(), await tf.unsortedSegmentSum(m, dst, N).data(), { atol: 1e-6 });
        // rank 3 (PaiNN vectors) and no edges at all
        const m3 = tf.tensor3d(randn(E * 6), [E, 3, 2]);
        expectClose(await segmentSum(m3, dst, N).data(), refSegmentSum(Array.from(await m3.data()), DST, N, 6), {
          atol: 1e-6,
        });
        const none = segmentSum(tf.zeros([0, F]), tf.tensor1d([], 'int32'), 3);
        assert.equal(Array.from(await none.data()), new Array(12).fill(0));
      }),
    );
  });

  t('segmentMean divides by the given counts, 0 for empty segments', async () => {
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
        const ids = tf.tensor1d([0, 0, 2], 'int32');
        assert.equal(Array.from(await segmentMean(x, ids, 3, [2, 0, 1]).data()), [2, 3, 0, 0, 5, 6]);
        assert.equal(
          Array.from(await segmentMean(x, ids, 3, tf.tensor1d([2, 0, 1], 'int32')).data()),
          [2, 3, 0, 0, 5, 6],
        );
      }),
    );
  });

  t('gather and segmentSum gradients match finite differences', async () => {
    const idx = tf.tensor1d(SRC, 'int32');
    const dst = tf.tensor1d(DST, 'int32');
    const w = tf.tensor2d(randn(E * F), [E, F]);
    const x = tf.tensor2d(X, [N, F]);
    const before = tf.memory().numTensors;
    const loss = (v: tf.Tensor) =>
      tf.sum(tf.sin(tf.mul(segmentSum(tf.mul(gather(v as tf.Tensor2D, idx), w), dst, N), 1.3)));
    expectGradcheck(await gradcheck(loss, [x]), 'gather/segmentSum');
    assert.is(tf.memory().numTensors, before, 'gradcheck leaked tensors');
    tf.dispose([idx, dst, w, x]);
  });

  t('segmentMax: exact per-segment maxima, −∞ for an empty segment', async () => {
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        const vals = [3, -1, 7, 7, 2, -5, 0.5, -2];
        const ids = [2, 0, 2, 2, 0, 1, 1, 1];
        const m = segmentMax(tf.tensor1d(vals), tf.tensor1d(ids, 'int32'), 4);
        assert.equal(Array.from(await m.data()), [2, 0.5, 7, -Infinity]);
        const big = randn(200).map((v) => v * 1e4);
        const bigIds = randInt(200, 9);
        const want = Array.from({ length: 9 }, (_, s) =>
          Math.max(...big.filter((_, i) => bigIds[i] === s).map((v) => Math.fround(v))),
        );
        assert.equal(Array.from(await segmentMax(tf.tensor1d(big), tf.tensor1d(bigIds, 'int32'), 9).data()), want);
      }),
    );
  });

  t('segmentSoftmax: hand values, stable for ±1000, sums to 1 per segment', async () => {
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        const ids = tf.tensor1d([0, 0, 1, 1, 1], 'int32');
        const a = segmentSoftmax(tf.tensor1d([0, Math.log(3), 1000, 1000, -1000]), ids, 2);
        expectClose(await a.data(), [0.25, 0.75, 0.5, 0.5, 0], { atol: 1e-7 });
        const b = segmentSoftmax(tf.tensor1d([-1000, -1001, 5, 5, 5]), ids, 2);
        const e1 = 1 / (1 + Math.exp(-1));
        expectClose(await b.data(), [e1, 1 - e1, 1 / 3, 1 / 3, 1 / 3], { atol: 1e-6 });
        // two heads [E, 2]: each column is its own softmax
        const h = segmentSoftmax(tf.tensor2d([0, 1000, Math.log(3), 1000, 2, -3, 2, -3, 2, -3], [5, 2]), ids, 2);
        expectClose(await h.data(), [0.25, 0.5, 0.75, 0.5, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3], { atol: 1e-6 });
      }),
    );
  });

  t('segmentSoftmax gradient matches finite differences (1-D and [E, H])', async () => {
    const ids = tf.tensor1d(DST, 'int32');
    const w1 = tf.tensor1d(randn(E));
    const s1 = tf.tensor1d(randn(E).map((v) => 3 * v));
    expectGradcheck(await gradcheck((s) => tf.sum(tf.mul(segmentSoftmax(s, ids, N), w1)), [s1]), 'softmax 1-D');
    const w2 = tf.tensor2d(randn(E * 2), [E, 2]);
    const s2 = tf.tensor2d(randn(E * 2), [E, 2]);
    expectGradcheck(
      await gradcheck((s) => tf.sum(tf.square(tf.mul(segmentSoftmax(s, ids, N), w2))), [s2]),
      'softmax 2-D',
    );
    tf.dispose([ids, w1, s1, w2, s2]);
  });

  t('matMul: forward equals tf.matMul, gradients by finite differences, gradA: false skips a', async () => {
    const a = tf.tensor2d(randn(15), [5, 3]);
    const b = tf.tensor2d(randn(12), [3, 4]);
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        expectClose(await matMul(a, b).data(), await tf.matMul(a, b).data(), { atol: 1e-6 });
        const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) =>
          tf.sum(tf.square(matMul(p as tf.Tensor2D, q as tf.Tensor2D))),
        )([a, b]);
        const [ra, rb] = tf.grads((p: tf.Tensor, q: tf.Tensor) =>
          tf.sum(tf.square(tf.matMul(p as tf.Tensor2D, q as tf.Tensor2D))),
        )([a, b]);
        expectClose(await ga.data(), await ra.data(), { atol: 1e-5 });
        expectClose(await gb.data(), await rb.data(), { atol: 1e-5 });
        const gbOnly = tf.grad((q: tf.Tensor) => tf.sum(tf.square(matMul(a, q as tf.Tensor2D, { gradA: false }))))(b);
        expectClose(await gbOnly.data(), await rb.data(), { atol: 1e-5 });
      }),
    );
    expectGradcheck(
      await gradcheck((p, q) => tf.sum(tf.sin(matMul(p as tf.Tensor2D, q as tf.Tensor2D))), [a, b]),
      'matMul',
    );
    assert.throws(() => matMul(tf.zeros([2, 2, 2]) as unknown as tf.Tensor2D, b), /2-D only/);
    tf.dispose([a, b]);
  });

  t('stopGradient: identity forward, zero gradient', async () => {
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        const x = tf.tensor1d([1, 2, 3]);
        const g = tf.grad((v: tf.Tensor) => tf.sum(tf.add(tf.mul(v, 2), tf.square(stopGradient(v)))))(x);
        assert.equal(Array.from(await g.data()), [2, 2, 2]);
        assert.equal(Array.from(await stopGradient(x).data()), [1, 2, 3]);
      }),
    );
  });

  t('indicator: 1/0 masks with a zero gradient (a raw tf.less on the tape has none)', async () => {
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        const d = tf.tensor1d([1, 5, 6]);
        assert.equal(Array.from(await indicator(d, 'lt', 5).data()), [1, 0, 0]);
        assert.equal(Array.from(await indicator(d, 'le', 5).data()), [1, 1, 0]);
        assert.equal(Array.from(await indicator(d, 'gt', 5).data()), [0, 0, 1]);
        assert.equal(Array.from(await indicator(d, 'ge', 5).data()), [0, 1, 1]);
        const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.square(x), indicator(x, 'lt', 5))))(d);
        assert.equal(Array.from(await g.data()), [2, 0, 0]);
      }),
    );
    // (a failed backward pass leaks TF.js's own intermediates, so this stays outside the leak check)
    const d = tf.tensor1d([1, 5, 6]);
    assert.throws(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, tf.cast(tf.less(x, 5), 'float32'))))(d), /Less/);
  });

  t('a training-style step through every op leaves no tensors behind', async () => {
    const w = tf.variable(tf.tensor2d(randn(F * F), [F, F]));
    const x = tf.tensor2d(X, [N, F]);
    const idx = tf.tensor1d(SRC, 'int32');
    const dst = tf.tensor1d(DST, 'int32');
    const opt = tf.train.adam(1e-3);
    const step = () =>
      opt.minimize(() => {
        const h = gather(matMul(x, w as unknown as tf.Tensor2D), idx);
        const agg = segmentSum(h, dst, N);
        const a = segmentSoftmax(tf.sum(agg, 1) as tf.Tensor1D, tf.tensor1d([0, 0, 0, 1, 1, 1, 1], 'int32'), 2);
        return tf.sum(tf.mul(a, tf.sum(tf.square(agg), 1)));
      }, false);
    step(); // the optimiser allocates its slots on the first step
    const before = tf.memory().numTensors;
    step();
    step();
    assert.is(tf.memory().numTensors, before);
    opt.dispose();
    tf.dispose([w, x, idx, dst]);
  });
});

test('indices must be 1-D', () => {
  assert.throws(() => gather(tf.zeros([3, 2]), tf.zeros([2, 1], 'int32') as unknown as tf.Tensor1D), /1-D/);
});

test.run();
