import { describe, expect, it } from '@jest/globals';
import type { Condition, ObjectStatus } from '../src/compiler/types.js';
import { StatusWriter } from '../src/status/writer.js';
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
