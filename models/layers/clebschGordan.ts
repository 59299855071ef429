/**
 * Real Clebsch–Gordan coefficients and the tensor product of irreducible features (docs/architectures.md §5.1,
 * SchNetPack `generate_clebsch_gordan_rsh` + `SO3TensorProduct`):
 *
 *   TP(a, b)[s] = Σ_{(s₁, s₂, s, c)} c · a[s₁] ⊙ b[s₂]       (elementwise over the feature axis F)
 *
 * with parity-respecting paths only ((−1)^(l₁+l₂) = (−1)^l). For l_max = 1: TP₀ = a₀b₀ − (a₁b₁ + a₂b₂ + a₃b₃)/√3,
 * TP_m = a₀b_m + a_m b₀. The table is generated (models/layers/generated/clebschGordan.ts, by
 * scripts/generate/clebschGordan.py) in the channel order of `sphericalHarmonics.ts`.
 * a, b [N, S, F] with S = (l_max+1)² → [N, S, F].
 */
import * as tf from '@tensorflow/tfjs';
import { fusedTensorProduct } from './fusedTensorProduct.js';
import { unstack } from './ops.js';
import { CG_TABLE, CG_TABLE_LMAX } from './generated/clebschGordan.js';
import { numChannels } from './sphericalHarmonics.js';

/** Nonzero coefficients in row-major (s₁, s₂, s) order. */
export interface ClebschGordan {
  lmax: number;
  s1: number[];
  s2: number[];
  s: number[];
  c: number[];
}

/** The nonzero real CG coefficients with every index below (l_max+1)². */
export function clebschGordan(lmax: number): ClebschGordan {
  if (!Number.isInteger(lmax) || lmax < 0 || lmax > CG_TABLE_LMAX) {
    throw new Error(`Clebsch–Gordan table: l_max must be an integer in [0, ${CG_TABLE_LMAX}], got ${lmax}`);
  }
  const n = numChannels(lmax);
  const out: ClebschGordan = { lmax, s1: [], s2: [], s: [], c: [] };
  for (const [a, b, s, c] of CG_TABLE) {
    if (a >= n || b >= n || s >= n) continue;
    out.s1.push(a);
    out.s2.push(b);
    out.s.push(s);
    out.c.push(c);
  }
  return out;
}

/**
 * TP on channel slices: a[s], b[s] are [K, F] tensors (S of each) → S slices. Terms of one output channel that
 * share a coefficient are summed before one multiplication (for l_max = 1: 10 products, 1 scaling).
 */
export function tensorProductSlices(a: tf.Tensor[], b: tf.Tensor[], cg: ClebschGordan): tf.Tensor[] {
  const n = numChannels(cg.lmax);
  if (a.length !== n || b.length !== n)
    throw new Error(`tensorProduct(l_max ${cg.lmax}): inputs need ${n} channels, got ${a.length} and ${b.length}`);
  const groups: Array<Map<string, { c: number; terms: tf.Tensor[] }>> = Array.from({ length: n }, () => new Map());
  cg.c.forEach((c, k) => {
    const key = c.toPrecision(12);
    const g = groups[cg.s[k]].get(key) ?? { c, terms: [] };
    g.terms.push(tf.mul(a[cg.s1[k]], b[cg.s2[k]]));
    groups[cg.s[k]].set(key, g);
  });
  return groups.map((bySign) => {
    const parts = [...bySign.values()].map(({ c, terms }) => {
      const sum = terms.length === 1 ? terms[0] : tf.addN(terms);
      return Math.abs(c - 1) < 1e-12 ? sum : tf.mul(sum, c);
    });
    return parts.length === 0 ? tf.zerosLike(a[0]) : parts.length === 1 ? parts[0] : tf.addN(parts);
  });
}

/**
 * TP(a, b) over axis 1. Channels are unstacked into [N, F] slices, so the cost is one product per nonzero
 * coefficient (10 for l_max = 1, 83 for l_max = 2) and no [N, S, S, F] intermediate. On webgpu one fused program
 * forward and one per input backward (fusedTensorProduct.ts).
 */
export function tensorProduct(a: tf.Tensor3D, b: tf.Tensor3D, cg: ClebschGordan): tf.Tensor3D {
  const n = numChannels(cg.lmax);
  if (a.shape[1] !== n || b.shape[1] !== n) {
    throw new Error(
      `tensorProduct(l_max ${cg.lmax}): inputs need ${n} channels, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`,
    );
  }
  const fused = fusedTensorProduct(a, b, cg);
  if (fused) return fused;
  return tf.stack(tensorProductSlices(unstack(a, 1), unstack(b, 1), cg), 1) as tf.Tensor3D;
}
