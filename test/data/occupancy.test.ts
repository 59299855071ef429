import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readCif } from '../../data/cif.js';
import { isOrdered, weightedAtoms } from '../../data/occupancy.js';
import { crystalToAtoms, roundOccupancies } from '../../data/rounding.js';
import type { Crystal, DisorderedSite, Vec3 } from '../../data/structure.js';
import { throwsInputError } from '../helpers/inputError.js';
import { obelixDir } from '../helpers/paths.js';

const A = 5;
const site = (label: string, frac: Vec3, ...species: Array<[string, number]>): DisorderedSite => ({
  label,
  frac,
  species: species.map(([element, occupancy]) => ({ element, occupancy })),
});
const cubic = (sites: DisorderedSite[]): Crystal => ({
  id: 'toy',
  lattice: [
    [A, 0, 0],
    [0, A, 0],
    [0, 0, A],
  ],
  sites,
});

test('ordered crystal: same atoms as crystalToAtoms, occupancy 1, one weight-1 entry per node', () => {
  const c = cubic([
    site('Li1', [0, 0, 0], ['Li', 1]),
    site('O1', [0.5, 0.5, 0.5], ['O', 1]),
    site('Cl1', [0.5, 0, 0], ['Cl', 1]),
  ]);
  assert.ok(isOrdered(c));
  const w = weightedAtoms(c);
  const a = crystalToAtoms(c);
  assert.equal([...w.numbers], [...a.numbers]);
  assert.equal([...w.frac], [...a.frac]);
  assert.equal([...w.cart], [...a.cart]);
  assert.equal([...w.occupancy], [1, 1, 1]);
  assert.equal([...w.mixture.node], [0, 1, 2]);
  assert.equal([...w.mixture.numbers], [3, 8, 17]);
  assert.equal([...w.mixture.weights], [1, 1, 1]);
});

test('mixed site keeps every species: Li 0.5 + Na 0.3 → occupancy 0.8, majority Li; a 0.5 site survives (rounding drops it)', () => {
  const c = cubic([site('M1', [0.1, 0.2, 0.3], ['Na', 0.3], ['Li', 0.5]), site('Li2', [0.6, 0.6, 0.6], ['Li', 0.5])]);
  const w = weightedAtoms(c);
  assert.equal([...w.numbers], [3, 3]);
  assert.equal([...w.occupancy], [0.8, 0.5]);
  assert.equal([...w.mixture.node], [0, 0, 1]);
  assert.equal([...w.mixture.numbers], [11, 3, 3]);
  assert.equal([...w.mixture.weights], [0.3, 0.5, 0.5]);
  assert.is(roundOccupancies(c).numbers.length, 0, 'the OBELiX rule removes both sites');
});

test('occupancies summing above 1 are rejected, naming the file and the site label', () => {
  const c = cubic([site('Li1', [0, 0, 0], ['Li', 1]), site('M2', [0.5, 0.5, 0.5], ['Li', 0.7], ['Na', 0.4])]);
  throwsInputError(
    () => weightedAtoms(c, { source: 'cifs/bad.cif' }),
    'cifs/bad.cif',
    'site 1 (M2)',
    'sum to 1.1',
    '> 1',
  );
  // within the 1e-6 tolerance is accepted
  const ok = cubic([site('M1', [0, 0, 0], ['Li', 0.6], ['Na', 0.4000005])]);
  assert.ok(Math.abs(weightedAtoms(ok).occupancy[0] - 1.0000005) < 1e-12);
});

test('split sites closer than 0.5 Å merge across the cell boundary: occupancy-weighted position, occupancies added', () => {
  // Li 0.2 at x = 0.98 and Li 0.3 + Na 0.1 at x = 0.02: 0.2 Å apart through the boundary.
  const c = cubic([
    site('Li1', [0.98, 0.5, 0.5], ['Li', 0.2]),
    site('O1', [0.5, 0, 0], ['O', 1]),
    site('Li2', [0.02, 0.5, 0.5], ['Li', 0.3], ['Na', 0.1]),
  ]);
  const w = weightedAtoms(c);
  assert.is(w.numbers.length, 2);
  assert.equal(w.labels, ['Li1+Li2', 'O1']);
  // x = (0.2·(−0.02) + 0.4·0.02) / 0.6 = 0.00666…
  assert.ok(Math.abs(w.frac[0] - 0.004 / 0.6) < 1e-12, `x = ${w.frac[0]}`);
  assert.equal([w.frac[1], w.frac[2]], [0.5, 0.5]);
  assert.ok(Math.abs(w.occupancy[0] - 0.6) < 1e-12);
  assert.equal([...w.mixture.numbers], [3, 11, 8]);
  assert.ok(Math.abs(w.mixture.weights[0] - 0.5) < 1e-12 && Math.abs(w.mixture.weights[1] - 0.1) < 1e-12);
  // the weighted x on the other side of the boundary wraps into [0, 1)
  const d = weightedAtoms(cubic([site('a', [0.97, 0, 0], ['Li', 0.4]), site('b', [0.01, 0, 0], ['Li', 0.2])]));
  assert.ok(Math.abs(d.frac[0] - (1 + (0.4 * -0.03 + 0.2 * 0.01) / 0.6)) < 1e-12, `x = ${d.frac[0]}`);
});

test('no merge: sites 0.5 Å apart or more, full sites, merging disabled; overflowing clusters stay split unless strict', () => {
  const far = cubic([site('a', [0, 0, 0], ['Li', 0.4]), site('b', [0.1, 0, 0], ['Li', 0.4])]); // 0.5 Å
  assert.is(weightedAtoms(far).numbers.length, 2);
  assert.is(weightedAtoms(far, { mergeDistance: 0.51 }).numbers.length, 1);
  const full = cubic([site('a', [0, 0, 0], ['Li', 1]), site('b', [0.02, 0, 0], ['Li', 0.4])]);
  assert.is(weightedAtoms(full).numbers.length, 2);
  const close = cubic([site('a', [0, 0, 0], ['Li', 0.4]), site('b', [0.02, 0, 0], ['Li', 0.4])]);
  assert.is(weightedAtoms(close, { mergeDistance: 0 }).numbers.length, 2);
  const over = cubic([
    site('a', [0, 0, 0], ['Li', 0.6]),
    site('X', [0.5, 0.5, 0.5], ['O', 1]),
    site('b', [0.02, 0, 0], ['Li', 0.6]),
  ]);
  const kept = weightedAtoms(over);
  assert.equal(kept.labels, ['a', 'X', 'b']);
  assert.equal([...kept.occupancy], [0.6, 1, 0.6]);
  throwsInputError(
    () => weightedAtoms(over, { source: 'x.cif', strictSplits: true }),
    'x.cif',
    'split sites a+b',
    '> 1',
  );
});

test('OBELiX argyrodite Li6PS5Cl (122): rounding loses all Li, weighted keeps 24 Li per cell (occupancy sum)', () => {
  const c = readCif(join(obelixDir, 'cifs', '122.cif'));
  const rounded = roundOccupancies(c);
  assert.is([...rounded.numbers].filter((z) => z === 3).length, 0);
  const w = weightedAtoms(c);
  let li = 0;
  for (let m = 0; m < w.mixture.node.length; m++) if (w.mixture.numbers[m] === 3) li += w.mixture.weights[m];
  assert.ok(Math.abs(li - 24) < 1e-6, `Li per cell ${li}`);
  for (const o of w.occupancy) assert.ok(o > 0 && o <= 1 + 1e-6);
});

test.run();
