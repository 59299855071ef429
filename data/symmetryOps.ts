/**
 * Crystallographic symmetry operations written as xyz strings ('-x+1/2, y, -z+1/2', 'x-y, x, z+2/3',
 * '0.5+x, y, z') and their action on fractional coordinates.
 */
import { InputError } from './errors.js';

/**
 * A 3×4 affine map on fractional coordinates, row-major: x'_i = Σ_j m[4i+j]·x_j + m[4i+3].
 */
export type SymOp = Float64Array;

/** The identity operation 'x, y, z'. */
export function identityOp(): SymOp {
  return Float64Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Parses one xyz string into a `SymOp`. Each of the three comma-separated parts is a signed sum of
 * terms: a variable (x, y, z in either case) with an optional numeric coefficient ('2x', '1/2*x'),
 * or a constant ('1/2', '0.25'). Constants add up. Throws `InputError` naming `where` (file:line)
 * on anything else.
 */
export function parseSymOp(xyz: string, where: string): SymOp {
  const cached = cache.get(xyz);
  if (cached) return cached.slice();
  const op = parseUncached(xyz, where);
  if (cache.size < 4096) cache.set(xyz, op);
  return op.slice();
}

/** The same few hundred operation strings recur across files; parsing them once is a large share of CIF reading. */
const cache = new Map<string, SymOp>();

function parseUncached(xyz: string, where: string): SymOp {
  const bad = (why: string): InputError => new InputError(`${where}: bad symmetry operation '${xyz}': ${why}`);
  const op = new Float64Array(12);
  const n = xyz.length;
  let i = 0;
  const skipSpace = (): void => {
    while (i < n && (xyz.charCodeAt(i) === 32 || xyz.charCodeAt(i) === 9)) i++;
  };
  const readNumber = (): number => {
    const start = i;
    while (i < n && (isDigit(xyz.charCodeAt(i)) || xyz.charCodeAt(i) === 46)) i++;
    if (i === start) return NaN;
    const x = Number(xyz.slice(start, i));
    if (Number.isNaN(x)) throw bad(`bad number '${xyz.slice(start, i)}'`);
    return x;
  };
  for (let row = 0; row < 3; row++) {
    if (row > 0) {
      if (xyz.charCodeAt(i) !== 44) throw bad(`expected 3 comma-separated parts`);
      i++;
    }
    let terms = 0;
    skipSpace();
    while (i < n && xyz.charCodeAt(i) !== 44) {
      let sign = 1;
      const c = xyz.charCodeAt(i);
      if (c === 43 || c === 45) {
        if (c === 45) sign = -1;
        i++;
        skipSpace();
      } else if (terms > 0) {
        throw bad(`expected '+' or '-' at '${xyz.slice(i)}'`);
      }
      const numStart = i;
      let coef = readNumber();
      if (!Number.isNaN(coef)) {
        skipSpace();
        if (xyz.charCodeAt(i) === 47) {
          i++;
          skipSpace();
          coef /= readNumber();
          skipSpace();
        }
        if (!Number.isFinite(coef)) throw bad(`bad number '${xyz.slice(numStart, i).trim()}'`);
        if (xyz.charCodeAt(i) === 42) {
          i++;
          skipSpace();
        }
      }
      const v = (xyz.charCodeAt(i) | 32) - 120; // 'x'/'X' → 0, 'y' → 1, 'z' → 2
      if (v >= 0 && v <= 2) {
        op[4 * row + v] += sign * (Number.isNaN(coef) ? 1 : coef);
        i++;
      } else if (Number.isNaN(coef)) {
        throw bad(
          i < n && xyz.charCodeAt(i) !== 44 ? `unexpected '${xyz.slice(i)}'` : `part ${row + 1} ends in a sign`,
        );
      } else {
        op[4 * row + 3] += sign * coef;
      }
      terms++;
      skipSpace();
    }
    if (terms === 0) throw bad(`part ${row + 1} is empty`);
  }
  if (i < n) throw bad(`expected 3 comma-separated parts, found more`);
  return op;
}

/** Applies `op` to (x, y, z), writing x' into out[o..o+2] without wrapping into the cell. */
export function applySymOp(op: SymOp, x: number, y: number, z: number, out: Float64Array, o: number): void {
  out[o] = op[0] * x + op[1] * y + op[2] * z + op[3];
  out[o + 1] = op[4] * x + op[5] * y + op[6] * z + op[7];
  out[o + 2] = op[8] * x + op[9] * y + op[10] * z + op[11];
}
