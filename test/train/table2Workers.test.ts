import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../train/backend.js';
import { loadConfig } from '../../train/config.js';
import { epochSeconds, renderTable2, runTable2 } from '../../train/report/table2.js';
import { miniObelix } from '../helpers/miniObelix.js';

test.before(async () => {
  await initBackend('cpu');
});

const TINY = `name: schnet
seed: 3
data:
  dataset: obelix
  validation: { folds: kfold, k: 2, seed: 3, fold: 0 }
graph: { cutoff: 3.0 }
model: { name: schnet, n_atom_basis: 4, n_interactions: 1, n_rbf: 4 }
training: { epochs: 1, batch_size: 4, early_stopping_patience: null, keep: last }
`;

test('table2 --workers: each row starts one cv --workers K on its effective config, then scores the row here', async () => {
  const ds = miniObelix(8, 2);
  const configDir = mkdtempSync(join(tmpdir(), 'table2-configs-'));
  mkdirSync(configDir, { recursive: true });
  writeFileSync(join(configDir, 'schnet.yaml'), TINY);
  const out = mkdtempSync(join(tmpdir(), 'table2-workers-'));
  const calls: Array<{ argv: string[]; copies: number; shards: string[][] }> = [];
  const rows = await runTable2(ds, {
    out,
    models: ['schnet'],
    mode: 'best',
    quick: false,
    backend: 'cpu',
    log: () => {},
    configDir,
    workers: {
      count: 3,
      run: async (argv, copies, shardArgs) => {
        calls.push({ argv, copies, shards: Array.from({ length: copies }, (_, i) => shardArgs(i)) });
      },
    },
  });
  const row = join(out, 'schnet');
  // one `cv --workers 3`, which runs the fold processes itself
  assert.equal(calls, [
    {
      argv: [
        'cv',
        '--config',
        join(row, 'config.yaml'),
        '--backend',
        'cpu',
        '--data',
        ds.dir,
        '--out',
        join(row, 'cv'),
        '--final',
        join(row, 'final'),
        '--test',
        '--workers',
        '3',
      ],
      copies: 1,
      shards: [[]],
    },
  ]);
  // the workers read the same configuration the row runs under
  assert.equal(loadConfig(join(row, 'config.yaml')), loadConfig(join(configDir, 'schnet.yaml'), ['backend=cpu']));
  assert.is(rows.length, 1);
  assert.ok(rows[0].cv_mae! > 0 && rows[0].test_mae! > 0, 'the row is scored (here, as the fake workers did nothing)');
  // its training time is at least what its runs recorded (2 folds + the retraining, one epoch each)
  assert.ok(epochSeconds(row) > 0 && rows[0].seconds! >= epochSeconds(row));
  assert.match(renderTable2(rows, 't'), /\| training time \|/);
});

test('epochSeconds sums the epoch times of every log.jsonl below a row (a half-written line skipped), so a read-back row keeps its time', () => {
  const row = mkdtempSync(join(tmpdir(), 'table2-seconds-'));
  mkdirSync(join(row, 'cv', 'fold-0'), { recursive: true });
  mkdirSync(join(row, 'final'), { recursive: true });
  writeFileSync(join(row, 'cv', 'fold-0', 'log.jsonl'), '{"epoch":1,"seconds":2.5}\n{"epoch":2,"seconds":1.5}\n');
  writeFileSync(join(row, 'final', 'log.jsonl'), '{"epoch":1,"seconds":4}\n{"epoch":2,"sec');
  writeFileSync(join(row, 'final', 'metrics.json'), '{"seconds_per_epoch":99}');
  assert.is(epochSeconds(row), 8);
});

test.run();
