/**
 * CGCNN (Xie & Grossman, Phys. Rev. Lett. 120, 145301 (2018)) as in txie-93/cgcnn `cgcnn/model.py` @ f42ab23
 * (docs/architectures.md §1):
 *
 *   h⁰_i = Linear(92 → F)(a_{Z_i})                    a = atom_init.json row of element Z_i (data/atomInit.ts)
 *   u_ij = exp(−(d_ij − μ_k)² / σ²)                    41 Gaussians, μ_k = k·0.2 Å, σ = 0.2 Å
 *   [f | c]_ij = bn1(fc_full([h_i, h_j, u_ij]))        [M, 2F], self first, then neighbor, then bond
 *   h_i ← softplus(h_i + bn2(Σ_j σ(f_ij) ⊙ softplus(c_ij)))   (n_conv layers)
 *   y = fc_out(… softplus(conv_to_fc(softplus(mean_i h_i))) …)   (n_h − 1 hidden `fcs`)
 *
 * Neighbors: the k-NN graph (`graph: {cutoff: 8, max_neighbors: 12}`), summed into the centre i (`src`).
 * Padding is done here, in the model: an atom with m_i < K = max_num_nbr neighbors gets K − m_i extra slots with
 * neighbor = the first atom of its crystal and d = radius + 1 Å, exactly as upstream's data loader pads. They are
 * identical per atom, so the model evaluates one padded row per atom that has any and weighs it by p_i = K − m_i, in
 * the sum and in bn1's batch statistics (row weights of `BatchNorm1d`); the function is the same as with explicit
 * slots. A batch whose rows all weigh 1 (every atom has its K neighbors, or misses one; no occupancies) runs unweighted.
 * Upstream: padded slots are deliberately NOT masked (txie-93/cgcnn `data.py`, warning "not find enough neighbors").
 *
 * Weight names are upstream's state-dict keys (`embedding.weight`, `convs.0.fc_full.weight`,
 * `convs.0.bn1.running_mean`, `conv_to_fc.weight`, `fcs.0.weight`, `fc_out.weight`), so the converted
 * `pre-trained/*.pth.tar` weights load as they are. Output [B] in the normalised target units.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { loadAtomInit } from '../data/atomInit.js';
import { batchEdgeRows, type EdgeRows, type GraphBatch } from '../graph/batch.js';
import { softplus } from './layers/activations.js';
import { BatchNorm1d } from './layers/batchNorm.js';
import { Dense } from './layers/dense.js';
import { Module, ModuleList } from './layers/module.js';
import { ElementTable } from './layers/elementTable.js';
import { EdgeFlow } from './layers/flow.js';
import { mixEmbedding } from './layers/occupancy.js';
import { gather } from './layers/ops.js';
import { cgcnnGaussian } from './layers/radial.js';
import { poolAtoms, withGraphFeatures } from './layers/readout.js';
import type { GraphModel } from './model.js';
import { graphAsWritten, mustEqual } from './graphNeeds.js';
import type { ModelEntry } from './registry.js';

export const CgcnnOptions = z
  .object({
    name: z.literal('cgcnn'),
    /** F, width of the atom features. */
    atom_fea_len: z.number().int().positive().default(64),
    n_conv: z.number().int().positive().default(3),
    /** H, width of the hidden layers of the head. */
    h_fea_len: z.number().int().positive().default(128),
    /** Number of hidden layers of the head (conv_to_fc plus n_h − 1 `fcs`). */
    n_h: z.number().int().positive().default(1),
    /** K: neighbor slots per atom (pad up to it); must equal `graph.max_neighbors`. */
    max_num_nbr: z.number().int().positive().default(12),
    /** Gaussian centres dmin, dmin + step, …, radius (the graph cutoff); width σ = step. */
    dmin: z.number().min(0).default(0),
    step: z.number().positive().default(0.2),
    /**
     * Upstream's binary classification head (`--task classification`): fc_out gives 2 logits and the output is the
     * class-1 probability, softmax(logits)[1], as upstream predict.py writes it. Absent = regression.
     */
    classification: z.boolean().optional(),
  })
  .strict();
