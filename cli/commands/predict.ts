/** `crystal-gnn predict --run DIR | --model DIR <cif...>`: one JSON line per structure, in input order. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { InputError } from '../../data/errors.js';
import type { GraphSample } from '../../graph/batch.js';
import { BACKEND_NAMES, initBackend } from '../../train/backend.js';
import { loadModel } from '../../train/load.js';
import { sampleFor } from '../../graph/featurize.js';
import { predictSamples } from '../../train/trainer.js';
import { logLine } from '../progress.js';

interface PredictArgs {
  run?: string;
  model?: string;
  files: string[];
  backend?: string;
}

/** Expands directories into their .cif files (sorted), keeps files in the order given. */
export function expandCifPaths(inputs: string[]): string[] {
  const out: string[] = [];
  for (const p of inputs) {
    if (existsSync(p) && statSync(p).isDirectory()) {
      out.push(
        ...readdirSync(p)
          .filter((f) => f.toLowerCase().endsWith('.cif'))
          .sort()
          .map((f) => join(p, f)),
      );
    } else {
      out.push(p);
    }
  }
  return out;
}

export const fileStem = (p: string): string => basename(p).replace(/\.cif$/i, '');

export const predictCommand: CommandModule<object, PredictArgs> = {
  command: 'predict [files..]',
  describe: 'predict with a run directory or an upstream checkpoint (converted or as published)',
  builder: (y: Argv) =>
    y
      .positional('files', { type: 'string', array: true, describe: 'CIF files or directories' })
      .option('run', { type: 'string', describe: 'run directory written by train' })
      .option('model', {
        type: 'string',
        describe:
          'run directory, converted folder (config.json + weights.safetensors), CGCNN .pth.tar, MatGL model folder or SchNetPack best_model',
      })
      .option('backend', { type: 'string', choices: BACKEND_NAMES, default: 'auto', describe: 'TF.js backend' })
      .check((a) => {
        if (!a.run && !a.model) throw new InputError('give --run DIR or --model DIR');
        if (a.run && a.model)
          throw new InputError(`give --run DIR or --model DIR, not both (--run ${a.run}, --model ${a.model})`);
        return true;
      }) as Argv<PredictArgs>,
  handler: async (args) => {
    const dir = (args.model ?? args.run)!;
    const files = expandCifPaths(args.files ?? []);
    if (files.length === 0) throw new InputError('no CIF files given');
    await initBackend((args.backend ?? 'auto') as 'auto');
    const { config, model, normalizer } = loadModel(dir);
    let failed = 0;
    for (const file of files) {
      let sample: GraphSample;
      try {
        if (!existsSync(file)) throw new InputError(`${file}: no such file`);
        sample = sampleFor(file, config.spec);
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        logLine(`error: ${err.message}`);
        failed++;
        continue;
      }
      const [y] = await predictSamples(model, [sample], normalizer, 1, Number.MAX_SAFE_INTEGER);
      console.log(JSON.stringify({ id: fileStem(file), prediction: y }));
    }
    model.dispose();
    if (failed) process.exitCode = 2;
  },
};
