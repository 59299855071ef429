/**
 * One graph container for every model: a crystal graph on the host (`GraphSample`) and the disjoint union
 * of B of them as tensors (`GraphBatch`).
 *
 * Conventions (all frameworks we port keep them): edges are directed, both directions present, every
 * periodic image kept; edge e goes from centre `src[e]` = i to neighbor `dst[e]` = j and
 * `vectors[e] = r_j + S·L − r_i` (Å, computed in float64, stored float32). Collation offsets are
 * explicit: `src`/`dst` shift by the atom count, triplet edge ids by the edge count; nothing else moves.
 */
import * as tf from '@tensorflow/tfjs';

export interface GraphSample {
  id: string;
  /** [N] atomic numbers. */
  numbers: Int32Array;
  /** [E] centre atom i of each edge. */
  src: Int32Array;
  /** [E] neighbor atom j of each edge. */
  dst: Int32Array;
  /** [E*3] r_ij from i to j, Å. */
  vectors: Float32Array;
  /** [E] |r_ij|, Å (taken from the float64 neighbor list, not recomputed in float32). */
  distances: Float32Array;
  /** Regression target in the dataset's units (before normalisation); NaN when unknown (prediction). */
  target: number;
  /** M3GNet line graph: pairs of edges (e1 = i→j, e2 = i→k) sharing the centre i. */
  triplets?: { edgeA: Int32Array; edgeB: Int32Array };
  /** Undirected pairs (graph/pairs.ts): [E] pair of each edge and [P] pair distances, for per-distance work. */
  pairs?: { edgePair: Int32Array; distances: Float32Array };
  /** Occupancy mode (data/occupancy.ts): [N] total occupancy of each node; absent = every node fully occupied. */
  occupancy?: Float32Array;
  /** Species mixture as flat entries (with `occupancy`): [M] node, atomic number and weight of each entry. */
  mixNode?: Int32Array;
  mixNumbers?: Int32Array;
  mixWeights?: Float32Array;
  /** Graph-level inputs for the head (data/graphFeatures.ts), the same length for every sample of a dataset. */
  graphFeatures?: Float32Array;
}

export function sampleAtoms(s: GraphSample): number {
  return s.numbers.length;
}

export function sampleEdges(s: GraphSample): number {
  return s.src.length;
}

/** Disjoint union of B crystal graphs; every index is already offset into the batch. */
export interface GraphBatch {
  numGraphs: number;
  numAtoms: number;
  numEdges: number;
  ids: string[];
  /** [N] int32 atomic numbers. */
  numbers: tf.Tensor1D;
  /** Host copy of `numbers`, so a model can name an element it has no row for without reading back. */
  hostNumbers: Int32Array;
  /** [N] int32 crystal index of each atom. */
  graphOfAtom: tf.Tensor1D;
  /** Host copy of `graphOfAtom` (to name the crystal of an atom in an error). */
  hostGraphOfAtom: Int32Array;
  /** [E] int32 centre atom i. */
  src: tf.Tensor1D;
  /** Host copy of `src` (per-atom neighbor counts without a read-back). */
  hostSrc: Int32Array;
  /** [E] int32 neighbor atom j. */
  dst: tf.Tensor1D;
  /** Host copy of `dst` (edge rows for fused kernels, `edgeRows`). */
  hostDst: Int32Array;
  /** [E,3] float32 r_ij in Å. */
  vectors: tf.Tensor2D;
  /** [E] float32 |r_ij| in Å. */
  distances: tf.Tensor1D;
  /** [B] float32 1/n_atoms per crystal, for intensive (mean) pooling without a division op per step. */
  inverseAtomCounts: tf.Tensor1D;
  /** Host copy of the atom counts, for unbatching and pooling. */
  atomsPerGraph: Int32Array;
  /** [B] float32 targets (NaN where unknown). */
  targets: tf.Tensor1D;
  /** M3GNet line graph, edge ids offset into the batch. */
  triplets?: { edgeA: tf.Tensor1D; edgeB: tf.Tensor1D };
  /** Undirected pairs: [E] int32 pair of each edge (offset by the pair count), [P] float32 pair distances. */
  pairs?: { edgePair: tf.Tensor1D; distances: tf.Tensor1D };
  /**
   * Present when any sample carries occupancies (ordered samples in the batch get occupancy 1 and their own
   * species at weight 1): [N] float32 occupancy, [M] int32 mixNode (offset) and mixNumbers, [M] float32
   * mixWeights, [B] float32 1/Σ_i o_i per crystal (occupancy-weighted mean pooling); host copies of mixNode and
   * mixNumbers (to name an element a model has no row for).
   */
  occupancy?: {
    occupancy: tf.Tensor1D;
    mixNode: tf.Tensor1D;
    mixNumbers: tf.Tensor1D;
    mixWeights: tf.Tensor1D;
    inverseSums: tf.Tensor1D;
    hostMixNode: Int32Array;
    hostMixNumbers: Int32Array;
  };
  /** [B, G] float32 graph-level features, when the samples carry them. */
  graphFeatures?: tf.Tensor2D;
}

