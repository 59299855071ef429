/**
 * Bit-exact re-implementations of the numpy random streams the OBELiX benchmark's folds depend on
 * (docs/protocol.md §9), so fold sets can be regenerated instead of only read from folds.json.
 *
 * - `RandomState`: numpy's legacy MT19937 generator (`np.random.seed`, `np.random.shuffle`,
 *   `RandomState(seed).permutation`, sklearn `KFold(shuffle=True, random_state=int)`).
 * - `Pcg64Generator`: `np.random.default_rng(seed)`, i.e. Generator(PCG64) seeded through
 *   `SeedSequence`. Its 128-bit state arithmetic uses BigInt.
 *
 * Both shuffle the numpy way: Fisher–Yates from the last index down to 1, each index j ∈ [0, i]
 * drawn by masking a raw output to the smallest all-ones mask ≥ i and rejecting values > i.
 * Checked against numpy 1.24 outputs in test/fixtures/numpy-random.json.
 */

/** A source of raw 32-bit outputs, as numpy's `next_uint32`. */
export interface Uint32Source {
  nextUint32(): number;
}

/** numpy `random_interval(max)`: uniform integer in [0, max] by masked rejection (max < 2^32). */
export function randomInterval(source: Uint32Source, max: number): number {
  if (!Number.isInteger(max) || max < 0 || max > 0xffffffff)
    throw new RangeError(`randomInterval: max ${max} outside [0, 2^32)`);
  if (max === 0) return 0;
  let mask = max;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  mask >>>= 0;
  for (;;) {
    const value = (source.nextUint32() & mask) >>> 0;
    if (value <= max) return value;
  }
}

/** In-place numpy shuffle of a 1-D sequence (`_shuffle_raw`): i from n−1 down to 1, swap with random_interval(i). */
export function shuffleInPlace<T>(source: Uint32Source, values: { length: number; [i: number]: T }): void {
  for (let i = values.length - 1; i >= 1; i--) {
    const j = randomInterval(source, i);
    const tmp = values[i];
    values[i] = values[j];
    values[j] = tmp;
  }
}

function permutationOf(source: Uint32Source, n: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`permutation: n = ${n} is not a non-negative integer`);
  const out = Array.from({ length: n }, (_, i) => i);
  shuffleInPlace(source, out);
  return out;
}

const MT_N = 624;
const MT_M = 397;

/** numpy legacy `RandomState(seed)` (MT19937 seeded with the reference `init_genrand`). */
export class RandomState implements Uint32Source {
  // protected: data/pythonRandom.ts mixes a seed array into it (CPython init_by_array)
  protected readonly key = new Uint32Array(MT_N);
  private pos = MT_N;

