/**
 * `crystal-gnn search --config FILE [--trials N]`: random hyperparameter search with CV, then retrain-and-test.
 * `--shard I/N` runs a slice (SLURM arrays), `--collect DIR...` merges slices and finishes, `--workers K` runs K
 * slices as parallel processes on this machine, a rerun with the same config (`--resume`) continues after a crash.
 */
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { BACKEND_NAMES, initBackend } from '../../train/backend.js';
import { loadConfig } from '../../train/config.js';
import { loadDataset } from '../../train/run.js';
import { InputError } from '../../data/errors.js';
import { collectSearch, finishSearch, parseShard, runSearchTrials, unfinishedShards } from '../../train/search.js';
import { logLine } from '../progress.js';
import { runWorkers } from '../workers.js';
import { checkOutputDir, configOverrides } from '../shared.js';

interface SearchArgs {
  config: string;
  set?: string[];
  out?: string;
  trials?: number;
  shard?: string;
  collect?: string[];
  workers: number;
  resume: boolean;
  finish: boolean;
  backend?: string;
  data?: string;
  'folds-from'?: string;
  'folds-key'?: string;
}

export const searchCommand: CommandModule<object, SearchArgs> = {
  command: 'search',
  describe: 'random hyperparameter search (CV per trial), then retrain the best on all training data and test',
  builder: (y: Argv) =>
    y
      .option('config', { type: 'string', demandOption: true, describe: 'YAML config with a search: section' })
      .option('set', { type: 'string', array: true, describe: 'override a key: --set training.epochs=50' })
      .option('out', { type: 'string', describe: 'search directory (default runs/<name>-search)' })
      .option('trials', { type: 'number', describe: 'number of sets to draw (overrides search.trials)' })
      .option('shard', { type: 'string', describe: 'I/N: run only trials with index ≡ I (mod N)' })
      .option('collect', {
        type: 'string',
        array: true,
        describe: 'merge the trials of these shard directories into --out and finish',
      })
      .option('workers', { type: 'number', default: 1, describe: 'run K shards as parallel processes here' })
      .option('resume', {
        type: 'boolean',
        default: false,
        describe:
          'skip trials already finished in --out (a rerun with the same config always does; another config is refused)',
      })
      .option('finish', {
        type: 'boolean',
        default: true,
        describe: 'rank, retrain the best and test when all trials are done',
      })
      .option('backend', { type: 'string', choices: BACKEND_NAMES, describe: 'TF.js backend (overrides the config)' })
      .option('folds-from', {
        type: 'string',
        describe: "JSON file of fold sets by entry ID (e.g. folds.json) for every trial's CV",
      })
      .option('folds-key', {
        type: 'string',
        describe: "which fold set of --folds-from (default: the config's data.validation.folds)",
      })
      .option('data', { type: 'string', describe: 'OBELiX directory (or CRYSTAL_GNN_DATA)' }) as Argv<SearchArgs>,
  handler: async (args) => {
    const sets = configOverrides(args);
    if (args.trials !== undefined) sets.push(`search.trials=${args.trials}`);
    const config = loadConfig(args.config, sets);
    const out = args.out ?? join('runs', `${config.name ?? config.model.name}-search`);
    checkOutputDir(out);
    if (args.workers > 1 && !args.shard && !args.collect) {
      await runWorkers(
        'search',
        args.workers,
        process.argv.slice(2),
        { options: ['--workers'], flags: ['--finish', '--no-finish'] },
        (i) => ['--shard', `${i}/${args.workers}`, '--resume', '--no-finish'],
      );
    }
    if (args.collect && args.finish) {
      const unfinished = unfinishedShards(args.collect, config);
      if (unfinished.length)
        throw new InputError(
          `--collect: not every shard finished, so the search cannot be ranked: ${unfinished.join('; ')}; resubmit those shards (--resume keeps their finished trials), then collect again`,
        );
    }
    const backend = await initBackend(config.backend);
    const ds = await loadDataset(config, args.data, logLine);
    const opts = {
      out,
      log: logLine,
      backend: backend.name,
      foldsFrom: args['folds-from'],
      foldsKey: args['folds-key'],
    };
    if (args.collect) {
      const merged = collectSearch(args.collect, out, config);
      logLine(`collected ${merged.length} trials into ${out}`);
    } else if (args.workers <= 1 || args.shard) {
      logLine(`backend: ${backend.description}`);
      await runSearchTrials(ds, config, { ...opts, shard: args.shard ? parseShard(args.shard) : undefined });
    }
    if (args.finish && !args.shard) {
      const r = await finishSearch(ds, config, opts);
      console.log(
        JSON.stringify({
          out,
          best_trial: r.best.trial,
          params: r.best.params,
          cv_mae: r.best.cv_mae,
          cv_sd: r.best.cv_sd,
          test_mae: r.final.test_mae,
          epochs: r.final.epochs,
        }),
      );
    }
  },
};
