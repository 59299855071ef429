/**
 * The periodic images of a cell's atoms that can lie within `reach` Å of an atom of the cell,
 * indexed by a k-d tree. Shared by `radiusGraph` and `knnGraph`.
 *
 * Atoms are first wrapped into the cell: u_j = ⌊f_j⌋, f'_j = f_j − u_j, r'_j = r_j − u_j·L. A centre
 * then has fractional coordinates in [0, 1], so any neighbor within reach has fractional coordinate
 * g_a ∈ [−ρ_a, 1 + ρ_a] along each axis, with ρ_a = reach / h_a and h_a the perpendicular height of
 * the cell along a (h_a = V / |b × c|). Image T of atom j is kept iff f'_j + T is inside that box:
 * this works for any cell shape, including cells thinner than the cutoff (many images) and large
 * cells (only a shell of images near the faces).
 *
 * Image points are numbered j-major, then T lexicographically, so for a fixed centre ascending id is
 * ascending (j, S), where S = T − u_j + u_i is the image relative to the caller's coordinates.
 */
import { InputError } from '../data/errors.js';
import type { Atoms, Matrix3 } from '../data/structure.js';
import { KdTree, type KdPoint } from './kdTree.js';

/** Refuse absurd requests (tiny cell, huge cutoff) before allocating them. */
const MAX_IMAGE_POINTS = 20_000_000;

export interface PeriodicImages {
  tree: KdTree;
  /** [P] atom j of each image point. */
  atom: Int32Array;
  /** [P*3] T − u_j; the image of the edge from centre i is this plus u_i. */
  shift: Int32Array;
  /** [P*3] image positions r'_j + T·L, Å. */
  pos: Float64Array;
  /** [N*3] wrapped centre positions r'_i, Å. */
  centres: Float64Array;
  /** [N*3] u_i = ⌊f_i⌋. */
  wrap: Int32Array;
  /** [N] id of atom i's own T = 0 image (the one edge (i, i, 0) that is never a neighbor). */
  selfId: Int32Array;
}

/** Perpendicular heights (h_a, h_b, h_c) of the cell, Å: V / |b × c| and cyclic. */
export function cellHeights(lattice: Matrix3): [number, number, number] {
  const [a, b, c] = lattice;
  const bc = cross(b, c);
  const ca = cross(c, a);
  const ab = cross(a, b);
  const volume = Math.abs(a[0] * bc[0] + a[1] * bc[1] + a[2] * bc[2]);
  return [volume / norm(bc), volume / norm(ca), volume / norm(ab)];
}

export function periodicImages(atoms: Atoms, reach: number): PeriodicImages {
  const n = checkAtoms(atoms);
  const L = atoms.lattice;
  const heights = cellHeights(L);
  const rho = heights.map((h) => reach / h);
  const wrap = new Int32Array(3 * n);
  const centres = new Float64Array(3 * n);
  const lo = new Int32Array(3 * n);
  const hi = new Int32Array(3 * n);
  let total = 0;
  for (let j = 0; j < n; j++) {
    let count = 1;
    for (let a = 0; a < 3; a++) {
      const f = atoms.frac[3 * j + a];
      const u = Math.floor(f);
      const fw = f - u;
      wrap[3 * j + a] = u;
      lo[3 * j + a] = Math.ceil(-rho[a] - fw);
      hi[3 * j + a] = Math.floor(1 + rho[a] - fw);
      count *= hi[3 * j + a] - lo[3 * j + a] + 1;
    }
    for (let x = 0; x < 3; x++) {
      centres[3 * j + x] =
        atoms.cart[3 * j + x] - (wrap[3 * j] * L[0][x] + wrap[3 * j + 1] * L[1][x] + wrap[3 * j + 2] * L[2][x]);
    }
    total += count;
  }
  if (total > MAX_IMAGE_POINTS) {
    throw new InputError(
      `${atoms.id}: a ${reach.toFixed(3)} Å neighbor search needs ${total} periodic images ` +
        `(cell heights ${heights.map((h) => h.toFixed(3)).join(', ')} Å); is the cutoff or the cell wrong?`,
    );
  }

  const atom = new Int32Array(total);
  const shift = new Int32Array(3 * total);
  const pos = new Float64Array(3 * total);
  const selfId = new Int32Array(n);
  const points: KdPoint[] = new Array<KdPoint>(total);
  let p = 0;
  for (let j = 0; j < n; j++) {
    const r0 = centres[3 * j],
      r1 = centres[3 * j + 1],
      r2 = centres[3 * j + 2];
    for (let ta = lo[3 * j]; ta <= hi[3 * j]; ta++) {
      for (let tb = lo[3 * j + 1]; tb <= hi[3 * j + 1]; tb++) {
        for (let tc = lo[3 * j + 2]; tc <= hi[3 * j + 2]; tc++) {
          const x = r0 + (ta * L[0][0] + tb * L[1][0] + tc * L[2][0]);
          const y = r1 + (ta * L[0][1] + tb * L[1][1] + tc * L[2][1]);
          const z = r2 + (ta * L[0][2] + tb * L[1][2] + tc * L[2][2]);
          if (ta === 0 && tb === 0 && tc === 0) selfId[j] = p;
          atom[p] = j;
          shift[3 * p] = ta - wrap[3 * j];
          shift[3 * p + 1] = tb - wrap[3 * j + 1];
          shift[3 * p + 2] = tc - wrap[3 * j + 2];
          pos[3 * p] = x;
          pos[3 * p + 1] = y;
          pos[3 * p + 2] = z;
          points[p] = [x, y, z, p];
          p++;
        }
      }
    }
  }
  return { tree: new KdTree(points), atom, shift, pos, centres, wrap, selfId };
}

function checkAtoms(atoms: Atoms): number {
  const n = atoms.numbers.length;
  if (atoms.frac.length !== 3 * n || atoms.cart.length !== 3 * n) {
    throw new InputError(
      `${atoms.id}: ${n} atoms but ${atoms.frac.length} fractional and ${atoms.cart.length} ` +
        `Cartesian coordinates (expected ${3 * n} each)`,
    );
  }
  const flat = [...atoms.lattice[0], ...atoms.lattice[1], ...atoms.lattice[2]];
  if (!flat.every(Number.isFinite)) throw new InputError(`${atoms.id}: lattice has non-finite entries`);
  const h = cellHeights(atoms.lattice);
  if (!h.every((x) => x > 1e-6)) {
    throw new InputError(`${atoms.id}: degenerate lattice (cell heights ${h.join(', ')} Å)`);
  }
  for (let k = 0; k < 3 * n; k++) {
    if (!Number.isFinite(atoms.frac[k]) || !Number.isFinite(atoms.cart[k])) {
      throw new InputError(`${atoms.id}: atom ${Math.floor(k / 3)} has a non-finite coordinate`);
    }
  }
  return n;
}

function cross(u: readonly number[], v: readonly number[]): [number, number, number] {
  return [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
}

function norm(v: readonly number[]): number {
  return Math.hypot(v[0], v[1], v[2]);
}
