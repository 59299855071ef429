/**
 * Named downloads beside OBELiX: the upstream checkpoints of Table 2's p- rows and the band-gap pretraining set,
 * each file pinned by URL (a repository at a fixed commit) and SHA-256, stored under one cache
 * (`CRYSTAL_GNN_CACHE`, else `~/.cache/crystal-gnn`) as `<cache>/<source>/<file>`, or copied from a local
 * folder (`--from`) on offline machines. Configs name them as `fetched:<source>/<file>` (docs/checkpoints.md),
 * never by a path of one machine.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { InputError } from './errors.js';
import { sha256, type Log } from './fetch.js';

interface SourceFile {
  path: string;
  url: string | null;
  sha256: string;
  bytes: number;
}
export interface NamedSource {
  name: string;
  description: string;
  files: readonly SourceFile[];
  offlineOnly?: string;
}

const CGCNN_COMMIT = 'f42ab233c4ee0c416879d6bc2d22a264418413ad';
const CGCNN_URL = `https://raw.githubusercontent.com/txie-93/cgcnn/${CGCNN_COMMIT}`;
const MATGL_COMMIT = 'e9cde2291acd0b4c4a342428e7dd5e4d596b7bf9';
const MATGL_URL = `https://raw.githubusercontent.com/materialsvirtuallab/matgl/${MATGL_COMMIT}/pretrained_models/M3GNet-MP-2018.6.1-Eform`;

export const SOURCES: readonly NamedSource[] = [
  {
    name: 'cgcnn',
    description: `txie-93/cgcnn@${CGCNN_COMMIT.slice(0, 7)} pre-trained/ (MIT): Materials Project CGCNN checkpoints (p-CGCNN uses efermi)`,
    files: [
      {
        path: 'efermi.pth.tar',
        url: `${CGCNN_URL}/pre-trained/efermi.pth.tar`,
        sha256: '5ed4ba15b5bd3e04ce6b0eca75f15bb6465557aada4097f11291ea1e7cd48afb',
        bytes: 791176,
      },
      {
        path: 'formation-energy-per-atom.pth.tar',
        url: `${CGCNN_URL}/pre-trained/formation-energy-per-atom.pth.tar`,
        sha256: 'e2f8bb910744f2c2f21d968285b6fd4316d795d0f3e7465ed0e3b4f3c92651a1',
        bytes: 791195,
      },
      {
        path: 'band-gap.pth.tar',
        url: `${CGCNN_URL}/pre-trained/band-gap.pth.tar`,
        sha256: 'd269775b9be0995c046abed3dd6556c281a3eff7b2e1d73cf81b99e2a1d4aa6c',
        bytes: 791173,
      },
    ],
  },
  {
    name: 'matgl-m3gnet-eform',
    description: `materialsvirtuallab/matgl@${MATGL_COMMIT.slice(0, 7)} pretrained_models/M3GNet-MP-2018.6.1-Eform (BSD-3-Clause): p-M3GNet's checkpoint`,
    files: [
      {
        path: 'model.json',
        url: `${MATGL_URL}/model.json`,
        sha256: 'a99ca70012706a09434617a793556bbd100423dafaa9f9ebb8708fd20e226575',
        bytes: 3632,
      },
      {
        path: 'model.pt',
        url: `${MATGL_URL}/model.pt`,
        sha256: 'd4d6a8b5c871fff515db4948ea7439d8c7825a9ee3240567afeedabadd686b58',
        bytes: 2527,
      },
      {
        path: 'state.pt',
        url: `${MATGL_URL}/state.pt`,
        sha256: '166d4dba4aadbc5feb27e8aa047145facbcdadb9c5de067768e00515be3b3c1f',
        bytes: 1613923,
      },
    ],
  },
  {
    name: 'mp-bandgap-36k',
    description:
      '36,737 Materials Project crystals with PBE band gaps (CC BY 4.0), JSON Lines built from kdmsit/MEGNet@4f3c76c data/ (docs/checkpoints.md): pretraining set of p-SchNet and p-PaiNN',
    files: [
      {
        path: 'mp_bandgap_36k.jsonl.gz',
        url: null,
        sha256: '9202328f2494b4fa2a849f9e7f61f802def2a82cae5881bd11f8962247ebf53e',
        bytes: 10359626,
      },
    ],
    offlineOnly:
      'this JSONL is built from kdmsit/MEGNet@4f3c76c (data/*.cif, id_prop.csv, material_id_hash.csv; see docs/checkpoints.md) and has no download URL of its own yet',
  },
];

export const REF_PREFIX = 'fetched:';

export function cacheRoot(): string {
  return process.env.CRYSTAL_GNN_CACHE ?? join(homedir(), '.cache', 'crystal-gnn');
}

export function findSource(name: string): NamedSource {
  const s = SOURCES.find((x) => x.name === name);
  if (!s)
    throw new InputError(
      `data fetch: unknown source '${name}' (known: obelix, ${SOURCES.map((x) => x.name).join(', ')})`,
    );
  return s;
}

/**
 * A config path: `fetched:<source>/<file>` becomes the file in the cache (an error saying how to fetch it when it
 * is not there); any other path is returned as it is.
 */
