/**
 * Converted SchNetPack checkpoints (`NeuralNetworkPotential` state dicts with a `config.json` describing the
 * representation and the Atomwise head, converted or read from a `best_model`, docs/checkpoints.md): recognised by the
 * representation class named in `construction`, turned into our model section. Outputs are in the model's own
 * units (identity normaliser) unless `offsets.mean` (SchNetPack's `AddOffsets`) is given: then y = out + mean.
 */
import { InputError } from '../data/errors.js';
import type { UpstreamFormat } from './upstream.js';

interface SchnetpackConfig {
  model?: string;
  construction?: string[];
  representation_args?: Record<string, unknown> & { radial_basis?: { n_rbf?: number; cutoff?: number } };
  atomwise_args?: { aggregation_mode?: string; n_layers?: number; n_hidden?: unknown };
  /** The `AddOffsets` post-processor's mean (a `best_model` read directly); absent: no post-processor. */
  offsets?: { mean?: number };
}

/** The format for one representation class (`SchNet`, `PaiNN`, ...) mapped to our model name. */
export function schnetpackFormat(upstreamClass: string, ourName: string): UpstreamFormat {
  return {
    name: `schnetpack-${ourName}`,
    detect: (raw) => {
      const c = raw as SchnetpackConfig;
      return (
        c.model === 'schnetpack.model.NeuralNetworkPotential' &&
        (c.construction ?? []).some((line) => line.includes(`representation.${upstreamClass}(`))
      );
    },
    convert: (raw, dir) => {
      const c = raw as SchnetpackConfig;
      const rep = c.representation_args;
      const cutoff = rep?.radial_basis?.cutoff;
      if (!rep || typeof cutoff !== 'number')
        throw new InputError(`${dir}/config.json: representation_args.radial_basis.cutoff missing`);
      const agg = c.atomwise_args?.aggregation_mode ?? 'sum';
      if (c.atomwise_args?.n_hidden !== null && c.atomwise_args?.n_hidden !== undefined) {
        throw new InputError(
          `${dir}/config.json: atomwise_args.n_hidden is not supported (only the default pyramidal head)`,
        );
      }
      const model: { name: string } & Record<string, unknown> = {
        name: ourName,
        n_atom_basis: rep.n_atom_basis,
        n_interactions: rep.n_interactions,
        n_rbf: rep.radial_basis?.n_rbf ?? 20,
        aggregation: agg === 'avg' ? 'mean' : 'sum',
      };
      for (const key of ['n_filters', 'shared_interactions', 'shared_filters']) {
        if (rep[key] !== undefined && rep[key] !== null) model[key] = rep[key];
      }
      const mean = c.offsets?.mean;
      if (mean !== undefined && (typeof mean !== 'number' || !Number.isFinite(mean)))
        throw new InputError(`${dir}/config.json: offsets.mean is not a number`);
      return {
        model,
        graph: { cutoff },
        normalizer: mean === undefined ? { mode: 'none', mean: 0, std: 1 } : { mode: 'mean', mean, std: 1 },
      };
    },
  };
}
