/**
 * The fused training-mode batch normalisation (models/layers/fusedBatchNorm.ts) against the composed ops it replaces
 * (ops.ts `batchNormalize` per block with γ and β sliced, the running update of BatchNorm1d written out), both on
 * webgpu: the blocks' values, the gradients w.r.t. every block, γ and β (1e-5 relative), and the running statistics
 * after two steps, with row weights and without, one to three blocks, more rows than a workgroup has lanes, and a
 * block whose output is not used. Skipped, visibly, where no adapter exists (test/helpers/webgpu.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchNorm1d } from '../../models/layers/batchNorm.js';
import { batchNormalize, type BatchStatistics } from '../../models/layers/ops.js';
import { expectClose } from '../helpers/backends.js';
import { dispatched, wave } from '../helpers/fusedCases.js';
import { webgpuOrSkip } from '../helpers/webgpu.js';

const ready = await webgpuOrSkip('test/webgpu/batchNorm.test.ts');

interface Case {
  rows: number;
  widths: number[];
  /** Row weights (multiplicities, as CGCNN's padded rows), or none. */
  weighted: boolean;
  /** Blocks whose output the loss reads (default: all). */
  used?: number[];
}

interface Result {
  values: Float32Array[];
  grads: Float32Array[];
  runningMean: Float32Array;
  runningVar: Float32Array;
  kernels: string[];
}

const EPS = 1e-5;
const MOMENTUM = 0.1;

/** The composed form: batchNormalize per block on γ, β slices, and the running update on [C] slices. */
function composed(bn: BatchNorm1d, blocks: tf.Tensor2D[], gamma: tf.Tensor1D, beta: tf.Tensor1D, w?: tf.Tensor1D) {
  let start = 0;
  return blocks.map((x) => {
    const width = x.shape[1];
    const at = start;
    start += width;
    const channels = (v: tf.Tensor) => tf.slice(v, [at], [width]) as tf.Tensor1D;
    const onStatistics = ({ mean, variance, total }: BatchStatistics) => {
      const unbiased = tf.mul(variance, tf.div(total, tf.sub(total, 1)));
      const update = (running: tf.Variable, batch: tf.Tensor) => {
        const C = bn.numFeatures;
        const block = tf.add(tf.mul(tf.slice(running, [at], [width]), 1 - MOMENTUM), tf.mul(batch, MOMENTUM));
        const parts = [tf.slice(running, [0], [at]), block, tf.slice(running, [at + width], [C - at - width])];
        running.assign(tf.concat(parts));
      };
      update(bn.runningMean, mean);
      update(bn.runningVar, unbiased);
    };
    return batchNormalize(x, channels(gamma), channels(beta), EPS, w, (s) => tf.tidy(() => onStatistics(s)));
  });
}

