/**
 * Converted MatGL M3GNet checkpoints (`state.pt` of a `TransformedTargetModel` → `config.json` + `weights.safetensors`,
 * as `crystal-gnn checkpoint convert` writes them, docs/checkpoints.md): recognised by `model_class`, turned into our `m3gnet` model
 * section (constructor arguments and the resolved element list), the radius graph plus line graph, and the target
 * normaliser y = out·std + mean. Stored keys carry the wrapper prefix `model.`, which is stripped.
 * Only what OBELiX and the Eform model use is accepted: spherical-Bessel basis without smoothing or φ, no state,
 * intensive Set2Set readout, regression.
 */
import { InputError } from '../data/errors.js';
import type { UpstreamFormat } from './upstream.js';

interface M3gnetConfig {
  model_class?: string;
  init_args?: Record<string, unknown>;
  element_types_resolved?: string[];
  target_normalizer?: { mean?: number; std?: number };
}

const REQUIRED: Record<string, unknown> = {
  rbf_type: 'SphericalBessel',
  use_smooth: false,
  use_phi: false,
  include_state: false,
  readout_type: 'set2set',
  is_intensive: true,
  task_type: 'regression',
  ntargets: 1,
};

export function m3gnetFormat(): UpstreamFormat {
  return {
    name: 'matgl-m3gnet',
    detect: (raw) => raw.model_class === 'matgl.models._m3gnet.M3GNet',
    convert: (raw, dir) => {
      const c = raw as M3gnetConfig;
      const where = `${dir}/config.json`;
      const a = c.init_args;
      if (!a) throw new InputError(`${where}: init_args missing`);
      for (const [key, want] of Object.entries(REQUIRED)) {
        if (a[key] !== undefined && a[key] !== want)
          throw new InputError(
            `${where}: init_args.${key} = ${JSON.stringify(a[key])} is not supported (need ${JSON.stringify(want)})`,
          );
      }
      const elements = c.element_types_resolved ?? a.element_types;
      if (!Array.isArray(elements)) throw new InputError(`${where}: element_types_resolved missing`);
      const num = (key: string): number => {
        const v = a[key];
        if (typeof v !== 'number') throw new InputError(`${where}: init_args.${key} missing or not a number`);
        return v;
      };
      const model = {
        name: 'm3gnet',
        element_types: elements,
        dim_node_embedding: num('dim_node_embedding'),
        dim_edge_embedding: num('dim_edge_embedding'),
        units: num('units'),
        nblocks: num('nblocks'),
        max_n: num('max_n'),
        max_l: num('max_l'),
        cutoff: num('cutoff'),
        threebody_cutoff: num('threebody_cutoff'),
        niters_set2set: num('niters_set2set'),
        nlayers_set2set: num('nlayers_set2set'),
      };
      const mean = c.target_normalizer?.mean;
      const std = c.target_normalizer?.std;
      if (typeof mean !== 'number' || typeof std !== 'number')
        throw new InputError(`${where}: target_normalizer.mean/std missing`);
      return {
        model,
        graph: { cutoff: model.cutoff, threebody_cutoff: model.threebody_cutoff },
        normalizer: { mode: 'standardize', mean, std },
        renameKey: (k) => (k.startsWith('model.') ? k.slice('model.'.length) : k),
      };
    },
  };
}
