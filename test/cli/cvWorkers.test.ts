import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { idSetDigest, readFoldsFile } from '../../data/folds.js';
import { loadObelix, splitEntries } from '../../data/obelix.js';
import { obelixDir, projectRoot, requireShared } from '../helpers/paths.js';

// A 1-epoch, 4-wide SchNet on 3 Å graphs: the point is the process plumbing, not the model.
const CONFIG = `name: tiny-schnet
seed: 7
backend: wasm
data:
  dataset: obelix
  validation: { folds: kfold, k: 3, seed: 7, fold: 0 }
graph: { cutoff: 3.0 }
model: { name: schnet, n_atom_basis: 4, n_interactions: 1, n_rbf: 4 }
training: { epochs: 1, batch_size: 64, early_stopping_patience: null, keep: last }
`;

function crystalGnn(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'cli', 'main.ts'), ...args], {
    cwd: projectRoot,
    encoding: 'utf8',
    env: { ...process.env, CRYSTAL_GNN_DATA: requireShared(obelixDir) },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('cv --workers 2: one process per job, two at a time, sharing the run directory; a plain rerun reuses all of it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cv-workers-'));
  const config = join(dir, 'tiny.yaml');
  writeFileSync(config, CONFIG);
  const out = join(dir, 'run');
  const parallel = crystalGnn(['cv', '--config', config, '--out', out, '--test', '--workers', '2']);
  assert.is(parallel.status, 0, parallel.stderr);
  // one process per job (3 folds + the fixed-length retraining), two at a time
  assert.match(
    parallel.stderr,
    /4 jobs in 2 worker processes: fold 1 \(1 epoch\), fold 2 \(1 epoch\), fold 3 \(1 epoch\), retraining \(1 epoch\)\n/,
  );
  for (const [shard, what] of [
    [0, 'folds 0'],
    [1, 'folds 1'],
    [2, 'folds 2'],
    [3, 'the retraining'],
  ]) {
    assert.match(parallel.stderr, new RegExp(`\\[shard ${shard}/4\\] done: ${what}\\n`));
  }
  const summary = JSON.parse(parallel.stdout.trim().split('\n').pop()!) as {
    fold_maes: number[];
    test_mae: number;
    epochs: number[];
  };
  assert.equal(summary.epochs, [1, 1, 1]);
  assert.ok(summary.fold_maes.every((m) => m > 0 && Number.isFinite(m)) && summary.test_mae > 0);
  for (const d of ['fold-0', 'fold-1', 'fold-2', 'final'])
    assert.ok(existsSync(join(out, d, 'weights.safetensors')), d);
  // each worker's fold trained on the other folds only, and the retraining on all 254 training CIFs
  const trainIds = splitEntries(loadObelix(obelixDir), 'train', { cifOnly: true }).map((e) => e.id);
  const folds = [...readFoldsFile(join(out, 'folds.json')).values()][0];
  assert.equal(folds.flat().sort(), [...trainIds].sort());
  const metrics = (d: string): Record<string, unknown> =>
    JSON.parse(readFileSync(join(out, d, 'metrics.json'), 'utf8')) as Record<string, unknown>;
  folds.forEach((val, f) => {
    const m = metrics(`fold-${f}`);
    const train = trainIds.filter((id) => !val.includes(id));
    assert.equal([m.train_structures, m.val_structures], [train.length, val.length], `fold ${f}`);
    assert.equal([m.train_ids_sha256, m.val_ids_sha256], [idSetDigest(train), idSetDigest(val)], `fold ${f}`);
  });
  assert.equal([metrics('final').train_structures, metrics('final').train_ids_sha256], [254, idSetDigest(trainIds)]);

  const again = crystalGnn(['cv', '--config', config, '--out', out, '--test']);
  assert.is(again.status, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout.trim().split('\n').pop()!), summary);
  assert.is(again.stderr.match(/finished earlier/g)?.length, 3);
  assert.not.match(again.stderr, /epoch 1\/1/, 'nothing is trained again');
});

test('cv --shard rejects a malformed shard with the flag named', () => {
  const r = crystalGnn([
    'cv',
    '--config',
    join(projectRoot, 'configs', 'schnet.yaml'),
    '--shard',
    '2/2',
    '--out',
    mkdtempSync(join(tmpdir(), 'cv-shard-')),
  ]);
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /--shard 2\/2: expected I\/N with 0 ≤ I < N/);
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
});

test.run();
