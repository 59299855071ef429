/**
 * CART regression tree with sklearn's `DecisionTreeRegressor` split rules (squared error,
 * best splitter), grown on presorted columns.
 *
 * A node with samples S (bootstrap counts as weights w) is split at the (feature, threshold) that
 * maximises the weighted proxy  (Σ_L w·y)²/W_L + (Σ_R w·y)²/W_R  (equivalent to the largest
 * decrease of weighted variance), over thresholds midway between consecutive distinct values
 * (values closer than 1e-7 count as equal), subject to ≥ min_samples_leaf distinct samples per side.
 * It stays a leaf when depth = max_depth, it holds < 2·min_samples_leaf (or < 2) samples, or its
 * targets are constant. Feature sub-sampling follows sklearn: features are drawn without
 * replacement, max_features of them, continuing past max_features only until a non-constant one
 * has been seen. Leaf value = weighted mean of y.
 *
 * Departure from sklearn (deliberate): the feature draw of a node uses a random stream derived
 * from the node's path from the root, not one stream consumed in build order. A tree grown without
 * a depth limit and cut at depth d is therefore exactly the tree grown with max_depth = d, which
 * lets a grid search score every max_depth from one tree (randomForest.ts).
 */

/** Features as columns plus, per feature, all rows sorted by that feature (ascending, stable). */
export interface PresortedData {
  nRows: number;
  nFeatures: number;
  columns: Float64Array[];
  order: Int32Array[];
  y: Float64Array;
}

export function presort(X: readonly (readonly number[])[], y: readonly number[]): PresortedData {
  const nRows = X.length;
  if (nRows === 0 || y.length !== nRows)
    throw new RangeError(`tree data: ${nRows} feature rows but ${y.length} targets`);
  const nFeatures = X[0].length;
  const columns = Array.from({ length: nFeatures }, (_, f) => Float64Array.from(X, (row) => row[f]));
  const order = columns.map((col) =>
    Int32Array.from({ length: nRows }, (_, i) => i).sort((a, b) => col[a] - col[b] || a - b),
  );
  for (let i = 0; i < nRows; i++) {
    if (!Number.isFinite(y[i]) || X[i].some((v) => !Number.isFinite(v)))
      throw new RangeError(`tree data: row ${i} has a non-finite value`);
  }
  return { nRows, nFeatures, columns, order, y: Float64Array.from(y) };
}

/** 32-bit integer hash (xor-shift-multiply finaliser). */
export function hash32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Counter-based stream of 32-bit values from a key; `int(m)` is uniform in [0, m). */
export class HashStream {
  private counter = 0;
  constructor(private readonly key: number) {}
  nextUint32(): number {
    this.counter++;
    return hash32((this.key + Math.imul(this.counter, 0x9e3779b9)) >>> 0);
  }
  int(m: number): number {
    return Math.floor((this.nextUint32() / 4294967296) * m);
  }
}

const childKey = (key: number, side: 1 | 2): number => hash32((Math.imul(key, 31) + side * 0x632be5ab) >>> 0);

export interface TreeOptions {
  /** null = unlimited. Root depth is 0. */
  maxDepth: number | null;
  /** Features drawn per node (already resolved to a count). */
  maxFeatures: number;
  minSamplesLeaf: number;
}

/** Flat tree; `feature[k] = -1` marks a leaf. Every node keeps its value and depth (for truncation). */
export interface RegressionTree {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
  depth: Int32Array;
}

const FEATURE_THRESHOLD = 1e-7;
const EPSILON = 2.220446049250313e-16;

/**
 * Grows one tree on the rows with weight > 0 (`weights[i]` = bootstrap count of row i; use all
 * ones without bootstrap). `key` seeds the per-node feature draws.
 */
