// Every OBELiX CIF against pymatgen (test/fixtures/structures-ref.json, written by
// scripts/reference/structures.py): site counts and order, rounded atom counts, compositions and
// order, and, for a few files, lattice, species and fractional coordinates site by site.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readCif } from '../../data/cif.js';
import { atomicNumber } from '../../data/elements.js';
import { roundOccupancies } from '../../data/rounding.js';
import type { Atoms, Crystal } from '../../data/structure.js';
import { fixturesDir, obelixDir, requireShared } from '../helpers/paths.js';

interface FileRef {
  sites: number;
  siteHash: number;
  atoms: number;
  composition: [number, number][];
  atomHash: number;
}
interface CoordRef {
  lattice: number[][];
  species: [string, number][][];
  frac: number[][];
}
const ref = JSON.parse(readFileSync(join(fixturesDir, 'structures-ref.json'), 'utf8')) as {
  files: Record<string, FileRef>;
  coords: Record<string, CoordRef>;
  totalAtoms: number;
};

/** The fixture's order hash: h = (h·31 + v) mod 1e9+7 (exact in float64: h·31 < 2^53). */
function orderHash(values: Iterable<number>): number {
  let h = 0;
  for (const v of values) h = (h * 31 + v) % 1_000_000_007;
  return h;
}

const cifDir = requireShared(join(obelixDir, 'cifs'));
const files = readdirSync(cifDir)
  .filter((f) => f.endsWith('.cif'))
  .sort();
const parsed = new Map<string, { crystal: Crystal; atoms: Atoms }>();
for (const f of files) {
  const crystal = readCif(join(cifDir, f));
  parsed.set(crystal.id, { crystal, atoms: roundOccupancies(crystal) });
}

test('all 321 CIFs parse; 21,461 atoms after rounding', () => {
  assert.is(files.length, 321);
  assert.is(Object.keys(ref.files).length, 321);
  let total = 0;
  for (const { atoms } of parsed.values()) total += atoms.numbers.length;
  assert.is(total, 21461);
  assert.is(ref.totalAtoms, 21461);
});

test('per file: sites, atoms, composition and site order equal pymatgen', () => {
  const bad: string[] = [];
  for (const [id, r] of Object.entries(ref.files)) {
    const p = parsed.get(id);
    if (!p) {
      bad.push(`${id}: not parsed`);
      continue;
    }
    const siteSeq: number[] = [];
    for (const s of p.crystal.sites) {
      for (const sp of s.species) siteSeq.push(atomicNumber(sp.element));
      siteSeq.push(0);
    }
    const comp = new Map<number, number>();
    for (const z of p.atoms.numbers) comp.set(z, (comp.get(z) ?? 0) + 1);
    const mine = [...comp].sort((a, b) => a[0] - b[0]);
    const problems = [
      p.crystal.sites.length !== r.sites && `sites ${p.crystal.sites.length} vs ${r.sites}`,
      p.atoms.numbers.length !== r.atoms && `atoms ${p.atoms.numbers.length} vs ${r.atoms}`,
      JSON.stringify(mine) !== JSON.stringify(r.composition) && `composition ${JSON.stringify(mine)}`,
      orderHash(siteSeq) !== r.siteHash && 'site order',
      orderHash(p.atoms.numbers) !== r.atomHash && 'atom order',
    ].filter(Boolean);
    if (problems.length) bad.push(`${id}: ${problems.join(', ')}`);
  }
  assert.equal(bad, []);
});

test('lattice, species and fractional coordinates site by site (pymatgen order)', () => {
  for (const [id, r] of Object.entries(ref.coords)) {
    const c = parsed.get(id)?.crystal;
    assert.ok(c, id);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++)
        assert.ok(Math.abs(c.lattice[i][j] - r.lattice[i][j]) < 1e-11, `${id} lattice[${i}][${j}]`);
    }
    assert.is(c.sites.length, r.frac.length, id);
    c.sites.forEach((s, k) => {
      assert.equal(
        s.species.map((x) => [x.element, x.occupancy]),
        r.species[k],
        `${id} site ${k} species`,
      );
      for (let d = 0; d < 3; d++) {
        const diff = s.frac[d] - r.frac[k][d];
        // pymatgen may store 1.0 where we store 0.0: compare modulo 1
        assert.ok(
          Math.abs(diff - Math.round(diff)) < 1e-9,
          `${id} site ${k} frac[${d}]: ${s.frac[d]} vs ${r.frac[k][d]}`,
        );
      }
    });
  }
});

test.run();
