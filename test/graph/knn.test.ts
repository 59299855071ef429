import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../data/errors.js';
import type { Matrix3 } from '../../data/structure.js';
import { knnGraph } from '../../graph/knn.js';
import { radiusGraph } from '../../graph/neighbors.js';
import { fixturesDir } from '../helpers/paths.js';
import { latticeFromParams, makeAtoms, rng } from './atoms.js';
import { bruteForce, type BruteEdge } from './bruteForce.js';

const cubic = (a: number): Matrix3 => [
  [a, 0, 0],
  [0, a, 0],
  [0, 0, a],
];

/** Brute-force k-NN: all edges within `radius`, sorted by (d, j, S), first k per centre. */
function bruteKnn(edges: BruteEdge[], n: number, k: number): BruteEdge[][] {
  const lex = (a: BruteEdge, b: BruteEdge): number =>
    a.d - b.d || a.j - b.j || a.s[0] - b.s[0] || a.s[1] - b.s[1] || a.s[2] - b.s[2];
  return Array.from({ length: n }, (_, i) =>
    edges
      .filter((e) => e.i === i)
      .sort(lex)
      .slice(0, k),
  );
}

test('rock salt with exact coordinates: the 12th-neighbor tie is broken by (j, S)', () => {
  // a = 4: squared distances are integers, so shell ties are exact and the order is fully determined.
  const fcc = [
    [0, 0, 0],
    [0, 0.5, 0.5],
    [0.5, 0, 0.5],
    [0.5, 0.5, 0],
  ];
  const atoms = makeAtoms('NaCl', cubic(4), [...fcc, ...fcc.map((p) => p.map((x) => (x + 0.5) % 1))]);
  const g = knnGraph(atoms, 12, 8);
  assert.equal(Array.from(g.counts), Array(8).fill(12));
  const expected = bruteKnn(bruteForce(atoms, 8), 8, 12).flat();
  assert.is(g.src.length, expected.length);
  expected.forEach((r, e) => {
    assert.equal([g.src[e], g.dst[e], g.images[3 * e], g.images[3 * e + 1], g.images[3 * e + 2]], [r.i, r.j, ...r.s]);
    assert.is(g.distances[e], r.d);
  });
  // Atom 0 (Na at the origin): 6 Cl at 2 Å, then the first 6 of its 12 Na at 2√2 Å by index and image.
  assert.equal(Array.from(g.distances.slice(0, 12)), [...Array(6).fill(2), ...Array(6).fill(Math.sqrt(8))]);
  assert.equal(Array.from(g.dst.slice(0, 12)), [5, 5, 6, 6, 7, 7, 1, 1, 1, 1, 2, 2]);
  assert.equal(Array.from(g.images.slice(18, 36)), [0, -1, -1, 0, -1, 0, 0, 0, -1, 0, 0, 0, -1, 0, -1, -1, 0, 0]);
});

test('fewer than k neighbors within the radius: counts say how many', () => {
  const atoms = makeAtoms('sc', cubic(3), [[0, 0, 0]]);
  const g = knnGraph(atoms, 12, 3.5);
  assert.equal(Array.from(g.counts), [6]);
  assert.equal(Array.from(g.distances), [3, 3, 3, 3, 3, 3]);
  assert.equal(Array.from(g.images), [-1, 0, 0, 0, -1, 0, 0, 0, -1, 0, 0, 1, 0, 1, 0, 1, 0, 0]);
  assert.is(g.cutoff, 3.5);
  assert.equal(Array.from(knnGraph(atoms, 12, 2).counts), [0]);
  assert.equal(Array.from(knnGraph(atoms, 12, 3).counts), [6], 'radius is inclusive, as in pymatgen');
  assert.equal(Array.from(knnGraph(atoms, 20, 4.3).counts), [18]);
});

test('random triclinic cells: k-NN equals the first k of the sorted radius graph', () => {
  const rand = rng(11);
  for (let t = 0; t < 5; t++) {
    const L = latticeFromParams(
      3 + 4 * rand(),
      3 + 4 * rand(),
      3 + 4 * rand(),
      70 + 40 * rand(),
      70 + 40 * rand(),
      70 + 40 * rand(),
    );
    const n = 1 + Math.floor(5 * rand());
    const atoms = makeAtoms(
      `tri${t}`,
      L,
      Array.from({ length: n }, () => [rand(), rand(), rand()]),
    );
    for (const [k, radius] of [
      [12, 8],
      [5, 3],
      [30, 6],
    ]) {
      const g = knnGraph(atoms, k, radius);
      const ref = bruteKnn(bruteForce(atoms, radius), n, k);
      assert.equal(
        Array.from(g.counts),
        ref.map((r) => r.length),
        `tri${t} k=${k}`,
      );
      // Distances agree; (j, S) may differ only inside float ties (a self image S and −S), so the
      // edges are checked below to be distinct members of the radius graph instead.
      ref.flat().forEach((r, e) => assert.ok(Math.abs(g.distances[e] - r.d) < 1e-10));
      // The same edges as in the radius graph: same vector for the same (i, j, S).
      const full = radiusGraph(atoms, radius);
      const vec = new Map<string, number>();
      for (let e = 0; e < full.src.length; e++) {
        vec.set(`${full.src[e]},${full.dst[e]},${full.images.slice(3 * e, 3 * e + 3)}`, full.vectors[3 * e]);
      }
      const seen = new Set<string>();
      for (let e = 0; e < g.src.length; e++) {
        const key = `${g.src[e]},${g.dst[e]},${g.images.slice(3 * e, 3 * e + 3)}`;
        assert.is(vec.get(key), g.vectors[3 * e]);
        assert.not.ok(seen.has(key), `duplicate edge ${key}`);
        seen.add(key);
      }
    }
  }
});

test('CGCNN 12-NN distances match pymatgen get_all_neighbors(8) on small OBELiX structures', () => {
  const ref = JSON.parse(readFileSync(join(fixturesDir, 'neighbors-obelix.json'), 'utf8')) as {
    full: Record<string, { lattice: Matrix3; numbers: number[]; frac: number[][]; knn: number[][] }>;
  };
  const names = Object.keys(ref.full);
  assert.ok(names.length >= 5);
  for (const name of names) {
    const f = ref.full[name];
    const g = knnGraph(makeAtoms(name, f.lattice, f.frac, f.numbers), 12, 8);
    assert.equal(
      Array.from(g.counts),
      f.knn.map((row) => row.length),
      name,
    );
    f.knn
      .flat()
      .forEach((d, e) =>
        assert.ok(Math.abs(g.distances[e] - d) < 1e-9, `${name} edge ${e}: ${g.distances[e]} vs ${d}`),
      );
  }
});

test('bad k or radius fails with an InputError naming the structure', () => {
  const atoms = makeAtoms('bad-2', cubic(3), [[0, 0, 0]]);
  for (const [k, r, pattern] of [
    [0, 8, /bad-2: .*k ≥ 1, got 0/],
    [2.5, 8, /got 2.5/],
    [12, -1, /bad-2: .*radius.*got -1/],
  ] as const) {
    try {
      knnGraph(atoms, k, r);
      assert.unreachable('no error');
    } catch (err) {
      assert.instance(err, InputError);
      assert.match((err as Error).message, pattern);
    }
  }
});

test.run();
