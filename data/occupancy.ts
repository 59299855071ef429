/**
 * Disordered `Crystal` → occupancy-weighted structure (the `occupancy: weighted` graph mode).
 *
 * Every site stays one node. A node carries its species mixture (Z_s, w_s) and its total occupancy
 * o = Σ_s w_s ≤ 1 (the vacancy is the missing 1 − o). Its position feeds the ordinary neighbor search through
 * `Atoms` (whose `numbers` hold the majority species, first in CIF row order on ties); the mixture travels
 * beside it.
 *
 * Split positions: partially occupied sites (o < 1) closer than `mergeDistance` (default 0.5 Å, minimum image)
 * are one physical site refined as several nearby maxima (split Li positions), so they are merged into one
 * node: position = occupancy-weighted mean of the members (each taken at its image nearest the cluster's first
 * site), species occupancies added per element. Merging is transitive (A–B and B–C close ⇒ A, B, C one node).
 * Fully occupied sites are never merged. A single site whose occupancies sum above 1 (+1e-6) is an `InputError`
 * naming the file and the site label. A cluster whose summed occupancy exceeds 1 cannot be one site (its members
 * are not mutually exclusive positions), so it is not merged: its sites stay separate nodes, each valid on its
 * own. This keeps 5 OBELiX CIFs (13q, 9rc, 9yt, ik8, mtn: Li split pairs refined to 2 × 0.54) usable; with
 * `strictSplits` it is an `InputError` instead.
 */
import { atomicNumber } from './elements.js';
import { InputError } from './errors.js';
import { fracToCart } from './lattice.js';
import type { Atoms, Crystal, DisorderedSite, Vec3 } from './structure.js';

/** Occupancy sums up to 1 + this are accepted (CIF rounding). */
export const OCCUPANCY_TOLERANCE = 1e-6;
/** Default distance (Å) under which partially occupied sites are one split site. */
export const SPLIT_SITE_DISTANCE = 0.5;

/** Flat species mixture: entry m puts weight `weights[m]` of element `numbers[m]` on node `node[m]`. */
export interface SiteMixture {
  /** [M] node of each entry (ascending). */
  node: Int32Array;
  /** [M] atomic numbers. */
  numbers: Int32Array;
  /** [M] occupancies w_s (0 < w_s ≤ 1). */
  weights: Float64Array;
}

/** `Atoms` (majority species per node) plus the occupancy data of each node. */
export interface WeightedAtoms extends Atoms {
  /** [N] total occupancy o_i = Σ_s w_s of each node, in (0, 1]. */
  occupancy: Float64Array;
  mixture: SiteMixture;
  /** [N] CIF labels of each node ('Li1+Li2' for merged split sites). */
  labels: string[];
}

export interface WeightedOptions {
  /** Partially occupied sites closer than this (Å) are merged; 0 disables merging. */
  mergeDistance?: number;
  /** Name used in error messages (the CIF path); defaults to the crystal id. */
  source?: string;
  /** Reject a split-site cluster whose occupancies sum above 1 instead of leaving it unmerged. */
  strictSplits?: boolean;
}

const siteTotal = (s: DisorderedSite): number => s.species.reduce((a, x) => a + x.occupancy, 0);

/** True when every site holds one species at occupancy 1 (then weighted = round = plain conversion). */
export function isOrdered(c: Crystal): boolean {
  return c.sites.every((s) => s.species.length === 1 && Math.abs(s.species[0].occupancy - 1) <= OCCUPANCY_TOLERANCE);
}

/** Minimum-image vector r_j + S·L − r_i (Å) and its integer image S, over the 27 images around the rounded shift. */
function nearestImage(c: Crystal, fi: Vec3, fj: Vec3): { d: number; shift: Vec3 } {
  const L = c.lattice;
  const base: Vec3 = [0, 1, 2].map((k) => -Math.round(fj[k] - fi[k])) as Vec3;
  let best = { d: Infinity, shift: base };
  for (let a = -1; a <= 1; a++)
    for (let b = -1; b <= 1; b++)
      for (let g = -1; g <= 1; g++) {
        const s: Vec3 = [base[0] + a, base[1] + b, base[2] + g];
        const df = [fj[0] + s[0] - fi[0], fj[1] + s[1] - fi[1], fj[2] + s[2] - fi[2]];
        let d2 = 0;
        for (let x = 0; x < 3; x++) {
          const v = df[0] * L[0][x] + df[1] * L[1][x] + df[2] * L[2][x];
          d2 += v * v;
        }
        if (d2 < best.d) best = { d: d2, shift: s };
      }
  return { d: Math.sqrt(best.d), shift: best.shift };
}

