import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { latticeFromParameters, fracToCart } from '../../data/lattice.js';
import { fitNormalizer } from '../../data/normalizer.js';
import type { Atoms } from '../../data/structure.js';
import type { GraphSample } from '../../graph/batch.js';
import { initBackend } from '../../train/backend.js';
import { RunSchema, validateConfig, type RunConfig } from '../../train/config.js';
import { buildModel } from '../../models/build.js';
import { trainOnSamples } from '../../train/run.js';
import { buildNeighbors, toSample } from '../../graph/featurize.js';
import { Trainer } from '../../train/trainer.js';

/** Eight small random crystals with a smooth target (mean Li–X distance), graphs at 3.5 Å. */
function dataset(): GraphSample[] {
  const out: GraphSample[] = [];
  let seed = 1;
  const rnd = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (let k = 0; k < 8; k++) {
    const a = 3.2 + rnd();
    const lattice = latticeFromParameters(a, a + rnd(), a + 0.5 * rnd(), 85 + 10 * rnd(), 90, 95 + 10 * rnd());
    const frac = Float64Array.from({ length: 9 }, () => rnd());
    const atoms: Atoms = { id: `c${k}`, lattice, numbers: Int32Array.from([3, 8, 3 + (k % 3) * 5]), frac, cart: fracToCart(lattice, frac) };
    out.push(toSample(atoms, buildNeighbors(atoms, { cutoff: 3.5 }), -3 + a + 0.2 * (k % 3)));
  }
  return out;
}

function config(training: Record<string, unknown>): RunConfig {
  const base = RunSchema.parse({ model: { name: 'schnet' } });
  return validateConfig({
    ...base, backend: 'cpu', graph: { cutoff: 3.5 },
    model: { name: 'schnet', n_atom_basis: 8, n_interactions: 1, n_rbf: 6 },
    training: { ...base.training, batch_size: 3, epochs: 4, early_stopping_patience: null, ...training },
  }, 'test');
}

async function lossCurve(cfg: RunConfig, samples: GraphSample[]): Promise<number[]> {
  const model = buildModel(cfg);
  const trainer = new Trainer(model, cfg.training, fitNormalizer(samples.map((s) => s.target), 'mean'), cfg.seed);
  const r = await trainer.fit(samples, null);
  trainer.dispose();
  model.dispose();
  return r.history.map((h) => h.train_loss);
}

test.before(async () => {
  await initBackend('cpu');
});

test('same seed, same loss curve; another seed, another curve; and the loss goes down', async () => {
  const samples = dataset();
  const a = await lossCurve(config({ epochs: 6 }), samples);
  const b = await lossCurve(config({ epochs: 6 }), samples);
  assert.equal(a, b);
  const c = await lossCurve({ ...config({ epochs: 6 }), seed: 43 }, samples);
  assert.not.equal(a, c);
  assert.ok(a[5] < a[0], `loss ${a}`);
});

test('micro-batches capped by edges accumulate to the same update as whole batches', async () => {
  const samples = dataset();
  const whole = await lossCurve(config({ epochs: 3 }), samples);
  const micro = await lossCurve(config({ epochs: 3, max_edges_per_batch: 60 }), samples);
  whole.forEach((v, i) => assert.ok(Math.abs(v - micro[i]) < 1e-4 * Math.max(1, Math.abs(v)), `${whole} vs ${micro}`));
});

test('tensor count is flat across epochs (after epoch 1 = after epoch 5)', async () => {
  const samples = dataset();
  const cfg = config({ epochs: 5, grad_clip: 1.0, scheduler: 'cosine' });
  const model = buildModel(cfg);
  const trainer = new Trainer(model, cfg.training, fitNormalizer(samples.map((s) => s.target), 'mean'), cfg.seed);
  const counts: number[] = [];
  await trainer.fit(samples, samples.slice(0, 3), { onEpochEnd: async () => { counts.push(tf.memory().numTensors); } });
  assert.is(counts.length, 5);
  assert.is(counts[4], counts[0], `numTensors per epoch: ${counts}`);
  trainer.dispose();
  model.dispose();
});

test('a diverging run stops naming the epoch and the batch', async () => {
  const samples = dataset().map((s, i) => ({ ...s, target: i === 5 ? 1e30 : s.target }));
  const cfg = config({ epochs: 2, shuffle: false, target_normalization: 'none' });
  const model = buildModel(cfg);
  const trainer = new Trainer(model, cfg.training, { mode: 'none', mean: 0, std: 1 }, cfg.seed);
  try {
    await trainer.fit(samples, null);
    assert.unreachable('should have stopped');
  } catch (err) {
    assert.match((err as Error).message, /loss is (Infinity|NaN) at epoch 1, batch 2 of 3/);
  }
  model.dispose();
});

test('NaN targets are rejected naming the structure', async () => {
  const samples = dataset().map((s, i) => ({ ...s, target: i === 2 ? NaN : s.target }));
  const cfg = config({ epochs: 1 });
  const model = buildModel(cfg);
  const trainer = new Trainer(model, cfg.training, { mode: 'none', mean: 0, std: 1 }, cfg.seed);
  await trainer.fit(samples, null).then(() => assert.unreachable(), (err: Error) => assert.match(err.message, /c2 has target NaN/));
  model.dispose();
});

test('early stopping: stops after `patience` epochs without improvement and keeps the best epoch', async () => {
  const samples = dataset();
  const cfg = config({ epochs: 30, early_stopping_patience: 2, lr: 0.3 });
  const model = buildModel(cfg);
  const trainer = new Trainer(model, cfg.training, fitNormalizer(samples.map((s) => s.target), 'mean'), cfg.seed);
  const r = await trainer.fit(samples.slice(0, 6), samples.slice(6));
  const losses = r.history.map((h) => h.val_loss!);
  const best = Math.min(...losses);
  assert.is(losses[r.bestEpoch - 1], best);
  if (r.stoppedEarly) assert.is(r.history.length, r.bestEpoch + 2);
  assert.ok(r.bestWeights !== null);
  trainer.dispose();
  model.dispose();
});

test('an interrupted run resumes to the same result as an uninterrupted one', async () => {
  const samples = dataset();
  const opts = { log: () => {}, backend: 'cpu' };
  const full = mkdtempSync(join(tmpdir(), 'full-'));
  await trainOnSamples(config({ epochs: 4 }), samples.slice(0, 6), samples.slice(6), { ...opts, out: full });
  const part = mkdtempSync(join(tmpdir(), 'part-'));
  await trainOnSamples(config({ epochs: 2 }), samples.slice(0, 6), samples.slice(6), { ...opts, out: part });
  await trainOnSamples(config({ epochs: 4 }), samples.slice(0, 6), samples.slice(6), { ...opts, out: part, resume: true });
  const log = (dir: string): unknown[] => readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n')
    .map((l) => { const r = JSON.parse(l); delete r.seconds; return r; });
  assert.equal(log(part), log(full));
  assert.equal(readFileSync(join(part, 'weights.safetensors')), readFileSync(join(full, 'weights.safetensors')));
});

test.run();
