import { describe, expect, it } from '@jest/globals';
import type { Condition, ObjectStatus } from '../src/compiler/types.js';
import { GenerationLedger } from '../src/runtime/ledger.js';
import { resourceKey } from '../src/resources/model.js';
import { formatStatusTable } from '../src/status/table.js';
import { StatusWriter } from '../src/status/writer.js';
import type { LiveObjectStatus, ProgrammedCount } from '../src/status/types.js';
import type { StatusChange } from '../src/status/writer.js';

const cond = (
  type: Condition['type'],
  status: Condition['status'],
  reason: Condition['reason'],
  message = '',
): Condition => ({ type, status, reason, message, observedGeneration: 1 });

const rc = (accepted: Condition, generation = 1): ObjectStatus => ({
  kind: 'RouteClassification',
  namespace: 'ns',
  name: 'api',
  generation,
  status: {
    observedGeneration: generation,
    routes: 1,
    conditions: [accepted, cond('ResolvedRefs', 'True', 'ResolvedRefs')],
  },
});

function clock(): { now: () => Date; tick: () => void } {
  let t = Date.parse('2026-01-01T00:00:00Z');
  return { now: () => new Date(t), tick: () => (t += 60_000) };
}

const all = (n: number): ProgrammedCount => ({ programmed: n, total: n, inForce: true });

function get(s: LiveObjectStatus | undefined, type: string) {
  return s?.status.conditions.find((c) => c.type === type);
}

/** The message cell: the table's last column, after the Programmed=x/y cell. */
function messageOf(table: string): string {
  const row = table.split('\n')[0] ?? '';
  return row.replace(/^.*?Programmed=\S+ {2}/, '');
}

const TAIL = 'generation 2 stays in force';

describe('status writer: Programmed and change reports', () => {
  it('says Pending, not Programmed, when no proxy is configured (0/0)', () => {
    const w = new StatusWriter({ now: clock().now });
    const [live] = w.update([rc(cond('Accepted', 'True', 'Accepted'))], () => all(0));
    expect(get(live, 'Programmed')).toMatchObject({
      status: 'False',
      reason: 'Pending',
      message: 'no proxy is configured',
    });
    expect(get(live, 'Ready')?.status).toBe('False');
  });

  it('reports a condition whose message alone changed', () => {
    const changes: StatusChange[] = [];
    const w = new StatusWriter({ now: clock().now, onChange: (c) => changes.push(c) });
    w.update([rc(cond('Accepted', 'False', 'Invalid', 'spec.hosts[0]: bad'))], () => all(1));
    changes.length = 0;
    w.update([rc(cond('Accepted', 'False', 'Invalid', 'spec.hosts[1]: bad'))], () => all(1));
    expect(changes.filter((c) => c.type === 'Accepted')).toEqual([
      expect.objectContaining({ status: 'False', reason: 'Invalid', message: 'spec.hosts[1]: bad' }),
    ]);
  });

  it('forgets an object that is gone: a re-created one starts with fresh transition times', () => {
    const c = clock();
    const w = new StatusWriter({ now: c.now });
    w.update([rc(cond('Accepted', 'True', 'Accepted'))], () => all(1));
    c.tick();
    w.update([], () => all(1));
    c.tick();
    const [again] = w.update([rc(cond('Accepted', 'True', 'Accepted'))], () => all(1));
    expect(get(again, 'Accepted')?.lastTransitionTime).toBe('2026-01-01T00:02:00Z');
  });
});

describe('status table: message width', () => {
  const table = (message: string) => formatStatusTable([rc(cond('Accepted', 'False', 'Invalid', message))]);

  it('keeps a message of exactly 110 characters whole, and clips one of 111 to 110', () => {
    const exact = 'a'.repeat(110);
    expect(messageOf(table(exact))).toBe(exact);
    const over = 'b'.repeat(111);
    expect(messageOf(table(over))).toBe(`${'b'.repeat(109)}…`);
  });

  it('a clipped message that keeps the "stays in force" tail is exactly 110 characters', () => {
    const long = `spec.routes[0].path: ${'x'.repeat(200)}; ${TAIL}`;
    const shown = messageOf(table(long));
    expect(shown).toBe(`${long.slice(0, 110 - TAIL.length - 2)}… ${TAIL}`);
    expect(shown).toHaveLength(110);
  });

  it('keeps the tail only when the message ends with it', () => {
    const long = `spec.routes[0].path: bad; ${TAIL}; and then ${'z'.repeat(200)}`;
    expect(messageOf(table(long))).toBe(`${long.slice(0, 109)}…`);
  });
});

describe('generation ledger', () => {
  const obj = (name: string, generation: number) => ({
    kind: 'RouteClassification',
    namespace: 'ns',
    name,
    generation,
  });
  const key = (name: string) => resourceKey({ kind: 'RouteClassification', namespace: 'ns', name });

  it('keeps exactly `capacity` hashes', () => {
    const l = new GenerationLedger(2);
    l.record('h1', [obj('a', 1)]);
    l.record('h2', [obj('a', 2)]);
    expect(l.carries('h1', key('a'), 1)).toBe(true);
    expect(l.carries('h2', key('a'), 2)).toBe(true);
    l.record('h3', [obj('a', 3)]);
    expect(l.carries('h1', key('a'), 1)).toBe(false);
    expect(l.carries('h3', key('a'), 3)).toBe(true);
  });

  it('recording a hash again makes it the most recent, so it outlives older ones', () => {
    const l = new GenerationLedger(2);
    l.record('h1', [obj('a', 1)]);
    l.record('h2', [obj('a', 2)]);
    l.record('h1', [obj('a', 1)]);
    l.record('h3', [obj('a', 3)]);
    expect(l.carries('h1', key('a'), 1)).toBe(true);
    expect(l.carries('h2', key('a'), 2)).toBe(false);
  });

  it('one hash carries every generation recorded for it', () => {
    const l = new GenerationLedger();
    l.record('h', [obj('a', 1), obj('b', 1)]);
    l.record('h', [obj('a', 2)]);
    expect(l.carries('h', key('a'), 1)).toBe(true);
    expect(l.carries('h', key('a'), 2)).toBe(true);
    expect(l.carries('h', key('b'), 1)).toBe(true);
    expect(l.carries('h', key('b'), 2)).toBe(false);
    expect(l.carries('other', key('a'), 1)).toBe(false);
  });
});
