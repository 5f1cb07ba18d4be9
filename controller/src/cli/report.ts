import type { CompileProblem } from '../compiler/types.js';
import { formatPath } from '../resources/field-path.js';
import { resourceKey } from '../resources/model.js';
import type { Resource } from '../resources/model.js';
import type { LoadIssue } from '../resources/yaml.js';

export interface Diagnostic {
  readonly file: string;
  readonly line: number;
  readonly col?: number;
  readonly severity: 'error' | 'warning';
  readonly text: string;
}

/** `file:line: Kind ns/name: field.path: message`, the line being that of the field itself when it exists. */
export function diagnosticsOf(
  problems: readonly CompileProblem[],
  resources: readonly Resource[],
  load: { readonly errors: readonly LoadIssue[]; readonly warnings: readonly LoadIssue[] },
): Diagnostic[] {
  const byKey = new Map(resources.map((r) => [resourceKey(r), r]));
  const out: Diagnostic[] = [];
  for (const e of load.errors)
    out.push({ file: e.file, line: e.line, col: e.col, severity: 'error', text: e.message });
  for (const w of load.warnings)
    out.push({ file: w.file, line: w.line, col: w.col, severity: 'warning', text: w.message });
  for (const p of problems) {
    const origin = byKey.get(resourceKey(p))?.origin;
    const file = origin?.file ?? '(unknown)';
    const line = origin?.lineOf?.(p.path) ?? origin?.line ?? 0;
    out.push({
      file,
      line,
      severity: p.severity,
      text: `${p.kind} ${p.namespace}/${p.name}: ${formatPath(p.path)}: ${p.message}`,
    });
  }
  return out.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
}

export function formatDiagnostic(d: Diagnostic): string {
  const where =
    d.line === 0 ? d.file : d.col === undefined ? `${d.file}:${d.line}` : `${d.file}:${d.line}:${d.col}`;
  return `${where}: ${d.severity === 'warning' ? 'warning: ' : ''}${d.text}`;
}
