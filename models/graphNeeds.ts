/**
 * What a model needs from the graph, derived from its own options (each registry entry's `graph`), and the rules
 * that tie the config's `graph:` section to them. A value the model determines need not be written under
 * `graph:`; where it is written, it must agree, or validation names both keys (train/config.ts `validateConfig`).
 */
import { lookupElement } from '../data/elements.js';

/** The `graph:` section as written (the cutoff defaults to 5 Å, the other keys are optional). */
export interface GraphSection {
  cutoff: number;
  max_neighbors?: number;
  threebody_cutoff?: number;
}

/** The neighbor graph a model is trained on, with the element table it embeds (null = any element). */
export interface GraphNeeds {
  cutoff: number;
  max_neighbors?: number;
  threebody_cutoff?: number;
  element_types: readonly string[] | null;
}

/** A `graph:` key that contradicts the model section; `validateConfig` turns it into one InputError. */
export class GraphConflict extends Error {}

/** Models whose graph is whatever `graph:` says (SchNet, PaiNN): every neighbor within the cutoff by default. */
export function graphAsWritten(g: GraphSection): GraphNeeds {
  return { ...withoutUndefined(g), element_types: null };
}

/** `graph.<key>`, when written, must equal the model option `model.<modelKey>` that determines it. */
export function mustEqual(
  g: GraphSection,
  key: 'max_neighbors' | 'threebody_cutoff',
  derived: number,
  modelKey: string,
  why: string,
): number {
  const written = g[key];
  if (written !== undefined && written !== derived) {
    throw new GraphConflict(
      `graph.${key} = ${written} contradicts model.${modelKey} = ${derived} (${why}); write only model.${modelKey}`,
    );
  }
  return derived;
}

/**
 * M3GNet's line graph: by default built at the three-body envelope r₃ (`model.threebody_cutoff`). A written
 * `graph.threebody_cutoff` may be larger, or stop at the graph cutoff (the envelope sees no longer edges, as
 * upstream, where the line graph comes from a fixed graph), but a line graph shorter than both would drop
 * triplets the envelope weights.
 */
export function lineGraphCutoff(g: GraphSection, envelope: number, graphCutoff: number): number {
  const written = g.threebody_cutoff;
  if (written === undefined) return envelope;
  if (written < Math.min(envelope, graphCutoff)) {
    throw new GraphConflict(
      `graph.threebody_cutoff = ${written} Å is shorter than model.threebody_cutoff = ${envelope} Å: the line graph would miss triplets the three-body envelope weights (leave graph.threebody_cutoff out: it follows model.threebody_cutoff)`,
    );
  }
  return written;
}

/** A model's element table (`model.element_types`): element symbols, each once. */
export function elementTable(symbols: readonly string[]): readonly string[] {
  symbols.forEach((symbol, k) => {
    if (lookupElement(symbol) === 0)
      throw new GraphConflict(`model.element_types[${k}]: "${symbol}" is not an element symbol`);
    if (symbols.indexOf(symbol) !== k) throw new GraphConflict(`model.element_types: ${symbol} is listed twice`);
  });
  return symbols;
}

function withoutUndefined(g: GraphSection): GraphSection {
  return Object.fromEntries(Object.entries(g).filter(([, v]) => v !== undefined)) as unknown as GraphSection;
}
