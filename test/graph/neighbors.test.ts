import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../data/errors.js';
import type { Atoms, Matrix3 } from '../../data/structure.js';
import { radiusGraph, type NeighborList } from '../../graph/neighbors.js';
import { latticeFromParams, makeAtoms, rng } from './atoms.js';
import { bruteForce } from './bruteForce.js';

const cubic = (a: number): Matrix3 => [
  [a, 0, 0],
  [0, a, 0],
  [0, 0, a],
];

function rockSalt(a: number): Atoms {
  const fcc = [
    [0, 0, 0],
    [0, 0.5, 0.5],
    [0.5, 0, 0.5],
    [0.5, 0.5, 0],
  ];
  const cl = fcc.map((p) => p.map((x) => (x + 0.5) % 1));
  return makeAtoms('NaCl', cubic(a), [...fcc, ...cl], [11, 11, 11, 11, 17, 17, 17, 17]);
}

/** Asserts vectors = r_j + S·L − r_i and distances = |vectors|, both from the caller's coordinates. */
function assertGeometry(atoms: Atoms, g: NeighborList): void {
  const L = atoms.lattice;
  for (let e = 0; e < g.src.length; e++) {
    const [i, j] = [g.src[e], g.dst[e]];
    let d2 = 0;
    for (let x = 0; x < 3; x++) {
      const v =
        atoms.cart[3 * j + x] +
        g.images[3 * e] * L[0][x] +
        g.images[3 * e + 1] * L[1][x] +
        g.images[3 * e + 2] * L[2][x] -
        atoms.cart[3 * i + x];
      assert.ok(Math.abs(v - g.vectors[3 * e + x]) < 1e-9, `edge ${e} component ${x}: ${v} vs ${g.vectors[3 * e + x]}`);
      d2 += g.vectors[3 * e + x] ** 2;
    }
    assert.ok(Math.abs(Math.sqrt(d2) - g.distances[e]) < 1e-12);
  }
}

function assertMatchesBruteForce(atoms: Atoms, cutoff: number, inclusive = true): number {
  const g = radiusGraph(atoms, cutoff, { inclusive });
  const ref = bruteForce(atoms, cutoff, inclusive);
  assert.is(g.src.length, ref.length, `${atoms.id} r=${cutoff}: edge count`);
  ref.forEach((r, e) => {
    const got = [g.src[e], g.dst[e], g.images[3 * e], g.images[3 * e + 1], g.images[3 * e + 2]];
    assert.equal(got, [r.i, r.j, ...r.s], `${atoms.id} r=${cutoff} edge ${e}`);
    assert.ok(Math.abs(g.distances[e] - r.d) < 1e-10);
  });
  assertGeometry(atoms, g);
  return ref.length;
}

test('rock salt: 6 at a/2, 12 at a/√2, 8 at a√3/2 around every atom', () => {
  const a = 5.64;
  const atoms = rockSalt(a);
  const g = radiusGraph(atoms, 5);
  assert.is(g.src.length, 8 * 26);
  assert.is(g.cutoff, 5);
  for (let i = 0; i < 8; i++) {
    const shells = new Map<string, number>();
    for (let e = 0; e < g.src.length; e++) {
      if (g.src[e] !== i) continue;
      const key = g.distances[e].toFixed(9);
      shells.set(key, (shells.get(key) ?? 0) + 1);
      // First shell is the other species, second the same one.
      if (Math.abs(g.distances[e] - a / 2) < 1e-9) assert.is.not(atoms.numbers[g.dst[e]], atoms.numbers[i]);
      if (Math.abs(g.distances[e] - a / Math.SQRT2) < 1e-9) assert.is(atoms.numbers[g.dst[e]], atoms.numbers[i]);
    }
    assert.equal(
      [...shells.entries()].sort(),
      [
        [(a / 2).toFixed(9), 6],
        [(a / Math.SQRT2).toFixed(9), 12],
        [((a * Math.sqrt(3)) / 2).toFixed(9), 8],
      ].sort(),
    );
  }
  assertGeometry(atoms, g);
});

