/**
 * safetensors IO (https://github.com/huggingface/safetensors, format spec in its README).
 *
 * File = u64 little-endian header length n, then n bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]},
 * "__metadata__"?: {string: string}}` (padded with spaces to a multiple of 8), then the raw little-endian data,
 * offsets relative to the end of the header. We write F32 only, tensors sorted by name, and read F32 directly and
 * F64, F16, BF16, I64, I32, I16, I8, U8, BOOL converted to Float32Array (I64 beyond 2⁵³ loses precision).
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { InputError } from '../data/errors.js';

export interface SafeTensor {
  /** Dtype in the file (`F32`, `F64`, `I64`, …); `data` is always float32. */
  dtype: string;
  shape: number[];
  data: Float32Array;
}

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

const BYTES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function decode(dtype: string, view: DataView, count: number): Float32Array {
  if (dtype === 'F32' && LITTLE_ENDIAN_HOST)
    return new Float32Array(view.buffer.slice(view.byteOffset, view.byteOffset + 4 * count));
  const out = new Float32Array(count);
  const w = BYTES[dtype];
  const get: (o: number) => number = {
    F64: (o: number) => view.getFloat64(o, true),
    F32: (o: number) => view.getFloat32(o, true),
    F16: (o: number) => halfToFloat(view.getUint16(o, true)),
    BF16: (o: number) => {
      const b = new DataView(new ArrayBuffer(4));
      b.setUint32(0, view.getUint16(o, true) << 16, true);
      return b.getFloat32(0, true);
    },
    I64: (o: number) => Number(view.getBigInt64(o, true)),
    I32: (o: number) => view.getInt32(o, true),
    I16: (o: number) => view.getInt16(o, true),
    I8: (o: number) => view.getInt8(o),
    U8: (o: number) => view.getUint8(o),
    BOOL: (o: number) => view.getUint8(o),
  }[dtype]!;
  for (let i = 0; i < count; i++) out[i] = get(i * w);
  return out;
}

/** Tensors and the `__metadata__` map of a safetensors file. */
export function readSafetensorsFile(path: string): {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
} {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new InputError(`${path}: cannot read safetensors file (${(e as Error).message})`);
  }
  if (buf.length < 8) throw new InputError(`${path}: not a safetensors file (${buf.length} bytes)`);
  const n = Number(buf.readBigUInt64LE(0));
  if (n > buf.length - 8) throw new InputError(`${path}: header length ${n} exceeds the file size ${buf.length}`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`${path}: header is not valid JSON (${(e as Error).message})`);
  }
  const dataStart = 8 + n;
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  for (const [key, raw] of Object.entries(header)) {
    if (key === '__metadata__') {
      if (raw !== null && (typeof raw !== 'object' || Array.isArray(raw)))
        throw new InputError(`${path}: __metadata__ is not a mapping`);
      metadata = (raw ?? {}) as Record<string, string>;
      continue;
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw new InputError(`${path}: tensor "${key}" has no dtype/shape/data_offsets entry`);
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const { dtype, shape, data_offsets: off } = info;
    if (typeof dtype !== 'string' || !(dtype in BYTES))
      throw new InputError(`${path}: tensor "${key}" has unsupported dtype ${String(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
      throw new InputError(`${path}: tensor "${key}" has a bad shape`);
    if (!Array.isArray(off) || off.length !== 2) throw new InputError(`${path}: tensor "${key}" has bad data_offsets`);
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const [begin, end] = off as number[];
    if (end - begin !== count * BYTES[dtype] || dataStart + end > buf.length || begin < 0) {
      throw new InputError(
        `${path}: tensor "${key}" (${dtype} ${JSON.stringify(shape)}) has data_offsets [${begin}, ${end}] inconsistent with its size or the file`,
      );
    }
    const view = new DataView(buf.buffer, buf.byteOffset + dataStart + begin, end - begin);
    tensors.set(key, { dtype, shape: shape as number[], data: decode(dtype, view, count) });
  }
  return { tensors, metadata };
}

/** Tensors of a safetensors file by name, as float32. */
export function readSafetensors(path: string): Map<string, SafeTensor> {
  return readSafetensorsFile(path).tensors;
}

/**
 * Writes float32 tensors (row-major `data`, `shape`) and optional string metadata, atomically: a temporary file
 * in the same folder, then a rename, so a crash never leaves a half-written file under `path`.
 */
export function writeSafetensors(
  path: string,
  tensors:
    | Map<string, { shape: number[]; data: Float32Array }>
    | Record<string, { shape: number[]; data: Float32Array }>,
  metadata?: Record<string, string>,
): void {
  const entries = [...(tensors instanceof Map ? tensors.entries() : Object.entries(tensors))].sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata))
      if (typeof v !== 'string') throw new Error(`writeSafetensors: metadata "${k}" must be a string`);
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const [key, t] of entries) {
    if (key === '__metadata__') throw new Error('writeSafetensors: "__metadata__" is reserved');
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new Error(`writeSafetensors: "${key}" has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    header[key] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const [, t] of entries) {
    if (LITTLE_ENDIAN_HOST) {
      Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(out, pos);
      pos += t.data.byteLength;
    } else {
      for (let i = 0; i < t.data.length; i++, pos += 4) out.writeFloatLE(t.data[i], pos);
    }
  }
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    writeFileSync(tmp, out);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
    throw e;
  }
}