/** Builds the tensors of a batch. The caller disposes them with `disposeBatch`. */
export function collate(samples: GraphSample[]): GraphBatch {
  let numAtoms = 0;
  let numEdges = 0;
  let numTriplets = 0;
  for (const s of samples) {
    numAtoms += sampleAtoms(s);
    numEdges += sampleEdges(s);
    numTriplets += s.triplets?.edgeA.length ?? 0;
  }
  const withTriplets = samples.length > 0 && samples.every((s) => s.triplets);
  const withPairs = samples.length > 0 && samples.every((s) => s.pairs);
  let numPairs = 0;
  if (withPairs) for (const s of samples) numPairs += s.pairs!.distances.length;
  const edgePair = new Int32Array(withPairs ? numEdges : 0);
  const pairDistances = new Float32Array(numPairs);
  let pairOffset = 0;
  const numbers = new Int32Array(numAtoms);
  const graphOfAtom = new Int32Array(numAtoms);
  const src = new Int32Array(numEdges);
  const dst = new Int32Array(numEdges);
  const vectors = new Float32Array(numEdges * 3);
  const distances = new Float32Array(numEdges);
  const edgeA = new Int32Array(withTriplets ? numTriplets : 0);
  const edgeB = new Int32Array(withTriplets ? numTriplets : 0);
  const atomsPerGraph = new Int32Array(samples.length);
  const inverse = new Float32Array(samples.length);
  const targets = new Float32Array(samples.length);
  let atomOffset = 0;
  let edgeOffset = 0;
  let tripletOffset = 0;
  samples.forEach((s, g) => {
    const n = sampleAtoms(s);
    const e = sampleEdges(s);
    numbers.set(s.numbers, atomOffset);
    graphOfAtom.fill(g, atomOffset, atomOffset + n);
    for (let k = 0; k < e; k++) {
      src[edgeOffset + k] = s.src[k] + atomOffset;
      dst[edgeOffset + k] = s.dst[k] + atomOffset;
    }
    vectors.set(s.vectors, edgeOffset * 3);
    distances.set(s.distances, edgeOffset);
    if (withTriplets && s.triplets) {
      const t = s.triplets.edgeA.length;
      for (let k = 0; k < t; k++) {
        edgeA[tripletOffset + k] = s.triplets.edgeA[k] + edgeOffset;
        edgeB[tripletOffset + k] = s.triplets.edgeB[k] + edgeOffset;
      }
      tripletOffset += t;
    }
    if (withPairs && s.pairs) {
      for (let k = 0; k < e; k++) edgePair[edgeOffset + k] = s.pairs.edgePair[k] + pairOffset;
      pairDistances.set(s.pairs.distances, pairOffset);
      pairOffset += s.pairs.distances.length;
    }
    atomsPerGraph[g] = n;
    inverse[g] = 1 / n;
    targets[g] = s.target;
    atomOffset += n;
    edgeOffset += e;
  });
  return {
    numGraphs: samples.length,
    numAtoms,
    numEdges,
    ids: samples.map((s) => s.id),
    numbers: tf.tensor1d(numbers, 'int32'),
    hostNumbers: numbers,
    graphOfAtom: tf.tensor1d(graphOfAtom, 'int32'),
    hostGraphOfAtom: graphOfAtom,
    src: tf.tensor1d(src, 'int32'),
    hostSrc: src,
    dst: tf.tensor1d(dst, 'int32'),
    hostDst: dst,
    vectors: tf.tensor2d(vectors, [numEdges, 3]),
    distances: tf.tensor1d(distances),
    inverseAtomCounts: tf.tensor1d(inverse),
    atomsPerGraph,
    targets: tf.tensor1d(targets),
    triplets: withTriplets ? { edgeA: tf.tensor1d(edgeA, 'int32'), edgeB: tf.tensor1d(edgeB, 'int32') } : undefined,
    pairs: withPairs ? { edgePair: tf.tensor1d(edgePair, 'int32'), distances: tf.tensor1d(pairDistances) } : undefined,
    occupancy: samples.some((s) => s.occupancy) ? collateOccupancy(samples) : undefined,
    graphFeatures: collateGraphFeatures(samples),
  };
}

