/**
 * A run's config fingerprint: every resolved config key that shapes its result, so that a resumed run, a reused CV
 * fold or a collected search shard is only ever combined with work done under the same settings. Comparing two
 * fingerprints names the keys that differ.
 *
 * Left out: where a run executes and what it is called (`name`, `backend`, `data.dir`, `data.cache_dir`), how
 * batches are cut into micro-batches (`training.max_edges_per_batch`: gradients are accumulated, so the function
 * trained is the same; a model that normalises over the batch refuses to be split, train/trainer.ts), and the
 * model's element table when `init.from` supplies it (the checkpoint decides it; `init.from` itself is compared).
 * `training.epochs` is left out only when an unfinished run continues (`resuming`): it may extend or shorten the run.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../data/errors.js';
import { readConfigFile, validateConfig, type RunConfig } from './config.js';

// `spec` is derived from the other sections (validateConfig), so a difference there is already named at its source.
const NEUTRAL_KEYS = ['name', 'backend', 'data.dir', 'data.cache_dir', 'training.max_edges_per_batch', 'spec'];
/** Keys an unfinished run may change when it continues. */
export const RESUMABLE_KEYS = ['training.epochs'];
/** Model keys copied from the `init.from` checkpoint (train/finetune.ts ELEMENT_TABLE_KEYS). */
const INIT_SUPPLIED_KEYS = ['model.element_types'];

export interface FingerprintOptions {
  /** An unfinished run continues: `RESUMABLE_KEYS` may differ. */
  resuming?: boolean;
  /** How differences name the recorded and the requested side (default `there`, `here`). */
  labels?: [string, string];
}

/** Dotted key → canonical JSON of its value; lists are values, mappings are opened. */
function flatten(node: unknown, prefix: string, out: Map<string, string>): void {
  if (node !== null && typeof node === 'object' && !Array.isArray(node)) {
    const keys = Object.keys(node as Record<string, unknown>).sort();
    for (const k of keys) {
      const v = (node as Record<string, unknown>)[k];
      if (v !== undefined) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    }
    if (keys.length === 0 && prefix) out.set(prefix, '{}');
    return;
  }
  out.set(prefix, JSON.stringify(node));
}

/** The keys of `config` that shape a result, each with its value as canonical JSON. */
export function fingerprintKeys(config: RunConfig, opts: FingerprintOptions = {}): Map<string, string> {
  const all = new Map<string, string>();
  flatten(config, '', all);
  const skip = [...NEUTRAL_KEYS, ...(opts.resuming ? RESUMABLE_KEYS : []), ...(config.init ? INIT_SUPPLIED_KEYS : [])];
  const within = (key: string, root: string): boolean => key === root || key.startsWith(`${root}.`);
  return new Map(
    [...all].filter(([k]) => !skip.some((s) => within(k, s))).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

/** SHA-256 of the fingerprint keys: equal hashes, same settings. */
export function fingerprint(config: RunConfig, opts: FingerprintOptions = {}): string {
  const keys = fingerprintKeys(config, opts);
  return createHash('sha256')
    .update(JSON.stringify([...keys]))
    .digest('hex');
}

/** `key: A there, B here` for every key whose value differs (or exists on one side only). */
export function configDifferences(recorded: RunConfig, requested: RunConfig, opts: FingerprintOptions = {}): string[] {
  const a = fingerprintKeys(recorded, opts);
  const b = fingerprintKeys(requested, opts);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  const [there, here] = opts.labels ?? ['there', 'here'];
  return keys
    .filter((k) => a.get(k) !== b.get(k))
    .map((k) => `${k}: ${a.get(k) ?? '(absent)'} ${there}, ${b.get(k) ?? '(absent)'} ${here}`);
}

/**
 * Throws unless `requested` has the fingerprint of `recorded` (the config a directory's results were made with).
 * `what` names that directory or file; the message names the differing keys (at most 6) and the ways out.
 */
export function assertSameConfig(
  recorded: RunConfig,
  requested: RunConfig,
  what: string,
  opts: FingerprintOptions & { advice?: string } = {},
): void {
  const diff = configDifferences(recorded, requested, opts);
  if (diff.length === 0) return;
  const shown = diff.slice(0, 6).join('; ') + (diff.length > 6 ? `; and ${diff.length - 6} more` : '');
  const advice = opts.advice ?? 'rerun with the config it was made with, or write to another --out';
  throw new InputError(`${what} was made with a different config (${shown}): ${advice}`);
}

/** The validated `config.yaml` of a run directory, or null when it has none. */
export function readRecordedConfig(dir: string): RunConfig | null {
  const path = join(dir, 'config.yaml');
  if (!existsSync(path)) return null;
  return validateConfig(readConfigFile(path), path);
}
