/**
 * M3GNet (Chen & Ong, Nat. Comput. Sci. 2, 718 (2022)) as MatGL's intensive property model
 * (`matgl/models/_m3gnet.py` @ e9cde22, DGL backend, no state; docs/architectures.md §6):
 *
 *   v⁰_i = Embedding(element index of i)                     [N, D_n], rows = `element_types` (not Z)
 *   b_ij = √(2/r_c³)·j_l(z_ln·d̃_ij/r_c)/|j_{l+1}(z_ln)|        [E, 9], l-major, d̃ = min(d, r_c)
 *   e⁰_ij = SiLU(Linear(b_ij))                                [E, D_e]
 *   per block:
 *     three-body  ẽ_{e1} = Σ_{(e1,e2)} b(r_k)·Y_l⁰(cos θ) ⊙ σ(W_α v)_{end of e_k} · f₃(r_e1) f₃(r_e2)
 *                 e ← e + SiLU(ẽA) ⊙ σ(ẽG)
 *     edge        e ← e + GMLP_e([v_s, v_d, e]) ⊙ (b·W_e)
 *     node        v_d ← v_d + Σ_{edges s→d} GMLP_v([v_s, v_d, e]) ⊙ (b·W_v)     (summed into the DESTINATION)
 *   y = MLP(Set2Set(v))                                      [B], SiLU between, intensive
 *
 * Triplets (e1 = i→j receives, e2 = i→k) come from the line graph (`graph.threebody_cutoff`, graph/lineGraph.ts),
 * f₃ = polynomial envelope (p = 3) on r₃ = `threebody_cutoff`. `three_body_convention`: `current` (MatGL since
 * 2023-08-28, default) takes r_k and the gating atom from the other edge e2; `legacy` from e1 itself, which is what
 * the MP-2018.6.1-Eform weights were trained with (docs/checkpoints.md; MatGL pretrained_models/M3GNet-MP-2018.6.1-Eform).
 * The graph must contain every edge ≤ `cutoff` and every triplet ≤ `threebody_cutoff` (extra ones contribute 0).
 * Weight names are MatGL's state-dict keys without the `model.` wrapper prefix. Å in; output in target units.
 * Occupancy mode (layers/occupancy.ts): v⁰ mixes the species' embeddings, node messages are scaled by the sender's
 * occupancy o_s, the three-body gate σ(W_α v) by the gating atom's occupancy, and Set2Set attends ∝ o_i.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { lookupElement } from '../data/elements.js';
import { InputError } from '../data/errors.js';
import type { GraphBatch } from '../graph/batch.js';
import { silu } from './layers/activations.js';
import { polynomialEnvelope } from './layers/cutoff.js';
import { Dense } from './layers/dense.js';
import { Embedding } from './layers/embedding.js';
import { GatedMlp } from './layers/gatedMlp.js';
import { Mlp } from './layers/mlp.js';
import { Module, ModuleList } from './layers/module.js';
import { ElementTable } from './layers/elementTable.js';
import { EdgeFlow } from './layers/flow.js';
import { mixEmbedding } from './layers/occupancy.js';
import { gather, segmentSum } from './layers/ops.js';
import { sphericalBesselBasis } from './layers/radial.js';
import { withGraphFeatures } from './layers/readout.js';
import { Set2Set } from './layers/set2set.js';
import { zonalHarmonics } from './layers/sphericalHarmonics.js';
import type { FeatureModel } from './model.js';
import { graphAsWritten, lineGraphCutoff } from './graphNeeds.js';
import type { ModelEntry } from './registry.js';

/** MatGL's DEFAULT_ELEMENTS: H … Bi, then Ac, Th, Pa, U, Np, Pu (89; no Po–Ra). */
export const DEFAULT_ELEMENTS: readonly string[] = Object.freeze([
  'H',
  'He',
  'Li',
  'Be',
  'B',
  'C',
  'N',
  'O',
  'F',
  'Ne',
  'Na',
  'Mg',
  'Al',
  'Si',
  'P',
  'S',
  'Cl',
  'Ar',
  'K',
  'Ca',
  'Sc',
  'Ti',
  'V',
  'Cr',
  'Mn',
  'Fe',
  'Co',
  'Ni',
  'Cu',
  'Zn',
  'Ga',
  'Ge',
  'As',
  'Se',
  'Br',
  'Kr',
  'Rb',
  'Sr',
  'Y',
  'Zr',
  'Nb',
  'Mo',
  'Tc',
  'Ru',
  'Rh',
  'Pd',
  'Ag',
  'Cd',
  'In',
  'Sn',
  'Sb',
  'Te',
  'I',
  'Xe',
  'Cs',
  'Ba',
  'La',
  'Ce',
  'Pr',
  'Nd',
  'Pm',
  'Sm',
  'Eu',
  'Gd',
  'Tb',
  'Dy',
  'Ho',
  'Er',
  'Tm',
  'Yb',
  'Lu',
  'Hf',
  'Ta',
  'W',
  'Re',
  'Os',
  'Ir',
  'Pt',
  'Au',
  'Hg',
  'Tl',
  'Pb',
  'Bi',
  'Ac',
  'Th',
  'Pa',
  'U',
  'Np',
  'Pu',
]);

