/**
 * The symmetry operations of a CIF data block, from whichever tags carry them, in this order:
 *
 * 1. magnetic operations (`_space_group_symop_magn_operation.xyz`, each 'x,y,z,+1' with a time-reversal
 *    sign) times the magnetic centrings (`_space_group_symop_magn_centering.xyz`): every operation
 *    with every centring, operation-major, the translations added and wrapped, as pymatgen's
 *    CifParser.get_magsymops does. Time reversal flips moments, not positions, so it is checked and
 *    dropped;
 * 2. the listed operations (`_symmetry_equiv_pos_as_xyz`, `_space_group_symop_operation_xyz`);
 * 3. a Hall symbol, else a Hermann-Mauguin symbol, else an International Tables number, expanded
 *    from the Hall-symbol table (data/spaceGroups.ts). A number given beside a symbol must agree with it;
 * 4. none of these: the identity (P1), as pymatgen reads such files.
 *
 * Every tag that carries symmetry is either applied or refused: an unknown symbol, a magnetic group
 * named without its operations, or an incommensurate (superspace) structure is an `InputError`,
 * never a P1 reading. Tags are matched case-insensitively, with '.' read as '_' (DDLm names) and
 * trailing '_' ignored.
 */
import { type CifBlock, type CifColumn, type CifValue, type CifWarn, cifError } from './cifBlock.js';
import {
  type CellParameters,
  operationsOfHall,
  type ResolvedSetting,
  settingFromHall,
  settingFromHermannMauguin,
  settingFromNumber,
} from './spaceGroups.js';
import { identityOp, parseSymOp, type SymOp } from './symmetryOps.js';

const XYZ_TAGS = ['_symmetry_equiv_pos_as_xyz', '_space_group_symop_operation_xyz'];
const MAGN_OP_TAG = '_space_group_symop_magn_operation_xyz';
const MAGN_CENTERING_TAG = '_space_group_symop_magn_centering_xyz';
const HALL_TAGS = ['_space_group_name_hall', '_symmetry_space_group_name_hall'];
const HM_TAGS = [
  '_symmetry_space_group_name_h-m',
  '_symmetry_space_group_name_h_m',
  '_space_group_name_h-m_alt',
  '_space_group_name_h-m_full',
];
const NUMBER_TAGS = ['_space_group_it_number', '_symmetry_int_tables_number'];

/** Tag-name forms that mark an incommensurate (superspace) description. */
function isSuperspaceTag(key: string): boolean {
  return (
    key.includes('_ssg_') ||
    key.startsWith('_cell_wave_vector') ||
    key.startsWith('_cell_modulation') ||
    key.includes('fourier')
  );
}

/** Magnetic-group tags that name a group whose operations the reader would have to look up. */
function isMagneticGroupNameTag(key: string): boolean {
  return key.startsWith('_space_group_magn_name') || key.startsWith('_space_group_magn_number');
}

function normalizedKey(tag: string): string {
  return tag.toLowerCase().replace(/\./g, '_').replace(/_+$/, '');
}

/** Columns by normalised tag; a column with no values (a trailing `loop_`) counts as absent. */
function normalizedColumns(block: CifBlock): Map<string, CifColumn> {
  const out = new Map<string, CifColumn>();
  for (const [key, col] of block.columns) {
    const k = normalizedKey(key);
    if (col.values.length > 0 && !out.has(k)) out.set(k, col);
  }
  return out;
}

/** The single present value of a column, or null when it is '?' or '.'. */
function singleText(col: CifColumn, source: string): CifValue | null {
  if (col.values.length !== 1) throw cifError(source, col.line, `${col.tag} must have one value, not a loop`);
  const v = col.values[0];
  return v.missing || v.text.trim() === '' ? null : v;
}

function readXyzOps(col: CifColumn, source: string): SymOp[] {
  return col.values.map((v) => {
    if (v.missing) throw cifError(source, v.line, `${col.tag}: missing symmetry operation '${v.text}'`);
    return parseSymOp(v.text, `${source}:${v.line}`);
  });
}

/** 'x,y,z,+1' → the spatial operation; the fourth part must be a time-reversal sign ±1. */
function readMagneticOps(col: CifColumn, source: string): SymOp[] {
  return col.values.map((v) => {
    if (v.missing) throw cifError(source, v.line, `${col.tag}: missing operation '${v.text}'`);
    const comma = v.text.lastIndexOf(',');
    const sign = v.text.slice(comma + 1).trim();
    if (comma < 0 || !['1', '+1', '-1'].includes(sign)) {
      throw cifError(source, v.line, `${col.tag}: '${v.text}' does not end in a time-reversal sign (,+1 or ,-1)`);
    }
    return parseSymOp(v.text.slice(0, comma), `${source}:${v.line}`);
  });
}

function isTranslation(op: SymOp): boolean {
  return (
    op[0] === 1 &&
    op[1] === 0 &&
    op[2] === 0 &&
    op[4] === 0 &&
    op[5] === 1 &&
    op[6] === 0 &&
    op[8] === 0 &&
    op[9] === 0 &&
    op[10] === 1
  );
}

