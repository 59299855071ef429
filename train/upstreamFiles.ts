/**
 * The checkpoint files users of upstream projects hold, read directly (train/torchFile.ts), each turned into the
 * `config.json` its converted twin would carry plus its tensors under the stored keys, so that one path
 * (models/upstream.ts formats) builds the model from either:
 *
 * - CGCNN `*.pth.tar` (txie-93/cgcnn, legacy torch format): `{state_dict, normalizer: {mean, std}, args, ...}`.
 *   Architecture from the tensor shapes; featurisation = upstream predict.py's `CIFData` defaults (radius 8,
 *   12 neighbors, dmin 0, step 0.2), which the first layer's input width confirms (2·F + 41).
 * - MatGL model folder (`model.json`, `state.pt`, `model.pt`): hyper-parameters from model.json, weights from
 *   state.pt, the target Normalizer's mean/std from model.pt.
 * - SchNetPack `best_model` (a pickled `NeuralNetworkPotential`): representation and Atomwise head from the
 *   module tree, the `AddOffsets` mean (float64) as the normaliser's offset.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../data/errors.js';
import {
  flattenStateDict,
  moduleStateDict,
  PyObject,
  readTorchFile,
  TorchTensor,
  type TorchFile,
} from './torchFile.js';

export type UpstreamFileKind = 'cgcnn-pth' | 'matgl-folder' | 'schnetpack-best-model';

export interface UpstreamFile {
  path: string;
  kind: UpstreamFileKind;
  /** Torch containers read (path: zip | legacy). */
  containers: { path: string; format: TorchFile['format']; globals: string[] }[];
  /** The converted twin's `config.json`. */
  config: Record<string, unknown>;
  /** Tensors under their stored keys (float32, as the converted safetensors). */
  weights: Map<string, TorchTensor>;
  /** Stored tensors not carried over, with why. */
  skipped: { name: string; reason: string }[];
}

/** Whitelists (beyond torch's rebuild functions, storages and OrderedDict) of each kind. */
/** CGCNN's classification checkpoint stores best_mae_error as a numpy scalar (kept as an inert record). */
export const CGCNN_GLOBALS = ['numpy.core.multiarray.scalar', 'numpy.dtype', '_codecs.encode'] as const;
export const MATGL_GLOBALS = ['matgl.data.transformer.Normalizer'] as const;
export const SCHNETPACK_GLOBALS = [
  '__builtin__.set',
  'builtins.set',
  'torch.nn.modules.container.ModuleList',
  'torch.nn.modules.container.Sequential',
  'torch.nn.modules.linear.Identity',
  'torch.nn.modules.sparse.Embedding',
  'torch.nn.functional.silu',
  'torch.nn.init.xavier_uniform_',
  'torch.nn.init.zeros_',
  'schnetpack.model.base.NeuralNetworkPotential',
  'schnetpack.transform.casting.CastTo64',
  'schnetpack.transform.atomistic.AddOffsets',
  'schnetpack.atomistic.distances.PairwiseDistances',
  'schnetpack.atomistic.atomwise.Atomwise',
  'schnetpack.nn.base.Dense',
  'schnetpack.nn.radial.GaussianRBF',
  'schnetpack.nn.cutoff.CosineCutoff',
  'schnetpack.nn.activations.shifted_softplus',
  'schnetpack.representation.schnet.SchNet',
  'schnetpack.representation.schnet.SchNetInteraction',
  'schnetpack.representation.painn.PaiNN',
  'schnetpack.representation.painn.PaiNNInteraction',
  'schnetpack.representation.painn.PaiNNMixing',
] as const;

/** CGCNN featurisation of upstream predict.py (`CIFData` defaults): not stored in the checkpoints. */
export const CGCNN_PREDICT_DEFAULTS = { radius: 8, max_num_nbr: 12, dmin: 0, step: 0.2 } as const;

/** Which upstream kind `path` is, or undefined when it is none of them (e.g. one of our folders). */
export function detectUpstreamFile(path: string): UpstreamFileKind | undefined {
  if (!existsSync(path)) return undefined;
  if (statSync(path).isDirectory()) {
    return existsSync(join(path, 'model.json')) && existsSync(join(path, 'state.pt')) ? 'matgl-folder' : undefined;
  }
  if (/\.pth(\.tar)?$/i.test(path)) return 'cgcnn-pth';
  return 'schnetpack-best-model';
}

export function readUpstreamFile(path: string): UpstreamFile {
  const kind = detectUpstreamFile(path);
  if (kind === 'cgcnn-pth') return readCgcnn(path);
  if (kind === 'matgl-folder') return readMatgl(path);
  if (kind === 'schnetpack-best-model') return readSchnetpack(path);
  throw new InputError(`${path}: not a CGCNN .pth.tar, a MatGL model folder or a SchNetPack best_model`);
}

