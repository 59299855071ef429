/**
 * Undirected pairs of a directed neighbor list. Every edge i→j with image S has a twin j→i with image −S at
 * the same distance, so anything that depends only on d_ij (radial bases, cutoffs, SchNet/PaiNN filter networks)
 * can be computed once per pair and gathered to both edges: half the per-edge matrix products, the dominant
 * training cost. An edge whose twin is missing (k-nearest-neighbor lists are not symmetric) gets a pair of its own,
 * so the mapping is always valid.
 */
import type { NeighborList } from './neighbors.js';

export interface EdgePairs {
  /** [E] pair id of each edge. */
  edgePair: Int32Array;
  /** [P] the edge that represents each pair (its distance is the pair's distance). */
  pairEdge: Int32Array;
}

/** Index of the first edge with src ≥ i, for edges sorted by src. */
function blockStarts(src: Int32Array, numAtoms: number): Int32Array {
  const start = new Int32Array(numAtoms + 1);
  for (let e = 0; e < src.length; e++) start[src[e] + 1]++;
  for (let i = 0; i < numAtoms; i++) start[i + 1] += start[i];
  return start;
}

/** Finds j→i with image −S inside j's block (edges grouped by src); −1 if absent. */
function findTwin(nl: NeighborList, starts: Int32Array, e: number): number {
  const i = nl.src[e];
  const j = nl.dst[e];
  const sx = -nl.images[3 * e];
  const sy = -nl.images[3 * e + 1];
  const sz = -nl.images[3 * e + 2];
  for (let f = starts[j]; f < starts[j + 1]; f++) {
    if (nl.dst[f] === i && nl.images[3 * f] === sx && nl.images[3 * f + 1] === sy && nl.images[3 * f + 2] === sz)
      return f;
  }
  return -1;
}

export function pairEdges(nl: NeighborList, numAtoms: number): EdgePairs {
  const numEdges = nl.src.length;
  for (let e = 1; e < numEdges; e++) {
    if (nl.src[e] < nl.src[e - 1]) throw new Error('pairEdges: edges must be grouped by src (sorted)');
  }
  const starts = blockStarts(nl.src, numAtoms);
  const edgePair = new Int32Array(numEdges).fill(-1);
  const pairEdge: number[] = [];
  for (let e = 0; e < numEdges; e++) {
    if (edgePair[e] >= 0) continue;
    const pair = pairEdge.length;
    pairEdge.push(e);
    edgePair[e] = pair;
    const twin = findTwin(nl, starts, e);
    if (twin >= 0 && twin !== e && edgePair[twin] < 0) edgePair[twin] = pair;
  }
  return { edgePair, pairEdge: Int32Array.from(pairEdge) };
}
