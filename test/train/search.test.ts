import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../train/backend.js';
import { loadConfig, validateConfig, withValues, RunSchema, type RunConfig } from '../../train/config.js';
import {
  collectSearch,
  decodeIndex,
  drawTrials,
  finishSearch,
  readTrialRecords,
  retrainEpochs,
  runSearchTrials,
  spaceSize,
} from '../../train/search.js';
import { miniObelix } from '../helpers/miniObelix.js';
import { obelixDir } from '../helpers/paths.js';

const quiet = (): void => {};

test.before(async () => {
  await initBackend('cpu');
});

test("the SchNetPack draw: 100 distinct sets of 162, equal to the paper's sampled configs (config 4 = best SchNet)", () => {
  const c = loadConfig('configs/search/schnet.yaml');
  assert.is(spaceSize(c.search!.space), 162);
  const draw = drawTrials(c.search!.space, 100, 10);
  assert.is(new Set(draw.map((d) => JSON.stringify(d))).size, 100);
  const paper = JSON.parse(readFileSync(join(obelixDir, 'folds.json'), 'utf8')).schnetpack_sampled_configs
    .configs as Array<Record<string, number>>;
  draw.forEach((d, i) => {
    const p = paper[i];
    assert.equal(
      [
        d['graph.cutoff'],
        d['model.n_atom_basis'],
        d['model.n_interactions'],
        d['training.batch_size'],
        d['training.weight_decay'],
      ],
      [p.cutoff, p.n_atom_basis, p.n_interactions, p.batch_size, p.weight_decay],
      `config_id ${i}`,
    );
  });
  assert.equal(draw[4], {
    'graph.cutoff': 5,
    'model.n_atom_basis': 80,
    'model.n_interactions': 3,
    'training.batch_size': 32,
    'training.weight_decay': 0.01,
  });
  assert.equal(draw[19], {
    'graph.cutoff': 5,
    'model.n_atom_basis': 80,
    'model.n_interactions': 2,
    'training.batch_size': 32,
    'training.weight_decay': 0.0001,
  });
  // every drawn value is inside the space, and another seed draws other sets
  for (const d of draw) for (const [k, v] of Object.entries(d)) assert.ok(c.search!.space[k].includes(v as never));
  assert.not.equal(drawTrials(c.search!.space, 100, 11), draw);
  assert.throws(() => drawTrials(c.search!.space, 163, 10), /only 162 distinct sets/);
});

test('mixed-radix decoding: first key most significant', () => {
  const space = { a: [1, 2], b: ['x', 'y', 'z'] };
  assert.equal(
    [0, 1, 2, 3, 5].map((i) => decodeIndex(space, i)),
    [
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 1, b: 'z' },
      { a: 2, b: 'x' },
      { a: 2, b: 'z' },
    ],
  );
});

test('retraining length: floor(mean fold epochs) − patience with early stopping, else the fixed epochs', () => {
  const c = loadConfig('configs/search/schnet.yaml');
  const folds = [17, 18, 18, 17, 18].map((e, fold) => ({
    fold,
    n: 1,
    mae: 1,
    rmse: 1,
    r2: 0,
    epochs_run: e,
    best_epoch: e - 3,
    seconds_per_epoch: 1,
  }));
  assert.is(retrainEpochs(c, folds), 14);
  assert.is(retrainEpochs({ ...c, training: { ...c.training, early_stopping_patience: null, epochs: 50 } }, folds), 50);
});

function tinySearchConfig(): RunConfig {
  const base = RunSchema.parse({ model: { name: 'schnet' } });
  return validateConfig(
    {
      ...base,
      backend: 'cpu',
      graph: { cutoff: 3 },
      data: { ...base.data, validation: { folds: 'kfold', k: 2, seed: 1, fold: 0 } },
      model: { name: 'schnet', n_atom_basis: 4, n_interactions: 1, n_rbf: 4 },
      training: { ...base.training, epochs: 1, batch_size: 6, early_stopping_patience: null, keep: 'last' },
      search: { trials: 3, seed: 0, space: { 'training.lr': [1e-3, 3e-3], 'model.n_atom_basis': [4, 6] } },
    },
    'tiny search',
  );
}

const summary = (dir: string): string[] =>
  readTrialRecords(dir)
    .sort((a, b) => a.trial - b.trial)
    .map((r) => `${r.trial}:${JSON.stringify(r.params)}:${r.cv_mae}`);

