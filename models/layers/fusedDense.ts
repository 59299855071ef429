/**
 * Fused dense layers for the webgpu backend (docs/webgpu.md, "Fused kernels"): y = act(A·W[:, window] + b[window]),
 * where A is either one input x [M, K] or the concatenation [part₁ | part₂ | …] of parts read in place, a part
 * being the rows of x_p or gather(x_p, index_p) (`Dense.applyParts`). A training step at OBELiX's size is mostly
 * kernel dispatches, and the composed form costs a product, a bias add, one or two activation kernels forward, and
 * transposes, products, a column sum and the activation's derivative backward, plus a slice and a pad per part.
 *
 * Here the forward is one WGSL program (product, bias and activation in its epilogue; parts gathered while the
 * tile is loaded, so neither the concatenated input nor a weight slice is formed), and the backward
 *
 *   dz = dy ⊙ act'(A·W + b)       one program: the product is recomputed, so no pre-activation is kept
 *   dW = Aᵀ·dz                    one program, the full weight's shape with zeros outside the column window
 *   db = Σ_rows dz                one program, likewise full-size
 *   dx_p = dz·W_pᵀ                one program per part that needs a gradient, scattered to x_p's rows when gathered
 *
 * (dz = dy without an activation). Products are 16×16-tiled in workgroup memory, one output per thread, each
 * sum in ascending k. Other backends never reach these kernels: `fusedDense` returns null there and `Dense`
 * composes the ops as before (bit-for-bit).
 */
import * as tf from '@tensorflow/tfjs';
import { type Program, runWebGPUProgram } from './fusedProgram.js';

/** Activations with a fused form (models/layers/activations.ts names them). */
export type FusedActivation = 'softplus' | 'ssp' | 'silu' | 'sigmoid' | 'tanh' | 'relu';

/** One column block of the input: x [rows, width], read through `index` when given. */
export interface FusedPart {
  x: tf.Tensor2D;
  index: tf.Tensor1D | null;
  /** false: x is data, no gradient is formed for it. */
  inputGrad: boolean;
}

const TILE = 16;

/** WGSL for the activation a(z) and its derivative a'(z) of an f32 z (the names of models/layers/activations.ts). */
const ACTIVATIONS: Record<FusedActivation, { value: string; derivative: string }> = {
  // ln(1 + eᶻ), returning z above and eᶻ below the range where the sum still changes in float32
  softplus: { value: 'softplusOf(z)', derivative: 'sigmoidOf(z)' },
  ssp: { value: 'softplusOf(z) - 0.6931471805599453', derivative: 'sigmoidOf(z)' },
  silu: { value: 'z * sigmoidOf(z)', derivative: 'sigmoidOf(z) * (1.0 + z * (1.0 - sigmoidOf(z)))' },
  sigmoid: { value: 'sigmoidOf(z)', derivative: 'sigmoidOf(z) * (1.0 - sigmoidOf(z))' },
  tanh: { value: 'tanhOf(z)', derivative: '1.0 - tanhOf(z) * tanhOf(z)' },
  relu: { value: 'max(z, 0.0)', derivative: 'select(0.0, 1.0, z > 0.0)' },
};

/** WGSL σ, softplus and tanh of an f32 (also read by the fused CGCNN gate, fusedGate.ts). */
export const ACTIVATION_HELPERS = `
  fn sigmoidOf(z : f32) -> f32 {
    if (z >= 0.0) { return 1.0 / (1.0 + exp(-z)); }
    let e = exp(z);
    return e / (1.0 + e);
  }
  fn softplusOf(z : f32) -> f32 {
    if (z > 13.942385) { return z; }
    if (z < -13.942385) { return exp(z); }
    return log(1.0 + exp(z));
  }
  fn tanhOf(z : f32) -> f32 {
    let e = exp(-2.0 * abs(z));
    return sign(z) * (1.0 - e) / (1.0 + e);
  }`;

/** The parts' layout in the virtual input A, as baked into a program (model constants, not batch sizes). */
interface Layout {
  /** Per part: which distinct x (X0, X1…) and index (I0…, or −1), its width and first column in A. */
  parts: { x: number; index: number; width: number; offset: number }[];
  numX: number;
  numIndex: number;
  /** The weight's full width, and the window's first column and width. */
  weightColumns: number;
  columnStart: number;
  columns: number;
  bias: boolean;
  activation: FusedActivation | null;
}

const layoutKey = (l: Layout) =>
  `${l.parts.map((p) => `${p.x}.${p.index}.${p.width}.${p.offset}`).join('/')}_${l.weightColumns}_${l.columnStart}_${l.columns}_${l.bias}_${l.activation}`;

