/**
 * CPython's `random.Random` (Mersenne Twister) as far as the OBELiX MatGL benchmark uses it:
 * `random.seed(42); random.sample(list(itertools.product(...)), 100)` (docs/protocol.md §4.2).
 *
 * - `seed(int)`: MT19937 `init_by_array` over the little-endian 32-bit words of |seed| (one word 0 for 0).
 * - `getrandbits(k)`: ⌈k/32⌉ outputs, least significant word first; the last word keeps its top bits only.
 * - `randbelow(n)`: k = bit_length(n), getrandbits(k) redrawn while ≥ n.
 * - `sample(n, k)`: the indices `random.sample(range(n), k)` returns (CPython ≥ 3.2 algorithm choice).
 *
 * The generator core is numpy's legacy MT19937 (data/numpyRandom.ts); only the seeding differs.
 * Checked against CPython 3.11 in test/fixtures/python-random.json.
 */
import { RandomState } from './numpyRandom.js';

/** MT19937 seeded the CPython way: reference `init_by_array(key)`, which starts from init_genrand(19650218). */
class Mt19937ByArray extends RandomState {
  constructor(words: readonly number[]) {
    super(19650218);
    const mt = this.key;
    const n = mt.length;
    let i = 1;
    let j = 0;
    for (let k = Math.max(n, words.length); k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1664525)) >>> 0) + words[j] + j;
      i++;
      j++;
      if (i >= n) {
        mt[0] = mt[n - 1];
        i = 1;
      }
      if (j >= words.length) j = 0;
    }
    for (let k = n - 1; k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1566083941)) >>> 0) - i;
      i++;
      if (i >= n) {
        mt[0] = mt[n - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }
}

/** Little-endian 32-bit words of |seed|, at least one (CPython `random_seed` for an int). */
function seedWords(seed: bigint): number[] {
  let s = seed < 0n ? -seed : seed;
  const words: number[] = [];
  do {
    words.push(Number(s & 0xffffffffn));
    s >>= 32n;
  } while (s > 0n);
  return words;
}

function seeded(seed: number | bigint): Mt19937ByArray {
  if (typeof seed === 'number' && !Number.isSafeInteger(seed))
    throw new RangeError(`PythonRandom: seed ${seed} is not a safe integer (pass a bigint)`);
  return new Mt19937ByArray(seedWords(BigInt(seed)));
}

/** CPython `random.Random(seed)`, integer seeds only. */
export class PythonRandom {
  private mt: Mt19937ByArray;

  /** @param seed any integer (number or bigint), as `random.seed(seed)`; the sign is dropped, as CPython does. */
  constructor(seed: number | bigint) {
    this.mt = seeded(seed);
  }

  /** `random.seed(seed)` for an int (version 2 passes ints to the C seeding unchanged). */
  seed(seed: number | bigint): void {
    this.mt = seeded(seed);
  }

  /** The 624-word MT state (a copy), as `getstate()[1][:624]`. */
  stateKey(): Uint32Array {
    return this.mt.stateKey();
  }

  /** One raw 32-bit output (`genrand_uint32`). */
  nextUint32(): number {
    return this.mt.nextUint32();
  }

  /** `random()`: 53-bit double in [0, 1), (a>>5 · 2^26 + b>>6) / 2^53, as numpy's random_sample. */
  random(): number {
    return this.mt.random();
  }

  /** `getrandbits(k)`: uniform integer in [0, 2^k), k ≥ 0. */
  getrandbits(k: number): bigint {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`getrandbits: k = ${k} must be a non-negative integer`);
    if (k <= 32) return BigInt(this.bitsUpTo32(k));
    let out = 0n;
    for (let shift = 0n; k > 0; k -= 32, shift += 32n) {
      out |= BigInt(this.bitsUpTo32(Math.min(k, 32))) << shift;
    }
    return out;
  }

  private bitsUpTo32(k: number): number {
    if (k === 0) return 0;
    return this.mt.nextUint32() >>> (32 - k);
  }

  /** `_randbelow(n)` (getrandbits rejection): uniform integer in [0, n), 0 < n < 2^53. */
  randbelow(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`randbelow: n = ${n} must be a positive safe integer`);
    const k = n.toString(2).length; // int.bit_length

    if (k <= 32) {
      for (;;) {
        const r = this.bitsUpTo32(k);
        if (r < n) return r;
      }
    }
    for (;;) {
      const r = Number(this.getrandbits(k));
      if (r < n) return r;
    }
  }

  /**
   * Indices of `random.sample(population, k)` for a population of n: k distinct values in [0, n), in draw order.
   * CPython keeps a pool (swap-remove, randbelow(n − i)) when n ≤ setsize, else rejects repeats of randbelow(n);
   * setsize = 21, plus 4^⌈log4(3k)⌉ when k > 5.
   */
  sample(n: number, k: number): number[] {
    if (!Number.isSafeInteger(n) || n < 0)
      throw new RangeError(`sample: population size ${n} must be a non-negative integer`);
    if (!Number.isInteger(k) || k < 0 || k > n)
      throw new RangeError(`sample: k = ${k} must be in [0, ${n}] (Sample larger than population or is negative)`);
    const out: number[] = [];
    if (n <= sampleSetSize(k)) {
      const pool = Array.from({ length: n }, (_, i) => i);
      for (let i = 0; i < k; i++) {
        const j = this.randbelow(n - i);
        out.push(pool[j]);
        pool[j] = pool[n - i - 1];
      }
      return out;
    }
    const selected = new Set<number>();
    for (let i = 0; i < k; i++) {
      let j = this.randbelow(n);
      while (selected.has(j)) j = this.randbelow(n);
      selected.add(j);
      out.push(j);
    }
    return out;
  }
}

/**
 * CPython's pool-vs-set threshold. It computes ⌈log(3k)/log(4)⌉ in floating point; 3k is never a power of 4, so
 * the smallest m with 4^m ≥ 3k is the same integer without rounding doubts.
 */
export function sampleSetSize(k: number): number {
  if (k <= 5) return 21;
  let power = 1;
  while (power < 3 * k) power *= 4;
  return 21 + power;
}