export function growTree(
  data: PresortedData,
  weights: ArrayLike<number>,
  opts: TreeOptions,
  key: number,
): RegressionTree {
  const { nFeatures, columns, y } = data;
  const mf = Math.max(1, Math.min(nFeatures, opts.maxFeatures));
  const msl = Math.max(1, opts.minSamplesLeaf);
  const maxDepth = opts.maxDepth ?? Number.POSITIVE_INFINITY;
  const w = Float64Array.from(weights);
  const wy = Float64Array.from(w, (wi, i) => wi * y[i]);
  let n = 0;
  for (let i = 0; i < data.nRows; i++) if (w[i] > 0) n++;
  if (n === 0) throw new RangeError('growTree: no row has a positive weight');

  // ord[f*n + p]: the p-th included row in order of feature f; a node is one [start, end) range in every feature.
  const ord = new Int32Array(nFeatures * n);
  for (let f = 0; f < nFeatures; f++) {
    let p = f * n;
    for (const i of data.order[f]) if (w[i] > 0) ord[p++] = i;
  }
  const goesLeft = new Uint8Array(data.nRows);
  const scratch = new Int32Array(n);
  const feats = new Int32Array(nFeatures);

  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const value: number[] = [];
  const depthOf: number[] = [];
  const newNode = (v: number, d: number): number => {
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    value.push(v);
    depthOf.push(d);
    return feature.length - 1;
  };

  interface Pending {
    start: number;
    end: number;
    depth: number;
    key: number;
    parent: number;
    isLeft: boolean;
  }
  const stack: Pending[] = [{ start: 0, end: n, depth: 0, key: hash32(key), parent: -1, isLeft: false }];
  while (stack.length) {
    const { start, end, depth, key: nodeKey, parent, isLeft } = stack.pop()!;
    let W = 0;
    let S = 0;
    let SS = 0;
    let yMin = Infinity;
    let yMax = -Infinity;
    for (let p = start; p < end; p++) {
      const i = ord[p];
      W += w[i];
      S += wy[i];
      SS += wy[i] * y[i];
      if (y[i] < yMin) yMin = y[i];
      if (y[i] > yMax) yMax = y[i];
    }
    const node = newNode(S / W, depth);
    if (parent >= 0) (isLeft ? left : right)[parent] = node;
    const count = end - start;
    const impurity = SS / W - (S / W) ** 2;
    if (depth >= maxDepth || count < 2 || count < 2 * msl || yMin === yMax || impurity <= EPSILON) continue;

    let bestProxy = -Infinity;
    let bestFeature = -1;
    let bestPos = -1;
    let bestThreshold = 0;
    for (let f = 0; f < nFeatures; f++) feats[f] = f;
    const rng = new HashStream(nodeKey);
    let visited = 0;
    let nonConstant = 0;
    for (let v = 0; v < nFeatures && (visited < mf || nonConstant === 0); v++) {
      const j = v + rng.int(nFeatures - v);
      const f = feats[j];
      feats[j] = feats[v];
      feats[v] = f;
      visited++;
      const col = columns[f];
      const base = f * n;
      if (col[ord[base + end - 1]] <= col[ord[base + start]] + FEATURE_THRESHOLD) continue;
      nonConstant++;
      let WL = 0;
      let SL = 0;
      for (let p = start; p < end - 1; p++) {
        const i = ord[base + p];
        WL += w[i];
        SL += wy[i];
        const nLeft = p - start + 1;
        if (nLeft < msl) continue;
        if (end - p - 1 < msl) break;
        const xv = col[i];
        const xn = col[ord[base + p + 1]];
        if (xn <= xv + FEATURE_THRESHOLD) continue;
        const SR = S - SL;
        const proxy = (SL * SL) / WL + (SR * SR) / (W - WL);
        if (proxy > bestProxy) {
          bestProxy = proxy;
          bestFeature = f;
          bestPos = p + 1;
          let t = xv / 2 + xn / 2;
          if (t === xn || !Number.isFinite(t)) t = xv;
          bestThreshold = t;
        }
      }
    }
    if (bestFeature < 0) continue;

    feature[node] = bestFeature;
    threshold[node] = bestThreshold;
    const bBase = bestFeature * n;
    for (let p = start; p < end; p++) goesLeft[ord[bBase + p]] = p < bestPos ? 1 : 0;
    for (let f = 0; f < nFeatures; f++) {
      if (f === bestFeature) continue;
      const base = f * n;
      let l = start;
      let r = 0;
      for (let p = start; p < end; p++) {
        const i = ord[base + p];
        if (goesLeft[i]) ord[base + l++] = i;
        else scratch[r++] = i;
      }
      ord.set(scratch.subarray(0, r), base + l);
    }
    stack.push({ start: bestPos, end, depth: depth + 1, key: childKey(nodeKey, 2), parent: node, isLeft: false });
    stack.push({ start, end: bestPos, depth: depth + 1, key: childKey(nodeKey, 1), parent: node, isLeft: true });
  }
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
    depth: Int32Array.from(depthOf),
  };
}

/** Prediction of one row; `maxDepth` cuts the tree (the node reached at that depth predicts its mean). */
export function predictTree(tree: RegressionTree, x: ArrayLike<number>, maxDepth: number | null = null): number {
  const limit = maxDepth ?? Number.POSITIVE_INFINITY;
  let k = 0;
  while (tree.feature[k] >= 0 && tree.depth[k] < limit)
    k = x[tree.feature[k]] <= tree.threshold[k] ? tree.left[k] : tree.right[k];
  return tree.value[k];
}

/** Node values along the path of one row, root first (`out[d]` = value at depth d); returns the path length. */
export function pathValues(tree: RegressionTree, x: ArrayLike<number>, out: Float64Array): number {
  let k = 0;
  let d = 0;
  out[d++] = tree.value[0];
  while (tree.feature[k] >= 0) {
    k = x[tree.feature[k]] <= tree.threshold[k] ? tree.left[k] : tree.right[k];
    out[d++] = tree.value[k];
  }
  return d;
}
