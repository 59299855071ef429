/** `crystal-gnn info --config FILE`: the model a config builds and its parameter count. */
import type { Argv, CommandModule } from 'yargs';
import { initBackend } from '../../train/backend.js';
import { loadConfig } from '../../train/config.js';
import { buildModel } from '../../models/build.js';

interface InfoArgs {
  config: string;
  set?: string[];
}

export const infoCommand: CommandModule<object, InfoArgs> = {
  command: 'info',
  describe: 'print the model of a config and its parameter count',
  builder: (y: Argv) =>
    y.option('config', { type: 'string', demandOption: true, describe: 'YAML config file' }).option('set', {
      type: 'string',
      array: true,
      describe: 'override a key: --set model.n_atom_basis=128',
    }) as Argv<InfoArgs>,
  handler: async (args) => {
    const config = loadConfig(args.config, args.set ?? []);
    await initBackend('cpu');
    const model = buildModel(config);
    console.log(
      JSON.stringify({
        model: config.model.name,
        parameters: model.countParameters(),
        options: config.model,
        graph: config.spec,
      }),
    );
    model.dispose();
  },
};
