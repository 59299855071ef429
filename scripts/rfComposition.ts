/**
 * Where the random forest's lead on the 67 CIF test entries comes from: the same forest (the paper's best set,
 * 200 trees, depth 24, √features, leaf 1) trained on one composition encoding at a time, three seeds each.
 *
 *   node --import tsx scripts/rfComposition.ts [--data DIR] [--compare ensemble.json]
 *
 * Encodings: the table's composition columns (processed.csv, which mostly hold the deposited cell's content), and,
 * read from each CIF, the cell content, the content per formula unit (cell / Z) and atomic fractions. The CIF-read
 * encodings exist for the 254 training CIFs only, so every row is also run on those 254 rows.
 *
 * `--compare` takes the per-entry predictions that `crystal-gnn evaluate --run … --out FILE` writes and prints the
 * entries that carry the difference between that model and the forest (seed 0, all table features, 478 rows), and
 * the test MAE of the equal-weight mean of the model's and the forest's predictions; differences to the forest come
 * with a 95 % interval from resampling the test entries' publications (train/bootstrap.ts).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseCif } from '../data/cif.js';
import { cellComposition, cifGraphInfo, compositionFractions } from '../data/graphFeatures.js';
import { loadObelix, type ObelixEntry } from '../data/obelix.js';
import { RandomForest, RF_OBELIX_BEST } from '../train/baselines/randomForest.js';
import { groupBootstrapMaeDifference } from '../train/bootstrap.js';
import { regressionMetrics } from '../train/metrics.js';
import { obelixTabular } from '../train/baselines/tabular.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: process.env.CRYSTAL_GNN_DATA ?? join(root, '..', 'shared', 'obelix') },
    compare: { type: 'string' },
  },
});
const ds = loadObelix(args.data);
const SEEDS = [0, 1, 2];
const forest = (seed: number): RandomForest => new RandomForest({ ...RF_OBELIX_BEST, seed });

const all = obelixTabular(ds);
const cifOnly = obelixTabular(ds, { cifOnly: true });
const nElements = all.spec.elements.length;
const testCif = all.test.ids.map((_, i) => i).filter((i) => all.test.hasCif[i]);
const testIds = testCif.map((i) => all.test.ids[i]);
const yTest = testCif.map((i) => all.test.y[i]);
const mae = (p: ArrayLike<number>): number => regressionMetrics(p, yTest).mae;

interface CifComposition {
  cell: Float64Array;
  fractions: Float64Array;
  z: number;
}
function cifComposition(e: ObelixEntry): CifComposition {
  const path = ds.cifPath(e.id);
  const text = readFileSync(path, 'utf8');
  const crystal = parseCif(text, path);
  return {
    cell: cellComposition(crystal, path),
    fractions: compositionFractions(crystal, path),
    z: cifGraphInfo(text, path).formulaUnits ?? 1,
  };
}
const cellOf = new Map([...cifOnly.train.ids, ...testIds].map((id) => [id, cifComposition(ds.byId.get(id)!)]));

type Encoding = (id: string, tableRow: number[]) => number[];
const fromCif =
  (f: (c: CifComposition) => number[]): Encoding =>
  (id) =>
    f(cellOf.get(id)!);
const ENCODINGS: [string, Encoding, boolean][] = [
  ['table: all 62 features (the paper)', (_, x) => x, true],
  ['table: composition columns', (_, x) => x.slice(0, nElements), true],
  ['CIF: atoms per cell', fromCif(({ cell }) => [...cell]), false],
  ['CIF: atoms per formula unit', fromCif(({ cell, z }) => [...cell].map((n) => n / z)), false],
  ['CIF: per formula unit + ln Z', fromCif(({ cell, z }) => [...[...cell].map((n) => n / z), Math.log(z)]), false],
  ['CIF: atomic fractions', fromCif(({ fractions }) => [...fractions]), false],
];

/** Test predictions of the forests of SEEDS trained on `train` under one encoding. */
function predictions(train: typeof all.train, encode: Encoding): ArrayLike<number>[] {
  const X = train.ids.map((id, i) => encode(id, train.X[i]));
  const Xt = testCif.map((i) => encode(all.test.ids[i], all.test.X[i]));
  return SEEDS.map((seed) => forest(seed).fit(X, train.y).predict(Xt));
}

