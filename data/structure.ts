/**
 * Crystal structures as the rest of the project sees them.
 *
 * `Crystal` is the structure as read from a CIF: symmetry-expanded, one site per distinct
 * position, each site carrying every species that sits there with its occupancy (pymatgen's
 * "disordered site"). `Atoms` is an ordered structure: one element per site, full occupancy,
 * what the graph builders and models consume. Lengths in Å, angles in degrees, float64 throughout.
 */

export type Vec3 = [number, number, number];
/** Rows are the lattice vectors a, b, c in Cartesian Å (pymatgen's `Lattice.matrix`). */
export type Matrix3 = [Vec3, Vec3, Vec3];

export interface SpeciesOccupancy {
  element: string;
  occupancy: number;
}

export interface DisorderedSite {
  /** Species in CIF row order (the order pymatgen keeps, which the rounding rule depends on). */
  species: SpeciesOccupancy[];
  /** Fractional coordinates wrapped into [0, 1). */
  frac: Vec3;
  /** Label of the first CIF row that produced this site. */
  label: string;
}

export interface Crystal {
  id: string;
  lattice: Matrix3;
  sites: DisorderedSite[];
}

export interface Atoms {
  id: string;
  lattice: Matrix3;
  /** [N] atomic numbers. */
  numbers: Int32Array;
  /** [N*3] fractional coordinates, row-major. */
  frac: Float64Array;
  /** [N*3] Cartesian coordinates in Å, row-major (frac · lattice). */
  cart: Float64Array;
}

export function numAtoms(atoms: Atoms): number {
  return atoms.numbers.length;
}