export type CgcnnOptions = z.infer<typeof CgcnnOptions>;

/**
 * Per-batch neighbor slots shared by the conv layers: the E real slots, then one padded row per atom with fewer
 * than K neighbors (neighbor = the first atom of its crystal, d = radius + 1), M = E + P rows in all.
 */
export interface CgcnnGraph {
  /** [M] centre i of each row (src, then 0…N−1). */
  rowCentre: tf.Tensor1D;
  /** [M] neighbor j of each row (dst, then the first atom of the crystal). */
  rowNeighbor: tf.Tensor1D;
  /** [M, K_g] Gaussian-expanded distance of each row. */
  rowBond: tf.Tensor2D;
  /** [M] multiplicity: 1 for real slots (o_j in occupancy mode), p_i = K − m_i for atom i's padded row; null when all are 1. */
  rowWeights: tf.Tensor1D | null;
  /** The rows grouped by centre and by neighbor (built on the host at first use, kept with the batch) for fused kernels. */
  rows: { byReceiver: () => EdgeRows; bySender: () => EdgeRows };
}

/** Gated graph convolution (upstream `ConvLayer`): h_i ← softplus(h_i + bn2(Σ_j σ(f_ij) ⊙ softplus(c_ij))). */
export class ConvLayer extends Module {
  static override className = 'ConvLayer';
  readonly fcFull: Dense;
  readonly bn1: BatchNorm1d;
  readonly bn2: BatchNorm1d;

  constructor(
    readonly atomFeaLen: number,
    readonly nbrFeaLen: number,
  ) {
    super();
    this.fcFull = this.child('fc_full', new Dense(2 * atomFeaLen + nbrFeaLen, 2 * atomFeaLen, { init: 'torch' }));
    this.bn1 = this.child('bn1', new BatchNorm1d(2 * atomFeaLen));
    this.bn2 = this.child('bn2', new BatchNorm1d(atomFeaLen));
  }

  /**
   * h [N, F] → [N, F]. fc_full([h_i, h_j, u]) is evaluated as h_i·W_self + h_j·W_nbr + u·W_bond + b
   * (`Dense.applyParts`): the two atom products run on N rows instead of M ≈ 13N.
   */
  apply(h: tf.Tensor2D, g: CgcnnGraph, training: boolean): tf.Tensor2D {
    const F = this.atomFeaLen;
    // messages from the neighbor slots into the centre, each counted with its row weight
    const flow = new EdgeFlow({
      sender: g.rowNeighbor,
      receiver: g.rowCentre,
      numReceivers: h.shape[0],
      weights: g.rowWeights,
      rows: g.rows,
    });
    const parts = [
      { x: h, index: g.rowCentre },
      { x: h, index: g.rowNeighbor },
      { x: g.rowBond, inputGrad: false },
    ];
    // the filter and core halves of fc_full and bn1 are evaluated apart: no [M, 2F] tensor to slice
    const halves = [this.fcFull.applyParts(parts, [0, F]), this.fcFull.applyParts(parts, [F, F])];
    const [filterIn, coreIn] = this.bn1.applyBlocks(halves, training, g.rowWeights ?? undefined);
    const summed = flow.gatedSum(filterIn, coreIn);
    return softplus(tf.add(h, this.bn2.apply(summed, training))) as tf.Tensor2D;
  }

  override getConfig(): Record<string, unknown> {
    return { atom_fea_len: this.atomFeaLen, nbr_fea_len: this.nbrFeaLen };
  }
}

/** Embedding and conv layers (`embedding`, `convs.*`): atom features [N, F]. */
export class CgcnnRepresentation extends Module {
  static override className = 'CgcnnRepresentation';
  readonly embedding: Dense;
  readonly convs: ModuleList<ConvLayer>;

