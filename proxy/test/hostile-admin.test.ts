import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ApplyResponseSchema,
  CompactSign,
  SNAPSHOT_JWS_TYP,
  canonicalJson,
  contentHash,
} from './helpers/contract.js';
import { signSnapshot } from '@portcullis/contract';
import type { Snapshot } from '@portcullis/contract';
import { json, pushAfterContinue, send } from './helpers/http-client.js';
import type { Reply } from './helpers/http-client.js';
import { createSigner, startTestProxy } from './helpers/proxy.js';
import type { Signer, TestProxy } from './helpers/proxy.js';
import { route, snapshot } from './helpers/snapshots.js';
import { b64url } from './helpers/tokens.js';
import { startUpstream } from './helpers/upstream.js';
import type { Upstream } from './helpers/upstream.js';

/**
 * The admin listener played by an attacker. Most inputs here carry a valid signature from the
 * trusted key (a stolen key or a buggy controller), so only the format and resource rules can refuse
 * them. Every refusal must be typed, must leave the snapshot in force, and must not crash anything.
 */

let signer: Signer;
let upstream: Upstream;
let tp: TestProxy;
let v1: Snapshot;
/** The content in force is always v1's; tests that apply it again do so under a newer version. */
let inForce = 1;
let next = 2;

beforeAll(async () => {
  signer = await createSigner();
  upstream = await startUpstream();
  tp = await startTestProxy({ signer });
  v1 = snapshot([route({ id: 'default/test/public', path: '/public', upstream: upstream.url })]);
  expect((await tp.push(v1, 1)).status).toBe(200);
});

afterAll(async () => {
  await tp.close();
  await upstream.close();
});

/** Signs exactly these header and payload texts with the trusted key: any spelling can be tried. */
async function signExact(headerJson: string, payloadText: string): Promise<string> {
  const h = b64url(headerJson);
  const p = b64url(payloadText);
  const sig = await crypto.subtle.sign(
    'Ed25519',
    signer.key.privateKey,
    new TextEncoder().encode(`${h}.${p}`),
  );
  return `${h}.${p}.${b64url(new Uint8Array(sig))}`;
}

const goodHeader = (): string => JSON.stringify({ alg: 'EdDSA', typ: SNAPSHOT_JWS_TYP, kid: signer.key.kid });

/** A snapshot that would open /admin if it were ever applied. */
function hostileSnapshot(): Snapshot {
  return snapshot([route({ id: 'default/test/public', path: '/admin', upstream: upstream.url })]);
}

function canonicalPayload(version: string | number, snap: Snapshot = hostileSnapshot()): string {
  return `{"hash":"${contentHash(snap)}","snapshot":${canonicalJson(snap)},"version":${String(version)}}`;
}

async function expectRefused(reply: Reply, status: number, code: string): Promise<void> {
  expect(reply.status).toBe(status);
  const body = ApplyResponseSchema.parse(json(reply));
  expect('error' in body ? body.error.code : undefined).toBe(code);
  expect(body).toMatchObject({ current: { version: inForce, hash: contentHash(v1) } });
  expect(tp.proxy.status()).toMatchObject({ version: inForce, hash: contentHash(v1), ready: true });
  const admin = await send(tp.proxy.trafficUrl, { path: '/admin', headers: { host: 'api.test' } });
  expect(admin.status).toBe(404);
}

