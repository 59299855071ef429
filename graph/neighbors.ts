/**
 * Periodic radius graphs: every directed pair within a cutoff, over all periodic images.
 *
 * Edge e = (i → j, S): centre i, neighbor j in image S (integer lattice translation), with
 * r_e = r_j + S·L − r_i (Å, from the centre to the neighbor) and d_e = |r_e|. Kept iff
 * d_e ≤ r_c (default; pymatgen `get_neighbor_list`/`find_points_in_spheres`: d² < r_c² + 1e-8) or
 * d_e < r_c (`inclusive: false`; ASE `neighbor_list`). An atom's own periodic images are neighbors,
 * only (i, i, 0) is excluded, both directions are present and pairs (i, j) are never merged.
 * Edges are sorted by (i, j, S lexicographic), so the list is deterministic. Float64 throughout.
 *
 * Search: a k-d tree (`kd-tree-javascript`) over the images of the cell's atoms that can reach the
 * cell (`periodicImages.ts`), queried once per centre (`radiusSearch`).
 */
import { InputError } from '../data/errors.js';
import type { Atoms } from '../data/structure.js';
import { radiusSearch } from './kdTree.js';
import { periodicImages } from './periodicImages.js';

export interface NeighborList {
  /** r_c the list was built with, Å. */
  cutoff: number;
  /** [E] centre atom i. */
  src: Int32Array;
  /** [E] neighbor atom j. */
  dst: Int32Array;
  /** [E*3] integer image S of j, relative to the input coordinates (`atoms.frac`). */
  images: Int32Array;
  /** [E] d = |r_j + S·L − r_i|, Å. */
  distances: Float64Array;
  /** [E*3] r_j + S·L − r_i, Å (from centre i to neighbor j). */
  vectors: Float64Array;
}

export interface RadiusGraphOptions {
  /** Keep pairs at exactly r_c (pymatgen, default true) or drop them (ASE, false). */
  inclusive?: boolean;
}

/** pymatgen's tolerance on d² (Å²) for the inclusive cutoff. */
export const PYMATGEN_TOL = 1e-8;

/** Squared-distance bound for a cutoff: edges are kept iff d² < bound. */
export function cutoffBound(cutoff: number, inclusive: boolean): number {
  return inclusive ? cutoff * cutoff + PYMATGEN_TOL : cutoff * cutoff;
}

/** All edges within `cutoff` Å, sorted by (i, j, S); see the module header for the rules. */
export function radiusGraph(atoms: Atoms, cutoff: number, opts: RadiusGraphOptions = {}): NeighborList {
  if (!Number.isFinite(cutoff) || cutoff < 0) {
    throw new InputError(`${atoms.id}: neighbor cutoff must be a finite number ≥ 0 Å, got ${cutoff}`);
  }
  const bound = cutoffBound(cutoff, opts.inclusive ?? true);
  const images = periodicImages(atoms, Math.sqrt(bound) + 1e-6);
  const { pos, centres, shift, wrap, atom, selfId } = images;
  const n = atoms.numbers.length;
  const out = new EdgeBuffer(Math.max(16, n * 16));
  const found: number[] = [];
  let ids = new Int32Array(64);
  for (let i = 0; i < n; i++) {
    const cx = centres[3 * i],
      cy = centres[3 * i + 1],
      cz = centres[3 * i + 2];
    found.length = 0;
    radiusSearch(images.tree, cx, cy, cz, bound, found);
    if (found.length > ids.length) ids = new Int32Array(2 * found.length);
    let m = 0;
    for (const id of found) if (id !== selfId[i]) ids[m++] = id;
    const sorted = ids.subarray(0, m).sort(); // ascending id = ascending (j, S)
    out.reserve(m);
    for (const p of sorted) {
      const dx = pos[3 * p] - cx;
      const dy = pos[3 * p + 1] - cy;
      const dz = pos[3 * p + 2] - cz;
      out.push(
        i,
        atom[p],
        shift[3 * p] + wrap[3 * i],
        shift[3 * p + 1] + wrap[3 * i + 1],
        shift[3 * p + 2] + wrap[3 * i + 2],
        dx,
        dy,
        dz,
        Math.sqrt(dx * dx + dy * dy + dz * dz),
      );
    }
  }
  return out.finish(cutoff);
}

/** Edge arrays that grow by doubling, trimmed to size by `finish`. */
export class EdgeBuffer {
  private src: Int32Array;
  private dst: Int32Array;
  private images: Int32Array;
  private vectors: Float64Array;
  private distances: Float64Array;
  private size = 0;

  constructor(capacity: number) {
    this.src = new Int32Array(capacity);
    this.dst = new Int32Array(capacity);
    this.images = new Int32Array(3 * capacity);
    this.vectors = new Float64Array(3 * capacity);
    this.distances = new Float64Array(capacity);
  }

  /** Make room for `extra` more edges. */
  reserve(extra: number): void {
    const need = this.size + extra;
    if (need <= this.src.length) return;
    const cap = Math.max(need, 2 * this.src.length);
    const grow = <T extends Int32Array | Float64Array>(a: T, width: number): T => {
      const b = new (a.constructor as new (len: number) => T)(width * cap);
      b.set(a);
      return b;
    };
    this.src = grow(this.src, 1);
    this.dst = grow(this.dst, 1);
    this.images = grow(this.images, 3);
    this.vectors = grow(this.vectors, 3);
    this.distances = grow(this.distances, 1);
  }

  /** Append one edge; call `reserve` first. */
  push(i: number, j: number, sa: number, sb: number, sc: number, x: number, y: number, z: number, d: number): void {
    const e = this.size++;
    this.src[e] = i;
    this.dst[e] = j;
    this.images[3 * e] = sa;
    this.images[3 * e + 1] = sb;
    this.images[3 * e + 2] = sc;
    this.vectors[3 * e] = x;
    this.vectors[3 * e + 1] = y;
    this.vectors[3 * e + 2] = z;
    this.distances[e] = d;
  }

  finish(cutoff: number): NeighborList {
    const e = this.size;
    return {
      cutoff,
      src: this.src.slice(0, e),
      dst: this.dst.slice(0, e),
      images: this.images.slice(0, 3 * e),
      distances: this.distances.slice(0, e),
      vectors: this.vectors.slice(0, 3 * e),
    };
  }
}
