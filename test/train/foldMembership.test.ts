/**
 * Which rows each model of a CV saw: for every fold kind, each fold's training and validation IDs (as written to its
 * metrics.json: counts and ID-set digests) are checked against the fold set and the data. A fold that trains on its
 * own validation rows, a row validated twice or never, a test entry inside a fold, or a retraining on less than all
 * training CIFs fails here.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { foldSizes, idSetDigest, readFoldsFile } from '../../data/folds.js';
import { splitEntries } from '../../data/obelix.js';
import { initBackend } from '../../train/backend.js';
import { RunSchema, validateConfig, type RunConfig } from '../../train/config.js';
import { runCrossValidation, type CvResult } from '../../train/cv.js';
import { trainValidationSplit } from '../../train/validationSplit.js';
import { retrainAndTestOnce } from '../../train/search.js';
import { miniObelix } from '../helpers/miniObelix.js';

// 9 training CIFs from 6 publications (one of 4 entries) and 3 test CIFs
const ds = miniObelix(9, 3);
const trainIds = splitEntries(ds, 'train', { cifOnly: true }).map((e) => e.id);
const testIds = splitEntries(ds, 'test', { cifOnly: true }).map((e) => e.id);
const doiOf = new Map(ds.entries.map((e) => [e.id, e.doi]));
const targetOf = new Map(ds.entries.map((e) => [e.id, e.target]));
const quiet = (): void => {};

test.before(async () => {
  await initBackend('cpu');
});

type Validation = NonNullable<RunConfig['data']['validation']>;

/** A one-epoch, 4-wide SchNet: the point is which rows go where, not the model. */
function tinyConfig(validation: Validation): RunConfig {
  const base = RunSchema.parse({ model: { name: 'schnet' } });
  return validateConfig(
    {
      ...base,
      backend: 'cpu',
      seed: 3,
      graph: { cutoff: 3 },
      data: { ...base.data, validation },
      model: { name: 'schnet', n_atom_basis: 4, n_interactions: 1, n_rbf: 4 },
      training: { ...base.training, epochs: 1, batch_size: 8, early_stopping_patience: null, keep: 'last' },
    },
    'fold membership',
  );
}

interface RunMetrics {
  train_structures: number;
  val_structures: number;
  train_ids_sha256: string;
  val_ids_sha256: string;
}
const normalizerMean = (dir: string): number =>
  (JSON.parse(readFileSync(join(dir, 'normalizer.json'), 'utf8')) as { mean: number }).mean;
const metricsOf = (dir: string): RunMetrics =>
  JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as RunMetrics;

/** The fold set as written next to the folds: a partition of the training CIFs, no test entry in it. */
function checkPartition(folds: string[][], label: string): void {
  const times = new Map<string, number>();
  for (const id of folds.flat()) times.set(id, (times.get(id) ?? 0) + 1);
  assert.equal([...times.keys()].sort(), [...trainIds].sort(), `${label}: the folds cover exactly the training CIFs`);
  assert.ok(
    [...times.values()].every((n) => n === 1),
    `${label}: every row is validated exactly once`,
  );
  assert.ok(
    folds.every((f) => f.length > 0),
    `${label}: no empty fold`,
  );
  assert.ok(
    testIds.every((id) => !times.has(id)),
    `${label}: no test entry in a fold`,
  );
}

/**
 * Each fold's metrics.json against the fold set: it validated on exactly its fold and trained on exactly the other
 * training CIFs (disjoint, together all of them), and the CV's per-fold n is the fold's size.
 */
function checkFoldRuns(out: string, cv: CvResult, label: string): string[][] {
  const written = [...readFoldsFile(join(out, 'folds.json')).values()];
  assert.is(written.length, 1, `${label}: one fold set in folds.json`);
  const folds = written[0];
  checkPartition(folds, label);
  assert.is(cv.folds.length, folds.length);
  folds.forEach((val, f) => {
    const train = trainIds.filter((id) => !val.includes(id));
    assert.ok(train.every((id) => !val.includes(id)) && train.length + val.length === trainIds.length);
    const m = metricsOf(join(out, `fold-${f}`));
    assert.equal([m.train_structures, m.val_structures], [train.length, val.length], `${label} fold ${f}: counts`);
    assert.is(m.val_ids_sha256, idSetDigest(val), `${label} fold ${f}: validated on its fold`);
    assert.is(m.train_ids_sha256, idSetDigest(train), `${label} fold ${f}: trained on the other folds only`);
    assert.is(cv.folds[f].n, val.length, `${label} fold ${f}: scored on its fold`);
    const mean = train.reduce((a, id) => a + targetOf.get(id)!, 0) / train.length;
    assert.ok(
      Math.abs(normalizerMean(join(out, `fold-${f}`)) - mean) < 1e-12,
      `${label} fold ${f}: target offset from its training rows only`,
    );
  });
  return folds;
}

async function crossValidate(
  validation: Validation,
  extra: { foldsFrom?: string; foldsKey?: string } = {},
): Promise<{ out: string; cv: CvResult }> {
  const out = mkdtempSync(join(tmpdir(), 'cv-membership-'));
  const cv = await runCrossValidation(ds, tinyConfig(validation), { out, log: quiet, backend: 'cpu', ...extra });
  return { out, cv };
}

test('idSetDigest: SHA-256 of the sorted IDs, one per line; order-free, and it tells sets apart', () => {
  // printf 'a\nb' | sha256sum
  assert.is(idSetDigest(['b', 'a']), '7e18f737311b2dc3b2f269dd78396b0351f14fb66efa879f768cb23181883c78');
  assert.is(idSetDigest(['a', 'b']), idSetDigest(['b', 'a']));
  assert.is.not(idSetDigest(['a', 'b']), idSetDigest(['a', 'b', 'c']));
  assert.is.not(idSetDigest(['ab']), idSetDigest(['a', 'b']));
});

