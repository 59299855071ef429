/** Inputs shared by the fused-kernel tests in test/webgpu/: deterministic values and small edge graphs. */
import * as tf from '@tensorflow/tfjs';
import { groupEdges } from '../../graph/batch.js';
import { EdgeFlow } from '../../models/layers/flow.js';

/** Deterministic values in about [−scale, scale]. */
export const wave = (n: number, phase: number, scale = 1) =>
  Array.from({ length: n }, (_, i) => scale * (Math.sin(1.7 * i + phase) + 0.1 * Math.cos(0.3 * i)));

/** Kernels that ran (tf.profile also lists each customGrad wrapper, a nameless entry that dispatches nothing). */
export const dispatched = (p: { kernels: { name: string }[] }) => p.kernels.map((k) => k.name).filter((n) => n);

/** A message-passing case: edges sender → receiver among `numAtoms` atoms, optional occupancy weights per atom. */
export interface EdgeCase {
  numAtoms: number;
  features: number;
  sender: number[];
  receiver: number[];
  occupancy: number[] | null;
}

/** Edges in no order among 7 atoms; atoms 3 and 6 receive nothing. */
export const orderedEdges = (features: number): EdgeCase => ({
  numAtoms: 7,
  features,
  sender: [1, 0, 4, 2, 2, 5, 0, 6, 1, 3],
  receiver: [0, 2, 5, 1, 0, 4, 4, 2, 5, 0],
  occupancy: null,
});

/** Occupancy-weighted edges among 5 atoms; atom 4 receives nothing and sends nothing. */
export const weightedEdges = (features: number): EdgeCase => ({
  numAtoms: 5,
  features,
  sender: [0, 1, 2, 3, 0, 1, 3, 2, 0],
  receiver: [1, 0, 3, 2, 2, 3, 0, 1, 1],
  occupancy: [0.5, 1, 0.25, 0.75, 0.9],
});

/** 200 weighted edges among 40 atoms; the last 5 receive nothing. */
export function manyEdges(features: number): EdgeCase {
  const sender: number[] = [];
  const receiver: number[] = [];
  for (let e = 0; e < 200; e++) {
    sender.push((e * 37 + 11) % 40);
    receiver.push((e * 13 + (e >> 3)) % 35);
  }
  return {
    numAtoms: 40,
    features,
    sender,
    receiver,
    occupancy: Array.from({ length: 40 }, (_, i) => 0.3 + (i % 7) / 10),
  };
}

/**
 * The case's EdgeFlow (occupancy weights of the senders): composed, without edge rows, or `fused`, with the
 * receiver- and sender-grouped rows the fused kernels read. `dispose` frees every tensor it made.
 */
export function edgeFlowOf(c: EdgeCase, fused: boolean): { flow: EdgeFlow; dispose: () => void } {
  const sender = tf.tensor1d(c.sender, 'int32');
  const receiver = tf.tensor1d(c.receiver, 'int32');
  const weights = c.occupancy ? tf.gather(tf.tensor1d(c.occupancy), sender) : null;
  const rows = fused
    ? {
        byReceiver: groupEdges(Int32Array.from(c.receiver), c.numAtoms),
        bySender: groupEdges(Int32Array.from(c.sender), c.numAtoms),
      }
    : null;
  const flow = new EdgeFlow({
    sender,
    receiver,
    numReceivers: c.numAtoms,
    weights,
    rows: rows ? { byReceiver: () => rows.byReceiver, bySender: () => rows.bySender } : null,
  });
  const dispose = () => {
    tf.dispose([sender, receiver, ...(weights ? [weights] : [])]);
    if (rows)
      tf.dispose([rows.byReceiver.rowStart, rows.byReceiver.order, rows.bySender.rowStart, rows.bySender.order]);
  };
  return { flow, dispose };
}
