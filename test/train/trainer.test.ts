import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fitNormalizer, type Normalizer } from '../../data/normalizer.js';
import type { GraphSample } from '../../graph/batch.js';
import { initBackend } from '../../train/backend.js';
import type { RunConfig } from '../../train/config.js';
import { trainOnSamples } from '../../train/run.js';
import type { GraphOptions } from '../../graph/featurize.js';
import { readSafetensorsFile } from '../../train/safetensors.js';
import { toyCrystals } from '../helpers/toyCrystals.js';
import { tinyConfig, trainLosses, withTrainer } from '../helpers/training.js';

/** Eight small random crystals in oblique cells with a smooth target, graphs at 3.5 Å (or as given). */
function dataset(graph: GraphOptions = { cutoff: 3.5 }): GraphSample[] {
  return toyCrystals({ angles: { alpha: 85, gamma: 95, spread: 10 }, target: (a, k) => -3 + a + 0.2 * (k % 3), graph });
}

/** An 8-wide, one-interaction SchNet trained 4 epochs unless `training` says otherwise. */
function config(training: Record<string, unknown>): RunConfig {
  return tinyConfig({ name: 'schnet', n_atom_basis: 8, n_interactions: 1, n_rbf: 6 }, { epochs: 4, ...training });
}

/** Targets as they are: for runs whose targets a fitted normaliser would refuse or overflow on. */
const IDENTITY: Normalizer = { mode: 'none', mean: 0, std: 1 };

test.before(async () => {
  await initBackend('cpu');
});

/** A run's log.jsonl records without their wall-clock seconds. */
const epochLog = (dir: string): unknown[] =>
  readFileSync(join(dir, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const r = JSON.parse(l);
      delete r.seconds;
      return r;
    });

test('same seed, same loss curve; another seed, another curve; and the loss goes down', async () => {
  const samples = dataset();
  const a = await trainLosses(config({ epochs: 6 }), samples);
  const b = await trainLosses(config({ epochs: 6 }), samples);
  assert.equal(a, b);
  const c = await trainLosses({ ...config({ epochs: 6 }), seed: 43 }, samples);
  assert.not.equal(a, c);
  assert.ok(a[5] < a[0], `loss ${a}`);
});

test('micro-batches capped by edges accumulate to the same update as whole batches', async () => {
  const samples = dataset();
  const whole = await trainLosses(config({ epochs: 3 }), samples);
  const micro = await trainLosses(config({ epochs: 3, max_edges_per_batch: 60 }), samples);
  whole.forEach((v, i) => assert.ok(Math.abs(v - micro[i]) < 1e-4 * Math.max(1, Math.abs(v)), `${whole} vs ${micro}`));
});

test('tensor count is flat across epochs (after epoch 1 = after epoch 5)', async () => {
  const samples = dataset();
  const counts: number[] = [];
  await withTrainer(config({ epochs: 5, grad_clip: 1.0, scheduler: 'cosine' }), samples, (trainer) =>
    trainer.fit(samples, samples.slice(0, 3), {
      onEpochEnd: async () => {
        counts.push(tf.memory().numTensors);
      },
    }),
  );
  assert.is(counts.length, 5);
  assert.is(counts[4], counts[0], `numTensors per epoch: ${counts}`);
});

test('a diverging run stops naming the epoch and the batch', async () => {
  const samples = dataset().map((s, i) => ({ ...s, target: i === 5 ? 1e30 : s.target }));
  const cfg = config({ epochs: 2, shuffle: false, target_normalization: 'none' });
  await withTrainer(cfg, samples, (trainer) => trainer.fit(samples, null), { normalizer: IDENTITY }).then(
    () => assert.unreachable('should have stopped'),
    (err: Error) => assert.match(err.message, /loss is (Infinity|NaN) at epoch 1, batch 2 of 3/),
  );
});

