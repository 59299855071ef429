/** `crystal-gnn pretrain`: train on a generic dataset (jsonl / cif_dir, e.g. mp-bandgap-36k) with a random validation split. */
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { InputError } from '../../data/errors.js';
import { loadConfig } from '../../train/config.js';
import { runTraining } from '../../train/run.js';
import { logLine, progressBar } from '../progress.js';
import { checkOutputDir, configOverrides, printRunSummary, runOptions, type RunArgs } from '../shared.js';

export const pretrainCommand: CommandModule<object, RunArgs> = {
  command: 'pretrain',
  describe: 'pretrain a model on a generic dataset (data.dataset: jsonl | cif_dir); graphs are cached on disk',
  builder: (y: Argv) =>
    runOptions(y, {
      config: 'YAML config file (configs/pretrain/*.yaml)',
      setExample: 'data.limit=2000',
      resume: 'continue an interrupted run in --out',
    }),
  handler: async (args) => {
    const config = loadConfig(args.config, configOverrides(args));
    if (config.data.dataset === 'obelix')
      throw new InputError(
        `${args.config}: data.dataset is obelix; pretrain needs jsonl or cif_dir (use train for OBELiX)`,
      );
    const out = args.out ?? join('runs', config.name ?? `${config.model.name}-pretrain`);
    checkOutputDir(out);
    const result = await runTraining(config, { out, resume: args.resume, log: logLine, onBatch: progressBar() });
    printRunSummary(result);
  },
};
