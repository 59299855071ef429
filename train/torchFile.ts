/**
 * Reading files written by `torch.save` without Python, and without executing anything they name.
 *
 * Two containers (docs/checkpoints.md):
 * - zip (torch ≥ 1.6): `<folder>/data.pkl` (the pickle) + `<folder>/data/<key>` (raw little-endian storages);
 *   the folder name varies (`archive`, `state`, `model`, `best_model`, ...).
 * - legacy (torch ≤ 1.5, e.g. CGCNN's checkpoints from torch ≤ 0.3): five pickles back to back (magic number,
 *   protocol version, system info, the object, the storage keys), then each storage as int64 element count +
 *   raw bytes, in the order of the keys.
 *
 * The pickles are parsed by `pickleparser` (a pure-JS parser that executes nothing). Every global the pickle
 * names is resolved through a whitelist: torch's tensor-rebuild functions and storage types, OrderedDict, plus
 * the names a caller allows (as inert `PyObject` records). Anything else is refused with an error naming it.
 * Tensors are rebuilt from storage + offset + size + stride (views too) after all storages are known, with a cap
 * on element counts so a hostile file cannot exhaust memory.
 */
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { BufferReader, Parser } from 'pickleparser';
import { InputError } from '../data/errors.js';

export type TorchDtype = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';
type TorchArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

const STORAGES: Record<string, { dtype: TorchDtype; bytes: number }> = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  DoubleStorage: { dtype: 'float64', bytes: 8 },
  LongStorage: { dtype: 'int64', bytes: 8 },
  IntStorage: { dtype: 'int32', bytes: 4 },
  ByteStorage: { dtype: 'uint8', bytes: 1 },
  BoolStorage: { dtype: 'bool', bytes: 1 },
};

/** At most this many elements in one file (all storages together): 2^28 = 1 GiB of float32. */
export const MAX_ELEMENTS = 2 ** 28;

/** A tensor of the file, materialised (contiguous, row-major) once the storages are read. */
export class TorchTensor {
  data!: TorchArray;
  isParameter = false;
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}

  get dtype(): TorchDtype {
    return this.storage.dtype;
  }

  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** float32 values (float64 rounded, integers converted): what our models hold. */
  toFloat32(): Float32Array {
    if (this.data instanceof Float32Array) return this.data;
    if (this.data instanceof BigInt64Array) return Float32Array.from(this.data, (v) => Number(v));
    return Float32Array.from(this.data as ArrayLike<number>);
  }

  /** The single value of a one-element tensor, as a JS number (float64 exact for float64 tensors). */
  item(): number {
    if (this.numel !== 1) throw new Error(`item() of a tensor with ${this.numel} elements`);
    const v = this.data[0];
    return typeof v === 'bigint' ? Number(v) : v;
  }

  __setstate__(): void {
    throw new Error('BUILD applied to a tensor');
  }
}

interface StorageRef {
  key: string;
  dtype: TorchDtype;
  bytesPerElement: number;
  numel: number;
  /** Legacy storage views: this storage is `numel` elements of `root` from `viewOffset`. */
  root?: string;
  viewOffset?: number;
}

/** A Python object the whitelist allows (a module, a Normalizer, a function reference): its class and state. */
export class PyObject {
  state: unknown = undefined;
  constructor(
    readonly className: string,
    readonly args: unknown[],
  ) {}
  __setstate__(state: unknown): void {
    this.state = state;
  }
  /** `state[key]` when the state is a dict (`__dict__`). */
  get(key: string): unknown {
    return this.state instanceof Map ? this.state.get(key) : undefined;
  }
}

export interface TorchFile {
  path: string;
  format: 'zip' | 'legacy';
  /** The unpickled object: Maps for dicts, arrays for lists/tuples, TorchTensor, PyObject, primitives. */
  root: unknown;
  tensors: TorchTensor[];
  /** Every global the pickle named (all whitelisted, or the read would have failed). */
  globals: string[];
}

export interface ReadTorchOptions {
  /** Fully qualified names (`module.name`) allowed beside torch's rebuild functions, storages and OrderedDict. */
  allow?: readonly string[];
  maxElements?: number;
}

type PyCallable = (...args: unknown[]) => unknown;

function isIntList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && x >= 0);
}

