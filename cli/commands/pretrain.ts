/** `crystal-gnn pretrain`: train on a generic dataset (jsonl / cif_dir, e.g. mp-bandgap-36k) with a random validation split. */
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { BACKEND_NAMES } from '../../train/backend.js';
import { InputError } from '../../data/errors.js';
import { loadConfig } from '../../train/config.js';
import { runTraining } from '../../train/run.js';
import { logLine, progressBar } from '../progress.js';
import { checkOutputDir } from '../shared.js';

interface PretrainArgs {
  config: string;
  set?: string[];
  out?: string;
  backend?: string;
  resume?: boolean;
}

export const pretrainCommand: CommandModule<object, PretrainArgs> = {
  command: 'pretrain',
  describe: 'pretrain a model on a generic dataset (data.dataset: jsonl | cif_dir); graphs are cached on disk',
  builder: (y: Argv) =>
    y
      .option('config', { type: 'string', demandOption: true, describe: 'YAML config file (configs/pretrain/*.yaml)' })
      .option('set', { type: 'string', array: true, describe: 'override a key: --set data.limit=2000' })
      .option('out', { type: 'string', describe: 'run directory (default runs/<name>)' })
      .option('backend', { type: 'string', choices: BACKEND_NAMES, describe: 'TF.js backend (overrides the config)' })
      .option('resume', {
        type: 'boolean',
        default: false,
        describe: 'continue an interrupted run in --out',
      }) as Argv<PretrainArgs>,
  handler: async (args) => {
    const overrides = [...(args.set ?? []), ...(args.backend ? [`backend=${args.backend}`] : [])];
    const config = loadConfig(args.config, overrides);
    if (config.data.dataset === 'obelix')
      throw new InputError(
        `${args.config}: data.dataset is obelix; pretrain needs jsonl or cif_dir (use train for OBELiX)`,
      );
    const out = args.out ?? join('runs', config.name ?? `${config.model.name}-pretrain`);
    checkOutputDir(out);
    const result = await runTraining(config, { out, resume: args.resume, log: logLine, onBatch: progressBar() });
    console.log(
      JSON.stringify({
        run: result.dir,
        backend: result.backend,
        epochs_run: result.epochsRun,
        best_epoch: result.bestEpoch,
        seconds_per_epoch: Number(result.secondsPerEpoch.toFixed(3)),
        val: result.valMetrics,
      }),
    );
  },
};
