/**
 * Training-mode batch normalisation (models/layers/batchNorm.ts) as fused WGSL on webgpu (docs/webgpu.md, "Fused
 * kernels"). The input x = [x₁ | x₂ | …] [M, C] is given as its column blocks (`BatchNorm1d.applyBlocks`: CGCNN's
 * filter and core halves), read in place; row weights w [M] count row r as w_r rows (W = Σ w_r, or M without).
 *
 *   statistics   one workgroup per channel: μ = Σ w_r x_r / W, then σ² = Σ w_r (x_r − μ)² / W     → [3, C] = [μ; σ²; W]
 *   y_b          one thread per value: (x − μ) ⊙ a + β, a = γ ⊙ s, s = 1/√(σ² + ε)          one program per block
 *   running      (1 − m)·running + m·μ  and  (1 − m)·running + m·σ²·W/(W − 1), whole [C] vectors: no slice or concat
 *
 * Backward (the closed form of ops.ts `batchNormalize`, c = x − μ):
 *
 *   dβ = Σ_r dy_r,  dγ = s ⊙ Σ_r dy_r ⊙ c_r                                      one workgroup per channel each
 *   dx_r = a ⊙ dy_r − (w_r/W)(c_r ⊙ a ⊙ s ⊙ dγ + a ⊙ dβ)                         one program per block
 *
 * so a layer of B blocks is 1 + B dispatches forward (+ 2 for the running statistics) and 2 + B backward, where the
 * composed ops take about 30 per block forward and 13 backward. Each sum runs in a fixed order (a strided loop per
 * lane, then a tree), so results do not depend on scheduling. Other backends never reach these kernels:
 * `fusedBatchNorm` returns null there and BatchNorm1d composes the ops as before (bit-for-bit).
 */
import * as tf from '@tensorflow/tfjs';
import { named, type Program, registerWebGPUKernels, runWebGPUProgram } from './fusedProgram.js';

const LANES = 64;
/** Block counts with a registered kernel (CGCNN: 1 for bn2, 2 for bn1's filter and core halves). */
const MAX_BLOCKS = 4;

/** The blocks' widths as baked into a program: block b holds channels [offset_b, offset_b + width_b). */
type Widths = number[];

const channels = (widths: Widths) => widths.reduce((a, w) => a + w, 0);
const offsets = (widths: Widths) => widths.map((_, b) => channels(widths.slice(0, b)));

/** WGSL `read<Name>(m, c)`: value of row m, channel c of the virtual [M, C] input given as blocks Name0, Name1, … */
function readBlocks(name: string, widths: Widths): string {
  const starts = offsets(widths);
  const branches = widths.map((w, b) => {
    const read = `return ${name}${b}[m * ${w} + c - ${starts[b]}];`;
    return b === widths.length - 1 ? read : `if (c < ${starts[b] + w}) { ${read} }`;
  });
  return `fn read${name}(m : i32, c : i32) -> f32 {\n    ${branches.join('\n    ')}\n  }`;
}

const blockNames = (name: string, count: number) => Array.from({ length: count }, (_, b) => `${name}${b}`);

/** A row's weight in WGSL: RowWeight[m], or 1 without row weights. */
const rowWeight = (weighted: boolean, m: string) => (weighted ? `RowWeight[${m}]` : '1.0');

/**
 * A program with one workgroup per channel: each lane sums `term(m, c)` over rows m ≡ lane (mod LANES) in
 * ascending order, then the lanes are added as a tree. `reduce(name, term)` expands to that, leaving the sum in `name`.
 */
function channelProgram(
  outputShape: number[],
  C: number,
  shaderKey: string,
  variableNames: string[],
  helpers: string,
  body: string,
): Program {
  return {
    outputShape,
    shaderKey,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [C, 1, 1],
    variableNames,
    workgroupSize: [LANES, 1, 1],
    uniforms: 'eps : f32,',
    getUserCode: () => `
  var<workgroup> partial : array<f32, ${LANES}>;
  ${helpers}
  fn laneSum(value : f32, lane : i32) -> f32 {
    partial[lane] = value;
    workgroupBarrier();
    for (var stride = ${LANES / 2}; stride > 0; stride = stride / 2) {
      if (lane < stride) { partial[lane] = partial[lane] + partial[lane + stride]; }
      workgroupBarrier();
    }
    let total = partial[0];
    workgroupBarrier();
    return total;
  }
  fn main(index : i32) {
    let c = i32(workgroupId.x);
    let lane = i32(localId.x);
    let rows = uniforms.${variableNames[0].charAt(0).toLowerCase() + variableNames[0].slice(1)}Shape[0];
    ${body}
  }`,
  };
}

