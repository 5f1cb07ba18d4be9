import { STAYS_IN_FORCE_TAIL } from '../compiler/conditions.js';
import type { ObjectStatus } from '../compiler/types.js';
import type { LiveObjectStatus } from './types.js';

/**
 * The human view of status for a terminal, one line per object, printed again on every change:
 *   RouteClassification  demo/demo-api  Accepted=True  ResolvedRefs=True  Programmed=1/1  3 of 4 routes accepted; ...
 * Cells name their condition (no header to scroll away), columns are aligned, and the message is
 * the first condition that is not True, or Accepted's summary when all are.
 */

const MESSAGE_WIDTH = 110;

type AnyStatus = ObjectStatus | LiveObjectStatus;

export function formatStatusTable(statuses: readonly AnyStatus[]): string {
  const rows = statuses.map((s) => {
    const conds = s.status.conditions;
    const get = (type: string) => conds.find((c) => c.type === type);
    const cell = (type: string): string => {
      const c = get(type);
      if (c === undefined) return `${type}=-`;
      return c.status === 'False' ? `${type}=False(${c.reason})` : `${type}=${c.status}`;
    };
    const failing = ['Accepted', 'ResolvedRefs', 'Programmed']
      .map(get)
      .find((c) => c !== undefined && c.status !== 'True');
    const message = (failing ?? get('Accepted'))?.message ?? '';
    const programmed = `Programmed=${'programmed' in s.status ? s.status.programmed : '-'}`;
    return [
      s.kind,
      `${s.namespace}/${s.name}`,
      cell('Accepted'),
      cell('ResolvedRefs'),
      programmed,
      clip(message),
    ];
  });
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(0, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i < widths.length ? c.padEnd(widths[i] ?? 0) : c))
      .join('  ')
      .trimEnd();
  return rows.map((r) => `${line(r)}\n`).join('');
}

/**
 * A rejected object that keeps an older generation ends its message with `staysInForce` (see
 * compiler/conditions.ts). That tail is the one thing a reader of a long message must not lose, so
 * it survives shortening; the full message is in the controller's log and in `validate`.
 */
function clip(s: string): string {
  if (s.length <= MESSAGE_WIDTH) return s;
  const tail = STAYS_IN_FORCE_TAIL.exec(s)?.[1];
  if (tail === undefined) return `${s.slice(0, MESSAGE_WIDTH - 1)}…`;
  return `${s.slice(0, MESSAGE_WIDTH - tail.length - 2)}… ${tail}`;
}
