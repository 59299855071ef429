/** Helpers shared by CLI commands. */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from '../data/errors.js';
import { ensureObelix, resolveDataDir } from '../data/fetch.js';

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
