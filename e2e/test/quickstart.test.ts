import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { REPO_ROOT, freePort } from './helpers/processes.js';
import type { NodeProcess } from './helpers/processes.js';
import { QUICKSTART, copyQuickstart, startUp } from './helpers/quickstart.js';

const run = promisify(execFile);

/**
 * `npm start` is `portcullis up -f examples/quickstart`. This runs the same command on free ports
 * against a copy of the quick-start folder, then runs every curl line of its banner exactly as
 * printed, in a shell, and checks the status each line's comment promises.
 */
describe('portcullis up (the quick-start)', () => {
  let dir: string;
  let up: NodeProcess;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-up-'));
    const upstreamPort = await freePort();
    const folder = await copyQuickstart(dir, upstreamPort);
    up = startUp(folder, { port: '0', upstreamPort: String(upstreamPort), stateDir: join(dir, 'state') });
    await up.waitForLine((l) => l.includes('Press Ctrl-C to stop.'), 30_000);
  });

  afterAll(async () => {
    await up.stop('SIGINT');
    await rm(dir, { recursive: true, force: true });
  });

  it('prints a status line for each object, accepted', () => {
    expect(up.lines.some((l) => /RouteClassification\s+demo\/demo-api.*Accepted=True/.test(l))).toBe(true);
    expect(up.lines.some((l) => /GatewayPolicy\s+demo\/demo-jwt.*Accepted=True/.test(l))).toBe(true);
  });

  it('every curl line it prints works as printed', async () => {
    const curls = up.lines.filter((l) => l.trimStart().startsWith('curl '));
    expect(curls.length).toBeGreaterThanOrEqual(5);
    for (const line of curls) {
      const { stdout } = await run('bash', ['-c', line.trim()], { cwd: REPO_ROOT, timeout: 15_000 });
      const promised = /#.*?\b(\d{3})\b/.exec(line)?.[1];
      if (promised === undefined) {
        expect(stdout.length).toBeGreaterThan(0);
        continue;
      }
      // Only curl's own status line is checked (the printed line contains the number in its comment).
      const statusLine = (stdout.split('\n')[0] ?? '').trim();
      expect({ line: line.trim(), statusLine }).toEqual({
        line: line.trim(),
        statusLine: expect.stringMatching(new RegExp(`^HTTP/1\\.1 ${promised} `)),
      });
    }
  });

  it('does not warn about the upstream, since the routes point at the demo service', () => {
    expect(up.lines.filter((l) => l.includes('warning'))).toEqual([]);
  });

  it('stops cleanly on Ctrl-C (SIGINT), taking the proxy with it', async () => {
    up.child.kill('SIGINT');
    expect(await up.exited).toBe(0);
  });
});

describe('portcullis up when a port is taken', () => {
  it('exits 1 and says which port and which flag, instead of hanging', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const address = holder.address();
    const taken = address !== null && typeof address === 'object' ? address.port : 0;
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-up-busy-'));
    try {
      // The token of an `up` already running on this state folder: a failed second start keeps it.
      await mkdir(join(dir, 'state'), { recursive: true });
      await writeFile(join(dir, 'state', 'demo-token'), 'token-of-the-running-up\n');
      const up = startUp(QUICKSTART, {
        port: String(taken),
        upstreamPort: String(await freePort()),
        stateDir: join(dir, 'state'),
      });
      expect(await up.exited).toBe(1);
      expect(up.lines.join('\n')).toContain(`--listen 127.0.0.1:${taken}: address already in use`);
      expect(up.lines.join('\n')).toContain('see --port, --admin-port');
      expect(await readFile(join(dir, 'state', 'demo-token'), 'utf8')).toBe('token-of-the-running-up\n');
    } finally {
      holder.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('portcullis up --upstream-port that no route points at', () => {
  it('warns, naming the demo URL and the upstreams the routes use, instead of leaving only 502s', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-up-moved-'));
    let upstreamPort = await freePort();
    while (upstreamPort === 9000) upstreamPort = await freePort();
    const up = startUp(QUICKSTART, {
      port: '0',
      upstreamPort: String(upstreamPort),
      stateDir: join(dir, 'state'),
    });
    try {
      const warning = await up.waitForLine((l) => l.includes('warning: no route'), 30_000);
      expect(warning).toContain(`demo upstream at http://127.0.0.1:${upstreamPort}`);
      expect(warning).toContain('they use http://127.0.0.1:9000');
      expect(warning).toContain('spec.upstream.url');
    } finally {
      await up.stop('SIGINT');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
