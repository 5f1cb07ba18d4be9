import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import {
  generateSigningKey,
  signSnapshot,
  trustedKeysDocument,
  type PublicJwk,
  type Snapshot,
} from '@portcullis/contract';
import { parseBenchArgs, USAGE, type BenchOptions } from './args.js';
import { processCpuMicros } from './cpu.js';
import { sequentialLatency } from './latency.js';
import { killAllChildren, startNode, stopAllChildren, type Child } from './processes.js';
import { summarise, type Sample } from './stats.js';

/**
 * `npm run bench`: requests per second and p50/p99 latency through the Portcullis proxy, each
 * reported as a ratio against baselines measured in the same run, interleaved round by round so
 * that the noise of a shared machine falls on all of them alike:
 *   direct   - the load generator straight to the upstream
 *   pipe     - through a hand-rolled http.request pipe (no library): the cheapest honest Node hop
 *   bare     - through a bare http-proxy passthrough (same forwarding library, nothing else)
 *   public   - through Portcullis, a declared public route (routing, normalisation, headers, logs)
 *   jwt      - through Portcullis, a JWT-protected route (the verification is cached by token hash)
 * Everything listens on 127.0.0.1; every run is bounded by --duration x --rounds. The child
 * processes (upstream, two baseline hops, the proxy) never outlive the runner, whether it ends,
 * fails, is signalled (SIGTERM, SIGINT, SIGHUP) or loses its stdout or stderr (`| head`).
 */

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const listening = (l: Record<string, unknown>) => (typeof l.listening === 'string' ? l.listening : undefined);

/** Where the proxy keeps its state; removed on every way out. */
let tempDir: string | undefined;
let aborting = false;
let stderrOpen = true;

const say = (text: string): void => {
  if (stderrOpen) process.stderr.write(text);
};

/**
 * Stops every child, removes the temporary directory and exits with `code`. The run itself is not
 * waited for: whatever it was doing fails once its children are gone, and that failure is ignored.
 */
function abort(reason: string, code: number): void {
  if (aborting) return;
  aborting = true;
  say(`bench: ${reason}; stopping the child processes\n`);
  void stopAllChildren()
    .then(() => (tempDir === undefined ? undefined : rm(tempDir, { recursive: true, force: true })))
    .catch(() => undefined)
    .finally(() => process.exit(code));
}

/** Exit status of a process killed by SIGPIPE, which Node ignores (writes fail with EPIPE instead). */
const BROKEN_PIPE_EXIT = 128 + constants.signals.SIGPIPE;

function watchSignalsAndPipes(): void {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => {
      const code = 128 + constants.signals[signal];
      if (!aborting) return abort(signal, code);
      // A second signal: no more grace.
      killAllChildren();
      process.exit(code);
    });
  }
  process.stdout.on('error', (err: NodeJS.ErrnoException) =>
    abort(`stdout: ${err.code ?? err.message}`, err.code === 'EPIPE' ? BROKEN_PIPE_EXIT : 1),
  );
  process.stderr.on('error', (err: NodeJS.ErrnoException) => {
    stderrOpen = false;
    abort(`stderr: ${err.code ?? err.message}`, err.code === 'EPIPE' ? BROKEN_PIPE_EXIT : 1);
  });
}

