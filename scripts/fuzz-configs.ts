/**
 * Config and run-directory fuzz (issue #21): a deterministic corpus of mutated YAML configs and damaged run
 * directories (test/helpers/runFuzz.ts), each of which must be answered by one `error:` line or a correct run,
 * never a stack trace or a hang. Prints `N inputs, 0 stack traces, 0 hangs` (its last line) and exits 1 otherwise.
 *
 *   nice node --import tsx scripts/fuzz-configs.ts [--configs 1200] [--runs all] [--timeout 60]
 *
 * The inputs run in a child process that reports each answer as a line; one that takes longer than `--timeout`
 * seconds is a hang (the child is killed and a new one continues after it), one that kills the child a crash.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../train/backend.js';
import {
  answerConfig,
  answerRunDamage,
  baseRun,
  configCases,
  runDamages,
  type Outcome,
} from '../test/helpers/runFuzz.js';

interface Answer {
  index: number;
  kind: 'config' | 'run';
  name: string;
  answers: Array<{ how: string; outcome: Outcome; detail: string }>;
}

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const configCount = flag('configs', 1200);
const damages = runDamages();
const runCount = Math.min(flag('runs', damages.length), damages.length);
const total = configCount + runCount;

/** Child: answers inputs from `--from` on, one JSON line each. */
async function worker(from: number): Promise<void> {
  await initBackend('cpu');
  const work = mkdtempSync(join(tmpdir(), 'fuzz-work-'));
  const configs = configCases(configCount);
  const base = runCount > 0 && from < total ? await baseRun() : '';
  for (let i = from; i < total; i++) {
    let a: Answer;
    if (i < configCount) {
      a = {
        index: i,
        kind: 'config',
        name: configs[i].name,
        answers: [{ how: 'info', ...answerConfig(configs[i], work) }],
      };
    } else {
      const d = damages[i - configCount];
      a = { index: i, kind: 'run', name: d.name, answers: await answerRunDamage(base, d, work) };
    }
    process.stdout.write(`${JSON.stringify(a)}\n`);
  }
}

/** Parent: runs workers until every input is answered, hung or crashed. */
async function main(): Promise<void> {
  const timeoutMs = flag('timeout', 60) * 1000;
  const answers: Answer[] = [];
  const hangs: number[] = [];
  const crashes: Array<{ index: number; stderr: string }> = [];
  let next = 0;
  const script = fileURLToPath(import.meta.url);
  while (next < total) {
    const child = spawn(
      process.execPath,
      [
        ...process.execArgv,
        script,
        '--worker',
        String(next),
        '--configs',
        String(configCount),
        '--runs',
        String(runCount),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-4000);
    });
    let timer: NodeJS.Timeout | undefined;
    let hung = false;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        hung = true;
        child.kill('SIGKILL');
      }, timeoutMs);
    };
    arm();
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const a = JSON.parse(line) as Answer;
      answers.push(a);
      next = a.index + 1;
      arm();
      if (answers.length % 100 === 0) process.stderr.write(`${answers.length}/${total} answered\n`);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    if (next >= total) break;
    if (hung) hangs.push(next);
    else crashes.push({ index: next, stderr: `exit ${code}: ${stderr}` });
    next += 1;
  }
  const traces = answers.flatMap((a) =>
    a.answers.filter((x) => x.outcome === 'trace').map((x) => ({ ...x, name: a.name })),
  );
  const tally = (kind: Answer['kind'], how: string): string => {
    const xs = answers.filter((a) => a.kind === kind).flatMap((a) => a.answers.filter((x) => x.how === how));
    return `${how}: ${xs.filter((x) => x.outcome === 'ok').length} correct runs, ${xs.filter((x) => x.outcome === 'error').length} error lines`;
  };
  for (const t of traces) process.stderr.write(`STACK TRACE (${t.how}) ${t.name}\n${t.detail}\n\n`);
  for (const h of hangs) process.stderr.write(`HANG input ${h}\n`);
  for (const c of crashes) process.stderr.write(`CRASH input ${c.index}: ${c.stderr}\n`);
  console.log(`configs: ${configCount} (${tally('config', 'info')})`);
  console.log(`run directories: ${runCount} (${tally('run', 'predict')}; ${tally('run', 'resume')})`);
  console.log(`${total} inputs, ${traces.length + crashes.length} stack traces, ${hangs.length} hangs`);
  if (traces.length + crashes.length + hangs.length) process.exitCode = 1;
}

const w = process.argv.indexOf('--worker');
if (w >= 0) await worker(Number(process.argv[w + 1]));
else await main();
