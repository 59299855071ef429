/**
 * The OBELiX dataset (Therrien et al., arXiv 2502.14234; CC BY 4.0): 599 Li solid electrolytes with
 * measured room-temperature ionic conductivity, 321 of them with a CIF.
 *
 * Reads `processed.csv`, `train_idx.csv`, `test_idx.csv` and `cifs/<ID>.cif` from one directory.
 * Target = log10 of `Ionic conductivity (S cm-1)`; upper bounds such as `<1E-10` become 1e-15 (→ −15),
 * as the upstream preprocessing does. Counts are checked against the release (478/121 rows,
 * 254/67 with CIF), so a truncated or different copy fails loudly instead of skewing results.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { InputError } from './errors.js';

export type CifMatch = 'Match' | 'Close Match' | 'No Match';
export type Split = 'train' | 'test';

export interface ObelixEntry {
  id: string;
  /** Unit-cell composition with explicit counts, e.g. `Li7.0Bi1.0O6.0`. */
  composition: string;
  spaceGroup: number;
  /** a, b, c (Å), alpha, beta, gamma (degrees) as printed in processed.csv. */
  latticeParameters: [number, number, number, number, number, number];
  /** Ionic conductivity in S/cm (upper bounds replaced by 1e-15). */
  conductivity: number;
  /** log10 of the conductivity: the regression target. */
  target: number;
  doi: string;
  cif: CifMatch;
  hasCif: boolean;
  split: Split;
}

export interface ObelixDataset {
  dir: string;
  /** All 599 entries in processed.csv order. */
  entries: ObelixEntry[];
  byId: Map<string, ObelixEntry>;
  /** IDs in the order of train_idx.csv / test_idx.csv. */
  trainIds: string[];
  testIds: string[];
  cifPath(id: string): string;
}

export const OBELIX_FILES = ['processed.csv', 'train_idx.csv', 'test_idx.csv'] as const;
export const EXPECTED_COUNTS = { train: 478, test: 121, trainCif: 254, testCif: 67 } as const;
/** Value substituted for reported upper bounds (`<1E-10`, `<1E-8`), as upstream. */
export const BELOW_DETECTION = 1e-15;

const COLUMNS = {
  id: 'ID',
  composition: 'Composition',
  spaceGroup: 'Space group number',
  conductivity: 'Ionic conductivity (S cm-1)',
  doi: 'DOI',
  cif: 'CIF',
} as const;
const LATTICE_COLUMNS = ['a', 'b', 'c', 'alpha', 'beta', 'gamma'] as const;

export function parseConductivity(raw: string, where: string): number {
  const text = raw.trim();
  if (text.startsWith('<')) return BELOW_DETECTION;
  const value = Number(text);
  if (text === '' || !Number.isFinite(value) || value <= 0) {
    throw new InputError(`${where}: ionic conductivity '${raw}' is not a positive number`);
  }
  return value;
}

