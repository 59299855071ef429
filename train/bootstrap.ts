/**
 * How much a test MAE difference between two models can be trusted when the test entries come in groups that
 * err together (OBELiX: 67 test CIFs from 33 publications, up to 11 from one): a paired bootstrap that resamples
 * whole groups with replacement, so a family that one model misses counts as one draw, not as eleven.
 */
import { groupRows } from '../data/folds.js';
import { RandomState } from '../data/numpyRandom.js';

export interface MaeDifference {
  /** MAE of a minus MAE of b on the whole test set. */
  difference: number;
  /** 2.5 % and 97.5 % quantiles of the resampled differences. */
  low: number;
  high: number;
  /** Share of resamples in which a has the lower MAE (ties count half). */
  shareABetter: number;
  groups: number;
}

const meanAbs = (pred: ArrayLike<number>, target: ArrayLike<number>, rows: readonly number[]): number =>
  rows.reduce((s, i) => s + Math.abs(pred[i] - target[i]), 0) / rows.length;

/** Paired group bootstrap of MAE(a) − MAE(b); `groups[i]` names entry i's group (e.g. its publication's DOI). */
export function groupBootstrapMaeDifference(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  target: ArrayLike<number>,
  groups: readonly string[],
  { samples = 4000, seed = 0 }: { samples?: number; seed?: number } = {},
): MaeDifference {
  const n = target.length;
  if (a.length !== n || b.length !== n || groups.length !== n) {
    throw new RangeError(
      `groupBootstrapMaeDifference: ${a.length} / ${b.length} predictions, ${groups.length} groups, ${n} targets`,
    );
  }
  const blocks = [...groupRows(groups).values()];
  const all = Array.from({ length: n }, (_, i) => i);
  const rng = new RandomState(seed);
  const diffs: number[] = [];
  let aBetter = 0;
  for (let s = 0; s < samples; s++) {
    const rows: number[] = [];
    for (let k = 0; k < blocks.length; k++) rows.push(...blocks[Math.floor(rng.random() * blocks.length)]);
    const d = meanAbs(a, target, rows) - meanAbs(b, target, rows);
    diffs.push(d);
    aBetter += d < 0 ? 1 : d === 0 ? 0.5 : 0;
  }
  diffs.sort((x, y) => x - y);
  const quantile = (q: number): number => diffs[Math.min(samples - 1, Math.max(0, Math.round(q * (samples - 1))))];
  return {
    difference: meanAbs(a, target, all) - meanAbs(b, target, all),
    low: quantile(0.025),
    high: quantile(0.975),
    shareABetter: aBetter / samples,
    groups: blocks.length,
  };
}
