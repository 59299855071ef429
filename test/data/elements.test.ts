import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ELECTRONEGATIVITY, ELEMENTS, atomicNumber, elementSymbol, lookupElement } from '../../data/elements.js';
import { throwsInputError } from '../helpers/inputError.js';

test('ELEMENTS spans H..Og with index = Z - 1', () => {
  assert.is(ELEMENTS.length, 118);
  assert.is(ELEMENTS[0], 'H');
  assert.is(ELEMENTS[2], 'Li');
  assert.is(ELEMENTS[25], 'Fe');
  assert.is(ELEMENTS[56], 'La');
  assert.is(ELEMENTS[91], 'U');
  assert.is(ELEMENTS[117], 'Og');
  assert.is(new Set(ELEMENTS).size, 118);
  assert.is(ELECTRONEGATIVITY.length, 118);
});

test('atomicNumber accepts bare symbols and oxidation decorations', () => {
  assert.is(atomicNumber('Li'), 3);
  assert.is(atomicNumber('Li+'), 3);
  assert.is(atomicNumber('Li1+'), 3);
  assert.is(atomicNumber('O2-'), 8);
  assert.is(atomicNumber('O'), 8);
  assert.is(atomicNumber('Fe2.5+'), 26);
  assert.is(atomicNumber('Fe+3'), 26);
  assert.is(atomicNumber('Og'), 118);
});

test('atomicNumber rejects unknown symbols with InputError', () => {
  for (const bad of ['Xx', 'li', 'LI', '', 'Li++', 'Li2', 'O2-x', 'Li.+', '3']) {
    throwsInputError(() => atomicNumber(bad), `'${bad}'`);
  }
});

test('elementSymbol inverts atomicNumber and range-checks', () => {
  for (let z = 1; z <= 118; z++) assert.is(atomicNumber(elementSymbol(z)), z);
  throwsInputError(() => elementSymbol(0), '0');
  throwsInputError(() => elementSymbol(119), '119');
  throwsInputError(() => elementSymbol(2.5), '2.5');
  assert.is(lookupElement('Zz'), 0);
});

test('electronegativities are the pymatgen (Pauling) values', () => {
  assert.is(ELECTRONEGATIVITY[atomicNumber('Li') - 1], 0.98);
  assert.is(ELECTRONEGATIVITY[atomicNumber('O') - 1], 3.44);
  assert.is(ELECTRONEGATIVITY[atomicNumber('F') - 1], 3.98);
  assert.ok(Number.isNaN(ELECTRONEGATIVITY[atomicNumber('He') - 1]));
});

test.run();
