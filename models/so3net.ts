/**
 * SO3Net as MatGL's `SO3Net` (matgl/models/_so3net.py + layers/_so3.py @ e9cde22, identical in v1.1.3), the
 * model the OBELiX benchmark trained, with the graph-level Set2Set readout (docs/architectures.md §5.2, §5.4, §7).
 *
 *   x⁰_i[0] = Embedding(type_i) (row 0 zero and frozen), x⁰_i[s ≥ 1] = 0           x [N, S, F], S = (l_max+1)²
 *   W_ij = Linear(ρ(d_ij)) · f(d_ij) → [E, l_max+1, F]    ρ_n = √(2/r_c)·sin(nπd/r_c)/d, f = polynomial envelope (p = 3)
 *   per block:  y_i = Σ_j TP(W_ij[l(s)] ⊙ Y_s(u_ij), x_j)                          (SO3Convolution, into centre i)
 *               y ← y + TP(y, M₁y);  y ← M₂y;  y[s] ← y[s] ⊙ σ(G(y[0])[l(s)]);  y ← M₃y;  x ← x + y
 *   out_b = MLP[2F, U, U, 1](Set2Set(x[:, 0]))       (SiLU between layers, none after the last)
 * TP is the real Clebsch–Gordan product (clebschGordan.ts), M₁..₃ feature-axis Linear maps without bias, G a Linear
 * with bias. Types are positions in the fixed `element_types` list (one vocabulary for train, validation and test:
 * OBELiX's test-list defect is deliberately not reproduced). Å. Weight names are MatGL's state-dict keys
 * (`so3convs.0.filternet.layers.0.weight`, `mixings1.0.weight`, `gatings.0.scaling.weight`,
 * `readout.set2set.lstm.weight_ih_l0`, `final_layer.layers.4.weight`); PyTorch default initialisation.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { InputError } from '../data/errors.js';
import { lookupElement } from '../data/elements.js';
import type { GraphBatch } from '../graph/batch.js';
import { clebschGordan, tensorProduct, type ClebschGordan } from './layers/clebschGordan.js';
import { polynomialEnvelope } from './layers/cutoff.js';
import { Dense } from './layers/dense.js';
import { Embedding } from './layers/embedding.js';
import { Mlp } from './layers/mlp.js';
import { Module, ModuleList } from './layers/module.js';
import { ElementTable } from './layers/elementTable.js';
import { EdgeFlow } from './layers/flow.js';
import { fusedDegreeGate } from './layers/fusedDegreeGate.js';
import { mixEmbedding } from './layers/occupancy.js';
import { pairDistances, toEdges } from './layers/pairs.js';
import { besselRbf } from './layers/radial.js';
import { poolAtoms, withGraphFeatures } from './layers/readout.js';
import { Set2Set } from './layers/set2set.js';
import { sphericalHarmonics } from './layers/sphericalHarmonics.js';
import type { GraphModel } from './model.js';
import { elementTable, graphAsWritten } from './graphNeeds.js';
import type { ModelEntry } from './registry.js';

export const SO3NetOptions = z
  .object({
    name: z.literal('so3net'),
    /** Element symbols; an atom's type is its position here (index 0 is the frozen zero embedding). */
    element_types: z.array(z.string()).min(1),
    dim_node_embedding: z.number().int().positive().default(64),
    units: z.number().int().positive().default(64),
    nblocks: z.number().int().positive().default(3),
    nmax: z.number().int().positive().default(5),
    lmax: z.number().int().min(0).max(3).default(3),
    /** Radial basis and envelope cutoff, Å; defaults to graph.cutoff (the graph itself is built at graph.cutoff). */
    cutoff: z.number().positive().optional(),
    /** `set2set` (OBELiX), `weighted_atom` (MatGL's default) or `reduce_atom` (mean of x[:, 0]). */
    readout_type: z.enum(['set2set', 'weighted_atom', 'reduce_atom']).default('set2set'),
    niters_set2set: z.number().int().positive().default(3),
    nlayers_set2set: z.number().int().positive().default(3),
    /** Accepted for OBELiX configs; upstream ignores it for graph targets, and so do we. */
    nlayers_readout: z.number().int().positive().optional(),
  })
  .strict();
