import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { latticeFromParameters } from '../../data/lattice.js';
import type { Atoms } from '../../data/structure.js';
import { radiusGraph } from '../../graph/neighbors.js';
import { knnGraph } from '../../graph/knn.js';
import { pairEdges } from '../../graph/pairs.js';
import { atomsFromCif } from '../../graph/featurize.js';
import { obelixDir } from '../helpers/paths.js';
import { join } from 'node:path';

function triclinic(): Atoms {
  const lattice = latticeFromParameters(3.1, 3.7, 4.2, 81, 97, 109);
  const frac = Float64Array.from([0, 0, 0, 0.31, 0.52, 0.13, 0.77, 0.21, 0.64]);
  const cart = new Float64Array(9);
  for (let a = 0; a < 3; a++)
    for (let k = 0; k < 3; k++)
      cart[3 * a + k] = frac[3 * a] * lattice[0][k] + frac[3 * a + 1] * lattice[1][k] + frac[3 * a + 2] * lattice[2][k];
  return { id: 'tri', lattice, numbers: Int32Array.from([3, 8, 15]), frac, cart };
}

function checkPairs(atoms: Atoms, cutoff: number): void {
  const nl = radiusGraph(atoms, cutoff);
  const { edgePair, pairEdge } = pairEdges(nl, atoms.numbers.length);
  assert.is(pairEdge.length * 2, nl.src.length, 'every edge has exactly one twin');
  const members = new Map<number, number[]>();
  edgePair.forEach((p, e) => members.set(p, [...(members.get(p) ?? []), e]));
  for (const [p, [a, b]] of members) {
    assert.is(nl.src[a], nl.dst[b]);
    assert.is(nl.dst[a], nl.src[b]);
    for (let k = 0; k < 3; k++) assert.is(nl.images[3 * a + k], -nl.images[3 * b + k]);
    assert.ok(Math.abs(nl.distances[a] - nl.distances[b]) < 1e-12);
    assert.ok(pairEdge[p] === a || pairEdge[p] === b);
  }
}

test('radius graphs pair up into twins i→j,S / j→i,−S (triclinic, self images)', () => {
  checkPairs(triclinic(), 6);
});

test('an OBELiX structure pairs up completely at 5 Å', () => {
  checkPairs(atomsFromCif(join(obelixDir, 'cifs', '11b.cif')), 5);
});

test('k-nearest lists are not symmetric: unmatched edges get pairs of their own', () => {
  const atoms = triclinic();
  const nl = knnGraph(atoms, 5, 8);
  const { edgePair, pairEdge } = pairEdges(nl, atoms.numbers.length);
  assert.ok(pairEdge.length < nl.src.length && pairEdge.length >= nl.src.length / 2);
  assert.ok(Array.from(edgePair).every((p) => p >= 0 && p < pairEdge.length));
});

test.run();
