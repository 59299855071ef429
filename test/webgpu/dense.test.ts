/**
 * The fused dense kernels (models/layers/fusedDense.ts) against the composed ops they replace, both on webgpu:
 * act(A·W[:, window] + b[window]) and its gradients w.r.t. every input, weight and bias within 1e-5 relative, for
 * each fused activation (so a wrong derivative fails), no bias, no activation, one row, no rows, sizes that are not
 * multiples of the 16×16 tile, and parts read through gather indices with a shared input and a column window
 * (`Dense.applyParts`). Then `Dense.apply`/`applyParts` themselves: one dispatch forward, same values.
 * Skipped, visibly, where no adapter exists (test/helpers/webgpu.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Dense } from '../../models/layers/dense.js';
import { GatedMlp } from '../../models/layers/gatedMlp.js';
import { fusedDense, type FusedActivation, type FusedPart } from '../../models/layers/fusedDense.js';
import { gather } from '../../models/layers/ops.js';
import { expectClose } from '../helpers/backends.js';
import { wave as waveOf } from '../helpers/fusedCases.js';
import { webgpuOrSkip } from '../helpers/webgpu.js';

const ready = await webgpuOrSkip('test/webgpu/dense.test.ts');

/** Deterministic values in about [−2.2, 2.2] (scale 2: the activations' curved parts and both signs). */
const wave = (n: number, phase: number, scale = 2) => waveOf(n, phase, scale);

/** The composed reference: TF.js's own activations and autodiff. */
const COMPOSED: Record<FusedActivation, (z: tf.Tensor) => tf.Tensor> = {
  softplus: (z) => tf.softplus(z),
  ssp: (z) => tf.sub(tf.softplus(z), Math.log(2)),
  silu: (z) => tf.mul(z, tf.sigmoid(z)),
  sigmoid: (z) => tf.sigmoid(z),
  tanh: (z) => tf.tanh(z),
  relu: (z) => tf.relu(z),
};

interface PartCase {
  rows: number;
  width: number;
  /** Read through these row indices (and so `index.length` rows of A). */
  index?: number[];
  /** Share the input tensor of an earlier part. */
  sameAs?: number;
  inputGrad?: boolean;
}

interface Case {
  parts: PartCase[];
  out: number;
  columns?: [number, number];
  bias: boolean;
  activation: FusedActivation | null;
}

type Result = { value: Float32Array; grads: Float32Array[]; kernels: string[] };

/** y and the gradients of Σ(y ⊙ R) w.r.t. the inputs that take one, W and b: fused, or composed from TF.js ops. */
async function evaluate(c: Case, fused: boolean): Promise<Result> {
  const xs: tf.Tensor2D[] = [];
  c.parts.forEach((p, i) =>
    xs.push(p.sameAs !== undefined ? xs[p.sameAs] : tf.tensor2d(wave(p.rows * p.width, 0.3 + i), [p.rows, p.width])),
  );
  const indices = c.parts.map((p) => (p.index ? tf.tensor1d(p.index, 'int32') : null));
  const K = c.parts.reduce((a, p) => a + p.width, 0);
  const [start, size] = c.columns ?? [0, c.out];
  const W = tf.tensor2d(wave(K * c.out, 1.1, 0.4), [K, c.out]);
  const b = c.bias ? tf.tensor1d(wave(c.out, 2.9)) : null;
  const M = c.parts[0].index?.length ?? c.parts[0].rows;
  const R = tf.tensor2d(wave(M * size, 4.2, 1), [M, size]);
  const withGrad = [...new Set(xs.filter((_x, i) => c.parts[i].inputGrad !== false))];

  const forward = (inputs: tf.Tensor[], w: tf.Tensor, bias: tf.Tensor | null): tf.Tensor => {
    const x = (i: number) => (withGrad.includes(xs[i]) ? inputs[withGrad.indexOf(xs[i])] : xs[i]) as tf.Tensor2D;
    if (fused) {
      const parts: FusedPart[] = c.parts.map((p, i) => ({
        x: x(i),
        index: indices[i],
        inputGrad: p.inputGrad !== false,
      }));
      const y = fusedDense(parts, w as tf.Tensor2D, bias as tf.Tensor1D | null, [start, size], c.activation);
      if (!y) throw new Error('no fused form on webgpu');
      return y;
    }
    const blocks = c.parts.map((_p, i) => (indices[i] ? gather(x(i), indices[i]!) : x(i)));
    const a = blocks.length === 1 ? blocks[0] : tf.concat(blocks, 1);
    let z = tf.matMul(a, tf.slice(w, [0, start], [K, size]));
    if (bias) z = tf.add(z, tf.slice(bias, [start], [size]));
    return c.activation ? COMPOSED[c.activation](z) : z;
  };
  const params = [...withGrad, W, ...(b ? [b] : [])];
  const profile = await tf.profile(() => {
    tf.dispose(forward(withGrad, W, b));
  });
  // dy = R given directly: a Sum over no rows is not defined on webgpu
  const { value, grads } = tf.valueAndGrads((...t: tf.Tensor[]) =>
    forward(t.slice(0, withGrad.length), t[withGrad.length], b ? t[withGrad.length + 1] : null),
  )(params, R);
  const out = tf.tidy(() => forward(withGrad, W, b));
  const result: Result = {
    value: (await out.data()) as Float32Array,
    grads: await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array)),
    kernels: profile.kernels.map((k) => k.name).filter((n) => n),
  };
  assert.equal(out.shape, [M, size], 'output shape');
  tf.dispose([
    ...new Set(xs),
    ...indices.filter((t): t is tf.Tensor1D => t !== null),
    W,
    R,
    value,
    out,
    ...grads,
    ...(b ? [b] : []),
  ]);
  return result;
}

