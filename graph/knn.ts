/**
 * CGCNN neighbor lists (Xie & Grossman 2018; txie-93/cgcnn `data.py::CIFData`): for each atom the
 * k nearest neighbors within `radius` Å over all periodic images (pymatgen `get_all_neighbors(radius)`,
 * d² < radius² + 1e-8, own periodic images included, (i, i, 0) excluded), sorted by distance.
 *
 * Ties are broken by (distance, neighbor index j, image S lexicographic), so the list is deterministic.
 * Upstream sorts pymatgen's cell-list order stably, so at a tie on the k-th distance it may keep a
 * different j than we do; the k distances are the same. Atoms with fewer than k neighbors get fewer
 * edges (`counts`); padding to k slots is the model's business.
 *
 * Output: a `NeighborList` grouped by centre (i ascending, then by the order above) with
 * `cutoff = radius`, plus `counts` [N] = edges per centre (≤ k).
 */
import { InputError } from '../data/errors.js';
import type { Atoms } from '../data/structure.js';
import { nearestSearch } from './kdTree.js';
import { cutoffBound, EdgeBuffer, type NeighborList } from './neighbors.js';
import { periodicImages } from './periodicImages.js';

export type KnnList = NeighborList & { counts: Int32Array };

export function knnGraph(atoms: Atoms, k = 12, radius = 8): KnnList {
  if (!Number.isInteger(k) || k < 1) throw new InputError(`${atoms.id}: k-NN needs an integer k ≥ 1, got ${k}`);
  if (!Number.isFinite(radius) || radius < 0) {
    throw new InputError(`${atoms.id}: k-NN radius must be a finite number ≥ 0 Å, got ${radius}`);
  }
  const bound = cutoffBound(radius, true);
  const images = periodicImages(atoms, Math.sqrt(bound) + 1e-6);
  const { pos, centres, shift, wrap, atom, selfId } = images;
  const n = atoms.numbers.length;
  const counts = new Int32Array(n);
  const out = new EdgeBuffer(n * k);
  const bestD2 = new Float64Array(k);
  const bestId = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const cx = centres[3 * i],
      cy = centres[3 * i + 1],
      cz = centres[3 * i + 2];
    const m = nearestSearch(images.tree, cx, cy, cz, k, bound, selfId[i], bestD2, bestId);
    counts[i] = m;
    for (let s = 0; s < m; s++) {
      const p = bestId[s];
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
        Math.sqrt(bestD2[s]),
      );
    }
  }
  return { ...out.finish(radius), counts };
}
