/**
 * Cost of the MLP baseline grid: for every (layer sizes, batch size) of the paper's grid, the CPU
 * time of a few epochs of one pack (as `runMlpSearch` would pack it) on OBELiX fold 0, then an
 * extrapolation to the full grid (5 learning rates × 5 folds × `--epochs` epochs per fit, default
 * 250 ≈ the mean seen in full runs). CPU time (process.cpuUsage), not wall time, so the numbers
 * stay meaningful on a shared machine; they still carry ±20 % noise.
 *
 *   node --import tsx bench/baselinesMlpCost.ts [--backend wasm|cpu] [--epochs 250] [--pack 1|25]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { trainIndices } from '../data/folds.js';
import { loadObelix } from '../data/obelix.js';
import { defaultPackSize, MLP_PAPER_GRID, mlpParamCount, trainMlpPack } from '../train/baselines/mlp.js';
import { obelixTabular } from '../train/baselines/tabular.js';
import { obelixDir } from '../test/helpers/paths.js';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    epochs: { type: 'string', default: '250' },
    pack: { type: 'string' },
  },
});
await tf.setBackend(args.backend);
await tf.ready();
const data = obelixTabular(loadObelix(obelixDir));
const F = data.train.X[0].length;
const job = (m: number) => ({
  trainRows: trainIndices(data.folds[0], data.train.y.length),
  evalRows: data.folds[0],
  learningRate: 0.01,
  seed: m,
});
const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

let total = 0;
console.log(
  `backend ${tf.getBackend()}; CPU ms per model-epoch, extrapolated to 25 fits × ${args.epochs} epochs per (layers, batch)`,
);
for (const hidden of MLP_PAPER_GRID.hidden_layer_sizes) {
  for (const bs of MLP_PAPER_GRID.batch_size) {
    const M = args.pack ? Number(args.pack) : defaultPackSize(F, hidden, bs);
    const jobs = Array.from({ length: M }, (_, m) => job(m));
    await trainMlpPack(data.train.X, data.train.y, hidden, bs, jobs, { max_iter: 1 }); // warm-up
    const epochs = 4;
    const c0 = cpuSeconds();
    await trainMlpPack(data.train.X, data.train.y, hidden, bs, jobs, { max_iter: epochs });
    const ms = ((cpuSeconds() - c0) * 1000) / epochs / M;
    total += (ms * 25 * Number(args.epochs)) / 1000;
    console.log(
      `${JSON.stringify(hidden).padEnd(20)} P ${String(mlpParamCount(F, hidden)).padStart(6)}  batch ${String(bs).padStart(2)}  pack ${String(M).padStart(2)}  ` +
        `${ms.toFixed(2).padStart(7)} ms/epoch   cumulative ${(total / 60).toFixed(0)} CPU-min`,
    );
  }
}
console.log(`full 240-point grid ≈ ${(total / 3600).toFixed(1)} CPU-hours (plus the refit)`);
