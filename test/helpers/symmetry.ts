/**
 * Symmetry checks for crystal models (docs/testing.md): a crystal is rotated (proper and improper), translated, its
 * atoms permuted, and its cell replaced by a supercell or another cell of the same lattice; then
 * - `expectInvariant`: a per-crystal (intensive) output must not change;
 * - `expectEquivariant`: per-atom features [N, C, F] must transform as f'_k = D(R)·f_{map(k)}, where D(R) [C, C]
 *   acts on the channel axis (D = R for Cartesian vectors, a Wigner-like matrix for spherical-harmonic channels,
 *   see `sphericalChannelMatrix`) and map(k) is the original atom of the new atom k.
 * Errors are relative to the largest |value| (so an all-zero output cannot pass by accident: it fails).
 */
import { invert3 } from '../../data/lattice.js';
import type { Atoms, Matrix3, Vec3 } from '../../data/structure.js';
import seedrandom from 'seedrandom';

export type TransformKind = 'rotation' | 'reflection' | 'translation' | 'permutation' | 'supercell' | 'cellChoice';
export const ALL_TRANSFORMS: TransformKind[] = [
  'rotation',
  'reflection',
  'translation',
  'permutation',
  'supercell',
  'cellChoice',
];

export interface CrystalTransform {
  kind: TransformKind;
  atoms: Atoms;
  /** Cartesian r' = R·r (det −1 for a reflection); identity when nothing rotates. */
  rotation: Matrix3;
  /** New atom k is a copy of original atom atomMap[k]. */
  atomMap: Int32Array;
}

export interface SymmetryOptions {
  /** Relative tolerance on max|Δ| / max|reference| (default 1e-5). */
  rtol?: number;
  seed?: string;
  kinds?: TransformKind[];
  /** Random draws of each random transform (default 2). */
  trials?: number;
}

const IDENTITY: Matrix3 = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
];

/** Uniform random rotation (Shoemake's quaternion method); `improper` multiplies it by −1 (det −1). */
export function randomRotation(rng: () => number, improper = false): Matrix3 {
  const [u1, u2, u3] = [rng(), rng(), rng()];
  const a = Math.sqrt(1 - u1),
    b = Math.sqrt(u1);
  const [w, x, y, z] = [
    a * Math.sin(2 * Math.PI * u2),
    a * Math.cos(2 * Math.PI * u2),
    b * Math.sin(2 * Math.PI * u3),
    b * Math.cos(2 * Math.PI * u3),
  ];
  const s = improper ? -1 : 1;
  return [
    [s * (1 - 2 * (y * y + z * z)), s * 2 * (x * y - z * w), s * 2 * (x * z + y * w)],
    [s * 2 * (x * y + z * w), s * (1 - 2 * (x * x + z * z)), s * 2 * (y * z - x * w)],
    [s * 2 * (x * z - y * w), s * 2 * (y * z + x * w), s * (1 - 2 * (x * x + y * y))],
  ];
}

const rotateVec = (r: Matrix3, v: readonly number[]): Vec3 =>
  [0, 1, 2].map((i) => r[i][0] * v[0] + r[i][1] * v[1] + r[i][2] * v[2]) as Vec3;

function withFrac(atoms: Atoms, lattice: Matrix3, frac: Float64Array, numbers = atoms.numbers, id = atoms.id): Atoms {
  const cart = new Float64Array(frac.length);
  for (let k = 0; k < frac.length; k += 3) {
    for (let x = 0; x < 3; x++)
      cart[k + x] = frac[k] * lattice[0][x] + frac[k + 1] * lattice[1][x] + frac[k + 2] * lattice[2][x];
  }
  return { id, lattice, numbers, frac, cart };
}

const wrap = (f: number): number => f - Math.floor(f);

