import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { contentHash } from '@portcullis/contract';
import type { Snapshot } from '@portcullis/contract';
import type { JWTPayload } from 'jose';
import { compileSnapshot, evaluateRequest } from '../src/index.js';
import type { CompiledSnapshot, RequestHead } from '../src/index.js';
import type { JwtVerifyResult } from '../src/traffic/context.js';
import { createHardenedServer } from '../src/http/hardened-server.js';
import { ProxyMetrics } from '../src/metrics/metrics.js';
import { Forwarder } from '../src/traffic/forward/forwarder.js';
import { createTrafficHandler } from '../src/traffic/handler.js';
import { json, send } from './helpers/http-client.js';
import { LogCapture } from './helpers/proxy.js';
import { jwtPolicy, route, snapshot } from './helpers/snapshots.js';
import { mint, tokenKey } from './helpers/tokens.js';
import type { TokenKey } from './helpers/tokens.js';
import { startUpstream } from './helpers/upstream.js';
import type { Upstream } from './helpers/upstream.js';

/**
 * Token times against an injected clock (`PipelineEnv.now`, `TrafficHandlerOptions.now`), so no test
 * sleeps. The provider's `clockSkewSeconds` applies to `exp`, `nbf` and `iat` alike: 30 s, the
 * controller's default (controller/src/validation/gateway-policy.ts). Boundaries follow jose (`exp`
 * refused when `exp <= now - skew`, `nbf` when `nbf > now + skew`) and jwt-verify.ts (`iat` refused
 * when `iat > now + skew`: RFC 8725 §3.10 asks for every time claim to be checked, and jose checks
 * `iat` only with `maxTokenAge`).
 */

const ISS = 'https://idp.test';
const SKEW = 30;
/** An arbitrary fixed "now", in seconds: nothing here depends on the real clock. */
const T = 1_800_000_000;
const UNUSED_UPSTREAM = 'http://127.0.0.1:9';

let key: TokenKey;

beforeAll(async () => {
  key = await tokenKey('ES256', 'k1');
});

async function compiled(skew: number, upstream = UNUSED_UPSTREAM): Promise<CompiledSnapshot> {
  const snap: Snapshot = snapshot(
    [route({ id: 'default/r/p', path: '/p', upstream, policies: ['default/p'] })],
    [
      jwtPolicy('default/p', [
        { issuer: ISS, algorithms: ['ES256'], keys: [key.publicJwk], clockSkewSeconds: skew },
      ]),
    ],
  );
  const result = await compileSnapshot({ version: 1, hash: contentHash(snap), snapshot: snap });
  if (!result.ok) throw new Error(result.message);
  return result.compiled;
}

function head(token: string): RequestHead {
  return {
    method: 'GET',
    url: '/p',
    httpVersion: '1.1',
    headers: { host: 'api.test', authorization: `Bearer ${token}` },
    rawHeaders: ['Host', 'api.test', 'Authorization', `Bearer ${token}`],
  };
}

interface Outcome {
  /** 'continue', or the deny code. */
  readonly result: string;
  readonly reason: string | undefined;
  /** What the authenticate stage reported: a fresh verification or a cache hit. */
  readonly verify: JwtVerifyResult[];
}

async function decideAt(snap: CompiledSnapshot, token: string, nowSeconds: number): Promise<Outcome> {
  const verify: JwtVerifyResult[] = [];
  const { decision } = await evaluateRequest(head(token), snap, {
    now: () => nowSeconds * 1000,
    onJwtVerify: (r) => verify.push(r),
  });
  return decision.kind === 'deny'
    ? { result: decision.code, reason: decision.reason, verify }
    : { result: decision.kind, reason: undefined, verify };
}

/** A token whose time claims are given relative to T; `iat` defaults to five minutes before T. */
function tokenWith(claims: JWTPayload): Promise<string> {
  return mint(key, ISS, { claims: { iat: T - 300, exp: T + 600, ...claims } });
}

