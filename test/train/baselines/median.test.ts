import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadObelix } from '../../../data/obelix.js';
import { runMedianBaseline } from '../../../train/baselines/median.js';
import { obelixTabular } from '../../../train/baselines/tabular.js';
import { obelixDir } from '../../helpers/paths.js';

const ds = loadObelix(obelixDir);
const { folds, train } = obelixTabular(ds);

test('median baseline reproduces Table 2: 2.1626 on the 121 test, 2.8153 on the 67 with CIF (§1.5)', () => {
  const r = runMedianBaseline(ds, folds);
  assert.ok(Math.abs(r.best.median - -4.30898) < 1e-5, String(r.best.median));
  assert.ok(Math.abs(r.best.medianCif - -5.07621) < 1e-5, String(r.best.medianCif));
  assert.is(Number(r.testMae.toFixed(4)), 2.1626);
  assert.is(Number(r.testMaeCif.toFixed(4)), 2.8153);
});

test('median CV: each fold is predicted with the median of the other four folds', () => {
  const r = runMedianBaseline(ds, folds);
  const f0 = new Set(folds[0]);
  const rest = train.y.filter((_, i) => !f0.has(i)).sort((a, b) => a - b);
  const m = rest.length % 2 ? rest[rest.length >> 1] : (rest[rest.length / 2 - 1] + rest[rest.length / 2]) / 2;
  const mae0 = folds[0].reduce((a, i) => a + Math.abs(train.y[i] - m), 0) / folds[0].length;
  assert.ok(Math.abs(r.foldMae[0] - mae0) < 1e-12);
  assert.is(r.foldMae.length, 5);
  const mean = r.foldMae.reduce((a, b) => a + b, 0) / 5;
  assert.ok(Math.abs(r.cvMae - mean) < 1e-12);
  assert.ok(r.cvMae > 2 && r.cvMae < 3, `median CV MAE ${r.cvMae} should be ~2.6 (no skill)`);
});

test.run();