  /** @param seed integer in [0, 2^32), as `np.random.seed(seed)`. */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
      throw new RangeError(`RandomState: seed ${seed} must be an integer in [0, 2^32)`);
    let s = seed >>> 0;
    for (let i = 0; i < MT_N; i++) {
      this.key[i] = s;
      s = (Math.imul(1812433253, (s ^ (s >>> 30)) >>> 0) + i + 1) >>> 0;
    }
  }

  /** The 624-word MT state (a copy), as `get_state()[1]`. */
  stateKey(): Uint32Array {
    return this.key.slice();
  }

  private generate(): void {
    const k = this.key;
    for (let i = 0; i < MT_N; i++) {
      const y = (k[i] & 0x80000000) | (k[(i + 1) % MT_N] & 0x7fffffff);
      k[i] = k[(i + MT_M) % MT_N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.pos = 0;
  }

  nextUint32(): number {
    if (this.pos >= MT_N) this.generate();
    let y = this.key[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `random_sample()`: a 53-bit double in [0, 1) from two outputs. */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** `permutation(n)` = shuffle of arange(n). `choice(n, k, replace=False)` is its first k. */
  permutation(n: number): number[] {
    return permutationOf(this, n);
  }

  shuffle<T>(values: { length: number; [i: number]: T }): void {
    shuffleInPlace(this, values);
  }
}

const M32 = 0xffffffff;
const SS_INIT_A = 0x43b0d7e5;
const SS_MULT_A = 0x931e8875;
const SS_INIT_B = 0x8b51f9dd;
const SS_MULT_B = 0x58f38ded;
const SS_MIX_L = 0xca01f9dd;
const SS_MIX_R = 0x4973f715;
const SS_POOL = 4;

/** Splits a non-negative integer into little-endian 32-bit words (at least one), as numpy does with entropy. */
function toUint32Words(seed: bigint): number[] {
  if (seed < 0n) throw new RangeError(`SeedSequence: entropy ${seed} must be non-negative`);
  const words: number[] = [];
  let s = seed;
  do {
    words.push(Number(s & 0xffffffffn));
    s >>= 32n;
  } while (s > 0n);
  return words;
}

/**
 * numpy `SeedSequence(entropy).generate_state(nWords)` (uint32 words), for integer entropy and no
 * spawn key. The hash/mix constants are those of O'Neill's seed_seq_fe, which numpy adopts.
 */
export function seedSequenceState(entropy: number | bigint, nWords: number): Uint32Array {
  const words = toUint32Words(BigInt(entropy));
  let hashConst = SS_INIT_A;
  const hashmix = (value: number): number => {
    let v = (value ^ hashConst) >>> 0;
    hashConst = Math.imul(hashConst, SS_MULT_A) >>> 0;
    v = Math.imul(v, hashConst) >>> 0;
    return (v ^ (v >>> 16)) >>> 0;
  };
  const mix = (x: number, y: number): number => {
    const r = (Math.imul(SS_MIX_L, x) - Math.imul(SS_MIX_R, y)) >>> 0;
    return (r ^ (r >>> 16)) >>> 0;
  };
  const pool = new Array<number>(SS_POOL);
  for (let i = 0; i < SS_POOL; i++) pool[i] = hashmix(i < words.length ? words[i] : 0);
  for (let src = 0; src < SS_POOL; src++) {
    for (let dst = 0; dst < SS_POOL; dst++) if (src !== dst) pool[dst] = mix(pool[dst], hashmix(pool[src]));
  }
  for (let src = SS_POOL; src < words.length; src++) {
    for (let dst = 0; dst < SS_POOL; dst++) pool[dst] = mix(pool[dst], hashmix(words[src]));
  }
  const out = new Uint32Array(nWords);
  let hashB = SS_INIT_B;
  for (let i = 0; i < nWords; i++) {
    let v = (pool[i % SS_POOL] ^ hashB) >>> 0;
    hashB = Math.imul(hashB, SS_MULT_B) >>> 0;
    v = Math.imul(v, hashB) >>> 0;
    out[i] = (v ^ (v >>> 16)) & M32;
  }
  return out;
}

const MASK64 = (1n << 64n) - 1n;
const MASK128 = (1n << 128n) - 1n;
const PCG_MULT = 0x2360ed051fc65da44385df649fccf645n;

/** numpy `Generator(PCG64(seed))` = `np.random.default_rng(seed)` (PCG XSL-RR 128/64). */
export class Pcg64Generator implements Uint32Source {
  private state = 0n;
  private readonly inc: bigint;
  private bufferedHigh: number | null = null;

  constructor(seed: number | bigint) {
    const w = seedSequenceState(seed, 8);
    // generate_state(4, uint64) views the 8 words as 4 little-endian uint64s.
    const u64 = (i: number): bigint => (BigInt(w[2 * i + 1]) << 32n) | BigInt(w[2 * i]);
    const initState = (u64(0) << 64n) | u64(1);
    const initSeq = (u64(2) << 64n) | u64(3);
    this.inc = ((initSeq << 1n) | 1n) & MASK128;
    this.step();
    this.state = (this.state + initState) & MASK128;
    this.step();
  }

  /** 128-bit state and increment, as `bit_generator.state`. */
  get rawState(): { state: bigint; inc: bigint } {
    return { state: this.state, inc: this.inc };
  }

  private step(): void {
    this.state = (this.state * PCG_MULT + this.inc) & MASK128;
  }

  /** One 64-bit output (`random_raw`). */
  nextUint64(): bigint {
    this.step();
    const hi = this.state >> 64n;
    const x = (hi ^ this.state) & MASK64;
    const rot = hi >> 58n;
    return ((x >> rot) | (x << ((64n - rot) & 63n))) & MASK64;
  }

  /** Low half of a 64-bit output first, the high half buffered for the next call (numpy's pcg64_next32). */
  nextUint32(): number {
    if (this.bufferedHigh !== null) {
      const v = this.bufferedHigh;
      this.bufferedHigh = null;
      return v;
    }
    const x = this.nextUint64();
    this.bufferedHigh = Number(x >> 32n);
    return Number(x & 0xffffffffn);
  }

  /** `random()`: (next64 >> 11) / 2^53. */
  random(): number {
    return Number(this.nextUint64() >> 11n) / 9007199254740992;
  }

  permutation(n: number): number[] {
    return permutationOf(this, n);
  }

  shuffle<T>(values: { length: number; [i: number]: T }): void {
    shuffleInPlace(this, values);
  }
}
