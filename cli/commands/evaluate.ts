/** `crystal-gnn evaluate --run DIR [--split test|val|train]`: MAE / RMSE / R² of a run on a split, as JSON. */
import type { Argv, CommandModule } from 'yargs';
import { splitEntries } from '../../data/obelix.js';
import { initBackend } from '../../train/backend.js';
import { loadModel } from '../../train/load.js';
import { regressionMetrics } from '../../train/metrics.js';
import { loadDataset, samplesFor, trainValidationSplit } from '../../train/run.js';
import { predictSamples } from '../../train/trainer.js';
import { InputError } from '../../data/errors.js';
import { logLine } from '../progress.js';

interface EvaluateArgs { run: string; split: string; data?: string; backend: string }

export const evaluateCommand: CommandModule<object, EvaluateArgs> = {
  command: 'evaluate',
  describe: 'score a run on the OBELiX test split (CIF subset), its validation fold, or its training rows',
  builder: (y: Argv) => y
    .option('run', { type: 'string', demandOption: true, describe: 'run directory' })
    .option('split', { type: 'string', choices: ['test', 'val', 'train'], default: 'test' })
    .option('data', { type: 'string', describe: 'OBELiX directory (or CRYSTAL_GNN_DATA)' })
    .option('backend', { type: 'string', choices: ['auto', 'tensorflow', 'wasm', 'cpu'], default: 'auto' }) as Argv<EvaluateArgs>,
  handler: async (args) => {
    await initBackend(args.backend as 'auto');
    const { config, model, normalizer } = loadModel(args.run);
    const ds = await loadDataset(config, args.data, logLine);
    let entries;
    if (args.split === 'test') entries = splitEntries(ds, 'test', { cifOnly: true });
    else {
      const split = trainValidationSplit(ds, config);
      entries = args.split === 'val' ? split.val : split.train;
      if (entries.length === 0) throw new InputError(`${args.run}: the run has no ${args.split} rows (data.validation is null)`);
    }
    const samples = samplesFor(ds, entries, config);
    const pred = await predictSamples(model, samples, normalizer, config.training.batch_size, config.training.max_edges_per_batch);
    model.dispose();
    const m = regressionMetrics(pred, samples.map((s) => s.target));
    console.log(JSON.stringify({ run: args.run, split: args.split, n: m.n, mae: m.mae, rmse: m.rmse, r2: m.r2 }));
  },
};