async function main(options: BenchOptions): Promise<void> {
  const { duration, rounds, connections } = options;
  const children: Child[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-bench-'));
  tempDir = dir;
  try {
    const upstream = await startNode(here('./upstream.js'), [], listening);
    children.push(upstream.child);
    const bare = await startNode(here('./bare-proxy.js'), [upstream.value], listening);
    children.push(bare.child);
    const pipe = await startNode(here('./pipe-proxy.js'), [upstream.value], listening);
    children.push(pipe.child);

    const key = await generateSigningKey();
    const trusted = join(dir, 'trusted-keys.json');
    await writeFile(trusted, JSON.stringify(trustedKeysDocument(key)));
    const proxy = await startNode(
      here('../../proxy/dist/main.js'),
      [
        '--listen',
        '127.0.0.1:0',
        '--admin-listen',
        '127.0.0.1:0',
        '--trusted-keys',
        trusted,
        '--state-dir',
        join(dir, 'state'),
        '--log-level',
        'info',
      ],
      (l) =>
        l.msg === 'listening' && typeof l.traffic === 'string' && typeof l.admin === 'string'
          ? { traffic: l.traffic, admin: l.admin }
          : undefined,
    );
    children.push(proxy.child);

    const idp = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(idp.publicKey)), kid: 'bench', alg: 'ES256' } as PublicJwk;
    const { jws } = await signSnapshot(key, 1, benchSnapshot(upstream.value, jwk));
    const put = await fetch(`${proxy.value.admin}/v1/snapshot`, {
      method: 'PUT',
      headers: { 'content-type': 'application/jose' },
      body: jws,
    });
    if (!put.ok) throw new Error(`snapshot refused: ${put.status} ${await put.text()}`);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'bench' })
      .setIssuer('https://idp.bench/')
      .setAudience('bench')
      .setSubject('bench-user')
      .setExpirationTime('1h')
      .sign(idp.privateKey);

    const scenarios = [
      // `hop`: the process between client and upstream, whose CPU per request is measured.
      { name: 'direct', url: `${upstream.value}/v1/orders/42`, headers: {}, hop: undefined },
      { name: 'pipe', url: `${pipe.value}/v1/orders/42`, headers: {}, hop: pipe.child.process.pid },
      { name: 'bare', url: `${bare.value}/v1/orders/42`, headers: {}, hop: bare.child.process.pid },
      {
        name: 'public',
        url: `${proxy.value.traffic}/v1/orders/42`,
        headers: {},
        hop: proxy.child.process.pid,
      },
      {
        name: 'jwt',
        url: `${proxy.value.traffic}/v1/secure/orders/42`,
        headers: { authorization: `Bearer ${token}` },
        hop: proxy.child.process.pid,
      },
    ] as const;
    const samples = new Map<string, Sample[]>(scenarios.map((s) => [s.name, []]));

    say(
      `bench: ${rounds} rounds x ${scenarios.length} scenarios x ${duration}s, ${connections} connections\n`,
    );
    for (const s of scenarios) await load(s, 1, connections); // warm-up: JIT, keep-alive pools, JWT cache
    for (let round = 1; round <= rounds; round++) {
      for (const s of scenarios) {
        const sample = await load(s, duration, connections);
        samples.get(s.name)?.push(sample);
        say(
          `  round ${round}/${rounds} ${s.name.padEnd(6)} ${sample.rps.toFixed(0).padStart(7)} req/s  p50 ${sample.p50.toFixed(0)} us  p99 ${sample.p99.toFixed(0)} us  hop CPU ${sample.cpuPerRequest?.toFixed(1) ?? '-'} us/req\n`,
        );
      }
    }
    report(new Map([...samples].map(([name, list]) => [name, summarise(list)])), options);
  } finally {
    for (const c of children.reverse()) await c.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function load(
  scenario: { url: string; headers: Record<string, string>; hop: number | undefined },
  seconds: number,
  connections: number,
): Promise<Sample> {
  const { url, headers } = scenario;
  const probe = await fetch(url, { headers });
  if (probe.status !== 200) throw new Error(`${url}: answered ${probe.status} ${await probe.text()}`);
  const latency = await sequentialLatency(url, headers, { count: 2000, maxMs: seconds * 1000 });
  const cpuBefore = processCpuMicros(scenario.hop);
  const result = await autocannon({ url, headers, connections, duration: seconds, pipelining: 1 });
  const cpuAfter = processCpuMicros(scenario.hop);
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(
      `${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors; the figures would be meaningless`,
    );
  }
  const cpuPerRequest =
    cpuBefore === undefined || cpuAfter === undefined
      ? undefined
      : (cpuAfter - cpuBefore) / result.requests.total;
  return { rps: result.requests.average, p50: latency.p50, p99: latency.p99, cpuPerRequest };
}