  constructor(o: CgcnnOptions, origAtomFeaLen: number, nbrFeaLen: number) {
    super();
    this.embedding = this.child('embedding', new Dense(origAtomFeaLen, o.atom_fea_len, { init: 'torch' }));
    this.convs = this.child(
      'convs',
      new ModuleList(Array.from({ length: o.n_conv }, () => new ConvLayer(o.atom_fea_len, nbrFeaLen))),
    );
  }

  apply(atomFea: tf.Tensor2D, g: CgcnnGraph, training: boolean): tf.Tensor2D {
    let h = this.embedding.apply(atomFea, { inputGrad: false }) as tf.Tensor2D;
    for (const conv of this.convs) h = conv.apply(h, g, training);
    return h;
  }
}

/** Readout (`conv_to_fc`, `fcs.*`, `fc_out`): mean over atoms, softplus, then the softplus MLP → [B]. */
export class CgcnnHead extends Module {
  static override className = 'CgcnnHead';
  readonly convToFc: Dense;
  readonly fcs: ModuleList<Dense>;
  readonly fcOut: Dense;
  private readonly classification: boolean;

  /** `graphFeatures` (G): graph-level inputs appended to the pooled crystal vector before `conv_to_fc`. */
  constructor(
    o: CgcnnOptions,
    readonly graphFeatures = 0,
  ) {
    super();
    const H = o.h_fea_len;
    this.convToFc = this.child('conv_to_fc', new Dense(o.atom_fea_len + graphFeatures, H, { init: 'torch' }));
    this.fcs = this.child(
      'fcs',
      new ModuleList(Array.from({ length: o.n_h - 1 }, () => new Dense(H, H, { init: 'torch' }))),
    );
    this.fcOut = this.child('fc_out', new Dense(H, o.classification ? 2 : 1, { init: 'torch' }));
    this.classification = o.classification === true;
  }

  apply(h: tf.Tensor2D, batch: GraphBatch): tf.Tensor1D {
    const crystal = withGraphFeatures(
      softplus(poolAtoms(h, batch, 'mean')) as tf.Tensor2D,
      batch,
      this.graphFeatures,
      'graphs',
    );
    let x = softplus(this.convToFc.apply(crystal));
    for (const fc of this.fcs) x = softplus(fc.apply(x));
    const out = this.fcOut.apply(x);
    if (this.classification) return tf.reshape(tf.slice(tf.softmax(out), [0, 1], [-1, 1]), [-1]) as tf.Tensor1D;
    return tf.reshape(out, [-1]) as tf.Tensor1D;
  }
}

export class CGCNN extends Module implements GraphModel {
  static override className = 'CrystalGraphConvNet';
  readonly kind = 'cgcnn';
  readonly normalisesOverBatch = true;
  readonly representation: CgcnnRepresentation;
  readonly head: CgcnnHead;
  /** [maxZ + 1, 92] atom_init.json rows by atomic number (data, not a weight: upstream has no such key). */
  private readonly atomTable: tf.Tensor2D;
  /** Z → atom_init.json row (the row index is Z itself; elements without one are refused). */
  private readonly elements: ElementTable;
  private readonly nbrFeaLen: number;

  /** `radius` = the graph cutoff (Å): Gaussian centres end there and padded slots sit at radius + 1. */
  constructor(
    readonly options: CgcnnOptions,
    readonly radius: number,
    graphFeatures = 0,
  ) {
    super();
    const table = loadAtomInit();
    this.elements = ElementTable.byAtomicNumber(
      table.present,
      `the atom feature table (elements 1–${table.maxZ})`,
      true,
    );
    this.atomTable = tf.keep(tf.tensor2d(table.rows, [table.maxZ + 1, table.length]));
    this.nbrFeaLen = Math.round((radius - options.dmin) / options.step) + 1;
    this.representation = new CgcnnRepresentation(options, table.length, this.nbrFeaLen);
    this.head = new CgcnnHead(options, graphFeatures);
    // Upstream keys sit at the top level (`embedding.*`, `convs.*`, `conv_to_fc.*`), so the two halves are
    // grouping views over the same children rather than prefixes.
    this.child('embedding', this.representation.embedding);
    this.child('convs', this.representation.convs);
    this.child('conv_to_fc', this.head.convToFc);
    this.child('fcs', this.head.fcs);
    this.child('fc_out', this.head.fcOut);
  }

