import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomSplit } from '../../data/datasets/source.js';
import { idSetDigest } from '../../data/folds.js';
import { initBackend } from '../../train/backend.js';
import { RunSchema, validateConfig, type RunConfig } from '../../train/config.js';
import { genericSamples } from '../../train/pretrain.js';
import { runTraining } from '../../train/run.js';
import { throwsInputError } from '../helpers/inputError.js';
import { obelixDir, sharedDir } from '../helpers/paths.js';

const mp = join(sharedDir, 'pretrain-data', 'mp-bandgap-36k', 'mp_bandgap_36k.jsonl.gz');
const cacheDir = mkdtempSync(join(tmpdir(), 'pretrain-cache-'));

function config(data: Record<string, unknown>, training: Record<string, unknown> = {}): RunConfig {
  const base = RunSchema.parse({ model: { name: 'schnet' } });
  return validateConfig(
    {
      ...base,
      backend: 'cpu',
      seed: 3,
      graph: { cutoff: 4 },
      data: { dataset: 'jsonl', path: mp, cache_dir: cacheDir, validation_fraction: 0.25, split_seed: 5, ...data },
      model: { name: 'schnet', n_atom_basis: 16, n_interactions: 2, n_rbf: 10 },
      training: {
        ...base.training,
        epochs: 6,
        batch_size: 8,
        lr: 3e-3,
        early_stopping_patience: null,
        target_normalization: 'standardize',
        keep: 'last',
        ...training,
      },
    },
    'test',
  );
}

test.before(async () => {
  await initBackend('cpu');
});

test('randomSplit: seeded, disjoint, slice then fraction', () => {
  const a = randomSplit(100, 0.2, 1, 50);
  assert.equal(a, randomSplit(100, 0.2, 1, 50));
  assert.is(a.val.length, 10);
  assert.is(a.train.length, 40);
  assert.is(new Set([...a.train, ...a.val]).size, 50);
  assert.ok([...a.train, ...a.val].every((i) => i >= 0 && i < 100));
  assert.not.equal(randomSplit(100, 0.2, 2, 50).val, a.val);
  assert.equal(randomSplit(100, 0.2, 1).val.length, 20);
  // the validation part is round(n·fraction) of the slice: 2.5 → 3, 1.25 → 1
  assert.equal([randomSplit(10, 0.25, 1).val.length, randomSplit(100, 0.25, 1, 5).val.length], [3, 1]);
  // every row of the slice is in exactly one part, and the slice is a prefix of the full shuffle
  const full = randomSplit(100, 0.2, 1);
  assert.equal(
    [...full.train, ...full.val].sort((x, y) => x - y),
    Array.from({ length: 100 }, (_, i) => i),
  );
  assert.equal(new Set([...a.val, ...a.train]), new Set([...full.val, ...full.train].slice(0, 50)));
});

test('pretraining on a 64-structure slice of mp-bandgap-36k lowers the validation loss; the second run reads the graph cache', async () => {
  const cfg = config({ limit: 64 });
  const logs: string[] = [];
  const out = mkdtempSync(join(tmpdir(), 'pretrain-run-'));
  const r = await runTraining(cfg, { out, log: (l) => logs.push(l) });
  assert.match(logs.join('\n'), /graph cache: built 64 graphs/);
  assert.match(logs.join('\n'), /48 train \+ 16 validation of 36737 structures/);
  const val = r.history.map((h) => h.val_loss!);
  assert.is(val.length, 6);
  assert.ok(Math.min(...val.slice(3)) < val[0], `validation loss ${val.map((v) => v.toFixed(3)).join(' ')}`);
  assert.ok(r.valMetrics!.mae < 2, `band-gap MAE ${r.valMetrics!.mae} eV`);
  const again: string[] = [];
  const split = await genericSamples(cfg, (l) => again.push(l));
  assert.match(again.join('\n'), /graph cache: 64 graphs from/);
  assert.is(split.val.length, 16);
  assert.ok(
    split.train.every((s) => Number.isFinite(s.target) && s.target >= 0),
    'band gaps are ≥ 0 eV',
  );
});

test('cif_dir dataset: id_prop targets, the validation fraction, and a clear error for a slice larger than the data', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cifdir-'));
  const ids = ['00x', '0iv', '11b', '122'];
  for (const id of ids) copyFileSync(join(obelixDir, 'cifs', `${id}.cif`), join(dir, `${id}.cif`));
  writeFileSync(join(dir, 'targets.csv'), ids.map((id, i) => `${id},${i + 0.5}`).join('\n'));
  const cfg = config({ dataset: 'cif_dir', path: dir, id_prop: 'targets.csv', validation_fraction: 0.25 });
  const split = await genericSamples(cfg, () => {});
  assert.is(split.train.length, 3);
  assert.is(split.val.length, 1);
  const byId = new Map([...split.train, ...split.val].map((s) => [s.id, s.target]));
  assert.equal([...byId.keys()].sort(), ids);
  ids.forEach((id, i) => assert.is(byId.get(id), i + 0.5));
  // the run's metrics.json records exactly this split: disjoint, together the whole dataset
  const trainIds = split.train.map((s) => s.id);
  const valIds = split.val.map((s) => s.id);
  assert.ok(trainIds.every((id) => !valIds.includes(id)));
  const out = mkdtempSync(join(tmpdir(), 'cifdir-run-'));
  await runTraining(
    config(
      { dataset: 'cif_dir', path: dir, id_prop: 'targets.csv', validation_fraction: 0.25 },
      { epochs: 1, batch_size: 4 },
    ),
    { out, log: () => {} },
  );
  const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>;
  assert.equal([m.train_structures, m.val_structures], [3, 1]);
  assert.equal([m.train_ids_sha256, m.val_ids_sha256], [idSetDigest(trainIds), idSetDigest(valIds)]);
  try {
    await genericSamples(config({ dataset: 'cif_dir', path: dir, id_prop: 'targets.csv', limit: 10 }), () => {});
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /data\.limit = 10, but .* has 4 structures/);
  }
  throwsInputError(
    () => validateConfig({ model: { name: 'schnet' }, data: { dataset: 'parquet' } }, 'x.yaml'),
    'x.yaml',
    'data.dataset',
  );
});

test.run();
