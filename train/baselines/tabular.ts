/**
 * The RF/MLP baselines' data: 62 features per entry (data/features.ts), raw log10σ targets, and
 * the CV folds as row indices into the training rows (docs/protocol.md §3.1–3.2).
 */
import { featurize, fitFeatureSpec, type FeatureSpec } from '../../data/features.js';
import { foldsFromIds, paperFolds } from '../../data/folds.js';
import { splitEntries, type ObelixDataset, type ObelixEntry } from '../../data/obelix.js';

export interface TabularSplit {
  ids: string[];
  /** [rows, 62] features. */
  X: number[][];
  /** log10(σ / S cm⁻¹). */
  y: number[];
  hasCif: boolean[];
}

export interface TabularData {
  spec: FeatureSpec;
  train: TabularSplit;
  test: TabularSplit;
  /** Validation folds as row indices into `train`. */
  folds: number[][];
}

export interface TabularOptions {
  /**
   * The CIF-only ablation: train on the 254 train rows with a CIF (`Match` then `Close Match`, as
   * upstream), test on the 67. The lattice scaler is still fitted on all 478 training rows.
   */
  cifOnly?: boolean;
  /** Validation folds by entry ID; default: the paper's `rf_mlp_full_478` (or `rf_mlp_cifonly_254`). */
  folds?: readonly (readonly string[])[];
}

function tabularSplit(rows: readonly ObelixEntry[], spec: FeatureSpec): TabularSplit {
  return {
    ids: rows.map((e) => e.id),
    X: featurize(rows, spec),
    y: rows.map((e) => e.target),
    hasCif: rows.map((e) => e.hasCif),
  };
}

export function obelixTabular(ds: ObelixDataset, opts: TabularOptions = {}): TabularData {
  const allTrain = splitEntries(ds, 'train');
  const spec = fitFeatureSpec(ds.entries, allTrain);
  let trainRows = allTrain;
  let testRows = splitEntries(ds, 'test');
  if (opts.cifOnly) {
    trainRows = [...allTrain.filter((e) => e.cif === 'Match'), ...allTrain.filter((e) => e.cif === 'Close Match')];
    testRows = testRows.filter((e) => e.hasCif);
  }
  const train = tabularSplit(trainRows, spec);
  const foldIds = opts.folds ?? paperFolds(opts.cifOnly ? 'rf_mlp_cifonly_254' : 'rf_mlp_full_478', ds);
  return { spec, train, test: tabularSplit(testRows, spec), folds: foldsFromIds(foldIds, train.ids, 'RF/MLP folds') };
}

/** Rows `idx` of a split's features and targets. */
export function takeRows(split: Pick<TabularSplit, 'X' | 'y'>, idx: readonly number[]): { X: number[][]; y: number[] } {
  return { X: idx.map((i) => split.X[i]), y: idx.map((i) => split.y[i]) };
}

/** MAE on all test rows and on the test rows with a CIF. */
export function testScores(pred: ArrayLike<number>, test: TabularSplit): { testMae: number; testMaeCif: number } {
  let all = 0;
  let cif = 0;
  let nCif = 0;
  for (let i = 0; i < test.y.length; i++) {
    const d = Math.abs(pred[i] - test.y[i]);
    all += d;
    if (test.hasCif[i]) {
      cif += d;
      nCif++;
    }
  }
  return { testMae: all / test.y.length, testMaeCif: nCif ? cif / nCif : NaN };
}
