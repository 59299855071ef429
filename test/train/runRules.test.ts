/**
 * A run is what it says it is (issue #21): a run directory is only continued or reused under the config it was made
 * with, a finished run resumes to a no-op, the files a resume relies on are verified before training, and a saved
 * normaliser is validated like a config.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../train/backend.js';
import { readRun } from '../../train/checkpoint.js';
import { RunSchema, validateConfig, withValues, type RunConfig } from '../../train/config.js';
import { runCrossValidation } from '../../train/cv.js';
import { configDifferences, fingerprint } from '../../train/fingerprint.js';
import { trainOnSamples } from '../../train/run.js';
import { retrainAndTestOnce } from '../../train/search.js';
import { miniObelix } from '../helpers/miniObelix.js';
import { toyCrystals } from '../helpers/toyCrystals.js';
import { tinyConfig } from '../helpers/training.js';

test.before(async () => {
  await initBackend('cpu');
});

/** A 4-wide, one-interaction SchNet trained 2 epochs keeping the last weights, unless `training` says otherwise. */
function config(training: Record<string, unknown> = {}): RunConfig {
  return tinyConfig(
    { name: 'schnet', n_atom_basis: 4, n_interactions: 1, n_rbf: 4 },
    { epochs: 2, keep: 'last', ...training },
  );
}

/** Eight small random crystals (Li, O and one more element) with a smooth target, graphs at 3.5 Å. */
const samples = toyCrystals({ seed: 3 });
const train = samples.slice(0, 6);
const val = samples.slice(6);
const quiet = { log: (): void => {}, backend: 'cpu' };
const run = (cfg: RunConfig, out: string, extra: { resume?: boolean; log?: (l: string) => void } = {}) =>
  trainOnSamples(cfg, train, val, { ...quiet, ...extra, out });
const logLines = (dir: string): string[] => readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n');
const tmp = (name: string): string => mkdtempSync(join(tmpdir(), `${name}-`));

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await p.then(
    () => assert.unreachable(`expected an error matching ${pattern}`),
    (e: Error) => {
      assert.is(e.name, 'InputError', e.stack);
      assert.match(e.message, pattern);
    },
  );
}

test('fingerprint: every key that shapes a result, less name/backend/data paths and the micro-batch cap; epochs only count for finished work', () => {
  const a = config();
  assert.is(
    fingerprint(a),
    fingerprint({ ...a, name: 'x', backend: 'wasm', data: { ...a.data, dir: '/elsewhere', cache_dir: '/tmp/c' } }),
  );
  assert.equal(configDifferences(a, withValues(a, { 'training.lr': 0.01, 'model.n_rbf': 5 }, 't')), [
    'model.n_rbf: 4 there, 5 here',
    'training.lr: 0.001 there, 0.01 here',
  ]);
  // micro-batching is an execution setting: gradients accumulate to the same update
  assert.is(fingerprint(a), fingerprint(withValues(a, { 'training.max_edges_per_batch': { wasm: 60 } }, 't')));
  const longer = withValues(a, { 'training.epochs': 5 }, 't');
  assert.is.not(fingerprint(a), fingerprint(longer));
  assert.is(fingerprint(a, { resuming: true }), fingerprint(longer, { resuming: true }));
});

test('case 1: resuming with another setting is refused naming the key; the run is left as it was', async () => {
  const out = tmp('resume-lr');
  await run(config(), out);
  const before = readFileSync(join(out, 'log.jsonl'), 'utf8');
  await rejects(
    run(config({ epochs: 4, lr: 0.01 }), out, { resume: true }),
    /was made with a different config \(training\.lr: 0\.001 there, 0\.01 here\).*another --out/,
  );
  assert.is(readFileSync(join(out, 'log.jsonl'), 'utf8'), before);
  // more epochs under the same settings is what a resume is for
  await run(config({ epochs: 3 }), out, { resume: true });
  assert.is(logLines(out).length, 3);
});

test('a run continues under another micro-batch cap; the cap it used is logged and in device.json', async () => {
  const out = tmp('cap');
  const log: string[] = [];
  await run(config({ max_edges_per_batch: { cpu: 40, wasm: 10 } }), out, { log: (l) => log.push(l) });
  assert.ok(log.includes('micro-batches: at most 40 edges (training.max_edges_per_batch on cpu)'), log.join('\n'));
  assert.is(JSON.parse(readFileSync(join(out, 'device.json'), 'utf8')).micro_batch_edges, 40);
  const more: string[] = [];
  await run(config({ epochs: 3, max_edges_per_batch: { wasm: 10 } }), out, { log: (l) => more.push(l) });
  assert.ok(more.includes('micro-batches: whole batches (no edge cap on this backend)'), more.join('\n'));
  const uncapped = tmp('uncapped');
  await run(config({ max_edges_per_batch: { wasm: 10 } }), uncapped);
  assert.is(JSON.parse(readFileSync(join(uncapped, 'device.json'), 'utf8')).micro_batch_edges, null);
  assert.is(logLines(out).length, 3);
});

test('case 7: an existing run directory without --resume: continued when the config matches, refused when not', async () => {
  const out = tmp('rerun');
  await run(config(), out);
  const weights = readFileSync(join(out, 'weights.safetensors'));
  await rejects(run(config({ batch_size: 2 }), out), /training\.batch_size: 3 there, 2 here.*another --out/);
  const log: string[] = [];
  await run(config({ epochs: 3 }), out, { log: (l) => log.push(l) });
  assert.ok(
    log.some((l) => l.startsWith(`resuming ${out} after epoch 2 (same config)`)),
    log.join('\n'),
  );
  assert.is(logLines(out).length, 3, 'continued, not overwritten');
  assert.not.equal(readFileSync(join(out, 'weights.safetensors')), weights);
  // --resume with nothing to resume says so
  await rejects(run(config(), tmp('empty'), { resume: true }), /--resume: .* holds no run to resume/);
});

