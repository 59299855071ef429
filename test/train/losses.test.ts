/** The training loss (device) and the validation loss (host, float64) are one definition: hand values and agreement. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { lossSum, meanLoss, type LossName } from '../../train/losses.js';

test('hand-computed: differences −1 and 3', () => {
  const pred = [0, 2];
  const target = [1, -1];
  assert.is(meanLoss('mse', pred, target), 5);
  assert.is(meanLoss('mae', pred, target), 2);
  // Huber δ = 1: 0.5·1² and 1·(3 − 0.5)
  assert.is(meanLoss('huber', pred, target, 1), 1.5);
});

test('the host mean equals the device sum / n for every loss, on both sides of the Huber δ', async () => {
  await tf.setBackend('cpu');
  const pred = Array.from({ length: 64 }, (_, i) => Math.sin(i * 1.7) * 2);
  const target = Array.from({ length: 64 }, (_, i) => Math.cos(i * 0.9));
  for (const kind of ['mse', 'mae', 'huber'] as LossName[]) {
    const device = lossSum(kind, tf.tensor1d(pred), tf.tensor1d(target), 0.7);
    const expected = (await device.data())[0] / pred.length;
    const host = meanLoss(kind, Float32Array.from(pred), Float32Array.from(target), 0.7);
    assert.ok(
      Math.abs(host - expected) < 1e-6 * Math.max(1, Math.abs(expected)),
      `${kind}: host ${host}, device ${expected}`,
    );
    device.dispose();
  }
});

test.run();
