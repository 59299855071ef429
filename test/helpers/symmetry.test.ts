import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Atoms, Matrix3 } from '../../data/structure.js';
import { radiusGraph } from '../../graph/neighbors.js';
import {
  cartesianMatrix,
  expectEquivariant,
  expectInvariant,
  randomRotation,
  smallCrystal,
  sphericalChannelMatrix,
  supercellAtoms,
  symmetryTransforms,
} from './symmetry.js';
import seedrandom from 'seedrandom';
import { expectRejects } from './backends.js';

const CUTOFF = 3.5;
const crystal = smallCrystal();

/** Intensive: mean over atoms of Σ_j exp(−d_ij) · Z_j. */
function smoothDensity(atoms: Atoms): number[] {
  const nl = radiusGraph(atoms, CUTOFF);
  let s = 0;
  nl.distances.forEach((d, e) => {
    s += Math.exp(-d) * atoms.numbers[nl.dst[e]];
  });
  return [s / atoms.numbers.length];
}

/** Per-atom vectors [N, 3, 2]: Σ_j r_ij·exp(−d_ij) and Σ_j r_ij·Z_j/d². */
function edgeVectors(atoms: Atoms) {
  const nl = radiusGraph(atoms, CUTOFF);
  const n = atoms.numbers.length;
  const data = new Float64Array(n * 3 * 2);
  nl.distances.forEach((d, e) => {
    for (let x = 0; x < 3; x++) {
      const v = nl.vectors[3 * e + x];
      data[(nl.src[e] * 3 + x) * 2] += v * Math.exp(-d);
      data[(nl.src[e] * 3 + x) * 2 + 1] += (v * atoms.numbers[nl.dst[e]]) / (d * d);
    }
  });
  return { data, channels: 3, features: 2 };
}

test('random rotations are orthogonal with det ±1', () => {
  const rng = seedrandom('r');
  for (const improper of [false, true]) {
    const r = randomRotation(rng, improper);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        const dot = r[i][0] * r[j][0] + r[i][1] * r[j][1] + r[i][2] * r[j][2];
        assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-12);
      }
    const det =
      r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) -
      r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0]) +
      r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
    assert.ok(Math.abs(det - (improper ? -1 : 1)) < 1e-12);
  }
});

test('supercells: atom counts, same neighbor distances per mapped atom', () => {
  const two = supercellAtoms(crystal, [
    [2, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ]);
  assert.is(two.atoms.numbers.length, 8);
  const skew = supercellAtoms(crystal, [
    [1, 1, 0],
    [0, 1, 0],
    [0, -1, 1],
  ]);
  assert.is(skew.atoms.numbers.length, 4);
  const sorted = (a: Atoms, i: number) => {
    const nl = radiusGraph(a, CUTOFF);
    return Array.from(nl.distances.filter((_, e) => nl.src[e] === i)).sort();
  };
  for (const s of [two, skew])
    s.atomMap.forEach((orig, k) => {
      const a = sorted(s.atoms, k),
        b = sorted(crystal, orig);
      assert.is(a.length, b.length);
      a.forEach((d, e) => assert.ok(Math.abs(d - b[e]) < 1e-9));
    });
  assert.is(symmetryTransforms(crystal).length, 2 * 4 + 2);
});

test('expectInvariant accepts an invariant function and rejects broken ones', async () => {
  await expectInvariant(smoothDensity, crystal, { rtol: 1e-10 });
  const sumX = (a: Atoms) => [a.cart.reduce((s, v, k) => (k % 3 === 0 ? s + v : s), 0)];
  await expectRejects(expectInvariant(sumX, crystal), /rotation/);
  const extensive = (a: Atoms) => [smoothDensity(a)[0] * a.numbers.length];
  await expectRejects(expectInvariant(extensive, crystal, { kinds: ['supercell'] }), /supercell/);
  const firstAtom = (a: Atoms) => [a.numbers[0]];
  await expectRejects(expectInvariant(firstAtom, crystal, { kinds: ['permutation'] }), /permutation/);
  const zero = () => [0];
  await expectRejects(expectInvariant(zero, crystal), /zero/);
});

test('expectEquivariant accepts rotating vectors and rejects broken ones', async () => {
  await expectEquivariant(edgeVectors, cartesianMatrix, crystal, { rtol: 1e-10 });
  const positions = (a: Atoms) => ({ data: a.cart, channels: 3, features: 1 });
  await expectRejects(
    expectEquivariant(positions, cartesianMatrix, crystal, { kinds: ['translation'] }),
    /translation/,
  );
  // Pseudo-vectors (cross products) do not flip under inversion: the reflection check must see that.
  const pseudo = (a: Atoms) => {
    const v = edgeVectors(a).data;
    const n = a.numbers.length,
      out = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) {
      const p = [0, 1, 2].map((x) => v[(i * 3 + x) * 2]),
        q = [0, 1, 2].map((x) => v[(i * 3 + x) * 2 + 1]);
      out.set([p[1] * q[2] - p[2] * q[1], p[2] * q[0] - p[0] * q[2], p[0] * q[1] - p[1] * q[0]], 3 * i);
    }
    return { data: out, channels: 3, features: 1 };
  };
  await expectEquivariant(pseudo, cartesianMatrix, crystal, {
    kinds: ['rotation', 'translation', 'permutation'],
    rtol: 1e-9,
  });
  await expectRejects(expectEquivariant(pseudo, cartesianMatrix, crystal, { kinds: ['reflection'] }), /reflection/);
  const swapped = (r: Matrix3) => [r[1], r[0], r[2]];
  await expectRejects(expectEquivariant(edgeVectors, swapped, crystal, { kinds: ['rotation'] }), /rotation/);
});

test('sphericalChannelMatrix recovers R for y(u) = u and its permutation for (y, z, x)', () => {
  const r = randomRotation(seedrandom('d'));
  const d = sphericalChannelMatrix((u) => [u[0], u[1], u[2]])(r);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.ok(Math.abs(d[i][j] - r[i][j]) < 1e-12);
  const p = [1, 2, 0];
  const dp = sphericalChannelMatrix((u) => p.map((k) => u[k]))(r);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.ok(Math.abs(dp[i][j] - r[p[i]][p[j]]) < 1e-12);
});

test.run();
