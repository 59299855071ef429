/** `crystal-gnn train`: one training run from a YAML config. */
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { BACKEND_NAMES } from '../../train/backend.js';
import { loadConfig } from '../../train/config.js';
import { runTraining } from '../../train/run.js';
import { writeRunPlots } from '../../train/report/runPlots.js';
import { logLine, progressBar } from '../progress.js';
import { checkOutputDir } from '../shared.js';

interface TrainArgs {
  config: string;
  set?: string[];
  out?: string;
  backend?: string;
  resume?: boolean;
  data?: string;
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'train a model from a YAML config (validation fold from the config)',
  builder: (y: Argv) =>
    y
      .option('config', { type: 'string', demandOption: true, describe: 'YAML config file' })
      .option('set', { type: 'string', array: true, describe: 'override a key: --set training.lr=3e-4' })
      .option('out', { type: 'string', describe: 'run directory (default runs/<name>)' })
      .option('backend', { type: 'string', choices: BACKEND_NAMES, describe: 'TF.js backend (overrides the config)' })
      .option('resume', {
        type: 'boolean',
        default: false,
        describe:
          'continue the run in --out from its last finished epoch (an error when there is none); without it a run already in --out is continued when its config matches, refused when not',
      })
      .option('data', { type: 'string', describe: 'OBELiX directory (or CRYSTAL_GNN_DATA)' }) as Argv<TrainArgs>,
  handler: async (args) => {
    const overrides = [...(args.set ?? []), ...(args.backend ? [`backend=${args.backend}`] : [])];
    const config = loadConfig(args.config, overrides);
    const name = config.name ?? config.model.name;
    const out = args.out ?? join('runs', name);
    checkOutputDir(out);
    const result = await runTraining(config, {
      out,
      resume: args.resume,
      data: args.data,
      log: logLine,
      onBatch: progressBar(),
    });
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
    const plots = writeRunPlots(result.dir, name, result.history, result.valPredictions);
    if (plots.length) logLine(`plots: ${plots.join(', ')}`);
    if (config.data.dataset === 'obelix')
      logLine(
        `next: crystal-gnn evaluate --run ${result.dir}   (MAE, RMSE, R² of the kept model on the OBELiX test CIFs)`,
      );
  },
};
