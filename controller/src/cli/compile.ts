import { compile } from '../compiler/compile.js';
import { loadPaths } from '../resources/loader.js';
import { formatStatusTable } from '../status/table.js';
import { EXIT, canonicalPretty, parseFlags, usageError } from './io.js';
import type { CliIo } from './io.js';
import { diagnosticsOf, formatDiagnostic } from './report.js';

export const COMPILE_USAGE = `Usage: portcullis compile -f <folder> [-f ...]

Compiles the folder as the controller would and prints the snapshot on stdout (JSON in canonical key order, indented for reading);
the status of every object goes to stderr as a table. Nothing is signed or pushed.

Exit status: 0 when there is no error (warnings allowed); 1 when a file cannot be loaded or any object
has an error, as for "portcullis validate" (the snapshot printed then holds only what is valid, which
is not what you wrote); 2 on bad usage.

Options:
  -f, --file <path>   a YAML file or a folder (repeatable)
  -h, --help          this text`;

export async function runCompile(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(argv, {
    file: { type: 'string', short: 'f', multiple: true },
    help: { type: 'boolean', short: 'h' },
  });
  if (!parsed.ok) return usageError(io, 'compile', parsed.message);
  if (parsed.values.help === true) {
    io.stdout.write(`${COMPILE_USAGE}\n`);
    return EXIT.ok;
  }
  const paths = parsed.values.file ?? [];
  if (paths.length === 0) return usageError(io, 'compile', 'at least one -f <folder> is required');

  const load = await loadPaths(paths);
  const output = compile({ resources: load.resources });
  // Every problem with its file and line, as validate prints them: the table below shortens messages.
  const diagnostics = diagnosticsOf(output.problems, load.resources, load);
  for (const d of diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
  io.stdout.write(canonicalPretty(output.snapshot));
  if (output.statuses.length > 0) io.stderr.write(formatStatusTable(output.statuses));
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (errors === 0) return EXIT.ok;
  io.stderr.write(
    `portcullis compile: ${errors} ${errors === 1 ? 'error' : 'errors'}; the snapshot above leaves out what is not valid\n`,
  );
  return EXIT.failed;
}