/** Reads a torch file; errors are InputErrors naming the file. */
export function readTorchFile(path: string, opts: ReadTorchOptions = {}): TorchFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new InputError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return parseTorch(path, bytes, opts);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${path}: not a readable torch file (${(err as Error).message})`);
  }
}

const LEGACY_MAGIC = Uint8Array.from([
  0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
]);

function startsWith(bytes: Uint8Array, prefix: ArrayLike<number>): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

export function parseTorch(path: string, bytes: Uint8Array, opts: ReadTorchOptions = {}): TorchFile {
  const maxElements = opts.maxElements ?? MAX_ELEMENTS;
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return parseZip(path, bytes, opts, maxElements);
  if (startsWith(bytes, LEGACY_MAGIC)) return parseLegacy(path, bytes, opts, maxElements);
  throw new InputError(`${path}: not a torch file (neither a zip archive nor the legacy magic number)`);
}

/** The unpickling context of one file: whitelist resolution, storages and tensors created so far. */
class Unpickler {
  readonly tensors: TorchTensor[] = [];
  readonly globals = new Set<string>();
  readonly storages = new Map<string, StorageRef>();
  private elements = 0;
  private readonly allowed: Set<string>;

  constructor(
    readonly path: string,
    allow: readonly string[],
    readonly maxElements: number,
    readonly legacy: boolean,
  ) {
    this.allowed = new Set(allow);
  }

  parser(): Parser {
    return new Parser({
      unpicklingTypeOfDictionary: 'Map',
      unpicklingTypeOfSet: 'Set',
      nameResolver: { resolve: (module: string, name: string) => this.resolve(module, name) },
      persistentResolver: { resolve: (pid: unknown) => this.persistent(pid) },
    });
  }

  private resolve(module: string, name: string): PyCallable {
    const fqn = `${module}.${name}`;
    this.globals.add(fqn);
    const fn = this.builtin(module, name) ?? (this.allowed.has(fqn) ? pyClass(fqn) : undefined);
    if (!fn)
      throw new InputError(
        `${this.path}: refusing to load: the pickle names the Python global '${fqn}', which is not on the whitelist for this kind of checkpoint`,
      );
    return fn;
  }

  private builtin(module: string, name: string): PyCallable | undefined {
    if (module === 'collections' && name === 'OrderedDict') return () => new Map();
    if (
      (module === '__builtin__' || module === 'builtins') &&
      name === 'set' &&
      this.allowed.has(`${module}.${name}`)
    ) {
      return (items?: unknown) => new Set(Array.isArray(items) ? items : []);
    }
    if (module === 'torch' && name in STORAGES) return storageType(name);
    if (module !== 'torch._utils') return undefined;
    if (name === '_rebuild_tensor' && this.legacy) return (s, o, size, stride) => this.tensor(s, o, size, stride);
    if (name === '_rebuild_tensor_v2') return (s, o, size, stride) => this.tensor(s, o, size, stride);
    if (name === '_rebuild_parameter') {
      return (t) => {
        if (!(t instanceof TorchTensor))
          throw new InputError(`${this.path}: _rebuild_parameter of something other than a tensor`);
        t.isParameter = true;
        return t;
      };
    }
    return undefined;
  }

  private persistent(pid: unknown): StorageRef {
    if (!Array.isArray(pid) || pid[0] !== 'storage')
      throw new InputError(`${this.path}: unknown persistent id ${JSON.stringify(String(pid))}`);
    const [, type, key, , numel, view] = pid as [string, unknown, unknown, unknown, unknown, unknown];
    const info =
      typeof type === 'function' ? STORAGES[(type as { storageName?: string }).storageName ?? ''] : undefined;
    if (!info) throw new InputError(`${this.path}: storage of an unsupported type`);
    if (typeof key !== 'string' || !Number.isSafeInteger(numel) || (numel as number) < 0)
      throw new InputError(`${this.path}: malformed storage record`);
    let ref = this.storages.get(key);
    if (!ref) {
      this.count(numel as number);
      ref = { key, dtype: info.dtype, bytesPerElement: info.bytes, numel: numel as number };
      this.storages.set(key, ref);
    }
    if (this.legacy && Array.isArray(view)) {
      const [viewKey, viewOffset, viewSize] = view as [unknown, unknown, unknown];
      if (typeof viewKey !== 'string' || !Number.isSafeInteger(viewOffset) || !Number.isSafeInteger(viewSize))
        throw new InputError(`${this.path}: malformed storage view`);
      const existing = this.storages.get(viewKey);
      if (existing) return existing;
      const v: StorageRef = {
        key: viewKey,
        dtype: info.dtype,
        bytesPerElement: info.bytes,
        numel: viewSize as number,
        root: key,
        viewOffset: viewOffset as number,
      };
      this.storages.set(viewKey, v);
      return v;
    }
    return ref;
  }

  private count(n: number): void {
    this.elements += n;
    if (this.elements > this.maxElements)
      throw new InputError(`${this.path}: more than ${this.maxElements} tensor elements; refusing to allocate them`);
  }

  private tensor(storage: unknown, offset: unknown, size: unknown, stride: unknown): TorchTensor {
    if (
      typeof storage !== 'object' ||
      storage === null ||
      !('key' in storage) ||
      !this.storages.has((storage as StorageRef).key)
    ) {
      throw new InputError(`${this.path}: tensor rebuilt from something other than a storage`);
    }
    if (
      !Number.isSafeInteger(offset) ||
      (offset as number) < 0 ||
      !isIntList(size) ||
      !isIntList(stride) ||
      size.length !== stride.length
    ) {
      throw new InputError(
        `${this.path}: malformed tensor (offset ${String(offset)}, size ${JSON.stringify(size)}, stride ${JSON.stringify(stride)})`,
      );
    }
    const t = new TorchTensor(storage as StorageRef, offset as number, [...size], [...stride]);
    if (t.numel > this.maxElements)
      throw new InputError(`${this.path}: a tensor of ${t.numel} elements; refusing to allocate it`);
    this.count(t.numel);
    this.tensors.push(t);
    return t;
  }

  /** Copies every tensor's elements out of its storage (bounds-checked), given the storages' bytes by key. */
  materialise(storageBytes: (key: string) => Uint8Array | undefined): void {
    const arrays = new Map<string, TorchArray>();
    const arrayOf = (ref: StorageRef): { arr: TorchArray; base: number } => {
      if (ref.root !== undefined) {
        const root = this.storages.get(ref.root);
        if (!root) throw new InputError(`${this.path}: storage view of a missing storage ${ref.root}`);
        const { arr } = arrayOf(root);
        if ((ref.viewOffset ?? 0) + ref.numel > arr.length)
          throw new InputError(`${this.path}: storage view past the end of storage ${ref.root}`);
        return { arr, base: ref.viewOffset ?? 0 };
      }
      let arr = arrays.get(ref.key);
      if (!arr) {
        const raw = storageBytes(ref.key);
        if (!raw) throw new InputError(`${this.path}: storage ${ref.key} is missing (truncated file?)`);
        if (raw.length < ref.numel * ref.bytesPerElement)
          throw new InputError(
            `${this.path}: storage ${ref.key} holds ${raw.length} bytes, ${ref.numel * ref.bytesPerElement} expected (truncated file?)`,
          );
        // A copy (aligned, and not Buffer.slice, which would be a view of the whole file)
        arr = typedArray(ref.dtype, new Uint8Array(raw.subarray(0, ref.numel * ref.bytesPerElement)).buffer);
        arrays.set(ref.key, arr);
      }
      return { arr, base: 0 };
    };
    for (const t of this.tensors) {
      const { arr, base } = arrayOf(t.storage);
      const limit = t.storage.root !== undefined ? t.storage.numel : arr.length;
      t.data = gather(arr, base, t, limit, this.path);
    }
  }
}

function storageType(name: string): PyCallable {
  const fn = (): never => {
    throw new Error(`torch.${name} called`);
  };
  return Object.assign(fn, { storageName: name });
}

/** A whitelisted Python class or function: constructing or calling it gives an inert record. */
function pyClass(fqn: string): PyCallable {
  return function PyGlobal(...args: unknown[]): PyObject {
    return new PyObject(fqn, args);
  };
}

function typedArray(dtype: TorchDtype, buf: ArrayBufferLike): TorchArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf);
    case 'float64':
      return new Float64Array(buf);
    case 'int64':
      return new BigInt64Array(buf);
    case 'int32':
      return new Int32Array(buf);
    default:
      return new Uint8Array(buf);
  }
}

/** Elements of a strided view as a contiguous row-major array. */
function gather(src: TorchArray, base: number, t: TorchTensor, limit: number, path: string): TorchArray {
  const n = t.numel;
  const start = base + t.offset;
  let last = t.offset;
  for (let d = 0; d < t.shape.length; d++) if (t.shape[d] > 0) last += (t.shape[d] - 1) * t.stride[d];
  if (n > 0 && last >= limit)
    throw new InputError(`${path}: a tensor of shape [${t.shape}] reaches element ${last} of a storage of ${limit}`);
  const out = new (src.constructor as new (n: number) => TorchArray)(n);
  if (n === 0) return out;
  let contiguous = true;
  for (let d = t.shape.length - 1, expect = 1; d >= 0; d--) {
    if (t.shape[d] !== 1 && t.stride[d] !== expect) contiguous = false;
    expect *= t.shape[d];
  }
  if (contiguous) {
    (out as Float32Array).set((src as Float32Array).subarray(start, start + n));
    return out;
  }
  const rank = t.shape.length;
  const index = new Array<number>(rank).fill(0);
  let pos = start;
  for (let i = 0; i < n; i++) {
    (out as Float32Array)[i] = (src as Float32Array)[pos];
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      pos += t.stride[d];
      if (index[d] < t.shape[d]) break;
      pos -= t.stride[d] * t.shape[d];
      index[d] = 0;
    }
  }
  return out;
}

function parseZip(path: string, bytes: Uint8Array, opts: ReadTorchOptions, maxElements: number): TorchFile {
  const maxBytes = maxElements * 8;
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (f) => {
        if (f.originalSize > maxBytes)
          throw new InputError(`${path}: zip entry ${f.name} of ${f.originalSize} bytes; refusing to inflate it`);
        return true;
      },
    });
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${path}: broken zip archive (${(err as Error).message})`);
  }
  const pickles = Object.keys(entries).filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pickles.length !== 1)
    throw new InputError(`${path}: a torch zip archive holds one <folder>/data.pkl; found ${pickles.length}`);
  const folder = pickles[0].slice(0, -'data.pkl'.length);
  const order = entries[`${folder}byteorder`];
  if (order && new TextDecoder().decode(order).trim() !== 'little')
    throw new InputError(`${path}: big-endian storages are not supported`);
  const u = new Unpickler(path, opts.allow ?? [], maxElements, false);
  const root = u.parser().parse(entries[pickles[0]]);
  u.materialise((key) => entries[`${folder}data/${key}`]);
  return { path, format: 'zip', root, tensors: u.tensors, globals: [...u.globals].sort() };
}

