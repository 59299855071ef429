/**
 * A/B timing of one full training step (collate, forward, loss, backward, optimiser update) of two versions of
 * the code, in ONE process, interleaved, on a fixed set of real OBELiX batches: the robust way to measure a
 * speed-up on a machine whose cores are shared with other jobs (wall-clock seconds drift, ratios much less).
 *
 *   node --import tsx bench/abStep.ts --config configs/cgcnn.yaml [--a HEAD] [--b worktree] [--batches 3]
 *                                     [--rounds 7] [--backend wasm] [--profile]
 * A version is a git ref (extracted with `git archive` into a temp folder whose node_modules links to ours, so
 * both share one TF.js engine and backend) or `worktree` (these files). Each version builds its own model (same
 * config and seed, hence the same initial weights when the init code is the same), its own optimiser and
 * collates the batches with its own code; the graphs are built once. A round times one pass over the batches
 * per version, in the order ABBA / BAAB alternating; the report gives each version's median ms per step, the
 * ratio A/B (> 1: B is faster) and the first pass's losses (equal when the numerics are).
 * `--profile` prints the top kernels of one step of each version (tf.profile).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { splitEntries } from '../data/obelix.js';
import type { GraphSample } from '../graph/batch.js';
import { initBackend, type BackendName } from '../train/backend.js';
import { loadConfig, type RunConfig } from '../train/config.js';
import { samplesFor } from '../graph/featurize.js';
import { loadDataset } from '../train/run.js';

type BatchModule = typeof import('../graph/batch.js');
/** Where a version builds its models: models/build.ts, or train/run.ts before the split. */
type BuildModule = typeof import('../models/build.js');
type LossModule = typeof import('../train/losses.js');
type OptimModule = typeof import('../train/optim.js');

/** One version of the code, ready to train. */
interface Version {
  label: string;
  step: () => Promise<number>;
}

const ROOT = resolve(import.meta.dirname, '..');

