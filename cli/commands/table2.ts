/** `crystal-gnn table2 [--models ...] [--mode best|search] [--trials N] [--quick]`: the OBELiX Table 2 report. */
import type { Argv, CommandModule } from 'yargs';
import { BACKEND_NAMES, initBackend } from '../../train/backend.js';
import { loadObelix } from '../../data/obelix.js';
import { BASELINES, GRAPH_MODELS, renderTable2, runTable2 } from '../../train/report/table2.js';
import { checkOutputDir, ensureDataset } from '../shared.js';
import { logLine } from '../progress.js';
import { runWorkers } from '../workers.js';

interface Table2Args {
  models?: string[];
  mode: string;
  trials?: number;
  quick: boolean;
  out: string;
  backend: string;
  data?: string;
  workers: number;
}

export const table2Command: CommandModule<object, Table2Args> = {
  command: 'table2',
  describe: "reproduce the OBELiX paper's Table 2: baselines and graph models, beside the published numbers",
  builder: (y: Argv) =>
    y
      .option('models', {
        type: 'string',
        array: true,
        describe: `rows to produce (default: all of ${[...BASELINES, ...GRAPH_MODELS].join(', ')} that have configs)`,
      })
      .option('mode', {
        type: 'string',
        choices: ['best', 'search'],
        default: 'best',
        describe: 'best: paper-best config (5-fold CV + retrain + test); search: random search over the paper space',
      })
      .option('trials', { type: 'number', describe: 'trials per model in search mode (paper: 100)' })
      .option('quick', {
        type: 'boolean',
        default: false,
        describe: '2 folds, 2 epochs, 3 trials, small RF grid: minutes on a laptop CPU',
      })
      .option('out', {
        type: 'string',
        default: 'runs/table2',
        describe: 'output directory (finished parts are reused)',
      })
      .option('backend', { type: 'string', choices: BACKEND_NAMES, default: 'auto', describe: 'TF.js backend' })
      .option('data', { type: 'string', describe: 'OBELiX directory (or CRYSTAL_GNN_DATA)' })
      .option('workers', {
        type: 'number',
        default: 1,
        describe: "spread each graph row's folds or trials over K processes here (not with --quick)",
      }) as Argv<Table2Args>,
  handler: async (args) => {
    checkOutputDir(args.out);
    const backend = await initBackend(args.backend as 'auto');
    logLine(`backend: ${backend.description}`);
    const ds = loadObelix(await ensureDataset(args.data));
    const models = args.models ?? [...BASELINES, ...GRAPH_MODELS];
    const rows = await runTable2(ds, {
      out: args.out,
      models,
      mode: args.mode as 'best',
      trials: args.trials,
      quick: args.quick,
      backend: backend.name,
      log: logLine,
      workers: {
        count: args.workers,
        run: (argv, copies, shardArgs) => runWorkers('table2', copies, argv, {}, shardArgs),
      },
    });
    process.stdout.write(renderTable2(rows, 'OBELiX Table 2'));
  },
};
