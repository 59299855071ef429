/**
 * Cross-validation folds: sklearn-compatible k-fold index generators, the five OBELiX paper fold
 * sets regenerated from their recipes (docs/protocol.md §3.2, §4, §9), and reading fold files
 * (`folds.json`: validation folds as lists of entry IDs).
 *
 * A fold set is a list of k validation folds, in iteration order; fold f's training rows are the
 * union of the other k − 1 folds.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { InputError } from './errors.js';
import { Pcg64Generator, RandomState } from './numpyRandom.js';
import type { ObelixDataset, ObelixEntry } from './obelix.js';
import { splitEntries } from './obelix.js';

/**
 * Sizes of k contiguous blocks over n rows: the first n mod k blocks hold one more row
 * (sklearn `KFold` without shuffle, `np.array_split`). 478, 5 → [96, 96, 96, 95, 95].
 */
export function foldSizes(n: number, k: number): number[] {
  if (!Number.isInteger(n) || !Number.isInteger(k) || k < 2 || k > n) {
    throw new RangeError(`k-fold needs an integer 2 ≤ k ≤ n, got k = ${k}, n = ${n}`);
  }
  const base = Math.floor(n / k);
  return Array.from({ length: k }, (_, f) => base + (f < n % k ? 1 : 0));
}

/** Splits an ordering into contiguous blocks with `foldSizes` (validation folds). */
export function contiguousBlocks<T>(order: readonly T[], k: number): T[][] {
  const out: T[][] = [];
  let start = 0;
  for (const size of foldSizes(order.length, k)) {
    out.push(order.slice(start, start + size));
    start += size;
  }
  return out;
}

/** sklearn `KFold(k)` without shuffle: validation folds of row indices 0…n−1 in contiguous blocks. */
export function kFoldContiguous(n: number, k: number): number[][] {
  return contiguousBlocks(
    Array.from({ length: n }, (_, i) => i),
    k,
  );
}

/**
 * sklearn `KFold(k, shuffle=True, random_state=seed)` for an integer seed: a legacy
 * `RandomState(seed)` shuffles arange(n) once, then contiguous blocks are cut (validation indices
 * within a fold are in shuffled order; sklearn yields them sorted, the set is the same).
 */
export function kFoldShuffled(n: number, k: number, seed: number): number[][] {
  return contiguousBlocks(new RandomState(seed).permutation(n), k);
}

/** Row indices of each group, groups in order of first appearance, rows ascending. */
export function groupRows(groups: readonly string[]): Map<string, number[]> {
  const members = new Map<string, number[]>();
  groups.forEach((g, i) => {
    const rows = members.get(g);
    if (rows) rows.push(i);
    else members.set(g, [i]);
  });
  return members;
}

/**
 * k folds that keep every group whole (a group is never split between training and validation): groups are put in a
 * seeded random order, then stably sorted by size (largest first, so the seed only breaks ties), and each goes to the
 * fold with the fewest rows so far (the lowest index on a tie), as sklearn's `GroupKFold` balances them. Returns
 * validation folds of row indices 0…n−1, each ascending.
 */
export function groupKFold(groups: readonly string[], k: number, seed: number): number[][] {
  const members = groupRows(groups);
  const names = [...members.keys()];
  if (!Number.isInteger(k) || k < 2 || k > names.length) {
    throw new RangeError(
      `group k-fold needs an integer 2 ≤ k ≤ the number of groups, got k = ${k} for ${names.length} groups`,
    );
  }
  const order = new RandomState(seed).permutation(names.length).map((i) => names[i]);
  order.sort((a, b) => members.get(b)!.length - members.get(a)!.length);
  const folds: number[][] = Array.from({ length: k }, () => []);
  for (const g of order) {
    let lightest = 0;
    for (let f = 1; f < k; f++) if (folds[f].length < folds[lightest].length) lightest = f;
    folds[lightest].push(...members.get(g)!);
  }
  return folds.map((f) => f.sort((a, b) => a - b));
}

/** Training rows of a fold: every index in 0…n−1 not in the validation fold, ascending. */
export function trainIndices(validation: readonly number[], n: number): number[] {
  const held = new Set(validation);
  return Array.from({ length: n }, (_, i) => i).filter((i) => !held.has(i));
}

/** The five fold sets of folds.json (docs/protocol.md §9). */
export const PAPER_FOLD_SETS = [
  'rf_mlp_full_478',
  'rf_mlp_cifonly_254',
  'matgl_m3gnet_so3net_254',
  'schnetpack_painn_schnet_seed10_254',
  'schnetpack_pretrained_seed12_254',
] as const;
export type PaperFoldSet = (typeof PAPER_FOLD_SETS)[number];

const ids = (rows: readonly ObelixEntry[]): string[] => rows.map((e) => e.id);

