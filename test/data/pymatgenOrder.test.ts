import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  averageElectronegativity,
  compositionEqual,
  compositionGe,
  elementLess,
  formatFixed3,
  sortByComposition,
  sortSitesLikePymatgen,
  speciesString,
} from '../../data/pymatgenOrder.js';
import type { DisorderedSite, SpeciesOccupancy } from '../../data/structure.js';

const sp = (...pairs: [string, number][]): SpeciesOccupancy[] =>
  pairs.map(([element, occupancy]) => ({ element, occupancy }));

test('elements order by electronegativity, then symbol; missing X last', () => {
  assert.ok(elementLess('Li', 'O')); // 0.98 < 3.44
  assert.ok(!elementLess('O', 'Li'));
  assert.ok(elementLess('Ge', 'Si') === false && elementLess('Si', 'Ge')); // 1.90 vs 2.01
  assert.ok(elementLess('Cu', 'Si')); // both 1.90: symbol decides
  assert.ok(elementLess('F', 'He')); // He has no X
});

test('Composition.__ge__ / __eq__ with the 1e-8 tolerance', () => {
  assert.ok(compositionGe(sp(['Li', 0.6]), sp(['Li', 0.5])));
  assert.ok(!compositionGe(sp(['Li', 0.5]), sp(['Li', 0.6])));
  // Li is compared first (lowest X): more Li is "greater" whatever the La amount
  assert.ok(compositionGe(sp(['La', 0.1], ['Li', 0.6]), sp(['Li', 0.5], ['La', 0.5])));
  assert.ok(compositionGe(sp(['Li', 0.5]), sp(['Li', 0.5 + 5e-9])));
  assert.ok(compositionEqual(sp(['Li', 0.3], ['La', 0.7]), sp(['La', 0.7 + 1e-9], ['Li', 0.3])));
  assert.ok(!compositionEqual(sp(['Li', 0.3]), sp(['Li', 0.3], ['La', 1e-7])));
  const order = sortByComposition([sp(['O', 1]), sp(['Li', 1]), sp(['Li', 0.5]), sp(['La', 1])], (x) => x);
  assert.equal(
    order.map((s) => s.map((x) => `${x.element}${x.occupancy}`).join('')),
    ['O1', 'La1', 'Li0.5', 'Li1'],
  );
});

test('species strings use Python rounding of f"{x:.3f}"', () => {
  assert.is(speciesString(sp(['Li', 1])), 'Li');
  assert.is(speciesString(sp(['O', 0.3], ['Li', 0.7])), 'Li:0.700, O:0.300');
  assert.is(formatFixed3(0.0625), '0.062'); // exact binary tie: half to even (toFixed gives 0.063)
  assert.is(formatFixed3(0.1875), '0.188');
  assert.is(formatFixed3(0.3125), '0.312');
  assert.is(formatFixed3(0.9375), '0.938');
  assert.is(formatFixed3(0.00049), '0.000');
  assert.is(formatFixed3(0.1234), '0.123');
});

test('average electronegativity sums in stored order', () => {
  assert.is(averageElectronegativity(sp(['Li', 0.5], ['La', 0.5])), (0.98 * 0.5 + 1.1 * 0.5) / 1);
  assert.is(averageElectronegativity(sp(['O', 0.25])), 3.44);
});

test('sites sort stably by average X, then species string', () => {
  const s = (label: string, ...pairs: [string, number][]): DisorderedSite => ({
    label,
    frac: [0, 0, 0],
    species: sp(...pairs),
  });
  const sites = [
    s('o1', ['O', 1]),
    s('li1', ['Li', 1]),
    s('p1', ['P', 1]),
    s('li2', ['Li', 0.5]),
    s('mix', ['Li', 0.5], ['La', 0.5]),
    s('li3', ['Li', 1]),
  ];
  assert.equal(
    sortSitesLikePymatgen(sites).map((x) => x.label),
    ['li1', 'li3', 'li2', 'mix', 'p1', 'o1'],
  );
});

test.run();