/** Two training steps of BatchNorm1d over the blocks: values and gradients of the second, running stats after both. */
async function evaluate(c: Case, fused: boolean): Promise<Result> {
  const C = c.widths.reduce((a, w) => a + w, 0);
  const bn = new BatchNorm1d(C, { eps: EPS, momentum: MOMENTUM });
  bn.weight.assign(tf.tensor1d(wave(C, 0.4, 1.5)));
  bn.bias.assign(tf.tensor1d(wave(C, 1.9, 0.5)));
  bn.runningMean.assign(tf.tensor1d(wave(C, 2.3, 0.2)));
  bn.runningVar.assign(tf.tensor1d(wave(C, 0.1, 0.3).map((v) => 1 + v)));
  const blocks = c.widths.map((w, b) =>
    tf.tensor2d(
      wave(c.rows * w, 0.7 + b, 2).map((v, i) => v + (i % w)),
      [c.rows, w],
    ),
  );
  const weights = c.weighted ? tf.tensor1d(Array.from({ length: c.rows }, (_, r) => 1 + ((r * 7) % 5))) : undefined;
  const upstream = c.widths.map((w, b) => tf.tensor2d(wave(c.rows * w, 3.1 + b, 1), [c.rows, w]));
  const used = c.used ?? c.widths.map((_, b) => b);
  const gamma = bn.weight as tf.Tensor1D;
  const beta = bn.bias as tf.Tensor1D;
  const apply = (xs: tf.Tensor2D[], g: tf.Tensor1D, b: tf.Tensor1D): tf.Tensor2D[] =>
    fused ? bn.applyBlocks(xs, true, weights) : composed(bn, xs, g, b, weights);
  const profile = await tf.profile(() => {
    tf.dispose(apply(blocks, gamma, beta));
  });
  // Σ_b used Σ(y_b ⊙ R_b) as a function of the used blocks, γ and β (the fused layer reads its own γ and β, the
  // same tensors); a block the loss does not read has no gradient in the composed form
  const loss = (...t: tf.Tensor[]) => {
    const xs = blocks.map((x, b) => (used.includes(b) ? t[used.indexOf(b)] : x) as tf.Tensor2D);
    const ys = apply(xs, t[used.length] as tf.Tensor1D, t[used.length + 1] as tf.Tensor1D);
    return tf.addN(used.map((b) => tf.sum(tf.mul(ys[b], upstream[b])))) as tf.Scalar;
  };
  const { value, grads } = tf.valueAndGrads(loss)([...used.map((b) => blocks[b]), gamma, beta]);
  const values = tf.tidy(() => apply(blocks, gamma, beta));
  const read = async (t: tf.Tensor) => (await t.data()) as Float32Array;
  const result: Result = {
    values: await Promise.all(values.map(read)),
    grads: await Promise.all(grads.map(read)),
    runningMean: await read(bn.runningMean),
    runningVar: await read(bn.runningVar),
    kernels: dispatched(profile),
  };
  tf.dispose([...blocks, ...upstream, ...values, value, ...grads, ...(weights ? [weights] : [])]);
  bn.dispose();
  return result;
}

async function expectSame(c: Case): Promise<Result> {
  const reference = await evaluate(c, false);
  const fused = await evaluate(c, true);
  const close = { rtol: 1e-5, atol: 1e-5 };
  fused.values.forEach((v, b) => expectClose(v, reference.values[b], { ...close, label: `y${b}` }));
  assert.is(fused.grads.length, reference.grads.length);
  const names = [...(c.used ?? c.widths.map((_, b) => b)).map((b) => `dx${b}`), 'dγ', 'dβ'];
  fused.grads.forEach((g, i) => expectClose(g, reference.grads[i], { ...close, label: names[i] }));
  expectClose(fused.runningMean, reference.runningMean, { ...close, label: 'running mean' });
  expectClose(fused.runningVar, reference.runningVar, { ...close, label: 'running var' });
  return fused;
}

if (ready) {
  test('fused batch norm = composed: two blocks (CGCNN bn1), row weights, 150 rows (more than a workgroup)', async () => {
    const r = await expectSame({ rows: 150, widths: [9, 9], weighted: true });
    assert.equal(
      r.kernels,
      ['CrystalGnnBatchNorm2Weighted', 'CrystalGnnBatchNormRunning', 'CrystalGnnBatchNormRunning'],
      'statistics and normalisation in one kernel, one running update per vector',
    );
    assert.ok(
      r.grads.every((g) => g.some((v) => Math.abs(v) > 1e-3)),
      'every gradient non-trivial',
    );
  });

  test('fused batch norm = composed: two blocks without row weights', async () => {
    await expectSame({ rows: 150, widths: [9, 9], weighted: false });
  });

  test('fused batch norm = composed: one block (CGCNN bn2), with and without row weights, 37 rows', async () => {
    const r = await expectSame({ rows: 37, widths: [13], weighted: false });
    assert.equal(r.kernels, ['CrystalGnnBatchNorm1', 'CrystalGnnBatchNormRunning', 'CrystalGnnBatchNormRunning']);
    await expectSame({ rows: 37, widths: [13], weighted: true });
  });

  test('fused batch norm = composed: three blocks of unequal widths, 2 rows', async () => {
    await expectSame({ rows: 2, widths: [3, 1, 5], weighted: true });
  });

  test('fused batch norm = composed: the loss reads one block only (the other output has no gradient)', async () => {
    await expectSame({ rows: 70, widths: [4, 6], weighted: true, used: [1] });
  });
}

test.run();