/** [B, G] rows of the samples' graph features; all samples carry them (of one length) or none does. */
function collateGraphFeatures(samples: GraphSample[]): tf.Tensor2D | undefined {
  const first = samples[0]?.graphFeatures;
  if (!first) {
    const other = samples.find((s) => s.graphFeatures);
    if (other) throw new Error(`collate: ${other.id} has graph features but ${samples[0].id} has none`);
    return undefined;
  }
  const g = first.length;
  const rows = new Float32Array(samples.length * g);
  samples.forEach((s, b) => {
    if (!s.graphFeatures || s.graphFeatures.length !== g)
      throw new Error(`collate: ${s.id} has ${s.graphFeatures?.length ?? 0} graph features, ${samples[0].id} has ${g}`);
    rows.set(s.graphFeatures, b * g);
  });
  return tf.tensor2d(rows, [samples.length, g]);
}

/** Occupancy tensors of a batch; ordered samples contribute occupancy 1 and (node, Z, 1) entries. */
function collateOccupancy(samples: GraphSample[]): NonNullable<GraphBatch['occupancy']> {
  const occ: number[] = [];
  const node: number[] = [];
  const numbers: number[] = [];
  const weights: number[] = [];
  const inverseSums = new Float32Array(samples.length);
  let atomOffset = 0;
  samples.forEach((s, g) => {
    const n = sampleAtoms(s);
    let sum = 0;
    if (s.occupancy && s.mixNode && s.mixNumbers && s.mixWeights) {
      for (let i = 0; i < n; i++) {
        occ.push(s.occupancy[i]);
        sum += s.occupancy[i];
      }
      for (let m = 0; m < s.mixNode.length; m++) {
        node.push(s.mixNode[m] + atomOffset);
        numbers.push(s.mixNumbers[m]);
        weights.push(s.mixWeights[m]);
      }
    } else {
      for (let i = 0; i < n; i++) {
        occ.push(1);
        node.push(i + atomOffset);
        numbers.push(s.numbers[i]);
        weights.push(1);
      }
      sum = n;
    }
    inverseSums[g] = 1 / sum;
    atomOffset += n;
  });
  const hostMixNode = Int32Array.from(node);
  const hostMixNumbers = Int32Array.from(numbers);
  return {
    occupancy: tf.tensor1d(occ),
    mixNode: tf.tensor1d(hostMixNode, 'int32'),
    mixNumbers: tf.tensor1d(hostMixNumbers, 'int32'),
    mixWeights: tf.tensor1d(weights),
    inverseSums: tf.tensor1d(inverseSums),
    hostMixNode,
    hostMixNumbers,
  };
}

