/** Helpers shared by CLI commands. */
import { ensureObelix, resolveDataDir } from '../data/fetch.js';

/** The data directory for this invocation, fetched first (saying from where) when it is empty. */
export async function ensureDataset(flag?: string): Promise<string> {
  const dir = resolveDataDir(flag);
  await ensureObelix(dir, (line) => process.stderr.write(`${line}\n`));
  return dir;
}
