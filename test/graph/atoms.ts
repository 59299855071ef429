/** Hand-made `Atoms` for the graph tests (cart = frac · lattice, rows of the lattice = a, b, c). */
import type { Atoms, Matrix3 } from '../../data/structure.js';

export function makeAtoms(id: string, lattice: Matrix3, frac: number[][], numbers?: number[]): Atoms {
  const n = frac.length;
  const f = new Float64Array(3 * n);
  const cart = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 3; a++) f[3 * i + a] = frac[i][a];
    for (let x = 0; x < 3; x++) {
      cart[3 * i + x] = frac[i][0] * lattice[0][x] + frac[i][1] * lattice[1][x] + frac[i][2] * lattice[2][x];
    }
  }
  return { id, lattice, numbers: Int32Array.from(numbers ?? frac.map(() => 1)), frac: f, cart };
}

/** Lattice from a, b, c (Å) and α, β, γ (degrees), a along x, b in the xy plane (pymatgen's convention differs; fine here). */
export function latticeFromParams(
  a: number,
  b: number,
  c: number,
  alpha: number,
  beta: number,
  gamma: number,
): Matrix3 {
  const rad = Math.PI / 180;
  const [ca, cb, cg, sg] = [Math.cos(alpha * rad), Math.cos(beta * rad), Math.cos(gamma * rad), Math.sin(gamma * rad)];
  const cx = c * cb;
  const cy = (c * (ca - cb * cg)) / sg;
  return [
    [a, 0, 0],
    [b * cg, b * sg, 0],
    [cx, cy, Math.sqrt(c * c - cx * cx - cy * cy)],
  ];
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so failures reproduce. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