describe(`time claims with clockSkewSeconds ${SKEW}`, () => {
  let snap: CompiledSnapshot;
  beforeAll(async () => {
    snap = await compiled(SKEW);
  });

  it.each<[string, JWTPayload, RegExp | undefined]>([
    ['exp 10 s in the past', { exp: T - 10 }, undefined],
    ['exp 29 s in the past', { exp: T - 29 }, undefined],
    ['exp exactly the skew in the past', { exp: T - SKEW }, /ERR_JWT_EXPIRED:exp/],
    ['exp 120 s in the past', { exp: T - 120 }, /ERR_JWT_EXPIRED:exp/],
    ['nbf 10 s in the future', { nbf: T + 10 }, undefined],
    ['nbf exactly the skew in the future', { nbf: T + SKEW }, undefined],
    ['nbf one second past the skew', { nbf: T + SKEW + 1 }, /ERR_JWT_CLAIM_VALIDATION_FAILED:nbf/],
    ['nbf 120 s in the future', { nbf: T + 120 }, /ERR_JWT_CLAIM_VALIDATION_FAILED:nbf/],
    ['iat 10 s in the future', { iat: T + 10 }, undefined],
    ['iat exactly the skew in the future', { iat: T + SKEW }, undefined],
    ['iat one second past the skew', { iat: T + SKEW + 1 }, /iat is in the future/],
    ['iat 120 s in the future', { iat: T + 120 }, /iat is in the future/],
    ['iat a year in the future', { iat: T + 365 * 86_400, exp: T + 366 * 86_400 }, /iat is in the future/],
  ])('%s', async (_name, claims, refusal) => {
    // A fresh token per case, so no case can be answered from another one's cache entry.
    const outcome = await decideAt(snap, await tokenWith(claims), T);
    if (refusal === undefined) {
      expect(outcome).toEqual({ result: 'continue', reason: undefined, verify: ['valid'] });
    } else {
      expect(outcome.result).toBe('InvalidCredentials');
      expect(outcome.reason).toMatch(refusal);
    }
  });

  it('takes the tolerance from the provider: with 0 s, one second late or early is refused', async () => {
    const strict = await compiled(0);
    expect((await decideAt(strict, await tokenWith({ exp: T }), T)).result).toBe('InvalidCredentials');
    expect((await decideAt(strict, await tokenWith({ exp: T + 1 }), T)).result).toBe('continue');
    expect((await decideAt(strict, await tokenWith({ nbf: T + 1 }), T)).result).toBe('InvalidCredentials');
    expect((await decideAt(strict, await tokenWith({ iat: T + 1 }), T)).result).toBe('InvalidCredentials');
    expect((await decideAt(strict, await tokenWith({ iat: T, nbf: T }), T)).result).toBe('continue');
  });
});

describe('the verified-token cache never outlives exp (plus the skew)', () => {
  it('serves a hit before exp, verifies again after it, and refuses once exp + skew has passed', async () => {
    const snap = await compiled(SKEW);
    const token = await tokenWith({ exp: T + 60 });
    expect(await decideAt(snap, token, T)).toMatchObject({ result: 'continue', verify: ['valid'] });
    expect(snap.tokenCache.size).toBe(1);
    expect(await decideAt(snap, token, T + 59)).toMatchObject({ result: 'continue', verify: ['cache-hit'] });
    // At exp the cache entry is dead; the token is verified again and still inside the tolerance.
    expect(await decideAt(snap, token, T + 60)).toMatchObject({ result: 'continue', verify: ['valid'] });
    expect(await decideAt(snap, token, T + 60 + SKEW - 1)).toMatchObject({
      result: 'continue',
      verify: ['valid'],
    });
    const late = await decideAt(snap, token, T + 60 + SKEW);
    expect(late).toMatchObject({ result: 'InvalidCredentials', verify: ['invalid'] });
    expect(late.reason).toMatch(/ERR_JWT_EXPIRED:exp/);
    expect(await decideAt(snap, token, T + 3600)).toMatchObject({ result: 'InvalidCredentials' });
    expect(snap.tokenCache.size).toBe(0);
  });

  it('with no skew, refuses a cached token from its exp second on', async () => {
    const snap = await compiled(0);
    const token = await tokenWith({ exp: T + 60 });
    expect((await decideAt(snap, token, T)).result).toBe('continue');
    expect(snap.tokenCache.size).toBe(1);
    expect(await decideAt(snap, token, T + 60)).toMatchObject({
      result: 'InvalidCredentials',
      verify: ['invalid'],
    });
  });

  it('does not keep a token accepted only thanks to the skew as a cache hit', async () => {
    const snap = await compiled(SKEW);
    const token = await tokenWith({ exp: T - 10 });
    expect(await decideAt(snap, token, T)).toMatchObject({ result: 'continue', verify: ['valid'] });
    expect(await decideAt(snap, token, T)).toMatchObject({ result: 'continue', verify: ['valid'] });
    expect(await decideAt(snap, token, T + SKEW)).toMatchObject({ result: 'InvalidCredentials' });
  });
});

describe('the traffic handler uses its injected clock', () => {
  let upstream: Upstream;
  let server: Server;
  let forwarder: Forwarder;
  let url: string;
  let nowMs = T * 1000;

  beforeAll(async () => {
    upstream = await startUpstream();
    const snap = await compiled(SKEW, upstream.url);
    const logs = new LogCapture();
    forwarder = new Forwarder({ logger: logs.logger });
    server = createHardenedServer({
      handler: createTrafficHandler({
        currentSnapshot: () => snap,
        forwarder,
        logger: logs.logger,
        metrics: new ProxyMetrics(),
        now: () => nowMs,
      }),
      logger: logs.logger,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    forwarder.close();
    await upstream.close();
  });

  it('answers 401 to a token it accepted (and cached) once exp + skew has passed on that clock', async () => {
    const token = await tokenWith({ exp: T + 60 });
    const call = () =>
      send(url, { path: '/p', headers: { host: 'api.test', authorization: `Bearer ${token}` } });
    nowMs = T * 1000;
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(200);
    nowMs = (T + 60 + SKEW) * 1000;
    const reply = await call();
    expect(reply.status).toBe(401);
    expect(json(reply)).toMatchObject({ code: 'InvalidCredentials' });
    expect(upstream.seen).toHaveLength(2);
  });
});
