import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applySymOp, identityOp, parseSymOp } from '../../data/symmetryOps.js';
import { throwsInputError } from '../helpers/inputError.js';

const rows = (xyz: string): number[][] => {
  const m = parseSymOp(xyz, 'mem.cif:1');
  return [[...m.slice(0, 4)], [...m.slice(4, 8)], [...m.slice(8, 12)]];
};

test('signs, fractions, translations in either position, and whitespace', () => {
  assert.equal(rows('x, y, z'), [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
  ]);
  assert.equal(rows('-x+1/2, y, -z+1/2'), [
    [-1, 0, 0, 0.5],
    [0, 1, 0, 0],
    [0, 0, -1, 0.5],
  ]);
  assert.equal(rows('x-y, x, z+2/3'), [
    [1, -1, 0, 0],
    [1, 0, 0, 0],
    [0, 0, 1, 2 / 3],
  ]);
  assert.equal(rows('0.5+x,  - y + 0.25 ,Z-1/3'), [
    [1, 0, 0, 0.5],
    [0, -1, 0, 0.25],
    [0, 0, 1, -1 / 3],
  ]);
  assert.equal(rows('-X+Y, 2x, 1/2*z+1/2+1/4'), [
    [-1, 1, 0, 0],
    [2, 0, 0, 0],
    [0, 0, 0.5, 0.75],
  ]);
  assert.equal(rows('+x, -y, -x+y'), [
    [1, 0, 0, 0],
    [0, -1, 0, 0],
    [-1, 1, 0, 0],
  ]);
});

test('applySymOp is the affine map, without wrapping', () => {
  const out = new Float64Array(6);
  applySymOp(parseSymOp('-y+1/2, x-y, z+1', 'w'), 0.1, 0.3, 0.9, out, 3);
  assert.equal([...out.slice(3)], [0.5 - 0.3, 0.1 - 0.3, 1.9]);
  applySymOp(identityOp(), 0.25, -0.5, 2, out, 0);
  assert.equal([...out.slice(0, 3)], [0.25, -0.5, 2]);
});

test('bad operations are InputErrors naming file:line and the string', () => {
  throwsInputError(() => parseSymOp('x, y', 'a.cif:17'), 'a.cif:17', "'x, y'", '3 comma-separated');
  throwsInputError(() => parseSymOp('x, y, ', 'a.cif:3'), 'a.cif:3', 'part 3 is empty');
  throwsInputError(() => parseSymOp('x, y, w', 'a.cif:4'), 'a.cif:4', "unexpected 'w'");
  throwsInputError(() => parseSymOp('x, y z, z', 'a.cif:5'), 'a.cif:5', "expected '+' or '-'");
  throwsInputError(() => parseSymOp('x, y, z+1/0', 'a.cif:6'), 'a.cif:6', 'bad number');
  throwsInputError(() => parseSymOp('x, y, z+', 'a.cif:7'), 'a.cif:7', 'ends in a sign');
  throwsInputError(() => parseSymOp('1.2.3x, y, z', 'a.cif:8'), 'a.cif:8', "bad number '1.2.3'");
  throwsInputError(() => parseSymOp('x, y, z, x', 'a.cif:9'), 'a.cif:9', 'found more');
});

test.run();