function magneticOps(ops: CifColumn, centering: CifColumn | undefined, source: string): SymOp[] {
  const spatial = readMagneticOps(ops, source);
  if (!centering) return spatial;
  const centrings = readMagneticOps(centering, source);
  centrings.forEach((c, k) => {
    if (!isTranslation(c))
      throw cifError(
        source,
        centering.values[k].line,
        `${centering.tag}: '${centering.values[k].text}' is not a pure translation`,
      );
  });
  const out: SymOp[] = [];
  for (const op of spatial) {
    for (const c of centrings) {
      const combined = op.slice();
      for (const k of [3, 7, 11]) {
        const t = op[k] + c[k];
        combined[k] = t - Math.floor(t);
      }
      out.push(combined);
    }
  }
  return out;
}

function firstColumn(cols: Map<string, CifColumn>, tags: readonly string[]): CifColumn | undefined {
  for (const t of tags) {
    const c = cols.get(t);
    if (c) return c;
  }
  return undefined;
}

/** The space group stated by symbol or number, resolved to a Hall setting; null when none is stated. */
function statedSetting(
  cols: Map<string, CifColumn>,
  cell: CellParameters,
  source: string,
  warn: CifWarn,
): ResolvedSetting | null {
  const find = (tags: readonly string[]): { col: CifColumn; value: CifValue } | null => {
    for (const t of tags) {
      const col = cols.get(t);
      const value = col ? singleText(col, source) : null;
      if (col && value) return { col, value };
    }
    return null;
  };
  const hall = find(HALL_TAGS);
  const hm = find(HM_TAGS);
  const num = find(NUMBER_TAGS);
  let number: number | null = null;
  if (num) {
    number = Number(num.value.text.trim());
    if (!(Number.isInteger(number) && number >= 1 && number <= 230)) {
      throw cifError(source, num.value.line, `${num.col.tag} '${num.value.text}' is not a space-group number 1..230`);
    }
  }
  let chosen: ResolvedSetting | null = null;
  let from: { col: CifColumn; value: CifValue } | null = null;
  if (hall) {
    chosen = settingFromHall(hall.value.text);
    if (!chosen)
      throw cifError(
        source,
        hall.value.line,
        `unknown Hall symbol '${hall.value.text}' (${hall.col.tag}); the file lists no symmetry operations to use instead`,
      );
    from = hall;
    if (hm) {
      const other = settingFromHermannMauguin(hm.value.text, cell);
      if (other === null)
        warn(
          `${source}:${hm.value.line}: ${hm.col.tag} '${hm.value.text}' not recognised; used the Hall symbol '${hall.value.text}'`,
        );
      else if (other.hall !== chosen.hall) {
        throw cifError(
          source,
          hm.value.line,
          `${hm.col.tag} '${hm.value.text}' and ${hall.col.tag} '${hall.value.text}' name different settings`,
        );
      }
    }
  } else if (hm) {
    chosen = settingFromHermannMauguin(hm.value.text, cell);
    if (!chosen) {
      throw cifError(
        source,
        hm.value.line,
        `unknown space-group symbol '${hm.value.text}' (${hm.col.tag}), or one whose setting the cell does not fit; the file lists no symmetry operations to use instead`,
      );
    }
    from = hm;
  } else if (num && number !== null) {
    chosen = settingFromNumber(number, cell);
    if (!chosen)
      throw cifError(
        source,
        num.value.line,
        `space group ${number} (${num.col.tag}): the cell fits none of its standard settings`,
      );
    from = num;
  }
  if (chosen === null || from === null) return null;
  if (num && number !== chosen.entry.number) {
    throw cifError(
      source,
      num.value.line,
      `${num.col.tag} ${number} disagrees with ${from.col.tag} '${from.value.text}' (space group ${chosen.entry.number})`,
    );
  }
  if (chosen.assumption) warn(`${source}:${from.value.line}: ${chosen.assumption}`);
  return chosen;
}

/**
 * The symmetry operations of `block` (see the module comment). `cell` settles the axes a bare
 * symbol leaves open; `warn` receives the choices made by convention.
 */
export function readSymmetryOps(block: CifBlock, cell: CellParameters, warn: CifWarn): SymOp[] {
  const source = block.source;
  const cols = normalizedColumns(block);
  for (const [key, col] of cols) {
    if (isSuperspaceTag(key))
      throw cifError(source, col.line, `${col.tag}: incommensurate (superspace) structures are not supported`);
  }
  const magnOps = cols.get(MAGN_OP_TAG);
  const magnCentering = cols.get(MAGN_CENTERING_TAG);
  if (magnOps) return magneticOps(magnOps, magnCentering, source);
  if (magnCentering)
    throw cifError(source, magnCentering.line, `${magnCentering.tag} without _space_group_symop_magn_operation.xyz`);
  for (const [key, col] of cols) {
    if (isMagneticGroupNameTag(key)) {
      throw cifError(
        source,
        col.line,
        `${col.tag}: a magnetic space group named without its operations (_space_group_symop_magn_operation.xyz) is not supported`,
      );
    }
  }
  const xyz = firstColumn(cols, XYZ_TAGS);
  if (xyz) return readXyzOps(xyz, source);
  const setting = statedSetting(cols, cell, source, warn);
  return setting ? operationsOfHall(setting.hall) : [identityOp()];
}