/** WGSL `readA(m, k)`: column k of the virtual input's row m. */
function readA(l: Layout): string {
  const branches = l.parts.map((p, i) => {
    const row = p.index >= 0 ? `I${p.index}[m]` : 'm';
    const read = `return X${p.x}[${row} * ${p.width} + k - ${p.offset}];`;
    return i === l.parts.length - 1 ? read : `if (k < ${p.offset + p.width}) { ${read} }`;
  });
  return `fn readA(m : i32, k : i32) -> f32 {\n    ${branches.join('\n    ')}\n  }`;
}

/** What a tiled product computes: out[r, c] = epilogue(Σ_i left(r, i)·right(i, c)). */
interface ProductCode {
  rows: string;
  cols: string;
  inner: string;
  /** Statements with `r`, `c` and the sum `acc` in scope, ending in setOutputAtIndex. */
  epilogue: string;
  /** The workgroup computes nothing (its output columns are outside the window): `wgCol` in scope. */
  idle?: string;
}

/** A 16×16-tiled product: each thread one output, A and B tiles staged in workgroup memory. */
function productSource(p: ProductCode, helpers: string): string {
  return `
  ${helpers}
  var<workgroup> tileL : array<f32, ${TILE * TILE}>;
  var<workgroup> tileR : array<f32, ${TILE * TILE}>;
  fn main() {
    let lr = i32(localId.y);
    let lc = i32(localId.x);
    let wgRow = i32(workgroupId.y) * ${TILE};
    let wgCol = i32(workgroupId.x) * ${TILE};
    let rows = ${p.rows};
    let cols = ${p.cols};
    let inner = ${p.inner};
    let idle = ${p.idle ?? 'false'};
    var acc = 0.0;
    for (var t = 0; t < inner; t = t + ${TILE}) {
      var l = 0.0;
      let li = t + lc;
      if (!idle && wgRow + lr < rows && li < inner) { l = left(wgRow + lr, li); }
      tileL[lr * ${TILE} + lc] = l;
      var rv = 0.0;
      let ri = t + lr;
      if (!idle && ri < inner && wgCol + lc < cols) { rv = right(ri, wgCol + lc); }
      tileR[lr * ${TILE} + lc] = rv;
      workgroupBarrier();
      for (var k = 0; k < ${TILE}; k = k + 1) {
        acc = acc + tileL[lr * ${TILE} + k] * tileR[k * ${TILE} + lc];
      }
      workgroupBarrier();
    }
    let r = wgRow + lr;
    let c = wgCol + lc;
    if (r < rows && c < cols) {
      ${p.epilogue}
    }
  }`;
}

function tiledProgram(outputShape: [number, number], key: string, variableNames: string[], source: string): Program {
  return {
    outputShape,
    shaderKey: `crystalgnn_dense_${key}`,
    dispatchLayout: { x: [1], y: [0] },
    dispatch: [Math.ceil(outputShape[1] / TILE), Math.ceil(outputShape[0] / TILE), 1],
    variableNames,
    workgroupSize: [TILE, TILE, 1],
    getUserCode: () => source,
  };
}

const inputNames = (l: Layout) => [
  ...Array.from({ length: l.numX }, (_, i) => `X${i}`),
  ...Array.from({ length: l.numIndex }, (_, i) => `I${i}`),
];
const innerWidth = (l: Layout) => l.parts.reduce((a, p) => a + p.width, 0);
const weightAt = (l: Layout, k: string, n: string) => `W[(${k}) * ${l.weightColumns} + ${l.columnStart} + ${n}]`;

/** out [M, window] = act(A·W[:, window] + b[window]); with `DY`, dy ⊙ act'(…) instead (the backward's dz). */
function forwardProgram(l: Layout, rows: number, derivative: boolean): Program {
  const names = [...inputNames(l), 'W', ...(l.bias ? ['Bias'] : []), ...(derivative ? ['DY'] : [])];
  const act = l.activation ? ACTIVATIONS[l.activation] : null;
  const z = `acc${l.bias ? ` + Bias[${l.columnStart} + c]` : ''}`;
  const out = derivative ? `DY[r * ${l.columns} + c] * (${act!.derivative})` : act ? act.value : 'z';
  const source = productSource(
    {
      rows: 'uniforms.outShape[0]',
      cols: `${l.columns}`,
      inner: `${innerWidth(l)}`,
      epilogue: `let z = ${z};\n      setOutputAtIndex(r * ${l.columns} + c, ${out});`,
    },
    `${ACTIVATION_HELPERS}
  ${readA(l)}
  fn left(m : i32, k : i32) -> f32 { return readA(m, k); }
  fn right(k : i32, n : i32) -> f32 { return ${weightAt(l, 'k', 'n')}; }`,
  );
  return tiledProgram([rows, l.columns], `${derivative ? 'dz' : 'fwd'}_${layoutKey(l)}`, names, source);
}