export function rotateAtoms(atoms: Atoms, r: Matrix3): Atoms {
  const lattice = atoms.lattice.map((row) => rotateVec(r, row)) as Matrix3;
  const cart = new Float64Array(atoms.cart.length);
  for (let k = 0; k < cart.length; k += 3)
    cart.set(rotateVec(r, [atoms.cart[k], atoms.cart[k + 1], atoms.cart[k + 2]]), k);
  return { ...atoms, lattice, cart, frac: Float64Array.from(atoms.frac) };
}

/** Shifts every atom by the fractional vector t and wraps back into the cell. */
export function translateAtoms(atoms: Atoms, t: Vec3): Atoms {
  return withFrac(
    atoms,
    atoms.lattice,
    atoms.frac.map((f, k) => wrap(f + t[k % 3])),
  );
}

/** New atom k = old atom perm[k]. */
export function permuteAtoms(atoms: Atoms, perm: ArrayLike<number>): Atoms {
  const frac = new Float64Array(atoms.frac.length);
  const numbers = new Int32Array(atoms.numbers.length);
  for (let k = 0; k < perm.length; k++) {
    numbers[k] = atoms.numbers[perm[k]];
    frac.set(atoms.frac.subarray(3 * perm[k], 3 * perm[k] + 3), 3 * k);
  }
  return withFrac(atoms, atoms.lattice, frac, numbers);
}

/**
 * The same periodic crystal in the cell L' = M·L (M integer, det M = n ≥ 1): n copies of every atom.
 * Returns the atoms and the map new atom → original atom.
 */
export function supercellAtoms(atoms: Atoms, m: Matrix3): { atoms: Atoms; atomMap: Int32Array } {
  const lattice = [0, 1, 2].map((i) =>
    [0, 1, 2].map((x) => m[i][0] * atoms.lattice[0][x] + m[i][1] * atoms.lattice[1][x] + m[i][2] * atoms.lattice[2][x]),
  ) as Matrix3;
  const mInv = invert3(m);
  const n = atoms.numbers.length;
  const seen = new Set<string>();
  const frac: number[] = [];
  const map: number[] = [];
  const span = 3; // integer translations of the old cell to try, enough for |M| entries ≤ 2
  for (let i = 0; i < n; i++) {
    for (let a = -span; a <= span; a++)
      for (let b = -span; b <= span; b++)
        for (let c = -span; c <= span; c++) {
          const old = [atoms.frac[3 * i] + a, atoms.frac[3 * i + 1] + b, atoms.frac[3 * i + 2] + c];
          const f = [0, 1, 2].map((x) => wrap(old[0] * mInv[0][x] + old[1] * mInv[1][x] + old[2] * mInv[2][x]));
          const key = `${i}:${f.map((v) => Math.round(v * 1e6) % 1e6).join(',')}`;
          if (seen.has(key)) continue;
          seen.add(key);
          frac.push(...f.map((v) => (v > 1 - 1e-12 ? 0 : v)));
          map.push(i);
        }
  }
  const det = Math.round(
    Math.abs(
      m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
        m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
        m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]),
    ),
  );
  if (map.length !== n * det) throw new Error(`supercell: found ${map.length} atoms, expected ${n * det}`);
  const numbers = Int32Array.from(map.map((i) => atoms.numbers[i]));
  return {
    atoms: withFrac(atoms, lattice, Float64Array.from(frac), numbers, `${atoms.id}-super`),
    atomMap: Int32Array.from(map),
  };
}

