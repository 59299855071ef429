/** `crystal-gnn cv --config FILE [--test]`: k-fold cross-validation on the CIF training subset, optionally followed
 * by the paper's retrain-on-all-training-CIFs and test on the 67 CIF test entries. `--workers K` trains the folds
 * (and the retraining, when its length does not depend on them) in at most K processes at a time sharing the run
 * directory, one process per job, the job with most epochs left first; `--shard I/N` runs the jobs ≡ I (mod N), for a
 * scheduler's array job. */
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { BACKEND_NAMES, initBackend } from '../../train/backend.js';
import { loadConfig, type RunConfig } from '../../train/config.js';
import { cvShardJobs, pendingCvJobs, resolveFolds, runCrossValidation, trainCvFolds } from '../../train/cv.js';
import { parseShard, retrainAndTestOnce, type Shard } from '../../train/search.js';
import { loadDataset } from '../../train/run.js';
import type { ObelixDataset } from '../../data/obelix.js';
import { logLine, progressBar } from '../progress.js';
import { runQueued } from '../workers.js';
import { checkOutputDir, configOverrides } from '../shared.js';
import { InputError } from '../../data/errors.js';

interface CvArgs {
  config: string;
  set?: string[];
  out?: string;
  folds?: number;
  'folds-from'?: string;
  'folds-key'?: string;
  backend?: string;
  data?: string;
  test: boolean;
  shard?: string;
  collect: boolean;
  workers: number;
  final?: string;
}

export const cvCommand: CommandModule<object, CvArgs> = {
  command: 'cv',
  describe: 'k-fold cross-validation: per-fold kept model, mean ± population SD of fold MAEs (resumable)',
  builder: (y: Argv) =>
    y
      .option('config', { type: 'string', demandOption: true, describe: 'YAML config file' })
      .option('set', { type: 'string', array: true, describe: 'override a key: --set training.lr=3e-4' })
      .option('out', {
        type: 'string',
        describe: 'output directory (default runs/<name>-cv); rerun with the same --out to resume',
      })
      .option('folds', { type: 'number', describe: 'k for seeded shuffled folds (sets data.validation.folds=kfold)' })
      .option('folds-from', { type: 'string', describe: 'JSON file of fold sets by entry ID (e.g. folds.json)' })
      .option('folds-key', {
        type: 'string',
        describe: "which fold set of --folds-from (default: the config's data.validation.folds)",
      })
      .option('test', {
        type: 'boolean',
        default: false,
        describe:
          'then retrain on all training CIFs (floor(mean fold epochs) − patience) and score the 67 CIF test entries',
      })
      .option('backend', { type: 'string', choices: BACKEND_NAMES, describe: 'TF.js backend (overrides the config)' })
      .option('data', { type: 'string', describe: 'OBELiX directory (or CRYSTAL_GNN_DATA)' })
      .option('final', {
        type: 'string',
        describe: 'with --test: directory of the retrained model (default OUT/final)',
      })
      .option('workers', {
        type: 'number',
        default: 1,
        describe: 'train the folds (one process each, at most K at a time) in parallel on this machine',
      })
      .option('shard', {
        type: 'string',
        describe: 'I/N: train only the jobs (folds, then the retraining) with index ≡ I (mod N), then stop',
      })
      .option('collect', {
        type: 'boolean',
        default: false,
        describe: 'score the folds the --shard jobs trained; refuse, naming them, if any job is unfinished',
      }) as Argv<CvArgs>,
  handler: async (args) => {
    const sets = configOverrides(args);
    if (args.folds !== undefined) sets.push('data.validation.folds=kfold', `data.validation.k=${args.folds}`);
    const config = loadConfig(args.config, sets);
    const out = args.out ?? join('runs', `${config.name ?? config.model.name}-cv`);
    const finalDir = args.final ?? join(out, 'final');
    checkOutputDir(out);
    if (args.final) checkOutputDir(finalDir, '--final');
    const backend = await initBackend(config.backend);
    logLine(`backend: ${backend.description}`);
    const ds = await loadDataset(config, args.data, logLine);
    const foldOpts = { foldsFrom: args['folds-from'], foldsKey: args['folds-key'] };
    if (args.shard) {
      await runShard(ds, config, parseShard(args.shard), {
        out,
        finalDir,
        backend: backend.name,
        test: args.test,
        ...foldOpts,
      });
      return;
    }
    if (args.collect) {
      const pending = pendingCvJobs(resolveFolds(ds, config, foldOpts).folds.length, config, args.test, {
        out,
        finalDir,
      });
      if (pending.length) {
        const names = pending
          .sort((a, b) => a.job - b.job)
          .map((j) => `${j.what === 'final' ? 'the retraining' : `fold ${j.what + 1}`} (job ${j.job} of ${j.count})`);
        throw new InputError(
          `--collect: ${out}: ${names.join(', ')} not finished; resubmit the array tasks that ran them (job j runs in task j mod N), then collect again`,
        );
      }
    }
    if (args.workers > 1) {
      // one process per unfinished job, the longest first, as workers free up: a resumed run stays balanced
      const jobs = pendingCvJobs(resolveFolds(ds, config, foldOpts).folds.length, config, args.test, { out, finalDir });
      if (jobs.length) {
        const names = jobs.map(
          (j) =>
            `${j.what === 'final' ? 'retraining' : `fold ${j.what + 1}`} (${j.epochsLeft} epoch${j.epochsLeft === 1 ? '' : 's'})`,
        );
        logLine(`${jobs.length} jobs in ${Math.min(args.workers, jobs.length)} worker processes: ${names.join(', ')}`);
        await runQueued(
          'cv',
          args.workers,
          process.argv.slice(2),
          { options: ['--workers'] },
          jobs.map((j) => ['--shard', `${j.job}/${j.count}`]),
        );
      }
    }
    const r = await runCrossValidation(ds, config, {
      out,
      log: logLine,
      backend: backend.name,
      ...foldOpts,
      onBatch: progressBar(),
    });
    const summary: Record<string, unknown> = {
      out,
      fold_set: r.fold_set,
      cv_mae: r.mae,
      cv_sd: r.sd,
      fold_maes: r.folds.map((f) => f.mae),
      epochs: r.folds.map((f) => f.epochs_run),
    };
    if (args.test) {
      const final = await retrainAndTestOnce(ds, config, r.folds, {
        out: finalDir,
        log: logLine,
        backend: backend.name,
        onBatch: progressBar(),
      });
      summary.test_mae = final.test_mae;
    }
    console.log(JSON.stringify(summary));
  },
};

/** One worker of a shared CV directory: its folds, and the retraining if it falls to it. */
async function runShard(
  ds: ObelixDataset,
  config: RunConfig,
  shard: Shard,
  opts: { out: string; finalDir: string; backend: string; test: boolean; foldsFrom?: string; foldsKey?: string },
): Promise<void> {
  const log = (line: string): void => logLine(`[shard ${shard.index}/${shard.count}] ${line}`);
  const jobs = cvShardJobs(resolveFolds(ds, config, opts).folds.length, config, opts.test, shard);
  const folds = jobs.filter((j): j is number => j !== 'final');
  await trainCvFolds(ds, config, { ...opts, log }, folds);
  if (jobs.includes('final'))
    await retrainAndTestOnce(ds, config, [], { out: opts.finalDir, log, backend: opts.backend });
  const parts = [
    ...(folds.length ? [`folds ${folds.join(', ')}`] : []),
    ...(jobs.includes('final') ? ['the retraining'] : []),
  ];
  log(`done: ${parts.join(' and ') || 'nothing (no job has this index)'}`);
}
