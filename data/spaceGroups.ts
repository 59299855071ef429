/**
 * Space-group symbols → symmetry operations, from the Hall-symbol database of moyo (the 530 settings
 * of the 230 groups that spglib tabulates; `@spglib/moyo-wasm`), so no group is typed in by hand.
 *
 * A symbol names one Hall setting:
 * - a Hall symbol ('-P 2ybc') is matched against the table (whitespace and case aside);
 * - a Hermann-Mauguin symbol ('P 1 21/n 1', 'P21/c', 'F m -3 m', 'R -3 m :H', 'F d -3 m :2',
 *   ICSD's 'R -3 m H' / 'F d -3 m Z') against each setting's full symbol and its short form
 *   (spaces and underscores aside). Where several settings share the symbol, the origin or axes
 *   suffix picks one; without it the cell decides between hexagonal and rhombohedral axes and
 *   between the unique axes of a monoclinic group, and the first origin choice is taken (as
 *   pymatgen and spglib do), with a warning;
 * - an International Tables number alone means the group's first setting in the table (origin
 *   choice 1, b unique, hexagonal axes unless the cell is rhombohedral).
 * Anything else is refused: the caller reports the symbol as unknown rather than guessing.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hall_symbol_entry, initSync, type MoyoHallSymbolEntry, operations_from_number } from '@spglib/moyo-wasm';
import type { SymOp } from './symmetryOps.js';

/** Number of Hall settings in the table. */
export const HALL_SETTINGS = 530;

let entries: MoyoHallSymbolEntry[] | null = null;

/** The 530 Hall entries, loading the WebAssembly module on first use (synchronously, ~20 ms). */
export function hallEntries(): MoyoHallSymbolEntry[] {
  if (entries === null) {
    const require = createRequire(import.meta.url);
    initSync({ module: readFileSync(require.resolve('@spglib/moyo-wasm/moyo_wasm_bg.wasm')) });
    entries = [];
    for (let h = 1; h <= HALL_SETTINGS; h++) entries.push(hall_symbol_entry(h));
  }
  return entries;
}

const opsCache = new Map<number, SymOp[]>();

/**
 * The operations of Hall setting `hall` (1…530) in the conventional cell, centring included. moyo
 * lists each rotation column by column (nalgebra's storage order): entry 3j+i is row i, column j.
 */
export function operationsOfHall(hall: number): SymOp[] {
  let ops = opsCache.get(hall);
  if (!ops) {
    const entry = hallEntries()[hall - 1];
    ops = operations_from_number(entry.number, { type: 'HallNumber', value: hall }, false).map(
      ({ rotation: r, translation: t }) =>
        Float64Array.of(r[0], r[3], r[6], t[0], r[1], r[4], r[7], t[1], r[2], r[5], r[8], t[2]),
    );
    opsCache.set(hall, ops);
  }
  return ops.map((op) => op.slice());
}

/** Cell parameters (Å, degrees), used to choose axes where a symbol leaves them open. */
export interface CellParameters {
  a: number;
  b: number;
  c: number;
  alpha: number;
  beta: number;
  gamma: number;
}

/** A resolved symbol: the Hall setting, and a note when an unstated choice was made. */
export interface ResolvedSetting {
  hall: number;
  entry: MoyoHallSymbolEntry;
  /** Set when the symbol left a choice open that was settled by convention (to be warned about). */
  assumption?: string;
}

function hmKey(s: string): string {
  let out = '';
  for (const ch of s) if (ch !== ' ' && ch !== '\t' && ch !== '_') out += ch.toLowerCase();
  return out;
}

