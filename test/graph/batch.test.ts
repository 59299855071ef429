import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { collate, disposeBatch, planBatches, type GraphSample } from '../../graph/batch.js';

function sample(id: string, atoms: number, edges: Array<[number, number]>, target: number): GraphSample {
  return {
    id,
    numbers: Int32Array.from({ length: atoms }, (_, i) => i + 1),
    src: Int32Array.from(edges.map((e) => e[0])),
    dst: Int32Array.from(edges.map((e) => e[1])),
    vectors: Float32Array.from(edges.flatMap((_, k) => [k, 0, 0])),
    distances: Float32Array.from(edges.map((_, k) => k)),
    target,
    triplets: {
      edgeA: Int32Array.from(edges.map((_, k) => k)),
      edgeB: Int32Array.from(edges.map((_, k) => (k + 1) % edges.length)),
    },
  };
}

test('collate offsets atom indices by atoms and triplet edge ids by edges', async () => {
  tf.setBackend('cpu');
  // three triplets on two edges, so that offsetting triplet edge ids by the triplet count (not the edge count) shows
  const a = {
    ...sample(
      'a',
      2,
      [
        [0, 1],
        [1, 0],
      ],
      1.5,
    ),
    triplets: { edgeA: Int32Array.from([0, 1, 0]), edgeB: Int32Array.from([1, 0, 1]) },
  };
  const b = sample(
    'b',
    3,
    [
      [0, 2],
      [2, 1],
      [1, 1],
    ],
    -2,
  );
  const before = tf.memory().numTensors;
  const batch = collate([a, b]);
  assert.equal(Array.from(await batch.src.data()), [0, 1, 2, 4, 3]);
  assert.equal(Array.from(await batch.dst.data()), [1, 0, 4, 3, 3]);
  assert.equal(Array.from(await batch.graphOfAtom.data()), [0, 0, 1, 1, 1]);
  assert.equal(Array.from(await batch.triplets!.edgeA.data()), [0, 1, 0, 2, 3, 4]);
  assert.equal(Array.from(await batch.triplets!.edgeB.data()), [1, 0, 1, 3, 4, 2]);
  assert.equal(Array.from(await batch.targets.data()), [1.5, -2]);
  assert.equal(Array.from(batch.atomsPerGraph), [2, 3]);
  assert.ok(Math.abs((await batch.inverseAtomCounts.data())[1] - 1 / 3) < 1e-7);
  assert.equal(batch.vectors.shape, [5, 3]);
  disposeBatch(batch);
  assert.is(tf.memory().numTensors, before);
});

test('planBatches keeps the batch size and caps edges per micro-batch', () => {
  const samples = [4, 4, 4, 10, 1].map((e, i) =>
    sample(
      `s${i}`,
      2,
      Array.from({ length: e }, () => [0, 1] as [number, number]),
      0,
    ),
  );
  const plan = planBatches([0, 1, 2, 3, 4], samples, 4, 8);
  assert.equal(plan, [[[0, 1], [2], [3]], [[4]]]);
  const noCap = planBatches([4, 3, 2, 1, 0], samples, 2, 1e9);
  assert.equal(noCap, [[[4, 3]], [[2, 1]], [[0]]]);
});

test.run();