  private gaussian(d: tf.Tensor1D): tf.Tensor2D {
    return cgcnnGaussian(d, { dmin: this.options.dmin, dmax: this.radius, step: this.options.step });
  }

  /** Neighbor slots of a batch, padded to K per atom (see the header). */
  graph(batch: GraphBatch): CgcnnGraph {
    const K = this.options.max_num_nbr;
    const found = new Int32Array(batch.numAtoms);
    for (const i of batch.hostSrc) found[i]++;
    const padAtoms: number[] = [];
    const padNeighbors: number[] = [];
    const padCounts: number[] = [];
    for (let g = 0, start = 0; g < batch.numGraphs; start += batch.atomsPerGraph[g++]) {
      for (let i = start; i < start + batch.atomsPerGraph[g]; i++) {
        if (found[i] >= K) continue;
        padAtoms.push(i);
        padNeighbors.push(start);
        padCounts.push(K - found[i]);
      }
    }
    const P = padAtoms.length;
    const occupancyWeights = EdgeFlow.toCentre(batch).weights;
    const weighted = occupancyWeights !== null || padCounts.some((p) => p !== 1);
    const paddedBond = tf.tile(this.gaussian(tf.tensor1d([this.radius + 1])), [P, 1]);
    const rowsBy = (end: Int32Array, pads: number[], name: string) => () =>
      batchEdgeRows(batch, `cgcnn_${name}_${K}`, () => Int32Array.from([...end, ...pads]));
    return {
      rowCentre: tf.concat([batch.src, tf.tensor1d(padAtoms, 'int32')]) as tf.Tensor1D,
      rowNeighbor: tf.concat([batch.dst, tf.tensor1d(padNeighbors, 'int32')]) as tf.Tensor1D,
      rowBond: tf.concat([this.gaussian(batch.distances), paddedBond]) as tf.Tensor2D,
      // occupancy mode: a real slot counts o_j (its message and its weight in the BatchNorm statistics)
      rowWeights: weighted
        ? (tf.concat([occupancyWeights ?? tf.onesLike(batch.distances), tf.tensor1d(padCounts)]) as tf.Tensor1D)
        : null,
      rows: {
        byReceiver: rowsBy(batch.hostSrc, padAtoms, 'centre'),
        bySender: rowsBy(batch.hostDst, padNeighbors, 'neighbor'),
      },
    };
  }

  /** Atom features [N, 92] looked up by atomic number; an element without a row is an InputError naming it. */
  atomFeatures(batch: GraphBatch): tf.Tensor2D {
    // occupancy mode: the fixed features mix like an embedding, Σ_s w_s·row(Z_s)
    return mixEmbedding((rows) => gather(this.atomTable, rows), batch, this.elements.rows(batch));
  }

  forward(batch: GraphBatch, training = false): tf.Tensor1D {
    const h = this.representation.apply(this.atomFeatures(batch), this.graph(batch), training);
    return this.head.apply(h, batch);
  }

  override getConfig(): Record<string, unknown> {
    return { ...this.options };
  }

  override dispose(): void {
    super.dispose();
    this.atomTable.dispose();
  }
}

export const cgcnnEntry: ModelEntry<typeof CgcnnOptions, CGCNN> = {
  name: 'cgcnn',
  description: 'CGCNN (Xie & Grossman 2018), upstream txie-93/cgcnn layout',
  schema: CgcnnOptions,
  version: 1,
  graph: (o, g) => ({
    ...graphAsWritten(g),
    max_neighbors: mustEqual(
      g,
      'max_neighbors',
      o.max_num_nbr,
      'max_num_nbr',
      'CGCNN pads every atom to max_num_nbr slots of its k-NN graph',
    ),
  }),
  build: (o: CgcnnOptions, ctx) => new CGCNN(o, ctx.cutoff, ctx.graphFeatures).initialize(ctx.seed),
};
