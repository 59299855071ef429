/**
 * M3GNet's three-body line graph (Chen & Ong 2022; MatGL `compute_3body` / `create_line_graph`, docs/architectures.md
 * §6.4): every ordered pair of distinct edges (e1 = i→j, e2 = i→k) that share the centre i, with both lengths
 * d ≤ r₃ (inclusive, as upstream compares float distances with `<=`). j = k is allowed when e1 and e2 reach
 * different periodic images. The triplet's contribution is later summed into e1 (the receiving edge).
 *
 * Order: centres ascending, then e1 ascending, then e2 ascending (upstream's e1-major enumeration when edges are
 * grouped by centre). Per centre with m edges within r₃ there are m·(m − 1) triplets.
 *
 * Output: `edgeA` [T] = e1, `edgeB` [T] = e2, edge ids of the input list (int32).
 */
import { InputError } from '../data/errors.js';

export interface LineGraph {
  edgeA: Int32Array;
  edgeB: Int32Array;
}

/**
 * src [E] centre atom of each edge, distances [E] in Å (float64 preferred), numAtoms, r₃ in Å.
 * `maxTriplets` guards memory: a structure needing more is an InputError naming `where`.
 */
export function lineGraph(
  src: ArrayLike<number>,
  distances: ArrayLike<number>,
  numAtoms: number,
  threebodyCutoff: number,
  opts: { where?: string; maxTriplets?: number } = {},
): LineGraph {
  const where = opts.where ?? 'line graph';
  if (!Number.isFinite(threebodyCutoff) || threebodyCutoff < 0) {
    throw new InputError(`${where}: three-body cutoff must be a finite number ≥ 0 Å, got ${threebodyCutoff}`);
  }
  if (src.length !== distances.length)
    throw new Error(`lineGraph: ${src.length} edges but ${distances.length} distances`);
  // Bucket the edges within r₃ by centre (stable: ascending edge id within a centre).
  const count = new Int32Array(numAtoms + 1);
  for (let e = 0; e < src.length; e++) if (distances[e] <= threebodyCutoff) count[src[e] + 1]++;
  for (let i = 0; i < numAtoms; i++) count[i + 1] += count[i];
  const start = count.slice();
  const members = new Int32Array(count[numAtoms]);
  for (let e = 0; e < src.length; e++) if (distances[e] <= threebodyCutoff) members[start[src[e]]++] = e;
  let total = 0;
  for (let i = 0; i < numAtoms; i++) {
    const m = count[i + 1] - count[i];
    total += m * (m - 1);
  }
  const limit = opts.maxTriplets ?? 2 ** 31 - 1;
  if (total > limit) {
    throw new InputError(
      `${where}: ${total} triplets within r₃ = ${threebodyCutoff} Å exceed the limit of ${limit} (lower graph.threebody_cutoff)`,
    );
  }
  const edgeA = new Int32Array(total);
  const edgeB = new Int32Array(total);
  let t = 0;
  for (let i = 0; i < numAtoms; i++) {
    for (let a = count[i]; a < count[i + 1]; a++) {
      for (let b = count[i]; b < count[i + 1]; b++) {
        if (a === b) continue;
        edgeA[t] = members[a];
        edgeB[t] = members[b];
        t++;
      }
    }
  }
  return { edgeA, edgeB };
}