function readCsv(path: string): Record<string, string>[] {
  if (!existsSync(path)) throw new InputError(`missing file ${path}`);
  try {
    return parse(readFileSync(path), { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  } catch (err) {
    throw new InputError(`${path}: not a valid CSV (${(err as Error).message})`);
  }
}

function readIdList(path: string): string[] {
  const rows = readCsv(path);
  if (rows.length === 0 || !('ID' in rows[0]))
    throw new InputError(`${path}: expected a header 'ID' and one ID per line`);
  return rows.map((r) => r.ID);
}

function parseEntry(row: Record<string, string>, line: number, path: string, split: Split): ObelixEntry {
  const where = `${path}:${line}`;
  for (const col of [...Object.values(COLUMNS), ...LATTICE_COLUMNS]) {
    if (!(col in row)) throw new InputError(`${where}: missing column '${col}'`);
  }
  const num = (col: string): number => {
    const v = Number(row[col]);
    if (row[col] === '' || !Number.isFinite(v))
      throw new InputError(`${where}: column '${col}' = '${row[col]}' is not a number`);
    return v;
  };
  const cif = row[COLUMNS.cif] as CifMatch;
  if (cif !== 'Match' && cif !== 'Close Match' && cif !== 'No Match') {
    throw new InputError(`${where}: column 'CIF' = '${cif}', expected Match, Close Match or No Match`);
  }
  const conductivity = parseConductivity(row[COLUMNS.conductivity], where);
  return {
    id: row[COLUMNS.id],
    composition: row[COLUMNS.composition],
    spaceGroup: num(COLUMNS.spaceGroup),
    latticeParameters: LATTICE_COLUMNS.map(num) as ObelixEntry['latticeParameters'],
    conductivity,
    target: Math.log10(conductivity),
    doi: row[COLUMNS.doi],
    cif,
    hasCif: cif !== 'No Match',
    split,
  };
}

/** Loads and validates an OBELiX directory. `checkCounts: false` allows subsets (tests, custom copies). */
export function loadObelix(dir: string, opts: { checkCounts?: boolean } = {}): ObelixDataset {
  const trainIds = readIdList(join(dir, 'train_idx.csv'));
  const testIds = readIdList(join(dir, 'test_idx.csv'));
  const splitOf = new Map<string, Split>();
  for (const id of trainIds) splitOf.set(id, 'train');
  for (const id of testIds) {
    if (splitOf.has(id)) throw new InputError(`${join(dir, 'test_idx.csv')}: ID ${id} is also in train_idx.csv`);
    splitOf.set(id, 'test');
  }
  const processed = join(dir, 'processed.csv');
  const entries = readCsv(processed).map((row, i) => {
    const split = splitOf.get(row[COLUMNS.id]);
    if (!split)
      throw new InputError(`${processed}:${i + 2}: ID ${row[COLUMNS.id]} is in neither train_idx.csv nor test_idx.csv`);
    return parseEntry(row, i + 2, processed, split);
  });
  const byId = new Map(entries.map((e) => [e.id, e]));
  for (const id of splitOf.keys()) {
    if (!byId.has(id)) throw new InputError(`${dir}: split ID ${id} has no row in processed.csv`);
  }
  if (opts.checkCounts !== false) {
    const counts = {
      train: trainIds.length,
      test: testIds.length,
      trainCif: trainIds.filter((id) => byId.get(id)!.hasCif).length,
      testCif: testIds.filter((id) => byId.get(id)!.hasCif).length,
    };
    for (const [k, v] of Object.entries(EXPECTED_COUNTS)) {
      if (counts[k as keyof typeof counts] !== v) {
        throw new InputError(
          `${dir}: expected ${v} ${k} entries in the OBELiX release, found ${counts[k as keyof typeof counts]}`,
        );
      }
    }
  }
  return { dir, entries, byId, trainIds, testIds, cifPath: (id) => join(dir, 'cifs', `${id}.cif`) };
}

/** A view of the dataset with only the entries `keep` accepts (split order kept); for reduced runs such as `--quick`. */
export function subsetDataset(ds: ObelixDataset, keep: (e: ObelixEntry) => boolean): ObelixDataset {
  const entries = ds.entries.filter(keep);
  const byId = new Map(entries.map((e) => [e.id, e]));
  return {
    ...ds,
    entries,
    byId,
    trainIds: ds.trainIds.filter((id) => byId.has(id)),
    testIds: ds.testIds.filter((id) => byId.has(id)),
  };
}

/** Entries of one split (in split-file order), optionally only those with a CIF (the 3D models' subset). */
export function splitEntries(ds: ObelixDataset, split: Split, opts: { cifOnly?: boolean } = {}): ObelixEntry[] {
  const ids = split === 'train' ? ds.trainIds : ds.testIds;
  return ids.map((id) => ds.byId.get(id)!).filter((e) => !opts.cifOnly || e.hasCif);
}