describe('hostile admin: headers and serialisations (401 SignatureInvalid)', () => {
  it.each([
    ['alg repeated, none first', `{"alg":"none","alg":"EdDSA","typ":"${SNAPSHOT_JWS_TYP}","kid":"KID"}`],
    [
      'b64 false with crit',
      `{"alg":"EdDSA","typ":"${SNAPSHOT_JWS_TYP}","kid":"KID","b64":false,"crit":["b64"]}`,
    ],
    [
      'crit naming a member',
      `{"alg":"EdDSA","typ":"${SNAPSHOT_JWS_TYP}","kid":"KID","crit":["exp"],"exp":1}`,
    ],
    ['an x5u', `{"alg":"EdDSA","typ":"${SNAPSHOT_JWS_TYP}","kid":"KID","x5u":"https://evil.test/c"}`],
    ['kid __proto__', `{"alg":"EdDSA","typ":"${SNAPSHOT_JWS_TYP}","kid":"__proto__"}`],
    ['an unknown kid', `{"alg":"EdDSA","typ":"${SNAPSHOT_JWS_TYP}","kid":"not-a-trusted-kid"}`],
    ['a numeric kid', `{"alg":"EdDSA","typ":"${SNAPSHOT_JWS_TYP}","kid":1}`],
  ])('refuses a JWS whose header has %s', async (_label, h) => {
    const jws = await signExact(h.replace('KID', signer.key.kid), canonicalPayload(next++));
    await expectRefused(await tp.putRaw(jws), 401, 'SignatureInvalid');
  });

  it('refuses HS256 "signed" with the trusted public key as the HMAC secret', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(signer.key.publicJwk));
    const jws = await new CompactSign(new TextEncoder().encode(canonicalPayload(next++)))
      .setProtectedHeader({ alg: 'HS256', typ: SNAPSHOT_JWS_TYP, kid: signer.key.kid })
      .sign(secret);
    await expectRefused(await tp.putRaw(jws), 401, 'SignatureInvalid');
  });

  it('refuses JSON serialisations and malformed compact forms of a valid signature', async () => {
    const version = next++;
    const { jws } = await signSnapshot(signer.key, version, v1);
    const [h, p, s] = jws.split('.') as [string, string, string];
    for (const body of [
      JSON.stringify({ protected: h, payload: p, signature: s }),
      JSON.stringify({
        payload: p,
        signatures: [
          { protected: h, signature: s },
          { protected: h, signature: s },
        ],
      }),
      `${h}.${p}.${s}.${s}`,
      `${h}.${p}.${s.slice(0, 20)} ${s.slice(20)}`,
      `${h}.${p}.${s}==`,
    ]) {
      await expectRefused(await tp.putRaw(body), 401, 'SignatureInvalid');
    }
    // The same JWS, unaltered, is valid: only the spelling was refused.
    expect((await tp.putRaw(jws)).status).toBe(200);
    inForce = version;
  });

  it('refuses a protected header of megabytes without decoding it', async () => {
    const deep = `{"alg":"EdDSA","x":${'['.repeat(400_000)}${']'.repeat(400_000)}}`;
    await expectRefused(await tp.putRaw(`${b64url(deep)}.AAAA.AAAA`), 401, 'SignatureInvalid');
  });
});

describe('hostile admin: validly signed payloads (422)', () => {
  it.each([
    ['a repeated snapshot member', () => dupMember()],
    ['insignificant whitespace', () => JSON.stringify(JSON.parse(canonicalPayload(next)), null, 1)],
    ['an escaped character', () => canonicalPayload(next).replace('"/admin"', '"/\\u0061dmin"')],
    ['version spelt 1e1', () => canonicalPayload('1e1')],
    ['version 2.5', () => canonicalPayload('2.5')],
    ['version -1', () => canonicalPayload(-1)],
    ['version 0', () => canonicalPayload(0)],
    ['version 2^53+1', () => canonicalPayload('9007199254740993')],
    ['version as a string', () => canonicalPayload('"99"')],
    ['a constructor member', () => canonicalPayload(next).replace('{"hash"', '{"constructor":{},"hash"')],
    [
      'a __proto__ member',
      () => canonicalPayload(next).replace('{"hash"', '{"__proto__":{"version":99},"hash"'),
    ],
  ])('refuses %s with SchemaInvalid', async (_label, make) => {
    await expectRefused(await tp.putRaw(await signExact(goodHeader(), make())), 422, 'SchemaInvalid');
    next++;
  });

  /** The first "snapshot" is harmless v1, the second (the one JSON.parse keeps) opens /admin. */
  function dupMember(): string {
    const s = hostileSnapshot();
    return `{"hash":"${contentHash(s)}","snapshot":${canonicalJson(v1)},"snapshot":${canonicalJson(s)},"version":${next}}`;
  }

  it('refuses a snapshot whose route table would exhaust memory with CompileFailed, and keeps serving', async () => {
    // 70 routes x 64 hosts x 7 methods x 33 levels is just over the budget; the same shape at 1200
    // routes killed a proxy with a 4 GiB heap before the budget existed.
    const routes = Array.from({ length: 70 }, (_, i) =>
      route({
        id: `default/big/r${String(i).padStart(3, '0')}`,
        path: `/r${i}/${Array.from({ length: 31 }, () => 'a').join('/')}`,
        hosts: Array.from({ length: 64 }, (_, h) => `h${String(h).padStart(2, '0')}.r${i}.test`),
        methods: ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'],
        upstream: upstream.url,
      }),
    );
    const reply = await tp.push(snapshot(routes), next++);
    await expectRefused(reply, 422, 'CompileFailed');
    expect(json<{ error: { message: string } }>(reply).error.message).toMatch(/route-table entries/);
    const ok = await send(tp.proxy.trafficUrl, { path: '/public', headers: { host: 'api.test' } });
    expect(ok.status).toBe(200);
  });

  it('bounds what a refusal quotes, in the answer and in the log', async () => {
    const payload = canonicalPayload(next++).replace('{"hash"', `{"${'k'.repeat(100_000)}":1,"hash"`);
    const reply = await tp.putRaw(await signExact(goodHeader(), payload));
    await expectRefused(reply, 422, 'SchemaInvalid');
    expect(reply.text.length).toBeLessThan(2048);
    const refused = tp.logs.records().filter((r) => r.msg === 'snapshot refused');
    expect(refused.length).toBeGreaterThan(0);
    for (const line of tp.logs.lines) expect(line.length).toBeLessThan(4096);
  });
});

