/**
 * The validation split of an OBELiX run: which training entries are held out, from the config's fold set
 * (`data.validation`): the paper's recorded folds (folds.json) or seeded k-fold / DOI-grouped k-fold.
 */
import { InputError } from '../data/errors.js';
import { groupKFold, kFoldShuffled, paperFolds, PAPER_FOLD_SETS, type PaperFoldSet } from '../data/folds.js';
import { splitEntries, type ObelixDataset, type ObelixEntry } from '../data/obelix.js';
import type { RunConfig } from './config.js';

/** Fold kinds drawn from `data.validation.k` and `seed` rather than read from the paper's recipes. */
export const isSeededFoldKind = (folds: string): folds is 'kfold' | 'doi_kfold' =>
  folds === 'kfold' || folds === 'doi_kfold';

/** Validation folds (entry IDs) over the CIF training subset, as the config names them. */
export function validationFolds(ds: ObelixDataset, v: NonNullable<RunConfig['data']['validation']>): string[][] {
  if (isSeededFoldKind(v.folds)) {
    const entries = splitEntries(ds, 'train', { cifOnly: true });
    try {
      const folds =
        v.folds === 'kfold'
          ? kFoldShuffled(entries.length, v.k, v.seed)
          : groupKFold(
              entries.map((e) => e.doi),
              v.k,
              v.seed,
            );
      return folds.map((f) => f.map((i) => entries[i].id));
    } catch (err) {
      if (err instanceof RangeError) throw new InputError(`data.validation.k = ${v.k}: ${err.message}`);
      throw err;
    }
  }
  if (!(PAPER_FOLD_SETS as readonly string[]).includes(v.folds)) {
    throw new InputError(
      `data.validation.folds: unknown fold set '${v.folds}' (valid: kfold, doi_kfold, ${PAPER_FOLD_SETS.join(', ')})`,
    );
  }
  return paperFolds(v.folds as PaperFoldSet, ds);
}

export interface Split {
  train: ObelixEntry[];
  val: ObelixEntry[];
}

export function trainValidationSplit(ds: ObelixDataset, config: RunConfig): Split {
  const all = splitEntries(ds, 'train', { cifOnly: true });
  const v = config.data.validation;
  if (!v) return { train: all, val: [] };
  const folds = validationFolds(ds, v);
  if (v.fold >= folds.length)
    throw new InputError(`data.validation.fold = ${v.fold}, but there are only ${folds.length} folds`);
  const held = new Set(folds[v.fold]);
  return { train: all.filter((e) => !held.has(e.id)), val: all.filter((e) => held.has(e.id)) };
}
