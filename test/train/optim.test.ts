import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { Adam, PlateauScheduler, scheduledLr } from '../../train/optim.js';

// Reference values from torch 1.13 (scripts/reference/optim.py): one parameter [1.0, -2.0],
// gradients g_t = [0.5, 0.25] * t for t = 1..3, lr 0.1.
import ref from '../fixtures/optim-ref.json' with { type: 'json' };

async function run(weightDecay: number): Promise<number[]> {
  tf.setBackend('cpu');
  const p = tf.variable(tf.tensor1d([1.0, -2.0]));
  const opt = new Adam({ lr: 0.1, weightDecay });
  for (let t = 1; t <= 3; t++) {
    const g = tf.tensor1d([0.5 * t, 0.25 * t]);
    opt.apply(new Map([['p', p]]), new Map([['p', g]]));
    g.dispose();
  }
  const out = Array.from(await p.data());
  opt.dispose();
  p.dispose();
  return out;
}

test('Adam matches torch.optim.Adam', async () => {
  const got = await run(0);
  ref.adam.forEach((v: number, i: number) => assert.ok(Math.abs(got[i] - v) < 1e-6, `${got} vs ${ref.adam}`));
});

test('AdamW matches torch.optim.AdamW (decoupled decay)', async () => {
  const got = await run(0.1);
  ref.adamw.forEach((v: number, i: number) => assert.ok(Math.abs(got[i] - v) < 1e-6, `${got} vs ${ref.adamw}`));
  // and it differs from plain Adam, so the decay is really applied
  assert.ok(Math.abs(got[0] - ref.adam[0]) > 1e-3);
});

/** Two steps on one scalar parameter θ₀ = 1 with gradients 2 then −1 (lr 0.1, β₁ 0.9, β₂ 0.999). */
async function twoSteps(opts: { weightDecay?: number; eps?: number }): Promise<number[]> {
  tf.setBackend('cpu');
  const p = tf.variable(tf.tensor1d([1]));
  const opt = new Adam({ lr: 0.1, ...opts });
  const out: number[] = [];
  for (const grad of [2, -1]) {
    const g = tf.tensor1d([grad]);
    opt.apply(new Map([['p', p]]), new Map([['p', g]]));
    g.dispose();
    out.push((await p.data())[0]);
  }
  opt.dispose();
  p.dispose();
  return out;
}

test('Adam and AdamW by hand: two steps, bias correction and decoupled decay written out', async () => {
  // step 1: m = 0.1·2 = 0.2, v = 0.001·4 = 0.004; m̂ = 0.2/(1−0.9) = 2, v̂ = 0.004/(1−0.999) = 4 → θ₁ = 1 − 0.1·2/2 = 0.9
  // step 2: m = 0.9·0.2 − 0.1 = 0.08, v = 0.999·0.004 + 0.001 = 0.004996;
  //         m̂ = 0.08/(1−0.81) = 8/19, v̂ = 0.004996/(1−0.998001) = 4996/1999 → θ₂ = θ₁ − 0.1·(8/19)/√(4996/1999)
  const second = (0.1 * (8 / 19)) / Math.sqrt(4996 / 1999);
  const near = (got: number[], want: number[], what: string): void =>
    want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) < 1e-6, `${what}: step ${i + 1}: ${got[i]} vs ${w}`));
  near(await twoSteps({}), [0.9, 0.9 - second], 'Adam');
  // AdamW, weight decay 0.5: θ ← θ(1 − 0.1·0.5) − step, i.e. ×0.95 before each step
  near(await twoSteps({ weightDecay: 0.5 }), [0.95 - 0.1, (0.95 - 0.1) * 0.95 - second], 'AdamW');
  // ε = 1 outside the square root: step 1 is 0.1·2/(√4 + 1) (inside it would be 0.1·2/√5)
  near(await twoSteps({ eps: 1 }), [1 - 0.2 / 3], 'Adam, ε = 1');
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
