import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cvScore, meanAbsoluteError, median, parameterGrid, selectBest } from '../../../train/baselines/gridSearch.js';

test('parameterGrid follows sklearn ParameterGrid order: keys sorted, last key fastest', () => {
  // list(ParameterGrid({'n_estimators': [50, 100], 'max_depth': [12, None], 'max_features': ['log2']}))
  const g = parameterGrid({ n_estimators: [50, 100], max_depth: [12, null], max_features: ['log2'] });
  assert.equal(g, [
    { max_depth: 12, max_features: 'log2', n_estimators: 50 },
    { max_depth: 12, max_features: 'log2', n_estimators: 100 },
    { max_depth: null, max_features: 'log2', n_estimators: 50 },
    { max_depth: null, max_features: 'log2', n_estimators: 100 },
  ]);
  assert.is(parameterGrid({ a: [1, 2, 3, 4], b: [1, 2, 3, 4, 5, 6, 7], c: [0, 1, 2], d: [1, 2, 3, 4, 5] }).length, 420);
  assert.throws(() => parameterGrid({ a: [] }), /'a' has no values/);
});

test('cvScore: mean and population SD of the fold MAEs; selectBest keeps the first of equal scores', () => {
  const s = cvScore([1, 2, 3, 4]);
  assert.is(s.cvMae, 2.5);
  assert.ok(Math.abs(s.cvSd - Math.sqrt(1.25)) < 1e-15);
  const results = [
    { params: 'a', ...cvScore([2, 2]) },
    { params: 'b', ...cvScore([1, 1]) },
    { params: 'c', ...cvScore([NaN, 1]) },
    { params: 'd', ...cvScore([0.5, 1.5]) },
  ];
  assert.is(selectBest(results).params, 'b');
  assert.throws(() => selectBest([{ params: 'x', ...cvScore([NaN]) }]), /finite/);
});

test('median and MAE by hand', () => {
  assert.is(median([3, 1, 2]), 2);
  assert.is(median([4, 1, 3, 2]), 2.5);
  assert.is(median([-10, 5]), -2.5);
  assert.is(meanAbsoluteError([1, 2, 3], [2, 2, 5]), 1);
  assert.throws(() => meanAbsoluteError([1], [1, 2]), /equal/);
});

test.run();