/** dW [K, weightColumns] = Aᵀ·dz inside the window, 0 outside. */
function weightGradProgram(l: Layout): Program {
  const names = [...inputNames(l), 'DZ'];
  const K = innerWidth(l);
  const end = l.columnStart + l.columns;
  const source = productSource(
    {
      rows: `${K}`,
      cols: `${l.weightColumns}`,
      inner: 'uniforms.dZShape[0]',
      idle: `wgCol + ${TILE} <= ${l.columnStart} || wgCol >= ${end}`,
      epilogue: `setOutputAtIndex(r * ${l.weightColumns} + c, select(0.0, acc, c >= ${l.columnStart} && c < ${end}));`,
    },
    `${readA(l)}
  fn left(k : i32, m : i32) -> f32 { return readA(m, k); }
  fn right(m : i32, c : i32) -> f32 {
    if (c < ${l.columnStart} || c >= ${end}) { return 0.0; }
    return DZ[m * ${l.columns} + c - ${l.columnStart}];
  }`,
  );
  return tiledProgram([K, l.weightColumns], `dw_${layoutKey(l)}`, names, source);
}

/** dA_p [M, width_p] = dz·W_pᵀ for part p (rows of A, before any scatter to x_p's rows). */
function inputGradProgram(l: Layout, part: number, rows: number): Program {
  const p = l.parts[part];
  const source = productSource(
    {
      rows: 'uniforms.outShape[0]',
      cols: `${p.width}`,
      inner: `${l.columns}`,
      epilogue: `setOutputAtIndex(r * ${p.width} + c, acc);`,
    },
    `fn left(m : i32, n : i32) -> f32 { return DZ[m * ${l.columns} + n]; }
  fn right(n : i32, j : i32) -> f32 { return ${weightAt(l, `${p.offset} + j`, 'n')}; }`,
  );
  return tiledProgram([rows, p.width], `dx_${part}_${layoutKey(l)}`, ['DZ', 'W'], source);
}

const SUM_WORKGROUP = 64;

/** db [weightColumns] = Σ_rows dz inside the window, 0 outside: one workgroup per column, a tree sum in shared memory. */
function biasGradProgram(l: Layout): Program {
  const end = l.columnStart + l.columns;
  return {
    outputShape: [l.weightColumns],
    shaderKey: `crystalgnn_dense_db_${l.weightColumns}_${l.columnStart}_${l.columns}`,
    dispatchLayout: { x: [0] },
    dispatch: [l.weightColumns, 1, 1],
    variableNames: ['DZ'],
    workgroupSize: [SUM_WORKGROUP, 1, 1],
    getUserCode: () => `
  var<workgroup> partial : array<f32, ${SUM_WORKGROUP}>;
  fn main(index : i32) {
    let c = i32(workgroupId.x);
    let lane = i32(localId.x);
    let inside = c >= ${l.columnStart} && c < ${end};
    var acc = 0.0;
    if (inside) {
      for (var m = lane; m < uniforms.dZShape[0]; m = m + ${SUM_WORKGROUP}) {
        acc = acc + DZ[m * ${l.columns} + c - ${l.columnStart}];
      }
    }
    partial[lane] = acc;
    workgroupBarrier();
    for (var stride = ${SUM_WORKGROUP / 2}; stride > 0; stride = stride / 2) {
      if (lane < stride) { partial[lane] = partial[lane] + partial[lane + stride]; }
      workgroupBarrier();
    }
    if (lane == 0) { setOutputAtIndex(c, partial[0]); }
  }`,
  };
}

const DENSE_KERNEL = 'CrystalGnnDense';

/** One kernel name for all four programs; `attrs.program` says which, `attrs.layout` (JSON) what it reads. */
tf.registerKernel({
  kernelName: DENSE_KERNEL,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const l = JSON.parse(attrs!.layout as string) as Layout;
    const which = attrs!.program as string;
    const rows = attrs!.rows as number;
    const named = inputs as Record<string, tf.TensorInfo>;
    const program =
      which === 'forward'
        ? forwardProgram(l, rows, false)
        : which === 'dz'
          ? forwardProgram(l, rows, true)
          : which === 'dw'
            ? weightGradProgram(l)
            : which === 'db'
              ? biasGradProgram(l)
              : inputGradProgram(l, attrs!.part as number, rows);
    return runWebGPUProgram(
      backend,
      program,
      program.variableNames.map((n) => named[n]),
    );
  },
});