export const M3GNetOptions = z
  .object({
    name: z.literal('m3gnet'),
    /** Embedding row i = element_types[i]; one fixed list for training, validation and test. */
    element_types: z
      .array(z.string().refine((s) => lookupElement(s) > 0, { message: 'not an element symbol' }))
      .min(1)
      .refine((l) => new Set(l).size === l.length, { message: 'duplicate element' })
      .default([...DEFAULT_ELEMENTS]),
    dim_node_embedding: z.number().int().positive().default(64),
    dim_edge_embedding: z.number().int().positive().default(64),
    units: z.number().int().positive().default(64),
    nblocks: z.number().int().positive().default(3),
    max_n: z.number().int().positive().default(3),
    max_l: z.number().int().positive().default(3),
    /** r_c of the bases (Å); default: the graph cutoff. */
    cutoff: z.number().positive().optional(),
    /** r₃ of the three-body envelope (Å); the line graph must reach at least this far. */
    threebody_cutoff: z.number().positive().default(4),
    niters_set2set: z.number().int().positive().default(3),
    nlayers_set2set: z.number().int().positive().default(3),
    three_body_convention: z.enum(['current', 'legacy']).default('current'),
  })
  .strict();
export type M3GNetOptions = z.infer<typeof M3GNetOptions>;

/** Geometry shared by all blocks of one forward pass. */
export interface M3GNetGeometry {
  /** [E, 9] two-body basis. */
  rbf: tf.Tensor2D;
  /** [T, 9] b(r_k)·Y_l⁰(cos θ)·f₃(r_e1)·f₃(r_e2). */
  tripletBasis: tf.Tensor2D;
  /** [T] edge whose end atom gates the triplet (e2 current, e1 legacy). */
  gateEdge: tf.Tensor1D;
  /** [T] receiving edge e1. */
  receiver: tf.Tensor1D;
}

/** Three-body interaction (MatGL `ThreeBodyInteractions`): e ← e + SiLU(ẽA) ⊙ σ(ẽG). */
export class ThreeBodyInteraction extends Module {
  static override className = 'ThreeBodyInteractions';
  readonly atomGate: Dense;
  readonly bondUpdate: GatedMlp;

  constructor(dimNode: number, dimEdge: number, degree: number) {
    super();
    this.atomGate = this.child('update_network_atom.layers.0', new Dense(dimNode, degree, { init: 'torch' }));
    this.bondUpdate = this.child('update_network_bond', new GatedMlp([degree, dimEdge], false));
  }

  apply(v: tf.Tensor2D, e: tf.Tensor2D, g: M3GNetGeometry, batch: GraphBatch): tf.Tensor2D {
    const gate = tf.sigmoid(this.atomGate.apply(v)) as tf.Tensor2D; // [N, 9]
    const occ = batch.occupancy?.occupancy;
    const alpha = occ ? (tf.mul(gate, tf.expandDims(occ, 1)) as tf.Tensor2D) : gate;
    const alphaT = gather(gather(alpha, batch.dst), g.gateEdge); // end atom of the gating edge
    const aggregated = segmentSum(tf.mul(g.tripletBasis, alphaT) as tf.Tensor2D, g.receiver, batch.numEdges);
    return tf.add(e, this.bondUpdate.apply(aggregated)) as tf.Tensor2D;
  }
}

/** Graph convolution block (MatGL `M3GNetBlock` → `M3GNetGraphConv`): edge update, then node update. */
export class M3GNetBlock extends Module {
  static override className = 'M3GNetBlock';
  readonly edgeUpdate: GatedMlp;
  readonly edgeWeight: Dense;
  readonly nodeUpdate: GatedMlp;
  readonly nodeWeight: Dense;

