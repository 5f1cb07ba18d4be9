import { runCompile } from './compile.js';
import { runControllerCommand } from './controller.js';
import { EXIT } from './io.js';
import type { CliIo } from './io.js';
import { runKeygen } from './keygen.js';
import { runUp } from './up.js';
import { runValidate } from './validate.js';

export const USAGE = `Usage: portcullis <command> [options]

Commands:
  up          run controller, proxy and a demo locally from a folder of YAML
  validate    check YAML files or folders; exit 1 on any error
  compile     print the snapshot a folder compiles to
  controller  watch a folder, sign and push snapshots to proxies
  keygen      create the controller's signing key and the proxies' trusted keys

Run "portcullis <command> --help" for the options of each.`;

const COMMANDS: Readonly<Record<string, (argv: readonly string[], io: CliIo) => Promise<number>>> = {
  validate: runValidate,
  compile: runCompile,
  controller: runControllerCommand,
  keygen: runKeygen,
  // `up` writes to the process streams itself (it supervises a child process).
  up: (argv) => runUp(argv),
};

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    (command === undefined ? io.stderr : io.stdout).write(`${USAGE}\n`);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (run === undefined) {
    io.stderr.write(`portcullis: unknown command "${command}"\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  return run(rest, io);
}
