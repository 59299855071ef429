import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../train/backend.js';
import { RunSchema, validateConfig, type RunConfig } from '../../train/config.js';
import { cvShardJobs, meanAndSd, pendingCvJobs, runCrossValidation, trainCvFolds } from '../../train/cv.js';
import { miniObelix } from '../helpers/miniObelix.js';

test.before(async () => {
  await initBackend('cpu');
});

function tinyCvConfig(patience: number | null): RunConfig {
  const base = RunSchema.parse({ model: { name: 'schnet' } });
  return validateConfig(
    {
      ...base,
      backend: 'cpu',
      graph: { cutoff: 3 },
      data: { ...base.data, validation: { folds: 'kfold', k: 3, seed: 1, fold: 0 } },
      model: { name: 'schnet', n_atom_basis: 4, n_interactions: 1, n_rbf: 4 },
      training: { ...base.training, epochs: 2, batch_size: 4, early_stopping_patience: patience, keep: 'last' },
    },
    'tiny cv',
  );
}

test("CV score: mean and population SD (ddof 0, the paper's ±) of the fold MAEs, by hand", () => {
  // fold MAEs 1, 2, 3, 4: mean 2.5, squared deviations sum to 5, SD √(5/4) (√(5/3) would be the sample SD)
  const { mean, sd } = meanAndSd([1, 2, 3, 4]);
  assert.is(mean, 2.5);
  assert.ok(Math.abs(sd - Math.sqrt(5 / 4)) < 1e-15, `${sd}`);
  assert.equal(meanAndSd([0.7, 0.7]), { mean: 0.7, sd: 0 });
});

test('worker shares: every job once; the retraining is a job only when its length does not depend on the folds', () => {
  const fixed = tinyCvConfig(null);
  const shares = [0, 1].map((index) => cvShardJobs(5, fixed, true, { index, count: 2 }));
  assert.equal(shares, [
    [0, 2, 4],
    [1, 3, 'final'],
  ]);
  assert.equal(
    [0, 1, 2].map((index) => cvShardJobs(5, fixed, false, { index, count: 3 })),
    [[0, 3], [1, 4], [2]],
  );
  // with early stopping the retraining length is floor(mean fold epochs) − patience: it waits for the folds
  assert.equal(
    [0, 1].map((index) => cvShardJobs(5, tinyCvConfig(3), true, { index, count: 2 })),
    [
      [0, 2, 4],
      [1, 3],
    ],
  );
});

test('pendingCvJobs: finished jobs left out, the others ordered by epochs left, each runnable alone as --shard job/count', () => {
  const config = validateConfig(
    { ...tinyCvConfig(null), training: { ...tinyCvConfig(null).training, epochs: 50 } },
    'tiny cv',
  );
  const out = mkdtempSync(join(tmpdir(), 'cv-pending-'));
  const finalDir = join(out, 'final');
  const put = (dir: string, file: string, text: string): void => {
    mkdirSync(join(out, dir), { recursive: true });
    writeFileSync(join(out, dir, file), text);
  };
  put('fold-0', 'metrics.json', '{}'); // finished
  put('fold-1/state', 'trainer.json', '{"epoch":37}'); // 13 left
  put('fold-2/state', 'trainer.json', '{"epoch":5}'); // 45 left
  put('final/state', 'trainer.json', '{"epoch":0}');
  const jobs = pendingCvJobs(5, config, true, { out, finalDir });
  assert.equal(
    jobs.map((j) => [j.what, j.epochsLeft]),
    [
      [3, 50],
      [4, 50],
      ['final', 50],
      [2, 45],
      [1, 13],
    ],
  );
  assert.ok(jobs.every((j) => j.count === 6));
  // --shard job/count selects exactly that job
  for (const j of jobs) assert.equal(cvShardJobs(5, config, true, { index: j.job, count: j.count }), [j.what]);
  put('final', 'test-result.json', '{}');
  assert.not.ok(pendingCvJobs(5, config, true, { out, finalDir }).some((j) => j.what === 'final'));
  assert.equal(
    pendingCvJobs(5, config, false, { out, finalDir }).map((j) => j.what),
    [3, 4, 2, 1],
  );
});

test('folds trained by separate workers in one directory give exactly the single-process CV', async () => {
  const ds = miniObelix(9, 2);
  const config = tinyCvConfig(null);
  const quiet = (): void => {};
  const whole = mkdtempSync(join(tmpdir(), 'cv-whole-'));
  const single = await runCrossValidation(ds, config, { out: whole, log: quiet, backend: 'cpu' });

  const shared = mkdtempSync(join(tmpdir(), 'cv-shared-'));
  await trainCvFolds(ds, config, { out: shared, log: quiet, backend: 'cpu' }, [0, 2]);
  await trainCvFolds(ds, config, { out: shared, log: quiet, backend: 'cpu' }, [1]);
  const log: string[] = [];
  const merged = await runCrossValidation(ds, config, { out: shared, log: (l) => log.push(l), backend: 'cpu' });
  assert.equal(
    log,
    [0, 1, 2].map((f) => `fold ${f + 1}/3: finished earlier, reusing ${join(shared, `fold-${f}`, 'metrics.json')}`),
  );
  assert.equal(
    merged.folds.map((f) => f.mae),
    single.folds.map((f) => f.mae),
  );
  assert.ok(merged.folds.every((f) => f.mae > 0 && f.epochs_run === 2));
  assert.is(readFileSync(join(shared, 'folds.json'), 'utf8'), readFileSync(join(whole, 'folds.json'), 'utf8'));

  await trainCvFolds(ds, config, { out: shared, log: quiet, backend: 'cpu' }, [3]).then(
    () => assert.unreachable('fold 3 of 3'),
    (e: Error) => assert.match(e.message, /fold 3: the fold set kfold\(k=3, seed=1\) has folds 0\.\.2/),
  );
});

test.run();
