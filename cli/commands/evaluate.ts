/**
 * `crystal-gnn evaluate --run DIR [--split test|val|train]`: MAE / RMSE / R² of a run on a split, as JSON.
 * `--run A B ...` (runs or CV directories, which stand for their fold models and final model) scores each and
 * their mean prediction on the test split: an ensemble.
 */
import type { Argv, CommandModule } from 'yargs';
import { splitEntries } from '../../data/obelix.js';
import { BACKEND_NAMES, initBackend } from '../../train/backend.js';
import { loadModel, readCheckpoint } from '../../train/load.js';
import { ensemblePredict, expandRunDirs } from '../../train/ensemble.js';
import { writeFileAtomic } from '../../train/checkpoint.js';
import { regressionMetrics } from '../../train/metrics.js';
import { loadDataset } from '../../train/run.js';
import { samplesFor } from '../../graph/featurize.js';
import { trainValidationSplit } from '../../train/validationSplit.js';
import { predictSamples } from '../../train/trainer.js';
import { InputError } from '../../data/errors.js';
import { logLine } from '../progress.js';
import { checkOutputFile } from '../shared.js';
import { microBatchEdges } from '../../train/deviceLimits.js';

interface EvaluateArgs {
  run: string[];
  out?: string;
  split: string;
  data?: string;
  backend: string;
}

export const evaluateCommand: CommandModule<object, EvaluateArgs> = {
  command: 'evaluate',
  describe: 'score a run on the OBELiX test split (CIF subset), its validation fold, or its training rows',
  builder: (y: Argv) =>
    y
      .option('run', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'run directory; several (or a CV directory): the ensemble of their mean prediction on the test split',
      })
      .option('out', {
        type: 'string',
        describe:
          "write the per-entry predictions here (JSON: id, target, prediction; with an ensemble also each member's)",
      })
      .option('split', {
        type: 'string',
        choices: ['test', 'val', 'train'],
        default: 'test',
        describe: "which rows to score: the test CIFs, the run's validation fold, or its training rows",
      })
      .option('data', { type: 'string', describe: 'OBELiX directory (or CRYSTAL_GNN_DATA)' })
      .option('backend', {
        type: 'string',
        choices: BACKEND_NAMES,
        default: 'auto',
        describe: 'TF.js backend',
      }) as Argv<EvaluateArgs>,
  handler: async (args) => {
    if (args.out) checkOutputFile(args.out);
    await initBackend(args.backend as 'auto');
    const runs = args.run.flatMap(expandRunDirs);
    if (runs.length > 1) {
      if (args.split !== 'test')
        throw new InputError(
          `--split ${args.split}: an ensemble of ${runs.length} runs is scored on the test split only (validation rows differ between runs)`,
        );
      const ds = await loadDataset(readCheckpoint(runs[0]).config, args.data, logLine);
      const r = await ensemblePredict(ds, runs, splitEntries(ds, 'test', { cifOnly: true }));
      for (const m of r.members)
        console.log(
          JSON.stringify({
            run: m.run,
            split: 'test',
            n: m.metrics.n,
            mae: m.metrics.mae,
            rmse: m.metrics.rmse,
            r2: m.metrics.r2,
          }),
        );
      if (args.out)
        writeFileAtomic(
          args.out,
          `${JSON.stringify(r.ids.map((id, i) => ({ id, target: r.targets[i], prediction: r.predictions[i], members: r.members.map((m) => m.predictions[i]) })))}\n`,
        );
      console.log(
        JSON.stringify({
          ensemble: runs.length,
          split: 'test',
          n: r.metrics.n,
          mae: r.metrics.mae,
          rmse: r.metrics.rmse,
          r2: r.metrics.r2,
        }),
      );
      return;
    }
    const { config, model, normalizer } = loadModel(runs[0]);
    const ds = await loadDataset(config, args.data, logLine);
    let entries;
    if (args.split === 'test') entries = splitEntries(ds, 'test', { cifOnly: true });
    else {
      const split = trainValidationSplit(ds, config);
      entries = args.split === 'val' ? split.val : split.train;
      if (entries.length === 0)
        throw new InputError(`${runs[0]}: the run has no ${args.split} rows (data.validation is null)`);
    }
    const samples = samplesFor(ds, entries, config);
    const pred = await predictSamples(
      model,
      samples,
      normalizer,
      config.training.batch_size,
      microBatchEdges(config.training.max_edges_per_batch),
    );
    model.dispose();
    const m = regressionMetrics(
      pred,
      samples.map((s) => s.target),
    );
    if (args.out)
      writeFileAtomic(
        args.out,
        `${JSON.stringify(samples.map((s, i) => ({ id: s.id, target: s.target, prediction: pred[i] })))}\n`,
      );
    console.log(JSON.stringify({ run: runs[0], split: args.split, n: m.n, mae: m.mae, rmse: m.rmse, r2: m.r2 }));
  },
};
