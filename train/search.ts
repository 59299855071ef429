/**
 * Random hyperparameter search with cross-validation, as the OBELiX benchmark ran it: `trials` distinct sets drawn
 * from the config's `search.space`, 5-fold CV for each, ranking by mean CV MAE, the best set retrained on the whole
 * training split and scored on the test split (CIF subset).
 *
 * Results go to an append-only JSONL file, one line per finished trial. A rerun skips the trials already there
 * (a trial killed half-way is rerun, resuming its finished folds); `shard I/N` runs only trial indices ≡ I mod N
 * into its own file, so any scheduler can spread a search over machines; `collectSearch` merges the shards.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../data/errors.js';
import { RandomState } from '../data/numpyRandom.js';
import { PythonRandom } from '../data/pythonRandom.js';
import { splitEntries, type ObelixDataset } from '../data/obelix.js';
import { readJson, testResultFile, writeFileAtomic } from './checkpoint.js';
import { configSections, validateConfig, withValues, type RunConfig } from './config.js';
import { assertSameConfig } from './fingerprint.js';
import { assertFinishedWith, runCrossValidation, type CvOptions, type FoldResult } from './cv.js';
import { regressionMetrics } from './metrics.js';
import { samplesFor } from '../graph/featurize.js';
import { trainOnSamples } from './run.js';
import { loadModel } from './load.js';
import { predictSamples } from './trainer.js';
import { microBatchEdges } from './deviceLimits.js';

export type SearchSpace = Record<string, readonly unknown[]>;
export type TrialParams = Record<string, unknown>;
export type SearchSampler = 'numpy' | 'python';

export interface TrialRecord {
  trial: number;
  params: TrialParams;
  cv_mae: number;
  cv_sd: number;
  folds: FoldResult[];
}

export interface Shard {
  index: number;
  count: number;
}

export function spaceSize(space: SearchSpace): number {
  return Object.values(space).reduce((a, v) => a * v.length, 1);
}

/** Mixed-radix decoding of a flat index, the first key most significant (numpy/itertools.product order). */
export function decodeIndex(space: SearchSpace, index: number): TrialParams {
  const keys = Object.keys(space);
  const out: TrialParams = {};
  let rest = index;
  for (let k = keys.length - 1; k >= 0; k--) {
    const values = space[keys[k]];
    out[keys[k]] = values[rest % values.length];
    rest = Math.floor(rest / values.length);
  }
  return Object.fromEntries(keys.map((k) => [k, out[k]]));
}

/**
 * `trials` distinct flat indices, decoded. numpy: `RandomState(seed).permutation(size)[:trials]`
 * (= np.random.choice(size, trials, replace=False)); python: `random.seed(seed); random.sample(range(size), trials)`,
 * which picks the same positions as sampling `list(itertools.product(...))`.
 */
export function drawTrials(
  space: SearchSpace,
  trials: number,
  seed: number,
  sampler: SearchSampler = 'numpy',
): TrialParams[] {
  const size = spaceSize(space);
  if (trials > size) throw new InputError(`search.trials = ${trials}, but the space has only ${size} distinct sets`);
  const indices =
    sampler === 'python'
      ? new PythonRandom(seed).sample(size, trials)
      : new RandomState(seed).permutation(size).slice(0, trials);
  return indices.map((i) => decodeIndex(space, i));
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2]))
    throw new InputError(`--shard ${text}: expected I/N with 0 ≤ I < N`);
  return { index: Number(m[1]), count: Number(m[2]) };
}

const shardFile = (s?: Shard): string => (s ? `trials.shard-${s.index}-of-${s.count}.jsonl` : 'trials.jsonl');

/** Every finished trial recorded in a directory's trials*.jsonl files (a torn last line is ignored). */
export function readTrialRecords(dir: string): TrialRecord[] {
  if (!existsSync(dir)) return [];
  const out: TrialRecord[] = [];
  for (const f of readdirSync(dir)
    .filter((n) => /^trials(\.shard-\d+-of-\d+)?\.jsonl$/.test(n))
    .sort()) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as TrialRecord);
      } catch {
        // A process killed while appending leaves a partial line: that trial is simply rerun.
      }
    }
  }
  return out;
}