  constructor(dimNode: number, dimEdge: number, units: number, degree: number) {
    super();
    const input = 2 * dimNode + dimEdge;
    this.edgeUpdate = this.child('conv.edge_update_func', new GatedMlp([input, units, units, dimEdge]));
    this.edgeWeight = this.child('conv.edge_weight_func', new Dense(degree, dimEdge, { bias: false, init: 'torch' }));
    this.nodeUpdate = this.child('conv.node_update_func', new GatedMlp([input, units, units, dimNode]));
    this.nodeWeight = this.child('conv.node_weight_func', new Dense(degree, dimNode, { bias: false, init: 'torch' }));
  }

  apply(v: tf.Tensor2D, e: tf.Tensor2D, g: M3GNetGeometry, flow: EdgeFlow): { v: tf.Tensor2D; e: tf.Tensor2D } {
    // [v_src | v_dst | e]: the node columns are multiplied per atom and then gathered (Dense.applyParts)
    const { sender, receiver } = flow.spec;
    const pair = (edges: tf.Tensor2D) => [{ x: v, index: sender }, { x: v, index: receiver }, { x: edges }];
    const eNew = tf.add(
      e,
      tf.mul(this.edgeUpdate.applyParts(pair(e)), this.edgeWeight.apply(g.rbf, { inputGrad: false })),
    ) as tf.Tensor2D;
    // The node update reads the updated edges and the old nodes, and the neighbor (destination) receives.
    const messages = tf.mul(
      this.nodeUpdate.applyParts(pair(eNew)),
      this.nodeWeight.apply(g.rbf, { inputGrad: false }),
    ) as tf.Tensor2D;
    return { v: tf.add(v, flow.sum(messages)) as tf.Tensor2D, e: eNew };
  }
}

/** Embeddings and blocks: node features [N, D_n]. */
export class M3GNetRepresentation extends Module {
  static override className = 'M3GNetRepresentation';
  readonly nodeEmbedding: Embedding;
  readonly edgeEmbedding: Dense;
  readonly threeBody: ModuleList<ThreeBodyInteraction>;
  readonly blocks: ModuleList<M3GNetBlock>;

  constructor(o: M3GNetOptions) {
    super();
    const degree = o.max_n * o.max_l;
    const range = Array.from({ length: o.nblocks });
    this.nodeEmbedding = this.child(
      'embedding.layer_node_embedding',
      new Embedding(o.element_types.length, o.dim_node_embedding),
    );
    this.edgeEmbedding = this.child(
      'embedding.layer_edge_embedding.layers.0',
      new Dense(degree, o.dim_edge_embedding, { init: 'torch' }),
    );
    this.threeBody = this.child(
      'three_body_interactions',
      new ModuleList(range.map(() => new ThreeBodyInteraction(o.dim_node_embedding, o.dim_edge_embedding, degree))),
    );
    this.blocks = this.child(
      'graph_layers',
      new ModuleList(range.map(() => new M3GNetBlock(o.dim_node_embedding, o.dim_edge_embedding, o.units, degree))),
    );
  }

  /** `rows`: embedding rows of the atoms [N] and, in occupancy mode, of the species-mixture entries [M]. */
  apply(rows: { atoms: tf.Tensor1D; mixture: tf.Tensor1D | null }, g: M3GNetGeometry, batch: GraphBatch): tf.Tensor2D {
    let v = mixEmbedding((r) => this.nodeEmbedding.apply(r), batch, rows);
    let e = silu(this.edgeEmbedding.apply(g.rbf, { inputGrad: false })) as tf.Tensor2D;
    const flow = EdgeFlow.toNeighbor(batch);
    for (let k = 0; k < this.blocks.length; k++) {
      e = this.threeBody.at(k).apply(v, e, g, batch);
      ({ v, e } = this.blocks.at(k).apply(v, e, g, flow));
    }
    return v;
  }
}

/**
 * Set2Set readout and MLP[2D_n, U, U, 1] (`readout.set2set`, `final_layer.layers.{0,2,4}`) → [B]. With graph-level
 * features (width G, `data.graph_features`) they are appended to the Set2Set vector: the MLP's first layer reads 2D_n + G.
 */
export class M3GNetHead extends Module {
  static override className = 'M3GNetHead';
  readonly set2set: Set2Set;
  readonly finalLayer: Mlp;

  constructor(
    o: M3GNetOptions,
    readonly graphFeatures = 0,
  ) {
    super();
    this.set2set = this.child(
      'readout.set2set',
      new Set2Set(o.dim_node_embedding, o.niters_set2set, o.nlayers_set2set),
    );
    this.finalLayer = this.child(
      'final_layer.layers',
      new Mlp([2 * o.dim_node_embedding + graphFeatures, o.units, o.units, 1], 'silu', { stride: 2, init: 'torch' }),
    );
  }