export type SO3NetOptions = z.infer<typeof SO3NetOptions>;

/** Repeats each degree block h[:, l] (2l+1) times along axis 1: [K, l_max+1, F] → [K, S, F]. */
export function expandDegrees(h: tf.Tensor3D, lmax: number): tf.Tensor3D {
  const blocks = Array.from({ length: lmax + 1 }, (_, l) =>
    tf.tile(tf.slice(h, [0, l, 0], [-1, 1, -1]), [1, 2 * l + 1, 1]),
  );
  return (lmax === 0 ? blocks[0] : tf.concat(blocks, 1)) as tf.Tensor3D;
}

/** Per-edge inputs of the convolutions. */
export interface SO3Edges {
  /** [E, S] real spherical harmonics of u_ij. */
  sh: tf.Tensor2D;
  /** [P, nmax] radial basis of the undirected pairs (`toEdges` maps pair values onto edges). */
  radial: tf.Tensor2D;
  /** [P, 1] envelope. */
  envelope: tf.Tensor2D;
}

/** y_i[s] = Σ_j Σ_(s₁,s₂→s) C · W_ij[l(s₁)] Y_ij[s₁] · x_j[s₂] (`EdgeFlow.tensorProductConvolve`). */
export class SO3Convolution extends Module {
  static override className = 'SO3Convolution';
  private readonly filternet: Mlp;

  constructor(
    readonly lmax: number,
    readonly nAtomBasis: number,
    readonly nRadial: number,
    private readonly cg: ClebschGordan,
  ) {
    super();
    this.filternet = this.child(
      'filternet',
      new Mlp([nRadial, nAtomBasis * (lmax + 1)], 'silu', { init: 'torch', names: ['layers.0'] }),
    );
  }

  apply(x: tf.Tensor3D, edges: SO3Edges, batch: GraphBatch, flow: EdgeFlow): tf.Tensor3D {
    const filters = toEdges(
      tf.mul(this.filternet.apply(edges.radial, { inputGrad: false }), edges.envelope) as tf.Tensor2D,
      batch,
    );
    return flow.tensorProductConvolve(x, filters, edges.sh, this.cg);
  }
}

/** y[s] = x[s] ⊙ σ(Linear(x[0])[l(s)]). */
export class SO3ParametricGatedNonlinearity extends Module {
  static override className = 'SO3ParametricGatedNonlinearity';
  private readonly scaling: Dense;

  constructor(
    readonly nIn: number,
    readonly lmax: number,
  ) {
    super();
    this.scaling = this.child('scaling', new Dense(nIn, nIn * (lmax + 1), { init: 'torch' }));
  }

  apply(x: tf.Tensor3D): tf.Tensor3D {
    const h = tf.reshape(this.scaling.apply(scalarChannel(x)), [-1, this.lmax + 1, this.nIn]) as tf.Tensor3D;
    return fusedDegreeGate(x, h) ?? tf.mul(x, tf.sigmoid(expandDegrees(h, this.lmax)));
  }
}

/** x[:, 0, :] → [N, F]. */
export const scalarChannel = (x: tf.Tensor3D): tf.Tensor2D =>
  tf.reshape(tf.slice(x, [0, 0, 0], [-1, 1, -1]), [x.shape[0], x.shape[2]]);

export class SO3NetRepresentation extends Module {
  static override className = 'SO3NetRepresentation';
  readonly embedding: Embedding;
  readonly so3convs: ModuleList<SO3Convolution>;
  readonly mixings1: ModuleList<Dense>;
  readonly mixings2: ModuleList<Dense>;
  readonly mixings3: ModuleList<Dense>;
  readonly gatings: ModuleList<SO3ParametricGatedNonlinearity>;
  private readonly cg: ClebschGordan;
  /** Z → type index (position in element_types). */
  private readonly elements: ElementTable;

