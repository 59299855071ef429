/**
 * Weight initialisers, seeded and backend-independent.
 *
 * An initialiser maps a shape and a uniform random source to a Float32Array, generated in plain JS, so the
 * same seed gives bit-identical weights on cpu, wasm and CUDA. Kernels use the TF.js layout [in, out]
 * (fanIn = shape[0], fanOut = shape[1]); PyTorch's `Linear.weight` is [out, in], with the same fans.
 * Defaults of the upstream codes (docs/architectures.md §10): SchNetPack `Dense` = xavierUniform + zeros,
 * PyTorch `nn.Linear` = torchLinearDefault(fanIn) for weight and bias, `nn.Embedding` = normal(0, 1).
 */
import seedrandom from 'seedrandom';

/** Uniform random numbers in [0, 1). */
export type Rng = () => number;

/** Fills a tensor of `shape` (row-major) from `rng`. */
export type Initializer = (shape: readonly number[], rng: Rng) => Float32Array;

/** A seeded generator (ARC4 from `seedrandom`); equal seeds give equal streams on every platform. */
export function makeRng(seed: number | string): Rng {
  return seedrandom(String(seed));
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export const zeros: Initializer = (shape) => new Float32Array(sizeOf(shape));

export const ones: Initializer = (shape) => new Float32Array(sizeOf(shape)).fill(1);

export function constant(value: number): Initializer {
  return (shape) => new Float32Array(sizeOf(shape)).fill(value);
}

/** Copies fixed values (buffers such as RBF centres); the length must match the shape. */
export function fromValues(values: ArrayLike<number>): Initializer {
  return (shape) => {
    if (values.length !== sizeOf(shape))
      throw new Error(`fromValues: ${values.length} values for shape [${shape.join(', ')}]`);
    return Float32Array.from(values);
  };
}

/** U(a, b). */
export function uniform(a: number, b: number): Initializer {
  return (shape, rng) => {
    const out = new Float32Array(sizeOf(shape));
    for (let i = 0; i < out.length; i++) out[i] = a + (b - a) * rng();
    return out;
  };
}

/** N(mean, std²) by Box–Muller (PyTorch `nn.Embedding` uses N(0, 1)). */
export function normal(mean = 0, std = 1): Initializer {
  return (shape, rng) => {
    const out = new Float32Array(sizeOf(shape));
    for (let i = 0; i < out.length; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - rng())); // 1 − u ∈ (0, 1]: never log(0)
      const t = 2 * Math.PI * rng();
      out[i] = mean + std * r * Math.cos(t);
      if (i + 1 < out.length) out[i + 1] = mean + std * r * Math.sin(t);
    }
    return out;
  };
}

/** Glorot/Xavier uniform for a kernel [fanIn, fanOut]: U(±√(6 / (fanIn + fanOut))). */
export const xavierUniform: Initializer = (shape, rng) => {
  if (shape.length !== 2) throw new Error(`xavierUniform needs a 2-D kernel, got shape [${shape.join(', ')}]`);
  const limit = Math.sqrt(6 / (shape[0] + shape[1]));
  return uniform(-limit, limit)(shape, rng);
};

/**
 * PyTorch `nn.Linear.reset_parameters`: kaiming_uniform(a = √5) on the weight, which is U(±1/√fanIn), and the
 * same bound for the bias. Pass the layer's input width for both.
 */
export function torchLinearDefault(fanIn: number): Initializer {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return uniform(-bound, bound);
}