test('shards + collect give exactly the unsharded search; resume neither loses nor repeats a trial', async () => {
  const ds = miniObelix(10, 3);
  const config = tinySearchConfig();
  const opts = { log: quiet, backend: 'cpu' };
  const whole = mkdtempSync(join(tmpdir(), 'search-whole-'));
  await runSearchTrials(ds, config, { ...opts, out: whole });
  assert.is(readTrialRecords(whole).length, 3);

  const s0 = mkdtempSync(join(tmpdir(), 'search-s0-'));
  const s1 = mkdtempSync(join(tmpdir(), 'search-s1-'));
  await runSearchTrials(ds, config, { ...opts, out: s0, shard: { index: 0, count: 2 } });
  await runSearchTrials(ds, config, { ...opts, out: s1, shard: { index: 1, count: 2 } });
  assert.equal(
    readTrialRecords(s0).map((r) => r.trial),
    [0, 2],
  );
  assert.equal(
    readTrialRecords(s1).map((r) => r.trial),
    [1],
  );
  const merged = mkdtempSync(join(tmpdir(), 'search-merged-'));
  collectSearch([s0, s1], merged, config);
  assert.equal(summary(merged), summary(whole));
  // a shard made with other settings, or a command with other settings, is refused naming the key
  const s1Other = join(mkdtempSync(join(tmpdir(), 'search-s1-other-')), 's1');
  cpSync(s1, s1Other, { recursive: true });
  const recorded = JSON.parse(readFileSync(join(s1Other, 'search-config.json'), 'utf8')) as RunConfig;
  writeFileSync(
    join(s1Other, 'search-config.json'),
    JSON.stringify({ ...recorded, training: { ...recorded.training, epochs: 2 } }),
  );
  const elsewhere = mkdtempSync(join(tmpdir(), 'search-merged-'));
  assert.throws(
    () => collectSearch([s0, s1Other], elsewhere, config),
    /shard .*s1 was made with a different config \(training\.epochs: 1 in .*, 2 in .*s1\)/,
  );
  const twoEpochs = withValues(config, { 'training.epochs': 2 }, 'test');
  assert.throws(
    () => collectSearch([s0, s1], elsewhere, twoEpochs),
    /training\.epochs: 1 in the shards, 2 in this command/,
  );

  // A crash: trial 0 finished, trial 1 killed after its first fold (and its JSONL line torn).
  const crashed = mkdtempSync(join(tmpdir(), 'search-crash-'));
  await runSearchTrials(ds, config, { ...opts, out: crashed, only: [0, 1] });
  const lines = readFileSync(join(crashed, 'trials.jsonl'), 'utf8').trim().split('\n');
  writeFileSync(join(crashed, 'trials.jsonl'), `${lines[0]}\n`);
  appendFileSync(join(crashed, 'trials.jsonl'), lines[1].slice(0, 40));
  rmSync(join(crashed, 'trials', 'trial-001', 'fold-1'), { recursive: true, force: true });
  // another config is refused, naming the key; the same config continues (with or without --resume)
  const otherLr = withValues(config, { 'training.lr': config.training.lr * 10 }, 'test');
  await runSearchTrials(ds, otherLr, { ...opts, out: crashed }).then(
    () => assert.unreachable('another lr'),
    (e: Error) => assert.match(e.message, /training\.lr: 0\.001 there, 0\.01 here/),
  );
  const log: string[] = [];
  await runSearchTrials(ds, config, { ...opts, out: crashed, log: (l) => log.push(l) });
  const ran = (label: string): boolean => log.some((l) => l.startsWith(label));
  assert.not.ok(ran('trial 0 of 3 (trial-000):'), 'the finished trial 0 must not run again');
  assert.ok(
    ran('trial 1 of 3 (trial-001):') && ran('trial 2 of 3 (trial-002):'),
    'the killed trial 1 and the missing trial 2 run',
  );
  assert.ok(ran('fold 1/2: finished earlier'), 'the killed trial keeps its finished fold');
  assert.equal(summary(crashed), summary(whole));
});

test('finishing: ranks, retrains the best on all training CIFs and scores the test CIFs', async () => {
  const ds = miniObelix(10, 3);
  const config = tinySearchConfig();
  const out = mkdtempSync(join(tmpdir(), 'search-finish-'));
  await finishSearch(ds, config, { out, log: quiet, backend: 'cpu' }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /3 trials not finished/),
  );
  await runSearchTrials(ds, config, { out, log: quiet, backend: 'cpu' });
  const r = await finishSearch(ds, config, { out, log: quiet, backend: 'cpu' });
  const best = Math.min(...readTrialRecords(out).map((t) => t.cv_mae));
  assert.is(r.best.cv_mae, best);
  assert.is(r.final.n_test, 3);
  assert.ok(Number.isFinite(r.final.test_mae));
  assert.is(r.final.epochs, 1);
});

test.run();
