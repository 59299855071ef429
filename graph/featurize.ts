/**
 * From dataset entries to graph samples: read the CIF, apply the occupancy rule, build the neighbor list in
 * float64, cast to the float32 sample the models consume. Graphs are built once per (structure, graph options)
 * and reused within the process.
 */
import { type CifReadOptions, parseCif, readCif, readCifText } from '../data/cif.js';
import { InputError } from '../data/errors.js';
import { cifGraphInfo, graphFeatures, type GraphFeatureName } from '../data/graphFeatures.js';
import { weightedAtoms, type WeightedAtoms } from '../data/occupancy.js';
import type { ObelixDataset, ObelixEntry } from '../data/obelix.js';
import { atomsToCrystal, roundOccupancies } from '../data/rounding.js';
import type { Atoms, Crystal } from '../data/structure.js';
import type { GraphSample } from './batch.js';
import { neighborOptions, sampleKey, type GraphSpec } from './spec.js';
import { knnGraph } from './knn.js';
import { lineGraph } from './lineGraph.js';
import { radiusGraph, type NeighborList } from './neighbors.js';
import { pairEdges } from './pairs.js';

export interface GraphOptions {
  cutoff: number;
  /** k nearest neighbors within the cutoff (CGCNN); undefined = all neighbors within the cutoff. */
  max_neighbors?: number;
  /** Also build M3GNet's three-body line graph with this cutoff (Å). */
  threebody_cutoff?: number;
}

export { graphKey } from './spec.js';

export function buildNeighbors(atoms: Atoms, o: GraphOptions): NeighborList {
  return o.max_neighbors ? knnGraph(atoms, o.max_neighbors, o.cutoff) : radiusGraph(atoms, o.cutoff);
}

/** `threebodyCutoff` (Å) adds the line graph (triplets) built from the float64 distances. */
export function toSample(atoms: Atoms, nl: NeighborList, target: number, threebodyCutoff?: number): GraphSample {
  const { edgePair, pairEdge } = pairEdges(nl, atoms.numbers.length);
  const pairDistances = new Float32Array(pairEdge.length);
  for (let p = 0; p < pairEdge.length; p++) pairDistances[p] = nl.distances[pairEdge[p]];
  const sample: GraphSample = {
    pairs: { edgePair, distances: pairDistances },
    id: atoms.id,
    numbers: atoms.numbers,
    src: nl.src,
    dst: nl.dst,
    vectors: Float32Array.from(nl.vectors),
    distances: Float32Array.from(nl.distances),
    target,
  };
  if (threebodyCutoff !== undefined)
    sample.triplets = lineGraph(nl.src, nl.distances, atoms.numbers.length, threebodyCutoff, { where: atoms.id });
  return sample;
}

/** `round`: the OBELiX rounding (data/rounding.ts); `weighted`: occupancy-weighted nodes (data/occupancy.ts). */
export type OccupancyMode = 'round' | 'weighted';

/** Adds a weighted structure's occupancy fields to its sample (left out when every node is one full atom). */
export function withOccupancy(sample: GraphSample, w: WeightedAtoms): GraphSample {
  const ordered = w.mixture.node.length === w.numbers.length && w.mixture.weights.every((x) => x === 1);
  if (ordered) return sample;
  return {
    ...sample,
    occupancy: Float32Array.from(w.occupancy),
    mixNode: w.mixture.node,
    mixNumbers: w.mixture.numbers,
    mixWeights: Float32Array.from(w.mixture.weights),
  };
}

/** The OBELiX rounding of a parsed CIF; a structure with no site left is an InputError naming `source`. */
function roundedAtoms(crystal: Crystal, source: string): Atoms {
  const atoms = roundOccupancies(crystal);
  if (atoms.numbers.length === 0) throw new InputError(`${source}: no site is left after occupancy rounding`);
  return atoms;
}

export function atomsFromCif(path: string, options: CifReadOptions = {}): Atoms {
  return roundedAtoms(readCif(path, options), path);
}

/** What decides a sample besides the structure: the neighbor graph, the occupancy rule, the graph-level inputs. */
export type FeaturizeOptions = GraphOptions & { occupancy: OccupancyMode; graph_features: readonly GraphFeatureName[] };

/**
 * One structure to featurise, from any dataset: the ordered atoms and/or the crystal as read (partial occupancies
 * kept), and the CIF text where there is one (space group and Z are read from its tags). `source` names it in errors.
 */
export interface StructureInput {
  atoms?: Atoms;
  crystal?: Crystal;
  cifText?: string;
  source: string;
}

/**
 * The one way a structure becomes a graph sample (OBELiX, jsonl and CIF-directory datasets alike): the occupancy
 * rule (`round`: OBELiX's rounding, or the given ordered atoms; `weighted`: occupancy-weighted nodes), the
 * neighbor list built in float64 as the options say, then the graph-level features.
 */
export function featurize(input: StructureInput, o: FeaturizeOptions, target = NaN): GraphSample {
  const crystal = (): Crystal => {
    if (input.crystal) return input.crystal;
    if (!input.atoms) throw new Error('featurize: a structure needs atoms or a crystal');
    return atomsToCrystal(input.atoms);
  };
  let s: GraphSample;
  if (o.occupancy === 'weighted') {
    const atoms = weightedAtoms(crystal(), { source: input.source });
    s = withOccupancy(toSample(atoms, buildNeighbors(atoms, o), target, o.threebody_cutoff), atoms);
  } else {
    const atoms = input.atoms ?? roundOccupancies(crystal());
    if (atoms.numbers.length === 0) throw new InputError(`${input.source}: no site is left after occupancy rounding`);
    s = toSample(atoms, buildNeighbors(atoms, o), target, o.threebody_cutoff);
  }
  if (o.graph_features.length) {
    const info = input.cifText === undefined ? {} : cifGraphInfo(input.cifText, input.source);
    s = { ...s, graphFeatures: graphFeatures(crystal(), info, o.graph_features, input.source) };
  }
  return s;
}

const cache = new Map<string, GraphSample>();

/**
 * Sample for one CIF file (cached per path, graph options, occupancy mode and graph-level features); `features`
 * adds the CIF's graph-level inputs (data/graphFeatures.ts).
 */
export function sampleFromCif(
  path: string,
  o: GraphOptions,
  target = NaN,
  occupancy: OccupancyMode = 'round',
  features: readonly GraphFeatureName[] = [],
): GraphSample {
  const options: FeaturizeOptions = { ...neighborOptions(o), occupancy, graph_features: features };
  const key = `${path}|${sampleKey(options)}`;
  let s = cache.get(key);
  if (!s) {
    const text = readCifText(path);
    s = featurize({ crystal: parseCif(text, path), cifText: text, source: path }, options);
    cache.set(key, s);
  }
  return { ...s, target };
}

/** Sample for one CIF file as a run's graph spec says (neighbor graph, occupancy rule, graph-level features). */
export function sampleFor(path: string, spec: GraphSpec, target = NaN): GraphSample {
  return sampleFromCif(path, spec, target, spec.occupancy, spec.graph_features);
}

/** The graph samples of some OBELiX entries under a run config's graph spec. */
export function samplesFor(ds: ObelixDataset, entries: ObelixEntry[], config: { spec: GraphSpec }): GraphSample[] {
  return entries.map((e) => sampleFor(ds.cifPath(e.id), config.spec, e.target));
}
