/** Parallel worker processes: copies of the running `crystal-gnn` command, each given its own shard arguments. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InputError } from '../data/errors.js';

/** The CLI entry point this process runs from: dist/cli/main.js when built, cli/main.ts under tsx. */
function cliEntry(): string {
  const js = fileURLToPath(new URL('./main.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('./main.ts', import.meta.url));
}

/** What a worker must not inherit from its parent's arguments: options with a value, and boolean flags. */
export interface DroppedArgs {
  options?: string[];
  flags?: string[];
}

/**
 * Runs `count` copies of `argv` (this command's arguments, less `drop`) with `shardArgs(i)` appended; stdout is
 * discarded, stderr shared. Resolves when every copy exited with 0.
 */
export function runWorkers(name: string, count: number, argv: string[], drop: DroppedArgs, shardArgs: (i: number) => string[]): Promise<void> {
  const options = drop.options ?? [];
  const named = (a: string, names: string[]): boolean => names.some((n) => a === n || a.startsWith(`${n}=`));
  const base = argv.filter((a, i) => !named(a, [...options, ...(drop.flags ?? [])]) && !(i > 0 && options.includes(argv[i - 1])));
  const entry = cliEntry();
  const jobs = Array.from({ length: count }, (_, i) => new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, entry, ...base, ...shardArgs(i)], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new InputError(`${name} worker ${i}/${count} exited with code ${code}`))));
  }));
  return Promise.all(jobs).then(() => undefined);
}