/** Clusters of site indices (each ascending, clusters ordered by their first site). */
function splitClusters(c: Crystal, partial: boolean[], mergeDistance: number): number[][] {
  const n = c.sites.length;
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  if (mergeDistance > 0) {
    for (let i = 0; i < n; i++) {
      if (!partial[i]) continue;
      for (let j = i + 1; j < n; j++) {
        if (!partial[j] || nearestImage(c, c.sites[i].frac, c.sites[j].frac).d >= mergeDistance) continue;
        const a = find(i),
          b = find(j);
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
  }
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const r = find(i);
    const g = groups.get(r);
    if (g) g.push(i);
    else groups.set(r, [i]);
  }
  return [...groups.values()].sort((x, y) => x[0] - y[0]);
}

const wrap = (x: number): number => {
  const w = x - Math.floor(x);
  return w >= 1 ? 0 : w;
};

/**
 * The weighted structure of a crystal (see the module header). Node order follows the crystal's site order
 * (a merged node sits at its first site), so an ordered crystal gives exactly `crystalToAtoms`'s atoms.
 */
export function weightedAtoms(c: Crystal, opts: WeightedOptions = {}): WeightedAtoms {
  const source = opts.source ?? c.id;
  const mergeDistance = opts.mergeDistance ?? SPLIT_SITE_DISTANCE;
  const totals = c.sites.map((s, i) => {
    const t = siteTotal(s);
    if (!(t <= 1 + OCCUPANCY_TOLERANCE)) {
      const desc = s.species.map((x) => `${x.element} ${x.occupancy}`).join(', ');
      throw new InputError(`${source}: occupancies of site ${i} (${s.label}) sum to ${t} > 1 (${desc})`);
    }
    return t;
  });
  const partial = totals.map((t) => t < 1 - OCCUPANCY_TOLERANCE);
  const clusters = splitClusters(c, partial, mergeDistance)
    .flatMap((members) => {
      const total = members.reduce((a, m) => a + totals[m], 0);
      if (members.length === 1 || total <= 1 + OCCUPANCY_TOLERANCE) return [members];
      const label = members.map((m) => c.sites[m].label).join('+');
      if (opts.strictSplits) {
        throw new InputError(
          `${source}: split sites ${label} (closer than ${mergeDistance} Å) sum to occupancy ${total} > 1`,
        );
      }
      return members.map((m) => [m]);
    })
    .sort((x, y) => x[0] - y[0]);

  const frac: number[] = [];
  const numbers: number[] = [];
  const occupancy: number[] = [];
  const labels: string[] = [];
  const mixNode: number[] = [];
  const mixNumbers: number[] = [];
  const mixWeights: number[] = [];
  clusters.forEach((members, node) => {
    const first = c.sites[members[0]];
    const species = new Map<string, number>();
    const pos = [0, 0, 0];
    let total = 0;
    for (const m of members) {
      const site = c.sites[m];
      const shift = m === members[0] ? [0, 0, 0] : nearestImage(c, first.frac, site.frac).shift;
      for (let k = 0; k < 3; k++) pos[k] += totals[m] * (site.frac[k] + shift[k]);
      total += totals[m];
      for (const s of site.species) species.set(s.element, (species.get(s.element) ?? 0) + s.occupancy);
    }
    const label = members.map((m) => c.sites[m].label).join('+');
    for (let k = 0; k < 3; k++) frac.push(members.length === 1 ? first.frac[k] : wrap(pos[k] / total));
    let majority = '';
    let best = -1;
    for (const [element, w] of species) {
      if (w > best) [majority, best] = [element, w];
      mixNode.push(node);
      mixNumbers.push(atomicNumber(element));
      mixWeights.push(w);
    }
    numbers.push(atomicNumber(majority));
    occupancy.push(total);
    labels.push(label);
  });
  const f = Float64Array.from(frac);
  return {
    id: c.id,
    lattice: c.lattice,
    numbers: Int32Array.from(numbers),
    frac: f,
    cart: fracToCart(c.lattice, f),
    occupancy: Float64Array.from(occupancy),
    mixture: {
      node: Int32Array.from(mixNode),
      numbers: Int32Array.from(mixNumbers),
      weights: Float64Array.from(mixWeights),
    },
    labels,
  };
}