/** One record per trial index; two records of one trial must agree on its parameters. */
export function mergeRecords(records: TrialRecord[]): Map<number, TrialRecord> {
  const byTrial = new Map<number, TrialRecord>();
  for (const r of records) {
    const prev = byTrial.get(r.trial);
    if (prev && JSON.stringify(prev.params) !== JSON.stringify(r.params)) {
      throw new InputError(
        `trial ${r.trial} appears with different parameters (${JSON.stringify(prev.params)} vs ${JSON.stringify(r.params)}): results of different searches mixed`,
      );
    }
    if (!prev) byTrial.set(r.trial, r);
  }
  return byTrial;
}

/** Appends one line; a torn line left by a killed process is closed first so the new record stays parseable. */
function appendRecord(file: string, record: TrialRecord): void {
  const torn = existsSync(file) && statSync(file).size > 0 && !readFileSync(file, 'utf8').endsWith('\n');
  appendFileSync(file, `${torn ? '\n' : ''}${JSON.stringify(record)}\n`);
}

const searchConfigFile = (dir: string): string => join(dir, 'search-config.json');

/** The config a search directory's trials were run with (its search-config.json), or null when it has none. */
export function readSearchConfig(dir: string): RunConfig | null {
  const path = searchConfigFile(dir);
  return existsSync(path) ? validateConfig(readJson<unknown>(path), path) : null;
}

export interface SearchOptions extends Omit<CvOptions, 'out'> {
  out: string;
  shard?: Shard;
  /** Only run trials with these indices (tests, debugging). */
  only?: number[];
}

function searchSpec(config: RunConfig): NonNullable<RunConfig['search']> {
  if (!config.search) throw new InputError('the config has no `search:` section (space, trials, seed)');
  return config.search;
}

/** Runs this process's trials; returns the records of all trials finished in `out` so far. */
export async function runSearchTrials(
  ds: ObelixDataset,
  config: RunConfig,
  opts: SearchOptions,
): Promise<TrialRecord[]> {
  const spec = searchSpec(config);
  const trials = drawTrials(spec.space, spec.trials, spec.seed, spec.sampler);
  mkdirSync(opts.out, { recursive: true });
  const file = join(opts.out, shardFile(opts.shard));
  const previous = mergeRecords(readTrialRecords(opts.out));
  const recorded = readSearchConfig(opts.out);
  if (recorded) assertSameConfig(recorded, config, searchConfigFile(opts.out));
  else if (previous.size > 0)
    throw new InputError(
      `${opts.out} holds ${previous.size} finished trials but no search-config.json, so they cannot be checked against this config; write to another --out`,
    );
  if (previous.size > 0)
    opts.log(`${opts.out}: ${previous.size} trials finished earlier with the same config are kept`);
  writeFileAtomic(searchConfigFile(opts.out), `${JSON.stringify(configSections(config), null, 1)}\n`);
  for (let t = 0; t < trials.length; t++) {
    if (opts.shard && t % opts.shard.count !== opts.shard.index) continue;
    if (opts.only && !opts.only.includes(t)) continue;
    if (previous.has(t)) continue;
    const params = trials[t];
    // 0-based like trials.jsonl, trials/trial-NNN and the summary's best_trial
    opts.log(`trial ${t} of ${trials.length} (trial-${String(t).padStart(3, '0')}): ${JSON.stringify(params)}`);
    const trialConfig = withValues(config, params, `search trial ${t}`);
    const cv = await runCrossValidation(ds, trialConfig, {
      ...opts,
      out: join(opts.out, 'trials', `trial-${String(t).padStart(3, '0')}`),
    });
    const record: TrialRecord = { trial: t, params, cv_mae: cv.mae, cv_sd: cv.sd, folds: cv.folds };
    appendRecord(file, record);
  }
  return [...mergeRecords(readTrialRecords(opts.out)).values()];
}

/** Ranking: lowest mean CV MAE first; ties go to the earlier trial. */
export function rankTrials(records: TrialRecord[]): TrialRecord[] {
  return [...records].sort((a, b) => a.cv_mae - b.cv_mae || a.trial - b.trial);
}

