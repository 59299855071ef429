import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitEntries } from '../../data/obelix.js';
import { initBackend } from '../../train/backend.js';
import { RunSchema, validateConfig, type RunConfig } from '../../train/config.js';
import { ensemblePredict, expandRunDirs } from '../../train/ensemble.js';
import { loadModel } from '../../train/load.js';
import { samplesFor } from '../../graph/featurize.js';
import { trainOnSamples } from '../../train/run.js';
import { predictSamples } from '../../train/trainer.js';
import { miniObelix } from '../helpers/miniObelix.js';

test.before(async () => {
  await initBackend('cpu');
});

function tinyConfig(seed: number, occupancy: 'round' | 'weighted'): RunConfig {
  const base = RunSchema.parse({ model: { name: 'schnet' } });
  return validateConfig(
    {
      ...base,
      seed,
      backend: 'cpu',
      graph: { cutoff: 3 },
      data: { ...base.data, validation: null, occupancy },
      model: { name: 'schnet', n_atom_basis: 4, n_interactions: 1, n_rbf: 4 },
      training: { ...base.training, epochs: 2, batch_size: 4, early_stopping_patience: null, keep: 'last' },
    },
    `tiny seed ${seed}`,
  );
}

test('an ensemble predicts with each member under its own graph options and averages entry by entry', async () => {
  const ds = miniObelix(8, 3);
  const train = splitEntries(ds, 'train', { cifOnly: true });
  const testRows = splitEntries(ds, 'test', { cifOnly: true });
  const root = mkdtempSync(join(tmpdir(), 'ensemble-'));
  const runs = [join(root, 'a'), join(root, 'b')];
  const configs = [tinyConfig(1, 'round'), tinyConfig(2, 'weighted')];
  for (let k = 0; k < 2; k++)
    await trainOnSamples(configs[k], samplesFor(ds, train, configs[k]), [], {
      out: runs[k],
      resume: false,
      log: () => {},
      backend: 'cpu',
    });

  const r = await ensemblePredict(ds, runs, testRows);
  const alone = await Promise.all(
    runs.map(async (run, k) => {
      const { model, normalizer } = loadModel(run);
      const p = await predictSamples(model, samplesFor(ds, testRows, configs[k]), normalizer, 4, 1e9);
      model.dispose();
      return p;
    }),
  );
  assert.equal(
    r.ids,
    testRows.map((e) => e.id),
  );
  r.members.forEach((m, k) => assert.equal([...m.predictions], [...alone[k]], `member ${k}`));
  assert.not.equal([...alone[0]], [...alone[1]], 'two different models');
  r.predictions.forEach((p, i) => assert.ok(Math.abs(p - (alone[0][i] + alone[1][i]) / 2) < 1e-12));
  const mae = r.targets.reduce((a, t, i) => a + Math.abs(t - r.predictions[i]), 0) / r.targets.length;
  assert.ok(Math.abs(r.metrics.mae - mae) < 1e-12);
});

test('a CV directory stands for its fold models in fold order, then final; other paths are named in the error', () => {
  const src = mkdtempSync(join(tmpdir(), 'ensemble-run-'));
  const cv = mkdtempSync(join(tmpdir(), 'ensemble-cv-'));
  const touch = (dir: string): void => {
    mkdirSync(dir, { recursive: true });
    cpSync(join('package.json'), join(dir, 'weights.safetensors'));
  };
  for (const d of ['fold-10', 'fold-2', 'fold-0', 'final']) touch(join(cv, d));
  mkdirSync(join(cv, 'fold-3')); // an unfinished fold has no weights
  assert.equal(
    expandRunDirs(cv),
    ['fold-0', 'fold-2', 'fold-10', 'final'].map((d) => join(cv, d)),
  );
  assert.equal(expandRunDirs(join(cv, 'fold-2')), [join(cv, 'fold-2')]);
  assert.throws(() => expandRunDirs(join(cv, 'missing')), /missing: no such run directory/);
  assert.throws(() => expandRunDirs(src), /neither a run .* nor a CV directory/);
});

test.run();
