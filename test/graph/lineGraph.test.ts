import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { lineGraph } from '../../graph/lineGraph.js';
import { radiusGraph } from '../../graph/neighbors.js';
import { atomsFromCif } from '../../graph/featurize.js';
import { throwsInputError } from '../helpers/inputError.js';
import { pretrainedDir, requireShared } from '../helpers/paths.js';
import { makeAtoms } from './atoms.js';

test('hand-made edge list: ordered pairs per centre, e1-major, r₃ inclusive, edges beyond r₃ left out', () => {
  // Centre 0 has edges 0, 1, 3 (edge 3 exactly at r₃ = 2), centre 1 has edges 2 and 4 (edge 4 beyond r₃).
  const src = [0, 0, 1, 0, 1];
  const d = [1, 1.5, 1.2, 2, 2.5];
  const g = lineGraph(src, d, 2, 2);
  assert.equal(Array.from(g.edgeA), [0, 0, 1, 1, 3, 3]);
  assert.equal(Array.from(g.edgeB), [1, 3, 0, 3, 0, 1]);
  const tight = lineGraph(src, d, 3, 1.9);
  assert.equal(Array.from(tight.edgeA), [0, 1]);
  assert.equal(Array.from(tight.edgeB), [1, 0]);
  assert.is(lineGraph(src, d, 2, 0.5).edgeA.length, 0);
});

test('one atom in a small cubic cell: its six periodic self-images form 6·5 triplets (j = k, different images)', () => {
  const atoms = makeAtoms(
    'sc',
    [
      [3, 0, 0],
      [0, 3, 0],
      [0, 0, 3],
    ],
    [[0, 0, 0]],
  );
  const nl = radiusGraph(atoms, 3);
  assert.is(nl.src.length, 6);
  const g = lineGraph(nl.src, nl.distances, 1, 3);
  assert.is(g.edgeA.length, 30);
  for (let t = 0; t < 30; t++) assert.ok(g.edgeA[t] !== g.edgeB[t] && nl.dst[g.edgeA[t]] === nl.dst[g.edgeB[t]]);
});

test('triplet counts of the M3GNet debug trace: CsCl 28 bonds / 364 triplets, LiFePO4 1280 / 57256 (r = r₃ = 5 Å)', () => {
  for (const [file, bonds, triplets] of [
    ['CsCl_matgl_example', 28, 364],
    ['LiFePO4_pymatgen_test', 1280, 57256],
  ] as const) {
    const atoms = atomsFromCif(requireShared(join(pretrainedDir, 'known-structures', `${file}.cif`)));
    const nl = radiusGraph(atoms, 5);
    assert.is(nl.src.length, bonds, file);
    const g = lineGraph(nl.src, nl.distances, atoms.numbers.length, 5);
    assert.is(g.edgeA.length, triplets, file);
  }
});

test('bad cutoffs and oversized line graphs are InputErrors', () => {
  throwsInputError(() => lineGraph([0], [1], 1, -1, { where: 'x.cif' }), 'x.cif', 'three-body cutoff');
  throwsInputError(
    () => lineGraph([0, 0, 0], [1, 1, 1], 1, 2, { where: 'x.cif', maxTriplets: 5 }),
    'x.cif',
    '6 triplets',
    'threebody_cutoff',
  );
});

test.run();
