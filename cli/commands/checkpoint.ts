/**
 * `crystal-gnn checkpoint info PATH` and `crystal-gnn checkpoint convert PATH --out DIR`: what an upstream file
 * (CGCNN .pth.tar, MatGL model folder, SchNetPack best_model) holds and where each tensor goes, and the same
 * checkpoint written as our converted folder (config.json + weights.safetensors, read by `--model` / `init.from`).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { InputError } from '../../data/errors.js';
import { writeFileAtomic } from '../../train/checkpoint.js';
import { loadModel, readCheckpoint } from '../../train/load.js';
import { writeSafetensors } from '../../train/safetensors.js';
import { findUpstreamFormat } from '../../models/upstream.js';
import { detectUpstreamFile, readUpstreamFile } from '../../train/upstreamFiles.js';

interface PathArgs {
  path: string;
  out?: string;
}

/** Everything `info` prints, as one JSON object. */
export function checkpointInfo(path: string): Record<string, unknown> {
  if (!detectUpstreamFile(path)) {
    const c = readCheckpoint(path);
    return {
      path,
      format: c.source === 'run' ? 'run directory' : 'converted folder',
      model: c.config.model,
      graph: c.config.graph,
      normalizer: c.normalizer,
      tensors: Object.fromEntries([...c.weights].map(([k, t]) => [k, t.shape])),
    };
  }
  const file = readUpstreamFile(path);
  const spec = findUpstreamFormat(file.config)?.convert(file.config, path);
  const rename = spec?.renameKey ?? ((k: string) => k);
  const { model, config, normalizer } = loadModel(path);
  const ours = new Set(model.namedParameters().keys());
  model.dispose();
  return {
    path,
    kind: file.kind,
    containers: file.containers,
    model: config.model,
    graph: config.graph,
    normalizer,
    tensors: [...file.weights].map(([k, t]) => ({
      name: k,
      dtype: t.dtype,
      shape: t.shape,
      maps_to: ours.has(rename(k)) ? rename(k) : null,
    })),
    skipped: file.skipped,
    config_json: file.config,
  };
}

const infoCmd: CommandModule<object, PathArgs> = {
  command: 'info <path>',
  describe: 'format, model kind, tensors and shapes, what maps where and what is skipped',
  builder: (y: Argv) => y.positional('path', { type: 'string', demandOption: true }) as Argv<PathArgs>,
  handler: (args) => {
    console.log(JSON.stringify(checkpointInfo(args.path), null, 2));
  },
};

/** Writes `dir/config.json` + `dir/weights.safetensors` (stored keys, float32), the converted twin of `path`. */
export function convertCheckpoint(path: string, dir: string): { tensors: number } {
  if (!detectUpstreamFile(path))
    throw new InputError(`${path}: not a CGCNN .pth.tar, a MatGL model folder or a SchNetPack best_model`);
  const file = readUpstreamFile(path);
  loadModel(path).model.dispose(); // refuse to write what would not load
  mkdirSync(dir, { recursive: true });
  const weights = new Map([...file.weights].map(([k, t]) => [k, { shape: t.shape, data: t.toFloat32() }]));
  writeSafetensors(join(dir, 'weights.safetensors'), weights);
  writeFileAtomic(
    join(dir, 'config.json'),
    `${JSON.stringify({ ...file.config, converted_from: path.split('/').pop(), skipped: file.skipped }, null, 2)}\n`,
  );
  return { tensors: weights.size };
}

const convertCmd: CommandModule<object, PathArgs> = {
  command: 'convert <path>',
  describe: 'write an upstream checkpoint as a converted folder (config.json + weights.safetensors)',
  builder: (y: Argv) =>
    y
      .positional('path', { type: 'string', demandOption: true })
      .option('out', { type: 'string', demandOption: true, describe: 'output directory' }) as Argv<PathArgs>,
  handler: (args) => {
    const { tensors } = convertCheckpoint(args.path, args.out!);
    process.stderr.write(`${args.path}: ${tensors} tensors written to ${args.out}\n`);
  },
};

export const checkpointCommand: CommandModule<object, object> = {
  command: 'checkpoint <command>',
  describe: 'inspect or convert upstream checkpoints (CGCNN .pth.tar, MatGL folders, SchNetPack best_model)',
  builder: (y: Argv) => y.command(infoCmd).command(convertCmd).demandCommand(1),
  handler: () => {},
};
