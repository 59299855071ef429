/**
 * pymatgen's ordering rules for compositions and sites, so that a parsed CIF lists its sites in the
 * same order as `Structure.from_file` (pymatgen 2022.11.7). Reference data downstream is indexed
 * in that order; matching it keeps atom indices comparable while debugging.
 *
 * Rules reproduced (pymatgen/core/composition.py, sites.py, periodic_table.py):
 * - elements order by electronegativity X (missing X last), then symbol;
 * - compositions order by their amounts, element by element in that order (`Composition.__ge__`),
 *   equal when amounts agree within 1e-8;
 * - sites order by average electronegativity, then by their species string ('Li:0.500, La:0.500').
 */
import { ELECTRONEGATIVITY, lookupElement } from './elements.js';
import type { DisorderedSite, SpeciesOccupancy } from './structure.js';

/** pymatgen's `Composition.amount_tolerance`. */
export const AMOUNT_TOLERANCE = 1e-8;

/** Electronegativity used for ordering; NaN (no value) sorts after everything, as in pymatgen. */
function orderX(element: string): number {
  const x = ELECTRONEGATIVITY[lookupElement(element) - 1];
  return x === undefined || Number.isNaN(x) ? Infinity : x;
}

/** Element.__lt__: by electronegativity, then by symbol. */
export function elementLess(a: string, b: string): boolean {
  const xa = orderX(a);
  const xb = orderX(b);
  if (xa !== xb) return xa < xb;
  return a < b;
}

function elementCompare(a: string, b: string): number {
  return elementLess(a, b) ? -1 : elementLess(b, a) ? 1 : 0;
}

function amountOf(species: SpeciesOccupancy[], element: string): number {
  for (const s of species) if (s.element === element) return s.occupancy;
  return 0;
}

/** Composition.__ge__ (documented upstream as a sort order only). */
export function compositionGe(a: SpeciesOccupancy[], b: SpeciesOccupancy[]): boolean {
  const union = [...new Set([...a.map((s) => s.element), ...b.map((s) => s.element)])].sort(elementCompare);
  for (const el of union) {
    const da = amountOf(a, el);
    const db = amountOf(b, el);
    if (db - da >= AMOUNT_TOLERANCE) return false;
    if (da - db >= AMOUNT_TOLERANCE) return true;
  }
  return true;
}

/** Composition.__eq__: same number of species, every amount equal within 1e-8. */
export function compositionEqual(a: SpeciesOccupancy[], b: SpeciesOccupancy[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((s) => Math.abs(s.occupancy - amountOf(b, s.element)) <= AMOUNT_TOLERANCE);
}

/** `sorted(items, key=composition)`: a stable sort where a < b means not (a >= b). */
export function sortByComposition<T>(items: T[], species: (item: T) => SpeciesOccupancy[]): T[] {
  const less = (a: T, b: T): boolean => !compositionGe(species(a), species(b));
  return [...items].sort((a, b) => (less(a, b) ? -1 : less(b, a) ? 1 : 0));
}

/** Σ X·occ / Σ occ, summed in stored order like `Composition.average_electroneg`. */
export function averageElectronegativity(species: SpeciesOccupancy[]): number {
  let num = 0;
  let den = 0;
  for (const s of species) {
    num += ELECTRONEGATIVITY[lookupElement(s.element) - 1] * Math.abs(s.occupancy);
    den += Math.abs(s.occupancy);
  }
  return num / den;
}

/** Python's f'{x:.3f}': like toFixed(3) but exact binary ties (odd multiples of 1/16) go to even. */
export function formatFixed3(x: number): string {
  const sixteenths = x * 16;
  if (Number.isInteger(sixteenths) && sixteenths % 2 !== 0) {
    const lo = Math.floor(x * 1000);
    return ((lo % 2 === 0 ? lo : lo + 1) / 1000).toFixed(3);
  }
  return x.toFixed(3);
}

/** Site.species_string: the symbol for one species at occupancy 1, else 'El:occ' sorted by element. */
export function speciesString(species: SpeciesOccupancy[]): string {
  let total = 0;
  for (const s of species) total += Math.abs(s.occupancy);
  if (species.length === 1 && total === 1) return species[0].element;
  return [...species]
    .sort((a, b) => elementCompare(a.element, b.element))
    .map((s) => `${s.element}:${formatFixed3(s.occupancy)}`)
    .join(', ');
}

/** `Structure.get_sorted_structure()`: stable sort by average electronegativity, then species string. */
export function sortSitesLikePymatgen(sites: DisorderedSite[]): DisorderedSite[] {
  const keyed = sites.map((site) => ({
    site,
    x: averageElectronegativity(site.species),
    s: speciesString(site.species),
  }));
  keyed.sort((a, b) => {
    if (a.x < b.x) return -1;
    if (a.x > b.x) return 1;
    return a.s < b.s ? -1 : a.s > b.s ? 1 : 0;
  });
  return keyed.map((k) => k.site);
}
