/**
 * The pymatgen reference of scripts/reference/neighbors.py (test/fixtures/neighbors-obelix.json) and
 * the comparison of a neighbor list with its order-independent summary. Shared by the OBELiX test
 * and `bench/graphs.ts --check`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Matrix3 } from '../../data/structure.js';
import type { NeighborList } from '../../graph/neighbors.js';
import { fixturesDir } from '../helpers/paths.js';

export interface DistanceSummary {
  count: number;
  min?: number;
  max?: number;
  sum?: number;
  sumSq?: number;
  /** Sorted distance at index ⌊q·(count − 1)⌋ for each of `quantiles`. */
  quantiles?: number[];
  /** Number of centres (value) with a given edge count (key). */
  degrees: Record<string, number>;
}

export interface NeighborReference {
  cutoffs: number[];
  quantiles: number[];
  totals: Record<string, number>;
  /** Keyed by CIF file name, cutoffs keyed like "5.0". */
  files: Record<string, { atoms: number; cutoffs: Record<string, DistanceSummary> }>;
  /** Small structures as pymatgen rounded them, with full sorted distances (5 Å inclusive, ASE strict). */
  full: Record<
    string,
    { lattice: Matrix3; numbers: number[]; frac: number[][]; distances5: number[]; ase5: number[]; knn: number[][] }
  >;
  /** Per-atom sorted 12-NN distances within 8 Å (pymatgen get_all_neighbors). */
  knn: Record<string, number[][]>;
}

export function loadNeighborReference(): NeighborReference {
  return JSON.parse(readFileSync(join(fixturesDir, 'neighbors-obelix.json'), 'utf8')) as NeighborReference;
}

/** Mismatches between a graph over `n` atoms and a pymatgen summary; empty when they agree. */
export function compareSummary(
  g: NeighborList,
  n: number,
  ref: DistanceSummary,
  quantiles: number[],
  tol = 1e-9,
): string[] {
  const d = Float64Array.from(g.distances).sort();
  if (d.length !== ref.count) return [`count ${d.length} vs ${ref.count}`];
  const bad: string[] = [];
  const close = (name: string, a: number, b: number | undefined, t: number): void => {
    if (!(Math.abs(a - (b ?? Number.NaN)) <= t)) bad.push(`${name} ${a} vs ${b}`);
  };
  if (d.length > 0) {
    let sum = 0;
    let sumSq = 0;
    for (const x of d) {
      sum += x;
      sumSq += x * x;
    }
    close('min', d[0], ref.min, tol);
    close('max', d[d.length - 1], ref.max, tol);
    // Sums: relative 1e-12 covers summation-order rounding; one distance off by 1e-6 still shows.
    close('sum', sum, ref.sum, 1e-12 * sum + tol);
    close('sumSq', sumSq, ref.sumSq, 1e-12 * sumSq + tol);
    quantiles.forEach((q, k) => close(`q${q}`, d[Math.floor(q * (d.length - 1))], ref.quantiles?.[k], tol));
  }
  const perAtom = new Int32Array(n);
  for (const i of g.src) perAtom[i]++;
  const hist: Record<string, number> = {};
  for (const c of perAtom) hist[c] = (hist[c] ?? 0) + 1;
  const canon = (h: Record<string, number>): string =>
    JSON.stringify(Object.entries(h).sort((a, b) => Number(a[0]) - Number(b[0])));
  if (canon(hist) !== canon(ref.degrees)) bad.push(`degrees ${canon(hist)} vs ${canon(ref.degrees)}`);
  return bad;
}

/** Per-centre distance rows of a list grouped by centre (`counts[i]` edges for centre i). */
export function rowsByCentre(distances: Float64Array, counts: Int32Array): number[][] {
  let start = 0;
  return Array.from(counts, (c) => {
    start += c;
    return Array.from(distances.subarray(start - c, start));
  });
}
