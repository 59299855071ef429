/**
 * The per-segment maximum of `segmentMax` (models/layers/ops.ts) as one WGSL program on webgpu (docs/webgpu.md,
 * "Fused kernels"):
 *
 *   m_s = max_{e: ids_e = s} x_e        x [E], ids [E] int32 → [S]; −∞ for an empty segment
 *
 * One thread per segment scans all E entries. The composed form sorts instead (two topk, a cumsum and a dozen index
 * kernels), and webgpu's topk is a bitonic sort of about 55 dispatches: a Set2Set step spent some 350 dispatches
 * on its segment maxima. The scan costs S·E comparisons, which is small for what uses it (Set2Set's crystals of a
 * batch: S graphs, E atoms). The maximum is exact either way, so the result equals the composed one. Forward only, as
 * `segmentMax` itself; other backends never reach this kernel (`fusedSegmentMax` returns null there).
 */
import * as tf from '@tensorflow/tfjs';
import { flatProgram, registerWebGPUKernels, runWebGPUProgram, type Program } from './fusedProgram.js';

const SEGMENT_MAX = 'CrystalGnnSegmentMax';

function segmentMaxProgram(segments: number): Program {
  return flatProgram(
    [segments],
    'crystalgnn_segment_max',
    ['X', 'segmentOf'],
    `
          let E = uniforms.entries;
          var m = -uniforms.INFINITY;
          for (var e = 0; e < E; e = e + 1) {
            if (segmentOf[e] == index) { m = max(m, X[e]); }
          }
          setOutputAtIndex(index, m);`,
    'entries : i32,',
  );
}

registerWebGPUKernels<Record<string, number>>([
  [
    SEGMENT_MAX,
    (i, backend, a) =>
      runWebGPUProgram(
        backend,
        segmentMaxProgram(a.segments),
        [i.X, i.segmentOf],
        [{ type: 'int32', data: [i.X.shape[0]] }],
      ),
  ],
]);

/** max of x [E] per segment as one kernel on webgpu → [S]; null elsewhere, where the caller composes the ops. */
export function fusedSegmentMax(x: tf.Tensor1D, segmentIds: tf.Tensor1D, numSegments: number): tf.Tensor1D | null {
  if (tf.getBackend() !== 'webgpu' || x.rank !== 1 || x.shape[0] === 0 || segmentIds.shape[0] !== x.shape[0])
    return null;
  return tf.engine().runKernel(SEGMENT_MAX, { X: x, segmentOf: segmentIds }, {
    segments: numSegments,
  } as unknown as tf.NamedAttrMap) as tf.Tensor1D;
}
