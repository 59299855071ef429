/**
 * A deterministic fuzz corpus for configs and run directories (issue #21), and how each input is answered.
 *
 * Configs: every YAML file under configs/, mutated 1–3 times by a seeded generator (keys deleted, renamed, added or
 * duplicated; values at the edges or of the wrong type; sections flattened or nested deeper; text truncated or
 * broken by YAML syntax; `--set` arguments), each read as `info --config` does (load, validate, build the model).
 * Run directories: one small trained run, damaged file by file (deleted, emptied, truncated, bytes flipped, wrong
 * JSON, a directory in its place; header, field and value edits), each used as `predict --run` does and resumed as
 * `train --out` does. An input is answered well by an `InputError` (one `error:` line) or by a correct result: a
 * finite prediction, a run that reads back. Anything else thrown is a stack trace.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { InputError } from '../../data/errors.js';
import type { GraphSample } from '../../graph/batch.js';
import { readRun } from '../../train/checkpoint.js';
import { loadConfig, type RunConfig } from '../../train/config.js';
import { loadModel } from '../../train/load.js';
import { buildModel } from '../../models/build.js';
import { trainOnSamples } from '../../train/run.js';
import { predictSamples } from '../../train/trainer.js';
import { projectRoot } from './paths.js';
import { toyCrystals } from './toyCrystals.js';
import { tinyConfig } from './training.js';
import { microBatchEdges } from '../../train/deviceLimits.js';

export type Outcome = 'ok' | 'error' | 'trace';

/** mulberry32: a small seeded generator, so the corpus is the same on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

const EDGE_VALUES: unknown[] = [
  0,
  -1,
  1,
  -0,
  0.5,
  1.5,
  1e-300,
  1e300,
  Infinity,
  -Infinity,
  NaN,
  2 ** 31,
  2 ** 53,
  4096,
  100000,
  -1e9,
  null,
  '',
  'abc',
  '1',
  '1e-3',
  'none',
  'null',
  true,
  false,
  [],
  [1, 2],
  ['x'],
  [null],
  {},
  { a: 1 },
  { name: 'schnet' },
  'schnet',
  'painn',
  'cgcnn',
  'm3gnet',
  'so3net',
  'kfold',
  'doi_kfold',
  'weighted',
  'composition',
  'x'.repeat(5000),
];

const YAML_BREAKERS = [
  ':',
  ': :',
  '-',
  '\t',
  '"',
  "'",
  '{',
  '}',
  '[',
  ']',
  '&a ',
  '*a',
  '*missing',
  '!!binary ',
  '!!js/function ',
  '%YAML 9\n',
  '\0',
  '\ufeff',
  '\n  ',
  '\n\t',
  '#',
  '<<: *a\n',
  '? ',
  '|',
  '>',
  '@',
  '`',
  '---\n',
  '...\n',
  '\u2028',
  '\n- x\n',
];

interface Node {
  path: Array<string | number>;
  value: unknown;
}

function nodes(value: unknown, path: Array<string | number> = [], out: Node[] = []): Node[] {
  out.push({ path, value });
  if (Array.isArray(value)) value.forEach((v, i) => nodes(v, [...path, i], out));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) nodes(v, [...path, k], out);
  return out;
}

function parentOf(doc: unknown, path: Array<string | number>): Record<string | number, unknown> | null {
  let node = doc as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  return node !== null && typeof node === 'object' ? node : null;
}

/** One mutation of a parsed document (in place); returns the new root (which may be replaced). */
function mutateDoc(doc: unknown, r: () => number): unknown {
  const all = nodes(doc).filter((n) => n.path.length > 0);
  if (all.length === 0) return pick(r, EDGE_VALUES);
  const n = pick(r, all);
  const parent = parentOf(doc, n.path);
  if (!parent) return doc;
  const key = n.path[n.path.length - 1];
  const op = Math.floor(r() * 9);
  if (op === 0) delete parent[key];
  else if (op === 1 || op === 2) parent[key] = structuredClone(pick(r, EDGE_VALUES));
  else if (op === 3 && typeof key === 'string') {
    delete parent[key];
    parent[pick(r, [`${key}s`, key.toUpperCase(), `${key}_x`, key.slice(1), key.replace('_', '-'), ` ${key}`])] =
      n.value;
  } else if (op === 4) parent[key] = pick(r, [{ value: n.value }, [n.value], [[n.value]]]);
  else if (op === 5)
    parent[pick(r, ['extra', 'unknown_key', 'epochs', 'lr', 'name', 'model', '__proto__', 'constructor'])] = pick(
      r,
      EDGE_VALUES,
    );
  else if (op === 6) {
    let deep: unknown = n.value;
    for (let d = 0; d < 40; d++) deep = { [String(key)]: deep };
    parent[key] = deep;
  } else if (op === 7 && Array.isArray(n.value))
    parent[key] = pick(r, [[], n.value.concat(n.value), n.value.slice(0, 1), n.value[0]]);
  else if (typeof n.value === 'number')
    parent[key] = pick(r, [n.value * 1000, -n.value, n.value + 0.5, n.value * 1e12, Math.round(n.value / 7)]);
  else parent[key] = pick(r, EDGE_VALUES);
  return doc;
}