/**
 * The edges grouped by one end, CSR-style: the edges of atom i are `order[rowStart[i] .. rowStart[i+1])`, in
 * ascending edge id (a stable counting sort), so a kernel that sums them per atom is deterministic without atomics.
 */
export interface EdgeRows {
  /** [N + 1] int32 offsets into `order`. */
  rowStart: tf.Tensor1D;
  /** [E] int32 edge ids grouped by atom. */
  order: tf.Tensor1D;
}

const edgeRowCache = new WeakMap<GraphBatch, Map<string, EdgeRows>>();

/** The batch's edges grouped by `src` or `dst`, built on the host at first use and kept until `disposeBatch`. */
export function edgeRows(b: GraphBatch, end: 'src' | 'dst'): EdgeRows {
  return batchEdgeRows(b, end, () => (end === 'src' ? b.hostSrc : b.hostDst));
}

/**
 * A model's own edge list over the batch's atoms (CGCNN's padded neighbor slots) grouped by atom: `atoms()` gives
 * each edge's atom on the host; built at first use under `key` and kept until `disposeBatch`.
 */
export function batchEdgeRows(b: GraphBatch, key: string, atoms: () => Int32Array): EdgeRows {
  const cached = edgeRowCache.get(b) ?? new Map<string, EdgeRows>();
  edgeRowCache.set(b, cached);
  const hit = cached.get(key);
  if (hit) return hit;
  const rows = groupEdges(atoms(), b.numAtoms);
  cached.set(key, rows);
  return rows;
}

/** Edges grouped by atom, given each edge's atom `atoms` [E] in [0, numAtoms): kept tensors the caller disposes. */
export function groupEdges(atoms: Int32Array, numAtoms: number): EdgeRows {
  const rowStart = new Int32Array(numAtoms + 1);
  for (const i of atoms) rowStart[i + 1]++;
  for (let i = 0; i < numAtoms; i++) rowStart[i + 1] += rowStart[i];
  const next = rowStart.slice(0, numAtoms);
  const order = new Int32Array(atoms.length);
  atoms.forEach((i, e) => (order[next[i]++] = e));
  return { rowStart: tf.keep(tf.tensor1d(rowStart, 'int32')), order: tf.keep(tf.tensor1d(order, 'int32')) };
}

export function disposeBatch(b: GraphBatch): void {
  const rows = edgeRowCache.get(b);
  if (rows) for (const r of rows.values()) tf.dispose([r.rowStart, r.order]);
  edgeRowCache.delete(b);
  tf.dispose([b.numbers, b.graphOfAtom, b.src, b.dst, b.vectors, b.distances, b.inverseAtomCounts, b.targets]);
  if (b.triplets) tf.dispose([b.triplets.edgeA, b.triplets.edgeB]);
  if (b.pairs) tf.dispose([b.pairs.edgePair, b.pairs.distances]);
  const o = b.occupancy;
  if (o) tf.dispose([o.occupancy, o.mixNode, o.mixNumbers, o.mixWeights, o.inverseSums]);
  if (b.graphFeatures) b.graphFeatures.dispose();
}

/**
 * Splits sample indices into batches of `batchSize` (the optimiser's batch), and each batch into
 * micro-batches of at most `maxEdges` edges (a single larger crystal still gets its own micro-batch).
 * Gradients are accumulated over the micro-batches, so the effective batch stays `batchSize`.
 */
export function planBatches(
  order: number[],
  samples: GraphSample[],
  batchSize: number,
  maxEdges: number,
): number[][][] {
  const batches: number[][][] = [];
  for (let start = 0; start < order.length; start += batchSize) {
    const members = order.slice(start, start + batchSize);
    const micro: number[][] = [];
    let current: number[] = [];
    let edges = 0;
    for (const idx of members) {
      const e = sampleEdges(samples[idx]);
      if (current.length > 0 && edges + e > maxEdges) {
        micro.push(current);
        current = [];
        edges = 0;
      }
      current.push(idx);
      edges += e;
    }
    if (current.length) micro.push(current);
    batches.push(micro);
  }
  return batches;
}
