/**
 * Checkpoints converted from upstream code (SchNetPack, CGCNN, MatGL): a directory with `config.json` and
 * `weights.safetensors` under upstream state-dict keys. Each known format (listed here) recognises its config.json
 * and turns it into our run config (model section + graph) and the target normaliser.
 */
import type { Normalizer } from '../data/normalizer.js';
import { cgcnnFormat } from './cgcnnFormat.js';
import { m3gnetFormat } from './m3gnetFormat.js';
import { schnetpackFormat } from './schnetpackFormat.js';

export interface UpstreamModelSpec {
  /** Our `model:` section (validated by the model's schema afterwards). */
  model: { name: string } & Record<string, unknown>;
  graph: { cutoff: number; max_neighbors?: number; threebody_cutoff?: number };
  normalizer: Normalizer;
  /** Renames a stored key into our key (e.g. strips a wrapper prefix); identity when absent. */
  renameKey?: (key: string) => string;
}

export interface UpstreamFormat {
  name: string;
  detect(config: Record<string, unknown>): boolean;
  convert(config: Record<string, unknown>, dir: string): UpstreamModelSpec;
}

const formats: readonly UpstreamFormat[] = [
  schnetpackFormat('SchNet', 'schnet'),
  cgcnnFormat(),
  schnetpackFormat('PaiNN', 'painn'),
  m3gnetFormat(),
];

export function findUpstreamFormat(config: Record<string, unknown>): UpstreamFormat | undefined {
  return formats.find((f) => f.detect(config));
}

export function upstreamFormatNames(): string[] {
  return formats.map((f) => f.name);
}
