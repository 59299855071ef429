/**
 * One synthetic SchNet-style interaction block trained with Adam, built from models/layers (docs/backends.md's
 * workload): N atoms, E random directed edges, R Gaussian RBF features with a cosine cutoff, width F.
 *   h = gather(x·W_in, src);  W = Mlp[R, F, F](rbf)·f_c;  m = h ⊙ W;  agg = segmentSum(m, dst, N);
 *   out = Mlp[F, F, F](agg);  loss = mean(out²)
 * Prints the median ms/step per backend and its ratio to the fastest.
 *
 *   node --import tsx bench/trainStep.ts [--backends cpu,wasm] [--steps 5] [--warmup 2] [--E 150000]
 *                                         [--N 3000] [--F 128] [--R 50] [--cpuE 15000]
 * cpu is ~30 s/step at E = 150k, so unless --E is given it runs at --cpuE edges and extrapolates linearly in E
 * (the E-sized products dominate); the extrapolated number is marked.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { cosineCutoff } from '../models/layers/cutoff.js';
import { Dense } from '../models/layers/dense.js';
import { Mlp } from '../models/layers/mlp.js';
import { gather, segmentSum } from '../models/layers/ops.js';
import { GaussianRBF } from '../models/layers/radial.js';
import { initBackend, type BackendName } from '../train/backend.js';

const { values: args } = parseArgs({
  options: {
    backends: { type: 'string', default: 'cpu,wasm' },
    steps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    E: { type: 'string' },
    N: { type: 'string', default: '3000' },
    F: { type: 'string', default: '128' },
    R: { type: 'string', default: '50' },
    cpuE: { type: 'string', default: '15000' },
  },
});
const N = Number(args.N),
  F = Number(args.F),
  R = Number(args.R);
const STEPS = Number(args.steps),
  WARMUP = Number(args.warmup);
const FULL_E = Number(args.E ?? 150000);

interface Result {
  backend: string;
  edges: number;
  medianMs: number;
  /** ms/step at FULL_E (measured, or extrapolated linearly from `edges`). */
  fullMs: number;
  loss0: number;
  lossN: number;
  tensorsStable: boolean;
}

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function run(backend: string): Promise<Result> {
  await initBackend(backend as BackendName);
  const E = backend === 'cpu' && args.E === undefined ? Math.min(Number(args.cpuE), FULL_E) : FULL_E;
  const rng = seedrandom('trainStep');
  const src = Int32Array.from({ length: E }, () => Math.floor(rng() * N));
  const dst = Int32Array.from({ length: E }, () => Math.floor(rng() * N));
  const dist = Float32Array.from({ length: E }, () => 0.5 + 4.5 * rng());
  const xData = Float32Array.from({ length: N * F }, () => 2 * rng() - 1);

  const radial = new GaussianRBF(R, 5);
  const in2f = new Dense(F, F, { bias: false }).initialize(1);
  const filter = new Mlp([R, F, F], 'ssp').initialize(2);
  const f2out = new Mlp([F, F, F], 'ssp').initialize(3);
  const srcT = tf.tensor1d(src, 'int32'),
    dstT = tf.tensor1d(dst, 'int32');
  const x = tf.tensor2d(xData, [N, F]);
  const { rbf, fc } = tf.tidy(() => {
    const d = tf.tensor1d(dist);
    return { rbf: radial.apply(d), fc: tf.reshape(cosineCutoff(d, 5), [E, 1]) };
  });
  const vars = [in2f, filter, f2out].flatMap((m) => [...m.trainableVariables().values()]);
  const optimizer = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);

  const loss = (): tf.Scalar => {
    const h = gather(in2f.apply(x), srcT);
    const w = tf.mul(filter.apply(rbf, { inputGrad: false }), fc);
    const agg = segmentSum(tf.mul(h, w), dstT, N);
    return tf.mean(tf.square(f2out.apply(agg)));
  };

  const times: number[] = [];
  let loss0 = NaN,
    lossN = NaN,
    tensorsAfterWarmup = 0;
  for (let i = 0; i < WARMUP + STEPS; i++) {
    const t0 = performance.now();
    const cost = optimizer.minimize(loss, true, vars)!;
    const value = (await cost.data())[0];
    cost.dispose();
    const dt = performance.now() - t0;
    if (i === 0) loss0 = value;
    lossN = value;
    if (i === WARMUP - 1 || (WARMUP === 0 && i === 0)) tensorsAfterWarmup = tf.memory().numTensors;
    if (i >= WARMUP) times.push(dt);
    process.stderr.write(`  ${backend} step ${i} ${dt.toFixed(0)} ms loss ${value.toPrecision(6)}\n`);
  }
  const tensorsStable = tf.memory().numTensors === tensorsAfterWarmup;
  optimizer.dispose();
  tf.dispose([srcT, dstT, x, rbf, fc]);
  for (const m of [radial, in2f, filter, f2out]) m.dispose();
  const medianMs = median(times);
  return { backend, edges: E, medianMs, fullMs: (medianMs * FULL_E) / E, loss0, lossN, tensorsStable };
}

const results: Result[] = [];
for (const b of String(args.backends)
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean))
  results.push(await run(b));
const fastest = Math.min(...results.map((r) => r.fullMs));
console.log(
  `train step, one SchNet-style block: N=${N} E=${FULL_E} F=${F} R=${R}, Adam, median of ${STEPS} steps after ${WARMUP} warm-up`,
);
console.log('backend  edges    ms/step (measured)  ms/step at E  ratio  loss first→last        tensors stable');
for (const r of results) {
  const extrapolated = r.edges !== FULL_E;
  console.log(
    `${r.backend.padEnd(8)} ${String(r.edges).padEnd(8)} ${r.medianMs.toFixed(0).padStart(18)}  ${(r.fullMs.toFixed(0) + (extrapolated ? '*' : '')).padStart(12)}  ${(r.fullMs / fastest).toFixed(1).padStart(5)}x  ${r.loss0.toPrecision(5)}→${r.lossN.toPrecision(5)}  ${r.tensorsStable}`,
  );
}
if (results.some((r) => r.edges !== FULL_E))
  console.log(`* extrapolated linearly from the measured edge count to E=${FULL_E}`);
console.log(
  `peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB (whole process); timings are noisy on a shared 2-core machine`,
);