/**
 * Epochs for the final model: with early stopping (SchNetPack protocol), floor(mean epochs run over the folds) −
 * patience, i.e. roughly the epoch of the best validation loss; with a fixed schedule, the configured epochs.
 */
export function retrainEpochs(config: RunConfig, folds: FoldResult[]): number {
  const patience = config.training.early_stopping_patience;
  if (patience === null) return config.training.epochs;
  const mean = folds.reduce((a, f) => a + f.epochs_run, 0) / folds.length;
  return Math.max(1, Math.floor(mean) - patience);
}

/** The config of the final model: the whole training split, `retrainEpochs` epochs, the last weights kept. */
export function retrainConfig(config: RunConfig, folds: FoldResult[]): RunConfig {
  const epochs = retrainEpochs(config, folds);
  return withValues(
    config,
    {
      'data.validation': null,
      'training.epochs': epochs,
      'training.early_stopping_patience': null,
      'training.keep': 'last',
    },
    'retraining',
  );
}

export interface SearchResult {
  best: TrialRecord;
  ranking: Array<Pick<TrialRecord, 'trial' | 'params' | 'cv_mae' | 'cv_sd'>>;
  final: { dir: string; epochs: number; test_mae: number; test_rmse: number; test_r2: number; n_test: number };
}

/** Retrains a configuration on the whole CIF training split and scores it on the CIF test split. */
export async function retrainAndTest(
  ds: ObelixDataset,
  config: RunConfig,
  folds: FoldResult[],
  opts: Omit<CvOptions, 'foldsFrom' | 'foldsKey'>,
): Promise<SearchResult['final']> {
  const finalConfig = retrainConfig(config, folds);
  const epochs = finalConfig.training.epochs;
  const train = samplesFor(ds, splitEntries(ds, 'train', { cifOnly: true }), finalConfig);
  const test = samplesFor(ds, splitEntries(ds, 'test', { cifOnly: true }), finalConfig);
  opts.log(`retraining on all ${train.length} training CIFs for ${epochs} epochs`);
  await trainOnSamples(finalConfig, train, [], {
    out: opts.out,
    log: opts.log,
    backend: opts.backend,
    onBatch: opts.onBatch,
  });
  const { model, normalizer } = loadModel(opts.out);
  const pred = await predictSamples(
    model,
    test,
    normalizer,
    finalConfig.training.batch_size,
    microBatchEdges(finalConfig.training.max_edges_per_batch),
  );
  model.dispose();
  const m = regressionMetrics(
    pred,
    test.map((s) => s.target),
  );
  writeFileAtomic(
    join(opts.out, 'test-predictions.json'),
    `${JSON.stringify(test.map((s, i) => ({ id: s.id, target: s.target, prediction: pred[i] })))}\n`,
  );
  return { dir: opts.out, epochs, test_mae: m.mae, test_rmse: m.rmse, test_r2: m.r2, n_test: m.n };
}

/**
 * `retrainAndTest` into `opts.out` unless it finished there before: its `test-result.json` is then read back, so a
 * stopped run, a worker process and the command that scores afterwards share one retraining.
 */
export async function retrainAndTestOnce(
  ds: ObelixDataset,
  config: RunConfig,
  folds: FoldResult[],
  opts: Omit<CvOptions, 'foldsFrom' | 'foldsKey'>,
): Promise<SearchResult['final']> {
  const done = testResultFile(opts.out);
  if (existsSync(done)) {
    assertFinishedWith(opts.out, retrainConfig(config, folds));
    return readJson<SearchResult['final']>(done);
  }
  const final = await retrainAndTest(ds, config, folds, opts);
  writeFileAtomic(done, `${JSON.stringify(final)}\n`);
  return final;
}