function run(program: string, l: Layout, inputs: Record<string, tf.Tensor>, rows: number, part = -1): tf.Tensor {
  return tf.engine().runKernel(DENSE_KERNEL, inputs as tf.NamedTensorMap, {
    program,
    layout: JSON.stringify(l),
    rows,
    part,
  }) as tf.Tensor;
}

/** Storage buffers (output included) the widest of the programs binds, against the device's limit. */
function fitsDevice(l: Layout, rows: number): boolean {
  const limits = (tf.backend() as unknown as { device: GPUDevice }).device.limits;
  const buffers = 1 + l.numX + l.numIndex + 1 + (l.bias ? 1 : 0) + (l.activation ? 1 : 0);
  return (
    buffers <= limits.maxStorageBuffersPerShaderStage &&
    Math.ceil(rows / TILE) <= limits.maxComputeWorkgroupsPerDimension
  );
}

/**
 * act([part₁ | part₂ | …]·W[:, columns] + b[columns]) as one kernel on webgpu (gradients as described above);
 * null elsewhere, or where the device cannot bind the program, so the caller composes the ops instead.
 * Parts that share an x (or an index) read the same buffer; the gradient of a shared x is the sum over its parts.
 */
export function fusedDense(
  parts: FusedPart[],
  weight: tf.Tensor2D,
  bias: tf.Tensor1D | null,
  columns: [number, number],
  activation: FusedActivation | null,
): tf.Tensor2D | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const rows = parts[0].index ? parts[0].index.shape[0] : parts[0].x.shape[0];
  if (parts.some((p) => (p.index ? p.index.shape[0] : p.x.shape[0]) !== rows)) return null;
  const xs: tf.Tensor2D[] = [];
  const indices: tf.Tensor1D[] = [];
  const slot = <T>(list: T[], t: T) => (list.includes(t) ? list.indexOf(t) : list.push(t) - 1);
  let offset = 0;
  const layout: Layout = {
    parts: parts.map((p) => {
      const part = { x: slot(xs, p.x), index: p.index ? slot(indices, p.index) : -1, width: p.x.shape[1], offset };
      offset += part.width;
      return part;
    }),
    numX: 0,
    numIndex: 0,
    weightColumns: weight.shape[1],
    columnStart: columns[0],
    columns: columns[1],
    bias: bias !== null,
    activation,
  };
  layout.numX = xs.length;
  layout.numIndex = indices.length;
  if (!fitsDevice(layout, rows)) return null;
  // only inputs that get a gradient go through customGrad; data inputs and indices are saved for the backward
  // (an intermediate data input, e.g. an embedding's gathered rows, is disposed with the forward scope otherwise)
  const gradX = xs.filter((_x, i) => parts.some((p, k) => layout.parts[k].x === i && p.inputGrad));
  const f = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const tensors = args as tf.Tensor[];
    const w = tensors[gradX.length];
    const b = bias ? tensors[gradX.length + 1] : null;
    const xIn = xs.map((x) => (gradX.includes(x) ? tensors[gradX.indexOf(x)] : x));
    save([...xIn, ...indices, w, ...(b ? [b] : [])]);
    const named = (x: tf.Tensor[], idx: tf.Tensor[]): Record<string, tf.Tensor> =>
      Object.fromEntries([...x.map((t, i) => [`X${i}`, t]), ...idx.map((t, i) => [`I${i}`, t])]);
    const value = run('forward', layout, { ...named(xIn, indices), W: w, ...(b ? { Bias: b } : {}) }, rows);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const xSaved = saved.slice(0, xs.length);
      const idxSaved = saved.slice(xs.length, xs.length + indices.length);
      const wSaved = saved[xs.length + indices.length];
      const inputs = {
        ...named(xSaved, idxSaved),
        W: wSaved,
        ...(b ? { Bias: saved[xs.length + indices.length + 1] } : {}),
      };
      const dz = activation ? run('dz', layout, { ...inputs, DY: dy }, rows) : dy;
      const dW = run('dw', layout, { ...inputs, DZ: dz }, rows);
      const dxs = gradX.map((x) => {
        let sum: tf.Tensor | null = null;
        for (const [k, p] of layout.parts.entries()) {
          if (xs[p.x] !== x || !parts[k].inputGrad) continue;
          const rowsGrad = run('dx', layout, { DZ: dz, W: wSaved }, rows, k);
          const term =
            p.index >= 0 ? tf.scatterND(tf.reshape(idxSaved[p.index], [-1, 1]), rowsGrad, x.shape) : rowsGrad;
          sum = sum ? tf.add(sum, term) : term;
        }
        return sum!;
      });
      return [...dxs, dW, ...(b ? [run('db', layout, { DZ: dz }, rows)] : [])];
    };
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(...gradX, weight, ...(bias ? [bias] : [])) as tf.Tensor2D;
}
