import { Agent, request } from 'node:http';

/**
 * Latency one request at a time over a keep-alive connection, in microseconds: what one hop adds
 * to a single call. autocannon reports whole milliseconds, too coarse for a sub-millisecond hop.
 * Bounded by `count` requests and `maxMs` of wall time, whichever comes first.
 */
export async function sequentialLatency(
  url: string,
  headers: Record<string, string>,
  bounds: { count: number; maxMs: number },
): Promise<{ p50: number; p99: number; n: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const samples: number[] = [];
  const stopAt = Date.now() + bounds.maxMs;
  try {
    while (samples.length < bounds.count && Date.now() < stopAt) {
      const start = process.hrtime.bigint();
      const status = await once(url, headers, agent);
      if (status !== 200) throw new Error(`${url}: answered ${status}`);
      samples.push(Number(process.hrtime.bigint() - start) / 1000);
    }
  } finally {
    agent.destroy();
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), n: samples.length };
}

function once(url: string, headers: Record<string, string>, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
