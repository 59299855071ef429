/**
 * CGCNN checkpoints (txie-93/cgcnn `pre-trained/*.pth.tar`, converted to `config.json` + `weights.safetensors` or
 * read directly, docs/checkpoints.md): recognised by `model` starting with "CGCNN", turned into our `cgcnn` model
 * section, the k-NN graph of upstream's `CIFData` (radius, max_num_nbr) and the standardising normaliser
 * y = out·std + mean. State-dict keys are already ours (no renaming).
 */
import { InputError } from '../data/errors.js';
import type { UpstreamFormat } from './upstream.js';

interface CgcnnConfig {
  model?: unknown;
  architecture?: {
    orig_atom_fea_len?: number;
    nbr_fea_len?: number;
    atom_fea_len?: number;
    n_conv?: number;
    h_fea_len?: number;
    n_h?: number;
    classification?: boolean;
  };
  featurization?: { radius?: number; max_num_nbr?: number; dmin?: number; step?: number; gaussian_var?: number };
  normalizer?: { mean?: number; std?: number };
}

function need(value: unknown, key: string, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new InputError(`${where}: ${key} missing or not a number`);
  return value;
}

export function cgcnnFormat(): UpstreamFormat {
  return {
    name: 'cgcnn',
    detect: (raw) => typeof raw.model === 'string' && raw.model.startsWith('CGCNN'),
    convert: (raw, dir) => {
      const c = raw as CgcnnConfig;
      const where = `${dir}/config.json`;
      const a = c.architecture ?? {};
      const f = c.featurization ?? {};
      if ((a.orig_atom_fea_len ?? 92) !== 92)
        throw new InputError(`${where}: architecture.orig_atom_fea_len must be 92 (atom_init.json)`);
      const radius = need(f.radius, 'featurization.radius', where);
      const step = need(f.step, 'featurization.step', where);
      const dmin = f.dmin ?? 0;
      if (f.gaussian_var !== undefined && f.gaussian_var !== step) {
        throw new InputError(`${where}: featurization.gaussian_var ${f.gaussian_var} ≠ step ${step} is not supported`);
      }
      const gaussians = Math.round((radius - dmin) / step) + 1;
      if (a.nbr_fea_len !== undefined && a.nbr_fea_len !== gaussians) {
        throw new InputError(
          `${where}: architecture.nbr_fea_len = ${a.nbr_fea_len}, but radius/dmin/step give ${gaussians} Gaussians`,
        );
      }
      const maxNbr = need(f.max_num_nbr, 'featurization.max_num_nbr', where);
      const model = {
        name: 'cgcnn',
        atom_fea_len: need(a.atom_fea_len, 'architecture.atom_fea_len', where),
        n_conv: need(a.n_conv, 'architecture.n_conv', where),
        h_fea_len: need(a.h_fea_len, 'architecture.h_fea_len', where),
        n_h: need(a.n_h, 'architecture.n_h', where),
        max_num_nbr: maxNbr,
        dmin,
        step,
        ...(a.classification ? { classification: true } : {}),
      };
      if (a.classification) {
        // the class-1 probability is the output itself (upstream predict.py: exp(log_softmax)[:, 1])
        return {
          model,
          graph: { cutoff: radius, max_neighbors: maxNbr },
          normalizer: { mode: 'none', mean: 0, std: 1 },
        };
      }
      const mean = need(c.normalizer?.mean, 'normalizer.mean', where);
      const std = need(c.normalizer?.std, 'normalizer.std', where);
      return {
        model,
        graph: { cutoff: radius, max_neighbors: maxNbr },
        normalizer: { mode: 'standardize', mean, std },
      };
    },
  };
}