  constructor(
    readonly o: SO3NetOptions,
    readonly cutoff: number,
  ) {
    super();
    const f = o.dim_node_embedding;
    const seen = new Set<number>();
    o.element_types.forEach((symbol, k) => {
      const z = lookupElement(symbol);
      if (z === 0) throw new InputError(`model.element_types[${k}]: "${symbol}" is not an element symbol`);
      if (seen.has(z)) throw new InputError(`model.element_types: ${symbol} is listed twice`);
      seen.add(z);
    });
    this.elements = ElementTable.fromSymbols(o.element_types, 'model.element_types');
    this.cg = clebschGordan(o.lmax);
    const linears = () =>
      new ModuleList(Array.from({ length: o.nblocks }, () => new Dense(f, f, { bias: false, init: 'torch' })));
    this.embedding = this.child('embedding', new Embedding(o.element_types.length, f, { paddingIdx: 0 }));
    this.so3convs = this.child(
      'so3convs',
      new ModuleList(Array.from({ length: o.nblocks }, () => new SO3Convolution(o.lmax, f, o.nmax, this.cg))),
    );
    this.mixings1 = this.child('mixings1', linears());
    this.mixings2 = this.child('mixings2', linears());
    this.mixings3 = this.child('mixings3', linears());
    this.gatings = this.child(
      'gatings',
      new ModuleList(Array.from({ length: o.nblocks }, () => new SO3ParametricGatedNonlinearity(f, o.lmax))),
    );
  }

  /** Irreducible atom features x [N, (l_max+1)², F] after every block. */
  features(batch: GraphBatch): tf.Tensor3D {
    const { lmax, dim_node_embedding: f } = this.o;
    const d = pairDistances(batch);
    const edges: SO3Edges = {
      sh: sphericalHarmonics(tf.div(batch.vectors, tf.expandDims(batch.distances, 1)) as tf.Tensor2D, lmax),
      radial: besselRbf(d, this.o.nmax, this.cutoff),
      envelope: tf.expandDims(polynomialEnvelope(d, this.cutoff), 1) as tf.Tensor2D,
    };
    const x0 = tf.expandDims(
      mixEmbedding((rows) => this.embedding.apply(rows), batch, this.elements.rows(batch)),
      1,
    );
    let x = (lmax === 0 ? x0 : tf.concat([x0, tf.zeros([batch.numAtoms, (lmax + 1) ** 2 - 1, f])], 1)) as tf.Tensor3D;
    const flow = EdgeFlow.toCentre(batch);
    for (let b = 0; b < this.o.nblocks; b++) {
      let y = this.so3convs.at(b).apply(x, edges, batch, flow);
      y = tf.add(y, tensorProduct(y, this.mixings1.at(b).apply(y) as tf.Tensor3D, this.cg));
      y = this.gatings.at(b).apply(this.mixings2.at(b).apply(y) as tf.Tensor3D);
      x = tf.add(x, this.mixings3.at(b).apply(y));
    }
    return x;
  }

  /** Scalar representation x[:, 0] [N, F]. */
  apply(batch: GraphBatch): tf.Tensor2D {
    return scalarChannel(this.features(batch));
  }
}

/** MatGL `Set2SetReadOut` wrapper (its Set2Set sits under `set2set`). */
class Set2SetReadOut extends Module {
  static override className = 'Set2SetReadOut';
  readonly set2set: Set2Set;
  constructor(dim: number, nIters: number, nLayers: number) {
    super();
    this.set2set = this.child('set2set', new Set2Set(dim, nIters, nLayers));
  }
}

/** MatGL `WeightedAtomReadOut`: Σ_i σ(Linear(x_i)) · MLP(x_i), the MLP [F, U, U] with SiLU after every layer. */
class WeightedAtomReadOut extends Module {
  static override className = 'WeightedAtomReadOut';
  private readonly mlp: Mlp;
  private readonly weight: Dense;
  constructor(dim: number, units: number) {
    super();
    this.mlp = this.child(
      'mlp',
      new Mlp([dim, units, units], 'silu', { init: 'torch', activateLast: true, names: ['layers.0', 'layers.2'] }),
    );
    this.weight = this.child('weight.0', new Dense(dim, 1, { init: 'torch', activation: 'sigmoid' }));
  }
  apply(x: tf.Tensor2D, batch: GraphBatch): tf.Tensor2D {
    return poolAtoms(tf.mul(this.mlp.apply(x), this.weight.apply(x)) as tf.Tensor2D, batch, 'sum');
  }
}

