/**
 * Target normalisation, fitted on the training rows of the current fold only and saved with the run.
 * `mean` subtracts the mean (SchNetPack's RemoveOffsets), `standardize` also divides by the unbiased
 * standard deviation (CGCNN's Normalizer, torch.std), `none` leaves targets as they are (MatGL as run).
 */
import { z } from 'zod';
import { InputError } from './errors.js';

export type NormalizationMode = 'mean' | 'standardize' | 'none';

export interface Normalizer {
  mode: NormalizationMode;
  mean: number;
  std: number;
}

const NormalizerSchema = z
  .object({
    mode: z.enum(['mean', 'standardize', 'none']),
    mean: z.number().refine(Number.isFinite, 'expected a finite number'),
    std: z.number().positive().refine(Number.isFinite, 'expected a finite number'),
  })
  .strict();

/** A saved normaliser (a run's normalizer.json), validated: `source` names the file in the error. */
export function parseNormalizer(raw: unknown, source: string): Normalizer {
  const parsed = NormalizerSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) =>
    i.code === 'unrecognized_keys'
      ? `unknown key '${i.keys.join("', '")}'`
      : `${i.path.join('.') || '(top level)'}: ${i.message}`,
  );
  throw new InputError(`${source}: invalid normaliser: ${issues.join('; ')}`);
}

export function fitNormalizer(targets: ArrayLike<number>, mode: NormalizationMode): Normalizer {
  const n = targets.length;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(targets[i]))
      throw new InputError(`training target ${i} is ${targets[i]}: targets must be finite numbers`);
  }
  if (mode === 'none') return { mode, mean: 0, std: 1 };
  if (n === 0) throw new InputError('cannot fit a target normaliser on an empty training set');
  let sum = 0;
  for (let i = 0; i < n; i++) sum += targets[i];
  const mean = sum / n;
  if (mode === 'mean') return { mode, mean, std: 1 };
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (targets[i] - mean) ** 2;
  const std = n > 1 ? Math.sqrt(ss / (n - 1)) : 1;
  return { mode, mean, std: std > 0 ? std : 1 };
}

export function normalize(n: Normalizer, y: number): number {
  return (y - n.mean) / n.std;
}

export function denormalize(n: Normalizer, y: number): number {
  return y * n.std + n.mean;
}
