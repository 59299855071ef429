/**
 * What the fused Clebsch–Gordan kernels share (fusedSo3.ts, fusedTensorProduct.ts): the coefficient table
 * (clebschGordan.ts) written into a shader as unrolled terms, one branch per output key.
 */
import type { ClebschGordan } from './clebschGordan.js';

/** One nonzero coefficient: c · a[s₁] b[s₂] → out[s]. */
export interface Term {
  c: number;
  s1: number;
  s2: number;
  s: number;
}

export const termsOf = (cg: ClebschGordan): Term[] =>
  cg.c.map((c, k) => ({ c, s1: cg.s1[k], s2: cg.s2[k], s: cg.s[k] }));

/** A WGSL f32 literal of c (parenthesised when negative). */
export const literal = (c: number) => {
  const text = c.toPrecision(9);
  const f = /[.e]/.test(text) ? text : `${text}.0`;
  return c < 0 ? `(${f})` : f;
};

/**
 * `var t = 0.0;` then, for the branch whose key equals `selector`, t = Σ of its terms. Keys without terms are
 * left out (t stays 0).
 */
export function branches(selector: string, keys: number, termsFor: (key: number) => string[]): string {
  const parts: string[] = [];
  for (let key = 0; key < keys; key++) {
    const terms = termsFor(key);
    if (terms.length) parts.push(`if (${selector} == ${key}) { t = ${terms.join(' + ')}; }`);
  }
  return `var t = 0.0;\n            ${parts.join(' else ')}`;
}
