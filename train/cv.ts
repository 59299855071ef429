/**
 * k-fold cross-validation of one configuration on the CIF training subset: one model per fold trained from
 * scratch (normaliser fitted on the fold's training rows), its kept weights (best-validation or last, as the
 * config says) scored on the held-out fold; the CV score is the mean and population SD of the fold MAEs
 * (log10 S/cm), as in the OBELiX protocol. Folds are written to the run directory. A fold that finished is
 * reused and an interrupted one resumes, so a stopped CV loses no finished work.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../data/errors.js';
import { readFoldsFile } from '../data/folds.js';
import { splitEntries, type ObelixDataset } from '../data/obelix.js';
import { readJson, testResultFile, trainerStateFile, writeFileAtomic } from './checkpoint.js';
import type { RunConfig } from './config.js';
import { assertSameConfig, readRecordedConfig } from './fingerprint.js';
import { isSeededFoldKind, validationFolds } from './validationSplit.js';
import { samplesFor } from '../graph/featurize.js';
import { trainOnSamples, type Log } from './run.js';
import type { TrainerState } from './trainer.js';

export interface FoldResult {
  fold: number;
  n: number;
  mae: number;
  rmse: number;
  r2: number;
  epochs_run: number;
  best_epoch: number;
  seconds_per_epoch: number;
}

export interface CvResult {
  mae: number;
  /** Population SD (ddof 0) of the fold MAEs, as the paper's ±. */
  sd: number;
  folds: FoldResult[];
  fold_set: string;
}

export interface CvOptions {
  out: string;
  log: Log;
  backend: string;
  /** A JSON file of fold sets by entry ID (folds.json format); `foldsKey` picks the set. */
  foldsFrom?: string;
  foldsKey?: string;
  onBatch?: (epoch: number, batch: number, total: number) => void;
}

export function meanAndSd(values: number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return { mean, sd };
}

/** The validation folds (entry IDs) this CV uses, and a name for them. */
export function resolveFolds(
  ds: ObelixDataset,
  config: RunConfig,
  opts: Pick<CvOptions, 'foldsFrom' | 'foldsKey'>,
): { name: string; folds: string[][] } {
  const v = config.data.validation ?? { folds: 'kfold', k: 5, seed: config.seed, fold: 0 };
  if (opts.foldsFrom) {
    const sets = readFoldsFile(opts.foldsFrom);
    const key = opts.foldsKey ?? (sets.size === 1 ? [...sets.keys()][0] : v.folds);
    const folds = sets.get(key);
    if (!folds) throw new InputError(`${opts.foldsFrom}: no fold set '${key}' (have: ${[...sets.keys()].join(', ')})`);
    return { name: `${opts.foldsFrom}#${key}`, folds };
  }
  return {
    name: isSeededFoldKind(v.folds) ? `${v.folds}(k=${v.k}, seed=${v.seed})` : v.folds,
    folds: validationFolds(ds, v),
  };
}

/** The fold sets of a run, checked to partition the training CIFs, and written to the run directory. */
function prepareFolds(ds: ObelixDataset, config: RunConfig, opts: CvOptions): { name: string; folds: string[][] } {
  mkdirSync(opts.out, { recursive: true });
  const { name, folds } = resolveFolds(ds, config, opts);
  const known = new Set(splitEntries(ds, 'train', { cifOnly: true }).map((e) => e.id));
  const covered = new Set(folds.flat());
  for (const id of covered)
    if (!known.has(id)) throw new InputError(`fold set ${name}: ID ${id} is not a training entry with a CIF`);
  if (covered.size !== known.size || folds.flat().length !== known.size) {
    throw new InputError(
      `fold set ${name}: folds must partition the ${known.size} training CIFs (they cover ${covered.size}, listing ${folds.flat().length})`,
    );
  }
  const file = join(opts.out, 'folds.json');
  const text = `${JSON.stringify({ [name]: { folds } }, null, 1)}\n`;
  if (existsSync(file) && readFileSync(file, 'utf8') !== text) {
    const before = Object.keys(readJson<Record<string, unknown>>(file)).join(', ');
    throw new InputError(
      `${file}: this CV was run on other folds (${before}) than this command's (${name}); rerun with the folds it was made with, or write to another --out`,
    );
  }
  writeFileAtomic(file, text);
  return { name, folds };
}

const foldMetricsFile = (out: string, f: number): string => join(out, `fold-${f}`, 'metrics.json');

/** The config fold `f` of a CV is trained with: the CV's, holding out that fold. */
function foldConfig(config: RunConfig, folds: string[][], f: number): RunConfig {
  return {
    ...config,
    data: {
      ...config.data,
      validation: { ...(config.data.validation ?? { folds: 'kfold', k: folds.length, seed: config.seed }), fold: f },
    },
  };
}

/**
 * A finished run (CV fold, retrained model) is only reused for a config of the same fingerprint, epochs included:
 * its results were made with the config it recorded.
 */
export function assertFinishedWith(dir: string, config: RunConfig): void {
  const recorded = readRecordedConfig(dir);
  if (!recorded)
    throw new InputError(
      `${dir}: finished results without config.yaml, so they cannot be checked against this config; write to another --out`,
    );
  assertSameConfig(recorded, config, dir);
}

/**
 * Trains every fold of `which` that has not finished (an interrupted one resumes from its last epoch). Returns
 * nothing: the other folds may be trained by another process at the same time (`trainCvFolds`).
 */
