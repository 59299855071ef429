/** Where tests find the shared fixtures (OBELiX data, pretrained weights) outside the project. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `CRYSTAL_GNN_SHARED`, else `../shared` next to the checkout (as on CI). */
export const sharedDir = process.env.CRYSTAL_GNN_SHARED ?? resolve(projectRoot, '..', 'shared');

export const obelixDir = process.env.CRYSTAL_GNN_DATA ?? join(sharedDir, 'obelix');
export const pretrainedDir = join(sharedDir, 'pretrained');
export const fixturesDir = join(projectRoot, 'test', 'fixtures');

export function requireShared(path: string): string {
  if (!existsSync(path)) throw new Error(`test fixture missing: ${path} (set CRYSTAL_GNN_SHARED)`);
  return path;
}
