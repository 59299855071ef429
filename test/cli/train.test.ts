/** The main job's end as a new user sees it (issue #21): the next step, plots, and evaluate --out for that run. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { obelixDir, projectRoot, requireShared } from '../helpers/paths.js';

const CONFIG = `name: tiny-schnet
seed: 7
backend: wasm
data:
  validation: { folds: kfold, k: 3, seed: 7, fold: 0 }
graph: { cutoff: 3.0 }
model: { name: schnet, n_atom_basis: 4, n_interactions: 1, n_rbf: 4 }
training: { epochs: 2, batch_size: 64, early_stopping_patience: null, keep: last }
`;

function crystalGnn(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'cli', 'main.ts'), ...args], {
    cwd: projectRoot,
    encoding: 'utf8',
    env: { ...process.env, CRYSTAL_GNN_DATA: requireShared(obelixDir) },
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("train prints the next step and writes learning-curve.svg and parity.svg; evaluate --out writes that run's predictions", () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-train-'));
  writeFileSync(join(dir, 'tiny.yaml'), CONFIG);
  const out = join(dir, 'run');
  const r = crystalGnn(['train', '--config', join(dir, 'tiny.yaml'), '--out', out]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`next: crystal-gnn evaluate --run ${out} `));
  for (const f of ['learning-curve.svg', 'parity.svg']) assert.ok(existsSync(join(out, f)), f);

  const predictions = join(dir, 'test-predictions.json');
  const e = crystalGnn(['evaluate', '--run', out, '--out', predictions]);
  assert.is(e.status, 0, e.stderr);
  const scored = JSON.parse(e.stdout.trim()) as { n: number; mae: number };
  const rows = JSON.parse(readFileSync(predictions, 'utf8')) as Array<{
    id: string;
    target: number;
    prediction: number;
  }>;
  assert.is(rows.length, scored.n);
  const mae = rows.reduce((a, x) => a + Math.abs(x.prediction - x.target), 0) / rows.length;
  assert.ok(Math.abs(mae - scored.mae) < 1e-9, `${mae} vs ${scored.mae}`);
});

test.run();
