import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cartToFrac, fracToCart, invert3, latticeFromParameters, lengths, volume } from '../../data/lattice.js';
import type { Matrix3 } from '../../data/structure.js';
import { fixturesDir } from '../helpers/paths.js';
import { throwsInputError } from '../helpers/inputError.js';

const ref = JSON.parse(readFileSync(join(fixturesDir, 'structures-ref.json'), 'utf8')) as {
  coords: Record<string, { lattice: number[][] }>;
};

function close(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
}

function closeMatrix(a: number[][], b: number[][], tol: number): void {
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) close(a[i][j], b[i][j], tol, `[${i}][${j}]`);
}

function angleDeg(u: number[], v: number[]): number {
  const dot = u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
  return (Math.acos(dot / (Math.hypot(...u) * Math.hypot(...v))) * 180) / Math.PI;
}

test('cubic and hexagonal cells by hand', () => {
  closeMatrix(
    latticeFromParameters(2, 2, 2, 90, 90, 90),
    [
      [2, 0, 0],
      [0, 2, 0],
      [0, 0, 2],
    ],
    1e-15,
  );
  // γ = 120°: cosγ* = 0.5, so b = (−3 cos60°, 3 sin60°, 0)
  closeMatrix(
    latticeFromParameters(3, 3, 5, 90, 90, 120),
    [
      [3, 0, 0],
      [-1.5, (3 * Math.sqrt(3)) / 2, 0],
      [0, 0, 5],
    ],
    1e-14,
  );
  close(volume(latticeFromParameters(3, 3, 5, 90, 90, 120)), (45 * Math.sqrt(3)) / 2, 1e-12, 'volume');
});

test('pymatgen Lattice.from_parameters orientation (triclinic 2t8, hexagonal 11b)', () => {
  closeMatrix(
    latticeFromParameters(5.1744, 5.3115, 7.2617, 107.546997, 107.933998, 98.444),
    ref.coords['2t8'].lattice,
    1e-11,
  );
  closeMatrix(latticeFromParameters(4.273, 4.273, 7.594, 90, 90, 120), ref.coords['11b'].lattice, 1e-11);
});

test('parameters are recovered from the matrix; volume matches the closed form', () => {
  const [a, b, c, al, be, ga] = [5.1744, 5.3115, 7.2617, 107.546997, 107.933998, 98.444];
  const l = latticeFromParameters(a, b, c, al, be, ga);
  const len = lengths(l);
  close(len[0], a, 1e-12, 'a');
  close(len[1], b, 1e-12, 'b');
  close(len[2], c, 1e-12, 'c');
  close(angleDeg(l[1], l[2]), al, 1e-10, 'alpha');
  close(angleDeg(l[0], l[2]), be, 1e-10, 'beta');
  close(angleDeg(l[0], l[1]), ga, 1e-10, 'gamma');
  const [ca, cb, cg] = [al, be, ga].map((x) => Math.cos((x * Math.PI) / 180));
  close(volume(l), a * b * c * Math.sqrt(1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg), 1e-10, 'volume');
  close(volume(l), 174.61336137, 1e-7, 'CIF _cell_volume');
});

test('invert3 gives the inverse; singular matrices throw InputError', () => {
  const m: Matrix3 = [
    [2, 1, 0],
    [0, 3, 1],
    [1, 0, 4],
  ];
  const inv = invert3(m);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += m[i][k] * inv[k][j];
      close(s, i === j ? 1 : 0, 1e-15, `(m·m⁻¹)[${i}][${j}]`);
    }
  }
  throwsInputError(
    () =>
      invert3([
        [1, 2, 3],
        [2, 4, 6],
        [0, 0, 1],
      ]),
    'singular',
  );
});

test('fracToCart uses row vectors (cart = frac · L) and cartToFrac inverts it', () => {
  const l = latticeFromParameters(5.1744, 5.3115, 7.2617, 107.546997, 107.933998, 98.444);
  const frac = Float64Array.of(1, 0, 0, 0, 0, 1, 0.25, 0.5, -0.75);
  const cart = fracToCart(l, frac);
  for (let j = 0; j < 3; j++) close(cart[j], l[0][j], 0, 'frac (1,0,0) → a');
  for (let j = 0; j < 3; j++) close(cart[3 + j], l[2][j], 0, 'frac (0,0,1) → c');
  for (let j = 0; j < 3; j++) close(cart[6 + j], 0.25 * l[0][j] + 0.5 * l[1][j] - 0.75 * l[2][j], 1e-14, 'mixed');
  const back = cartToFrac(l, cart);
  for (let k = 0; k < frac.length; k++) close(back[k], frac[k], 1e-14, `round trip ${k}`);
  assert.throws(() => fracToCart(l, new Float64Array(4)), /multiple of 3/);
});

test.run();
