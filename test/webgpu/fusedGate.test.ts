/**
 * CGCNN's fused gated message (models/layers/fusedGate.ts, `EdgeFlow.gatedSum`) against the composed ops it
 * replaces (σ, softplus, product, weighted segment sum), both on webgpu: values and the gradients w.r.t. the filter
 * and core pre-activations within 1e-5 relative, with receivers that get no edge, row weights (CGCNN's padded-slot
 * multiplicities or occupancies), feature widths 3, 70 and 130, and edges in an order unrelated to either end.
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

const ready = await webgpuOrSkip('test/webgpu/fusedGate.test.ts');

interface Result {
  value: Float32Array;
  dFilter: Float32Array;
  dCore: Float32Array;
  kernels: string[];
}

/** Value and gradients of Σ (gatedSum(f, c) ⊙ R), composed (no edge rows) or fused. */
async function gatedSumWithGrads(c: EdgeCase, fused: boolean): Promise<Result> {
  const E = c.sender.length;
  const F = c.features;
  const { flow, dispose } = edgeFlowOf(c, fused);
  // pre-activations over both signs and the softplus thresholds' neighborhood
  const filter = tf.tensor2d(wave(E * F, 0.4, 4), [E, F]);
  const core = tf.tensor2d(wave(E * F, 1.3, 6), [E, F]);
  const R = tf.tensor2d(wave(c.numAtoms * F, 2.3), [c.numAtoms, F]);
  const profile = await tf.profile(() => {
    tf.dispose(flow.gatedSum(filter, core));
  });
  const { value, grads } = tf.valueAndGrads((f: tf.Tensor, k: tf.Tensor) =>
    tf.sum(tf.mul(flow.gatedSum(f as tf.Tensor2D, k as tf.Tensor2D), R)),
  )([filter, core]);
  const out = tf.tidy(() => flow.gatedSum(filter, core));
  const result = {
    value: (await out.data()) as Float32Array,
    dFilter: (await grads[0].data()) as Float32Array,
    dCore: (await grads[1].data()) as Float32Array,
    kernels: dispatched(profile),
  };
  tf.dispose([filter, core, R, value, out, ...grads]);
  dispose();
  return result;
}

const cases: Record<string, EdgeCase> = {
  'ordered, 70 features (not a multiple of 64), atoms 3 and 6 receive nothing': orderedEdges(70),
  'weighted, 3 features, atom 4 receives nothing': weightedEdges(3),
  'weighted, 130 features, 200 edges among 40 atoms (the last 5 receive nothing)': manyEdges(130),
};

if (ready) {
  for (const [name, c] of Object.entries(cases)) {
    test(`fused gated sum equals the composed ops, values and gradients: ${name}`, async () => {
      const composed = await gatedSumWithGrads(c, false);
      const fused = await gatedSumWithGrads(c, true);
      const close = { rtol: 1e-5, atol: 1e-6 };
      expectClose(fused.value, composed.value, { ...close, label: 'out' });
      expectClose(fused.dFilter, composed.dFilter, { ...close, label: 'd filter' });
      expectClose(fused.dCore, composed.dCore, { ...close, label: 'd core' });
      assert.ok(
        [composed.value, composed.dFilter, composed.dCore].every((v) => v.some((x) => Math.abs(x) > 1e-3)),
        'a non-trivial case',
      );
      assert.equal(fused.kernels, [c.occupancy ? 'CrystalGnnGatedSumWeighted' : 'CrystalGnnGatedSum'], 'one kernel');
      assert.ok(composed.kernels.length >= 4, `composed forward: ${composed.kernels.join(', ')}`);
    });
  }

  test('fused gated sum: an empty receiver row is exactly 0', async () => {
    const fused = await gatedSumWithGrads(orderedEdges(70), true);
    for (const atom of [3, 6])
      assert.ok(
        fused.value.slice(atom * 70, (atom + 1) * 70).every((v) => v === 0),
        `atom ${atom}`,
      );
  });
}

test.run();