function parseLegacy(path: string, bytes: Uint8Array, opts: ReadTorchOptions, maxElements: number): TorchFile {
  // The magic number is a 10-byte LONG1 that pickleparser would misread: checked above and skipped here.
  const reader = new BufferReader(bytes);
  reader.skip(LEGACY_MAGIC.length);
  const u = new Unpickler(path, opts.allow ?? [], maxElements, true);
  const protocol = u.parser().read<unknown>(reader);
  if (protocol !== 1001) throw new InputError(`${path}: legacy torch protocol ${String(protocol)} (1001 expected)`);
  const sysInfo = u.parser().read<unknown>(reader);
  if (sysInfo instanceof Map && sysInfo.get('little_endian') === false)
    throw new InputError(`${path}: big-endian storages are not supported`);
  const root = u.parser().read<unknown>(reader);
  const keys = u.parser().read<unknown>(reader);
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string'))
    throw new InputError(`${path}: malformed storage key list`);
  const data = new Map<string, Uint8Array>();
  let pos = reader.position;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const key of keys as string[]) {
    const ref = u.storages.get(key);
    if (!ref) throw new InputError(`${path}: storage ${key} is listed but never used`);
    if (pos + 8 > bytes.length) throw new InputError(`${path}: storage ${key} is missing (truncated file?)`);
    const numel = Number(view.getBigInt64(pos, true));
    if (numel !== ref.numel)
      throw new InputError(`${path}: storage ${key} holds ${numel} elements, the pickle says ${ref.numel}`);
    pos += 8;
    const n = numel * ref.bytesPerElement;
    if (pos + n > bytes.length) throw new InputError(`${path}: storage ${key} is cut short (truncated file?)`);
    data.set(key, bytes.subarray(pos, pos + n));
    pos += n;
  }
  u.materialise((key) => data.get(key));
  return { path, format: 'legacy', root, tensors: u.tensors, globals: [...u.globals].sort() };
}

