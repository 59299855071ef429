import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Dense } from '../../../models/layers/dense.js';
import { constant } from '../../../models/layers/initializers.js';
import type { StateTensor } from '../../../models/layers/module.js';
import { expectClose, expectNoLeakAsync, forEachBackend, tidyAsync } from '../../helpers/backends.js';
import { expectGradcheck, gradcheck, gradcheckVariables } from '../../helpers/gradcheck.js';
import { fixturesDir } from '../../helpers/paths.js';

/** torch.nn.Linear(3, 2) weights and outputs (scripts/reference/layers.py). */
const ref = JSON.parse(readFileSync(join(fixturesDir, 'layers-ref.json'), 'utf8')) as {
  linear: { state: Record<string, { shape: number[]; data: number[] }>; x: number[][]; y: number[][] };
};
const toState = (s: Record<string, { shape: number[]; data: number[] }>) =>
  new Map<string, StateTensor>(
    Object.entries(s).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }]),
  );

forEachBackend('Dense', (t) => {
  t('applyParts = apply on the gathered, concatenated input; gradients to both node features and weights', async () => {
    const d = new Dense(5, 3, { activation: 'tanh' });
    const v = tf.tensor2d(
      Array.from({ length: 4 * 2 }, (_, k) => Math.sin(k + 1)),
      [4, 2],
    ); // 4 atoms × 2
    const e = tf.tensor2d(
      Array.from({ length: 6 }, (_, k) => Math.cos(k)),
      [6, 1],
    ); // 6 edges × 1
    const src = tf.tensor1d([0, 1, 1, 2, 3, 3], 'int32');
    const dst = tf.tensor1d([1, 0, 2, 1, 0, 2], 'int32');
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        const parts = (x: tf.Tensor2D) => [
          { x, index: src },
          { x, index: dst },
          { x: e, inputGrad: false },
        ];
        const concat = (x: tf.Tensor2D) => d.apply(tf.concat([tf.gather(x, src), tf.gather(x, dst), e], 1));
        expectClose(await d.applyParts(parts(v)).data(), await concat(v).data(), { atol: 1e-6, rtol: 1e-6 });
        const w = tf.tensor2d(
          Array.from({ length: 18 }, (_, k) => (k % 5) - 2),
          [6, 3],
        );
        expectGradcheck(
          await gradcheck((x) => tf.sum(tf.mul(d.applyParts(parts(x as tf.Tensor2D)), w)), [v]),
          'node features',
        );
        expectGradcheck(
          await gradcheckVariables(() => tf.sum(tf.mul(d.applyParts(parts(v)), w)), [d.weight, d.bias!]),
          'weights',
        );
      }),
    );
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        // output columns [1, 3) are those columns of the whole layer; their weight gradient lands in those columns
        const parts = [
          { x: v, index: src },
          { x: v, index: dst },
          { x: e, inputGrad: false },
        ];
        expectClose(
          await d.applyParts(parts, [1, 2]).data(),
          await tf.slice(d.applyParts(parts), [0, 1], [-1, 2]).data(),
          { atol: 1e-7, rtol: 0 },
        );
        const { grads } = tf.variableGrads(() => tf.sum(d.applyParts(parts, [1, 2])), [d.weight]);
        const g = (await grads[d.weight.name].array()) as number[][];
        assert.ok(
          g.every((row) => row[0] === 0) && g.some((row) => row[1] !== 0 && row[2] !== 0),
          'gradient confined to columns 1-2',
        );
      }),
    );
    assert.throws(() => d.applyParts([{ x: v }, { x: e }]), /parts of widths \[2, 1\] do not add up to 5/);
    assert.throws(
      () => d.applyParts([{ x: v, index: src }, { x: v, index: dst }, { x: e }], [2, 2]),
      /output columns \[2, 4\) out of range/,
    );
    tf.dispose([v, e, src, dst]);
    d.dispose();
  });

  t('loads torch.nn.Linear weights ([out, in]) and reproduces its outputs', async () => {
    const d = new Dense(3, 2, { init: 'torch' });
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        d.loadState(toState(ref.linear.state));
        assert.equal(d.weight.shape, [3, 2]);
        expectClose(await d.apply(tf.tensor2d(ref.linear.x)).data(), ref.linear.y.flat(), { atol: 1e-6, rtol: 1e-6 });
      }),
    );
    const back = await d.stateDict();
    expectClose(back.get('weight')!.data, ref.linear.state.weight.data, { atol: 0, rtol: 1e-7 });
    assert.equal(back.get('weight')!.shape, [2, 3]);
    d.dispose();
  });

  t('y = act(x·W + b) by hand; rank-3 input maps the last axis; no bias when asked', async () => {
    const d = new Dense(2, 2, { activation: 'relu', init: { weight: constant(0), bias: constant(0) } });
    const n = new Dense(2, 3, { bias: false });
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        d.loadState(
          new Map([
            ['weight', { shape: [2, 2], data: Float32Array.from([1, 2, -3, 4]) }], // torch [out, in]: W_tf = [[1, -3], [2, 4]]
            ['bias', { shape: [2], data: Float32Array.from([0.5, -0.5]) }],
          ]),
        );
        // x = [1, 1]: x·W_tf = [3, 1] + b = [3.5, 0.5]; x = [1, -1]: [-1, -7] + b → relu → [0, 0]
        assert.equal(Array.from(await d.apply(tf.tensor2d([1, 1, 1, -1], [2, 2])).data()), [3.5, 0.5, 0, 0]);
        const x3 = tf.randomNormal([4, 3, 2], 0, 1, 'float32', 1);
        const y3 = n.apply(x3);
        assert.equal(y3.shape, [4, 3, 3]);
        expectClose(await y3.data(), await n.apply(tf.reshape(x3, [12, 2])).data(), { atol: 0, rtol: 0 });
        assert.equal([...n.namedParameters().keys()], ['weight']);
      }),
    );
    assert.throws(() => d.apply(tf.zeros([2, 3])), /input must be \[\.\.\., 2\], got \[2, 3\]/);
    assert.throws(() => d.apply(tf.zeros([2])), /got \[2\]/);
    d.dispose();
    n.dispose();
  });

  t('gradients w.r.t. weights and input match finite differences (rank 2 and 3)', async () => {
    const d = new Dense(3, 4, { activation: 'ssp', init: 'torch' }).initialize(5);
    const x = tf.randomNormal([5, 3], 0, 1, 'float32', 2);
    const x3 = tf.randomNormal([2, 3, 3], 0, 1, 'float32', 3);
    expectGradcheck(
      await gradcheckVariables(() => tf.sum(tf.square(d.apply(x))), [...d.trainableVariables().values()]),
      'weights',
    );
    expectGradcheck(await gradcheck((v) => tf.sum(tf.sin(d.apply(v))), [x]), 'input');
    expectGradcheck(await gradcheck((v) => tf.sum(tf.sin(d.apply(v))), [x3]), 'rank-3 input');
    // inputGrad: false gives the same weight gradients
    const vars = [...d.trainableVariables().values()];
    const g1 = tf.variableGrads(() => tf.sum(tf.square(d.apply(x))) as tf.Scalar, vars).grads;
    const g2 = tf.variableGrads(() => tf.sum(tf.square(d.apply(x, { inputGrad: false }))) as tf.Scalar, vars).grads;
    for (const v of vars) expectClose(await g2[v.name].data(), await g1[v.name].data(), { atol: 1e-6 });
    tf.dispose([x, x3, g1, g2]);
    d.dispose();
  });
});

test('config and initialisers: xavier (default) has zero bias, torch does not', async () => {
  const a = new Dense(16, 8);
  assert.equal(a.getConfig(), { in: 16, out: 8, bias: true, activation: null, init: 'xavier' });
  assert.ok((await a.bias!.data()).every((v) => v === 0));
  const b = new Dense(16, 8, { init: 'torch', activation: 'silu' });
  assert.ok((await b.bias!.data()).some((v) => v !== 0) && (await b.bias!.data()).every((v) => Math.abs(v) <= 0.25));
  assert.is(b.getConfig().activation, 'silu');
  assert.is(b.countParameters(), 16 * 8 + 8);
  a.dispose();
  b.dispose();
});

test.run();
