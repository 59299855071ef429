import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadObelix } from '../../../data/obelix.js';
import { obelixTabular, takeRows, testScores } from '../../../train/baselines/tabular.js';
import { obelixDir } from '../../helpers/paths.js';

const ds = loadObelix(obelixDir);

test('full benchmark: 478 × 62 train rows in train_idx order, 121 test, paper folds 96/96/96/95/95', () => {
  const d = obelixTabular(ds);
  assert.is(d.train.X.length, 478);
  assert.is(d.train.X[0].length, 62);
  assert.equal(d.train.ids, ds.trainIds);
  assert.is(d.test.y.length, 121);
  assert.is(d.test.hasCif.filter(Boolean).length, 67);
  assert.equal(
    d.folds.map((f) => f.length),
    [96, 96, 96, 95, 95],
  );
  assert.is(d.train.ids[d.folds[0][0]], '3o4', 'first validation row of fold 0 in folds.json');
});

test('CIF-only ablation: Match rows then Close Match rows, 254/67, scaler still fitted on all 478', () => {
  const full = obelixTabular(ds);
  const d = obelixTabular(ds, { cifOnly: true });
  assert.is(d.train.y.length, 254);
  assert.is(d.test.y.length, 67);
  const kinds = d.train.ids.map((id) => ds.byId.get(id)!.cif);
  assert.is(kinds.indexOf('Close Match'), 202);
  assert.ok(kinds.slice(202).every((k) => k === 'Close Match'));
  assert.equal(d.spec.latticeScaler, full.spec.latticeScaler);
  assert.equal(
    d.folds.map((f) => f.length),
    [51, 51, 51, 51, 50],
  );
});

test('takeRows and testScores by hand', () => {
  const split = { X: [[1], [2], [3]], y: [10, 20, 30], ids: ['a', 'b', 'c'], hasCif: [true, false, true] };
  assert.equal(takeRows(split, [2, 0]), { X: [[3], [1]], y: [30, 10] });
  const s = testScores([11, 20, 27], split);
  assert.ok(Math.abs(s.testMae - 4 / 3) < 1e-12);
  assert.is(s.testMaeCif, 2);
});

test.run();
