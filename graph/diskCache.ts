/**
 * On-disk cache of graph samples for datasets too large to rebuild every run (mp-bandgap-36k: 36,737 crystals).
 *
 * Layout: `<root>/<key>/index.json` + `chunk-00000.bin`, … where `key` hashes the dataset fingerprint (content
 * hash of its files) and the graph options, so a changed file or cutoff never reads a stale graph. A cache is
 * built in `<key>.partial-<pid>` and renamed when complete: an interrupted build is never mistaken for a cache.
 * Building streams the records: at most one chunk of samples is held in memory. Reading goes chunk by chunk
 * and can keep only a subset of ids, so a run on a slice never holds the rest.
 *
 * Chunk format (little-endian, every field 4-byte aligned): per sample a header of int32
 * [idBytes, N, E, P, T, flags] + float64 target, the id (UTF-8, padded to 4), then numbers i32[N], src i32[E],
 * dst i32[E], vectors f32[3E], distances f32[E], and when flagged edgePair i32[E] + pair distances f32[P]
 * (flags & 1) and triplets edgeA i32[T] + edgeB i32[T] (flags & 2); then, for occupancy-weighted samples (flags & 4),
 * int32 M + occupancy f32[N] + mixNode i32[M] + mixNumbers i32[M] + mixWeights f32[M], and for graph-level features
 * (flags & 8) int32 G + f32[G]. Files start with the magic 'CGG1' (flags 4 and 8 extend it: older chunks never set
 * them, so they read as before).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../data/errors.js';
import type { GraphSample } from './batch.js';

const MAGIC = 0x31474743; // 'CGG1' read as little-endian int32
const FORMAT_VERSION = 1;

/** What the index stores per sample, so splits and batch plans need no chunk reads. */
export interface DiskCacheIndex {
  version: number;
  key: string;
  /** Free-form description of what was cached (dataset, graph options). */
  description: Record<string, unknown>;
  ids: string[];
  targets: number[];
  atoms: number[];
  edges: number[];
  /** Chunk file of each sample, by position. */
  chunkOf: number[];
  chunks: string[];
  bytes: number;
}

const pad4 = (n: number): number => (n + 3) & ~3;

function sampleBytes(s: GraphSample, id: Buffer): number {
  const n = s.numbers.length;
  const e = s.src.length;
  const p = s.pairs?.distances.length ?? 0;
  const t = s.triplets?.edgeA.length ?? 0;
  const m = s.mixNode?.length ?? 0;
  return (
    24 +
    8 +
    pad4(id.length) +
    4 * (n + 2 * e + 3 * e + e) +
    (s.pairs ? 4 * (e + p) : 0) +
    (s.triplets ? 8 * t : 0) +
    (s.occupancy ? 4 + 4 * (n + 3 * m) : 0) +
    (s.graphFeatures ? 4 + 4 * s.graphFeatures.length : 0)
  );
}

/** Flags of the optional sections a sample has. */
function flagsOf(s: GraphSample): number {
  if (s.occupancy && !(s.mixNode && s.mixNumbers && s.mixWeights))
    throw new Error(`encodeChunk: sample '${s.id}' has occupancy without its species mixture`);
  return (s.pairs ? 1 : 0) | (s.triplets ? 2 : 0) | (s.occupancy ? 4 : 0) | (s.graphFeatures ? 8 : 0);
}

function put(buf: Buffer, offset: number, a: Int32Array | Float32Array): number {
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(buf, offset);
  return offset + a.byteLength;
}

