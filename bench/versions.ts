/**
 * Two versions of the code side by side in one process, for A/B measurements (bench/abStep.ts) and numerical
 * identity checks (bench/stepLosses.ts). A version is a git ref, extracted with `git archive` into a temp folder
 * whose node_modules links to ours (so both share one TF.js engine and backend), or `worktree` (these files). Each
 * version builds its own model (same config and seed), its own optimiser and collates the batches with its own code.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { splitEntries } from '../data/obelix.js';
import type { GraphSample } from '../graph/batch.js';
import type { RunConfig } from '../train/config.js';
import { samplesFor } from '../graph/featurize.js';
import { loadDataset } from '../train/run.js';
import { webgpuSetup } from '../train/webgpu.js';
import { microBatchEdges } from '../train/deviceLimits.js';

type BatchModule = typeof import('../graph/batch.js');
/** Where a version builds its models: models/build.ts, or train/run.ts before the split. */
type BuildModule = typeof import('../models/build.js');
type LossModule = typeof import('../train/losses.js');
type OptimModule = typeof import('../train/optim.js');

/** One version of the code, ready to train. */
export interface Version {
  label: string;
  /** Trains one pass over the batches (one optimiser step each); returns its ms per step. */
  step: () => Promise<number>;
  /** Losses of the first pass, one per batch (filled by the first `step`). */
  firstLosses: number[];
  /** Prints the top kernels of one step (tf.profile). */
  profile: () => Promise<void>;
  /** Kernels one training step on the first batch launches (all micro-batches, backward and update included). */
  kernelsPerStep: () => Promise<number>;
  /** GPU dispatches of that step on webgpu (tf.profile's kernels less the no-op ones: reshapes, identities), else null. */
  dispatchesPerStep: () => Promise<number | null>;
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
  // a link left by another checkout (since removed) dangles: existsSync follows it and says false, so replace it
  if (!existsSync(join(dir, 'node_modules'))) {
    rmSync(join(dir, 'node_modules'), { force: true });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  }
  return dir;
}

async function load<T>(dir: string, path: string): Promise<T> {
  return (await import(pathToFileURL(join(dir, path)).href)) as T;
}

/** The first `count` training batches of the config's OBELiX split (CIF rows, in file order), graphs built once. */
export async function realBatches(config: RunConfig, count: number): Promise<GraphSample[][]> {
  const ds = await loadDataset(config, undefined, () => {});
  const bs = config.training.batch_size;
  const samples = samplesFor(ds, splitEntries(ds, 'train', { cifOnly: true }).slice(0, count * bs), config);
  return Array.from({ length: count }, (_, i) => samples.slice(i * bs, (i + 1) * bs));
}

/** Builds a version's model and optimiser for `config` over `batches`. */
export async function prepareVersion(
  label: string,
  ref: string,
  config: RunConfig,
  batches: GraphSample[][],
): Promise<Version> {
  const dir = sourceDir(ref);
  const [batchMod, runMod, lossMod, optimMod] = await Promise.all([
    load<BatchModule>(dir, 'graph/batch.ts'),
    load<BuildModule>(dir, existsSync(join(dir, 'models', 'build.ts')) ? 'models/build.ts' : 'train/run.ts'),
    load<LossModule>(dir, 'train/losses.ts'),
    load<OptimModule>(dir, 'train/optim.ts'),
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
    const micro = batchMod.planBatches(
      members.map((_, i) => i),
      members,
      t.batch_size,
      microBatchEdges(t.max_edges_per_batch),
    )[0];
    let acc: tf.Tensor[] | null = null;
    let total: tf.Scalar = tf.scalar(0);
    for (const part of micro) {
      const batch = batchMod.collate(part.map((i) => members[i]));
      const { value, grads } = tf.tidy(() =>
        tf.variableGrads(() => {
          const loss = lossMod.lossSum(
            t.loss,
            model.forward(batch, true),
            tf.sub(batch.targets, mean) as tf.Tensor1D,
            t.huber_delta,
          );
          return tf.div(loss, members.length) as tf.Scalar;
        }, list),
      );
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
    const info = await tf.profile(() => {
      tf.dispose(trainStep(batches[0]));
    });
    const byKernel = new Map<string, { ms: number; n: number }>();
    for (const k of info.kernels) {
      const e = byKernel.get(k.name) ?? { ms: 0, n: 0 };
      e.ms += k.kernelTimeMs as number;
      e.n += 1;
      byKernel.set(k.name, e);
    }
    const rows = [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15);
    const total = info.kernels.reduce((s, k) => s + (k.kernelTimeMs as number), 0);
    const calls = [...info.kernels]
      .sort((x, y) => (y.kernelTimeMs as number) - (x.kernelTimeMs as number))
      .slice(0, Number(process.env.AB_PROFILE_CALLS ?? 20))
      .map((k) => `${k.name} ${(k.kernelTimeMs as number).toFixed(1)}ms ${JSON.stringify(k.inputShapes)}`);
    console.log(
      JSON.stringify(
        {
          profile: label,
          kernels: info.kernels.length,
          kernel_ms: Number(total.toFixed(1)),
          top: rows.map(([k, e]) => [k, Number(e.ms.toFixed(1)), e.n]),
          calls,
        },
        null,
        1,
      ),
    );
  };
  const kernelsPerStep = async (): Promise<number> =>
    (
      await tf.profile(() => {
        tf.dispose(trainStep(batches[0]));
      })
    ).kernels.length;
  const dispatchesPerStep = async (): Promise<number | null> => {
    const counter = webgpuSetup()?.dispatches;
    if (!counter || tf.getBackend() !== 'webgpu') return null;
    const before = counter.count;
    const loss = trainStep(batches[0]);
    await loss.data();
    loss.dispose();
    return counter.count - before;
  };
  return { label, step, firstLosses, profile, kernelsPerStep, dispatchesPerStep };
}
