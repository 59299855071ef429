import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadObelix } from '../../../data/obelix.js';
import { meanAbsoluteError } from '../../../train/baselines/gridSearch.js';
import { runMedianBaseline } from '../../../train/baselines/median.js';
import {
  RandomForest,
  cvRandomForestGrid,
  resolveMaxFeatures,
  runRandomForestSearch,
  type RfParams,
} from '../../../train/baselines/randomForest.js';
import { hash32 } from '../../../train/baselines/regressionTree.js';
import { obelixTabular, takeRows } from '../../../train/baselines/tabular.js';
import { trainIndices } from '../../../data/folds.js';
import { fixturesDir, obelixDir } from '../../helpers/paths.js';

const ds = loadObelix(obelixDir);
const data = obelixTabular(ds);

test('max_features resolves as sklearn does for 62 features: log2 → 5, sqrt → 7, None → 62', () => {
  assert.is(resolveMaxFeatures('log2', 62), 5);
  assert.is(resolveMaxFeatures('sqrt', 62), 7);
  assert.is(resolveMaxFeatures(null, 62), 62);
  assert.is(resolveMaxFeatures(10, 62), 10);
  assert.throws(() => resolveMaxFeatures(0, 62), /max_features/);
});

test('seeded: same seed → same forest; the first k trees of a forest are the k-tree forest', () => {
  const p: RfParams = { n_estimators: 12, max_depth: null, max_features: 'sqrt', min_samples_leaf: 2 };
  const a = new RandomForest({ ...p, seed: 5 }).fit(data.train.X, data.train.y).predict(data.test.X);
  const b = new RandomForest({ ...p, seed: 5 }).fit(data.train.X, data.train.y).predict(data.test.X);
  const c = new RandomForest({ ...p, seed: 6 }).fit(data.train.X, data.train.y).predict(data.test.X);
  assert.equal(a, b);
  assert.not.equal(a, c);
  const big = new RandomForest({ ...p, n_estimators: 20, seed: 5 }).fit(data.train.X, data.train.y);
  assert.equal(big.predict(data.test.X, { nEstimators: 12 }), a);
  const noBoot = new RandomForest({
    ...p,
    n_estimators: 1,
    max_features: null,
    min_samples_leaf: 1,
    bootstrap: false,
    seed: 1,
  }).fit(data.train.X, data.train.y);
  assert.ok(
    meanAbsoluteError(noBoot.predict(data.train.X), data.train.y) < 0.2,
    'an unbootstrapped deep tree nearly interpolates',
  );
});

test('grid scoring from shared forests equals fitting each grid point separately', () => {
  const grid = { n_estimators: [4, 8], max_depth: [3, null], max_features: ['log2' as const], min_samples_leaf: [2] };
  const seed = 9;
  const results = cvRandomForestGrid(data, grid, seed);
  assert.is(results.length, 4);
  for (const r of results) {
    const direct = data.folds.map((val, f) => {
      const tr = takeRows(data.train, trainIndices(val, data.train.y.length));
      const va = takeRows(data.train, val);
      const rf = new RandomForest({ ...r.params, seed: hash32(seed + 7919 * f) }).fit(tr.X, tr.y);
      return meanAbsoluteError(rf.predict(va.X), va.y);
    });
    direct.forEach((mae, f) =>
      assert.ok(Math.abs(mae - r.foldMae[f]) < 1e-12, `${JSON.stringify(r.params)} fold ${f}`),
    );
  }
});

// scripts/reference/baselinesSklearn.py: RandomForestRegressor CV MAE on the same folds, 5 random_states.
interface RfRef {
  params: RfParams;
  cv_mae: number[];
  test_mae: number[];
}
const ref = JSON.parse(readFileSync(join(fixturesDir, 'baselines-sklearn.json'), 'utf8')) as { rf: RfRef[] };

test('CV MAE agrees with scikit-learn on the paper folds (within the seed-to-seed spread)', () => {
  for (const r of ref.rf.filter((x) => x.params.n_estimators <= 50 || x.params.max_features === null)) {
    const p = r.params;
    const ours = cvRandomForestGrid(
      data,
      {
        n_estimators: [p.n_estimators],
        max_depth: [p.max_depth],
        max_features: [p.max_features],
        min_samples_leaf: [p.min_samples_leaf],
      },
      3,
    )[0].cvMae;
    const sk = r.cv_mae.reduce((a, b) => a + b, 0) / r.cv_mae.length;
    assert.ok(Math.abs(ours - sk) < 0.04, `${JSON.stringify(p)}: ours ${ours.toFixed(4)}, sklearn ${sk.toFixed(4)}`);
  }
});

test('small search: RF beats the median by far on CV and test; best point comes from the grid', () => {
  const grid = {
    n_estimators: [30],
    max_depth: [6, null],
    max_features: ['sqrt' as const, null],
    min_samples_leaf: [1, 4],
  };
  const r = runRandomForestSearch(data, { grid, seed: 1 });
  const median = runMedianBaseline(ds, data.folds);
  assert.is(r.grid!.length, 8);
  assert.ok(r.cvMae < 1.2 && r.cvMae < median.cvMae - 1, `RF CV ${r.cvMae} vs median ${median.cvMae}`);
  assert.ok(r.testMae < 1.9 && r.testMae < median.testMae - 0.3, `RF test ${r.testMae}`);
  assert.ok(r.testMaeCif > r.testMae, 'the CIF subset is the harder part of the test set (paper: 1.82 vs 1.54)');
  assert.is(r.best.max_depth, null, 'deep trees win on this data');
  assert.ok(r.grid!.every((g) => g.cvMae >= r.cvMae));
});

test.run();