test('NaN targets are rejected naming the structure', async () => {
  const samples = dataset().map((s, i) => ({ ...s, target: i === 2 ? NaN : s.target }));
  await withTrainer(config({ epochs: 1 }), samples, (trainer) => trainer.fit(samples, null), {
    normalizer: IDENTITY,
  }).then(
    () => assert.unreachable(),
    (err: Error) => assert.match(err.message, /c2 has target NaN/),
  );
});

test('early stopping: stops after `patience` epochs without improvement and keeps the best epoch', async () => {
  const samples = dataset();
  const cfg = config({ epochs: 30, early_stopping_patience: 2, lr: 0.3 });
  const r = await withTrainer(cfg, samples, (trainer) => trainer.fit(samples.slice(0, 6), samples.slice(6)));
  const losses = r.history.map((h) => h.val_loss!);
  const best = Math.min(...losses);
  assert.is(losses[r.bestEpoch - 1], best);
  if (r.stoppedEarly) assert.is(r.history.length, r.bestEpoch + 2);
  assert.ok(r.bestWeights !== null);
});

test('an interrupted run resumes to the same result as an uninterrupted one', async () => {
  const samples = dataset();
  const opts = { log: () => {}, backend: 'cpu' };
  const full = mkdtempSync(join(tmpdir(), 'full-'));
  await trainOnSamples(config({ epochs: 4 }), samples.slice(0, 6), samples.slice(6), { ...opts, out: full });
  const part = mkdtempSync(join(tmpdir(), 'part-'));
  await trainOnSamples(config({ epochs: 2 }), samples.slice(0, 6), samples.slice(6), { ...opts, out: part });
  await trainOnSamples(config({ epochs: 4 }), samples.slice(0, 6), samples.slice(6), {
    ...opts,
    out: part,
    resume: true,
  });
  assert.equal(epochLog(part), epochLog(full));
  assert.equal(readFileSync(join(part, 'weights.safetensors')), readFileSync(join(full, 'weights.safetensors')));
});

/** A 8-wide, one-convolution CGCNN on 12-nearest-neighbor graphs within 3.5 Å (the second config of these checks). */
function cgcnnConfig(training: Record<string, unknown>): RunConfig {
  return tinyConfig(
    { name: 'cgcnn', atom_fea_len: 8, n_conv: 1, h_fea_len: 8, n_h: 1, max_num_nbr: 12 },
    { epochs: 4, ...training },
    { graph: { cutoff: 3.5, max_neighbors: 12 } },
  );
}
const cgcnnData = (): GraphSample[] => dataset({ cutoff: 3.5, max_neighbors: 12 });

/**
 * The epoch a run with this validation-loss history must stop at (the first with `patience` epochs since the best, an
 * improvement being a drop by more than `minDelta`), and its best epoch.
 */
function stopEpoch(losses: number[], patience: number, minDelta = 0): { stop: number; best: number } {
  let bestLoss = Infinity;
  let best = 0;
  let bad = 0;
  for (let e = 0; e < losses.length; e++) {
    if (losses[e] < bestLoss - minDelta) {
      bestLoss = losses[e];
      best = e + 1;
      bad = 0;
    } else if (++bad >= patience) {
      return { stop: e + 1, best };
    }
  }
  return { stop: losses.length, best };
}

test('early stopping on CGCNN: stops exactly `patience` epochs after the best one, which it keeps', async () => {
  const samples = cgcnnData();
  const cfg = cgcnnConfig({ epochs: 40, early_stopping_patience: 3, lr: 0.05 });
  const r = await withTrainer(cfg, samples, (trainer) => trainer.fit(samples.slice(0, 6), samples.slice(6)));
  const losses = r.history.map((h) => h.val_loss!);
  assert.ok(r.stoppedEarly, `the run should stop early within 40 epochs: ${losses.map((l) => l.toFixed(3)).join(' ')}`);
  assert.equal(
    [r.history.length, r.bestEpoch],
    [stopEpoch(losses, 3).stop, stopEpoch(losses, 3).best],
    `stopped at ${r.history.length}: ${losses.map((l) => l.toFixed(4)).join(' ')}`,
  );
  assert.is(r.history.length, r.bestEpoch + 3);
  assert.is(losses[r.bestEpoch - 1], Math.min(...losses));
  assert.equal(
    r.history.map((h) => h.epoch),
    Array.from({ length: r.history.length }, (_, i) => i + 1),
  );
});