test('edges are sorted by (i, j, S) and both directions are present', () => {
  const atoms = rockSalt(5.64);
  const g = radiusGraph(atoms, 6);
  const keys: string[] = [];
  for (let e = 0; e < g.src.length; e++) {
    const s = [g.images[3 * e], g.images[3 * e + 1], g.images[3 * e + 2]];
    keys.push(`${g.src[e]},${g.dst[e]},${s}`);
    if (e > 0) {
      const prev = [g.src[e - 1], g.dst[e - 1], g.images[3 * e - 3], g.images[3 * e - 2], g.images[3 * e - 1]];
      const cur = [g.src[e], g.dst[e], ...s];
      const k = prev.findIndex((v, t) => v !== cur[t]);
      assert.ok(k >= 0 && prev[k] < cur[k], `edge ${e} out of order`);
    }
  }
  const set = new Set(keys);
  for (let e = 0; e < g.src.length; e++) {
    const back = [-g.images[3 * e], -g.images[3 * e + 1], -g.images[3 * e + 2]];
    assert.ok(set.has(`${g.dst[e]},${g.src[e]},${back}`), `reverse of edge ${e}`);
  }
});

test('triclinic cells match brute force (several cutoffs, inclusive and strict)', () => {
  const rand = rng(7);
  let total = 0;
  for (let t = 0; t < 6; t++) {
    const L = latticeFromParams(
      3 + 5 * rand(),
      3 + 5 * rand(),
      3 + 5 * rand(),
      60 + 60 * rand(),
      60 + 60 * rand(),
      60 + 60 * rand(),
    );
    const frac = Array.from({ length: 1 + Math.floor(6 * rand()) }, () => [rand(), rand(), rand()]);
    const atoms = makeAtoms(`tri${t}`, L, frac);
    for (const r of [2.5, 4.5, 6])
      total += assertMatchesBruteForce(atoms, r) + assertMatchesBruteForce(atoms, r, false);
  }
  assert.ok(total > 1000, `only ${total} edges checked`);
});

test('coordinates outside [0, 1): images are relative to the input positions', () => {
  const L = latticeFromParams(4.1, 5.2, 4.7, 75, 100, 110);
  const atoms = makeAtoms('unwrapped', L, [
    [-0.3, 1.7, 0.2],
    [2.25, -1.1, -0.6],
    [0.5, 0.5, 0.999999],
  ]);
  assert.ok(assertMatchesBruteForce(atoms, 5.5) > 40);
});

test('a cell thinner than the cutoff (c = 1 Å)', () => {
  const atoms = makeAtoms(
    'chain',
    [
      [10, 0, 0],
      [0, 10, 0],
      [0, 0, 1],
    ],
    [[0.125, 0.25, 0.5]],
  );
  const g = radiusGraph(atoms, 3.5);
  assert.equal(Array.from(g.distances), [3, 2, 1, 1, 2, 3]);
  assert.equal(Array.from(g.images), [0, 0, -3, 0, 0, -2, 0, 0, -1, 0, 0, 1, 0, 0, 2, 0, 0, 3]);
  const skew = makeAtoms('thin', latticeFromParams(6, 5, 1, 80, 95, 105), [
    [0, 0, 0],
    [0.5, 0.3, 0.5],
  ]);
  assert.ok(assertMatchesBruteForce(skew, 4) > 30);
});

