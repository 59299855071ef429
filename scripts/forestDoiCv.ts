/**
 * The paper's best random forest (200 trees, depth 24, √features, leaf 1, the 62 table features) scored by
 * cross-validation on folds that keep each publication whole (`doi_kfold`, the folds a graph model gets with
 * `--set data.validation.folds=doi_kfold`), seeds 0 / 1 / 2, two ways:
 *   - trained on the fold's training CIFs only, as a graph model is;
 *   - also on the training rows without a CIF whose publication is not in the validation fold (the forest's edge).
 *
 *   node --import tsx scripts/forestDoiCv.ts [--data DIR] [--k 5] [--fold-seed 42]
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadObelix } from '../data/obelix.js';
import { RandomForest, RF_OBELIX_BEST } from '../train/baselines/randomForest.js';
import { obelixTabular } from '../train/baselines/tabular.js';
import { meanAndSd } from '../train/cv.js';
import { regressionMetrics } from '../train/metrics.js';
import { validationFolds } from '../train/validationSplit.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: process.env.CRYSTAL_GNN_DATA ?? join(root, '..', 'shared', 'obelix') },
    k: { type: 'string', default: '5' },
    'fold-seed': { type: 'string', default: '42' },
  },
});
const ds = loadObelix(args.data);
const table = obelixTabular(ds);
const k = Number(args.k);
const foldSeed = Number(args['fold-seed']);
const folds = validationFolds(ds, { folds: 'doi_kfold', k, seed: foldSeed, fold: 0 });
const rowOf = new Map(table.train.ids.map((id, i) => [id, i]));
const doiOf = (id: string): string => ds.byId.get(id)!.doi;

function foldMae(seed: number, valIds: string[], withoutCif: boolean): number {
  const held = new Set(valIds);
  const heldDois = new Set(valIds.map(doiOf));
  const trainRows = table.train.ids.flatMap((id, i) => {
    if (held.has(id)) return [];
    const e = ds.byId.get(id)!;
    if (e.hasCif) return [i];
    return withoutCif && !heldDois.has(e.doi) ? [i] : [];
  });
  const forest = new RandomForest({ ...RF_OBELIX_BEST, seed });
  forest.fit(
    trainRows.map((i) => table.train.X[i]),
    trainRows.map((i) => table.train.y[i]),
  );
  const valRows = valIds.map((id) => rowOf.get(id)!);
  return regressionMetrics(
    forest.predict(valRows.map((i) => table.train.X[i])),
    valRows.map((i) => table.train.y[i]),
  ).mae;
}

console.log(
  `random forest, doi_kfold(k=${k}, seed=${foldSeed}) over the ${folds.flat().length} training CIFs, CV MAE (mean ± population SD)`,
);
for (const [label, withoutCif] of [
  ['trained on the training CIFs', false],
  ['+ the rows without a CIF of other publications', true],
] as const) {
  const line = [0, 1, 2].map((seed) => {
    const { mean, sd } = meanAndSd(folds.map((f) => foldMae(seed, f, withoutCif)));
    return `${mean.toFixed(2)} ± ${sd.toFixed(2)}`;
  });
  console.log(`${label.padEnd(48)} seeds 0 / 1 / 2: ${line.join(' / ')}`);
}
