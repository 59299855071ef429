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

/** The arguments a worker copies from its parent: `argv` less the options and flags of `drop`. */
function inheritedArgs(argv: string[], drop: DroppedArgs): string[] {
  const options = drop.options ?? [];
  const named = (a: string, names: string[]): boolean => names.some((n) => a === n || a.startsWith(`${n}=`));
  return argv.filter(
    (a, i) => !named(a, [...options, ...(drop.flags ?? [])]) && !(i > 0 && options.includes(argv[i - 1])),
  );
}

/** One copy of this CLI with `args`; stdout discarded, stderr shared; resolves when it exits with 0. */
function runCopy(name: string, label: string, args: string[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, cliEntry(), ...args], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new InputError(`${name} worker ${label} exited with code ${code}`)),
    );
  });
}

/**
 * Runs `count` copies of `argv` (this command's arguments, less `drop`) with `shardArgs(i)` appended. Resolves when
 * every copy exited with 0.
 */
export function runWorkers(
  name: string,
  count: number,
  argv: string[],
  drop: DroppedArgs,
  shardArgs: (i: number) => string[],
): Promise<void> {
  const base = inheritedArgs(argv, drop);
  return Promise.all(
    Array.from({ length: count }, (_, i) => runCopy(name, `${i}/${count}`, [...base, ...shardArgs(i)])),
  ).then(() => undefined);
}

/**
 * Runs `run` on every item, at most `concurrency` at a time, taking the items in order as lanes free up. After a
 * failure no further item starts; the running ones are awaited, then the first error is thrown.
 */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  run: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const lane = async (): Promise<void> => {
    while (next < items.length && errors.length === 0) {
      const i = next++;
      try {
        await run(items[i], i);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
  if (errors.length) throw errors[0];
}

/** One copy of `argv` (less `drop`) per task, `task` appended, at most `concurrency` running at once, in order. */
export function runQueued(
  name: string,
  concurrency: number,
  argv: string[],
  drop: DroppedArgs,
  tasks: string[][],
): Promise<void> {
  const base = inheritedArgs(argv, drop);
  return runPool(tasks, concurrency, (task, i) =>
    runCopy(name, `${i + 1} of ${tasks.length} (${task.join(' ')})`, [...base, ...task]),
  );
}
