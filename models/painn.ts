/**
 * PaiNN (Schütt, Unke, Gastegger, ICML 2021) as in SchNetPack 2.x (`schnetpack/representation/painn.py` @ v2.2.0),
 * with SchNetPack's `Atomwise` head (docs/architectures.md §4).
 *
 *   q⁰_i = Embedding(Z_i) [N, F],  μ⁰_i = 0 [N, 3, F];  u_ij = r_ij / d_ij,  Φ = Dense(φ(d_ij)) · f_c(d_ij) [E, T·3F]
 *   (occupancy mode: q⁰_i = Σ_s w_is Embedding(Z_s), every message × o_j, pooling weighted by o_i; layers/occupancy.ts)
 *   message t:  [Δq | Δμ_R | Δμ_μ]_ij = Φ_t,ij ⊙ MLP(q)_j           (MLP = Dense(F→F), SiLU, Dense(F→3F))
 *               q_i += Σ_j Δq_ij;   μ_i += Σ_j (Δμ_R,ij · u_ij + Δμ_μ,ij ⊙ μ_j)
 *   mixing t:   [V | W] = μ·U (U [F, 2F], no bias);  ‖V‖ = √(Σ_xyz V² + ε)
 *               [a_ss | a_vv | a_sv] = MLP([q, ‖V‖])            (Dense(2F→F), SiLU, Dense(F→3F))
 *               μ += a_vv ⊙ W;   q += a_ss + a_sv ⊙ Σ_xyz V ⊙ W
 *   y = mean_i (or Σ_i) Atomwise(q_i)
 * Messages flow from neighbor j into centre i (`EdgeFlow.toCentre`, layers/flow.ts); φ = 20 Gaussians on [0, r_c], f_c cosine. Å.
 * Weight names are SchNetPack's state-dict keys (`representation.filter_net.weight`,
 * `representation.interactions.0.interatomic_context_net.0.weight`, `representation.mixing.0.mu_channel_mix.weight`).
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
import { sumComponents } from './layers/ops.js';
import { pairDistances, toEdges } from './layers/pairs.js';
import { GaussianRBF } from './layers/radial.js';
import { AtomwiseModel } from './atomwiseModel.js';
import { graphAsWritten } from './graphNeeds.js';
import type { ModelEntry } from './registry.js';

export const PaiNNOptions = z
  .object({
    name: z.literal('painn'),
    n_atom_basis: z.number().int().positive().default(128),
    n_interactions: z.number().int().positive().default(3),
    n_rbf: z.number().int().min(2).default(20),
    /** One message and one mixing block reused T times. */
    shared_interactions: z.boolean().default(false),
    /** One filter Dense(n_rbf → 3F) for every block instead of Dense(n_rbf → T·3F) split in T chunks. */
    shared_filters: z.boolean().default(false),
    /** Added under the square root of ‖V‖ (stabilises its gradient at V = 0). */
    epsilon: z.number().positive().default(1e-8),
    /** `mean` = SchNetPack aggregation_mode "avg" (intensive targets), `sum` for extensive ones. */
    aggregation: z.enum(['sum', 'mean']).default('mean'),
  })
  .strict();
export type PaiNNOptions = z.infer<typeof PaiNNOptions>;

/** Per-edge geometry shared by the blocks. */
interface EdgeGeometry {
  /** [E, 3] unit vectors from centre i to neighbor j. */
  u: tf.Tensor2D;
}

/** Scalar and vector atom features. */
export interface PaiNNFeatures {
  /** [N, F] scalars. */
  q: tf.Tensor2D;
  /** [N, 3, F] vectors (Cartesian x, y, z on axis 1); they rotate with the input. */
  mu: tf.Tensor3D;
}

const splitLast = (x: tf.Tensor, n: number): tf.Tensor[] => tf.split(x, n, x.rank - 1);

/** Message block: continuous filters on the neighbors' context, summed into the centre. */
export class PaiNNInteraction extends Module {
  static override className = 'PaiNNInteraction';
  private readonly context: Mlp;

  constructor(readonly nAtomBasis: number) {
    super();
    this.context = this.child('interatomic_context_net', new Mlp([nAtomBasis, nAtomBasis, 3 * nAtomBasis], 'silu'));
  }

  /** filters Φ_t [E, 3F]; the message sums Σ_j Δq_ij and Σ_j Δμ_ij come from `EdgeFlow.equivariantMessage`. */
  apply(s: PaiNNFeatures, filters: tf.Tensor2D, flow: EdgeFlow, geo: EdgeGeometry): PaiNNFeatures {
    const message = flow.equivariantMessage(this.context.apply(s.q) as tf.Tensor2D, filters, s.mu, geo.u);
    return {
      q: tf.add(s.q, message.scalar),
      mu: tf.add(s.mu, message.vector),
    };
  }
}

/** Mixing block: per-atom coupling of scalars and vectors through the channel mix U and ‖V‖. */
export class PaiNNMixing extends Module {
  static override className = 'PaiNNMixing';
  private readonly context: Mlp;
  private readonly muChannelMix: Dense;

