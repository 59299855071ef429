/**
 * The fused continuous-filter kernel (models/layers/fused.ts) against the composed ops it replaces, both on webgpu:
 * values and gradients (dx, dW) within 1e-5 relative, with receivers that get no edge, occupancy weights, a
 * feature width that is not a multiple of the 64-thread workgroup, and edges in an order unrelated to either end.
 * Skipped, visibly, where no adapter exists (test/helpers/webgpu.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expectClose } from '../helpers/backends.js';
import {
  dispatched,
  edgeFlowOf,
  type EdgeCase,
  manyEdges,
  orderedEdges,
  wave,
  weightedEdges,
} from '../helpers/fusedCases.js';
import { webgpuOrSkip } from '../helpers/webgpu.js';

const ready = await webgpuOrSkip('test/webgpu/fused.test.ts');

type Case = EdgeCase;

/** Value and gradients of Σ (convolve(x, W) ⊙ R), composed (no edge rows) or fused. */
async function convolveWithGrads(
  c: Case,
  fused: boolean,
): Promise<{ value: Float32Array; dx: Float32Array; dW: Float32Array; kernels: string[] }> {
  const E = c.sender.length;
  const { flow, dispose } = edgeFlowOf(c, fused);
  const x = tf.tensor2d(wave(c.numAtoms * c.features, 0.2), [c.numAtoms, c.features]);
  const W = tf.tensor2d(wave(E * c.features, 1.1), [E, c.features]);
  const R = tf.tensor2d(wave(c.numAtoms * c.features, 2.3), [c.numAtoms, c.features]);
  const profile = await tf.profile(() => {
    tf.dispose(flow.convolve(x, W));
  });
  const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(flow.convolve(a as tf.Tensor2D, b), R)),
  )([x, W]);
  const out = tf.tidy(() => flow.convolve(x, W));
  const result = {
    value: (await out.data()) as Float32Array,
    dx: (await grads[0].data()) as Float32Array,
    dW: (await grads[1].data()) as Float32Array,
    kernels: dispatched(profile),
  };
  tf.dispose([x, W, R, value, out, ...grads]);
  dispose();
  return result;
}

const cases: Record<string, Case> = {
  'ordered, 70 features (not a multiple of 64), atoms 3 and 6 receive nothing': orderedEdges(70),
  'occupancy-weighted, 3 features, atom 4 receives nothing and sends nothing': weightedEdges(3),
  'weighted, 130 features, 200 random edges among 40 atoms (the last 5 receive nothing)': manyEdges(130),
};

if (ready) {
  for (const [name, c] of Object.entries(cases)) {
    test(`fused convolve equals the composed ops, values and gradients: ${name}`, async () => {
      const composed = await convolveWithGrads(c, false);
      const fused = await convolveWithGrads(c, true);
      expectClose(fused.value, composed.value, { rtol: 1e-5, atol: 1e-6, label: 'out' });
      expectClose(fused.dx, composed.dx, { rtol: 1e-5, atol: 1e-6, label: 'dx' });
      expectClose(fused.dW, composed.dW, { rtol: 1e-5, atol: 1e-6, label: 'dW' });
      assert.ok(
        composed.value.some((v) => v !== 0),
        'a non-trivial case',
      );
      assert.equal(fused.kernels, ['CrystalGnnSegmentConvolve'], 'one kernel forward');
      assert.ok(composed.kernels.length >= 3, `composed forward: ${composed.kernels.join(', ')}`);
    });
  }

  test('fused convolve: an empty receiver row is exactly 0', async () => {
    const c = cases['ordered, 70 features (not a multiple of 64), atoms 3 and 6 receive nothing'];
    const fused = await convolveWithGrads(c, true);
    for (const atom of [3, 6])
      assert.ok(
        fused.value.slice(atom * 70, (atom + 1) * 70).every((v) => v === 0),
        `atom ${atom}`,
      );
  });
}

test.run();