async function expectSame(c: Case): Promise<Result> {
  const composed = await evaluate(c, false);
  const fused = await evaluate(c, true);
  expectClose(fused.value, composed.value, { rtol: 1e-5, atol: 1e-6, label: 'y' });
  assert.is(fused.grads.length, composed.grads.length);
  fused.grads.forEach((g, i) => expectClose(g, composed.grads[i], { rtol: 1e-5, atol: 1e-6, label: `gradient ${i}` }));
  assert.equal(fused.kernels, ['CrystalGnnDense'], 'one kernel forward');
  return fused;
}

const plain = (rows: number, width: number, out: number, activation: FusedActivation | null, bias = true): Case => ({
  parts: [{ rows, width, inputGrad: true }],
  out,
  bias,
  activation,
});

if (ready) {
  for (const activation of Object.keys(COMPOSED) as FusedActivation[]) {
    test(`fused dense equals the composed ops, values and gradients: ${activation}, 37 rows × 20 → 19 (several partial tiles)`, async () => {
      const r = await expectSame(plain(37, 20, 19, activation));
      assert.ok(
        r.grads.every((g) => g.some((v) => v !== 0)),
        'every gradient non-trivial',
      );
    });
  }

  test('fused dense: no activation, no bias', async () => {
    await expectSame(plain(21, 33, 17, null, false));
  });

  test('fused dense: one row', async () => {
    await expectSame(plain(1, 5, 3, 'silu'));
  });

  // (the composed ops cannot be the reference here: their bias gradient, a Sum over no rows, fails on webgpu)
  test('fused dense: no rows gives [0, out], an empty input gradient and zero weight and bias gradients', async () => {
    const r = await evaluate(plain(0, 6, 4, 'ssp'), true);
    assert.equal(r.kernels, ['CrystalGnnDense']);
    assert.is(r.value.length, 0);
    assert.is(r.grads[0].length, 0);
    assert.ok(r.grads[1].length === 24 && r.grads[1].every((v) => v === 0), 'dW = 0');
    assert.ok(r.grads[2].length === 4 && r.grads[2].every((v) => v === 0), 'db = 0');
  });

  test('fused dense parts: two gathered reads of one input, a data part, a column window (CGCNN fc_full)', async () => {
    const index = (n: number, a: number, m: number) => Array.from({ length: n }, (_, e) => (e * a + (e >> 2)) % m);
    for (const columns of [
      [0, 9],
      [9, 9],
    ] as [number, number][]) {
      await expectSame({
        parts: [
          { rows: 11, width: 9, index: index(40, 7, 11) },
          { rows: 11, width: 9, index: index(40, 3, 10), sameAs: 0 },
          { rows: 40, width: 5, inputGrad: false },
        ],
        out: 18,
        columns,
        bias: true,
        activation: null,
      });
    }
  });

  test('fused dense parts: gathered and plain inputs with an activation; atom 6 is never read', async () => {
    await expectSame({
      parts: [
        { rows: 7, width: 4, index: [0, 1, 2, 3, 4, 5, 0, 1, 5, 5, 2, 3, 4, 4, 1, 0, 2, 3] },
        { rows: 18, width: 17, inputGrad: true },
      ],
      out: 12,
      bias: true,
      activation: 'silu',
    });
  });

  test('Dense.apply on webgpu: one dispatch forward, rank-3 input, values of the composed form', async () => {
    const layer = new Dense(20, 19, { activation: 'ssp' });
    const x = tf.tensor3d(wave(5 * 3 * 20, 0.7), [5, 3, 20]);
    const profile = await tf.profile(() => {
      tf.dispose(layer.apply(x));
    });
    assert.equal(
      profile.kernels.map((k) => k.name).filter((n) => n && n !== 'Reshape'),
      ['CrystalGnnDense'],
    );
    const y = layer.apply(x);
    assert.equal(y.shape, [5, 3, 19]);
    const z = tf.add(tf.matMul(tf.reshape(x, [15, 20]), layer.weight), layer.bias!);
    expectClose(await y.data(), await tf.sub(tf.softplus(z), Math.log(2)).data(), { rtol: 1e-5, atol: 1e-6 });
    tf.dispose([x, y, z]);
    layer.dispose();
  });

  test('Dense.applyParts on webgpu: one dispatch forward, no slice or pad', async () => {
    const layer = new Dense(2 * 6 + 3, 12);
    const h = tf.tensor2d(wave(4 * 6, 0.1), [4, 6]);
    const bond = tf.tensor2d(wave(10 * 3, 0.5), [10, 3]);
    const centre = tf.tensor1d([0, 0, 1, 1, 2, 2, 3, 3, 3, 0], 'int32');
    const neighbor = tf.tensor1d([1, 2, 0, 3, 1, 3, 0, 1, 2, 3], 'int32');
    const parts = [
      { x: h, index: centre },
      { x: h, index: neighbor },
      { x: bond as tf.Tensor2D, inputGrad: false },
    ];
    const profile = await tf.profile(() => {
      tf.dispose(layer.applyParts(parts, [6, 6]));
    });
    assert.equal(
      profile.kernels.map((k) => k.name).filter((n) => n),
      ['CrystalGnnDense'],
    );
    const y = layer.applyParts(parts, [6, 6]);
    const a = tf.concat([tf.gather(h, centre), tf.gather(h, neighbor), bond], 1);
    const expected = tf.add(tf.matMul(a, tf.slice(layer.weight, [0, 6], [15, 6])), tf.slice(layer.bias!, [6], [6]));
    expectClose(await y.data(), await expected.data(), { rtol: 1e-5, atol: 1e-6 });
    tf.dispose([h, bond, centre, neighbor, y, a, expected]);
    layer.dispose();
  });

  test('Dense on webgpu: a data input computed inside the differentiated function survives to the backward', async () => {
    const layer = new Dense(6, 4, { activation: 'softplus' });
    const x = tf.tensor2d(wave(5 * 6, 0.9), [5, 6]);
    const h = tf.tensor2d(wave(3 * 2, 0.2), [3, 2]);
    const index = tf.tensor1d([0, 2, 1, 1, 2], 'int32');
    const loss = () =>
      tf.sum(
        tf.add(
          layer.apply(tf.mul(x, 2), { inputGrad: false }),
          layer.applyParts([
            { x: tf.mul(h, 3) as tf.Tensor2D, index },
            { x: tf.sub(tf.slice(x, [0, 0], [5, 4]), 1) as tf.Tensor2D, inputGrad: false },
          ]),
        ),
      ) as tf.Scalar;
    // submit after every dispatch, so that a disposed tensor's buffer is gone before the backward (with the default
    // batch of 15 the pending disposal hides a missing save in a graph this small)
    const submitBatch = tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE');
    tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', 1);
    let result: ReturnType<typeof tf.variableGrads>;
    try {
      result = tf.variableGrads(loss, [layer.weight, layer.bias!]);
    } finally {
      tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', submitBatch);
    }
    const { value, grads } = result;
    const x2 = tf.mul(x, 2);
    const a = tf.concat([tf.gather(tf.mul(h, 3), index), tf.sub(tf.slice(x, [0, 0], [5, 4]), 1)], 1);
    const expected = tf.variableGrads(
      () =>
        tf.sum(
          tf.add(
            tf.softplus(tf.add(tf.matMul(x2, layer.weight), layer.bias!)),
            tf.softplus(tf.add(tf.matMul(a, layer.weight), layer.bias!)),
          ),
        ) as tf.Scalar,
      [layer.weight, layer.bias!],
    );
    expectClose(
      [await value.data()].flatMap((v) => [...v]),
      [...(await expected.value.data())],
      { rtol: 1e-5 },
    );
    for (const name of Object.keys(expected.grads)) {
      expectClose(await grads[name].data(), await expected.grads[name].data(), { rtol: 1e-5, atol: 1e-6, label: name });
    }
    tf.dispose([x, h, index, value, x2, a, expected.value, ...Object.values(grads), ...Object.values(expected.grads)]);
    layer.dispose();
  });

  test("GatedMlp on webgpu: the gate's sigmoid in its last layer's kernel, values of the composed form", async () => {
    const gated = new GatedMlp([5, 7, 3]);
    const x = tf.tensor2d(wave(9 * 5, 0.4), [9, 5]);
    const profile = await tf.profile(() => {
      tf.dispose(gated.apply(x));
    });
    assert.equal(
      profile.kernels.map((k) => k.name).filter((n) => n),
      ['CrystalGnnDense', 'CrystalGnnDense', 'CrystalGnnDense', 'CrystalGnnDense', 'Multiply'],
    );
    const y = gated.apply(x);
    const silu = (z: tf.Tensor) => tf.mul(z, tf.sigmoid(z));
    const layer = (h: tf.Tensor, d: Dense) => tf.add(tf.matMul(h as tf.Tensor2D, d.weight), d.bias!);
    const [l0, l1] = gated.layers.layers;
    const [g0, g1] = gated.gates.layers;
    const expected = tf.mul(silu(layer(silu(layer(x, l0)), l1)), tf.sigmoid(layer(silu(layer(x, g0)), g1)));
    expectClose(await y.data(), await expected.data(), { rtol: 1e-5, atol: 1e-6 });
    tf.dispose([x, y, expected]);
    gated.dispose();
  });
}

test.run();
