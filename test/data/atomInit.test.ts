import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkAtomFeatures, loadAtomInit, parseAtomInit } from '../../data/atomInit.js';
import { throwsInputError } from '../helpers/inputError.js';

const onesAt = (rows: Float32Array, z: number): number[] =>
  Array.from(rows.subarray(92 * z, 92 * z + 92)).flatMap((v, i) => (v === 1 ? [i] : []));

test('the shipped CGCNN table: elements 1–100, 92 one-hot bins, rows by atomic number', () => {
  const t = loadAtomInit();
  assert.is(t.length, 92);
  assert.is(t.maxZ, 100);
  assert.is(
    t.present.reduce((a, b) => a + b, 0),
    100,
  );
  assert.equal(
    onesAt(t.rows, 3),
    [1, 20, 27, 40, 46, 59, 73, 78, 85],
    'Li: group 1 (slot 1), period 2 (slot 20), …, s block (78)',
  );
  assert.equal(onesAt(t.rows, 8), [16, 20, 34, 37, 51, 64, 74, 79, 86], 'O: group 16, period 2, p block (79)');
  assert.is(onesAt(t.rows, 2).length, 7, 'He has no electronegativity or electron-affinity bin');
  assert.equal(onesAt(t.rows, 0), [], 'row 0 is empty');
  assert.ok(t.rows.every((v) => v === 0 || v === 1));
});

test('malformed tables and missing elements are InputErrors naming the key or element', () => {
  throwsInputError(() => parseAtomInit([], 'a.json'), 'a.json', 'object');
  throwsInputError(() => parseAtomInit({ Li: [1] }, 'a.json'), 'a.json', 'key "Li"');
  throwsInputError(() => parseAtomInit({ 1: [0, 1], 2: [1] }, 'a.json'), 'key "2" has 1 features');
  throwsInputError(() => parseAtomInit({ 1: [0, 'x'] }, 'a.json'), 'key "1"');
  const small = parseAtomInit({ 1: [1, 0], 3: [0, 1] }, 'a.json');
  assert.equal(Array.from(small.rows), [0, 0, 1, 0, 0, 0, 0, 1]);
  checkAtomFeatures(small, [3, 1, 3], 'x.cif');
  throwsInputError(() => checkAtomFeatures(small, [1, 2], 'x.cif'), 'x.cif', 'element He (site 1)');
  throwsInputError(() => checkAtomFeatures(loadAtomInit(), [3, 101], 'y.cif'), 'element Md');
});

test.run();