/** One mutation of YAML text: truncation, a syntax breaker inserted, a line deleted, duplicated or re-indented. */
function mutateText(text: string, r: () => number): string {
  const lines = text.split('\n');
  const at = Math.floor(r() * (text.length + 1));
  const line = Math.floor(r() * lines.length);
  switch (Math.floor(r() * 6)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return text.slice(0, at) + pick(r, YAML_BREAKERS) + text.slice(at);
    case 2:
      return lines.filter((_, i) => i !== line).join('\n');
    case 3:
      return [...lines.slice(0, line + 1), lines[line], ...lines.slice(line + 1)].join('\n');
    case 4:
      return lines.map((l, i) => (i === line ? pick(r, [`  ${l}`, l.trimStart(), `\t${l}`, `- ${l}`]) : l)).join('\n');
    default:
      return text.replace(/\d+(\.\d+)?/g, (m) =>
        r() < 0.3 ? pick(r, ['-1', '0', '1e999', '.nan', '.inf', '0x10', '1_000', '08', 'abc']) : m,
      );
  }
}

const SET_KEYS = [
  'training.lr',
  'training.epochs',
  'model.name',
  'model.n_atom_basis',
  'graph.cutoff',
  'data.validation',
  'data.validation.k',
  'training',
  'seed',
  'search.space',
  'init.from',
  'data.graph_features',
  'nope',
  'training.lr.x',
  '.a',
  'a..b',
  '',
];
const SET_VALUES = [
  '1e-3',
  'abc',
  '[1,2',
  '{a: 1}',
  '',
  'null',
  '-5',
  '1e999',
  '.nan',
  'true',
  '[]',
  '"quoted',
  '*alias',
  'schnet',
  '!!binary x',
  ': :',
];

export interface ConfigCase {
  name: string;
  text: string;
  sets: string[];
}

function configFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) return configFiles(p);
      return f.endsWith('.yaml') ? [p] : [];
    });
}

/** `count` mutated configs, the same on every call. */
export function configCases(count: number, seed = 21): ConfigCase[] {
  const bases = configFiles(join(projectRoot, 'configs')).map((p) => ({
    name: relative(projectRoot, p),
    text: readFileSync(p, 'utf8'),
  }));
  const r = rng(seed);
  return Array.from({ length: count }, (_, i) => {
    const base = bases[i % bases.length];
    let text = base.text;
    const edits = 1 + Math.floor(r() * 3);
    for (let e = 0; e < edits; e++) {
      if (r() < 0.6) {
        let doc: unknown;
        try {
          doc = parseYaml(text);
        } catch {
          text = mutateText(text, r);
          continue;
        }
        text = stringifyYaml(mutateDoc(doc, r));
      } else {
        text = mutateText(text, r);
      }
    }
    const sets = r() < 0.25 ? [`${pick(r, SET_KEYS)}=${pick(r, SET_VALUES)}`] : [];
    return { name: `config ${i} (${base.name}, ${edits} edits${sets.length ? `, --set ${sets[0]}` : ''})`, text, sets };
  });
}

