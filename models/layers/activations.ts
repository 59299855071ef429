/**
 * Activation functions, elementwise on any shape, and the one name → function lookup used by configs.
 *
 * softplus(x) = ln(1 + eˣ), evaluated stably: TF.js returns x itself once eˣ is below float32 resolution
 * (x > ~13.9), PyTorch from x > 20; both round to the same float32 values. On wasm it is computed as
 * max(x, 0) − ln σ(|x|) (ops.softplus, 2.2x faster there).
 * ssp(x) = softplus(x) − ln 2 (SchNet's shifted softplus, ssp(0) = 0); silu(x) = x·σ(x) (MatGL calls it swish).
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../data/errors.js';
import type { FusedActivation } from './fusedDense.js';
import { silu as fastSilu, softplus as fastSoftplus } from './ops.js';

export type Activation = (x: tf.Tensor) => tf.Tensor;

const LN2 = Math.log(2);

export const softplus: Activation = (x) => fastSoftplus(x);
export const ssp: Activation = (x) => tf.sub(fastSoftplus(x), LN2);
export const silu: Activation = (x) => fastSilu(x);
export const sigmoid: Activation = (x) => tf.sigmoid(x);
export const tanh: Activation = (x) => tf.tanh(x);
export const relu: Activation = (x) => tf.relu(x);
export const identity: Activation = (x) => x;

/** The activations a fused dense kernel evaluates itself (models/layers/fusedDense.ts); identity is no activation. */
const FUSED = new Map<Activation, FusedActivation | null>([
  [softplus, 'softplus'],
  [ssp, 'ssp'],
  [silu, 'silu'],
  [sigmoid, 'sigmoid'],
  [tanh, 'tanh'],
  [relu, 'relu'],
  [identity, null],
]);

/** `a`'s fused form: its kernel name, null for identity, undefined for an activation without one. */
export function fusedActivation(a: Activation): FusedActivation | null | undefined {
  return FUSED.get(a);
}

const BY_NAME = {
  ssp,
  shifted_softplus: ssp,
  silu,
  swish: silu,
  softplus,
  sigmoid,
  tanh,
  relu,
  identity,
} as const satisfies Record<string, Activation>;

export type ActivationName = keyof typeof BY_NAME;
export const activationNames = Object.keys(BY_NAME) as ActivationName[];

/** The activation called `name`; an unknown name is an InputError that lists the valid ones. */
export function activation(name: string): Activation {
  if (!Object.hasOwn(BY_NAME, name)) {
    throw new InputError(`unknown activation "${name}"; valid names: ${activationNames.join(', ')}`);
  }
  return BY_NAME[name as ActivationName];
}
