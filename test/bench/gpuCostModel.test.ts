import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  costParams,
  kernelBytes,
  kernelSeconds,
  protocolSeconds,
  scaleFactor,
  scaledBytes,
  type BatchSizes,
  type KernelRecord,
} from '../../bench/gpuCostModel.js';

const close = (a: number, b: number, tol = 1e-12): void =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} ≠ ${b}`);

test('kernelBytes: 4 bytes per output element over all outputs; a scalar is 4 bytes', () => {
  assert.is(kernelBytes({ name: 'Add', outputShapes: [[10, 3]] }), 120);
  assert.is(kernelBytes({ name: 'TopK', outputShapes: [[5], [5]] }), 40);
  assert.is(kernelBytes({ name: 'Sum', outputShapes: [[]] }), 4);
});

test('kernelSeconds: launch-bound kernels cost t_launch, large ones bytes/BW (hand-computed)', () => {
  const p = costParams(20e-6); // 1.5 TB/s: break-even at 30 MB
  // 1 kB → 20 µs; 30 MB → exactly 20 µs; 150 MB → 100 µs.
  close(kernelSeconds([1e3, 30e6, 150e6], p), 20e-6 + 20e-6 + 100e-6);
  close(kernelSeconds([], p), 0);
  close(kernelSeconds([150e6], costParams(200e-6)), 200e-6);
});

test('scaleFactor: leading dimension matched to triplets, edges, pairs, atoms, crystals; padded multiples; else 1', () => {
  const from: BatchSizes = { graphs: 4, atoms: 200, edges: 5000, pairs: 2500, triplets: 90000 };
  const to: BatchSizes = { graphs: 8, atoms: 300, edges: 15000, pairs: 5000, triplets: 45000 };
  const k = (shape: number[]): KernelRecord => ({ name: 'X', outputShapes: [shape] });
  close(scaleFactor(k([90000, 16]), from, to), 0.5);
  close(scaleFactor(k([5000, 64]), from, to), 3);
  close(scaleFactor(k([2500]), from, to), 2);
  close(scaleFactor(k([200, 64]), from, to), 1.5);
  close(scaleFactor(k([4]), from, to), 2);
  close(scaleFactor(k([2600, 64]), from, to), 1.5); // 13 × atoms: CGCNN's padded neighbor slots
  close(scaleFactor(k([64, 64]), from, to), 1); // a weight gradient
  close(scaleFactor(k([]), from, to), 1);
  close(scaleFactor({ name: 'NoOut', outputShapes: [] }, from, to), 1);
  // An [E] float tensor grows with E (20 kB × 3); a [64, 64] weight stays 64·64·4 B
  assert.equal(scaledBytes([k([5000]), k([64, 64])], from, to), [60000, 16384]);
});

test('protocolSeconds: trials × folds × CV epochs + retraining + test (hand-computed)', () => {
  // 100 × 5 × 10 × 0.2 s = 1000 s; retrain 7 × 0.25 = 1.75 s; test 0.05 s
  close(protocolSeconds({ trials: 100, folds: 5, cvEpochs: 10, retrainEpochs: 7 }, 0.2, 0.25, 0.05), 1001.8);
});

test.run();
