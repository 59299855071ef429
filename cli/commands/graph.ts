/**
 * `crystal-gnn graph <cif files or directories...> --cutoff R [--distances] [--knn K] [--block NAME]`: one JSON
 * line per structure, in input order: {"id", "cutoff", "num_atoms", "num_edges"[, "distances"]} after occupancy
 * rounding. A file that cannot be read prints one error line naming it; the others still print; the exit code is
 * non-zero. Warnings from the CIF reader go to stderr, never between the JSON lines.
 */
import type { Argv, CommandModule } from 'yargs';
import { InputError } from '../../data/errors.js';
import { atomsFromCif, buildNeighbors } from '../../graph/featurize.js';
import { logLine } from '../progress.js';
import { expandCifPaths, fileStem } from './predict.js';

interface GraphArgs {
  files: string[];
  cutoff: number;
  distances: boolean;
  knn?: number;
  block?: string;
}

export const graphCommand: CommandModule<object, GraphArgs> = {
  command: 'graph <files..>',
  describe: 'build periodic neighbor graphs of CIFs and print their sizes (and distances)',
  builder: (y: Argv) =>
    y
      .positional('files', { type: 'string', array: true, describe: 'CIF files or directories' })
      .option('cutoff', { type: 'number', demandOption: true, describe: 'cutoff radius in Å (d ≤ cutoff)' })
      .option('distances', { type: 'boolean', default: false, describe: 'print the sorted edge distances' })
      .option('knn', { type: 'number', describe: 'keep the k nearest neighbors within the cutoff (CGCNN)' })
      .option('block', {
        type: 'string',
        describe: 'read the CIF data block data_NAME (default: the first that holds a structure)',
      })
      .check((a) => {
        if (!(a.cutoff > 0)) throw new InputError(`--cutoff must be a positive number of Å, got ${a.cutoff}`);
        if (a.knn !== undefined && !(Number.isInteger(a.knn) && a.knn > 0))
          throw new InputError(`--knn must be a positive integer, got ${a.knn}`);
        return true;
      }) as Argv<GraphArgs>,
  handler: (args) => {
    const files = expandCifPaths(args.files);
    if (files.length === 0) throw new InputError(`no CIF files given (${args.files.join(', ')} holds no .cif file)`);
    let failed = 0;
    for (const file of files) {
      try {
        const atoms = atomsFromCif(file, { block: args.block });
        const nl = buildNeighbors(atoms, { cutoff: args.cutoff, max_neighbors: args.knn });
        const line: Record<string, unknown> = {
          id: fileStem(file),
          cutoff: args.cutoff,
          num_atoms: atoms.numbers.length,
          num_edges: nl.src.length,
        };
        if (args.distances) line.distances = Array.from(nl.distances).sort((a, b) => a - b);
        console.log(JSON.stringify(line));
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        logLine(`error: ${err.message}`);
        failed++;
      }
    }
    if (failed) process.exitCode = 2;
  },
};
