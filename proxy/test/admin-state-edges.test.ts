import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { MAX_ROUTE_TABLE_ENTRIES, routeTableEntries, signSnapshot } from '@portcullis/contract';
import type { Route } from '@portcullis/contract';
import { BodyGate } from '../src/admin/body-gate.js';
import type { CompiledSnapshot } from '../src/compile/compiled.js';
import { LAST_KNOWN_GOOD_FILE, LastKnownGood } from '../src/state/last-known-good.js';
import { SnapshotStore } from '../src/state/snapshot-store.js';
import { createSigner } from './helpers/proxy.js';
import type { Signer } from './helpers/proxy.js';
import { route, snapshot } from './helpers/snapshots.js';

let parent: string;
let signer: Signer;

beforeAll(async () => {
  parent = await mkdtemp(join(tmpdir(), 'portcullis-state-mutation-'));
  signer = await createSigner();
});

afterAll(async () => {
  await rm(parent, { recursive: true, force: true });
});

let dirs = 0;
async function stateFile(mode: number, content = 'x.y.z'): Promise<LastKnownGood> {
  const dir = join(parent, `s${dirs++}`);
  const lkg = new LastKnownGood(dir);
  await lkg.ensureDir();
  await writeFile(join(dir, LAST_KNOWN_GOOD_FILE), content);
  await chmod(join(dir, LAST_KNOWN_GOOD_FILE), mode);
  return lkg;
}

describe('last-known-good: permission checks', () => {
  it('refuses a file that only its group can write', async () => {
    expect(await (await stateFile(0o620)).read()).toEqual({
      kind: 'unreadable',
      message: 'writable by group or others',
    });
  });

  it('refuses a file that only others can write', async () => {
    expect(await (await stateFile(0o602)).read()).toEqual({
      kind: 'unreadable',
      message: 'writable by group or others',
    });
  });

  it('reads a file that others can only read', async () => {
    expect(await (await stateFile(0o644, 'a.b.c')).read()).toEqual({ kind: 'found', jws: 'a.b.c' });
  });
});

/** Yields long enough for any already-resolvable promise chain to settle. */
const settle = () => new Promise((r) => setImmediate(r));

function tracked<T>(p: Promise<T>): { done: () => boolean; value: Promise<T> } {
  let done = false;
  void p.then(() => (done = true));
  return { done: () => done, value: p };
}

describe('body gate', () => {
  it('a release called twice frees one slot, not two', async () => {
    const gate = new BodyGate(1);
    const release = await gate.acquire();
    release();
    release();
    await gate.acquire(); // takes the one slot
    const second = tracked(gate.acquire());
    await settle();
    expect(second.done()).toBe(false);
  });

  it('passes a freed slot to the waiter first: a newcomer does not get in alongside it', async () => {
    const gate = new BodyGate(1);
    const first = await gate.acquire();
    const waiter = tracked(gate.acquire());
    await settle();
    expect(waiter.done()).toBe(false);
    first();
    await waiter.value;
    // The waiter holds the only slot now: a newcomer waits.
    const newcomer = tracked(gate.acquire());
    await settle();
    expect(newcomer.done()).toBe(false);
    (await waiter.value)();
    await newcomer.value;
  });
});

describe('snapshot store: the route-table budget', () => {
  /** `count` routes of 64 hosts x 5 methods x (24 segments + 1) = 8000 entries each. */
  function routes(count: number): Route[] {
    const hosts = Array.from({ length: 64 }, (_, i) => `h${String(i).padStart(2, '0')}.test`);
    return Array.from({ length: count }, (_, i) =>
      route({
        id: `default/test/r${String(i).padStart(3, '0')}`,
        path: `/r${i}` + '/s'.repeat(23),
        hosts,
        methods: ['DELETE', 'GET', 'PATCH', 'POST', 'PUT'],
        upstream: 'http://127.0.0.1:9',
      }),
    );
  }

  function store(compiled: string[]): SnapshotStore {
    return new SnapshotStore({
      trustedKeys: signer.trusted,
      lastKnownGood: new LastKnownGood(join(parent, `store${dirs++}`)),
      logger: pino({ level: 'silent' }),
      compile: (payload) => {
        compiled.push(payload.hash);
        return Promise.resolve({
          ok: true,
          compiled: { version: payload.version, hash: payload.hash } as unknown as CompiledSnapshot,
        });
      },
    });
  }

  it('accepts a snapshot of exactly MAX_ROUTE_TABLE_ENTRIES entries and refuses one route more', async () => {
    const exact = snapshot(routes(MAX_ROUTE_TABLE_ENTRIES / 8000));
    expect(routeTableEntries(exact)).toBe(MAX_ROUTE_TABLE_ENTRIES);
    const compiled: string[] = [];
    const s = store(compiled);
    const { jws } = await signSnapshot(signer.key, 1, exact);
    expect(await s.apply(jws)).toMatchObject({ kind: 'applied', version: 1 });

    const over = snapshot(routes(MAX_ROUTE_TABLE_ENTRIES / 8000 + 1));
    const signedOver = await signSnapshot(signer.key, 2, over);
    expect(await s.apply(signedOver.jws)).toMatchObject({ kind: 'rejected', code: 'CompileFailed' });
    // Refused before the (expensive) compile ever ran.
    expect(compiled).toHaveLength(1);
  });
});
