/**
 * Regular files of a (gzipped) tar archive held in memory, read with node-tar (the tar implementation npm itself
 * uses: ustar, GNU long names and pax headers, header checksums checked with `strict`).
 */
import { Parser, type ReadEntry } from 'tar';

export interface TarFile {
  path: string;
  data: Buffer;
}

export function readTar(archive: Buffer): TarFile[] {
  const files: TarFile[] = [];
  let failure: Error | null = null;
  let ended = false;
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      if (entry.type !== 'File' && entry.type !== 'OldFile') {
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () => files.push({ path: entry.path, data: Buffer.concat(chunks) }));
    },
  });
  parser.on('error', (err: Error) => {
    failure = err;
  });
  parser.on('end', () => {
    ended = true;
  });
  // node-tar parses an in-memory buffer synchronously (minipass streams are synchronous); `ended` guards that.
  parser.end(archive);
  if (failure) throw failure;
  if (!ended) throw new Error('readTar: the tar parser did not finish synchronously');
  return files;
}