describe('hostile admin: paths and methods', () => {
  it.each([
    ['PUT', '/v1/snapshot/'],
    ['PUT', '/V1/SNAPSHOT'],
    ['PUT', '//v1/snapshot'],
    ['PUT', '/v1%2Fsnapshot'],
    ['PUT', '/v1/./snapshot'],
    ['PUT', '/v1/snapshot%20'],
    ['PUT', 'http://127.0.0.1/v1/snapshot'],
    ['POST', '/v1/snapshot'],
    ['PATCH', '/v1/snapshot'],
  ])('does not apply a valid JWS sent as %s %s (404 NotFound)', async (method, path) => {
    const { jws } = await signSnapshot(signer.key, next, hostileSnapshot());
    const reply = await send(tp.proxy.adminUrl, {
      method,
      path,
      headers: { 'content-type': 'application/jose' },
      body: jws,
    });
    await expectRefused(reply, 404, 'NotFound');
  });
});

describe('hostile admin: concurrent bodies', () => {
  it('holds at most two bodies: a third PUT waits unread (no 100 Continue) until a slot frees', async () => {
    const a = await holdUpload();
    const b = await holdUpload();
    let released = false;
    let continuedAfterRelease: boolean | undefined;
    const version = next++;
    const { jws } = await signSnapshot(signer.key, version, v1);
    const third = pushAfterContinue(tp.proxy.adminUrl, jws, () => {
      continuedAfterRelease = released;
    });
    // The listener keeps answering while both slots are held, and the third PUT stays parked.
    expect((await send(tp.proxy.adminUrl, { path: '/v1/snapshot/status' })).status).toBe(200);
    released = true;
    a.destroy();
    const reply = await third;
    expect(reply.status).toBe(200);
    inForce = version;
    expect(continuedAfterRelease).toBe(true);
    b.destroy();
  });

  it('gives the slot of a client that left while waiting straight back (no hang)', async () => {
    const a = await holdUpload();
    const b = await holdUpload();
    const leaver = putAwaitingContinue(10);
    leaver.flushHeaders();
    expect((await send(tp.proxy.adminUrl, { path: '/v1/snapshot/status' })).status).toBe(200);
    // Gone, and (after one more round trip) seen to be gone by the server, before any slot frees:
    // its request is then already destroyed when the slot reaches it.
    await new Promise<void>((resolve) => {
      leaver.once('close', resolve);
      leaver.destroy();
    });
    expect((await send(tp.proxy.adminUrl, { path: '/v1/snapshot/status' })).status).toBe(200);
    a.destroy();
    // Both freed slots must reach this push; a departed waiter that kept its slot would park it
    // behind `b` for good.
    const version = next++;
    expect((await tp.push(v1, version)).status).toBe(200);
    inForce = version;
    b.destroy();
  });

  /** A PUT of the snapshot that announces a `length`-byte body and waits for 100 Continue to send it. */
  function putAwaitingContinue(length: number): http.ClientRequest {
    const url = new URL(tp.proxy.adminUrl);
    const req = http.request({
      host: url.hostname,
      port: url.port,
      method: 'PUT',
      path: '/v1/snapshot',
      headers: {
        'content-type': 'application/jose',
        expect: '100-continue',
        'content-length': String(length),
      },
      agent: false,
    });
    req.on('error', () => undefined);
    return req;
  }

  /** A PUT that got its slot (100 Continue) and then sends one byte of a 1000-byte body. */
  function holdUpload(): Promise<http.ClientRequest> {
    return new Promise((resolve) => {
      const req = putAwaitingContinue(1000);
      req.on('continue', () => {
        req.write('e');
        resolve(req);
      });
      req.flushHeaders();
    });
  }
});

describe('hostile admin: what is logged', () => {
  it('never logs a JWS or its payload', () => {
    // Every JWS this file sent starts with a base64url JSON header ("eyJ"); none may reach the log.
    for (const line of tp.logs.lines) expect(line).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}/);
  });
});