test('case 4: resuming a run that stopped early trains nothing and leaves metrics and weights as they were', async () => {
  const out = tmp('early');
  // every epoch after the first fails to improve by min_delta: stops after epoch 2 with patience 1
  const early = config({ epochs: 5, early_stopping_patience: 1, min_delta: 1e9, keep: 'best' });
  await run(early, out);
  assert.is(logLines(out).length, 2);
  const metrics = readFileSync(join(out, 'metrics.json'), 'utf8');
  const weights = readFileSync(join(out, 'weights.safetensors'));
  const log: string[] = [];
  await run(early, out, { resume: true, log: (l) => log.push(l) });
  assert.is(logLines(out).length, 2, 'no epoch trained');
  assert.ok(
    log.some((l) => l.includes('finished earlier (stopped early after epoch 2)')),
    log.join('\n'),
  );
  assert.is(readFileSync(join(out, 'metrics.json'), 'utf8'), metrics);
  assert.equal(readFileSync(join(out, 'weights.safetensors')), weights);
});

test('case 5: a corrupt weights.safetensors is rewritten from the resumable state when that holds the kept weights, else refused', async () => {
  const last = tmp('corrupt-last');
  await run(config(), last);
  writeFileSync(join(last, 'weights.safetensors'), 'garbage');
  const log: string[] = [];
  await run(config({ epochs: 3 }), last, { log: (l) => log.push(l) });
  assert.ok(
    log.some((l) => l.includes('weights.safetensors') && l.includes('rewritten from the resumable state (epoch 2')),
    log.join('\n'),
  );
  assert.ok(readRun(last).weights.size > 0, 'usable after the resume');

  // best-kept weights of epoch 1 while the state is at epoch 2: they cannot be rebuilt
  const best = tmp('corrupt-best');
  const cfg = config({ keep: 'best', min_delta: 1e9 });
  await run(cfg, best);
  const full = readFileSync(join(best, 'weights.safetensors'));
  writeFileSync(join(best, 'weights.safetensors'), full.subarray(0, full.length - 16));
  await rejects(
    run(withValues(cfg, { 'training.epochs': 3 }, 't'), best),
    /weights\.safetensors: .*the kept weights of epoch 1 cannot be rebuilt.*another --out/,
  );
  assert.is(logLines(best).length, 2);
});

test('case 6: a corrupt normalizer.json is an error naming the file and key, not a null prediction', async () => {
  const out = tmp('normalizer');
  await run(config(), out);
  const path = join(out, 'normalizer.json');
  const good = readFileSync(path, 'utf8');
  for (const [bad, key] of [
    ['{"mode":"mean","mean":"x","std":1}', 'mean'],
    ['{"mode":"mean","mean":0,"std":0}', 'std'],
    ['{"mode":"median","mean":0,"std":1}', 'mode'],
    ['[]', '(top level)'],
  ]) {
    writeFileSync(path, bad);
    assert.throws(
      () => readRun(out),
      (e: Error) => e.name === 'InputError' && e.message.startsWith(`${path}: invalid normaliser: ${key}`),
    );
  }
  writeFileSync(path, good);
  assert.is(readRun(out).normalizer.mode, 'mean');
});

test('case 2: cv reuses a finished fold or final model only under the config it was made with', async () => {
  const ds = miniObelix(9, 2);
  const base = RunSchema.parse({ model: { name: 'schnet' } });
  const cv = validateConfig(
    {
      ...base,
      backend: 'cpu',
      graph: { cutoff: 3 },
      data: { ...base.data, validation: { folds: 'kfold', k: 3, seed: 1, fold: 0 } },
      model: { name: 'schnet', n_atom_basis: 4, n_interactions: 1, n_rbf: 4 },
      training: { ...base.training, epochs: 1, batch_size: 4, early_stopping_patience: null, keep: 'last' },
    },
    'tiny cv',
  );
  const out = tmp('cv-reuse');
  const opts = { out, log: (): void => {}, backend: 'cpu' };
  const first = await runCrossValidation(ds, cv, opts);
  await rejects(
    runCrossValidation(ds, withValues(cv, { 'training.lr': 0.01 }, 't'), opts),
    /fold-0 was made with a different config \(training\.lr: 0\.001 there, 0\.01 here\)/,
  );
  await rejects(
    runCrossValidation(ds, withValues(cv, { 'data.validation.seed': 2 }, 't'), opts),
    /folds\.json: this CV was run on other folds/,
  );
  assert.equal((await runCrossValidation(ds, cv, opts)).mae, first.mae, 'the same config reuses every fold');

  const finalDir = join(out, 'final');
  await retrainAndTestOnce(ds, cv, first.folds, { ...opts, out: finalDir });
  assert.ok(existsSync(join(finalDir, 'test-result.json')));
  await rejects(
    retrainAndTestOnce(ds, withValues(cv, { 'training.batch_size': 2 }, 't'), first.folds, { ...opts, out: finalDir }),
    /final was made with a different config \(training\.batch_size: 4 there, 2 here\)/,
  );
});

test.run();
