/**
 * One element table per model: the map from atomic number Z to the model's row (an embedding row, a position in
 * `element_types`, an atom_init.json row), checked on the host and looked up once per batch. Every species of a
 * mixture (occupancy mode) needs a row, not only the atoms' majority species.
 */
import * as tf from '@tensorflow/tfjs';
import { ELEMENTS, lookupElement } from '../../data/elements.js';
import { InputError } from '../../data/errors.js';
import type { GraphBatch, GraphSample } from '../../graph/batch.js';

/** Embedding rows of a batch: [N] per atom and, in occupancy mode, [M] per species-mixture entry. */
const symbol = (z: number): string => ELEMENTS[z - 1] ?? `Z=${z}`;

export interface ElementRows {
  atoms: tf.Tensor1D;
  mixture: tf.Tensor1D | null;
}

export class ElementTable {
  /**
   * `rowOfZ[z]` = the row of element z, −1 (or absent) where it has none; `name` says what the table is in errors,
   * `namesSites` adds the atom's index in its crystal (`element Md (site 1)`).
   */
  constructor(
    private readonly rowOfZ: Int32Array,
    readonly name: string,
    private readonly namesSites = false,
  ) {}

  /** Row k = symbols[k] (`element_types`); `name` e.g. "model.element_types". */
  static fromSymbols(symbols: readonly string[], name: string): ElementTable {
    const rowOfZ = new Int32Array(120).fill(-1);
    symbols.forEach((s, k) => {
      rowOfZ[lookupElement(s)] = k;
    });
    return new ElementTable(rowOfZ, `${name} (${symbols.length} elements)`);
  }

  /** Row z = element z, for the elements `present[z]` marks (a table indexed by atomic number). */
  static byAtomicNumber(present: ArrayLike<boolean | number>, name: string, namesSites = false): ElementTable {
    const rowOfZ = new Int32Array(present.length).map((_, z) => (z > 0 && present[z] ? z : -1));
    return new ElementTable(rowOfZ, name, namesSites);
  }

  row(z: number): number {
    return this.rowOfZ[z] ?? -1;
  }

  /**
   * Throws an InputError naming the first element (atom or mixture species) without a row and its structure,
   * before any batch is built; `context` puts the message in the caller's words (`init: …; it cannot be …`).
   */
  check(samples: readonly GraphSample[], context: { prefix?: string; suffix?: string } = {}): void {
    for (const s of samples) {
      for (const [zs, what] of [
        [s.numbers, ''],
        [s.mixNumbers ?? [], ' (in a species mixture)'],
      ] as const) {
        const z = Array.from(zs).find((zk) => this.row(zk) < 0);
        if (z !== undefined)
          throw new InputError(
            `${context.prefix ?? ''}element ${symbol(z)}${what} (structure ${s.id}) is not in ${this.name}${context.suffix ?? ''}`,
          );
      }
    }
  }

  /** Rows of the batch's atoms and mixture entries, checked as `check` does. */
  rows(batch: GraphBatch): ElementRows {
    const crystal = (atom: number): string => batch.ids[batch.hostGraphOfAtom[atom]];
    const occ = batch.occupancy;
    // mixture entries first: a species that only occurs in a mixture is named as such
    const mixture = occ
      ? this.checkAll(
          occ.hostMixNumbers,
          (k) => crystal(occ.hostMixNode[k]),
          () => ' (in a species mixture)',
        )
      : null;
    const first = new Int32Array(batch.numGraphs);
    for (let g = 1; g < batch.numGraphs; g++) first[g] = first[g - 1] + batch.atomsPerGraph[g - 1];
    const site = (k: number): string => (this.namesSites ? ` (site ${k - first[batch.hostGraphOfAtom[k]]})` : '');
    const atoms = this.checkAll(batch.hostNumbers, crystal, site);
    return { atoms: tf.tensor1d(atoms, 'int32'), mixture: mixture && tf.tensor1d(mixture, 'int32') };
  }

  private checkAll(zs: ArrayLike<number>, where: (k: number) => string, what: (k: number) => string): Int32Array {
    const rows = new Int32Array(zs.length);
    for (let k = 0; k < zs.length; k++) {
      rows[k] = this.row(zs[k]);
      if (rows[k] < 0)
        throw new InputError(`${where(k)}: element ${symbol(zs[k])}${what(k)} is not in ${this.name} (Z=${zs[k]})`);
    }
    return rows;
  }
}
