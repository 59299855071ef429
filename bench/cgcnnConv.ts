/**
 * CGCNN conv layer: the split product h_i·W_self + h_j·W_nbr + u·W_bond (models/cgcnn.ts) against the literal
 * fc_full(concat[h_i, h_j, u]) on the same weights, forward + backward (weights and h), on one OBELiX-sized
 * batch (35 structures of the training split, 12-NN at 8 Å, F = 64). Prints ms per step and the ratio; also
 * checks that both give the same output. Wall clock on a shared machine: expect ±20 % noise.
 *
 *   node --import tsx bench/cgcnnConv.ts [--backend wasm|cpu] [--steps 5]
 */
import * as tf from '@tensorflow/tfjs';
import { loadObelix, splitEntries } from '../data/obelix.js';
import { collate } from '../graph/batch.js';
import { CGCNN, CgcnnOptions, type CgcnnGraph, type ConvLayer } from '../models/cgcnn.js';
import { gather, segmentSum } from '../models/layers/ops.js';
import { initBackend, type BackendName } from '../train/backend.js';
import { sampleFromCif } from '../graph/featurize.js';
import { obelixDir } from '../test/helpers/paths.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const backend = await initBackend(opt('--backend', 'wasm') as BackendName);
const steps = Number(opt('--steps', '5'));

const ds = loadObelix(obelixDir);
const samples = splitEntries(ds, 'train', { cifOnly: true })
  .slice(0, 35)
  .map((e) => sampleFromCif(ds.cifPath(e.id), { cutoff: 8, max_neighbors: 12 }));
const batch = collate(samples);
const model = new CGCNN(CgcnnOptions.parse({ name: 'cgcnn' }), 8).initialize(0);
const conv = model.representation.convs.at(0) as ConvLayer;
const g: CgcnnGraph = model.graph(batch);
const h = tf.randomNormal([batch.numAtoms, 64], 0, 1, 'float32', 1) as tf.Tensor2D;

/** The literal upstream formulation, for comparison only. */
function concatConv(x: tf.Tensor2D): tf.Tensor2D {
  const F = 64;
  const z = conv.fcFull.apply(
    tf.concat([gather(x, g.rowCentre), gather(x, g.rowNeighbor), g.rowBond], 1),
  ) as tf.Tensor2D;
  const gated = conv.bn1.apply(z, true, g.rowWeights ?? undefined);
  const gatedCore = tf.mul(tf.sigmoid(tf.slice(gated, [0, 0], [-1, F])), tf.softplus(tf.slice(gated, [0, F], [-1, F])));
  const m = g.rowWeights ? tf.mul(gatedCore, tf.expandDims(g.rowWeights, 1)) : gatedCore;
  return tf.softplus(
    tf.add(x, conv.bn2.apply(segmentSum(m as tf.Tensor2D, g.rowCentre, x.shape[0]), true)),
  ) as tf.Tensor2D;
}

const vars = [...conv.trainableVariables().values()];
function time(f: (x: tf.Tensor2D) => tf.Tensor2D): number {
  const step = (): void =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.sum(tf.square(f(h))) as tf.Scalar, vars);
      tf.grad((x: tf.Tensor) => tf.sum(tf.square(f(x as tf.Tensor2D))))(h).dataSync();
      Object.values(grads)[0].dataSync();
    });
  step();
  const t0 = performance.now();
  for (let k = 0; k < steps; k++) step();
  return (performance.now() - t0) / steps;
}
const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(conv.apply(h, g, true), concatConv(h)))).dataSync()[0]);
const split = time((x) => conv.apply(x, g, true));
const literal = time(concatConv);
console.log(
  `${backend.description}; ${batch.numAtoms} atoms, ${batch.numEdges} edges; max |Δ| = ${diff.toExponential(2)}`,
);
console.log(
  `split W: ${split.toFixed(0)} ms/step, concat: ${literal.toFixed(0)} ms/step, ratio ${(literal / split).toFixed(2)}x`,
);
