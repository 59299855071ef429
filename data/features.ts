/**
 * The 62 tabular features of the OBELiX RF/MLP baselines (docs/protocol.md §3.1):
 *
 *   x = [ n_el for el in E (unit-cell counts, raw) | space-group number (raw) | (p − μ_p)/σ_p for p in a,b,c,α,β,γ ]
 *
 * E = every element whose amount is non-zero in at least one composition of the *whole* dataset
 * (train + test, as upstream), in atomic-number order: 55 for OBELiX. μ and σ (population SD,
 * sklearn StandardScaler) are fitted on the training rows only. Lengths in Å, angles in degrees.
 */
import { ELEMENTS, lookupElement } from './elements.js';
import { InputError } from './errors.js';
import type { ObelixEntry } from './obelix.js';

/** The fields the featuriser reads. */
export type FeatureSource = Pick<ObelixEntry, 'composition' | 'spaceGroup' | 'latticeParameters'> & { id?: string };

export const LATTICE_FEATURES = ['a', 'b', 'c', 'alpha', 'beta', 'gamma'] as const;

const TOKEN = /([A-Z][a-z]?)((?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)?/y;

/**
 * Element → amount for a formula such as `Li7.0Bi1.0O6.0` (a missing count means 1, a repeated
 * element is summed, as pymatgen's `get_el_amt_dict`). Whitespace between tokens is allowed.
 * `where` names the source in error messages.
 */
export function parseComposition(formula: string, where = 'composition'): Map<string, number> {
  const out = new Map<string, number>();
  const text = formula.replace(/\s+/g, '');
  if (text === '') throw new InputError(`${where}: empty composition`);
  let pos = 0;
  while (pos < text.length) {
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (!m) throw new InputError(`${where}: cannot parse composition '${formula}' at '${text.slice(pos)}'`);
    const [, symbol, count] = m;
    if (lookupElement(symbol) === 0)
      throw new InputError(`${where}: unknown element '${symbol}' in composition '${formula}'`);
    const amount = count === undefined ? 1 : Number(count);
    if (!Number.isFinite(amount) || amount < 0)
      throw new InputError(`${where}: bad amount '${count}' in composition '${formula}'`);
    out.set(symbol, (out.get(symbol) ?? 0) + amount);
    pos = TOKEN.lastIndex;
  }
  return out;
}

const whereOf = (e: FeatureSource, i: number): string => (e.id ? `entry ${e.id}` : `row ${i}`);

/** Elements with a non-zero amount in any of the compositions, in atomic-number order. */
export function elementColumns(entries: readonly FeatureSource[]): string[] {
  const present = new Set<string>();
  entries.forEach((e, i) => {
    for (const [el, n] of parseComposition(e.composition, whereOf(e, i))) if (n !== 0) present.add(el);
  });
  return ELEMENTS.filter((el) => present.has(el));
}

/** sklearn StandardScaler: per column mean and population SD (a zero SD is replaced by 1). */
export interface StandardScaler {
  mean: number[];
  scale: number[];
}

export function fitStandardScaler(rows: readonly (readonly number[])[]): StandardScaler {
  if (rows.length === 0) throw new InputError('cannot fit a feature scaler on zero rows');
  const d = rows[0].length;
  const mean = new Array<number>(d).fill(0);
  const scale = new Array<number>(d).fill(0);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] += r[j] / rows.length;
  for (const r of rows) for (let j = 0; j < d; j++) scale[j] += (r[j] - mean[j]) ** 2 / rows.length;
  return { mean, scale: scale.map((v) => (v > 0 ? Math.sqrt(v) : 1)) };
}

/** Everything needed to featurise a row the same way at train and test time. */
export interface FeatureSpec {
  /** Element columns in order (55 for OBELiX). */
  elements: string[];
  /** Fitted on the training rows' 6 lattice parameters. */
  latticeScaler: StandardScaler;
}

/**
 * Fits the feature spec: element columns from `allEntries` (train + test, as upstream), the
 * lattice scaler from `trainEntries` only.
 */
export function fitFeatureSpec(
  allEntries: readonly FeatureSource[],
  trainEntries: readonly FeatureSource[],
): FeatureSpec {
  return {
    elements: elementColumns(allEntries),
    latticeScaler: fitStandardScaler(trainEntries.map((e) => [...e.latticeParameters])),
  };
}

/** Column names: elements, `space_group`, then the six lattice parameters. */
export function featureNames(spec: FeatureSpec): string[] {
  return [...spec.elements, 'space_group', ...LATTICE_FEATURES];
}

/**
 * Feature matrix [rows, elements + 7]. An element outside the spec's columns is an error (the
 * upstream pipeline would silently drop it; a model never saw such a column).
 */
export function featurize(entries: readonly FeatureSource[], spec: FeatureSpec): number[][] {
  const col = new Map(spec.elements.map((el, j) => [el, j]));
  const ne = spec.elements.length;
  const { mean, scale } = spec.latticeScaler;
  return entries.map((e, i) => {
    const x = new Array<number>(ne + 7).fill(0);
    for (const [el, n] of parseComposition(e.composition, whereOf(e, i))) {
      const j = col.get(el);
      if (j === undefined) {
        if (n === 0) continue;
        throw new InputError(`${whereOf(e, i)}: element ${el} is not one of the ${ne} feature columns`);
      }
      x[j] = n;
    }
    x[ne] = e.spaceGroup;
    e.latticeParameters.forEach((p, k) => {
      x[ne + 1 + k] = (p - mean[k]) / scale[k];
    });
    return x;
  });
}
