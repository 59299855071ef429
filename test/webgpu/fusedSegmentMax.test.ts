/**
 * segmentMax's fused scan on webgpu (models/layers/fusedSegmentMax.ts) against the composed sort it replaces, run on
 * the cpu backend: equal maxima (the maximum is exact, so bit for bit) for segments in no order, all-negative
 * segments, empty segments (−∞) and more segments than a 64-thread workgroup; one kernel on webgpu; and
 * segmentSoftmax, which takes its shift from it, with its gradient. Skipped, visibly, where no adapter exists.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { segmentMax, segmentSoftmax } from '../../models/layers/ops.js';
import { initBackend } from '../../train/backend.js';
import { expectClose } from '../helpers/backends.js';
import { dispatched, wave } from '../helpers/fusedCases.js';
import { webgpuOrSkip } from '../helpers/webgpu.js';

const ready = await webgpuOrSkip('test/webgpu/fusedSegmentMax.test.ts');

interface Case {
  values: number[];
  ids: number[];
  segments: number;
}

const cases: Record<string, Case> = {
  'segments in no order, one all negative, one empty': {
    values: [3, -1, 7, 7, 2, -5, -0.5, -2],
    ids: [2, 0, 2, 2, 0, 1, 1, 1],
    segments: 4,
  },
  '300 entries in 90 segments (the last 7 empty), values about ±1e4': {
    values: wave(300, 0.7, 1e4),
    ids: Array.from({ length: 300 }, (_, e) => (e * 31 + (e >> 2)) % 83),
    segments: 90,
  },
};

/** segmentMax and segmentSoftmax's value and gradient of Σ α ⊙ R on the active backend. */
async function run(c: Case) {
  const x = tf.tensor1d(c.values);
  const ids = tf.tensor1d(c.ids, 'int32');
  const R = tf.tensor1d(wave(c.values.length, 1.3));
  const profile = await tf.profile(() => tf.dispose(segmentMax(x, ids, c.segments)));
  const max = segmentMax(x, ids, c.segments);
  // softmax of scaled-down scores, so that every entry's weight is visible in the comparison
  const scores = tf.mul(x, 1e-3) as tf.Tensor1D;
  const alpha = segmentSoftmax(scores, ids, c.segments);
  const grad = tf.grad((s: tf.Tensor) => tf.sum(tf.mul(segmentSoftmax(s as tf.Tensor1D, ids, c.segments), R)))(scores);
  const out = {
    max: Array.from(await max.data()),
    alpha: (await alpha.data()) as Float32Array,
    grad: (await grad.data()) as Float32Array,
    kernels: dispatched(profile),
  };
  tf.dispose([x, ids, R, max, scores, alpha, grad]);
  return out;
}

if (ready) {
  for (const [name, c] of Object.entries(cases)) {
    test(`fused segmentMax equals the composed sort, segmentSoftmax and its gradient follow: ${name}`, async () => {
      await initBackend('cpu');
      const composed = await run(c);
      await initBackend('webgpu');
      const before = tf.memory().numTensors;
      const fused = await run(c);
      assert.is(tf.memory().numTensors, before, 'no tensor left behind');
      assert.equal(fused.max, composed.max, 'maxima, bit for bit');
      assert.ok(composed.max.includes(-Infinity), 'an empty segment is tested');
      expectClose(fused.alpha, composed.alpha, { rtol: 1e-5, atol: 1e-7, label: 'α' });
      expectClose(fused.grad, composed.grad, { rtol: 1e-5, atol: 1e-7, label: 'dα' });
      assert.equal(fused.kernels, ['CrystalGnnSegmentMax'], 'one kernel on webgpu');
      assert.ok(composed.kernels.length >= 10, `composed: ${composed.kernels.join(', ')}`);
    });
  }
}

test.run();
