#!/usr/bin/env node
/** The `crystal-gnn` command line: each command parses its arguments and calls into data/, graph/ or train/. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { DeviceError, InputError } from '../data/errors.js';
import { checkpointCommand } from './commands/checkpoint.js';
import { cvCommand } from './commands/cv.js';
import { dataCommand } from './commands/data.js';
import { evaluateCommand } from './commands/evaluate.js';
import { graphCommand } from './commands/graph.js';
import { infoCommand } from './commands/info.js';
import { predictCommand } from './commands/predict.js';
import { pretrainCommand } from './commands/pretrain.js';
import { searchCommand } from './commands/search.js';
import { table2Command } from './commands/table2.js';
import { trainCommand } from './commands/train.js';

async function main(): Promise<void> {
  await yargs(hideBin(process.argv))
    .scriptName('crystal-gnn')
    .command(dataCommand)
    .command(graphCommand)
    .command(trainCommand)
    .command(pretrainCommand)
    .command(evaluateCommand)
    .command(predictCommand)
    .command(cvCommand)
    .command(searchCommand)
    .command(table2Command)
    .command(infoCommand)
    .command(checkpointCommand)
    .demandCommand(1, 'name a command (see --help)')
    .strict()
    .recommendCommands()
    .fail((msg, err) => {
      if (err) throw err;
      throw new InputError(msg);
    })
    .help()
    .epilogue(EXIT_CODES)
    .parseAsync();
}

/** One exit-code convention for every command (README, "Exit status"). */
const EXIT_CODES =
  'Exit status: 0 done; 2 bad input (a CIF, config, checkpoint, run directory, path or argument), each reported as one "error: ..." line; 3 the GPU device failed or was lost (one "error: ..." line); 1 an unexpected failure (a bug: the stack trace is printed).';

main().catch((err: unknown) => {
  if (err instanceof InputError) {
    process.stderr.write(`error: ${err.message.replace(/\s*[\r\n]+\s*/g, ' ')}\n`);
    process.exit(2);
  }
  if (err instanceof DeviceError) {
    process.stderr.write(`error: ${err.message.replace(/\s*[\r\n]+\s*/g, ' ')}\n`);
    process.exit(3);
  }
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