/** [3, C]: the weighted batch mean, the biased variance and the total weight W (in every column). */
function statisticsProgram(widths: Widths, weighted: boolean): Program {
  const C = channels(widths);
  return channelProgram(
    [3, C],
    C,
    `crystalgnn_bn_stats_${widths.join('_')}_${weighted}`,
    [...blockNames('X', widths.length), ...(weighted ? ['RowWeight'] : [])],
    readBlocks('X', widths),
    `
    var sum = 0.0;
    var weight = 0.0;
    for (var m = lane; m < rows; m = m + ${LANES}) {
      sum = sum + ${rowWeight(weighted, 'm')} * readX(m, c);
      weight = weight + ${rowWeight(weighted, 'm')};
    }
    let total = ${weighted ? 'laneSum(weight, lane)' : 'f32(rows)'};
    let mean = laneSum(sum, lane) / total;
    var squares = 0.0;
    for (var m = lane; m < rows; m = m + ${LANES}) {
      let centred = readX(m, c) - mean;
      squares = squares + ${rowWeight(weighted, 'm')} * (centred * centred);
    }
    let variance = laneSum(squares, lane) / total;
    if (lane == 0) {
      setOutputAtIndex(c, mean);
      setOutputAtIndex(${C} + c, variance);
      setOutputAtIndex(${2 * C} + c, total);
    }`,
  );
}

/** dβ [C] = Σ_r dy_r, or dγ [C] = s ⊙ Σ_r dy_r ⊙ (x_r − μ). */
function parameterGradProgram(widths: Widths, which: 'beta' | 'gamma'): Program {
  const C = channels(widths);
  const B = widths.length;
  const gamma = which === 'gamma';
  return channelProgram(
    [C],
    C,
    `crystalgnn_bn_d${which}_${widths.join('_')}`,
    // every input must be read: WGSL drops the binding of one that is not
    [...blockNames('DY', B), ...(gamma ? [...blockNames('X', B), 'Stats'] : [])],
    `${readBlocks('DY', widths)}${gamma ? `\n  ${readBlocks('X', widths)}` : ''}`,
    `
    var sum = 0.0;
    for (var m = lane; m < rows; m = m + ${LANES}) {
      sum = sum + ${gamma ? 'readDY(m, c) * (readX(m, c) - Stats[c])' : 'readDY(m, c)'};
    }
    let total = laneSum(sum, lane);
    if (lane == 0) {
      setOutputAtIndex(c, ${gamma ? `total * inverseSqrt(Stats[${C} + c] + uniforms.eps)` : 'total'});
    }`,
  );
}

/** One thread per value of block `block` ([M, width]), `r` its row and `c` its channel. */
function blockProgram(
  widths: Widths,
  block: number,
  shaderKey: string,
  variableNames: string[],
  body: string,
  rows: number,
): Program {
  const C = channels(widths);
  const width = widths[block];
  return {
    outputShape: [rows, width],
    shaderKey: `${shaderKey}_${widths.join('_')}_${block}`,
    dispatchLayout: { x: [0, 1] },
    dispatch: [Math.ceil((rows * width) / LANES), 1, 1],
    variableNames,
    workgroupSize: [LANES, 1, 1],
    size: true,
    uniforms: 'eps : f32,',
    getUserCode: () => `
  fn main(index : i32) {
    if (index < uniforms.size) {
      let r = index / ${width};
      let c = index - r * ${width} + ${offsets(widths)[block]};
      let mean = Stats[c];
      let s = inverseSqrt(Stats[${C} + c] + uniforms.eps);
      let a = Gamma[c] * s;
      ${body}
    }
  }`,
  };
}

/** y = (x − μ) ⊙ a + β for one block. */
function normalizeProgram(widths: Widths, block: number, rows: number): Program {
  return blockProgram(
    widths,
    block,
    'crystalgnn_bn_normalize',
    ['X', 'Stats', 'Gamma', 'Beta'],
    'setOutputAtIndex(index, (X[index] - mean) * a + Beta[c]);',
    rows,
  );
}

/** dx = a ⊙ dy − (w_r/W)(c ⊙ a ⊙ s ⊙ dγ + a ⊙ dβ) for one block. */
function inputGradProgram(widths: Widths, block: number, rows: number, weighted: boolean): Program {
  return blockProgram(
    widths,
    block,
    `crystalgnn_bn_dx_${weighted}`,
    ['X', 'DY', 'Stats', 'Gamma', 'DGamma', 'DBeta', ...(weighted ? ['RowWeight'] : [])],
    `let share = ${rowWeight(weighted, 'r')} / Stats[${2 * channels(widths)} + c];
      let correction = (X[index] - mean) * (a * s * DGamma[c]) + a * DBeta[c];
      setOutputAtIndex(index, a * DY[index] - share * correction);`,
    rows,
  );
}

