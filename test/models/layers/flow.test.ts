import * as tf from '@tensorflow/tfjs';
import * as assert from 'uvu/assert';
import { collate, disposeBatch, type GraphSample } from '../../../graph/batch.js';
import { EdgeFlow } from '../../../models/layers/flow.js';
import { expectClose, expectNoLeakAsync, forEachBackend, tidyAsync } from '../../helpers/backends.js';
import { expectGradcheck, gradcheck } from '../../helpers/gradcheck.js';

/** 3 atoms, directed edges 0→1, 0→2, 1→0, 2→0 (src → dst); occupancies 1, 0.5, 0.25. */
function sample(withOccupancy: boolean): GraphSample {
  return {
    id: 'toy',
    numbers: new Int32Array([3, 8, 8]),
    target: 0,
    src: new Int32Array([0, 0, 1, 2]),
    dst: new Int32Array([1, 2, 0, 0]),
    vectors: new Float32Array(12).fill(1),
    distances: new Float32Array([1, 2, 1, 2]),
    ...(withOccupancy
      ? {
          occupancy: new Float32Array([1, 0.5, 0.25]),
          mixNode: new Int32Array([0, 1, 2]),
          mixNumbers: new Int32Array([3, 8, 8]),
          mixWeights: new Float32Array([1, 0.5, 0.25]),
        }
      : {}),
  };
}

const x = [
  [1, 10],
  [2, 20],
  [3, 30],
];

forEachBackend('EdgeFlow', (test) => {
  test('toCentre gathers x_j and sums o_j·x_j into the centre (hand-computed)', async () => {
    const batch = collate([sample(true)]);
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        const flow = EdgeFlow.toCentre(batch);
        // centre 0 receives from 1 (o 0.5) and 2 (o 0.25); atoms 1 and 2 receive from 0 (o 1)
        expectClose(await flow.sum(flow.from(tf.tensor2d(x))).data(), [
          0.5 * 2 + 0.25 * 3,
          0.5 * 20 + 0.25 * 30,
          1,
          10,
          1,
          10,
        ]);
      }),
    );
    disposeBatch(batch);
  });

  test('edge messages: the direction decides both the receiver and the weight', async () => {
    const batch = collate([sample(true)]);
    await tidyAsync(async () => {
      const m = tf.tensor2d([[1], [2], [3], [4]]);
      // toCentre: edge e weighted by o[dst_e] = [0.5, 0.25, 1, 1], summed into src = [0, 0, 1, 2]
      expectClose(await EdgeFlow.toCentre(batch).sum(m).data(), [0.5 + 0.5, 3, 4], { label: 'toCentre' });
      // toNeighbor: edge e weighted by o[src_e] = [1, 1, 0.5, 0.25], summed into dst = [1, 2, 0, 0]
      expectClose(await EdgeFlow.toNeighbor(batch).sum(m).data(), [1.5 + 1, 1, 2], { label: 'toNeighbor' });
    });
    disposeBatch(batch);
  });

  test('ordered batches are unweighted; rank-3 messages are weighted per edge; convolve = sum(from(x) ⊙ W)', async () => {
    const ordered = collate([sample(false)]);
    const mixed = collate([sample(true)]);
    await tidyAsync(async () => {
      const flow = EdgeFlow.toCentre(ordered);
      assert.is(flow.weights, null);
      expectClose(await flow.sum(tf.tensor2d([[1], [2], [3], [4]])).data(), [3, 3, 4]);
      const m3 = tf.ones([4, 3, 2]);
      expectClose(
        await EdgeFlow.toCentre(mixed).sum(m3).data(),
        [...Array(6).fill(0.75), ...Array(6).fill(1), ...Array(6).fill(1)],
        { label: 'rank 3' },
      );
      const w = tf.tensor2d([
        [1, 2],
        [3, 4],
        [5, 6],
        [7, 8],
      ]);
      const xs = tf.tensor2d(x);
      const m = EdgeFlow.toCentre(mixed);
      expectClose(await m.convolve(xs, w).data(), await m.sum(tf.mul(m.from(xs), w)).data(), { atol: 0, rtol: 0 });
      expectGradcheck(
        await gradcheck((a, b) => tf.sum(tf.square(m.convolve(a as tf.Tensor2D, b))), [xs, w]),
        'convolve',
      );
    });
    disposeBatch(ordered);
    disposeBatch(mixed);
  });
});
