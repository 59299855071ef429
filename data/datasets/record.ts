/**
 * What every generic dataset reader yields: one ordered structure with its regression target. Readers stream
 * records (`AsyncIterable<StructureRecord>`), so a 36k-structure file never has to be parsed into memory at once.
 */
import { InputError } from '../errors.js';
import { atomicNumber } from '../elements.js';
import { fracToCart } from '../lattice.js';
import type { Atoms, Crystal, Matrix3, Vec3 } from '../structure.js';

export interface StructureRecord {
  /** The ordered structure (for a CIF: its occupancies rounded as OBELiX does). */
  atoms: Atoms;
  /** Regression target in the dataset's units (e.g. band gap in eV). */
  target: number;
  /** The structure as read, partial occupancies kept (CIF readers); absent for ordered sources. */
  crystal?: Crystal;
  /** The CIF text, for the graph-level features read from its tags (space group, Z). */
  cifText?: string;
}

function vec3(v: unknown): v is Vec3 {
  return Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/**
 * Atoms from a lattice (rows a, b, c in Å), element symbols and fractional coordinates [N][3]; `where` names the
 * source (file:line) in errors. Coordinates are kept as given (not wrapped): the neighbor search is periodic.
 */
export function atomsFromArrays(id: string, lattice: unknown, species: unknown, frac: unknown, where: string): Atoms {
  if (!Array.isArray(lattice) || lattice.length !== 3 || !lattice.every(vec3))
    throw new InputError(`${where}: lattice must be 3 rows of 3 numbers (Å)`);
  if (!Array.isArray(species) || species.length === 0 || !species.every((s) => typeof s === 'string')) {
    throw new InputError(`${where}: species must be a non-empty list of element symbols`);
  }
  if (!Array.isArray(frac) || frac.length !== species.length) {
    throw new InputError(
      `${where}: frac_coords has ${Array.isArray(frac) ? frac.length : 'no'} rows for ${species.length} species`,
    );
  }
  const numbers = new Int32Array(species.length);
  const f = new Float64Array(species.length * 3);
  species.forEach((s: string, i) => {
    try {
      numbers[i] = atomicNumber(s);
    } catch (err) {
      throw new InputError(`${where}: species[${i}]: ${(err as Error).message}`);
    }
    const row: unknown = frac[i];
    if (!vec3(row)) throw new InputError(`${where}: frac_coords[${i}] must be 3 numbers`);
    f.set(row, i * 3);
  });
  const l = lattice as Matrix3;
  return { id, lattice: l, numbers, frac: f, cart: fracToCart(l, f) };
}
