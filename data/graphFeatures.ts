/**
 * Graph-level inputs read from a CIF, for a model's head (`data.graph_features`): what the OBELiX random forest
 * learns most from, given to a graph model beside its learned atom features.
 *
 *   composition  [94]  atomic fraction of each element H…Pu in the CIF's *unrounded* composition
 *                      (Σ_sites occupancy per element / Σ_sites total occupancy), so the Li content that the
 *                      occupancy rounding removes is still seen; intensive (a supercell gives the same vector)
 *   space_group  [8]   n / 230 and a one-hot of the crystal system (triclinic … cubic) from `_symmetry_Int_Tables_number`
 *                      (or `_space_group_IT_number`)
 *   z            [1]   ln Z, Z = `_cell_formula_units_Z`
 *   cell_composition [94] ln(1 + n) for the number n of atoms of each element in the CIF's unit cell (Σ occupancies).
 *                      Extensive on purpose: it is what the OBELiX table's composition columns hold (the deposited
 *                      cell's content), and what the random forest splits on; a supercell changes it
 *
 * Fixed-size encodings with no fitted scaler: a checkpoint needs only the list of names to rebuild them.
 */
import { type CifBlock, cifError, parseCifBlocks } from './cifBlock.js';
import { cifNumber, parseCif, readCifText, selectStructureBlock } from './cif.js';
import { lookupElement } from './elements.js';
import { InputError } from './errors.js';
import type { Crystal } from './structure.js';

export const GRAPH_FEATURE_NAMES = ['composition', 'space_group', 'z', 'cell_composition'] as const;
export type GraphFeatureName = (typeof GRAPH_FEATURE_NAMES)[number];

/** Elements of the composition block: Z = 1 … 94. */
export const COMPOSITION_ELEMENTS = 94;

/** First space-group number of each crystal system after triclinic (1–2): monoclinic … cubic. */
const CRYSTAL_SYSTEM_STARTS = [3, 16, 75, 143, 168, 195] as const;

const SIZES: Record<GraphFeatureName, number> = {
  composition: COMPOSITION_ELEMENTS,
  space_group: 8,
  z: 1,
  cell_composition: COMPOSITION_ELEMENTS,
};

/** Length of the feature vector for these names (0 for none). */
export function graphFeatureSize(names: readonly GraphFeatureName[]): number {
  return names.reduce((n, name) => n + SIZES[name], 0);
}

/** What the features need besides the sites. */
export interface CifGraphInfo {
  spaceGroup?: number;
  formulaUnits?: number;
}

function optionalNumber(block: CifBlock, tags: readonly string[]): number | undefined {
  for (const tag of tags) {
    const col = block.columns.get(tag.toLowerCase());
    if (col?.values.length !== 1 || col.values[0].missing) continue;
    return cifNumber(col.values[0], col.tag, block.source);
  }
  return undefined;
}

/** Space-group number and Z of the CIF's structure block (the one parseCif reads), where present. */
export function cifGraphInfo(text: string, source: string): CifGraphInfo {
  const quiet = (): void => {}; // parseCif has warned about this text already
  const block = selectStructureBlock(parseCifBlocks(text, source, quiet), source, { warn: quiet });
  const spaceGroup = optionalNumber(block, [
    '_symmetry_Int_Tables_number',
    '_space_group_IT_number',
    '_space_group.IT_number',
  ]);
  const formulaUnits = optionalNumber(block, ['_cell_formula_units_Z']);
  if (spaceGroup !== undefined && !(Number.isInteger(spaceGroup) && spaceGroup >= 1 && spaceGroup <= 230)) {
    throw cifError(source, block.line, `space-group number ${spaceGroup} is not an integer in 1..230`);
  }
  if (formulaUnits !== undefined && !(formulaUnits > 0))
    throw cifError(source, block.line, `_cell_formula_units_Z = ${formulaUnits} must be positive`);
  return { spaceGroup, formulaUnits };
}

/** 0 = triclinic, 1 monoclinic, 2 orthorhombic, 3 tetragonal, 4 trigonal, 5 hexagonal, 6 cubic. */
export function crystalSystem(spaceGroup: number): number {
  let k = 0;
  while (k < CRYSTAL_SYSTEM_STARTS.length && spaceGroup >= CRYSTAL_SYSTEM_STARTS[k]) k++;
  return k;
}

/** Number of atoms [94] of each element H…Pu in the crystal's cell, unrounded (Σ_sites occupancy). */
export function cellComposition(crystal: Crystal, source: string): Float64Array {
  const x = new Float64Array(COMPOSITION_ELEMENTS);
  for (const site of crystal.sites) {
    for (const { element, occupancy } of site.species) {
      const z = lookupElement(element);
      if (z < 1 || z > COMPOSITION_ELEMENTS)
        throw new InputError(
          `${source}: element ${element} is outside the ${COMPOSITION_ELEMENTS} composition features (H…Pu)`,
        );
      x[z - 1] += occupancy;
    }
  }
  return x;
}

/** Atomic fractions [94] of the crystal's unrounded composition. */
export function compositionFractions(crystal: Crystal, source: string): Float64Array {
  const x = cellComposition(crystal, source);
  const total = x.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new InputError(`${source}: no occupied site, so no composition`);
  for (let k = 0; k < x.length; k++) x[k] /= total;
  return x;
}

/** The named features, concatenated in the order given. `source` names the file in errors. */
export function graphFeatures(
  crystal: Crystal,
  info: CifGraphInfo,
  names: readonly GraphFeatureName[],
  source: string,
): Float32Array {
  const out = new Float32Array(graphFeatureSize(names));
  let at = 0;
  for (const name of names) {
    if (name === 'composition') {
      out.set(compositionFractions(crystal, source), at);
    } else if (name === 'space_group') {
      if (info.spaceGroup === undefined)
        throw new InputError(
          `${source}: data.graph_features has space_group, but the CIF has no _symmetry_Int_Tables_number or _space_group_IT_number`,
        );
      out[at] = info.spaceGroup / 230;
      out[at + 1 + crystalSystem(info.spaceGroup)] = 1;
    } else if (name === 'cell_composition') {
      out.set(cellComposition(crystal, source).map(Math.log1p), at);
    } else {
      if (info.formulaUnits === undefined)
        throw new InputError(`${source}: data.graph_features has z, but the CIF has no _cell_formula_units_Z`);
      out[at] = Math.log(info.formulaUnits);
    }
    at += SIZES[name];
  }
  return out;
}

/** The graph-level features of a CIF, given its text and its parsed crystal (`source` names it in errors). */
export function cifTextGraphFeatures(
  text: string,
  crystal: Crystal,
  names: readonly GraphFeatureName[],
  source: string,
): Float32Array {
  return graphFeatures(crystal, cifGraphInfo(text, source), names, source);
}

/** Reads a CIF and returns its graph-level features. */
export function cifGraphFeatures(path: string, names: readonly GraphFeatureName[]): Float32Array {
  const text = readCifText(path);
  return cifTextGraphFeatures(text, parseCif(text, path), names, path);
}