/** Serialises samples into one chunk buffer. */
export function encodeChunk(samples: GraphSample[]): Buffer {
  const ids = samples.map((s) => Buffer.from(s.id, 'utf8'));
  const total = 4 + samples.reduce((a, s, i) => a + sampleBytes(s, ids[i]), 0);
  const buf = Buffer.alloc(total);
  buf.writeInt32LE(MAGIC, 0);
  let o = 4;
  samples.forEach((s, i) => {
    const e = s.src.length;
    const header = [
      ids[i].length,
      s.numbers.length,
      e,
      s.pairs?.distances.length ?? 0,
      s.triplets?.edgeA.length ?? 0,
      flagsOf(s),
    ];
    for (const h of header) {
      buf.writeInt32LE(h, o);
      o += 4;
    }
    buf.writeDoubleLE(s.target, o);
    o += 8;
    ids[i].copy(buf, o);
    o += pad4(ids[i].length);
    o = put(buf, o, s.numbers);
    o = put(buf, o, s.src);
    o = put(buf, o, s.dst);
    o = put(buf, o, s.vectors);
    o = put(buf, o, s.distances);
    if (s.pairs) {
      o = put(buf, o, s.pairs.edgePair);
      o = put(buf, o, s.pairs.distances);
    }
    if (s.triplets) {
      o = put(buf, o, s.triplets.edgeA);
      o = put(buf, o, s.triplets.edgeB);
    }
    if (s.occupancy) {
      buf.writeInt32LE(s.mixNode!.length, o);
      o += 4;
      o = put(buf, o, s.occupancy);
      o = put(buf, o, s.mixNode!);
      o = put(buf, o, s.mixNumbers!);
      o = put(buf, o, s.mixWeights!);
    }
    if (s.graphFeatures) {
      buf.writeInt32LE(s.graphFeatures.length, o);
      o += 4;
      o = put(buf, o, s.graphFeatures);
    }
  });
  return buf;
}

/** Reads a chunk back; with `keep`, samples whose id is not in it are skipped without copying their arrays. */
export function decodeChunk(buf: Buffer, where: string, keep?: Set<string>): GraphSample[] {
  if (buf.length < 4 || buf.readInt32LE(0) !== MAGIC)
    throw new InputError(`${where}: not a graph cache chunk (bad magic)`);
  const out: GraphSample[] = [];
  let o = 4;
  const i32 = (n: number): Int32Array => {
    const a = new Int32Array(n);
    Buffer.from(a.buffer).set(buf.subarray(o, o + 4 * n));
    o += 4 * n;
    return a;
  };
  const f32 = (n: number): Float32Array => {
    const a = new Float32Array(n);
    Buffer.from(a.buffer).set(buf.subarray(o, o + 4 * n));
    o += 4 * n;
    return a;
  };
  while (o < buf.length) {
    if (o + 32 > buf.length) throw new InputError(`${where}: truncated at byte ${o}`);
    const [idLen, n, e, p, t, flags] = Array.from({ length: 6 }, (_, k) => buf.readInt32LE(o + 4 * k));
    const target = buf.readDoubleLE(o + 24);
    o += 32;
    const id = buf.toString('utf8', o, o + idLen);
    o += pad4(idLen);
    const size = 4 * (n + 6 * e) + (flags & 1 ? 4 * (e + p) : 0) + (flags & 2 ? 8 * t : 0);
    if (o + size > buf.length) throw new InputError(`${where}: truncated in sample '${id}'`);
    const count = (at: number): number => {
      if (at + 4 > buf.length) throw new InputError(`${where}: truncated in sample '${id}'`);
      return buf.readInt32LE(at);
    };
    // the optional sections' sizes sit at their start
    let extra = 0;
    const m = flags & 4 ? count(o + size) : 0;
    if (flags & 4) extra += 4 + 4 * (n + 3 * m);
    const g = flags & 8 ? count(o + size + extra) : 0;
    if (flags & 8) extra += 4 + 4 * g;
    if (o + size + extra > buf.length) throw new InputError(`${where}: truncated in sample '${id}'`);
    if (keep && !keep.has(id)) {
      o += size + extra;
      continue;
    }
    const s: GraphSample = {
      id,
      target,
      numbers: i32(n),
      src: i32(e),
      dst: i32(e),
      vectors: f32(3 * e),
      distances: f32(e),
    };
    if (flags & 1) s.pairs = { edgePair: i32(e), distances: f32(p) };
    if (flags & 2) s.triplets = { edgeA: i32(t), edgeB: i32(t) };
    if (flags & 4) {
      o += 4;
      Object.assign(s, { occupancy: f32(n), mixNode: i32(m), mixNumbers: i32(m), mixWeights: f32(m) });
    }
    if (flags & 8) {
      o += 4;
      s.graphFeatures = f32(g);
    }
    out.push(s);
  }
  return out;
}

