/**
 * CIF files → `Crystal` (conventional cell, symmetry-expanded, disordered sites kept), matching
 * pymatgen 2022.11.7 `Structure.from_file` site for site, in the same order, for files that list
 * their symmetry operations.
 *
 * Reads the first data block that holds a structure (a cell or atom sites; a header block before
 * it is skipped, and a file with several says on stderr which it read; `block` picks one by name):
 * the cell from `_cell_length_*` / `_cell_angle_*`, the symmetry operations as data/cifSymmetry.ts
 * finds them (listed, magnetic, or from a space-group symbol or number), and the `_atom_site_*`
 * rows. Numbers may carry uncertainties ('0.123(4)' → 0.123); a missing occupancy is 1; a
 * coordinate written '.' (inapplicable) is 0, with a warning, as pymatgen reads it.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import {
  type CifBlock,
  type CifColumn,
  type CifValue,
  type CifWarn,
  cifError,
  parseCifBlocks,
  warnOnStderr,
} from './cifBlock.js';
import { readSymmetryOps } from './cifSymmetry.js';
import { lookupElement } from './elements.js';
import { InputError } from './errors.js';
import { latticeFromParameters, volume } from './lattice.js';
import type { Crystal, Matrix3 } from './structure.js';
import { type AsymmetricSite, expandAsymmetricUnit } from './symmetryExpansion.js';
import type { CellParameters } from './spaceGroups.js';

function isNumberChar(c: number): boolean {
  // digits . + - e E
  return (c >= 48 && c <= 57) || c === 46 || c === 43 || c === 45 || c === 101 || c === 69;
}

/**
 * A CIF number: '1.5', '-2e-3', '0.123(4)' (the standard uncertainty in parentheses is dropped).
 * Throws `InputError` (file:line, tag) for '?', '.', or anything that is not a number.
 */
export function cifNumber(v: CifValue, tag: string, source: string): number {
  if (v.missing) throw cifError(source, v.line, `${tag} has no value ('${v.text}')`);
  let t = v.text;
  const paren = t.indexOf('(');
  if (paren >= 0) {
    const close = t.length - 1;
    const digits = t.slice(paren + 1, close);
    let ok = t.charCodeAt(close) === 41 && digits.length > 0; // ')'
    for (let k = 0; k < digits.length && ok; k++) ok = digits.charCodeAt(k) >= 48 && digits.charCodeAt(k) <= 57;
    if (!ok) throw cifError(source, v.line, `${tag}: cannot parse number '${v.text}'`);
    t = t.slice(0, paren);
  }
  let ok = t.length > 0;
  for (let k = 0; k < t.length && ok; k++) ok = isNumberChar(t.charCodeAt(k));
  const x = ok ? Number(t) : NaN;
  if (!Number.isFinite(x)) throw cifError(source, v.line, `${tag}: cannot parse number '${v.text}'`);
  return x;
}

function single(block: CifBlock, tag: string): CifValue {
  const col = block.columns.get(tag);
  if (!col) throw cifError(block.source, block.line, `data_${block.name} has no ${tag}`);
  if (col.values.length !== 1) throw cifError(block.source, col.line, `${tag} must have one value, not a loop`);
  return col.values[0];
}

function readCell(block: CifBlock): { lattice: Matrix3; cell: CellParameters } {
  const src = block.source;
  const get = (tag: string): number => cifNumber(single(block, tag), tag, src);
  const [a, b, c] = ['a', 'b', 'c'].map((k) => get(`_cell_length_${k}`));
  const [al, be, ga] = ['alpha', 'beta', 'gamma'].map((k) => get(`_cell_angle_${k}`));
  const line = block.columns.get('_cell_length_a')?.line ?? block.line;
  if (!(a > 0 && b > 0 && c > 0)) throw cifError(src, line, `cell lengths must be positive, got ${a}, ${b}, ${c}`);
  for (const ang of [al, be, ga]) {
    if (!(ang > 0 && ang < 180)) throw cifError(src, line, `cell angles must lie in (0, 180), got ${al}, ${be}, ${ga}`);
  }
  const lattice = latticeFromParameters(a, b, c, al, be, ga);
  if (!(volume(lattice) > 1e-6 * a * b * c)) {
    throw cifError(src, line, `cell angles ${al}, ${be}, ${ga} do not describe a 3D cell`);
  }
  return { lattice, cell: { a, b, c, alpha: al, beta: be, gamma: ga } };
}

/**
 * Element of an `_atom_site_type_symbol` or label, as pymatgen reads it: the first two characters
 * title-cased if they are an element ('Li1+' → Li, 'LI' → Li), else the first letter upper-cased
 * ('O2-' → O, 'Ow1' → O). Decorations after the symbol are ignored.
 */
export function elementFromCifSymbol(symbol: string): string | null {
  if (symbol.length >= 2) {
    const two = symbol[0].toUpperCase() + symbol[1].toLowerCase();
    if (lookupElement(two) > 0) return two;
  }
  const one = symbol.slice(0, 1).toUpperCase();
  return one.length === 1 && lookupElement(one) > 0 ? one : null;
}

/** 1/3 and 2/3 written with few digits are snapped to the exact value, as pymatgen does. */
function snapThirds(x: number): number {
  if (Math.abs(1 - x / (1 / 3)) < 1e-4) return 1 / 3;
  if (Math.abs(1 - x / (2 / 3)) < 1e-4) return 2 / 3;
  return x;
}