const scores = (preds: ArrayLike<number>[]): string => preds.map((p) => mae(p).toFixed(2)).join(' / ');
console.log(`random forest, test MAE on the ${yTest.length} CIF test entries, seeds ${SEEDS.join(' / ')}`);
console.log(`${'encoding'.padEnd(38)} ${'478 rows'.padEnd(22)} 254 CIF rows`);
// The first encoding is the paper's; --compare reuses its forests.
let paper: { all: ArrayLike<number>[]; cif: ArrayLike<number>[] } | undefined;
for (const [name, encode, table] of ENCODINGS) {
  const onAll = table ? predictions(all.train, encode) : undefined;
  const onCif = predictions(cifOnly.train, encode);
  paper ??= { all: onAll!, cif: onCif };
  console.log(`${name.padEnd(38)} ${(onAll ? scores(onAll) : '–').padEnd(22)} ${scores(onCif)}`);
}

if (args.compare && paper) {
  const rf = paper.all[0];
  const rows = JSON.parse(readFileSync(args.compare, 'utf8')) as { id: string; target: number; prediction: number }[];
  const byId = new Map(rows.map((r) => [r.id, r]));
  const model = testIds.map((id) => {
    const r = byId.get(id);
    if (!r) throw new Error(`${args.compare}: no prediction for test entry ${id}`);
    return r.prediction;
  });
  const diffs = testIds
    .map((id, i) => ({
      id,
      target: yTest[i],
      model: model[i],
      rf: rf[i],
      gap: Math.abs(model[i] - yTest[i]) - Math.abs(rf[i] - yTest[i]),
    }))
    .sort((a, b) => b.gap - a.gap);
  const total = diffs.reduce((s, d) => s + d.gap, 0) / diffs.length;
  const modelMae = mae(model);
  const dois = testIds.map((id) => ds.byId.get(id)!.doi);
  const versusForest = (pred: ArrayLike<number>): string => {
    const b = groupBootstrapMaeDifference(pred, rf, yTest, dois);
    const sign = (v: number): string => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(2)}`;
    return (
      `${sign(b.difference)} (95 % interval ${sign(b.low)} to ${sign(b.high)} when the test's ${b.groups} publications ` +
      `are resampled; lower than the forest's in ${(b.shareABetter * 100).toFixed(0)} % of resamples)`
    );
  };
  console.log(
    `\n${args.compare}: MAE ${modelMae.toFixed(3)} vs forest ${mae(rf).toFixed(3)}, difference ${versusForest(model)}`,
  );
  console.log(`the entries that carry the gap (${total.toFixed(3)}):`);
  let running = 0;
  for (const d of diffs.slice(0, 12)) {
    running += d.gap / diffs.length;
    const e = ds.byId.get(d.id)!;
    console.log(
      `${d.id}  ${e.composition.padEnd(34)} target ${d.target.toFixed(2).padStart(6)}  model ${d.model.toFixed(2).padStart(6)}  ` +
        `forest ${d.rf.toFixed(2).padStart(6)}  gap share ${((running / total) * 100).toFixed(0).padStart(3)} %`,
    );
  }
  // Equal weights, fixed before looking at the test entries: a weight fitted on them would flatter the average.
  const withModel = (forests: ArrayLike<number>[]): ArrayLike<number>[] =>
    forests.map((p) => model.map((m, i) => (m + p[i]) / 2));
  console.log(
    `\nmean of the model and the forest (equal weights), test MAE, forest seeds ${SEEDS.join(' / ')}: ` +
      `forest on 478 rows ${scores(withModel(paper.all))}, on the 254 CIF rows ${scores(withModel(paper.cif))}`,
  );
  console.log(`the mean with the seed-0 forest, against that forest: ${versusForest(withModel([rf])[0])}`);
}
