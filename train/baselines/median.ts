/**
 * "Median pred." baseline (docs/protocol.md §1.5): predict the median training log10σ for every
 * entry. Full benchmark: median of the 478 train targets → MAE on the 121 test entries (2.1626).
 * CIF subset: median of the 254 train-with-CIF targets → MAE on the 67 test-with-CIF (2.8153) —
 * unlike RF/MLP, whose CIF number is the full model scored on the 67.
 */
import { trainIndices } from '../../data/folds.js';
import { splitEntries, type ObelixDataset } from '../../data/obelix.js';
import { cvScore, meanAbsoluteError, median, type BaselineResult } from './gridSearch.js';

export interface MedianParams {
  /** Median of the 478 training targets. */
  median: number;
  /** Median of the 254 training targets with a CIF. */
  medianCif: number;
}

/**
 * @param folds validation folds as row indices into the 478 training rows (train_idx.csv order);
 *   the CV score predicts each fold with the median of the other folds.
 */
export function runMedianBaseline(
  ds: ObelixDataset,
  folds: readonly (readonly number[])[],
): BaselineResult<MedianParams> {
  const start = performance.now();
  const y = splitEntries(ds, 'train').map((e) => e.target);
  const yCif = splitEntries(ds, 'train', { cifOnly: true }).map((e) => e.target);
  const test = splitEntries(ds, 'test').map((e) => e.target);
  const testCif = splitEntries(ds, 'test', { cifOnly: true }).map((e) => e.target);
  const foldMae = folds.map((val) => {
    const m = median(trainIndices(val, y.length).map((i) => y[i]));
    return meanAbsoluteError(
      val.map(() => m),
      val.map((i) => y[i]),
    );
  });
  const best = { median: median(y), medianCif: median(yCif) };
  return {
    name: 'median',
    ...cvScore(foldMae),
    testMae: meanAbsoluteError(
      test.map(() => best.median),
      test,
    ),
    testMaeCif: meanAbsoluteError(
      testCif.map(() => best.medianCif),
      testCif,
    ),
    best,
    seconds: (performance.now() - start) / 1000,
  };
}
