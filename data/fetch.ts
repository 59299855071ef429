/**
 * Getting the OBELiX release onto disk: a pinned upstream commit, every file checked by SHA-256,
 * or a local copy (`--from`) for offline machines. The data directory is `--data`, else
 * `CRYSTAL_GNN_DATA`, else `~/.cache/crystal-gnn/obelix`.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { InputError } from './errors.js';
import { readTar } from './tar.js';

export const OBELIX_COMMIT = '4eaac889809dd489e3bae468c45d5c0e02b9147a';
const BASE_URL = `https://raw.githubusercontent.com/NRC-Mila/OBELiX/${OBELIX_COMMIT}/data`;

interface ReleaseFile {
  name: string;
  url: string;
  sha256: string;
  bytes: number;
}

/** The files of the release with their checksums (computed from the pinned commit). */
export const OBELIX_RELEASE: readonly ReleaseFile[] = [
  {
    name: 'processed.csv',
    url: `${BASE_URL}/processed.csv`,
    sha256: '2a57b4b4287bd56e774402c8aec313f44c33df74d26a32e4bc3196e40b051474',
    bytes: 62547,
  },
  {
    name: 'train_idx.csv',
    url: `${BASE_URL}/train_idx.csv`,
    sha256: '6bd506b34d431ff233880147f934369e3d7c7f739299e10284e32927f502775a',
    bytes: 1914,
  },
  {
    name: 'test_idx.csv',
    url: `${BASE_URL}/test_idx.csv`,
    sha256: '0ad4cfaf5a61e85e228b2e0782a97b01469d08ac481b553622b91035a8ec719d',
    bytes: 486,
  },
  {
    name: 'all_cifs.tar.gz',
    url: `${BASE_URL}/downloads/all_cifs.tar.gz`,
    sha256: 'bfa2a3c92e3b8ca1b9859992e686c9e19f98924e7ff369c05db7006548217d49',
    bytes: 106813,
  },
];
export const OBELIX_CIF_COUNT = 321;

/** Where the data goes when no directory is named: fetched into on first use. */
const cacheDataDir = (): string => join(homedir(), '.cache', 'crystal-gnn', 'obelix');

export function defaultDataDir(): string {
  return process.env.CRYSTAL_GNN_DATA ?? cacheDataDir();
}

export function resolveDataDir(flag?: string): string {
  return flag ?? defaultDataDir();
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A directory holds a usable copy when the CSVs and the CIF folder are there. */
export function hasObelix(dir: string): boolean {
  return (
    ['processed.csv', 'train_idx.csv', 'test_idx.csv'].every((f) => existsSync(join(dir, f))) &&
    existsSync(join(dir, 'cifs'))
  );
}

function checkFile(file: ReleaseFile, data: Buffer, origin: string): void {
  const digest = sha256(data);
  if (digest !== file.sha256) {
    throw new InputError(
      `${origin}: SHA-256 ${digest} does not match the pinned release (${file.sha256}); refusing a different copy of ${file.name}`,
    );
  }
}

function writeAtomic(path: string, data: Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function install(dest: string, files: Map<string, Buffer>): void {
  mkdirSync(join(dest, 'cifs'), { recursive: true });
  for (const [name, data] of files) {
    if (name === 'all_cifs.tar.gz') {
      const cifs = readTar(data).filter((f) => f.path.endsWith('.cif'));
      for (const cif of cifs) writeAtomic(join(dest, 'cifs', basename(cif.path)), cif.data);
      if (cifs.length !== OBELIX_CIF_COUNT)
        throw new InputError(`all_cifs.tar.gz holds ${cifs.length} CIFs, expected ${OBELIX_CIF_COUNT}`);
    } else {
      writeAtomic(join(dest, name), data);
    }
  }
}

export type Log = (line: string) => void;

/** Downloads the pinned release over HTTPS, checks every checksum, unpacks the CIFs into `dest/cifs`. */
export async function fetchObelix(dest: string, log: Log = () => {}): Promise<void> {
  const files = new Map<string, Buffer>();
  for (const file of OBELIX_RELEASE) {
    log(`downloading ${file.url}`);
    let data: Buffer;
    try {
      const res = await fetch(file.url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      data = Buffer.from(await res.arrayBuffer());
    } catch (err) {
      throw new InputError(
        `could not download ${file.url} (${(err as Error).message}). Offline? Point at a local copy with ` +
          `'crystal-gnn data fetch --from DIR', '--data DIR' or CRYSTAL_GNN_DATA=DIR`,
      );
    }
    checkFile(file, data, file.url);
    files.set(file.name, data);
  }
  install(dest, files);
  log(`OBELiX ${OBELIX_COMMIT.slice(0, 8)} installed in ${dest}`);
}

/**
 * Copies a local copy (a checkout's `data/` folder or an unpacked copy with `cifs/`) into `dest`.
 * CSVs are checksum-checked; CIFs come from `all_cifs.tar.gz` (checked) or a `cifs/` folder.
 */
export function copyObelix(from: string, dest: string, log: Log = () => {}): void {
  const files = new Map<string, Buffer>();
  for (const file of OBELIX_RELEASE) {
    const path = [join(from, file.name), join(from, 'downloads', file.name)].find(existsSync);
    if (!path) continue;
    const data = readFileSync(path);
    checkFile(file, data, path);
    files.set(file.name, data);
  }
  for (const name of ['processed.csv', 'train_idx.csv', 'test_idx.csv']) {
    if (!files.has(name)) throw new InputError(`${from}: missing ${name}`);
  }
  if (!files.has('all_cifs.tar.gz')) {
    const cifDir = join(from, 'cifs');
    if (!existsSync(cifDir)) throw new InputError(`${from}: neither all_cifs.tar.gz nor a cifs/ folder`);
    const cifs = readdirSync(cifDir).filter((f) => f.endsWith('.cif'));
    if (cifs.length !== OBELIX_CIF_COUNT)
      throw new InputError(`${cifDir}: ${cifs.length} CIFs, expected ${OBELIX_CIF_COUNT}`);
    mkdirSync(join(dest, 'cifs'), { recursive: true });
    for (const f of cifs) copyFileSync(join(cifDir, f), join(dest, 'cifs', f));
  }
  install(dest, files);
  for (const extra of ['folds.json']) {
    if (existsSync(join(from, extra))) copyFileSync(join(from, extra), join(dest, extra));
  }
  log(`OBELiX copied from ${from} to ${dest}`);
}

/** Makes sure `dir` holds the data, downloading it first (and saying from where) when it does not. */
export async function ensureObelix(dir: string, log: Log): Promise<void> {
  if (hasObelix(dir)) return;
  if (!existsSync(dir) && resolve(dir) !== resolve(cacheDataDir())) {
    // a directory the user named (--data, data.dir, CRYSTAL_GNN_DATA) that does not exist is a typo more often than a wish to download
    throw new InputError(
      `data directory ${dir} does not exist (named by --data, data.dir or CRYSTAL_GNN_DATA); put the OBELiX release there with \`crystal-gnn data fetch --dest ${dir}\`, or name none to use ${cacheDataDir()}`,
    );
  }
  log(
    `no OBELiX data in ${dir}; fetching the pinned release (NRC-Mila/OBELiX@${OBELIX_COMMIT.slice(0, 8)}) from GitHub`,
  );
  await fetchObelix(dir, log);
}