/** Ranks the finished trials of `out`, retrains the best and tests it; every drawn trial must be finished. */
export async function finishSearch(ds: ObelixDataset, config: RunConfig, opts: SearchOptions): Promise<SearchResult> {
  const spec = searchSpec(config);
  const records = [...mergeRecords(readTrialRecords(opts.out)).values()];
  const expected = opts.only ?? Array.from({ length: spec.trials }, (_, t) => t);
  const have = new Set(records.map((r) => r.trial));
  const missing = expected.filter((t) => !have.has(t));
  if (missing.length)
    throw new InputError(
      `${opts.out}: ${missing.length} trials not finished yet (e.g. ${missing.slice(0, 5).join(', ')}); run the remaining shards, or rerun the search into this --out`,
    );
  const ranking = rankTrials(records.filter((r) => expected.includes(r.trial)));
  const best = ranking[0];
  opts.log(
    `best trial ${best.trial}: CV MAE ${best.cv_mae.toFixed(3)} ± ${best.cv_sd.toFixed(3)} ${JSON.stringify(best.params)}`,
  );
  const bestConfig = withValues(config, best.params, `search trial ${best.trial}`);
  const final = await retrainAndTest(ds, bestConfig, best.folds, { ...opts, out: join(opts.out, 'final') });
  const result: SearchResult = {
    best,
    ranking: ranking.map(({ trial, params, cv_mae, cv_sd }) => ({ trial, params, cv_mae, cv_sd })),
    final,
  };
  writeFileAtomic(join(opts.out, 'search-result.json'), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

/**
 * The shard directories among `dirs` whose slice of the trials is not all finished, one phrase each (a directory
 * that was never written, one without a finished trial, or the trials of its slice it lacks), so that a collect
 * can name the array tasks to resubmit instead of ranking an incomplete search.
 */
export function unfinishedShards(dirs: string[], config: RunConfig): string[] {
  const trials = searchSpec(config).trials;
  const out: string[] = [];
  for (const d of dirs) {
    if (!existsSync(d)) {
      out.push(`${d} does not exist (its task never ran)`);
      continue;
    }
    const file = readdirSync(d)
      .map((n) => /^trials\.shard-(\d+)-of-(\d+)\.jsonl$/.exec(n))
      .find((m) => m !== null);
    const done = new Set(readTrialRecords(d).map((r) => r.trial));
    if (!file || done.size === 0) {
      out.push(`${d} has no finished trial`);
      continue;
    }
    const [index, count] = [Number(file[1]), Number(file[2])];
    const missing = Array.from({ length: trials }, (_, t) => t).filter((t) => t % count === index && !done.has(t));
    if (missing.length)
      out.push(`${d} (shard ${index}/${count}) lacks trial${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`);
  }
  return out;
}

/**
 * Copies the trial records of several shard directories into `out` (one merged, validated trials.jsonl). Every
 * shard's search-config.json must match the first shard's, and that one the command's `config` (fingerprints,
 * train/fingerprint.ts), so that trials run under different settings are never ranked together.
 */
export function collectSearch(dirs: string[], out: string, config: RunConfig): TrialRecord[] {
  const configs = dirs.map((d) => {
    const c = readSearchConfig(d);
    if (!c)
      throw new InputError(`${d}: no search-config.json, so its trials cannot be checked against the other shards`);
    return c;
  });
  configs.forEach((c, i) => {
    if (i > 0)
      assertSameConfig(configs[0], c, `shard ${dirs[i]}`, {
        labels: [`in ${dirs[0]}`, `in ${dirs[i]}`],
        advice: 'collect only shards of one search',
      });
  });
  if (configs.length)
    assertSameConfig(configs[0], config, `shard ${dirs[0]}`, {
      labels: ['in the shards', 'in this command'],
      advice: 'collect with the config and --set/--trials the shards ran with',
    });
  const recorded = readSearchConfig(out);
  if (recorded) assertSameConfig(recorded, config, searchConfigFile(out));
  const records: TrialRecord[] = [];
  for (const d of dirs) {
    const r = readTrialRecords(d);
    if (r.length === 0) throw new InputError(`${d}: no trials*.jsonl with finished trials`);
    records.push(...r);
  }
  const merged = [...mergeRecords(records).values()].sort((a, b) => a.trial - b.trial);
  mkdirSync(out, { recursive: true });
  writeFileAtomic(searchConfigFile(out), `${JSON.stringify(configSections(config), null, 1)}\n`);
  writeFileAtomic(join(out, 'trials.jsonl'), merged.map((r) => `${JSON.stringify(r)}\n`).join(''));
  return merged;
}