  constructor(
    readonly nAtomBasis: number,
    readonly epsilon: number,
  ) {
    super();
    const f = nAtomBasis;
    this.context = this.child('intraatomic_context_net', new Mlp([2 * f, f, 3 * f], 'silu'));
    this.muChannelMix = this.child('mu_channel_mix', new Dense(f, 2 * f, { bias: false }));
  }

  apply(s: PaiNNFeatures): PaiNNFeatures {
    const [v, w] = splitLast(this.muChannelMix.apply(s.mu), 2);
    const vNorm = tf.sqrt(tf.add(sumComponents(tf.square(v)), this.epsilon));
    const [ass, avv, asv] = splitLast(this.context.apply(tf.concat([s.q, vNorm], 1)), 3);
    return {
      q: tf.add(s.q, tf.add(ass, tf.mul(asv, sumComponents(tf.mul(v, w))))),
      mu: tf.add(s.mu, tf.mul(tf.expandDims(avv, 1), w)),
    };
  }
}

export class PaiNNRepresentation extends Module {
  static override className = 'PaiNN';
  private readonly embedding: Embedding;
  private readonly radialBasis: GaussianRBF;
  private readonly cutoffFn: CosineCutoff;
  private readonly filterNet: Dense;
  private readonly interactions: ModuleList<PaiNNInteraction>;
  private readonly mixing: ModuleList<PaiNNMixing>;

  constructor(
    readonly o: PaiNNOptions,
    readonly cutoff: number,
  ) {
    super();
    const f = o.n_atom_basis;
    const t = o.n_interactions;
    this.cutoffFn = this.child('cutoff_fn', new CosineCutoff(cutoff));
    this.radialBasis = this.child('radial_basis', new GaussianRBF(o.n_rbf, cutoff));
    this.embedding = this.child('embedding', new Embedding(100, f));
    this.filterNet = this.child('filter_net', new Dense(o.n_rbf, (o.shared_filters ? 1 : t) * 3 * f));
    this.interactions = this.child(
      'interactions',
      new ModuleList(replicate(() => new PaiNNInteraction(f), t, o.shared_interactions)),
    );
    this.mixing = this.child(
      'mixing',
      new ModuleList(replicate(() => new PaiNNMixing(f, o.epsilon), t, o.shared_interactions)),
    );
  }

  /** Scalars q [N, F] and vectors μ [N, 3, F] after every block. */
  features(batch: GraphBatch): PaiNNFeatures {
    const f = this.o.n_atom_basis;
    // Φ depends on d alone: computed once per undirected pair, then gathered to both directed edges.
    const d = pairDistances(batch);
    const fc = tf.expandDims(this.cutoffFn.apply(d), 1);
    const filters = toEdges(
      tf.mul(this.filterNet.apply(this.radialBasis.apply(d), { inputGrad: false }), fc) as tf.Tensor2D,
      batch,
    );
    // One chunk needs no split (and tf.split into 1 has no usable gradient in TF.js 4.22).
    const chunks =
      this.o.shared_filters || this.o.n_interactions === 1 ? [] : tf.split(filters, this.o.n_interactions, 1);
    const geo = { u: tf.div(batch.vectors, tf.expandDims(batch.distances, 1)) as tf.Tensor2D };
    const flow = EdgeFlow.toCentre(batch);
    let s: PaiNNFeatures = {
      q: mixEmbedding((z) => this.embedding.apply(z), batch),
      mu: tf.zeros([batch.numAtoms, 3, f]) as tf.Tensor3D,
    };
    for (let k = 0; k < this.o.n_interactions; k++) {
      s = this.interactions.at(k).apply(s, (chunks[k] ?? filters) as tf.Tensor2D, flow, geo);
      s = this.mixing.at(k).apply(s);
    }
    return s;
  }

  /** Scalar representation q [N, F] (the Atomwise input). */
  apply(batch: GraphBatch): tf.Tensor2D {
    return this.features(batch).q;
  }
}

/** PaiNN representation + Atomwise head, under SchNetPack's state-dict keys. */
export class PaiNN extends AtomwiseModel<PaiNNRepresentation> {
  constructor(
    readonly o: PaiNNOptions,
    cutoff: number,
    graphFeatures = 0,
  ) {
    super('painn', new PaiNNRepresentation(o, cutoff), o.n_atom_basis, o.aggregation, o, graphFeatures);
  }
}

export const painnEntry: ModelEntry<typeof PaiNNOptions, PaiNN> = {
  name: 'painn',
  description: 'PaiNN (SchNetPack 2.x) with an Atomwise head',
  schema: PaiNNOptions,
  version: 1,
  graph: (_o, g) => graphAsWritten(g),
  build: (o: PaiNNOptions, ctx) => new PaiNN(o, ctx.cutoff, ctx.graphFeatures).initialize(ctx.seed),
};