/**
 * Regenerates one paper fold set (validation folds of entry IDs) from its recipe:
 * - `rf_mlp_full_478`: 478 train rows in train_idx.csv order, `np.random.seed(0)` shuffle, KFold(5).
 * - `rf_mlp_cifonly_254`: train rows with CIF `Match` then `Close Match`, same seed-0 shuffle, KFold(5).
 * - `matgl_m3gnet_so3net_254`: 254 CIF train rows in train_idx.csv order, KFold(5, shuffle, 42).
 * - `schnetpack_*`: 254 CIF train rows in processed.csv order, `default_rng(10 | 12).permutation`,
 *   `np.array_split(·, 5)`.
 */
export function paperFolds(name: PaperFoldSet, ds: ObelixDataset): string[][] {
  const train = splitEntries(ds, 'train');
  const cifTrain = train.filter((e) => e.hasCif);
  switch (name) {
    case 'rf_mlp_full_478': {
      const order = ids(train);
      return contiguousBlocks(
        new RandomState(0).permutation(order.length).map((i) => order[i]),
        5,
      );
    }
    case 'rf_mlp_cifonly_254': {
      const order = ids([
        ...cifTrain.filter((e) => e.cif === 'Match'),
        ...cifTrain.filter((e) => e.cif === 'Close Match'),
      ]);
      return contiguousBlocks(
        new RandomState(0).permutation(order.length).map((i) => order[i]),
        5,
      );
    }
    case 'matgl_m3gnet_so3net_254': {
      const order = ids(cifTrain);
      return kFoldShuffled(order.length, 5, 42).map((fold) => fold.map((i) => order[i]));
    }
    case 'schnetpack_painn_schnet_seed10_254':
    case 'schnetpack_pretrained_seed12_254': {
      const order = ids(ds.entries.filter((e) => e.split === 'train' && e.hasCif));
      const seed = name === 'schnetpack_painn_schnet_seed10_254' ? 10 : 12;
      return contiguousBlocks(
        new Pcg64Generator(seed).permutation(order.length).map((i) => order[i]),
        5,
      );
    }
    default: {
      const never: never = name;
      throw new InputError(`unknown fold set '${String(never)}'`);
    }
  }
}

/**
 * Reads a folds file: a JSON object whose fold-set entries are `{ "folds": [[id, …], …] }`
 * (other keys, such as `_about` or objects without `folds`, are skipped). Returns name → folds.
 */
export function readFoldsFile(path: string): Map<string, string[][]> {
  if (!existsSync(path)) throw new InputError(`missing folds file ${path}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InputError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new InputError(`${path}: expected a JSON object of fold sets`);
  const out = new Map<string, string[][]>();
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'object' || value === null || !('folds' in value)) continue;
    const folds = (value as { folds: unknown }).folds;
    const ok =
      Array.isArray(folds) &&
      folds.length >= 2 &&
      folds.every((f) => Array.isArray(f) && f.every((id) => typeof id === 'string'));
    if (!ok) throw new InputError(`${path}: key '${key}.folds' must be a list of at least 2 lists of entry IDs`);
    out.set(key, folds as string[][]);
  }
  return out;
}

/**
 * Maps validation folds given by ID onto row indices of `rowIds`. The folds must be disjoint and
 * cover `rowIds` exactly; otherwise an InputError names the fold and the offending ID.
 */
export function foldsFromIds(
  folds: readonly (readonly string[])[],
  rowIds: readonly string[],
  label = 'folds',
): number[][] {
  const rowOf = new Map(rowIds.map((id, i) => [id, i]));
  if (rowOf.size !== rowIds.length) throw new InputError(`${label}: the rows to split contain duplicate IDs`);
  const seen = new Map<string, number>();
  const out = folds.map((fold, f) =>
    fold.map((id) => {
      const row = rowOf.get(id);
      if (row === undefined)
        throw new InputError(`${label}: fold ${f} holds ID '${id}', which is not among the ${rowIds.length} rows`);
      const prev = seen.get(id);
      if (prev !== undefined) throw new InputError(`${label}: ID '${id}' is in fold ${prev} and fold ${f}`);
      seen.set(id, f);
      return row;
    }),
  );
  if (seen.size !== rowIds.length) {
    const missing = rowIds.find((id) => !seen.has(id));
    throw new InputError(`${label}: ${rowIds.length - seen.size} rows are in no fold (first: '${missing}')`);
  }
  return out;
}

/**
 * A fingerprint of a set of entry IDs (order ignored): SHA-256 of the sorted IDs, one per line. Written next to the
 * counts in each run's metrics.json so the rows a model trained and validated on can be checked against the data.
 */
export function idSetDigest(ids: readonly string[]): string {
  return createHash('sha256')
    .update([...ids].sort().join('\n'))
    .digest('hex');
}
