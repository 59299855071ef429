/** `crystal-gnn data fetch|info`: get the OBELiX release and describe it. */
import type { Argv, CommandModule } from 'yargs';
import { copyObelix, fetchObelix, resolveDataDir } from '../../data/fetch.js';
import { loadObelix, splitEntries, type ObelixEntry } from '../../data/obelix.js';
import { fetchSource, SOURCES } from '../../data/sources.js';
import { ensureDataset } from '../shared.js';

interface FetchArgs {
  source: string;
  dest?: string;
  from?: string;
  data?: string;
}
interface InfoArgs {
  data?: string;
}

function stats(values: number[]): { n: number; mean: number; sd: number; median: number; min: number; max: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  const s = [...values].sort((a, b) => a - b);
  const median = n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
  const r = (x: number): number => Math.round(x * 1e5) / 1e5;
  return { n, mean: r(mean), sd: r(sd), median: r(median), min: r(s[0]), max: r(s[n - 1]) };
}

function elementsOf(entries: ObelixEntry[]): string[] {
  const set = new Set<string>();
  for (const e of entries) for (const m of e.composition.matchAll(/([A-Z][a-z]?)[0-9.]+/g)) set.add(m[1]);
  return [...set].sort();
}

const fetchCmd: CommandModule<object, FetchArgs> = {
  command: 'fetch [source]',
  describe:
    'download a pinned source (checksummed): OBELiX, or a checkpoint / pretraining set of the p- rows; --from copies a local one',
  builder: (y: Argv) =>
    y
      .positional('source', {
        type: 'string',
        default: 'obelix',
        choices: ['obelix', ...SOURCES.map((s) => s.name), 'all'],
        describe: `obelix (default), ${SOURCES.map((s) => s.name).join(', ')}, or all (every source but obelix); named sources go to CRYSTAL_GNN_CACHE or ~/.cache/crystal-gnn`,
      })
      .option('dest', {
        type: 'string',
        describe: 'target directory (default: --data, CRYSTAL_GNN_DATA or ~/.cache/crystal-gnn/obelix)',
      })
      .option('from', {
        type: 'string',
        describe: 'copy from a local OBELiX directory instead of downloading',
      }) as Argv<FetchArgs>,
  handler: async (args) => {
    const dest = args.dest ?? resolveDataDir(args.data);
    const log = (l: string): void => {
      process.stderr.write(`${l}\n`);
    };
    if (args.source !== 'obelix') {
      for (const s of args.source === 'all' ? SOURCES.map((x) => x.name) : [args.source])
        await fetchSource(s, { from: args.from, log });
      return;
    }
    if (args.from) copyObelix(args.from, dest, log);
    else await fetchObelix(dest, log);
  },
};

const infoCmd: CommandModule<object, InfoArgs> = {
  command: 'info',
  describe: 'counts, elements and target statistics of the dataset',
  handler: async (args) => {
    const dir = await ensureDataset(args.data);
    const ds = loadObelix(dir);
    const part = (split: 'train' | 'test', cifOnly: boolean) => {
      const es = splitEntries(ds, split, { cifOnly });
      return { rows: es.length, log10_conductivity: stats(es.map((e) => e.target)), elements: elementsOf(es).length };
    };
    console.log(
      JSON.stringify(
        {
          dir,
          entries: ds.entries.length,
          train: part('train', false),
          test: part('test', false),
          train_with_cif: part('train', true),
          test_with_cif: part('test', true),
          below_detection: ds.entries.filter((e) => e.target === -15).length,
          elements: elementsOf(ds.entries),
        },
        null,
        2,
      ),
    );
  },
};

export const dataCommand: CommandModule<object, object> = {
  command: 'data <command>',
  describe: 'get and inspect the OBELiX dataset',
  builder: (y: Argv) =>
    y
      .option('data', { type: 'string', global: true, describe: 'data directory (or CRYSTAL_GNN_DATA)' })
      .command(fetchCmd)
      .command(infoCmd)
      .demandCommand(1),
  handler: () => {},
};
