/**
 * Typed access to `kd-tree-javascript` (ubilabs, v1.0.3) plus the two queries the graph builders need.
 *
 * The library builds a balanced 3-d tree (median split, cycling x → y → z) and offers a k-nearest
 * `nearest(point, maxNodes, maxDistance)`. That query cannot return "everything within r" without
 * knowing the count in advance (it pre-fills its heap with `maxNodes` sentinels), and it breaks
 * distance ties arbitrarily. So we keep the library's tree as the spatial index and walk its nodes
 * ourselves: `radiusSearch` (all points with d² < limit) and `nearestSearch` (k best by (d², id),
 * deterministic). `libraryRadiusSearch` is the library-only path, kept for the benchmark.
 *
 * Points are `[x, y, z, id]` arrays (Å); `id` is the caller's index of the point.
 */
import { createRequire } from 'node:module';

/** `[x, y, z, id]`: Cartesian position in Å and the caller's point index. */
export type KdPoint = [number, number, number, number];

/** A node of the library's tree (`Node` in kdTree.js); `dimension` indexes x, y, z. */
export interface KdNode {
  obj: KdPoint;
  left: KdNode | null;
  right: KdNode | null;
  parent: KdNode | null;
  dimension: number;
}

type Metric = (a: ArrayLike<number>, b: ArrayLike<number>) => number;

interface LibraryTree {
  root: KdNode | null;
  nearest(point: ArrayLike<number>, maxNodes: number, maxDistance?: number): [KdPoint, number][];
}

interface LibraryModule {
  kdTree: new (points: KdPoint[], metric: Metric, dimensions: number[]) => LibraryTree;
}

// The package is CommonJS (UMD) without type declarations.
const library = createRequire(import.meta.url)('kd-tree-javascript') as LibraryModule;

/** Squared Euclidean distance: the metric handed to the library, so its bounds are in Å². */
export const squaredDistance: Metric = (a, b) => {
  const dx = a[0] - b[0];
  const dy = a[1] - b[1];
  const dz = a[2] - b[2];
  return dx * dx + dy * dy + dz * dz;
};

/** A library kd-tree over `points` (the array is reordered in place by the build). */
export class KdTree {
  readonly tree: LibraryTree;
  constructor(points: KdPoint[]) {
    this.tree = new library.kdTree(points, squaredDistance, [0, 1, 2]);
  }
  get root(): KdNode | null {
    return this.tree.root;
  }
}

/**
 * Appends to `out` the id of every point p with |p − q|² < limit (Å²). Order is tree order.
 * A subtree is skipped only when the splitting plane alone is ≥ limit away; float subtraction and
 * squaring are monotone, so no point the filter would accept is ever skipped.
 */
export function radiusSearch(tree: KdTree, qx: number, qy: number, qz: number, limit: number, out: number[]): void {
  const root = tree.root;
  if (root === null) return;
  const stack: KdNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as KdNode;
    const p = node.obj;
    const dx = p[0] - qx;
    const dy = p[1] - qy;
    const dz = p[2] - qz;
    if (dx * dx + dy * dy + dz * dz < limit) out.push(p[3]);
    const diff = node.dimension === 0 ? dx : node.dimension === 1 ? dy : dz;
    // diff > 0: the query lies on the left (smaller) side of the plane.
    const near = diff > 0 ? node.left : node.right;
    const far = diff > 0 ? node.right : node.left;
    if (far !== null && diff * diff < limit) stack.push(far);
    if (near !== null) stack.push(near);
  }
}

/**
 * The k best points by (d², id) with d² < limit and id ≠ `exclude`, written in order into
 * `bestD2`/`bestId` (length ≥ k); returns how many were found (≤ k). Ties in d² go to the smaller id,
 * so the result does not depend on the tree's shape.
 */
export function nearestSearch(
  tree: KdTree,
  qx: number,
  qy: number,
  qz: number,
  k: number,
  limit: number,
  exclude: number,
  bestD2: Float64Array,
  bestId: Int32Array,
): number {
  let count = 0;
  const visit = (node: KdNode): void => {
    const p = node.obj;
    const dx = p[0] - qx;
    const dy = p[1] - qy;
    const dz = p[2] - qz;
    const d2 = dx * dx + dy * dy + dz * dz;
    const id = p[3];
    if (d2 < limit && id !== exclude) {
      const full = count === k;
      if (!full || d2 < bestD2[k - 1] || (d2 === bestD2[k - 1] && id < bestId[k - 1])) {
        let s = full ? k - 1 : count++;
        while (s > 0 && (bestD2[s - 1] > d2 || (bestD2[s - 1] === d2 && bestId[s - 1] > id))) {
          bestD2[s] = bestD2[s - 1];
          bestId[s] = bestId[s - 1];
          s--;
        }
        bestD2[s] = d2;
        bestId[s] = id;
      }
    }
    const diff = node.dimension === 0 ? dx : node.dimension === 1 ? dy : dz;
    const near = diff > 0 ? node.left : node.right;
    const far = diff > 0 ? node.right : node.left;
    if (near !== null) visit(near);
    // `<=`, not `<`: a point exactly at the current k-th distance may still win on id.
    const plane = diff * diff;
    if (far !== null && plane < limit && (count < k || plane <= bestD2[k - 1])) visit(far);
  };
  if (tree.root !== null) visit(tree.root);
  return count;
}

/**
 * Library-only radius query: `nearest` with maxDistance = limit, doubling maxNodes until the answer
 * is no longer truncated. Correct but slow (each call pre-fills a heap of maxNodes sentinels); only
 * the benchmark uses it, to justify `radiusSearch`.
 */
export function libraryRadiusSearch(
  tree: KdTree,
  q: ArrayLike<number>,
  limit: number,
  out: number[],
  guess = 64,
): void {
  let maxNodes = guess;
  for (;;) {
    const found = tree.tree.nearest(q, maxNodes, limit);
    if (found.length < maxNodes) {
      for (const [p] of found) out.push(p[3]);
      return;
    }
    maxNodes *= 2;
  }
}