/** The folder holding `ref`'s tracked files (extracted once per commit), or the working tree. */
function sourceDir(ref: string): string {
  if (ref === 'worktree') return ROOT;
  const sha = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = join(tmpdir(), 'crystal-gnn-abStep', sha);
  if (!existsSync(join(dir, 'package.json'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', `git archive ${sha} | tar -x -C '${dir}'`], { cwd: ROOT });
  }
  // Node resolves packages through the link to their real path: one @tensorflow/tfjs module instance for both.
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

async function load<T>(dir: string, path: string): Promise<T> {
  return (await import(pathToFileURL(join(dir, path)).href)) as T;
}

/** Builds a version's model and optimiser; `step()` trains one pass over `batches` and returns its ms per step. */
async function prepare(label: string, ref: string, config: RunConfig, batches: GraphSample[][]): Promise<Version & { firstLosses: number[]; profile: () => Promise<void> }> {
  const dir = sourceDir(ref);
  const [batchMod, runMod, lossMod, optimMod] = await Promise.all([
    load<BatchModule>(dir, 'graph/batch.ts'), load<BuildModule>(dir, existsSync(join(dir, 'models', 'build.ts')) ? 'models/build.ts' : 'train/run.ts'),
    load<LossModule>(dir, 'train/losses.ts'), load<OptimModule>(dir, 'train/optim.ts'),
  ]);
  const t = config.training;
  const model = runMod.buildModel(config);
  const variables = model.trainableVariables();
  const names = [...variables.keys()];
  const list = [...variables.values()];
  const optimizer = new optimMod.Adam({ lr: t.lr, weightDecay: t.optimizer === 'adamw' ? t.weight_decay : 0 });
  const targets = batches.flat().map((s) => s.target);
  const mean = targets.reduce((a, b) => a + b, 0) / targets.length;

  // The trainer's step (train/trainer.ts), written against this version's modules: micro-batches, accumulation,
  // clipping, update.
  const trainStep = (members: GraphSample[]): tf.Scalar => {
    const micro = batchMod.planBatches(members.map((_, i) => i), members, t.batch_size, t.max_edges_per_batch)[0];
    let acc: tf.Tensor[] | null = null;
    let total: tf.Scalar = tf.scalar(0);
    for (const part of micro) {
      const batch = batchMod.collate(part.map((i) => members[i]));
      const { value, grads } = tf.tidy(() => tf.variableGrads(() => {
        const loss = lossMod.lossSum(t.loss, model.forward(batch, true), tf.sub(batch.targets, mean) as tf.Tensor1D, t.huber_delta);
        return tf.div(loss, members.length) as tf.Scalar;
      }, list));
      batchMod.disposeBatch(batch);
      const g = list.map((v) => grads[v.name]);
      const next = tf.add(total, value) as tf.Scalar;
      tf.dispose([total, value]);
      total = next;
      if (!acc) acc = g;
      else {
        const sum: tf.Tensor[] = acc.map((a, i) => tf.add(a, g[i]));
        tf.dispose([...acc, ...g]);
        acc = sum;
      }
    }
    let gradients = acc!;
    if (t.grad_clip !== null) {
      const clipped = tf.tidy(() => {
        const norm = tf.sqrt(tf.addN(gradients.map((g) => tf.sum(tf.square(g)))));
        const scale = tf.minimum(1, tf.div(t.grad_clip!, tf.add(norm, 1e-6)));
        return gradients.map((g) => tf.mul(g, scale));
      });
      tf.dispose(gradients);
      gradients = clipped;
    }
    optimizer.apply(variables, new Map(names.map((n, i) => [n, gradients[i]])));
    tf.dispose(gradients);
    return total;
  };

  const firstLosses: number[] = [];
  const step = async (): Promise<number> => {
    const start = performance.now();
    const losses = batches.map(trainStep);
    const values = await tf.stack(losses).data(); // also waits for an asynchronous (GPU) backend
    const ms = (performance.now() - start) / batches.length;
    tf.dispose(losses);
    if (!firstLosses.length) firstLosses.push(...values);
    return ms;
  };

  const profile = async (): Promise<void> => {
    const info = await tf.profile(() => { tf.dispose(trainStep(batches[0])); });
    const byKernel = new Map<string, { ms: number; n: number }>();
    for (const k of info.kernels) {
      const e = byKernel.get(k.name) ?? { ms: 0, n: 0 };
      e.ms += k.kernelTimeMs as number;
      e.n += 1;
      byKernel.set(k.name, e);
    }
    const rows = [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15);
    const total = info.kernels.reduce((s, k) => s + (k.kernelTimeMs as number), 0);
    const calls = [...info.kernels].sort((x, y) => (y.kernelTimeMs as number) - (x.kernelTimeMs as number)).slice(0, Number(process.env.AB_PROFILE_CALLS ?? 20))
      .map((k) => `${k.name} ${(k.kernelTimeMs as number).toFixed(1)}ms ${JSON.stringify(k.inputShapes)}`);
    console.log(JSON.stringify({ profile: label, kernels: info.kernels.length, kernel_ms: Number(total.toFixed(1)), top: rows.map(([k, e]) => [k, Number(e.ms.toFixed(1)), e.n]), calls }, null, 1));
  };
  return { label, step, firstLosses, profile };
}

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const { values: args } = parseArgs({
  options: {
    config: { type: 'string', default: 'configs/cgcnn.yaml' },
    a: { type: 'string', default: 'HEAD' },
    b: { type: 'string', default: 'worktree' },
    batches: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '7' },
    backend: { type: 'string', default: 'wasm' },
    profile: { type: 'boolean', default: false },
  },
});

const config = loadConfig(args.config!, [`backend=${args.backend}`, 'data.validation=null']);
const backend = await initBackend(args.backend as BackendName);
const ds = await loadDataset(config, undefined, () => {});
const nBatches = Number(args.batches);
const bs = config.training.batch_size;
const samples = samplesFor(ds, splitEntries(ds, 'train', { cifOnly: true }).slice(0, nBatches * bs), config);
const batches = Array.from({ length: nBatches }, (_, i) => samples.slice(i * bs, (i + 1) * bs));

const A = await prepare('A', args.a!, config, batches);
const B = await prepare('B', args.b!, config, batches);
await A.step(); // warm-up (kernel compilation, first allocations); also records the first-pass losses
await B.step();
if (args.profile) {
  await A.profile();
  await B.profile();
}
const times: Record<'A' | 'B', number[]> = { A: [], B: [] };
for (let r = 0; r < Number(args.rounds); r++) {
  const order = r % 2 ? [B, A, A, B] : [A, B, B, A];
  for (const v of order) times[v.label as 'A' | 'B'].push(await v.step());
}
const a = median(times.A), b = median(times.B);
console.log(JSON.stringify({
  config: args.config, backend: backend.name, a: args.a, b: args.b, batches: batches.map((x) => x.length),
  edges: batches.map((x) => x.reduce((n, s) => n + s.src.length, 0)),
  ms_per_step: { A: Number(a.toFixed(1)), B: Number(b.toFixed(1)) }, ratio_A_over_B: Number((a / b).toFixed(3)),
  samples_per_version: times.A.length, first_losses: { A: A.firstLosses, B: B.firstLosses },
}));
