/**
 * The "Experiment" row of Table 2 (docs/protocol.md §1.5): how far repeated measurements of the
 * same material disagree. Entries are grouped by identical (Composition string, space-group
 * number); over the members of groups with ≥ 2 entries,
 *   floor = mean |log10σ − median of its group|   (OBELiX: 122 entries, 48 groups → 0.4078),
 *   rms   = sqrt(mean (log10σ − mean of its group)²)   (→ 0.6295).
 */
import type { ObelixEntry } from '../../data/obelix.js';
import { median } from './gridSearch.js';

export interface ExperimentalFloor {
  /** Mean absolute deviation from the group median, log10(S/cm). */
  mae: number;
  /** RMS deviation from the group mean, log10(S/cm). */
  rms: number;
  groups: number;
  entries: number;
}

export function experimentalFloor(
  entries: readonly Pick<ObelixEntry, 'composition' | 'spaceGroup' | 'target'>[],
): ExperimentalFloor {
  const groups = new Map<string, number[]>();
  for (const e of entries) {
    const key = `${e.composition}\u0000${e.spaceGroup}`;
    const g = groups.get(key);
    if (g) g.push(e.target);
    else groups.set(key, [e.target]);
  }
  let abs = 0;
  let sq = 0;
  let n = 0;
  let nGroups = 0;
  for (const g of groups.values()) {
    if (g.length < 2) continue;
    nGroups++;
    const med = median(g);
    const mean = g.reduce((a, b) => a + b, 0) / g.length;
    for (const t of g) {
      abs += Math.abs(t - med);
      sq += (t - mean) ** 2;
      n++;
    }
  }
  if (n === 0) return { mae: NaN, rms: NaN, groups: 0, entries: 0 };
  return { mae: abs / n, rms: Math.sqrt(sq / n), groups: nGroups, entries: n };
}
