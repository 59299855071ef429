/**
 * Random-forest regression (sklearn `RandomForestRegressor` semantics) and its OBELiX grid search
 * (docs/protocol.md §3.3): prediction = mean over trees; each tree is grown on a bootstrap sample
 * (n draws with replacement, counts as weights) with per-node feature sub-sampling.
 *
 * Why not ml-random-forest: it draws one feature subset per *tree* (random subspaces), not per
 * split, and its `minNumSamples` is a split threshold rather than min_samples_leaf, so it cannot
 * express sklearn's max_features / min_samples_leaf.
 *
 * Seeding: tree t of a forest with seed s depends only on (s, t), and its per-node draws only on
 * its path (regressionTree.ts). So the first k trees of a 200-tree forest are the k-tree forest,
 * and a deep tree cut at depth d is the depth-d tree: the grid search grows one forest per
 * (fold, max_features, min_samples_leaf) and scores all n_estimators × max_depth from it
 * (common random numbers across grid points; sklearn with random_state=None draws fresh ones).
 */
import type { TabularData } from './tabular.js';
import { takeRows, testScores } from './tabular.js';
import { cvScore, parameterGrid, selectBest, type BaselineResult, type GridResult } from './gridSearch.js';
import {
  growTree,
  hash32,
  HashStream,
  pathValues,
  predictTree,
  presort,
  type RegressionTree,
} from './regressionTree.js';

/** sklearn's max_features: 'sqrt' → ⌊√F⌋, 'log2' → ⌊log2 F⌋, null → F, an integer as is (62 → 7, 5, 62). */
export type MaxFeatures = 'sqrt' | 'log2' | null | number;

export function resolveMaxFeatures(mf: MaxFeatures, nFeatures: number): number {
  if (mf === null) return nFeatures;
  if (mf === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(nFeatures)));
  if (mf === 'log2') return Math.max(1, Math.floor(Math.log2(nFeatures)));
  if (!Number.isInteger(mf) || mf < 1)
    throw new RangeError(`max_features ${mf} must be 'sqrt', 'log2', null or a positive integer`);
  return Math.min(mf, nFeatures);
}

/** Hyperparameters under their sklearn names. */
export interface RfParams {
  n_estimators: number;
  /** null = grow until leaves are pure or too small. */
  max_depth: number | null;
  max_features: MaxFeatures;
  min_samples_leaf: number;
}

export interface RandomForestOptions extends RfParams {
  /** Bootstrap the rows of each tree (sklearn default true). */
  bootstrap?: boolean;
  seed?: number;
}

/** A fitted forest. `predict` may use fewer trees or a shallower cut than it was grown with. */
export class RandomForest {
  readonly trees: RegressionTree[] = [];
  constructor(readonly options: RandomForestOptions) {}

  fit(X: readonly (readonly number[])[], y: readonly number[]): this {
    const o = this.options;
    const data = presort(X, y);
    const mf = resolveMaxFeatures(o.max_features, data.nFeatures);
    const seed = hash32(o.seed ?? 0);
    this.trees.length = 0;
    for (let t = 0; t < o.n_estimators; t++) {
      const treeKey = hash32((seed + Math.imul(t + 1, 0x9e3779b9)) >>> 0);
      const weights = new Float64Array(data.nRows);
      if (o.bootstrap === false) weights.fill(1);
      else {
        const rng = new HashStream(treeKey ^ 0x5bd1e995);
        for (let k = 0; k < data.nRows; k++) weights[rng.int(data.nRows)] += 1;
      }
      this.trees.push(
        growTree(
          data,
          weights,
          { maxDepth: o.max_depth, maxFeatures: mf, minSamplesLeaf: o.min_samples_leaf },
          treeKey,
        ),
      );
    }
    return this;
  }

  predict(
    X: readonly (readonly number[])[],
    opts: { nEstimators?: number; maxDepth?: number | null } = {},
  ): Float64Array {
    const k = Math.min(opts.nEstimators ?? this.trees.length, this.trees.length);
    if (k === 0) throw new RangeError('predict: the forest has no trees (call fit first)');
    const depth = opts.maxDepth === undefined ? null : opts.maxDepth;
    return Float64Array.from(X, (x) => {
      let s = 0;
      for (let t = 0; t < k; t++) s += predictTree(this.trees[t], x, depth);
      return s / k;
    });
  }
}

/** The paper's full grid: 4 · 7 · 3 · 5 = 420 sets. */
export const RF_PAPER_GRID = {
  n_estimators: [50, 100, 150, 200],
  max_depth: [12, 24, 36, 48, 56, 64, null],
  max_features: ['log2', 'sqrt', null],
  min_samples_leaf: [1, 2, 3, 4, 5],
} as const satisfies Record<keyof RfParams, readonly unknown[]>;

