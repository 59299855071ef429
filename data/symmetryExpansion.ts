/**
 * Asymmetric unit + symmetry operations → every site of the cell, the way pymatgen's CifParser
 * (2022.11.7, default tolerances) builds a conventional-cell `Structure`:
 *
 * 1. Rows in CIF order. A row whose position maps, under some operation, to within 1e-4
 *    (fractional, periodic) of an earlier kept position joins that position's species (same element:
 *    occupancies add; new element: appended). Operations are tried in order, earlier positions first.
 * 2. Positions are stably sorted by composition and grouped by equal composition.
 * 3. Each group is expanded: every operation applied to every position, wrapped into [0, 1),
 *    kept unless within 1e-4 of a position already produced for that group.
 * 4. Sites are stably sorted by average electronegativity, then species string.
 *
 * A position whose occupancies sum above 1 + 1e-8 is an error, as it is in pymatgen.
 */
import { cifError } from './cifBlock.js';
import { AMOUNT_TOLERANCE, compositionEqual, sortByComposition, sortSitesLikePymatgen } from './pymatgenOrder.js';
import type { DisorderedSite, SpeciesOccupancy, Vec3 } from './structure.js';
import { applySymOp, type SymOp } from './symmetryOps.js';

/** pymatgen's CifParser `site_tolerance`: fractional distance under which positions coincide. */
export const SITE_TOLERANCE = 1e-4;

/** One row of the `_atom_site` loop. */
export interface AsymmetricSite {
  label: string;
  element: string;
  occupancy: number;
  /** Fractional coordinates as written (not wrapped). */
  frac: Vec3;
  /** CIF line of the row, for errors. */
  line: number;
}

interface Position {
  frac: Vec3;
  species: SpeciesOccupancy[];
  label: string;
}

/** |a − b − round(a − b)| < tol in every component. */
function samePositionPbc(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number): boolean {
  for (let k = 0; k < 3; k++) {
    const d = a[ao + k] - b[bo + k];
    if (!(Math.abs(d - Math.round(d)) < SITE_TOLERANCE)) return false;
  }
  return true;
}

/** Wraps into [0, 1). (pymatgen's x − floor(x) can return 1.0 for tiny negatives; we fold that to 0.) */
function wrap(x: number): number {
  const w = x - Math.floor(x);
  return w === 1 ? 0 : w;
}

function findEquivalent(positions: Position[], frac: Vec3, ops: SymOp[], buf: Float64Array): Position | null {
  if (positions.length === 0) return null;
  for (const op of ops) {
    applySymOp(op, frac[0], frac[1], frac[2], buf, 0);
    for (const p of positions) if (samePositionPbc(p.frac, 0, buf, 0)) return p;
  }
  return null;
}

function mergeRows(rows: AsymmetricSite[], ops: SymOp[], source: string): Position[] {
  const positions: Position[] = [];
  const buf = new Float64Array(3);
  for (const row of rows) {
    // pymatgen drops rows with occupancy <= 0; amounts under 1e-8 vanish from its compositions.
    if (!(row.occupancy >= AMOUNT_TOLERANCE)) continue;
    const match = findEquivalent(positions, row.frac, ops, buf);
    if (match === null) {
      positions.push({
        frac: row.frac,
        species: [{ element: row.element, occupancy: row.occupancy }],
        label: row.label,
      });
      continue;
    }
    const same = match.species.find((s) => s.element === row.element);
    if (same) same.occupancy += row.occupancy;
    else match.species.push({ element: row.element, occupancy: row.occupancy });
    let total = 0;
    for (const s of match.species) total += s.occupancy;
    if (total > 1 + AMOUNT_TOLERANCE) {
      const list = match.species.map((s) => `${s.element} ${s.occupancy}`).join(', ');
      throw cifError(
        source,
        row.line,
        `occupancies at site ${match.label} (${match.frac.join(', ')}) sum to ${total} > 1 (${list}) after adding row ${row.label}`,
      );
    }
  }
  return positions;
}

function expandGroup(group: Position[], ops: SymOp[], out: DisorderedSite[]): void {
  const species = group[0].species;
  const coords: number[] = [];
  const buf = new Float64Array(3);
  for (const p of group) {
    for (const op of ops) {
      applySymOp(op, p.frac[0], p.frac[1], p.frac[2], buf, 0);
      buf[0] = wrap(buf[0]);
      buf[1] = wrap(buf[1]);
      buf[2] = wrap(buf[2]);
      let seen = false;
      for (let k = 0; k < coords.length && !seen; k += 3) seen = samePositionPbc(coords, k, buf, 0);
      if (seen) continue;
      coords.push(buf[0], buf[1], buf[2]);
      out.push({ species: species.map((s) => ({ ...s })), frac: [buf[0], buf[1], buf[2]], label: p.label });
    }
  }
}

/**
 * Expands the asymmetric unit `rows` with `ops` into the disordered sites of the cell, in
 * pymatgen's order (see the module comment). `source` names the file in errors.
 */
export function expandAsymmetricUnit(rows: AsymmetricSite[], ops: SymOp[], source: string): DisorderedSite[] {
  const positions = sortByComposition(mergeRows(rows, ops, source), (p) => p.species);
  const sites: DisorderedSite[] = [];
  let start = 0;
  for (let i = 1; i <= positions.length; i++) {
    if (i === positions.length || !compositionEqual(positions[start].species, positions[i].species)) {
      expandGroup(positions.slice(start, i), ops, sites);
      start = i;
    }
  }
  return sortSitesLikePymatgen(sites);
}