/** What `info --config` does with a config: load, validate, build the model, count its parameters. */
export function answerConfig(c: ConfigCase, dir: string): { outcome: Outcome; detail: string } {
  const path = join(dir, 'config.yaml');
  writeFileSync(path, c.text);
  return answer(() => {
    const config = loadConfig(path, c.sets);
    const model = buildModel(config);
    try {
      if (!(model.countParameters() > 0)) throw new Error('a model without parameters');
    } finally {
      model.dispose();
    }
  });
}

/** The CLI prints an InputError as `error: <message>`: one line only when the message has no line break. */
function errorLine(err: InputError): { outcome: Outcome; detail: string } {
  return /[\n\r]/.test(err.message)
    ? { outcome: 'trace', detail: `an error of several lines: ${JSON.stringify(err.message)}` }
    : { outcome: 'error', detail: err.message };
}

function answer(fn: () => void): { outcome: Outcome; detail: string } {
  try {
    fn();
    return { outcome: 'ok', detail: '' };
  } catch (err) {
    if (err instanceof InputError) return errorLine(err);
    return { outcome: 'trace', detail: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
}

async function answerAsync(fn: () => Promise<void>): Promise<{ outcome: Outcome; detail: string }> {
  try {
    await fn();
    return { outcome: 'ok', detail: '' };
  } catch (err) {
    if (err instanceof InputError) return errorLine(err);
    return { outcome: 'trace', detail: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
}

/** Eight small crystals (Li, O, one more element) and a tiny SchNet: a run directory in about a second. */
export function fuzzSamples(): GraphSample[] {
  return toyCrystals({ random: rng(5) });
}

export function fuzzRunConfig(epochs: number): RunConfig {
  return tinyConfig({ name: 'schnet', n_atom_basis: 4, n_interactions: 1, n_rbf: 4 }, { epochs, keep: 'best' });
}

/** A finished two-epoch run to damage. */
export async function baseRun(): Promise<string> {
  const out = join(mkdtempSync(join(tmpdir(), 'fuzz-base-')), 'run');
  const s = fuzzSamples();
  await trainOnSamples(fuzzRunConfig(2), s.slice(0, 6), s.slice(6), { out, log: () => {}, backend: 'cpu' });
  return out;
}

export interface RunDamage {
  name: string;
  apply: (dir: string) => void;
}

const RUN_FILES = [
  'config.yaml',
  'weights.safetensors',
  'normalizer.json',
  'metrics.json',
  'log.jsonl',
  'state/trainer.json',
  'state/weights.safetensors',
  'state/optimizer.safetensors',
];

function editJson(file: string, edit: (v: Record<string, unknown>) => void): (dir: string) => void {
  return (dir) => {
    const path = join(dir, file);
    const v = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    edit(v);
    writeFileSync(path, JSON.stringify(v));
  };
}

/** Rewrites one tensor entry (or the metadata) of a safetensors header; the data bytes stay. */
function editHeader(file: string, edit: (h: Record<string, Record<string, unknown>>) => void): (dir: string) => void {
  return (dir) => {
    const path = join(dir, file);
    const buf = readFileSync(path);
    const n = Number(buf.readBigUInt64LE(0));
    const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, Record<string, unknown>>;
    edit(header);
    const text = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(text.length));
    writeFileSync(path, Buffer.concat([len, text, buf.subarray(8 + n)]));
  };
}

const firstTensor = (h: Record<string, Record<string, unknown>>): Record<string, unknown> =>
  h[Object.keys(h).find((k) => k !== '__metadata__')!];

/** The damages applied to copies of a run directory, the same on every call. */
export function runDamages(seed = 21): RunDamage[] {
  const r = rng(seed);
  const out: RunDamage[] = [];
  for (const f of RUN_FILES) {
    out.push({ name: `${f} deleted`, apply: (d) => rmSync(join(d, f)) });
    out.push({ name: `${f} empty`, apply: (d) => writeFileSync(join(d, f), '') });
    out.push({
      name: `${f} a directory`,
      apply: (d) => {
        rmSync(join(d, f));
        mkdirSync(join(d, f));
      },
    });
    for (const frac of [0.1, 0.5, 0.9, 0.999]) {
      out.push({
        name: `${f} truncated to ${frac}`,
        apply: (d) => {
          const b = readFileSync(join(d, f));
          writeFileSync(join(d, f), b.subarray(0, Math.floor(b.length * frac)));
        },
      });
    }
    out.push({
      name: `${f} random bytes`,
      apply: (d) => writeFileSync(join(d, f), Buffer.from(Array.from({ length: 200 }, () => Math.floor(r() * 256)))),
    });
    for (const text of ['[]', 'null', '{}', '"x"', '42'])
      out.push({ name: `${f} = ${text}`, apply: (d) => writeFileSync(join(d, f), text) });
    for (let k = 0; k < 6; k++) {
      const where = r();
      const bit = 1 << Math.floor(r() * 8);
      out.push({
        name: `${f} bit ${bit} flipped at ${where.toFixed(3)}`,
        apply: (d) => {
          const b = readFileSync(join(d, f));
          const i = Math.floor(where * b.length);
          if (b.length) b[i] ^= bit;
          writeFileSync(join(d, f), b);
        },
      });
    }
  }
  const cases = configCases(30, seed + 1);
  cases.forEach((c, k) =>
    out.push({
      name: `config.yaml replaced by fuzz config ${k}`,
      apply: (d) => writeFileSync(join(d, 'config.yaml'), c.text),
    }),
  );
  for (const [key, v] of [
    ['mean', 'x'],
    ['mean', null],
    ['std', 0],
    ['std', -1],
    ['mode', 'median'],
    ['extra', 1],
    ['mean', [1]],
  ] as const) {
    out.push({
      name: `normalizer.json ${key} = ${JSON.stringify(v)}`,
      apply: editJson('normalizer.json', (n) => {
        n[key] = v;
      }),
    });
  }
  // JSON.stringify writes an overflowing number as null, so this one is written as text (JSON.parse reads Infinity)
  out.push({
    name: 'normalizer.json std = 1e309',
    apply: (d) => {
      const path = join(d, 'normalizer.json');
      writeFileSync(path, readFileSync(path, 'utf8').replace(/"std":[^,}]*/, '"std":1e309'));
    },
  });
  for (const [key, v] of [
    ['epoch', -1],
    ['epoch', 1.5],
    ['epoch', '2'],
    ['epoch', 1e9],
    ['epoch', 0],
    ['history', {}],
    ['history', [{}]],
    ['history', []],
    ['bestEpoch', 99],
    ['badEpochs', -3],
    ['rng', null],
    ['optimizerStep', -1],
    ['lr', 'x'],
    ['plateau', 5],
  ] as const) {
    out.push({
      name: `state/trainer.json ${key} = ${JSON.stringify(v)}`,
      apply: editJson('state/trainer.json', (s) => {
        s[key] = v;
      }),
    });
  }
  for (const f of ['weights.safetensors', 'state/weights.safetensors', 'state/optimizer.safetensors']) {
    out.push({
      name: `${f} dtype F16`,
      apply: editHeader(f, (h) => {
        firstTensor(h).dtype = 'F16';
      }),
    });
    out.push({
      name: `${f} dtype bogus`,
      apply: editHeader(f, (h) => {
        firstTensor(h).dtype = 'Q9';
      }),
    });
    out.push({
      name: `${f} shape transposed`,
      apply: editHeader(f, (h) => {
        const t = firstTensor(h);
        t.shape = [...(t.shape as number[])].reverse().concat([1]);
      }),
    });
    out.push({
      name: `${f} shape negative`,
      apply: editHeader(f, (h) => {
        firstTensor(h).shape = [-1];
      }),
    });
    out.push({
      name: `${f} offsets past the end`,
      apply: editHeader(f, (h) => {
        const t = firstTensor(h);
        t.data_offsets = [(t.data_offsets as number[])[0] + 1e6, (t.data_offsets as number[])[1] + 1e6];
      }),
    });
    out.push({
      name: `${f} a tensor removed`,
      apply: editHeader(f, (h) => {
        delete h[Object.keys(h).find((k) => k !== '__metadata__')!];
      }),
    });
    out.push({
      name: `${f} a tensor renamed`,
      apply: editHeader(f, (h) => {
        const k = Object.keys(h).find((x) => x !== '__metadata__')!;
        h[`${k}.x`] = h[k];
        delete h[k];
      }),
    });
    out.push({
      name: `${f} entry null`,
      apply: editHeader(f, (h) => {
        (h as Record<string, unknown>)[Object.keys(h).find((k) => k !== '__metadata__')!] = null;
      }),
    });
    out.push({
      name: `${f} metadata a number`,
      apply: editHeader(f, (h) => {
        (h as Record<string, unknown>).__metadata__ = 5;
      }),
    });
    out.push({
      name: `${f} header length huge`,
      apply: (d) => {
        const b = readFileSync(join(d, f));
        b.writeBigUInt64LE(2n ** 63n, 0);
        writeFileSync(join(d, f), b);
      },
    });
  }
  out.push({ name: 'state/ deleted', apply: (d) => rmSync(join(d, 'state'), { recursive: true }) });
  out.push({
    name: 'everything deleted',
    apply: (d) => {
      for (const f of readdirSync(d)) rmSync(join(d, f), { recursive: true });
    },
  });
  out.push({
    name: 'log.jsonl torn',
    apply: (d) => writeFileSync(join(d, 'log.jsonl'), readFileSync(join(d, 'log.jsonl'), 'utf8').slice(0, -20)),
  });
  return out;
}

/**
 * Answers a damaged copy of the base run twice: as `predict --run` (load, predict: finite values or an error) and
 * as `train --out` continuing it for one more epoch (an error, or a run that reads back and predicts).
 */
export async function answerRunDamage(
  base: string,
  damage: RunDamage,
  work: string,
): Promise<Array<{ how: string; outcome: Outcome; detail: string }>> {
  const dir = join(work, 'run');
  rmSync(dir, { recursive: true, force: true });
  cpSync(base, dir, { recursive: true });
  damage.apply(dir);
  const s = fuzzSamples();
  const predictFinite = async (): Promise<void> => {
    const { model, normalizer, config } = loadModel(dir);
    try {
      const y = await predictSamples(
        model,
        s,
        normalizer,
        config.training.batch_size,
        microBatchEdges(config.training.max_edges_per_batch),
      );
      if (!y.every(Number.isFinite)) throw new Error(`non-finite prediction from ${dir} (${damage.name})`);
    } finally {
      model.dispose();
    }
  };
  const predicted = await answerAsync(predictFinite);
  const resumed = await answerAsync(async () => {
    await trainOnSamples(fuzzRunConfig(3), s.slice(0, 6), s.slice(6), { out: dir, log: () => {}, backend: 'cpu' });
    if (!existsSync(join(dir, 'weights.safetensors'))) throw new Error('no weights after a resume');
    readRun(dir);
    await predictFinite();
  });
  return [
    { how: 'predict', ...predicted },
    { how: 'resume', ...resumed },
  ];
}
