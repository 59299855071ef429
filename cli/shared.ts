/** Helpers shared by CLI commands. */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { InputError } from '../data/errors.js';
import { ensureObelix, resolveDataDir } from '../data/fetch.js';
import { BACKEND_NAMES } from '../train/backend.js';
import type { RunResult } from '../train/run.js';

/** The data directory for this invocation, fetched first (saying from where) when it is empty. */
export async function ensureDataset(flag?: string): Promise<string> {
  const dir = resolveDataDir(flag);
  await ensureObelix(dir, (line) => process.stderr.write(`${line}\n`));
  return dir;
}

/** The nearest existing path at or above `path`. */
function nearestExisting(path: string): string {
  let p = resolve(path);
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

function assertWritableDirectory(dir: string, what: string): void {
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new InputError(`${what}: ${dir} is not writable (${(err as NodeJS.ErrnoException).code ?? 'no access'})`);
  }
}

/**
 * An output directory (`--out`) must be a directory or creatable as one, and writable: checked before any data is
 * loaded, so a long job never fails at its first write.
 */
export function checkOutputDir(dir: string, flag = '--out'): void {
  const what = `${flag} ${dir}`;
  const existing = nearestExisting(dir);
  if (!statSync(existing).isDirectory()) {
    throw new InputError(
      existing === resolve(dir)
        ? `${what}: is a file, not a directory`
        : `${what}: ${existing} is a file, so no directory can be made under it`,
    );
  }
  assertWritableDirectory(existing, what);
}

/** An output file: not a directory, in an existing writable directory. */
export function checkOutputFile(file: string, flag = '--out'): void {
  const what = `${flag} ${file}`;
  if (existsSync(file) && statSync(file).isDirectory()) throw new InputError(`${what}: is a directory; name a file`);
  const parent = dirname(resolve(file));
  if (!existsSync(parent)) {
    const existing = nearestExisting(parent);
    throw new InputError(
      statSync(existing).isDirectory()
        ? `${what}: no directory ${parent}`
        : `${what}: ${existing} is a file, not a directory`,
    );
  }
  if (!statSync(parent).isDirectory()) throw new InputError(`${what}: ${parent} is a file, not a directory`);
  assertWritableDirectory(parent, what);
}

/** The options of a command that trains one run from a config (train, pretrain). */
export interface RunArgs {
  config: string;
  set?: string[];
  out?: string;
  backend?: string;
  resume?: boolean;
}

/** Adds --config, --set, --out, --backend and --resume, in that order, with the command's own help for three. */
export function runOptions(y: Argv, help: { config: string; setExample: string; resume: string }): Argv<RunArgs> {
  return y
    .option('config', { type: 'string', demandOption: true, describe: help.config })
    .option('set', { type: 'string', array: true, describe: `override a key: --set ${help.setExample}` })
    .option('out', { type: 'string', describe: 'run directory (default runs/<name>)' })
    .option('backend', { type: 'string', choices: BACKEND_NAMES, describe: 'TF.js backend (overrides the config)' })
    .option('resume', { type: 'boolean', default: false, describe: help.resume }) as Argv<RunArgs>;
}

/** The overrides of the config file: the --set assignments, then --backend as `backend=…`. */
export function configOverrides(args: { set?: string[]; backend?: string }): string[] {
  return [...(args.set ?? []), ...(args.backend ? [`backend=${args.backend}`] : [])];
}

/** A finished run's one-line JSON summary on stdout. */
export function printRunSummary(result: RunResult): void {
  console.log(
    JSON.stringify({
      run: result.dir,
      backend: result.backend,
      epochs_run: result.epochsRun,
      best_epoch: result.bestEpoch,
      seconds_per_epoch: Number(result.secondsPerEpoch.toFixed(3)),
      val: result.valMetrics,
    }),
  );
}