const container = (f: TorchFile): UpstreamFile['containers'][number] => ({
  path: f.path,
  format: f.format,
  globals: f.globals,
});

function tensorShape(weights: Map<string, TorchTensor>, key: string, path: string): number[] {
  const t = weights.get(key);
  if (!t) throw new InputError(`${path}: no tensor ${key}`);
  return t.shape;
}

function floatWeights(sd: Map<string, TorchTensor>, skipped: UpstreamFile['skipped']): Map<string, TorchTensor> {
  const out = new Map<string, TorchTensor>();
  for (const [k, t] of sd) {
    if (t.dtype === 'float32') out.set(k, t);
    else skipped.push({ name: k, reason: `${t.dtype} (not a weight)` });
  }
  return out;
}

function readCgcnn(path: string): UpstreamFile {
  const f = readTorchFile(path, { allow: CGCNN_GLOBALS });
  const root = f.root;
  if (!(root instanceof Map) || !(root.get('state_dict') instanceof Map))
    throw new InputError(`${path}: not a CGCNN checkpoint (no state_dict)`);
  const skipped: UpstreamFile['skipped'] = [];
  const weights = floatWeights(flattenStateDict(root.get('state_dict')), skipped);
  const [F, orig] = tensorShape(weights, 'embedding.weight', path);
  const convs = new Set([...weights.keys()].map((k) => /^convs\.(\d+)\./.exec(k)?.[1]).filter((x) => x !== undefined));
  const fcs = new Set([...weights.keys()].map((k) => /^fcs\.(\d+)\./.exec(k)?.[1]).filter((x) => x !== undefined));
  const nbrFeaLen = tensorShape(weights, 'convs.0.fc_full.weight', path)[1] - 2 * F;
  const nOut = tensorShape(weights, 'fc_out.weight', path)[0];
  const args =
    root.get('args') instanceof Map ? (root.get('args') as Map<string, unknown>) : new Map<string, unknown>();
  const classification = args.get('task') === 'classification' || nOut === 2;
  const normalizer = root.get('normalizer');
  const num = (v: unknown): number | undefined =>
    v instanceof TorchTensor ? v.item() : typeof v === 'number' ? v : undefined;
  const mean = normalizer instanceof Map ? num(normalizer.get('mean')) : undefined;
  const std = normalizer instanceof Map ? num(normalizer.get('std')) : undefined;
  if (!classification && (mean === undefined || std === undefined))
    throw new InputError(`${path}: normalizer mean/std missing`);
  const d = CGCNN_PREDICT_DEFAULTS;
  const config = {
    model: 'CGCNN CrystalGraphConvNet (txie-93/cgcnn .pth.tar, read directly)',
    task: classification ? 'classification' : 'regression',
    architecture: {
      orig_atom_fea_len: orig,
      nbr_fea_len: nbrFeaLen,
      atom_fea_len: F,
      n_conv: convs.size,
      h_fea_len: tensorShape(weights, 'conv_to_fc.weight', path)[0],
      n_h: fcs.size + 1,
      classification,
    },
    featurization: {
      ...d,
      gaussian_var: d.step,
      source: 'upstream predict.py CIFData defaults (not stored in the checkpoint)',
    },
    normalizer: classification ? { mean: 0, std: 1 } : { mean, std },
    checkpoint_epoch: root.get('epoch'),
  };
  for (const k of ['optimizer', 'args', 'best_mae_error'])
    if (root.has(k)) skipped.push({ name: k, reason: 'training state, not needed' });
  return { path, kind: 'cgcnn-pth', containers: [container(f)], config, weights, skipped };
}