function report(s: ReadonlyMap<string, Sample>, options: BenchOptions): void {
  const { duration, rounds, connections } = options;
  const get = (n: string): Sample => {
    const v = s.get(n);
    if (v === undefined) throw new Error(`missing ${n}`);
    return v;
  };
  const direct = get('direct');
  const bare = get('bare');
  const rows = ['direct', 'pipe', 'bare', 'public', 'jwt'].map((name) => {
    const x = get(name);
    return {
      scenario: name,
      rps: Math.round(x.rps),
      p50_us: Math.round(x.p50),
      p99_us: Math.round(x.p99),
      rps_vs_direct: round(x.rps / direct.rps),
      rps_vs_bare: round(x.rps / bare.rps),
      p50_vs_bare: round(x.p50 / bare.p50),
      p99_vs_bare: round(x.p99 / bare.p99),
      // What this hop adds to one call, over the bare passthrough hop (microseconds).
      added_p50_us_vs_bare: Math.round(x.p50 - bare.p50),
      cpu_us_per_request: x.cpuPerRequest === undefined ? undefined : round(x.cpuPerRequest),
      cpu_vs_bare:
        x.cpuPerRequest === undefined || bare.cpuPerRequest === undefined
          ? undefined
          : round(x.cpuPerRequest / bare.cpuPerRequest),
    };
  });
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ duration, rounds, connections, rows }, null, 2)}\n`);
    return;
  }
  const header = [
    'scenario',
    'req/s',
    'p50 us',
    'p99 us',
    'rps/direct',
    'rps/bare',
    'p50/bare',
    'p99/bare',
    '+p50 us',
    'CPU us/req',
    'CPU/bare',
  ];
  const table = rows.map((r) => [
    r.scenario,
    String(r.rps),
    String(r.p50_us),
    String(r.p99_us),
    r.rps_vs_direct.toFixed(2),
    r.rps_vs_bare.toFixed(2),
    r.p50_vs_bare.toFixed(2),
    r.p99_vs_bare.toFixed(2),
    String(r.added_p50_us_vs_bare),
    r.cpu_us_per_request === undefined ? '-' : r.cpu_us_per_request.toFixed(1),
    r.cpu_vs_bare === undefined ? '-' : r.cpu_vs_bare.toFixed(2),
  ]);
  process.stdout.write('\n');
  for (const line of [header, ...table])
    process.stdout.write(`${line.map((c) => c.padStart(10)).join(' ')}\n`);
  process.stdout.write(
    `\nThroughput: autocannon, ${connections} connections, ${duration}s per scenario per round. Latency: one request` +
      ' at a time on a keep-alive connection. CPU: user+system time of the hop process (bare passthrough or' +
      ' Portcullis proxy) per request during the throughput phase. Medians of the rounds; ratios are from the same run, absolute numbers are' +
      ' not comparable across runs on a shared machine.\n',
  );
}

const round = (n: number) => Math.round(n * 100) / 100;

function benchSnapshot(upstream: string, jwk: PublicJwk): Snapshot {
  const source = (kind: 'RouteClassification' | 'GatewayPolicy', name: string) => ({
    kind,
    namespace: 'bench',
    name,
    generation: 1,
  });
  const route = (name: string, path: string, tier: 'public' | 'confidential', policies: string[]) => ({
    id: `bench/api/${name}`,
    source: source('RouteClassification', 'api'),
    hosts: ['127.0.0.1'],
    methods: ['GET' as const],
    path,
    tier,
    categories: [],
    upstream: { url: upstream, timeoutMs: 5000 },
    policies,
  });
  return {
    schemaVersion: 1,
    policies: [
      {
        id: 'bench/jwt',
        source: source('GatewayPolicy', 'jwt'),
        enforcementMode: 'Enforce',
        authentication: {
          jwt: [
            {
              name: 'idp',
              issuer: 'https://idp.bench/',
              audiences: ['bench'],
              algorithms: ['ES256'],
              clockSkewSeconds: 30,
              keys: [jwk],
              forwardClaims: [],
            },
          ],
        },
      },
    ],
    routes: [
      route('read', '/v1/orders/{id}', 'public', []),
      route('secure-read', '/v1/secure/orders/{id}', 'confidential', ['bench/jwt']),
    ],
  };
}

const cli = parseBenchArgs(process.argv.slice(2));
if (cli.kind === 'help') {
  process.stdout.write(USAGE);
} else if (cli.kind === 'error') {
  process.stderr.write(`bench: ${cli.message}\n\n${USAGE}`);
  process.exitCode = 2;
} else {
  watchSignalsAndPipes();
  try {
    await main(cli.options);
  } catch (err) {
    // Once aborting, the run fails because its children were stopped: abort() sets the exit status.
    if (!aborting) throw err;
  }
}
