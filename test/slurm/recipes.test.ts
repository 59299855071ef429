/**
 * The SLURM recipes (scripts/slurm-search.sh, scripts/slurm-cv.sh) against a live single-node Slurm brought up by
 * scripts/slurm-harness.sh: the submit lines of docs/experiments.md ("SLURM"), each numbered defect of issue #22.
 * Without Slurm installed the file says so and passes; with CI=true that skip is a failure.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { obelixDir, projectRoot, requireShared } from '../helpers/paths.js';
import { SlurmCluster, sleep, slurmMissing } from '../helpers/slurm.js';

// A 2-fold, 1-epoch SchNet 4-6 wide on 3 Å graphs: seconds per trial; the point is the scheduling, not the model.
const searchConfig = (trials: number, epochs: number): string => `name: tiny-search
seed: 7
backend: wasm
data:
  dataset: obelix
  validation: { folds: kfold, k: 2, seed: 7, fold: 0 }
graph: { cutoff: 3.0 }
model: { name: schnet, n_atom_basis: 4, n_interactions: 1, n_rbf: 4 }
training: { epochs: ${epochs}, batch_size: 64, early_stopping_patience: null, keep: last }
search:
  trials: ${trials}
  seed: 0
  space: { training.lr: [0.001, 0.003, 0.01], model.n_atom_basis: [4, 6] }
`;
const CLI = join(projectRoot, 'dist', 'cli', 'main.js');
const SEARCH = 'scripts/slurm-search.sh';
const CV = 'scripts/slurm-cv.sh';

const missing = slurmMissing();
let cluster: SlurmCluster;
let work: string;
const env = (): NodeJS.ProcessEnv => ({ CRYSTAL_GNN_DATA: requireShared(obelixDir) });

/** The recipes run dist/cli/main.js (as users do, after `npm run build`): rebuild it when a source is newer. */
function ensureBuilt(): void {
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
    }, 0);
  const src = Math.max(...['cli', 'data', 'graph', 'models', 'train'].map((d) => newest(join(projectRoot, d))));
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= src) return;
  const r = spawnSync('npm', ['run', 'build'], { cwd: projectRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}${r.stderr}`);
}

/** The single-process run the recipes must reproduce, outside Slurm. */
function direct(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: projectRoot,
    encoding: 'utf8',
    env: { ...process.env, ...env() },
  });
  assert.is(r.status, 0, r.stderr);
  return r.stdout;
}

const lines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter(Boolean);
/** JSON without wall-clock timings and the run's own directory: what two runs of one config must share. */
const untimed = (text: string): unknown =>
  JSON.parse(text, (k, v: unknown) => (k === 'seconds_per_epoch' || k === 'dir' ? undefined : v));
type Trial = { trial: number; params: unknown; cv_mae: number; folds: unknown };
const trialsOf = (file: string): Trial[] => lines(file).map((l) => untimed(l) as Trial);
const resultOf = (dir: string): unknown => untimed(readFileSync(join(dir, 'search-result.json'), 'utf8'));
const log = (file: string): string =>
  existsSync(join(work, file)) ? readFileSync(join(work, file), 'utf8') : `(no ${file})`;

function writeConfig(name: string, text: string): string {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
}

/** The documented submit lines: an array of SHARDS tasks, then the collect job after all of them (afterany). */
function submitSearch(
  config: string,
  out: string,
  shards: number,
  extra: { shard?: string[]; collect?: string[] } = {},
): { array: string; collect: string } {
  // --chdir elsewhere: the job's directory is not the project (defect 3); sbatch runs in the project root
  const array = cluster.sbatch(
    [
      `--array=0-${shards - 1}`,
      `--export=ALL,SHARDS=${shards}`,
      `--chdir=${work}`,
      SEARCH,
      config,
      out,
      ...(extra.shard ?? []),
    ],
    env(),
  );
  const collect = cluster.sbatch(
    [
      `--dependency=afterany:${array}`,
      `--export=ALL,SHARDS=${shards},COLLECT=1`,
      '--job-name=crystal-gnn-collect',
      '--output=crystal-gnn-collect-%j.out',
      `--chdir=${work}`,
      SEARCH,
      config,
      out,
      ...(extra.collect ?? []),
    ],
    env(),
  );
  return { array, collect };
}

test.before(() => {
  if (missing) return;
  ensureBuilt();
  cluster = SlurmCluster.up();
  console.log(`slurm up in ${cluster.upSeconds} s`);
  work = mkdtempSync(join(tmpdir(), 'slurm-recipes-'));
});

test.after(() => {
  cluster?.down();
});

test('Slurm is installed here (else skipped; a failure under CI=true)', () => {
  if (!missing) return;
  if (process.env.CI === 'true') assert.unreachable(`CI=true but the SLURM recipe tests cannot run: ${missing}`);
  console.log(`SKIPPED test/slurm/recipes.test.ts: ${missing}`);
});

test('search: an array of shards plus the collect job gives the trials, MAEs and result of the single-process search', async () => {
  if (missing) return;
  const config = writeConfig('search.yaml', searchConfig(5, 1));
  const single = join(work, 'single');
  direct(['search', '--config', config, '--out', single]);
  const out = join(work, 'search');
  // no resources on the line: the script asks for none, so this GPU-less node takes it (defect 2)
  const { array, collect } = submitSearch(config, out, 3);
  const states = await cluster.wait([array, collect]);
  assert.equal(
    [...states.values()].map((s) => s.state),
    Array(4).fill('COMPLETED'),
    JSON.stringify([...states]) + log(`crystal-gnn-collect-${collect}.out`),
  );
  // each shard ran its slice t ≡ I (mod 3) of the 5 trials
  for (const i of [0, 1, 2]) {
    const shard = trialsOf(join(out, `shard-${i}`, `trials.shard-${i}-of-3.jsonl`));
    assert.equal(
      shard.map((r) => r.trial),
      [0, 1, 2, 3, 4].filter((t) => t % 3 === i),
    );
    assert.match(
      log(`crystal-gnn-search-${array}_${i}.out`),
      new RegExp(`shard ${i}/3 of job ${array} on \\S+, attempt 1\\n`),
    );
  }
  const merged = trialsOf(join(out, 'merged', 'trials.jsonl'));
  const reference = trialsOf(join(single, 'trials.jsonl'));
  assert.equal(
    merged.map((r) => [r.trial, r.params, r.cv_mae, r.folds]),
    reference.map((r) => [r.trial, r.params, r.cv_mae, r.folds]),
  );
  assert.equal(resultOf(join(out, 'merged')), resultOf(single));
  // the collect job's log has its name (defect 6), not slurm-<id>_4294967294.out
  assert.match(log(`crystal-gnn-collect-${collect}.out`), /collected 5 trials into/);
  assert.not.ok(
    readdirSync(work).some((f) => f.includes('4294967294')),
    readdirSync(work).join(' '),
  );

  // shards run under another config than the collect are refused, the key named (the config fingerprint)
  const other = cluster.sbatch(
    [
      '--export=ALL,SHARDS=3,COLLECT=1',
      '--output=crystal-gnn-collect-%j.out',
      `--chdir=${work}`,
      SEARCH,
      config,
      out,
      '--set',
      'training.weight_decay=0.001',
    ],
    env(),
  );
  const refused = await cluster.wait([other]);
  assert.is(refused.get(other)?.state, 'FAILED');
  assert.match(log(`crystal-gnn-collect-${other}.out`), /^error: .*shard-0.*training\.weight_decay/m);
  assert.not.match(log(`crystal-gnn-collect-${other}.out`), /\n\s+at /, 'no stack trace');
});

test('search: scontrol requeue of a running shard loses no finished trial, duplicates none, appends its log, and the collect runs', async () => {
  if (missing) return;
  const config = writeConfig('requeue.yaml', searchConfig(6, 2));
  const out = join(work, 'requeue');
  const { array, collect } = submitSearch(config, out, 2);
  const file = join(out, 'shard-0', 'trials.shard-0-of-2.jsonl');
  const end = Date.now() + 180_000;
  while (!(existsSync(file) && lines(file).length >= 1) && Date.now() < end) await sleep(100);
  const before = lines(file);
  assert.ok(before.length >= 1 && before.length < 3, `shard 0 had ${before.length} of its 3 trials when requeued`);
  const rq = cluster.run('scontrol', ['requeue', `${array}_0`]);
  assert.is(rq.status, 0, rq.stderr);
  const states = await cluster.wait([array, collect]);
  assert.equal(
    [...states.values()].map((s) => s.state),
    Array(3).fill('COMPLETED'),
    JSON.stringify([...states]),
  );
  const after = lines(file);
  assert.equal(after.slice(0, before.length), before, "the first attempt's finished trials are kept as written");
  assert.equal(
    trialsOf(file).map((r) => r.trial),
    [0, 2, 4],
    'each of its trials once',
  );
  // --open-mode=append: both attempts in one log (defect 4); the second kept the first's trials
  const shardLog = log(`crystal-gnn-search-${array}_0.out`);
  assert.match(shardLog, /shard 0\/2 .*attempt 1\n[\s\S]*DUE TO JOB REQUEUE[\s\S]*shard 0\/2 .*attempt 2\n/);
  assert.match(shardLog, new RegExp(`${before.length} trials? finished earlier with the same config are kept`));
  const single = join(work, 'requeue-single');
  direct(['search', '--config', config, '--out', single]);
  assert.equal(
    trialsOf(join(out, 'merged', 'trials.jsonl')).map((r) => [r.trial, r.cv_mae]),
    trialsOf(join(single, 'trials.jsonl')).map((r) => [r.trial, r.cv_mae]),
  );
  assert.equal(resultOf(join(out, 'merged')), resultOf(single));
});

test('search: a cancelled shard makes the collect job fail at once, naming the shard, instead of pending forever', async () => {
  if (missing) return;
  const config = writeConfig('cancel.yaml', searchConfig(4, 1));
  const out = join(work, 'cancel');
  const { array, collect } = submitSearch(config, out, 2);
  assert.is(cluster.run('scancel', [`${array}_1`]).status, 0);
  const states = await cluster.wait([array, collect], 120);
  assert.is(states.get(collect)?.state, 'FAILED', JSON.stringify([...states]));
  assert.match(
    log(`crystal-gnn-collect-${collect}.out`),
    /^error: --collect: not every shard finished, so the search cannot be ranked: \S*shard-1 (does not exist|has no finished trial|\(shard 1\/2\) lacks trial)/m,
  );
  assert.not.ok(existsSync(join(out, 'merged', 'search-result.json')));
});

test('array shapes that are not 0..N-1, and a missing data directory, fail each task with one error line (defects 1, 7)', async () => {
  if (missing) return;
  const config = writeConfig('shapes.yaml', searchConfig(4, 1));
  const out = join(work, 'shapes');
  const run = (args: string[], e: NodeJS.ProcessEnv = env()): string =>
    cluster.sbatch([`--chdir=${work}`, ...args, SEARCH, config, out], e);
  const noShards = run(['--array=1-2']);
  const outside = run(['--array=3', '--export=ALL,SHARDS=2']);
  const noData = run(['--array=0', '--export=ALL,SHARDS=1'], { CRYSTAL_GNN_DATA: join(work, 'nowhere') });
  const states = await cluster.wait([noShards, outside, noData], 120);
  assert.ok(
    [...states.values()].every((s) => s.state === 'FAILED'),
    JSON.stringify([...states]),
  );
  for (const t of [1, 2])
    assert.match(
      log(`crystal-gnn-search-${noShards}_${t}.out`),
      /^error: --array=1-2:1 \(2 tasks\) is not 0\.\.N-1: set the shard count/m,
    );
  assert.match(log(`crystal-gnn-search-${outside}_3.out`), /^error: array task 3 is not a shard of SHARDS=2/m);
  assert.match(log(`crystal-gnn-search-${noData}_0.out`), /^error: CRYSTAL_GNN_DATA=\S*nowhere has no processed\.csv/m);
  assert.not.ok(existsSync(out), 'no task started the CLI');
});

test('cv: an array of fold jobs plus the collect job gives the single-process CV and test; an unfinished fold is refused by name', async () => {
  if (missing) return;
  const config = writeConfig(
    'cv.yaml',
    searchConfig(1, 1)
      .replace(/search:[\s\S]*$/, '')
      .replace('k: 2', 'k: 3'),
  );
  const summaryOf = (text: string): unknown => JSON.parse(text.trim().split('\n').pop()!);
  const single = summaryOf(direct(['cv', '--config', config, '--out', join(work, 'cv-single'), '--test'])) as Record<
    string,
    unknown
  >;
  const out = join(work, 'cv');
  // 3 folds + the fixed-length retraining: 4 jobs, one task each
  const array = cluster.sbatch(
    ['--array=0-3', '--export=ALL,SHARDS=4', `--chdir=${work}`, CV, config, out, '--test'],
    env(),
  );
  const collect = cluster.sbatch(
    [
      `--dependency=afterany:${array}`,
      '--export=ALL,SHARDS=4,COLLECT=1',
      '--job-name=crystal-gnn-cv-collect',
      '--output=crystal-gnn-cv-collect-%j.out',
      `--chdir=${work}`,
      CV,
      config,
      out,
      '--test',
    ],
    env(),
  );
  const states = await cluster.wait([array, collect]);
  assert.equal(
    [...states.values()].map((s) => s.state),
    Array(5).fill('COMPLETED'),
    JSON.stringify([...states]) + log(`crystal-gnn-cv-collect-${collect}.out`),
  );
  const collected = log(`crystal-gnn-cv-collect-${collect}.out`);
  assert.equal(summaryOf(collected), { ...single, out });
  assert.not.match(collected, /epoch 1\/1/, 'the collect trains nothing');

  // the collect refuses an unfinished CV, naming its jobs, and trains nothing (here without Slurm)
  const r = spawnSync(
    process.execPath,
    [CLI, 'cv', '--config', config, '--out', join(work, 'cv-empty'), '--test', '--collect'],
    { encoding: 'utf8', env: { ...process.env, ...env() } },
  );
  assert.is.not(r.status, 0);
  assert.match(
    r.stderr,
    /^error: --collect: \S*cv-empty: fold 1 \(job 0 of 4\), fold 2 \(job 1 of 4\), fold 3 \(job 2 of 4\), the retraining \(job 3 of 4\) not finished/m,
  );
  assert.not.match(r.stderr, /epoch 1\/1/);
});

test.run();
