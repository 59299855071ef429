import { fracToCart, latticeFromParameters } from '../../data/lattice.js';
import type { Atoms } from '../../data/structure.js';
import type { GraphSample } from '../../graph/batch.js';
import { buildNeighbors, toSample, type GraphOptions } from '../../graph/featurize.js';

export interface ToyCrystalOptions {
  /** How many crystals (ids c0, c1, …); 8. */
  count?: number;
  /** Seed of the Park–Miller ("minimal standard") generator that draws every random number; 1. */
  seed?: number;
  /** Another source of uniform numbers in [0, 1), used instead of `seed`. */
  random?: () => number;
  /** Cell lengths a = minLength + u, b = a + u, c = a + cSpread·u, u uniform in [0, 1); 3.2 and 0.5. */
  minLength?: number;
  cSpread?: number;
  /** Oblique cells: α = alpha + spread·u, β = 90°, γ = gamma + spread·u; right-angled cells without it. */
  angles?: { alpha: number; gamma: number; spread: number };
  /** Atomic number of the third atom of crystal k (the first two are Li and O); Li, Al, Li … by default. */
  thirdElement?: (k: number) => number;
  /** Target of crystal k with cell length a; a − 3 by default (smooth in the cell, so a model can learn it). */
  target?: (a: number, k: number) => number;
  /** The graph as in training (`threebody_cutoff` adds M3GNet's line graph); all neighbors within 3.5 Å. */
  graph?: GraphOptions;
  /** That many graph-level inputs per crystal, uniform in [0, 1). */
  graphFeatures?: number;
}

function parkMiller(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647;
  };
}

/**
 * Small random crystals of three atoms for training tests: the same options give the same crystals, in the order the
 * numbers are drawn per crystal (a, b, c, the angles, the nine fractional coordinates, the graph features).
 */
export function toyCrystals(o: ToyCrystalOptions = {}): GraphSample[] {
  const rnd = o.random ?? parkMiller(o.seed ?? 1);
  const graph = o.graph ?? { cutoff: 3.5 };
  return Array.from({ length: o.count ?? 8 }, (_, k) => {
    const a = (o.minLength ?? 3.2) + rnd();
    const b = a + rnd();
    const c = a + (o.cSpread ?? 0.5) * rnd();
    const alpha = o.angles ? o.angles.alpha + o.angles.spread * rnd() : 90;
    const gamma = o.angles ? o.angles.gamma + o.angles.spread * rnd() : 90;
    const lattice = latticeFromParameters(a, b, c, alpha, 90, gamma);
    const frac = Float64Array.from({ length: 9 }, () => rnd());
    const atoms: Atoms = {
      id: `c${k}`,
      lattice,
      numbers: Int32Array.from([3, 8, o.thirdElement ? o.thirdElement(k) : 3 + (k % 3) * 5]),
      frac,
      cart: fracToCart(lattice, frac),
    };
    const target = o.target ? o.target(a, k) : a - 3;
    const sample = toSample(atoms, buildNeighbors(atoms, graph), target, graph.threebody_cutoff);
    if (o.graphFeatures) sample.graphFeatures = Float32Array.from({ length: o.graphFeatures }, () => rnd());
    return sample;
  });
}