/** `name → tensor` entries of a (nested) state dict, with dotted names; non-tensor leaves are ignored. */
export function flattenStateDict(value: unknown, prefix = ''): Map<string, TorchTensor> {
  const out = new Map<string, TorchTensor>();
  if (!(value instanceof Map)) return out;
  for (const [k, v] of value) {
    const name = `${prefix}${String(k)}`;
    if (v instanceof TorchTensor) out.set(name, v);
    else if (v instanceof Map) for (const [kk, vv] of flattenStateDict(v, `${name}.`)) out.set(kk, vv);
  }
  return out;
}

/**
 * The `state_dict()` of a pickled `torch.nn.Module` tree: parameters and buffers under dotted module paths,
 * in registration order (`_parameters`, `_buffers`, then each child of `_modules`, as torch does).
 */
export function moduleStateDict(module: PyObject, prefix = ''): Map<string, TorchTensor> {
  const out = new Map<string, TorchTensor>();
  for (const slot of ['_parameters', '_buffers']) {
    const entries = module.get(slot);
    if (!(entries instanceof Map)) continue;
    for (const [k, v] of entries) if (v instanceof TorchTensor) out.set(`${prefix}${String(k)}`, v);
  }
  const children = module.get('_modules');
  if (children instanceof Map) {
    for (const [k, v] of children) {
      if (v instanceof PyObject) for (const [kk, vv] of moduleStateDict(v, `${prefix}${String(k)}.`)) out.set(kk, vv);
    }
  }
  return out;
}
