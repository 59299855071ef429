/**
 * Neighbour lists computed once per (structure id, graph options) and reused across epochs, folds
 * and trials. The key names the options (`graphKey('radius', { cutoff: 5 })`), so two builders that
 * differ in any option never share an entry. An id reused for a different structure (another atom
 * count) is an error rather than a silently wrong graph.
 */
import type { Atoms } from '../data/structure.js';
import type { NeighborList } from './neighbors.js';

/** Stable key for a builder and its options: `radius{"cutoff":5,"inclusive":true}` (keys sorted). */
export function graphKey(kind: string, options: Record<string, number | string | boolean>): string {
  const sorted = Object.keys(options).sort().map((k) => [k, options[k]]);
  return `${kind}${JSON.stringify(Object.fromEntries(sorted))}`;
}

export class GraphCache<G extends NeighborList = NeighborList> {
  private readonly entries = new Map<string, { atoms: number; graph: G }>();
  hits = 0;
  misses = 0;

  /** The cached graph of `atoms` under `key`, built by `build()` on first use. */
  get(atoms: Atoms, key: string, build: () => G): G {
    const id = `${atoms.id}\u0000${key}`;
    const hit = this.entries.get(id);
    const n = atoms.numbers.length;
    if (hit !== undefined) {
      if (hit.atoms !== n) {
        throw new Error(`graph cache: structure id "${atoms.id}" was cached with ${hit.atoms} atoms, now has ${n}`);
      }
      this.hits++;
      return hit.graph;
    }
    this.misses++;
    const graph = build();
    this.entries.set(id, { atoms: n, graph });
    return graph;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.hits = 0;
    this.misses = 0;
  }
}