/** The set the full grid selects on OBELiX (scripts/baselines.ts: the `rf_mlp_full_478` folds, seed 0). */
export const RF_OBELIX_BEST: RfParams = { n_estimators: 200, max_depth: 24, max_features: 'sqrt', min_samples_leaf: 1 };

export interface RfGrid {
  n_estimators: readonly number[];
  max_depth: readonly (number | null)[];
  max_features: readonly MaxFeatures[];
  min_samples_leaf: readonly number[];
}

const paramKey = (p: RfParams): string =>
  JSON.stringify([p.n_estimators, p.max_depth, p.max_features, p.min_samples_leaf]);

/**
 * Scores every grid point on the given folds. Per fold and (max_features, min_samples_leaf), one
 * forest of max(n_estimators) trees is grown at the largest max_depth; smaller settings are read
 * off it (see the file header). Returns the points in sklearn ParameterGrid order.
 */
export function cvRandomForestGrid(
  data: Pick<TabularData, 'train' | 'folds'>,
  grid: RfGrid,
  seed = 0,
  onFold?: (fold: number, seconds: number) => void,
): GridResult<RfParams>[] {
  const points = parameterGrid(grid as unknown as Record<keyof RfParams, readonly unknown[]>) as unknown as RfParams[];
  const nEstSorted = [...new Set(grid.n_estimators)].sort((a, b) => a - b);
  const depths = [...new Set(grid.max_depth)];
  const growDepth = depths.includes(null) ? null : Math.max(...(depths as number[]));
  const foldMae = new Map<string, number[]>();
  const nTrain = data.train.y.length;
  data.folds.forEach((val, f) => {
    const t0 = performance.now();
    const held = new Set(val);
    const trainRows = takeRows(
      data.train,
      Array.from({ length: nTrain }, (_, i) => i).filter((i) => !held.has(i)),
    );
    const valRows = takeRows(data.train, val);
    for (const mf of grid.max_features) {
      for (const msl of grid.min_samples_leaf) {
        const forest = new RandomForest({
          n_estimators: nEstSorted[nEstSorted.length - 1],
          max_depth: growDepth,
          max_features: mf,
          min_samples_leaf: msl,
          seed: hash32(seed + 7919 * f),
        }).fit(trainRows.X, trainRows.y);
        // sums[d][r]: Σ over trees so far of the depth-d-cut prediction of validation row r.
        const sums = depths.map(() => new Float64Array(val.length));
        const path = new Float64Array(nTrain + 2);
        let next = 0;
        forest.trees.forEach((tree, t) => {
          valRows.X.forEach((x, r) => {
            const len = pathValues(tree, x, path);
            depths.forEach((d, di) => {
              sums[di][r] += path[d === null ? len - 1 : Math.min(d, len - 1)];
            });
          });
          while (next < nEstSorted.length && nEstSorted[next] === t + 1) {
            depths.forEach((d, di) => {
              let mae = 0;
              for (let r = 0; r < val.length; r++) mae += Math.abs(sums[di][r] / (t + 1) - valRows.y[r]);
              const key = paramKey({ n_estimators: t + 1, max_depth: d, max_features: mf, min_samples_leaf: msl });
              const list = foldMae.get(key) ?? [];
              list[f] = mae / val.length;
              foldMae.set(key, list);
            });
            next++;
          }
        });
      }
    }
    onFold?.(f, (performance.now() - t0) / 1000);
  });
  return points.map((params) => ({ params, ...cvScore(foldMae.get(paramKey(params))!) }));
}

export interface RandomForestSearchOptions {
  grid?: RfGrid;
  seed?: number;
  log?: (line: string) => void;
}

/**
 * The RF row of Table 2: grid search on `data.folds`, best by mean CV MAE, refit on all training
 * rows, test MAE on all test rows and on those with a CIF.
 */
export function runRandomForestSearch(
  data: TabularData,
  opts: RandomForestSearchOptions = {},
): BaselineResult<RfParams> {
  const start = performance.now();
  const seed = opts.seed ?? 0;
  const grid = cvRandomForestGrid(data, opts.grid ?? RF_PAPER_GRID, seed, (f, s) =>
    opts.log?.(`rf fold ${f}: ${s.toFixed(1)} s`),
  );
  const best = selectBest(grid);
  const model = new RandomForest({ ...best.params, seed: hash32(seed + 104729) }).fit(data.train.X, data.train.y);
  return {
    name: 'random_forest',
    foldMae: best.foldMae,
    cvMae: best.cvMae,
    cvSd: best.cvSd,
    ...testScores(model.predict(data.test.X), data.test),
    best: best.params,
    grid,
    seconds: (performance.now() - start) / 1000,
  };
}
