import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crystalToAtoms, roundHalfEven, roundOccupancies } from '../../data/rounding.js';
import type { Crystal, DisorderedSite } from '../../data/structure.js';
import { throwsInputError } from '../helpers/inputError.js';

test('roundHalfEven is Python round(): ties to even', () => {
  assert.is(roundHalfEven(0.5), 0);
  assert.is(roundHalfEven(1.5), 2);
  assert.is(roundHalfEven(2.5), 2);
  assert.is(roundHalfEven(3.5), 4);
  assert.ok(Object.is(roundHalfEven(-0.5), -0), '-0.5 → -0');
  assert.is(roundHalfEven(-1.5), -2);
  assert.is(roundHalfEven(-2.5), -2);
  assert.is(roundHalfEven(0.49999999999999994), 0); // Math.floor(x + 0.5) would give 1
  assert.is(roundHalfEven(0.5000001), 1);
  assert.is(roundHalfEven(1.4999999), 1);
  assert.is(roundHalfEven(0.7), 1);
  assert.is(roundHalfEven(2 ** 53), 2 ** 53);
  assert.is(roundHalfEven(4503599627370497), 4503599627370497); // 2^52 + 1, odd but already an integer
  assert.ok(Number.isNaN(roundHalfEven(NaN)));
});

function site(frac: [number, number, number], ...species: [string, number][]): DisorderedSite {
  return {
    frac,
    label: species[0]?.[0] ?? 'X',
    species: species.map(([element, occupancy]) => ({ element, occupancy })),
  };
}

const cell: Crystal['lattice'] = [
  [4, 0, 0],
  [0, 5, 0],
  [0, 0, 6],
];

test('roundOccupancies: the OBELiX rule on every edge case', () => {
  const crystal: Crystal = {
    id: 'edge',
    lattice: cell,
    sites: [
      site([0, 0, 0], ['Li', 0.5]), //                       0.5 → 0: removed
      site([0.1, 0, 0], ['Li', 0.5000001]), //               kept as Li
      site([0.2, 0, 0], ['La', 1.5]), //                     1.5 → 2: does not take the site → removed
      site([0.3, 0, 0], ['Li', 0.3], ['La', 0.7]), //        second species wins
      site([0.4, 0, 0], ['Ti', 1.5], ['O', 0.6]), //         1.5 skipped, O takes it
      site([0.5, 0.5, 0.5], ['Li', 0.5], ['Ti', 0.5]), //    both round to 0: removed
      site([0.6, 0, 0], ['Li', 0.916], ['Mg', 0.084]), //    Li (Mg lost)
      site([0.7, 0, 0], ['Li', 0.33]), //                    garnet-like partial Li: removed
      site([0.25, 0.5, 0.75], ['O', 1]),
      site([0.9, 0, 0], ['Li', 0.6], ['Na', 1.0]), //        first in stored order wins, even if a later one is 1
    ],
  };
  const before = JSON.stringify(crystal);
  const atoms = roundOccupancies(crystal);
  assert.equal([...atoms.numbers], [3, 57, 8, 3, 8, 3]);
  assert.equal([...atoms.frac], [0.1, 0, 0, 0.3, 0, 0, 0.4, 0, 0, 0.6, 0, 0, 0.25, 0.5, 0.75, 0.9, 0, 0]);
  assert.equal([...atoms.cart.slice(12, 15)], [1, 2.5, 4.5]);
  assert.is(atoms.id, 'edge');
  assert.is(atoms.lattice, cell);
  assert.is(JSON.stringify(crystal), before, 'the unrounded crystal is left untouched');
});

test('roundOccupancies of an empty result keeps the shapes consistent', () => {
  const atoms = roundOccupancies({ id: 'void', lattice: cell, sites: [site([0, 0, 0], ['Li', 0.25])] });
  assert.is(atoms.numbers.length, 0);
  assert.is(atoms.frac.length, 0);
  assert.is(atoms.cart.length, 0);
});

test('crystalToAtoms converts ordered crystals and rejects disordered ones', () => {
  const ordered: Crystal = {
    id: 'nacl',
    lattice: cell,
    sites: [site([0, 0, 0], ['Na', 1]), site([0.5, 0.5, 0.5], ['Cl', 1])],
  };
  const atoms = crystalToAtoms(ordered);
  assert.equal([...atoms.numbers], [11, 17]);
  assert.equal([...atoms.cart], [0, 0, 0, 2, 2.5, 3]);
  throwsInputError(
    () =>
      crystalToAtoms({
        id: 'mixed',
        lattice: cell,
        sites: [site([0, 0, 0], ['Na', 1]), site([0.5, 0, 0], ['Li', 0.6], ['La', 0.4])],
      }),
    'mixed',
    'site 1',
    'Li:0.6',
  );
  throwsInputError(
    () => crystalToAtoms({ id: 'partial', lattice: cell, sites: [site([0, 0, 0], ['Li', 0.9])] }),
    'partial',
    'site 0',
  );
});

test.run();
