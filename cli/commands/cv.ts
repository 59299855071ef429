/** `crystal-gnn cv --config FILE [--test]`: k-fold cross-validation on the CIF training subset, optionally followed
 * by the paper's retrain-on-all-training-CIFs and test on the 67 CIF test entries. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { initBackend } from '../../train/backend.js';
import { loadConfig } from '../../train/config.js';
import { runCrossValidation } from '../../train/cv.js';
import { retrainAndTest } from '../../train/search.js';
import { readJson, writeFileAtomic } from '../../train/checkpoint.js';
import { loadDataset } from '../../train/run.js';
import { logLine, progressBar } from '../progress.js';

interface CvArgs { config: string; set?: string[]; out?: string; folds?: number; 'folds-from'?: string; 'folds-key'?: string; backend?: string; data?: string; test: boolean }

export const cvCommand: CommandModule<object, CvArgs> = {
  command: 'cv',
  describe: 'k-fold cross-validation: per-fold kept model, mean ± population SD of fold MAEs (resumable)',
  builder: (y: Argv) => y
    .option('config', { type: 'string', demandOption: true })
    .option('set', { type: 'string', array: true, describe: 'override a key: --set training.lr=3e-4' })
    .option('out', { type: 'string', describe: 'output directory (default runs/<name>-cv); rerun with the same --out to resume' })
    .option('folds', { type: 'number', describe: 'k for seeded shuffled folds (sets data.validation.folds=kfold)' })
    .option('folds-from', { type: 'string', describe: 'JSON file of fold sets by entry ID (e.g. folds.json)' })
    .option('folds-key', { type: 'string', describe: 'which fold set of --folds-from (default: the config\'s data.validation.folds)' })
    .option('test', { type: 'boolean', default: false, describe: 'then retrain on all training CIFs (floor(mean fold epochs) − patience) and score the 67 CIF test entries' })
    .option('backend', { type: 'string', choices: ['auto', 'tensorflow', 'wasm', 'cpu'] })
    .option('data', { type: 'string', describe: 'OBELiX directory (or CRYSTAL_GNN_DATA)' }) as Argv<CvArgs>,
  handler: async (args) => {
    const sets = [...(args.set ?? []), ...(args.backend ? [`backend=${args.backend}`] : [])];
    if (args.folds !== undefined) sets.push('data.validation.folds=kfold', `data.validation.k=${args.folds}`);
    const config = loadConfig(args.config, sets);
    const backend = await initBackend(config.backend);
    logLine(`backend: ${backend.description}`);
    const ds = await loadDataset(config, args.data, logLine);
    const out = args.out ?? join('runs', `${config.name ?? config.model.name}-cv`);
    const r = await runCrossValidation(ds, config, { out, log: logLine, backend: backend.name, foldsFrom: args['folds-from'], foldsKey: args['folds-key'], onBatch: progressBar() });
    const summary: Record<string, unknown> = { out, fold_set: r.fold_set, cv_mae: r.mae, cv_sd: r.sd, fold_maes: r.folds.map((f) => f.mae), epochs: r.folds.map((f) => f.epochs_run) };
    if (args.test) {
      const finalDir = join(out, 'final');
      const done = join(finalDir, 'test-result.json');
      const final = existsSync(done)
        ? readJson<{ test_mae: number }>(done)
        : await retrainAndTest(ds, config, r.folds, { out: finalDir, log: logLine, backend: backend.name, onBatch: progressBar() });
      writeFileAtomic(done, `${JSON.stringify(final)}\n`);
      summary.test_mae = final.test_mae;
    }
    console.log(JSON.stringify(summary));
  },
};