async function trainFolds(
  ds: ObelixDataset,
  config: RunConfig,
  opts: CvOptions,
  folds: string[][],
  which: number[],
): Promise<void> {
  const entries = splitEntries(ds, 'train', { cifOnly: true });
  const todo = which.filter((f) => !existsSync(foldMetricsFile(opts.out, f)));
  for (const f of which) {
    if (todo.includes(f)) continue;
    assertFinishedWith(join(opts.out, `fold-${f}`), foldConfig(config, folds, f));
    opts.log(`fold ${f + 1}/${folds.length}: finished earlier, reusing ${foldMetricsFile(opts.out, f)}`);
  }
  if (!todo.length) return;
  const samples = samplesFor(ds, entries, config);
  const byId = new Map(entries.map((e, i) => [e.id, samples[i]]));
  for (const f of todo) {
    opts.log(`fold ${f + 1}/${folds.length}`);
    const held = new Set(folds[f]);
    const train = entries.filter((e) => !held.has(e.id)).map((e) => byId.get(e.id)!);
    const val = folds[f].map((id) => byId.get(id)!);
    await trainOnSamples(foldConfig(config, folds, f), train, val, {
      out: join(opts.out, `fold-${f}`),
      log: opts.log,
      backend: opts.backend,
      onBatch: opts.onBatch,
    });
  }
}

/**
 * Trains only the folds `which` (0-based) of a CV and returns without scoring it: parallel workers share one run
 * directory this way, and a later `runCrossValidation` on it reuses their folds.
 */
export async function trainCvFolds(
  ds: ObelixDataset,
  config: RunConfig,
  opts: CvOptions,
  which: number[],
): Promise<void> {
  const { name, folds } = prepareFolds(ds, config, opts);
  const bad = which.find((f) => !Number.isInteger(f) || f < 0 || f >= folds.length);
  if (bad !== undefined) throw new InputError(`fold ${bad}: the fold set ${name} has folds 0..${folds.length - 1}`);
  await trainFolds(ds, config, opts, folds, which);
}

/**
 * The share of one worker (`shard`) of a CV's jobs: job j (folds 0..k−1, then the retraining when `test` is set and
 * its length is known before the folds finish, i.e. without early stopping) belongs to shard j mod N.
 */
export function cvShardJobs(
  foldCount: number,
  config: RunConfig,
  test: boolean,
  shard: { index: number; count: number },
): Array<number | 'final'> {
  const jobs: Array<number | 'final'> = Array.from({ length: foldCount }, (_, f) => f);
  if (test && config.training.early_stopping_patience === null) jobs.push('final');
  return jobs.filter((_, j) => j % shard.count === shard.index);
}

/** One job of a CV as a worker pool sees it: its index among `count` jobs (so `--shard job/count` runs it alone). */
export interface PendingCvJob {
  job: number;
  count: number;
  what: number | 'final';
  /** Epochs still to train (an upper bound with early stopping). */
  epochsLeft: number;
}

/**
 * The CV jobs (as in `cvShardJobs`) that have not finished, the one with most epochs left first, so that a pool of
 * workers taking them in this order ends at about the same time after a resume (longest-processing-time first).
 */
export function pendingCvJobs(
  foldCount: number,
  config: RunConfig,
  test: boolean,
  dirs: { out: string; finalDir: string },
): PendingCvJob[] {
  const jobs = cvShardJobs(foldCount, config, test, { index: 0, count: 1 });
  const pending: PendingCvJob[] = [];
  jobs.forEach((what, job) => {
    const dir = what === 'final' ? dirs.finalDir : join(dirs.out, `fold-${what}`);
    if (existsSync(what === 'final' ? testResultFile(dir) : foldMetricsFile(dirs.out, what))) return;
    const state = trainerStateFile(dir);
    const done = existsSync(state) ? readJson<TrainerState>(state).epoch : 0;
    pending.push({ job, count: jobs.length, what, epochsLeft: Math.max(config.training.epochs - done, 0) });
  });
  return pending.sort((a, b) => b.epochsLeft - a.epochsLeft || a.job - b.job);
}

/** Trains the folds that have not finished, then scores the CV: mean and population SD of the fold MAEs. */
export async function runCrossValidation(ds: ObelixDataset, config: RunConfig, opts: CvOptions): Promise<CvResult> {
  const { name, folds } = prepareFolds(ds, config, opts);
  await trainFolds(
    ds,
    config,
    opts,
    folds,
    folds.map((_, f) => f),
  );
  const results: FoldResult[] = folds.map((_, f) => {
    const m = readJson<{
      val: { mae: number; rmse: number; r2: number; n: number };
      epochs_run: number;
      best_epoch: number;
      seconds_per_epoch: number;
    }>(foldMetricsFile(opts.out, f));
    return {
      fold: f,
      n: m.val.n,
      mae: m.val.mae,
      rmse: m.val.rmse,
      r2: m.val.r2,
      epochs_run: m.epochs_run,
      best_epoch: m.best_epoch,
      seconds_per_epoch: m.seconds_per_epoch,
    };
  });
  const { mean, sd } = meanAndSd(results.map((r) => r.mae));
  const result: CvResult = { mae: mean, sd, folds: results, fold_set: name };
  writeFileAtomic(join(opts.out, 'cv.json'), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