test('CGCNN (BatchNorm over the batch) refuses a batch the edge cap would split; a cap every batch fits trains', async () => {
  const samples = cgcnnData().slice(0, 6);
  const edges = samples.map((s) => s.src.length);
  const fit = async (cap: number): Promise<void> => {
    const cfg = cgcnnConfig({ epochs: 1, batch_size: 3, max_edges_per_batch: cap });
    await withTrainer(cfg, samples, (trainer) => trainer.fit(samples, null));
  };
  await fit(3 * Math.max(...edges));
  await fit(Math.max(...edges)).then(
    () => assert.unreachable('a split CGCNN batch must be refused'),
    (e: Error) => {
      assert.is(e.name, 'InputError');
      assert.match(
        e.message,
        /^training\.max_edges_per_batch: a batch of 3 crystals has \d+ edges, more than the \d+ .* cgcnn normalises over the whole batch/,
      );
    },
  );
});

test('early stopping with min_delta: an epoch counts as better only by more than min_delta', async () => {
  const samples = cgcnnData();
  const cfg = cgcnnConfig({ epochs: 40, early_stopping_patience: 3, lr: 0.05, min_delta: 0.02 });
  const r = await withTrainer(cfg, samples, (trainer) => trainer.fit(samples.slice(0, 6), samples.slice(6)));
  const losses = r.history.map((h) => h.val_loss!);
  assert.ok(r.stoppedEarly);
  const expected = stopEpoch(losses, 3, 0.02);
  assert.equal(
    [r.history.length, r.bestEpoch],
    [expected.stop, expected.best],
    losses.map((l) => l.toFixed(4)).join(' '),
  );
  // not vacuous: a later epoch had a lower loss, but not by more than min_delta, so it is not the kept best
  assert.ok(Math.min(...losses) < losses[r.bestEpoch - 1], 'min_delta decided something here');
});

test('CGCNN killed during epoch 3 resumes after epoch 2 and ends exactly as the uninterrupted run, early stop included', async () => {
  const samples = cgcnnData();
  const cfg = cgcnnConfig({ epochs: 40, early_stopping_patience: 3, lr: 0.05 });
  const opts = { backend: 'cpu' };
  const full = mkdtempSync(join(tmpdir(), 'cgcnn-full-'));
  const whole = await trainOnSamples(cfg, samples.slice(0, 6), samples.slice(6), { ...opts, out: full, log: () => {} });
  assert.ok(whole.epochsRun > 3 && whole.epochsRun < 40, `stops early after epoch 3: ${whole.epochsRun}`);

  const part = mkdtempSync(join(tmpdir(), 'cgcnn-part-'));
  const kill = (epoch: number): void => {
    if (epoch === 2) throw new Error('killed');
  };
  await trainOnSamples(cfg, samples.slice(0, 6), samples.slice(6), {
    ...opts,
    out: part,
    log: () => {},
    onBatch: kill,
  }).then(
    () => assert.unreachable('killed in epoch 3'),
    (e: Error) => assert.is(e.message, 'killed'),
  );
  const lines: string[] = [];
  const resumed = await trainOnSamples(cfg, samples.slice(0, 6), samples.slice(6), {
    ...opts,
    out: part,
    resume: true,
    log: (l) => lines.push(l),
  });
  assert.ok(
    lines.some((l) => l.startsWith(`resuming ${part} after epoch 2`)),
    lines.join('\n'),
  );
  assert.match(lines.find((l) => l.startsWith('epoch '))!, /^epoch 3\/40 /);
  assert.equal(epochLog(part), epochLog(full));
  assert.equal([resumed.epochsRun, resumed.bestEpoch], [whole.epochsRun, whole.bestEpoch]);
  const metrics = (dir: string): unknown => {
    const m = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
    return [m.epochs_run, m.best_epoch, m.stopped_early, m.val];
  };
  assert.equal(metrics(part), metrics(full));
  assert.equal(readFileSync(join(part, 'weights.safetensors')), readFileSync(join(full, 'weights.safetensors')));
});

