import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  elementColumns,
  featureNames,
  featurize,
  fitFeatureSpec,
  fitStandardScaler,
  parseComposition,
} from '../../data/features.js';
import { InputError } from '../../data/errors.js';
import { loadObelix, splitEntries } from '../../data/obelix.js';
import { obelixDir } from '../helpers/paths.js';

const ds = loadObelix(obelixDir);
const train = splitEntries(ds, 'train');
const spec = fitFeatureSpec(ds.entries, train);

const close = (a: number, b: number, tol: number, msg: string): void =>
  assert.ok(Math.abs(a - b) <= tol, `${msg}: ${a} vs ${b}`);

test('parseComposition: explicit and implicit counts, repeats summed, bad input named', () => {
  assert.equal(
    [...parseComposition('Li7.0Bi1.0O6.0')],
    [
      ['Li', 7],
      ['Bi', 1],
      ['O', 6],
    ],
  );
  assert.equal(
    [...parseComposition('LiO2Li0.5 Fe')],
    [
      ['Li', 1.5],
      ['O', 2],
      ['Fe', 1],
    ],
  );
  assert.equal([...parseComposition('H1e-1')], [['H', 0.1]]);
  assert.throws(
    () => parseComposition('Li7Xx2', 'entry abc'),
    (e: Error) => e instanceof InputError && /entry abc.*'Xx'/.test(e.message),
  );
  assert.throws(
    () => parseComposition('Li(PO4)3', 'row 3'),
    /row 3: cannot parse composition 'Li\(PO4\)3' at '\(PO4\)3'/,
  );
  assert.throws(() => parseComposition(''), /empty/);
});

test('55 element columns in Z order, exactly those of the protocol (§3.1); 62 features in all', () => {
  const expected = (
    'H Li B C N O F Na Mg Al Si P S Cl K Ca Sc Ti V Cr Mn Fe Co Cu Zn Ga Ge Se Br Sr Y Zr ' +
    'Nb Mo Ag Cd In Sn Sb Te I Ba La Ce Pr Nd Sm Gd Er Lu Hf Ta W Pb Bi'
  ).split(' ');
  assert.equal(spec.elements, expected);
  assert.is(featureNames(spec).length, 62);
  assert.equal(featureNames(spec).slice(55), ['space_group', 'a', 'b', 'c', 'alpha', 'beta', 'gamma']);
  // Ag occurs only in test rows, so a train-only column list would have 54.
  assert.is(elementColumns(train).length, 54);
});

test('lattice scaler fitted on the 478 training rows equals sklearn StandardScaler (§3.1)', () => {
  const mean = [9.434848, 9.319475, 13.113851, 90.22157, 90.952369, 98.539492];
  const sd = [2.695612, 2.979201, 5.620779, 2.46295, 4.809082, 13.776868];
  for (let k = 0; k < 6; k++) {
    close(spec.latticeScaler.mean[k], mean[k], 5e-6 * mean[k], `mean ${k}`);
    close(spec.latticeScaler.scale[k], sd[k], 5e-6 * sd[k], `sd ${k}`);
  }
});

test('a feature row by hand: 3o4 = Li50 La24 Zr16 Ga2 O96, Ia-3d (230), cubic a = 12.971 Å', () => {
  const e = ds.byId.get('3o4')!;
  const [x] = featurize([e], spec);
  const names = featureNames(spec);
  const nz = Object.fromEntries(
    names
      .slice(0, 55)
      .map((n, j) => [n, x[j]])
      .filter(([, v]) => v !== 0),
  );
  assert.equal(nz, { Li: 50, O: 96, Ga: 2, Zr: 16, La: 24 });
  assert.is(x[55], 230);
  const { mean, scale } = spec.latticeScaler;
  close(x[56], (12.971 - mean[0]) / scale[0], 1e-12, 'a');
  close(x[56], (12.971 - 9.434848) / 2.695612, 1e-5, 'a vs protocol');
  close(x[61], (90 - 98.539492) / 13.776868, 1e-5, 'gamma vs protocol');
});

test('standardised training columns have mean 0 and population SD 1; test rows use the train fit', () => {
  const X = featurize(train, spec);
  for (let j = 56; j < 62; j++) {
    const col = X.map((r) => r[j]);
    const m = col.reduce((a, b) => a + b, 0) / col.length;
    const v = col.reduce((a, b) => a + (b - m) ** 2, 0) / col.length;
    close(m, 0, 1e-12, `mean col ${j}`);
    close(v, 1, 1e-12, `var col ${j}`);
  }
  const Xt = featurize(splitEntries(ds, 'test'), spec);
  const mt = Xt.reduce((a, r) => a + r[56], 0) / Xt.length;
  assert.ok(Math.abs(mt) > 1e-3, 'test rows are not re-standardised');
});

test('scaler: a constant column gets scale 1; an element outside the columns is rejected', () => {
  assert.equal(
    fitStandardScaler([
      [1, 5],
      [3, 5],
    ]),
    { mean: [2, 5], scale: [1, 1] },
  );
  const small = fitFeatureSpec(
    [{ composition: 'Li2O1', spaceGroup: 1, latticeParameters: [1, 1, 1, 90, 90, 90] }],
    [{ composition: 'Li2O1', spaceGroup: 1, latticeParameters: [1, 1, 1, 90, 90, 90] }],
  );
  assert.equal(small.elements, ['Li', 'O']);
  assert.throws(
    () =>
      featurize([{ id: 'q1', composition: 'Li1Na1', spaceGroup: 2, latticeParameters: [1, 1, 1, 90, 90, 90] }], small),
    /entry q1: element Na is not one of the 2 feature columns/,
  );
});

test.run();
