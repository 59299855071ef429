/** `crystal-gnn train`: one training run from a YAML config. */
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadConfig } from '../../train/config.js';
import { runTraining } from '../../train/run.js';
import { writeRunPlots } from '../../train/report/runPlots.js';
import { logLine, progressBar } from '../progress.js';
import { checkOutputDir, configOverrides, printRunSummary, runOptions, type RunArgs } from '../shared.js';

interface TrainArgs extends RunArgs {
  data?: string;
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'train a model from a YAML config (validation fold from the config)',
  builder: (y: Argv) =>
    runOptions(y, {
      config: 'YAML config file',
      setExample: 'training.lr=3e-4',
      resume:
        'continue the run in --out from its last finished epoch (an error when there is none); without it a run already in --out is continued when its config matches, refused when not',
    }).option('data', { type: 'string', describe: 'OBELiX directory (or CRYSTAL_GNN_DATA)' }) as Argv<TrainArgs>,
  handler: async (args) => {
    const config = loadConfig(args.config, configOverrides(args));
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
    printRunSummary(result);
    const plots = writeRunPlots(result.dir, name, result.history, result.valPredictions);
    if (plots.length) logLine(`plots: ${plots.join(', ')}`);
    if (config.data.dataset === 'obelix')
      logLine(
        `next: crystal-gnn evaluate --run ${result.dir}   (MAE, RMSE, R² of the kept model on the OBELiX test CIFs)`,
      );
  },
};