test('shuffle: the trainer seed changes the batches only when shuffling is on', async () => {
  const samples = dataset();
  const fixed = config({ epochs: 2, shuffle: false });
  assert.equal(
    await trainLosses(fixed, samples, { seed: 1 }),
    await trainLosses(fixed, samples, { seed: 2 }),
    'shuffle off: same batches whatever the seed',
  );
  const shuffled = config({ epochs: 2, shuffle: true });
  assert.not.equal(
    await trainLosses(shuffled, samples, { seed: 1 }),
    await trainLosses(shuffled, samples, { seed: 2 }),
    'shuffle on: the seed reorders the batches',
  );
});

test('grad_clip: a bound above the gradient norm changes nothing; a tiny bound all but stops the training', async () => {
  const samples = dataset();
  const free = await trainLosses(config({ epochs: 3, grad_clip: null, lr: 0.01 }), samples, { seed: 0 });
  assert.equal(await trainLosses(config({ epochs: 3, grad_clip: 1e6, lr: 0.01 }), samples, { seed: 0 }), free);
  // clipped to norm 1e-12 ≪ Adam's ε = 1e-8, each step moves a weight by about lr·1e-4
  const clipped = await trainLosses(config({ epochs: 3, grad_clip: 1e-12, lr: 0.01 }), samples, { seed: 0 });
  assert.ok(
    Math.abs(clipped[2] - clipped[0]) < 1e-3 * Math.abs(free[2] - free[0]),
    `clipped ${clipped.join(' ')} vs free ${free.join(' ')}`,
  );
});

test('validation loss of a Huber run: ½d² within δ, δ(|d| − δ/2) beyond, on normalised targets', async () => {
  const samples = dataset();
  const cfg = config({ loss: 'huber', huber_delta: 0.4 });
  const normalizer = fitNormalizer(
    samples.map((s) => s.target),
    'standardize',
  );
  const v = await withTrainer(cfg, samples, (trainer) => trainer.evaluate(samples), { normalizer });
  const d = samples.map((s, i) => (v.predictions[i] - s.target) / normalizer.std);
  assert.ok(d.some((x) => Math.abs(x) < 0.4) && d.some((x) => Math.abs(x) > 0.4), `both branches: ${d.join(' ')}`);
  const expected = d.reduce((a, x) => a + (Math.abs(x) <= 0.4 ? 0.5 * x * x : 0.4 * (Math.abs(x) - 0.2)), 0) / d.length;
  assert.ok(Math.abs(v.loss - expected) < 1e-12 * Math.max(1, expected), `${v.loss} vs ${expected}`);
});

test("keep: last writes the last epoch's weights even when it was not the best; keep: best the best one", async () => {
  const samples = cgcnnData();
  for (const keep of ['last', 'best'] as const) {
    const out = mkdtempSync(join(tmpdir(), `cgcnn-keep-${keep}-`));
    const r = await trainOnSamples(
      cgcnnConfig({ epochs: 40, early_stopping_patience: 3, lr: 0.05, keep }),
      samples.slice(0, 6),
      samples.slice(6),
      { backend: 'cpu', out, log: () => {} },
    );
    assert.ok(r.bestEpoch < r.epochsRun, 'the last epoch is not the best');
    assert.is(
      readSafetensorsFile(join(out, 'weights.safetensors')).metadata.epoch,
      String(keep === 'last' ? r.epochsRun : r.bestEpoch),
      keep,
    );
  }
});

test.run();