/**
 * Graph readout (Set2Set, weighted atom sum or atom mean) → MLP[·, U, U, 1]. x [N, F] → [B]. Graph-level features
 * (width G, `data.graph_features`) are appended to the pooled vector: the MLP's first layer reads G more inputs.
 */
export class SO3NetHead extends Module {
  static override className = 'SO3NetHead';
  readonly readout: Set2SetReadOut | WeightedAtomReadOut | null;
  readonly finalLayer: Mlp;

  constructor(
    readonly o: SO3NetOptions,
    readonly graphFeatures = 0,
  ) {
    super();
    const f = o.dim_node_embedding;
    const t = o.readout_type;
    this.readout =
      t === 'set2set'
        ? this.child('readout', new Set2SetReadOut(f, o.niters_set2set, o.nlayers_set2set))
        : t === 'weighted_atom'
          ? this.child('readout', new WeightedAtomReadOut(f, o.units))
          : null;
    const sizes = [
      (t === 'set2set' ? 2 * f : t === 'weighted_atom' ? o.units : f) + graphFeatures,
      o.units,
      o.units,
      1,
    ];
    this.finalLayer = this.child(
      'final_layer',
      new Mlp(sizes, 'silu', { init: 'torch', stride: 2, names: ['layers.0', 'layers.2', 'layers.4'] }),
    );
  }

  apply(x: tf.Tensor2D, batch: GraphBatch): tf.Tensor1D {
    const pooled =
      this.readout instanceof Set2SetReadOut
        ? this.readout.set2set.apply(x, batch)
        : this.readout
          ? this.readout.apply(x, batch)
          : poolAtoms(x, batch, 'mean');
    return tf.reshape(
      this.finalLayer.apply(withGraphFeatures(pooled, batch, this.graphFeatures, 'graphs')),
      [-1],
    ) as tf.Tensor1D;
  }
}

export class SO3Net extends Module implements GraphModel {
  static override className = 'SO3Net';
  readonly kind = 'so3net';
  readonly representation: SO3NetRepresentation;
  readonly head: SO3NetHead;

  /** `graphFeatures` as `SO3NetHead`. */
  constructor(
    readonly options: SO3NetOptions,
    graphCutoff: number,
    graphFeatures = 0,
  ) {
    super();
    const rep = new SO3NetRepresentation(options, options.cutoff ?? graphCutoff);
    const head = new SO3NetHead(options, graphFeatures);
    // MatGL keeps every weight at the top level (`embedding.weight`, `readout.set2set.…`), so the two halves'
    // children are registered here under their upstream names instead of under `representation.` / `head.`.
    this.child('embedding', rep.embedding);
    this.child('so3convs', rep.so3convs);
    this.child('mixings1', rep.mixings1);
    this.child('mixings2', rep.mixings2);
    this.child('mixings3', rep.mixings3);
    this.child('gatings', rep.gatings);
    if (head.readout) this.child('readout', head.readout);
    this.child('final_layer', head.finalLayer);
    this.representation = rep;
    this.head = head;
  }

  forward(batch: GraphBatch): tf.Tensor1D {
    return this.head.apply(this.representation.apply(batch), batch);
  }

  override getConfig(): Record<string, unknown> {
    return { ...this.options };
  }

  override dispose(): void {
    this.representation.dispose();
    super.dispose();
  }
}

export const so3netEntry: ModelEntry<typeof SO3NetOptions, SO3Net> = {
  name: 'so3net',
  description: 'SO3Net (MatGL) with a Set2Set graph readout',
  schema: SO3NetOptions,
  version: 1,
  graph: (o, g) => ({ ...graphAsWritten(g), element_types: elementTable(o.element_types) }),
  build: (o: SO3NetOptions, ctx) => new SO3Net(o, ctx.cutoff, ctx.graphFeatures).initialize(ctx.seed),
};
