/**
 * Grid search with a fixed set of CV folds, the way the OBELiX baselines use sklearn GridSearchCV:
 * every point of the grid is scored on the same folds, fold score = MAE over the fold's validation
 * rows, CV score = unweighted mean of the fold MAEs, "±" = population SD (`std_test_score`), best
 * = lowest mean, ties → the first point in `parameterGrid` order (docs/protocol.md §3.2).
 */

/** A search space: each key lists its candidate values. */
export type SearchSpace = Record<string, readonly unknown[]>;
/** One grid point: each key of the space takes one of its values. */
export type GridPoint<S extends SearchSpace> = { [K in keyof S]: S[K][number] };

/** sklearn `ParameterGrid` order: keys sorted by name, the last key varying fastest. */
export function parameterGrid<S extends SearchSpace>(space: S): GridPoint<S>[] {
  const keys = Object.keys(space).sort();
  let points: Record<string, unknown>[] = [{}];
  for (const key of keys) {
    const values = space[key];
    if (values.length === 0) throw new RangeError(`search space key '${key}' has no values`);
    points = points.flatMap((p) => values.map((v) => ({ ...p, [key]: v })));
  }
  return points as GridPoint<S>[];
}

/** Mean |pred − target|. */
export function meanAbsoluteError(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  if (pred.length !== target.length || target.length === 0) {
    throw new RangeError(`MAE needs two equal, non-empty lengths (got ${pred.length} and ${target.length})`);
  }
  let s = 0;
  for (let i = 0; i < target.length; i++) s += Math.abs(pred[i] - target[i]);
  return s / target.length;
}

/** Median (mean of the two middle values for an even count). */
export function median(values: ArrayLike<number>): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const s = Float64Array.from(values).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Fold MAEs summarised as GridSearchCV does. */
export interface CvScore {
  foldMae: number[];
  /** Unweighted mean of the fold MAEs, log10(S/cm). */
  cvMae: number;
  /** Population SD (ddof 0) of the fold MAEs. */
  cvSd: number;
}

export function cvScore(foldMae: readonly number[]): CvScore {
  const n = foldMae.length;
  const cvMae = foldMae.reduce((a, b) => a + b, 0) / n;
  const cvSd = Math.sqrt(foldMae.reduce((a, b) => a + (b - cvMae) ** 2, 0) / n);
  return { foldMae: [...foldMae], cvMae, cvSd };
}

/** A scored grid point. */
export interface GridResult<P> extends CvScore {
  params: P;
}

/** The lowest mean CV MAE; ties (and NaN scores, which never win) keep the earliest point. */
export function selectBest<P>(results: readonly GridResult<P>[]): GridResult<P> {
  let best: GridResult<P> | undefined;
  for (const r of results) if (!Number.isNaN(r.cvMae) && (best === undefined || r.cvMae < best.cvMae)) best = r;
  if (!best) throw new RangeError('no grid point has a finite CV score');
  return best;
}

/** What every baseline reports (Table 2 of the paper: CV MAE ± SD / test MAE (test-with-CIF MAE)). */
export interface BaselineResult<P> extends CvScore {
  name: string;
  /** MAE on the 121 test entries, log10(S/cm). */
  testMae: number;
  /** MAE of the same model on the 67 test entries with a CIF. */
  testMaeCif: number;
  /** Best grid point (or the fixed settings). */
  best: P;
  /** Every grid point's CV score, in grid order (absent for baselines without a search). */
  grid?: GridResult<P>[];
  /** Wall time of the whole search and refit, seconds. */
  seconds: number;
}