function readMatgl(dir: string): UpstreamFile {
  const jsonPath = join(dir, 'model.json');
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(readFileSync(jsonPath, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new InputError(`${jsonPath}: not valid JSON (${(err as Error).message})`);
  }
  const wrapped = meta['@class'] === 'TransformedTargetModel';
  const inner = (wrapped ? (meta.kwargs as Record<string, unknown> | undefined)?.model : meta) as
    | Record<string, unknown>
    | undefined;
  if (!inner || typeof inner['@class'] !== 'string' || typeof inner['@module'] !== 'string')
    throw new InputError(`${jsonPath}: no model @module/@class`);
  const initArgs = inner.init_args as Record<string, unknown> | undefined;
  if (!initArgs) throw new InputError(`${jsonPath}: no init_args`);
  const state = readTorchFile(join(dir, 'state.pt'));
  const skipped: UpstreamFile['skipped'] = [];
  const weights = floatWeights(flattenStateDict(state.root), skipped);
  const containers = [container(state)];
  let target = { mean: 0, std: 1 };
  if (wrapped) {
    const modelPt = join(dir, 'model.pt');
    if (!existsSync(modelPt))
      throw new InputError(
        `${dir}: model.json wraps the model in a TransformedTargetModel, but model.pt (its Normalizer) is missing`,
      );
    const m = readTorchFile(modelPt, { allow: MATGL_GLOBALS });
    containers.push(container(m));
    const tt = m.root instanceof Map ? m.root.get('target_transformer') : undefined;
    const mean = tt instanceof PyObject ? tt.get('mean') : undefined;
    const std = tt instanceof PyObject ? tt.get('std') : undefined;
    if (!(mean instanceof TorchTensor) || !(std instanceof TorchTensor))
      throw new InputError(`${modelPt}: no target_transformer Normalizer with mean and std`);
    target = { mean: mean.item(), std: std.item() };
  }
  const config = {
    model_class: `${inner['@module']}.${inner['@class']}`,
    init_args: initArgs,
    element_types_resolved: initArgs.element_types,
    target_normalizer: target,
    wrapper: wrapped ? 'matgl.models._wrappers.TransformedTargetModel (output = model(...) * std + mean)' : null,
  };
  return { path: dir, kind: 'matgl-folder', containers, config, weights, skipped };
}

function child(m: PyObject | undefined, name: string): PyObject | undefined {
  const mods = m?.get('_modules');
  const c = mods instanceof Map ? mods.get(name) : undefined;
  return c instanceof PyObject ? c : undefined;
}

function readSchnetpack(path: string): UpstreamFile {
  const f = readTorchFile(path, { allow: SCHNETPACK_GLOBALS });
  const root = f.root;
  if (!(root instanceof PyObject) || !root.className.startsWith('schnetpack.model.'))
    throw new InputError(`${path}: not a pickled SchNetPack model`);
  const rep = child(root, 'representation');
  const repClass = rep?.className.split('.').pop();
  if (!rep || (repClass !== 'SchNet' && repClass !== 'PaiNN'))
    throw new InputError(`${path}: representation ${rep?.className ?? '(none)'} is not supported (SchNet, PaiNN)`);
  const head = child(child(root, 'output_modules'), '0');
  if (!head?.className.endsWith('.Atomwise') || child(child(root, 'output_modules'), '1'))
    throw new InputError(`${path}: only one Atomwise output module is supported`);
  const all = moduleStateDict(root);
  const skipped: UpstreamFile['skipped'] = [];
  const weights = new Map<string, TorchTensor>();
  for (const [k, t] of all) {
    if (k.startsWith('postprocessors.'))
      skipped.push({ name: k, reason: 'post-processor buffer (the mean becomes the normaliser)' });
    else if (t.dtype !== 'float32') skipped.push({ name: k, reason: `${t.dtype} (not a weight)` });
    else weights.set(k, t);
  }
  let mean = 0;
  const posts = child(root, 'postprocessors')?.get('_modules');
  for (const p of posts instanceof Map ? posts.values() : []) {
    if (!(p instanceof PyObject) || !p.className.endsWith('.AddOffsets')) continue;
    if (p.get('add_atomrefs') === true)
      throw new InputError(`${path}: AddOffsets with atom references is not supported`);
    const m = (p.get('_buffers') as Map<string, unknown> | undefined)?.get('mean');
    if (p.get('add_mean') === true && m instanceof TorchTensor) mean += m.item();
  }
  const shape = (k: string): number[] => tensorShape(weights, k, path);
  const count = (re: RegExp): number =>
    new Set([...weights.keys()].map((k) => re.exec(k)?.[1]).filter((x) => x !== undefined)).size;
  const nAtomBasis = shape('representation.embedding.weight')[1];
  const cutoffT = all.get('representation.cutoff_fn.cutoff');
  if (!cutoffT) throw new InputError(`${path}: no representation.cutoff_fn.cutoff`);
  const repArgs: Record<string, unknown> = {
    n_atom_basis: nAtomBasis,
    n_interactions: count(/^representation\.interactions\.(\d+)\./),
    radial_basis: { n_rbf: all.get('representation.radial_basis.offsets')?.numel ?? 20, cutoff: cutoffT.item() },
  };
  if (repClass === 'SchNet') {
    const filters = shape('representation.interactions.0.filter_network.0.weight')[0];
    if (filters !== nAtomBasis) repArgs.n_filters = filters;
  }
  const agg = head.get('aggregation_mode');
  const config = {
    model: 'schnetpack.model.NeuralNetworkPotential',
    construction: [`representation.${repClass}(...)  # read directly from ${path.split('/').pop()}`],
    representation_args: repArgs,
    atomwise_args: { aggregation_mode: typeof agg === 'string' ? agg : 'sum', n_hidden: null },
    offsets: { mean, source: 'AddOffsets post-processor (add_mean), float64' },
  };
  return { path, kind: 'schnetpack-best-model', containers: [container(f)], config, weights, skipped };
}