/** A fractional coordinate; '.' (inapplicable, a special position in old files) reads as 0 with a warning. */
function coordinate(v: CifValue, tag: string, source: string, warn: CifWarn): number {
  if (v.missing && v.text === '.') {
    warn(`${source}:${v.line}: ${tag} is '.' (inapplicable); read as 0`);
    return 0;
  }
  return snapThirds(cifNumber(v, tag, source));
}

function readAtomSites(block: CifBlock, warn: CifWarn): AsymmetricSite[] {
  const src = block.source;
  const col = (tag: string): CifColumn | undefined => block.columns.get(tag);
  const fx = col('_atom_site_fract_x');
  const fy = col('_atom_site_fract_y');
  const fz = col('_atom_site_fract_z');
  if (!fx || !fy || !fz) {
    throw cifError(
      src,
      block.line,
      `data_${block.name} has no _atom_site_fract_x/y/z (Cartesian-only CIFs are not supported)`,
    );
  }
  const labels = col('_atom_site_label');
  const types = col('_atom_site_type_symbol');
  if (!labels && !types) throw cifError(src, fx.line, 'no _atom_site_label or _atom_site_type_symbol');
  const occ = col('_atom_site_occupancy');
  const n = fx.values.length;
  for (const c of [fy, fz, labels, types, occ]) {
    if (c && c.values.length !== n) {
      throw cifError(src, c.line, `${c.tag} has ${c.values.length} values but _atom_site_fract_x has ${n}`);
    }
  }
  const rows: AsymmetricSite[] = [];
  for (let i = 0; i < n; i++) {
    const label = labels && !labels.values[i].missing ? labels.values[i] : undefined;
    const type = types && !types.values[i].missing ? types.values[i] : undefined;
    const symbolValue = type ?? label;
    const line = fx.values[i].line;
    if (!symbolValue) throw cifError(src, line, 'atom site has neither a type symbol nor a label');
    const element = elementFromCifSymbol(symbolValue.text);
    if (element === null) throw cifError(src, symbolValue.line, `unknown element '${symbolValue.text}'`);
    const o = occ ? occ.values[i] : undefined;
    rows.push({
      label: (label ?? symbolValue).text,
      element,
      occupancy: o === undefined || o.missing ? 1 : cifNumber(o, '_atom_site_occupancy', src),
      frac: [
        coordinate(fx.values[i], '_atom_site_fract_x', src, warn),
        coordinate(fy.values[i], '_atom_site_fract_y', src, warn),
        coordinate(fz.values[i], '_atom_site_fract_z', src, warn),
      ],
      line,
    });
  }
  if (rows.length === 0) throw cifError(src, fx.line, 'the _atom_site loop has no rows');
  return rows;
}

/** How to read a CIF: which block, and where warnings go (stderr unless given). */
export interface CifReadOptions {
  /** Name of the data block to read (after `data_`, case-insensitive); default: the first that holds a structure. */
  block?: string;
  warn?: CifWarn;
}

/** Whether a block describes a structure: it has a cell or atom-site coordinates. */
function holdsStructure(block: CifBlock): boolean {
  for (const key of block.columns.keys()) {
    if (key === '_cell_length_a' || key.startsWith('_atom_site_fract_') || key.startsWith('_atom_site_cartn_'))
      return true;
  }
  return false;
}

/**
 * The block to read: the one named in `options.block`, else the first that holds a structure (the
 * first block when none does, so its errors say what is missing). With several structures, `warn`
 * says which one was read.
 */
export function selectStructureBlock(blocks: CifBlock[], source: string, options: CifReadOptions = {}): CifBlock {
  const warn = options.warn ?? warnOnStderr;
  if (options.block !== undefined) {
    const want = options.block.toLowerCase();
    const named = blocks.find((b) => b.name.toLowerCase() === want);
    if (!named)
      throw new InputError(
        `${source}: no data block data_${options.block} (blocks: ${blocks.map((b) => `data_${b.name}`).join(', ')})`,
      );
    return named;
  }
  const structures = blocks.filter(holdsStructure);
  if (structures.length === 0) return blocks[0];
  if (structures.length > 1) {
    const names = structures.map((b) => `data_${b.name}`).join(', ');
    warn(
      `${source}: ${structures.length} structures (${names}); read the first, data_${structures[0].name} (line ${structures[0].line})`,
    );
  }
  return structures[0];
}

/**
 * Parses CIF text into a `Crystal`. `source` is the file path: errors read `source:line: ...`, and
 * the crystal's id is its stem ('cifs/00x.cif' → '00x'). Throws `InputError` on malformed input.
 */
export function parseCif(text: string, source: string, options: CifReadOptions = {}): Crystal {
  const warn = options.warn ?? warnOnStderr;
  const block = selectStructureBlock(parseCifBlocks(text, source, warn), source, { ...options, warn });
  const { lattice, cell } = readCell(block);
  const ops = readSymmetryOps(block, cell, warn);
  const rows = readAtomSites(block, warn);
  return {
    id: basename(source, extname(source)),
    lattice,
    sites: expandAsymmetricUnit(rows, ops, source),
  };
}

/** The text of a CIF file; an unreadable file is an InputError naming it. */
export function readCifText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read CIF ${path}: ${(e as Error).message}`);
  }
}

/** Reads and parses a CIF file; see `parseCif`. */
export function readCif(path: string, options: CifReadOptions = {}): Crystal {
  return parseCif(readCifText(path), path, options);
}
