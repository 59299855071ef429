/**
 * CGCNN atom features: the fixed 92-dimensional table `atom_init.json` of txie-93/cgcnn (data/sample-regression,
 * MIT licence), shipped as `data/atom_init.json`. Keys are atomic numbers as strings ("1" … "100"), each a list of
 * 92 zeros and ones (one-hot bins of group, period, electronegativity, covalent radius, valence electrons,
 * ionisation energy, electron affinity, block and atomic volume; docs/architectures.md §1.1).
 *
 * In memory: one row per atomic number, row z at offset z·length (row 0 and absent elements are zero rows,
 * flagged in `present`), so a model can look features up by Z with one gather.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ELEMENTS } from './elements.js';
import { InputError } from './errors.js';

export interface AtomFeatureTable {
  /** Features per element (92 for CGCNN's table). */
  length: number;
  /** Largest atomic number in the table. */
  maxZ: number;
  /** [(maxZ + 1) · length] row-major, row z = features of element z. */
  rows: Float32Array;
  /** [maxZ + 1] whether element z has a row in the file. */
  present: Uint8Array;
}

/** Validates a parsed atom_init.json object (`where` names it in errors). */
export function parseAtomInit(json: unknown, where: string): AtomFeatureTable {
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new InputError(`${where}: expected an object keyed by atomic number`);
  const entries = Object.entries(json as Record<string, unknown>);
  if (entries.length === 0) throw new InputError(`${where}: no elements`);
  let length = -1;
  let maxZ = 0;
  for (const [key, row] of entries) {
    const z = Number(key);
    if (!Number.isInteger(z) || z < 1 || String(z) !== key)
      throw new InputError(`${where}: key "${key}" is not an atomic number`);
    if (!Array.isArray(row) || row.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      throw new InputError(`${where}: key "${key}": expected a list of numbers`);
    }
    if (length < 0) length = row.length;
    if (row.length !== length)
      throw new InputError(`${where}: key "${key}" has ${row.length} features, key "${entries[0][0]}" has ${length}`);
    maxZ = Math.max(maxZ, z);
  }
  const rows = new Float32Array((maxZ + 1) * length);
  const present = new Uint8Array(maxZ + 1);
  for (const [key, row] of entries) {
    rows.set(row as number[], Number(key) * length);
    present[Number(key)] = 1;
  }
  return { length, maxZ, rows, present };
}

/** The shipped table: next to this module in the source tree, or two levels up from `dist/data/`. */
export function defaultAtomInitPath(): string {
  const candidates = ['./atom_init.json', '../../data/atom_init.json'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`atom_init.json not found (looked in ${candidates.join(', ')})`);
  return found;
}

const cache = new Map<string, AtomFeatureTable>();

/** Reads (once per path) an atom_init.json; default: the shipped CGCNN table. */
export function loadAtomInit(path = defaultAtomInitPath()): AtomFeatureTable {
  let t = cache.get(path);
  if (!t) {
    if (!existsSync(path)) throw new InputError(`${path}: atom feature table not found`);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new InputError(`${path}: not valid JSON (${(err as Error).message})`);
    }
    t = parseAtomInit(json, path);
    cache.set(path, t);
  }
  return t;
}

/** Throws an InputError naming the first element of `numbers` the table has no row for. */
export function checkAtomFeatures(table: AtomFeatureTable, numbers: ArrayLike<number>, where: string): void {
  for (let i = 0; i < numbers.length; i++) {
    const z = numbers[i];
    if (!(z >= 1 && z <= table.maxZ && table.present[z])) {
      const symbol = ELEMENTS[z - 1] ?? `Z=${z}`;
      throw new InputError(
        `${where}: element ${symbol} (site ${i}) has no row in the atom feature table (elements 1–${table.maxZ})`,
      );
    }
  }
}
