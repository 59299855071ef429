import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readCif } from '../../data/cif.js';
import { roundOccupancies } from '../../data/rounding.js';
import type { Atoms } from '../../data/structure.js';
import { knnGraph } from '../../graph/knn.js';
import { radiusGraph } from '../../graph/neighbors.js';
import { obelixDir, requireShared } from '../helpers/paths.js';
import { makeAtoms } from './atoms.js';
import { compareSummary, loadNeighborReference, rowsByCentre } from './reference.js';

const ref = loadNeighborReference();
const cifDir = requireShared(join(obelixDir, 'cifs'));
const names = readdirSync(cifDir)
  .filter((f) => f.endsWith('.cif'))
  .sort();
const atomsByName = new Map<string, Atoms>(names.map((n) => [n, roundOccupancies(readCif(join(cifDir, n)))]));

test('all 321 rounded OBELiX structures at 5 Å agree with pymatgen get_neighbor_list', () => {
  assert.is(names.length, 321);
  let total = 0;
  for (const [name, atoms] of atomsByName) {
    assert.is(atoms.numbers.length, ref.files[name].atoms, `${name}: atoms after rounding`);
    const g = radiusGraph(atoms, 5);
    total += g.src.length;
    const bad = compareSummary(g, atoms.numbers.length, ref.files[name].cutoffs['5.0'], ref.quantiles);
    assert.equal(bad, [], `${name}: ${bad.join('; ')}`);
  }
  assert.is(total, 826_890);
});

test('a sample of files at 3, 4, 6 and 8 Å', () => {
  const sample = names.filter((_, k) => k % 16 === 3);
  for (const r of [3, 4, 6, 8]) {
    for (const name of sample) {
      const atoms = atomsByName.get(name) as Atoms;
      const bad = compareSummary(
        radiusGraph(atoms, r),
        atoms.numbers.length,
        ref.files[name].cutoffs[r.toFixed(1)],
        ref.quantiles,
      );
      assert.equal(bad, [], `${name} @ ${r} Å: ${bad.join('; ')}`);
    }
  }
  assert.is(ref.totals['8.0'], 3_462_322);
});

test('small structures: every sorted distance (pymatgen d ≤ 5, ASE d < 5 with inclusive: false)', () => {
  for (const [name, f] of Object.entries(ref.full)) {
    const atoms = makeAtoms(name, f.lattice, f.frac, f.numbers);
    for (const [inclusive, want] of [
      [true, f.distances5],
      [false, f.ase5],
    ] as const) {
      const got = Float64Array.from(radiusGraph(atoms, 5, { inclusive }).distances).sort();
      assert.is(got.length, want.length, `${name} inclusive=${inclusive}`);
      want.forEach((d, e) => assert.ok(Math.abs(got[e] - d) < 1e-9, `${name} edge ${e}: ${got[e]} vs ${d}`));
    }
  }
});

test('CGCNN 12-NN rows through the CIF reader match pymatgen get_all_neighbors(8)', () => {
  const files = Object.keys(ref.knn);
  assert.ok(files.length >= 5);
  for (const name of files) {
    const g = knnGraph(atomsByName.get(name) as Atoms, 12, 8);
    const rows = rowsByCentre(g.distances, g.counts);
    const want = ref.knn[name];
    assert.is(rows.length, want.length);
    rows.forEach((row, i) => {
      assert.is(row.length, want[i].length, `${name} atom ${i}`);
      row.forEach((d, s) =>
        assert.ok(Math.abs(d - want[i][s]) < 1e-9, `${name} atom ${i} slot ${s}: ${d} vs ${want[i][s]}`),
      );
    });
  }
});

test('the summary comparison notices a wrong graph', () => {
  const name = names[0];
  const atoms = atomsByName.get(name) as Atoms;
  const summary = ref.files[name].cutoffs['5.0'];
  const g = radiusGraph(atoms, 5);
  const shifted = { ...g, distances: g.distances.map((d, e) => (e === 7 ? d + 1e-6 : d)) };
  assert.ok(compareSummary(shifted, atoms.numbers.length, summary, ref.quantiles).some((m) => m.startsWith('sum ')));
  const moved = { ...g, src: g.src.map((i) => (i === 0 ? 1 : i)) }; // atom 0 loses all its edges
  assert.ok(compareSummary(moved, atoms.numbers.length, summary, ref.quantiles).some((m) => m.startsWith('degrees')));
  assert.equal(
    compareSummary(radiusGraph(atoms, 5, { inclusive: false }), atoms.numbers.length, summary, ref.quantiles),
    [],
  );
});

test.run();
