import { compile } from '../compiler/compile.js';
import { loadPaths } from '../resources/loader.js';
import { EXIT, parseFlags, usageError } from './io.js';
import type { CliIo } from './io.js';
import { diagnosticsOf, formatDiagnostic } from './report.js';

export const VALIDATE_USAGE = `Usage: portcullis validate -f <file|folder> [-f ...]

Loads the YAML (folders recursively), checks every RouteClassification, GatewayPolicy and Secret
with the same validator and compiler the controller runs, and prints each problem as
  <file>:<line>: <Kind> <namespace>/<name>: <field path>: <message>

Exit status: 0 when there is no error (warnings allowed), 1 when there is any, 2 on bad usage.

Options:
  -f, --file <path>   a YAML file or a folder (repeatable)
  -h, --help          this text`;

export async function runValidate(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(argv, {
    file: { type: 'string', short: 'f', multiple: true },
    help: { type: 'boolean', short: 'h' },
  });
  if (!parsed.ok) return usageError(io, 'validate', parsed.message);
  if (parsed.values.help === true) {
    io.stdout.write(`${VALIDATE_USAGE}\n`);
    return EXIT.ok;
  }
  const paths = parsed.values.file ?? [];
  if (paths.length === 0) return usageError(io, 'validate', 'at least one -f <file|folder> is required');

  const load = await loadPaths(paths);
  const output = compile({ resources: load.resources });
  const diagnostics = diagnosticsOf(output.problems, load.resources, load);
  for (const d of diagnostics) io.stdout.write(`${formatDiagnostic(d)}\n`);

  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const objects = load.resources.length;
  const files = load.files.length;
  const tail = warnings > 0 ? `, ${plural(warnings, 'warning')}` : '';
  if (errors > 0) {
    io.stdout.write(
      `FAILED: ${plural(errors, 'error')}${tail} in ${plural(objects, 'object')} from ${plural(files, 'file')}\n`,
    );
    return EXIT.failed;
  }
  const { routes, policies } = output.snapshot;
  io.stdout.write(
    `OK: ${plural(objects, 'object')} from ${plural(files, 'file')}; ${plural(routes.length, 'route')} and ${plural(policies.length, 'policy', 'policies')} would be programmed${tail}\n`,
  );
  return EXIT.ok;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