  apply(v: tf.Tensor2D, batch: GraphBatch): tf.Tensor1D {
    const crystal = withGraphFeatures(this.set2set.apply(v, batch), batch, this.graphFeatures, 'graphs');
    return tf.reshape(this.finalLayer.apply(crystal), [-1]) as tf.Tensor1D;
  }
}

export class M3GNet extends Module implements FeatureModel {
  static override className = 'M3GNet';
  readonly kind = 'm3gnet';
  readonly representation: M3GNetRepresentation;
  readonly head: M3GNetHead;
  readonly cutoff: number;
  /** Z → embedding row (position in `element_types`). */
  private readonly elements: ElementTable;

  /** `graphCutoff` (Å) is the basis cutoff unless `options.cutoff` is given; `graphFeatures` as `M3GNetHead`. */
  constructor(
    readonly options: M3GNetOptions,
    graphCutoff: number,
    graphFeatures = 0,
  ) {
    super();
    this.cutoff = options.cutoff ?? graphCutoff;
    this.elements = ElementTable.fromSymbols(options.element_types, 'model.element_types');
    this.representation = new M3GNetRepresentation(options);
    this.head = new M3GNetHead(options, graphFeatures);
    // MatGL keys sit at the top level, so representation and head are grouping views over the same children.
    const r = this.representation;
    this.child('embedding.layer_node_embedding', r.nodeEmbedding);
    this.child('embedding.layer_edge_embedding.layers.0', r.edgeEmbedding);
    this.child('three_body_interactions', r.threeBody);
    this.child('graph_layers', r.blocks);
    this.child('readout.set2set', this.head.set2set);
    this.child('final_layer.layers', this.head.finalLayer);
  }

  /** Embedding rows of the batch's atoms; an element outside `element_types` is an InputError naming it. */
  elementIndex(batch: GraphBatch): tf.Tensor1D {
    return this.elements.rows(batch).atoms;
  }

  geometry(batch: GraphBatch): M3GNetGeometry {
    if (!batch.triplets)
      throw new InputError('m3gnet needs the three-body line graph: set graph.threebody_cutoff (e.g. 5.0)');
    const o = this.options;
    const { edgeA, edgeB } = batch.triplets;
    const rbf = sphericalBesselBasis(batch.distances, o.max_n, o.max_l, this.cutoff);
    const gateEdge = o.three_body_convention === 'current' ? edgeB : edgeA;
    const tripletBasis = tf.tidy(() => {
      const unit = tf.div(batch.vectors, tf.expandDims(batch.distances, 1)) as tf.Tensor2D;
      const cos = tf.clipByValue(
        tf.sum(tf.mul(gather(unit, edgeA), gather(unit, edgeB)), 1),
        -1 + 1e-7,
        1 - 1e-7,
      ) as tf.Tensor1D;
      const envelope = polynomialEnvelope(batch.distances, o.threebody_cutoff);
      const weight = tf.mul(gather(envelope, edgeA), gather(envelope, edgeB));
      // column l·max_n + n: j_n,l(r) of the gating edge × Y_l0(cos θ) × the two envelopes
      const angular = tf.mul(zonalHarmonics(cos, o.max_l - 1), tf.expandDims(weight, 1)); // [T, max_l]
      const radial = tf.reshape(gather(rbf, gateEdge), [-1, o.max_l, o.max_n]);
      return tf.reshape(tf.mul(radial, tf.expandDims(angular, 2)), [-1, o.max_l * o.max_n]) as tf.Tensor2D;
    });
    return { rbf, tripletBasis, gateEdge, receiver: edgeA };
  }

  features(batch: GraphBatch): tf.Tensor2D {
    return this.representation.apply(this.elements.rows(batch), this.geometry(batch), batch);
  }

  forward(batch: GraphBatch): tf.Tensor1D {
    return this.head.apply(this.features(batch), batch);
  }

  override getConfig(): Record<string, unknown> {
    return { ...this.options, cutoff: this.cutoff };
  }
}

export const m3gnetEntry: ModelEntry<typeof M3GNetOptions, M3GNet> = {
  name: 'm3gnet',
  description: 'M3GNet (MatGL, intensive, Set2Set readout) with a three-body line graph',
  schema: M3GNetOptions,
  version: 1,
  graph: (o, g) => ({
    ...graphAsWritten(g),
    threebody_cutoff: lineGraphCutoff(g, o.threebody_cutoff, g.cutoff),
    element_types: o.element_types,
  }),
  build: (o: M3GNetOptions, ctx) => new M3GNet(o, ctx.cutoff, ctx.graphFeatures).initialize(ctx.seed),
};