test('a single atom: its own periodic images are its only neighbors', () => {
  const atoms = makeAtoms('sc', cubic(3), [[0, 0, 0]]);
  const g = radiusGraph(atoms, 3.5);
  assert.is(g.src.length, 6);
  assert.equal(Array.from(g.dst), [0, 0, 0, 0, 0, 0]);
  assert.equal(Array.from(g.distances), [3, 3, 3, 3, 3, 3]);
  assert.equal(Array.from(g.images), [-1, 0, 0, 0, -1, 0, 0, 0, -1, 0, 0, 1, 0, 1, 0, 1, 0, 0]);
  assert.equal(Array.from(g.vectors.slice(0, 3)), [-3, 0, 0]);
  assert.is(radiusGraph(atoms, 3).src.length, 6, 'inclusive keeps d = r exactly');
  assert.is(radiusGraph(atoms, 3, { inclusive: false }).src.length, 0, 'strict drops d = r');
  assert.is(radiusGraph(atoms, 2.99).src.length, 0);
  assert.is(radiusGraph(atoms, 3 * Math.SQRT2).src.length, 18);
});

test('cutoff exactly at a pair distance: inclusive keeps it, strict drops it, 1e-8 on d² is the tolerance', () => {
  const atoms = makeAtoms('pair', cubic(8), [
    [0, 0, 0],
    [0.375, 0, 0],
  ]); // d = 3 exactly
  const pairs = (r: number, inclusive = true): number =>
    radiusGraph(atoms, r, { inclusive }).distances.filter((d) => d === 3).length;
  assert.is(pairs(3), 2);
  assert.is(pairs(3, false), 0);
  assert.is(pairs(3 - 1e-9), 2, 'd² = 9 < (3 − 1e-9)² + 1e-8');
  assert.is(pairs(3 - 1e-8), 0, 'd² = 9 > (3 − 1e-8)² + 1e-8');
  assert.is(pairs(3 + 1e-12, false), 2);
});

test('translating or permuting atoms leaves the distance multiset unchanged', () => {
  const L = latticeFromParams(5, 6, 7, 85, 95, 100);
  const frac = [
    [0.1, 0.2, 0.3],
    [0.6, 0.1, 0.9],
    [0.35, 0.75, 0.5],
  ];
  const base = Array.from(radiusGraph(makeAtoms('a', L, frac), 6).distances).sort();
  const moved = frac.map((p) => [p[0] + 0.37, p[1] - 0.21, p[2] + 3]).reverse();
  const other = Array.from(radiusGraph(makeAtoms('b', L, moved), 6).distances).sort();
  assert.is(other.length, base.length);
  other.forEach((d, e) => assert.ok(Math.abs(d - base[e]) < 1e-10));
});

test('zero cutoff and an empty structure give empty lists', () => {
  assert.is(radiusGraph(makeAtoms('sc', cubic(3), [[0, 0, 0]]), 0).src.length, 0);
  const empty = radiusGraph(makeAtoms('empty', cubic(3), []), 5);
  assert.is(empty.src.length, 0);
  assert.is(empty.vectors.length, 0);
});

test('bad input fails with an InputError naming the structure', () => {
  const atoms = makeAtoms('bad-1', cubic(3), [[0, 0, 0]]);
  const expectError = (f: () => unknown, pattern: RegExp): void => {
    try {
      f();
    } catch (err) {
      assert.instance(err, InputError);
      assert.match((err as Error).message, pattern);
      return;
    }
    assert.unreachable('no error thrown');
  };
  expectError(() => radiusGraph(atoms, -1), /bad-1: neighbor cutoff .* got -1/);
  expectError(() => radiusGraph(atoms, Number.NaN), /bad-1: .*NaN/);
  expectError(
    () =>
      radiusGraph(
        {
          ...atoms,
          lattice: [
            [1, 0, 0],
            [2, 0, 0],
            [0, 0, 1],
          ],
        },
        3,
      ),
    /bad-1: degenerate lattice/,
  );
  expectError(() => radiusGraph({ ...atoms, cart: new Float64Array(6) }, 3), /bad-1: 1 atoms but 3 fractional and 6/);
  expectError(
    () => radiusGraph({ ...atoms, frac: Float64Array.from([0, Number.NaN, 0]) }, 3),
    /bad-1: atom 0 has a non-finite/,
  );
  expectError(() => radiusGraph(makeAtoms('tiny', cubic(0.01), [[0, 0, 0]]), 100), /tiny: .* periodic images/);
});

test.run();