test('kfold CV: each fold trains on the other folds only; then the retraining (cv --test) on all training CIFs, tested on the test CIFs', async () => {
  const { out, cv } = await crossValidate({ folds: 'kfold', k: 3, seed: 1, fold: 0 });
  const folds = checkFoldRuns(out, cv, 'kfold');
  assert.equal(
    folds.map((f) => f.length),
    foldSizes(trainIds.length, 3),
  );

  const finalDir = join(out, 'final');
  const final = await retrainAndTestOnce(ds, tinyConfig({ folds: 'kfold', k: 3, seed: 1, fold: 0 }), cv.folds, {
    out: finalDir,
    log: quiet,
    backend: 'cpu',
  });
  const m = metricsOf(finalDir);
  assert.equal([m.train_structures, m.val_structures], [trainIds.length, 0]);
  assert.is(m.train_ids_sha256, idSetDigest(trainIds), 'the retraining uses every training CIF');
  assert.ok(
    Math.abs(normalizerMean(finalDir) - trainIds.reduce((a, id) => a + targetOf.get(id)!, 0) / trainIds.length) < 1e-12,
  );
  const predicted = (
    JSON.parse(readFileSync(join(finalDir, 'test-predictions.json'), 'utf8')) as Array<{ id: string }>
  ).map((p) => p.id);
  assert.equal(predicted, testIds, 'scored on the test CIFs');
  assert.is(final.n_test, testIds.length);
});

test('doi_kfold CV: no publication in two folds, and each fold trains on the other publications only', async () => {
  const { out, cv } = await crossValidate({ folds: 'doi_kfold', k: 3, seed: 2, fold: 0 });
  const folds = checkFoldRuns(out, cv, 'doi_kfold');
  const foldOfDoi = new Map<string, number>();
  folds.forEach((fold, f) =>
    fold.forEach((id) => {
      const doi = doiOf.get(id)!;
      assert.is(foldOfDoi.get(doi) ?? f, f, `publication ${doi} in two folds`);
      foldOfDoi.set(doi, f);
    }),
  );
  assert.is(foldOfDoi.size, new Set(trainIds.map((id) => doiOf.get(id))).size);
});

test('paper fold set (schnetpack seed 10) CV: each fold trains on the other folds only', async () => {
  const { out, cv } = await crossValidate({ folds: 'schnetpack_painn_schnet_seed10_254', k: 5, seed: 0, fold: 0 });
  const folds = checkFoldRuns(out, cv, 'schnetpack_painn_schnet_seed10_254');
  assert.equal(
    folds.map((f) => f.length),
    foldSizes(trainIds.length, 5),
  );
});

test("--folds-from CV: the file's folds, verbatim, each trained on the other folds only; a fold file holding a test entry is refused", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'folds-from-'));
  const file = join(dir, 'folds.json');
  const mine = [[trainIds[8], trainIds[0]], trainIds.slice(1, 5), trainIds.slice(5, 8)];
  writeFileSync(file, JSON.stringify({ _about: 'hand-made', mine: { folds: mine } }));
  const { out, cv } = await crossValidate({ folds: 'kfold', k: 5, seed: 0, fold: 0 }, { foldsFrom: file });
  assert.equal(checkFoldRuns(out, cv, '--folds-from'), mine);
  assert.is(cv.fold_set, `${file}#mine`);

  writeFileSync(file, JSON.stringify({ leaky: { folds: [[...mine[0], testIds[0]], mine[1], mine[2]] } }));
  await crossValidate({ folds: 'kfold', k: 5, seed: 0, fold: 0 }, { foldsFrom: file }).then(
    () => assert.unreachable('a test entry in a fold'),
    (e: Error) => assert.match(e.message, new RegExp(`ID ${testIds[0]} is not a training entry with a CIF`)),
  );
  writeFileSync(file, JSON.stringify({ twice: { folds: [[...mine[0], mine[1][0]], mine[1], mine[2]] } }));
  await crossValidate({ folds: 'kfold', k: 5, seed: 0, fold: 0 }, { foldsFrom: file }).then(
    () => assert.unreachable('a row in two folds'),
    (e: Error) => assert.match(e.message, /folds must partition the 9 training CIFs \(they cover 9, listing 10\)/),
  );
});

test('train --fold: the single-run split is the fold (validation) and the rest (training), for every fold kind', () => {
  const kinds: Validation[] = [
    { folds: 'kfold', k: 3, seed: 1, fold: 2 },
    { folds: 'doi_kfold', k: 3, seed: 2, fold: 1 },
    { folds: 'matgl_m3gnet_so3net_254', k: 5, seed: 0, fold: 4 },
    { folds: 'schnetpack_pretrained_seed12_254', k: 5, seed: 0, fold: 0 },
  ];
  for (const v of kinds) {
    const split = trainValidationSplit(ds, tinyConfig(v));
    const train = split.train.map((e) => e.id);
    const val = split.val.map((e) => e.id);
    assert.ok(val.length > 0 && val.length < trainIds.length, `${v.folds}: a proper fold`);
    assert.ok(
      train.every((id) => !val.includes(id)),
      `${v.folds}: training and validation disjoint`,
    );
    assert.equal([...train, ...val].sort(), [...trainIds].sort(), `${v.folds}: together all training CIFs`);
  }
});

test.run();