export function resolveDataRef(ref: string, key = 'path'): string {
  if (!ref.startsWith(REF_PREFIX)) return ref;
  const rest = ref.slice(REF_PREFIX.length);
  const name = rest.split('/')[0];
  const source = findSource(name);
  const path = join(cacheRoot(), rest);
  if (!existsSync(path)) {
    throw new InputError(
      `${key}: ${ref} is not fetched yet (looked in ${path}); run 'crystal-gnn data fetch ${source.name}' (offline: add --from DIR)`,
    );
  }
  return path;
}

function check(file: SourceFile, data: Buffer, origin: string): void {
  const digest = sha256(data);
  if (digest !== file.sha256)
    throw new InputError(
      `${origin}: SHA-256 ${digest} does not match the pinned ${file.path} (${file.sha256}); refusing a different copy`,
    );
}

/** Files named `base` in `dir` and its sub-folders (a checkout's layout or a flat copy), shallowest first. */
function findLocal(dir: string, base: string, depth = 5): string[] {
  const here = join(dir, base);
  const out = existsSync(here) && statSync(here).isFile() ? [here] : [];
  if (depth === 0) return out;
  for (const entry of readdirSync(dir).sort()) {
    const sub = join(dir, entry);
    if (statSync(sub).isDirectory()) out.push(...findLocal(sub, base, depth - 1));
  }
  return out;
}

/** Downloads (or copies from `from`) every file of a source into the cache, each checked by SHA-256. */
export async function fetchSource(name: string, opts: { from?: string; log?: Log } = {}): Promise<string> {
  const source = findSource(name);
  const log = opts.log ?? (() => {});
  const dest = join(cacheRoot(), source.name);
  for (const file of source.files) {
    const target = join(dest, file.path);
    if (existsSync(target) && sha256(readFileSync(target)) === file.sha256) continue;
    let data: Buffer;
    if (opts.from) {
      if (!existsSync(opts.from)) throw new InputError(`--from ${opts.from}: no such directory`);
      const candidates = findLocal(opts.from, file.path);
      if (!candidates.length)
        throw new InputError(`--from ${opts.from}: no ${file.path} there (needed for ${source.name})`);
      const local = candidates.find((c) => sha256(readFileSync(c)) === file.sha256) ?? candidates[0];
      data = readFileSync(local);
      check(file, data, local);
    } else {
      if (!file.url)
        throw new InputError(
          `${source.name}: ${source.offlineOnly ?? 'no download URL'}; give --from DIR holding ${file.path} (SHA-256 ${file.sha256})`,
        );
      log(`downloading ${file.url}`);
      try {
        const res = await fetch(file.url);
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        data = Buffer.from(await res.arrayBuffer());
      } catch (err) {
        throw new InputError(
          `could not download ${file.url} (${(err as Error).message}). Offline? Use 'crystal-gnn data fetch ${source.name} --from DIR'`,
        );
      }
      check(file, data, file.url);
    }
    mkdirSync(dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${process.pid}`;
    writeFileSync(tmp, data);
    renameSync(tmp, target);
  }
  log(`${source.name}: ${source.files.length} files in ${dest}`);
  return dest;
}