export interface DiskCacheBuildOptions {
  /** Cache root directory (one subdirectory per key). */
  root: string;
  /** Everything that determines the graphs: dataset fingerprint, graph options, reader options. */
  identity: Record<string, unknown>;
  /** Samples per chunk file (default 1024). */
  chunkSize?: number;
  log?: (line: string) => void;
}

/** A complete cache on disk: the index in memory, chunks read on demand. */
export class DiskGraphCache {
  constructor(
    readonly dir: string,
    readonly index: DiskCacheIndex,
  ) {}

  get size(): number {
    return this.index.ids.length;
  }

  readChunk(c: number, keep?: Set<string>): GraphSample[] {
    const file = join(this.dir, this.index.chunks[c]);
    return decodeChunk(readFileSync(file), file, keep);
  }

  /** Samples of the given ids (all when absent), loaded chunk by chunk, in the order of `ids`. */
  load(ids?: readonly string[]): GraphSample[] {
    const wanted = ids ? new Set(ids) : undefined;
    const chunks = new Set<number>();
    const pos = new Map(this.index.ids.map((id, i) => [id, i]));
    for (const id of ids ?? this.index.ids) {
      const i = pos.get(id);
      if (i === undefined) throw new InputError(`${this.dir}: no structure '${id}' in the graph cache`);
      chunks.add(this.index.chunkOf[i]);
    }
    const byId = new Map<string, GraphSample>();
    for (const c of [...chunks].sort((a, b) => a - b)) for (const s of this.readChunk(c, wanted)) byId.set(s.id, s);
    return (ids ?? this.index.ids).map((id) => byId.get(id)!);
  }
}

/** JSON with object keys sorted at every depth, so the key does not depend on property order. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function cacheKey(identity: Record<string, unknown>): string {
  const canonical = canonicalJson({ format: FORMAT_VERSION, ...identity });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 24);
}

/** Opens the cache for `identity` if complete, else builds it from the sample stream. */
export async function openOrBuildCache(
  samples: () => AsyncIterable<GraphSample>,
  opts: DiskCacheBuildOptions,
): Promise<DiskGraphCache> {
  const key = cacheKey(opts.identity);
  const dir = join(opts.root, key);
  const indexPath = join(dir, 'index.json');
  if (existsSync(indexPath)) {
    const index = JSON.parse(readFileSync(indexPath, 'utf8')) as DiskCacheIndex;
    if (index.version === FORMAT_VERSION && index.key === key) {
      opts.log?.(`graph cache: ${index.ids.length} graphs from ${dir}`);
      return new DiskGraphCache(dir, index);
    }
  }
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const chunkSize = opts.chunkSize ?? 1024;
  const index: DiskCacheIndex = {
    version: FORMAT_VERSION,
    key,
    description: opts.identity,
    ids: [],
    targets: [],
    atoms: [],
    edges: [],
    chunkOf: [],
    chunks: [],
    bytes: 0,
  };
  let pending: GraphSample[] = [];
  const flush = (): void => {
    if (!pending.length) return;
    const name = `chunk-${String(index.chunks.length).padStart(5, '0')}.bin`;
    const buf = encodeChunk(pending);
    writeFileSync(join(partial, name), buf);
    index.chunks.push(name);
    index.bytes += buf.length;
    pending = [];
  };
  const t0 = performance.now();
  try {
    for await (const s of samples()) {
      index.ids.push(s.id);
      index.targets.push(s.target);
      index.atoms.push(s.numbers.length);
      index.edges.push(s.src.length);
      index.chunkOf.push(index.chunks.length);
      pending.push(s);
      if (pending.length >= chunkSize) {
        flush();
        opts.log?.(`graph cache: ${index.ids.length} graphs built (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      }
    }
    flush();
    writeFileSync(join(partial, 'index.json'), JSON.stringify(index));
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    throw err;
  }
  opts.log?.(
    `graph cache: built ${index.ids.length} graphs (${(index.bytes / 2 ** 20).toFixed(0)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${dir}`,
  );
  return new DiskGraphCache(dir, index);
}
