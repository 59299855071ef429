/**
 * SchNet (Schütt et al., J. Chem. Phys. 148, 241722 (2018)) as in SchNetPack 2.x
 * (`schnetpack/representation/schnet.py` @ v2.2.0), with SchNetPack's `Atomwise` head.
 *
 *   x⁰_i = Embedding(Z_i)                                   [N, F], table of 100 rows indexed by Z
 *          (occupancy mode: Σ_s w_is Embedding(Z_s), messages × o_j, pooling weighted by o_i; layers/occupancy.ts)
 *   W_ij = Dense(ssp(Dense(φ(d_ij)))) · f_c(d_ij)             [E, F], φ = 20 Gaussians on [0, r_c]
 *   v_i  = f2out( Σ_j in2f(x)_j ⊙ W_ij ),  f2out = Dense(ssp(Dense(·)))
 *   x_i ← x_i + v_i                                          (T interaction blocks)
 *   y    = mean_i MLP(x_i)    (aggregation "avg", as OBELiX) or sum
 * Messages flow from neighbor j into centre i (`EdgeFlow.toCentre`, layers/flow.ts). Distances in Å.
 * Weight names are SchNetPack's state-dict keys (`representation.interactions.0.filter_network.0.weight`,
 * `output_modules.0.outnet.0.weight`), so converted SchNetPack checkpoints load as they are.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { GraphBatch } from '../graph/batch.js';
import { CosineCutoff } from './layers/cutoff.js';
import { Dense } from './layers/dense.js';
import { Embedding } from './layers/embedding.js';
import { Mlp } from './layers/mlp.js';
import { Module, ModuleList, replicate } from './layers/module.js';
import { EdgeFlow } from './layers/flow.js';
import { mixEmbedding } from './layers/occupancy.js';
import { pairDistances, toEdges } from './layers/pairs.js';
import { GaussianRBF } from './layers/radial.js';
import { AtomwiseModel } from './atomwiseModel.js';
import { graphAsWritten } from './graphNeeds.js';
import type { ModelEntry } from './registry.js';

export const SchNetOptions = z
  .object({
    name: z.literal('schnet'),
    n_atom_basis: z.number().int().positive().default(128),
    n_interactions: z.number().int().positive().default(6),
    /** Filter width; upstream falls back to n_atom_basis. */
    n_filters: z.number().int().positive().optional(),
    n_rbf: z.number().int().min(2).default(20),
    shared_interactions: z.boolean().default(false),
    /** `mean` = SchNetPack aggregation_mode "avg" (intensive targets), `sum` for extensive ones. */
    aggregation: z.enum(['sum', 'mean']).default('mean'),
  })
  .strict();
export type SchNetOptions = z.infer<typeof SchNetOptions>;

/**
 * Shared geometry of the SchNetPack representations: Gaussian expansion [P, n_rbf] and cosine cutoff [P, 1] of
 * the distances of the undirected pairs (`toEdges` maps per-pair filters onto the directed edges).
 */
export interface RadialFeatures {
  rbf: tf.Tensor2D;
  cutoff: tf.Tensor2D;
}

/** One continuous-filter convolution block: v_i = f2out(Σ_j in2f(x)_j ⊙ W(φ(d_ij))·f_c(d_ij)). */
export class SchNetInteraction extends Module {
  static override className = 'SchNetInteraction';
  private readonly in2f: Dense;
  private readonly filterNetwork: Mlp;
  private readonly f2out: Mlp;

  constructor(nAtomBasis: number, nRbf: number, nFilters: number) {
    super();
    this.in2f = this.child('in2f', new Dense(nAtomBasis, nFilters, { bias: false }));
    this.f2out = this.child('f2out', new Mlp([nFilters, nAtomBasis, nAtomBasis], 'ssp'));
    this.filterNetwork = this.child('filter_network', new Mlp([nRbf, nFilters, nFilters], 'ssp'));
  }

  apply(x: tf.Tensor2D, batch: GraphBatch, flow: EdgeFlow, radial: RadialFeatures): tf.Tensor2D {
    const w = toEdges(tf.mul(this.filterNetwork.apply(radial.rbf, { inputGrad: false }), radial.cutoff), batch);
    return this.f2out.apply(flow.convolve(this.in2f.apply(x) as tf.Tensor2D, w)) as tf.Tensor2D;
  }
}

export class SchNetRepresentation extends Module {
  static override className = 'SchNet';
  private readonly embedding: Embedding;
  private readonly radialBasis: GaussianRBF;
  private readonly cutoffFn: CosineCutoff;
  private readonly interactions: ModuleList<SchNetInteraction>;

  constructor(
    readonly o: SchNetOptions,
    readonly cutoff: number,
  ) {
    super();
    const nFilters = o.n_filters ?? o.n_atom_basis;
    this.radialBasis = this.child('radial_basis', new GaussianRBF(o.n_rbf, cutoff));
    this.cutoffFn = this.child('cutoff_fn', new CosineCutoff(cutoff));
    this.embedding = this.child('embedding', new Embedding(100, o.n_atom_basis));
    const blocks = replicate(
      () => new SchNetInteraction(o.n_atom_basis, o.n_rbf, nFilters),
      o.n_interactions,
      o.shared_interactions,
    );
    this.interactions = this.child('interactions', new ModuleList(blocks));
  }

  /** Atom features x [N, F] after the interaction blocks. */
  apply(batch: GraphBatch): tf.Tensor2D {
    const radial = radialFeatures(batch, this.radialBasis, this.cutoffFn);
    const flow = EdgeFlow.toCentre(batch);
    let x = mixEmbedding((z) => this.embedding.apply(z), batch);
    for (const block of this.interactions) x = tf.add(x, block.apply(x, batch, flow, radial));
    return x;
  }
}

/** Radial basis and cutoff of the pair distances, shared by every block (and by PaiNN). */
export function radialFeatures(batch: GraphBatch, basis: GaussianRBF, cutoffFn: CosineCutoff): RadialFeatures {
  const d = pairDistances(batch);
  return { rbf: basis.apply(d), cutoff: tf.expandDims(cutoffFn.apply(d), 1) as tf.Tensor2D };
}

/** SchNet representation + Atomwise head, under SchNetPack's state-dict keys. */
export class SchNet extends AtomwiseModel<SchNetRepresentation> {
  constructor(
    readonly o: SchNetOptions,
    cutoff: number,
    graphFeatures = 0,
  ) {
    super('schnet', new SchNetRepresentation(o, cutoff), o.n_atom_basis, o.aggregation, o, graphFeatures);
  }
}

export const schnetEntry: ModelEntry<typeof SchNetOptions, SchNet> = {
  name: 'schnet',
  description: 'SchNet (SchNetPack 2.x) with an Atomwise head',
  schema: SchNetOptions,
  version: 1,
  graph: (_o, g) => graphAsWritten(g),
  build: (o: SchNetOptions, ctx) => new SchNet(o, ctx.cutoff, ctx.graphFeatures).initialize(ctx.seed),
};