/** The transformed crystals the checks run on, seeded. */
export function symmetryTransforms(atoms: Atoms, opts: SymmetryOptions = {}): CrystalTransform[] {
  const rng = seedrandom(opts.seed ?? 'symmetry');
  const kinds = opts.kinds ?? ALL_TRANSFORMS;
  const trials = opts.trials ?? 2;
  const n = atoms.numbers.length;
  const same = Int32Array.from({ length: n }, (_, i) => i);
  const out: CrystalTransform[] = [];
  for (const kind of kinds) {
    if (kind === 'supercell' || kind === 'cellChoice') {
      const m: Matrix3 =
        kind === 'supercell'
          ? [
              [2, 0, 0],
              [0, 1, 0],
              [0, 0, 1],
            ]
          : [
              [1, 1, 0],
              [0, 1, 0],
              [0, -1, 1],
            ];
      const s = supercellAtoms(atoms, m);
      out.push({ kind, atoms: s.atoms, rotation: IDENTITY, atomMap: s.atomMap });
      continue;
    }
    for (let t = 0; t < trials; t++) {
      if (kind === 'rotation' || kind === 'reflection') {
        const r = randomRotation(rng, kind === 'reflection');
        out.push({ kind, atoms: rotateAtoms(atoms, r), rotation: r, atomMap: same });
      } else if (kind === 'translation') {
        out.push({ kind, atoms: translateAtoms(atoms, [rng(), rng(), rng()]), rotation: IDENTITY, atomMap: same });
      } else {
        const perm = Array.from({ length: n }, (_, i) => i);
        for (let i = n - 1; i > 0; i--) {
          const j = Math.floor(rng() * (i + 1));
          [perm[i], perm[j]] = [perm[j], perm[i]];
        }
        out.push({ kind, atoms: permuteAtoms(atoms, perm), rotation: IDENTITY, atomMap: Int32Array.from(perm) });
      }
    }
  }
  return out;
}

function maxAbs(v: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
}

function fail(kind: string, err: number, rtol: number, what: string): never {
  throw new Error(`${what} under ${kind}: relative error ${err.toExponential(2)} > ${rtol.toExponential(1)}`);
}

/**
 * predict(atoms) → per-crystal numbers (any length) that every transform must leave unchanged. `predict` may be
 * async (tensor reads are, on webgpu); the check then resolves or rejects.
 */
export async function expectInvariant(
  predict: (atoms: Atoms) => ArrayLike<number> | Promise<ArrayLike<number>>,
  atoms: Atoms,
  opts: SymmetryOptions = {},
): Promise<void> {
  const rtol = opts.rtol ?? 1e-5;
  const ref = Array.from(await predict(atoms));
  const scale = maxAbs(ref);
  if (!(scale > 0) || ref.some((v) => !Number.isFinite(v)))
    throw new Error(`invariance check: reference output is zero or not finite (${ref.slice(0, 4).join(', ')})`);
  for (const t of symmetryTransforms(atoms, opts)) {
    const got = await predict(t.atoms);
    if (got.length !== ref.length)
      throw new Error(`invariance under ${t.kind}: ${got.length} outputs, expected ${ref.length}`);
    let err = 0;
    for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(got[i] - ref[i]));
    if (!(err <= rtol * scale)) fail(t.kind, err / scale, rtol, 'output');
  }
}

export interface EquivariantFeatures {
  /** Row-major [N, C, F]. */
  data: ArrayLike<number>;
  channels: number;
  features: number;
}

/**
 * features(atoms) → per-atom [N, C, F]; channelMatrix(R) → D(R) [C][C] acting on the channel axis. Checks
 * f'[k, c, :] = Σ_c' D[c][c'] · f[map(k), c', :] for every transform. `features` may be async, as in expectInvariant.
 */
export async function expectEquivariant(
  features: (atoms: Atoms) => EquivariantFeatures | Promise<EquivariantFeatures>,
  channelMatrix: (r: Matrix3) => number[][],
  atoms: Atoms,
  opts: SymmetryOptions = {},
): Promise<void> {
  const rtol = opts.rtol ?? 1e-5;
  const ref = await features(atoms);
  const { channels: c, features: f } = ref;
  const scale = maxAbs(ref.data);
  if (!(scale > 0)) throw new Error('equivariance check: reference features are all zero');
  for (const t of symmetryTransforms(atoms, opts)) {
    const got = await features(t.atoms);
    if (got.data.length !== t.atomMap.length * c * f)
      throw new Error(`equivariance under ${t.kind}: ${got.data.length} values, expected ${t.atomMap.length * c * f}`);
    const d = channelMatrix(t.rotation);
    let err = 0;
    t.atomMap.forEach((orig, k) => {
      for (let ch = 0; ch < c; ch++)
        for (let x = 0; x < f; x++) {
          let want = 0;
          for (let cc = 0; cc < c; cc++) want += d[ch][cc] * ref.data[(orig * c + cc) * f + x];
          err = Math.max(err, Math.abs(got.data[(k * c + ch) * f + x] - want));
        }
    });
    if (!(err <= rtol * scale)) fail(t.kind, err / scale, rtol, 'features');
  }
}

