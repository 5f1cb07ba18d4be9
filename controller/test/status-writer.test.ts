import { describe, expect, it } from '@jest/globals';
import type { Condition, ObjectStatus } from '../src/compiler/types.js';
import { GenerationLedger } from '../src/runtime/ledger.js';
import { resourceKey } from '../src/resources/model.js';
import { formatStatusTable } from '../src/status/table.js';
import { StatusWriter } from '../src/status/writer.js';
import type { StatusChange } from '../src/status/writer.js';
import type { LiveObjectStatus, ProgrammedCount } from '../src/status/types.js';
import { MemoryStream } from './helpers/streams.js';

const cond = (
  type: Condition['type'],
  status: Condition['status'],
  reason: Condition['reason'],
  message = '',
): Condition => ({
  type,
  status,
  reason,
  message,
  observedGeneration: 1,
});

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

const gp: ObjectStatus = {
  kind: 'GatewayPolicy',
  namespace: 'ns',
  name: 'pol',
  generation: 1,
  status: {
    observedGeneration: 1,
    ancestors: [
      {
        ancestorRef: { group: 'portcullis.io', kind: 'RouteClassification', name: 'api', namespace: 'ns' },
        controllerName: 'portcullis.io/controller',
        conditions: [cond('Accepted', 'True', 'Accepted'), cond('ResolvedRefs', 'True', 'ResolvedRefs')],
      },
    ],
    conditions: [cond('Accepted', 'True', 'Accepted'), cond('ResolvedRefs', 'True', 'ResolvedRefs')],
  },
};

function clock(): { now: () => Date; tick: () => void } {
  let t = Date.parse('2026-01-01T00:00:00Z');
  return { now: () => new Date(t), tick: () => (t += 60_000) };
}

const all = (n: number): ProgrammedCount => ({ programmed: n, total: n, inForce: true });

function get(s: LiveObjectStatus | undefined, type: string) {
  return s?.status.conditions.find((c) => c.type === type);
}

