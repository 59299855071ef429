/** A throwaway single-node Slurm (scripts/slurm-harness.sh) and the few client calls the recipe tests make. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from './paths.js';

/** Why the Slurm tests cannot run here, or null when they can (the daemons are installed and we are root). */
export function slurmMissing(): string | null {
  for (const bin of ['munged', 'mungekey', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0)
      return `${bin} not installed (apt-get install -y slurm-wlm munge)`;
  }
  if (process.getuid?.() !== 0) return "not root (slurmd must switch to the job's user)";
  return null;
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export class SlurmCluster {
  readonly env: NodeJS.ProcessEnv;
  private constructor(
    readonly dir: string,
    readonly upSeconds: number,
  ) {
    this.env = { ...process.env, SLURM_CONF: join(dir, 'slurm.conf') };
  }

  /** Starts munged, slurmctld and slurmd under a fresh temporary directory; resolves when the node is idle. */
  static up(): SlurmCluster {
    const dir = mkdtempSync(join(tmpdir(), 'slurm-'));
    const r = spawnSync('bash', [join(projectRoot, 'scripts', 'slurm-harness.sh'), 'up', dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`slurm harness failed:\n${r.stdout}${r.stderr}`);
    return new SlurmCluster(dir, Number(/up in ([\d.]+) s/.exec(r.stdout)?.[1] ?? NaN));
  }

  down(): void {
    spawnSync('bash', [join(projectRoot, 'scripts', 'slurm-harness.sh'), 'down', this.dir]);
  }

  run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
    const r = spawnSync(cmd, args, {
      cwd: opts.cwd ?? projectRoot,
      env: { ...this.env, ...opts.env },
      encoding: 'utf8',
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** `sbatch --parsable ARGS` from the project root; the job id. */
  sbatch(args: string[], env: NodeJS.ProcessEnv = {}): string {
    const r = this.run('sbatch', ['--parsable', ...args], { env });
    if (r.status !== 0) throw new Error(`sbatch ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout.trim().split(';')[0];
  }

  /** Each job (array tasks one by one) of these ids with its state and reason, e.g. `12_0 COMPLETED None`. */
  states(ids: string[]): Map<string, { state: string; reason: string }> {
    const r = this.run('squeue', ['-h', '--states=all', '-j', ids.join(','), '-o', '%i %T %r']);
    const out = new Map<string, { state: string; reason: string }>();
    for (const line of r.stdout.trim().split('\n').filter(Boolean)) {
      const [id, state, ...reason] = line.trim().split(/\s+/);
      out.set(id, { state, reason: reason.join(' ') });
    }
    return out;
  }

  /** Waits until no job of these ids is pending or running (or `timeoutS` passes); the final states. */
  async wait(ids: string[], timeoutS = 240): Promise<Map<string, { state: string; reason: string }>> {
    const end = Date.now() + timeoutS * 1000;
    for (;;) {
      const s = this.states(ids);
      const busy = [...s.values()].some((j) =>
        /PENDING|RUNNING|CONFIGURING|COMPLETING|REQUEUE|RESIZING|SUSPENDED/.test(j.state),
      );
      if ((!busy && s.size > 0) || Date.now() > end) return s;
      await sleep(500);
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