/** D(R) = R: Cartesian vector channels (x, y, z), e.g. PaiNN's μ [N, 3, F]. */
export const cartesianMatrix = (r: Matrix3): number[][] => r.map((row) => row.slice());

/**
 * D(R) for channels that transform like the functions y(u) [C] of the unit vector u (real spherical harmonics up
 * to some l_max, in any order): the least-squares solution of y(R·u_k) = D·y(u_k) over many random u_k. Exact
 * (to rounding) whenever the span of y is rotation-closed, as it is for complete l-blocks.
 */
export function sphericalChannelMatrix(y: (u: Vec3) => number[], seed = 'wigner'): (r: Matrix3) => number[][] {
  return (r) => {
    const rng = seedrandom(seed);
    const samples: Vec3[] = Array.from({ length: 64 }, () => {
      const z = 2 * rng() - 1,
        phi = 2 * Math.PI * rng(),
        s = Math.sqrt(1 - z * z);
      return [s * Math.cos(phi), s * Math.sin(phi), z];
    });
    const a = samples.map((u) => y(u));
    const b = samples.map((u) => y(rotateVec(r, u)));
    const c = a[0].length;
    // D = (Bᵀ A)(Aᵀ A)⁻¹, with A, B [K, C]: solve (AᵀA) Dᵀ = Aᵀ B by Gauss-Jordan.
    const ata = Array.from({ length: c }, (_, i) =>
      Array.from({ length: c }, (_, j) => a.reduce((s, row) => s + row[i] * row[j], 0)),
    );
    const atb = Array.from({ length: c }, (_, i) =>
      Array.from({ length: c }, (_, j) => a.reduce((s, row, k) => s + row[i] * b[k][j], 0)),
    );
    for (let p = 0; p < c; p++) {
      let best = p;
      for (let q = p + 1; q < c; q++) if (Math.abs(ata[q][p]) > Math.abs(ata[best][p])) best = q;
      [ata[p], ata[best]] = [ata[best], ata[p]];
      [atb[p], atb[best]] = [atb[best], atb[p]];
      for (let q = 0; q < c; q++) {
        if (q === p) continue;
        const m = ata[q][p] / ata[p][p];
        for (let j = 0; j < c; j++) {
          ata[q][j] -= m * ata[p][j];
          atb[q][j] -= m * atb[p][j];
        }
      }
    }
    const dT = atb.map((row, i) => row.map((v) => v / ata[i][i]));
    return Array.from({ length: c }, (_, i) => Array.from({ length: c }, (_, j) => dT[j][i]));
  };
}

/** A small triclinic crystal (4 atoms, Li/O/P/S) for fast symmetry tests; cart = frac · L. */
export function smallCrystal(): Atoms {
  const lattice: Matrix3 = [
    [4.1, 0, 0],
    [0.7, 3.9, 0],
    [-0.5, 0.4, 4.4],
  ];
  const frac = Float64Array.from([0.1, 0.2, 0.3, 0.6, 0.55, 0.15, 0.35, 0.8, 0.7, 0.85, 0.1, 0.6]);
  return withFrac(
    { id: 'small', lattice, numbers: Int32Array.from([3, 8, 15, 16]), frac, cart: new Float64Array(12) },
    lattice,
    frac,
  );
}
