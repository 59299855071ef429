import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cellHeights, periodicImages } from '../../graph/periodicImages.js';
import { latticeFromParams, makeAtoms } from './atoms.js';

test('cell heights: cubic, and V / area for a triclinic cell', () => {
  assert.equal(
    cellHeights([
      [3, 0, 0],
      [0, 4, 0],
      [0, 0, 5],
    ]),
    [3, 4, 5],
  );
  // Monoclinic, β between a and c: h_b = b, h_a = h_c = a·c·sin β / |other|.
  const L = latticeFromParams(4, 5, 6, 90, 120, 90);
  const h = cellHeights(L);
  const sinB = Math.sin((120 * Math.PI) / 180);
  [(6 * sinB * 4) / 6, 5, (4 * sinB * 6) / 4].forEach((v, k) => assert.ok(Math.abs(h[k] - v) < 1e-12, `h[${k}]`));
});

test('images kept: only those whose fractional box can reach the cell', () => {
  const cube = (f: number[][]): ReturnType<typeof makeAtoms> =>
    makeAtoms(
      'c',
      [
        [10, 0, 0],
        [0, 10, 0],
        [0, 0, 10],
      ],
      f,
    );
  // Atom at the origin, reach 5 Å = half a cell: T ∈ {0, 1} per axis (g ∈ [−0.5, 1.5]).
  let img = periodicImages(cube([[0, 0, 0]]), 5);
  assert.is(img.atom.length, 8);
  assert.equal(Array.from(img.shift.slice(0, 6)), [0, 0, 0, 0, 0, 1]);
  assert.is(img.selfId[0], 0);
  // Atom in the middle: T ∈ {−1, 0, 1} per axis.
  img = periodicImages(cube([[0.5, 0.5, 0.5]]), 5);
  assert.is(img.atom.length, 27);
  assert.is(img.selfId[0], 13);
  // Unwrapped input (f = 1.25): wrapped to 0.25, shifts relative to the input position.
  img = periodicImages(cube([[1.25, 0.25, 0.25]]), 1);
  assert.equal(Array.from(img.wrap), [1, 0, 0]);
  assert.equal(Array.from(img.centres), [2.5, 2.5, 2.5]);
  assert.equal(Array.from(img.shift), [-1, 0, 0]);
});

test('a thin cell gets many images along its short axis', () => {
  const img = periodicImages(
    makeAtoms(
      'thin',
      [
        [10, 0, 0],
        [0, 10, 0],
        [0, 0, 1],
      ],
      [[0.5, 0.5, 0.5]],
    ),
    3,
  );
  // a, b: g ∈ [−0.3, 1.3] → T = 0 only; c: g = 0.5 + T ∈ [−3, 4] → T = −3 … 3.
  assert.is(img.atom.length, 7);
  assert.equal(Array.from(img.pos.filter((_, k) => k % 3 === 2)), [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5]);
});

test.run();