/** Hall symbols compare without case or extra spaces; spglib's '=' and the printed '"' both mean a double-primed axis. */
function hallKey(s: string): string {
  return s.trim().split(/\s+/).join(' ').replace(/"/g, '=').toLowerCase();
}

/**
 * Setting-specific short symbol. For monoclinic groups the table's short symbol is the standard
 * one for every setting ('P 2_1/c' for all nine of No. 14), so the short form is derived from the
 * full symbol by dropping the '1' axes ('P 1 1 2_1/n' → 'P 2_1/n'). Other groups' short symbols are
 * setting-specific already ('P b n m').
 */
function shortSymbol(e: MoyoHallSymbolEntry): string {
  if (e.number >= 3 && e.number <= 15) {
    const [lattice, ...axes] = e.hm_full.split(' ');
    return [lattice, ...axes.filter((a) => a !== '1')].join(' ');
  }
  return e.hm_short;
}

let hmIndex: Map<string, number[]> | null = null;
let hallIndex: Map<string, number> | null = null;

function indexes(): { hm: Map<string, number[]>; hall: Map<string, number> } {
  if (hmIndex === null || hallIndex === null) {
    hmIndex = new Map();
    hallIndex = new Map();
    for (const e of hallEntries()) {
      for (const key of new Set([hmKey(e.hm_full), hmKey(shortSymbol(e))])) {
        const list = hmIndex.get(key) ?? [];
        list.push(e.hall_number);
        hmIndex.set(key, list);
      }
      if (!hallIndex.has(hallKey(e.hall_symbol))) hallIndex.set(hallKey(e.hall_symbol), e.hall_number);
    }
  }
  return { hm: hmIndex, hall: hallIndex };
}

const near = (x: number, y: number, tol: number): boolean => Math.abs(x - y) <= tol;

function hexagonalAxes(c: CellParameters): boolean {
  return near(c.a, c.b, 1e-3 * c.a) && near(c.alpha, 90, 0.1) && near(c.beta, 90, 0.1) && near(c.gamma, 120, 0.1);
}

function rhombohedralAxes(c: CellParameters): boolean {
  return (
    near(c.a, c.b, 1e-3 * c.a) &&
    near(c.a, c.c, 1e-3 * c.a) &&
    near(c.alpha, c.beta, 0.1) &&
    near(c.alpha, c.gamma, 0.1)
  );
}

/** Whether a monoclinic setting's unique axis ('b1' → b) has the two right angles the cell needs. */
function monoclinicAxisFits(setting: string, c: CellParameters): boolean {
  const axis = setting.replace('-', '')[0];
  const right = (x: number): boolean => near(x, 90, 0.1);
  if (axis === 'a') return right(c.beta) && right(c.gamma);
  if (axis === 'b') return right(c.alpha) && right(c.gamma);
  return right(c.alpha) && right(c.beta);
}

/** Splits 'R -3 m :H' / 'R -3 m H' / 'F d -3 m Z' into the symbol and its origin/axes choice. */
function splitSettingSuffix(symbol: string): [string, string | null] {
  const colon = symbol.indexOf(':');
  if (colon >= 0) return [symbol.slice(0, colon), symbol.slice(colon + 1).trim()];
  const parts = symbol.trim().split(/\s+/);
  const last = parts[parts.length - 1];
  const icsd: Record<string, string> = { H: 'H', R: 'R', S: '1', Z: '2' };
  if (parts.length > 1 && last in icsd) return [parts.slice(0, -1).join(' '), icsd[last]];
  return [symbol, null];
}

/** The operations of a setting as one string, translations wrapped: equal strings, equal groups. */
function operationSetKey(hall: number): string {
  return operationsOfHall(hall)
    .map((op) => Array.from(op, (v, k) => (k % 4 === 3 ? v - Math.floor(v) : v).toFixed(6)).join(','))
    .sort()
    .join(';');
}

/** The settings among `halls` with distinct operations (the table repeats some under two axis labels), first of each kept. */
function distinctSettings(halls: number[]): number[] {
  const seen = new Set<string>();
  return halls.filter((h) => {
    const key = operationSetKey(h);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Among settings of one symbol, the one the cell and the conventions pick; null when none fits. */
function chooseSetting(halls: number[], cell: CellParameters, what: string): ResolvedSetting | null {
  const table = hallEntries();
  let cands = distinctSettings(halls).map((h) => table[h - 1]);
  if (cands.length === 1) return { hall: cands[0].hall_number, entry: cands[0] };
  let assumption: string | undefined;
  if (cands.some((e) => e.setting === 'H' || e.setting === 'R')) {
    const want = hexagonalAxes(cell) ? 'H' : rhombohedralAxes(cell) ? 'R' : null;
    if (want === null) return null;
    cands = cands.filter((e) => e.setting === want);
  } else if (cands.every((e) => e.number >= 3 && e.number <= 15)) {
    cands = cands.filter((e) => monoclinicAxisFits(e.setting, cell));
  } else if (cands.every((e) => e.setting.startsWith('1') || e.setting.startsWith('2'))) {
    cands = cands.filter((e) => e.setting.startsWith('1'));
    assumption = `${what} does not state the origin choice; used origin choice 1 (as pymatgen and spglib do)`;
  }
  if (cands.length === 0) return null;
  // several settings still fit (a monoclinic cell with three right angles): the table's first
  const best = cands.reduce((x, y) => (y.hall_number < x.hall_number ? y : x));
  return { hall: best.hall_number, entry: best, assumption };
}

/** Hermann-Mauguin symbol → setting; null when the symbol is unknown or the cell fits none of its settings. */
export function settingFromHermannMauguin(symbol: string, cell: CellParameters): ResolvedSetting | null {
  const [base, suffix] = splitSettingSuffix(symbol);
  const halls = indexes().hm.get(hmKey(base));
  if (!halls) return null;
  if (suffix !== null) {
    const table = hallEntries();
    const want = suffix.toUpperCase() === 'H' || suffix.toUpperCase() === 'R' ? suffix.toUpperCase() : suffix;
    // origin choices of orthorhombic groups carry the axes too ('1cab'); the symbol already fixed those
    const fits = distinctSettings(halls).filter(
      (h) => table[h - 1].setting === want || (/^[12]$/.test(want) && table[h - 1].setting.startsWith(want)),
    );
    return fits.length === 1 ? { hall: fits[0], entry: table[fits[0] - 1] } : null;
  }
  return chooseSetting(halls, cell, `'${symbol}'`);
}

/** Hall symbol → setting; null when the table has no such symbol. */
export function settingFromHall(symbol: string): ResolvedSetting | null {
  const hall = indexes().hall.get(hallKey(symbol));
  return hall === undefined ? null : { hall, entry: hallEntries()[hall - 1] };
}

/** International Tables number → its first setting in the table (axes by the cell for R groups); null outside 1…230. */
export function settingFromNumber(number: number, cell: CellParameters): ResolvedSetting | null {
  if (!(Number.isInteger(number) && number >= 1 && number <= 230)) return null;
  const halls = hallEntries()
    .filter((e) => e.number === number)
    .map((e) => e.hall_number);
  const first = hallEntries()[halls[0] - 1];
  if (first.setting === 'H') return chooseSetting(halls, cell, `space group ${number}`);
  // b unique is the standard monoclinic setting; a cell with another unique axis is not in it
  if (number >= 3 && number <= 15 && !monoclinicAxisFits('b', cell)) return null;
  return { hall: halls[0], entry: hallEntries()[halls[0] - 1] };
}
