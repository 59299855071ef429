/**
 * Disordered `Crystal` → ordered `Atoms`: the OBELiX occupancy rounding
 * (obelix/utils.py::round_partial_occ, docs/protocol.md §2.3) and the plain conversion for
 * crystals that are already ordered.
 */
import { atomicNumber, elementSymbol } from './elements.js';
import { InputError } from './errors.js';
import { fracToCart } from './lattice.js';
import { AMOUNT_TOLERANCE } from './pymatgenOrder.js';
import type { Atoms, Crystal, Vec3 } from './structure.js';

/**
 * Python 3 `round(x)` for floats: nearest integer, ties to even (0.5 → 0, 1.5 → 2, 2.5 → 2,
 * −0.5 → −0). `Math.round` sends ties up and must not be used for the OBELiX rule.
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // r − x is exact here, so a tie is detected exactly; step back from an odd r.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function toAtoms(c: Crystal, numbers: number[], frac: number[]): Atoms {
  const f = Float64Array.from(frac);
  return { id: c.id, lattice: c.lattice, numbers: Int32Array.from(numbers), frac: f, cart: fracToCart(c.lattice, f) };
}

/**
 * The OBELiX rule: on every site, the first species (stored order) with roundHalfEven(occ) === 1
 * becomes the sole occupant at occupancy 1; a site where no species rounds to 1 is removed.
 * Occupancy 0.5 → removed, 0.5000001 → kept, 1.5 → rounds to 2, so it does not take the site.
 * The input crystal is left untouched.
 */
export function roundOccupancies(c: Crystal): Atoms {
  const numbers: number[] = [];
  const frac: number[] = [];
  for (const site of c.sites) {
    const winner = site.species.find((s) => roundHalfEven(s.occupancy) === 1);
    if (!winner) continue;
    numbers.push(atomicNumber(winner.element));
    frac.push(site.frac[0], site.frac[1], site.frac[2]);
  }
  return toAtoms(c, numbers, frac);
}

/**
 * `Atoms` of a crystal whose every site holds one species at occupancy 1 (within 1e-8);
 * throws `InputError` naming the crystal and the first disordered site otherwise.
 */
export function crystalToAtoms(c: Crystal): Atoms {
  const numbers: number[] = [];
  const frac: number[] = [];
  c.sites.forEach((site, i) => {
    const only = site.species.length === 1 ? site.species[0] : undefined;
    if (!only || Math.abs(only.occupancy - 1) > AMOUNT_TOLERANCE) {
      const desc = site.species.map((s) => `${s.element}:${s.occupancy}`).join(', ');
      throw new InputError(
        `${c.id}: site ${i} (${site.label}) is not ordered (${desc}); round occupancies first (roundOccupancies)`,
      );
    }
    numbers.push(atomicNumber(only.element));
    frac.push(site.frac[0], site.frac[1], site.frac[2]);
  });
  return toAtoms(c, numbers, frac);
}

/** The crystal of an ordered structure: one site per atom, one species at occupancy 1, coordinates wrapped into [0, 1). */
export function atomsToCrystal(a: Atoms): Crystal {
  const wrap = (x: number): number => x - Math.floor(x);
  return {
    id: a.id,
    lattice: a.lattice,
    sites: Array.from(a.numbers, (z, i) => ({
      species: [{ element: elementSymbol(z), occupancy: 1 }],
      frac: [wrap(a.frac[3 * i]), wrap(a.frac[3 * i + 1]), wrap(a.frac[3 * i + 2])] as Vec3,
      label: `${elementSymbol(z)}${i}`,
    })),
  };
}
