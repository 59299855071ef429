import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { Adam, PlateauScheduler, scheduledLr } from '../../train/optim.js';

// Reference values from torch 1.13 (scripts/reference/optim.py): one parameter [1.0, -2.0],
// gradients g_t = [0.5, 0.25] * t for t = 1..3, lr 0.1.
import ref from '../fixtures/optim-ref.json' with { type: 'json' };

function run(weightDecay: number): number[] {
  tf.setBackend('cpu');
  const p = tf.variable(tf.tensor1d([1.0, -2.0]));
  const opt = new Adam({ lr: 0.1, weightDecay });
  for (let t = 1; t <= 3; t++) {
    const g = tf.tensor1d([0.5 * t, 0.25 * t]);
    opt.apply(new Map([['p', p]]), new Map([['p', g]]));
    g.dispose();
  }
  const out = Array.from(p.dataSync());
  opt.dispose();
  p.dispose();
  return out;
}

test('Adam matches torch.optim.Adam', () => {
  const got = run(0);
  ref.adam.forEach((v: number, i: number) => assert.ok(Math.abs(got[i] - v) < 1e-6, `${got} vs ${ref.adam}`));
});

test('AdamW matches torch.optim.AdamW (decoupled decay)', () => {
  const got = run(0.1);
  ref.adamw.forEach((v: number, i: number) => assert.ok(Math.abs(got[i] - v) < 1e-6, `${got} vs ${ref.adamw}`));
  // and it differs from plain Adam, so the decay is really applied
  assert.ok(Math.abs(got[0] - ref.adam[0]) > 1e-3);
});

test('optimizer leaks no tensors across steps', () => {
  tf.setBackend('cpu');
  const p = tf.variable(tf.tensor1d([1, 2, 3]));
  const opt = new Adam({ lr: 0.01, weightDecay: 0.01 });
  const g = tf.tensor1d([1, 1, 1]);
  opt.apply(new Map([['p', p]]), new Map([['p', g]]));
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) opt.apply(new Map([['p', p]]), new Map([['p', g]]));
  assert.is(tf.memory().numTensors, before);
});

test('cosine schedule: torch CosineAnnealingLR values', () => {
  assert.is(scheduledLr('cosine', 1e-3, 0, 50), 1e-3);
  assert.ok(Math.abs(scheduledLr('cosine', 1e-3, 25, 50) - 5e-4) < 1e-15);
  assert.ok(Math.abs(scheduledLr('cosine', 1e-3, 10, 50) - 0.5e-3 * (1 + Math.cos(Math.PI / 5))) < 1e-15);
  assert.is(scheduledLr('constant', 1e-3, 49, 50), 1e-3);
});

test('plateau: cuts after patience bad epochs', () => {
  const s = new PlateauScheduler(0.5, 2);
  let lr = 1;
  for (const m of [1.0, 0.9, 0.95, 0.95]) lr = s.next(lr, m);
  assert.is(lr, 1);
  lr = s.next(lr, 0.95);
  assert.is(lr, 0.5);
});

test.run();