/** running' = (1 − m)·running + m·μ (`mean`), or (1 − m)·running + m·σ²·W/(W − 1) (`variance`). */
function runningProgram(C: number, which: 'mean' | 'variance'): Program {
  const batch =
    which === 'mean'
      ? 'Stats[index]'
      : `Stats[${C} + index] * (Stats[${2 * C} + index] / (Stats[${2 * C} + index] - 1.0))`;
  return {
    outputShape: [C],
    shaderKey: `crystalgnn_bn_running_${which}_${C}`,
    dispatchLayout: { x: [0] },
    dispatch: [Math.ceil(C / LANES), 1, 1],
    variableNames: ['Running', 'Stats'],
    workgroupSize: [LANES, 1, 1],
    size: true,
    uniforms: 'momentum : f32,',
    getUserCode: () => `
  fn main(index : i32) {
    if (index < uniforms.size) {
      setOutputAtIndex(index, Running[index] * (1.0 - uniforms.momentum) + ${batch} * uniforms.momentum);
    }
  }`,
  };
}

type Inputs = Record<string, tf.TensorInfo>;

const kernelName = (blocks: number, weighted: boolean) => `CrystalGnnBatchNorm${blocks}${weighted ? 'Weighted' : ''}`;
const PARAMETER_GRAD = 'CrystalGnnBatchNormParameterGrad';
const INPUT_GRAD = 'CrystalGnnBatchNormInputGrad';
const RUNNING = 'CrystalGnnBatchNormRunning';

const blockInputs = (i: Inputs, name: string) => {
  const out: tf.TensorInfo[] = [];
  for (let b = 0; i[`${name}${b}`] !== undefined; b++) out.push(i[`${name}${b}`]);
  return out;
};
const widthsOf = (blocks: tf.TensorInfo[]) => blocks.map((x) => x.shape[1]);
const epsUniform = (eps: number) => [{ type: 'float32' as const, data: [eps] }];

/** Forward: [y₁, …, y_B, statistics]. */
function forwardKernel(i: Inputs, backend: unknown, attrs: Record<string, unknown>): tf.TensorInfo[] {
  const xs = blockInputs(i, 'X');
  const widths = widthsOf(xs);
  const weighted = i.RowWeight !== undefined;
  const eps = epsUniform(attrs.eps as number);
  const stats = runWebGPUProgram(
    backend,
    statisticsProgram(widths, weighted),
    [...xs, ...(weighted ? [i.RowWeight] : [])],
    eps,
  );
  const rows = xs[0].shape[0];
  const ys = xs.map((x, b) =>
    runWebGPUProgram(backend, normalizeProgram(widths, b, rows), [x, stats, i.Gamma, i.Beta], eps),
  );
  return [...ys, stats];
}

const kernels: [
  string,
  (i: Inputs, backend: unknown, attrs: Record<string, unknown>) => tf.TensorInfo | tf.TensorInfo[],
][] = [
  [
    PARAMETER_GRAD,
    (i, backend, attrs) => {
      const dys = blockInputs(i, 'DY');
      const which = attrs.which as 'beta' | 'gamma';
      const program = parameterGradProgram(widthsOf(dys), which);
      const inputs = which === 'gamma' ? [...dys, ...blockInputs(i, 'X'), i.Stats] : dys;
      return runWebGPUProgram(backend, program, inputs, epsUniform(attrs.eps as number));
    },
  ],
  [
    INPUT_GRAD,
    (i, backend, attrs) => {
      const widths = attrs.widths as number[];
      const weighted = i.RowWeight !== undefined;
      const program = inputGradProgram(widths, attrs.block as number, i.X.shape[0], weighted);
      const inputs = [i.X, i.DY, i.Stats, i.Gamma, i.DGamma, i.DBeta, ...(weighted ? [i.RowWeight] : [])];
      return runWebGPUProgram(backend, program, inputs, epsUniform(attrs.eps as number));
    },
  ],
  [
    RUNNING,
    (i, backend, attrs) =>
      runWebGPUProgram(
        backend,
        runningProgram(i.Running.shape[0], attrs.which as 'mean' | 'variance'),
        [i.Running, i.Stats],
        [{ type: 'float32', data: [attrs.momentum as number] }],
      ),
  ],
];
for (let blocks = 1; blocks <= MAX_BLOCKS; blocks++)
  for (const weighted of [false, true]) kernels.push([kernelName(blocks, weighted), forwardKernel]);
registerWebGPUKernels(kernels);

