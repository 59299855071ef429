/**
 * O(N² · images) reference neighbor list for the tests: every (i, j, S) in a generous image box,
 * distances from the caller's own coordinates, the same inclusion rule, sorted by (i, j, S).
 */
import type { Atoms } from '../../data/structure.js';

export interface BruteEdge {
  i: number;
  j: number;
  s: [number, number, number];
  d: number;
}

export function bruteForce(atoms: Atoms, cutoff: number, inclusive = true): BruteEdge[] {
  const L = atoms.lattice;
  const n = atoms.numbers.length;
  const heights = [0, 1, 2].map((k) => {
    const u = L[(k + 1) % 3],
      v = L[(k + 2) % 3];
    const w = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
    return Math.abs(L[k][0] * w[0] + L[k][1] * w[1] + L[k][2] * w[2]) / Math.hypot(w[0], w[1], w[2]);
  });
  // Coordinates may lie outside [0, 1): widen the box by the largest fractional excursion.
  let spread = 0;
  for (const f of atoms.frac) spread = Math.max(spread, Math.abs(f));
  const range = heights.map((h) => Math.ceil(cutoff / h + 2 * spread) + 1);
  const edges: BruteEdge[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      for (let a = -range[0]; a <= range[0]; a++) {
        for (let b = -range[1]; b <= range[1]; b++) {
          for (let c = -range[2]; c <= range[2]; c++) {
            if (i === j && a === 0 && b === 0 && c === 0) continue;
            let d2 = 0;
            for (let x = 0; x < 3; x++) {
              const v = atoms.cart[3 * j + x] + a * L[0][x] + b * L[1][x] + c * L[2][x] - atoms.cart[3 * i + x];
              d2 += v * v;
            }
            const keep = inclusive ? d2 < cutoff * cutoff + 1e-8 : Math.sqrt(d2) < cutoff;
            if (keep) edges.push({ i, j, s: [a, b, c], d: Math.sqrt(d2) });
          }
        }
      }
    }
  }
  return edges; // loops already run in (i, j, S lexicographic) order
}
