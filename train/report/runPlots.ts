/**
 * The plots of one training run, written beside it: learning curves (training and validation loss per epoch, in the
 * loss of `training.loss` on normalised targets) and, with validation rows, a parity plot of the kept model on them.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../checkpoint.js';
import type { EpochRecord } from '../trainer.js';
import { lineChart, parityPlot, type Series } from './svg.js';

export function writeRunPlots(
  dir: string,
  name: string,
  history: EpochRecord[],
  val: Array<{ target: number; prediction: number }>,
): string[] {
  const written: string[] = [];
  const epochs = history.map((r) => r.epoch);
  const series: Series[] = [{ label: 'training loss', xs: epochs, ys: history.map((r) => r.train_loss) }];
  if (history.some((r) => r.val_loss !== undefined))
    series.push({ label: 'validation loss', xs: epochs, ys: history.map((r) => r.val_loss ?? NaN) });
  if (history.length) {
    const path = join(dir, 'learning-curve.svg');
    writeFileAtomic(
      path,
      lineChart(`${name}: loss per epoch`, series, 'epoch', 'loss (normalised targets)', { integerX: true }),
    );
    written.push(path);
  }
  if (val.length) {
    const path = join(dir, 'parity.svg');
    const mae = val.reduce((a, r) => a + Math.abs(r.prediction - r.target), 0) / val.length;
    writeFileAtomic(
      path,
      parityPlot(
        `${name}: validation rows (${val.length})`,
        val.map((r) => r.target),
        val.map((r) => r.prediction),
        `MAE ${mae.toFixed(2)}`,
      ),
    );
    written.push(path);
  }
  return written;
}