// The gradient saves the blocks, γ and the row weights (inputs) and the statistics (the last output). TF.js saves
// every named input, so a kernel without row weights is registered under its own name.
for (let blocks = 1; blocks <= MAX_BLOCKS; blocks++) {
  for (const weighted of [false, true]) {
    const xNames = blockNames('X', blocks);
    const inputsToSave = [...xNames, 'Gamma', ...(weighted ? ['RowWeight'] : [])];
    tf.registerGradient({
      kernelName: kernelName(blocks, weighted),
      inputsToSave,
      outputsToSave: [...Array<boolean>(blocks).fill(false), true],
      gradFunc: (dy, saved, attrs) => {
        const xs = saved.slice(0, blocks);
        const gamma = saved[blocks];
        const weights = weighted ? saved[blocks + 1] : null;
        const stats = saved[saved.length - 1];
        // an output off the path to the loss has no gradient: it contributes zeros
        const dys = (dy as (tf.Tensor | null)[]).slice(0, blocks).map((d, b) => d ?? tf.zerosLike(xs[b]));
        const eps = attrs.eps as number;
        const blockMap = (name: string, ts: tf.Tensor[]) => Object.fromEntries(ts.map((t, b) => [`${name}${b}`, t]));
        const common = { ...blockMap('X', xs), ...blockMap('DY', dys), Stats: stats };
        const parameterGrad = (which: 'beta' | 'gamma') =>
          tf
            .engine()
            .runKernel(PARAMETER_GRAD, (which === 'gamma' ? common : blockMap('DY', dys)) as tf.NamedTensorMap, {
              which,
              eps,
            }) as tf.Tensor1D;
        // dγ and dβ are computed here, not inside one input's gradient: TF.js disposes what each of those makes
        const dGamma = parameterGrad('gamma');
        const dBeta = parameterGrad('beta');
        const widths = xs.map((x) => x.shape[1]);
        const grads: Record<string, () => tf.Tensor> = { Gamma: () => dGamma, Beta: () => dBeta };
        xs.forEach((x, b) => {
          grads[`X${b}`] = () =>
            tf.engine().runKernel(
              INPUT_GRAD,
              named({
                X: x,
                DY: dys[b],
                Stats: stats,
                Gamma: gamma,
                DGamma: dGamma,
                DBeta: dBeta,
                RowWeight: weights,
              }),
              { widths, block: b, eps } as unknown as tf.NamedAttrMap,
            ) as tf.Tensor;
        });
        return grads;
      },
    });
  }
}

/** The packed batch statistics [3, C] (μ; σ²; W) of a fused batch normalisation. */
export type PackedStatistics = tf.Tensor2D;

/**
 * Training-mode batch normalisation of x = [x₁ | x₂ | …] (the blocks, [M, C_b] each) with γ, β [C] and optional row
 * weights [M], as fused kernels on webgpu: the normalised blocks and the packed statistics for `fusedRunningUpdate`.
 * null elsewhere, or for more blocks than registered or the device binds, so the caller composes the ops instead.
 */
export function fusedBatchNorm(
  blocks: tf.Tensor2D[],
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
  rowWeights?: tf.Tensor1D,
): { outputs: tf.Tensor2D[]; statistics: PackedStatistics } | null {
  if (tf.getBackend() !== 'webgpu' || blocks.length > MAX_BLOCKS || blocks.some((x) => x.rank !== 2)) return null;
  // storage buffers of the widest programs: dγ (every block and its gradient, the statistics, the output) and dx (8)
  const limits = (tf.backend() as unknown as { device: GPUDevice }).device.limits;
  if (Math.max(2 * blocks.length + 2, 8) > limits.maxStorageBuffersPerShaderStage) return null;
  const inputs = named({
    ...Object.fromEntries(blocks.map((x, b) => [`X${b}`, x])),
    Gamma: gamma,
    Beta: beta,
    RowWeight: rowWeights ?? null,
  });
  const out = tf.engine().runKernel(kernelName(blocks.length, rowWeights !== undefined), inputs, {
    eps,
  }) as tf.Tensor[];
  return { outputs: out.slice(0, blocks.length) as tf.Tensor2D[], statistics: out[blocks.length] as PackedStatistics };
}

/**
 * running ← (1 − m)·running + m·μ (`mean`) or m·σ²·W/(W − 1) (`variance`) from packed statistics: one program over
 * the whole [C] vector (webgpu only; the caller holds packed statistics only there).
 */
export function fusedRunningUpdate(
  running: tf.Tensor1D,
  statistics: PackedStatistics,
  momentum: number,
  which: 'mean' | 'variance',
): tf.Tensor1D {
  return tf.engine().runKernel(RUNNING, { Running: running, Stats: statistics }, { momentum, which }) as tf.Tensor1D;
}