describe('status writer', () => {
  it('adds Programmed and Ready, with counts for printer columns', () => {
    const w = new StatusWriter({ now: clock().now });
    const [live] = w.update([rc(cond('Accepted', 'True', 'Accepted'))], () => all(2));
    expect(live?.status.programmed).toBe('2/2');
    expect(get(live, 'Programmed')).toMatchObject({ status: 'True', reason: 'Programmed' });
    expect(get(live, 'Ready')).toMatchObject({ status: 'True', reason: 'Ready' });
    expect(get(live, 'Accepted')?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
  });

  it('is Pending until every proxy runs the generation, and Ready says why not', () => {
    const w = new StatusWriter({ now: clock().now });
    const [live] = w.update([rc(cond('Accepted', 'True', 'Accepted'))], () => ({
      programmed: 1,
      total: 2,
      inForce: true,
    }));
    expect(get(live, 'Programmed')).toMatchObject({
      status: 'False',
      reason: 'Pending',
      message: '1/2 proxies run a snapshot carrying generation 1',
    });
    expect(get(live, 'Ready')).toMatchObject({ status: 'False', reason: 'NotReady' });
    expect(get(live, 'Ready')?.message).toMatch(/^Programmed is False: 1\/2/);
  });

  it('changes lastTransitionTime only when a status flips', () => {
    const c = clock();
    const w = new StatusWriter({ now: c.now });
    w.update([rc(cond('Accepted', 'True', 'Accepted', 'a'))], () => all(1));
    c.tick();
    // Same status, new message and generation: the time stays.
    const [same] = w.update([rc(cond('Accepted', 'True', 'Accepted', 'b'), 2)], () => all(1));
    expect(get(same, 'Accepted')?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(get(same, 'Accepted')?.message).toBe('b');
    c.tick();
    const [flipped] = w.update([rc(cond('Accepted', 'False', 'Invalid', 'x'))], () => all(1));
    expect(get(flipped, 'Accepted')?.lastTransitionTime).toBe('2026-01-01T00:02:00Z');
    expect(get(flipped, 'ResolvedRefs')?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(get(flipped, 'Ready')?.lastTransitionTime).toBe('2026-01-01T00:02:00Z');
  });

  it('times policy ancestor conditions too', () => {
    const w = new StatusWriter({ now: clock().now });
    const [live] = w.update([gp], () => all(1));
    if (live?.kind !== 'GatewayPolicy') throw new Error('expected a policy');
    expect(live.status.ancestors[0]?.conditions.map((x) => x.lastTransitionTime)).toEqual([
      '2026-01-01T00:00:00Z',
      '2026-01-01T00:00:00Z',
    ]);
  });

  it('prints a table on each visible change only', () => {
    const out = new MemoryStream();
    const w = new StatusWriter({ now: clock().now, out });
    w.update([rc(cond('Accepted', 'False', 'Invalid', 'spec.hosts[0]: bad')), gp], () => ({
      programmed: 0,
      total: 1,
      inForce: true,
    }));
    const first = out.text;
    expect(first.split('\n')).toEqual([
      'RouteClassification  ns/api  Accepted=False(Invalid)  ResolvedRefs=True  Programmed=0/1  spec.hosts[0]: bad',
      'GatewayPolicy        ns/pol  Accepted=True            ResolvedRefs=True  Programmed=0/1  0/1 proxies run a snapshot carrying generation 1',
      '',
    ]);
    w.update([rc(cond('Accepted', 'False', 'Invalid', 'spec.hosts[0]: bad')), gp], () => ({
      programmed: 0,
      total: 1,
      inForce: true,
    }));
    expect(out.text).toBe(first);
    w.update([rc(cond('Accepted', 'False', 'Invalid', 'spec.hosts[0]: bad')), gp], () => all(1));
    expect(out.text.length).toBeGreaterThan(first.length);
  });

  it('says a generation that is not in force will not be programmed, instead of Pending', () => {
    const w = new StatusWriter({ now: clock().now });
    const [live] = w.update([rc(cond('Accepted', 'False', 'Invalid', 'spec.hosts[0]: bad'), 3)], () => ({
      programmed: 0,
      total: 1,
      inForce: false,
    }));
    expect(get(live, 'Programmed')).toMatchObject({
      status: 'False',
      reason: 'Invalid',
      message: 'generation 3 is not accepted, so no proxy runs it',
    });
    expect(get(live, 'Ready')?.message).toMatch(/^Accepted is False/);
  });

  it('keeps "generation N stays in force" visible when the table shortens a long message', () => {
    const out = new MemoryStream();
    const w = new StatusWriter({ now: clock().now, out });
    const long = `spec.routes[0].path: ${'x'.repeat(200)}; generation 2 stays in force`;
    w.update([rc(cond('Accepted', 'False', 'Invalid', long), 3)], () => all(1));
    const row = out.text.split('\n')[0] ?? '';
    expect(row).toMatch(/spec\.routes\[0\]\.path: x+… generation 2 stays in force$/);
    expect(row.length).toBeLessThan(long.length);
  });

  it('logs each condition change with its full message, once', () => {
    const logged: unknown[] = [];
    const w = new StatusWriter({ now: clock().now, onChange: (e) => logged.push(e) });
    const long = `spec.hosts[0]: ${'y'.repeat(300)}`;
    w.update([rc(cond('Accepted', 'False', 'Invalid', long))], () => all(1));
    expect(logged).toContainEqual({
      object: 'RouteClassification ns/api',
      generation: 1,
      type: 'Accepted',
      status: 'False',
      reason: 'Invalid',
      message: long,
    });
    const count = logged.length;
    w.update([rc(cond('Accepted', 'False', 'Invalid', long))], () => all(1));
    expect(logged).toHaveLength(count);
  });
});

// Edges found by mutation testing: widths, change reports, ledger recency.

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
