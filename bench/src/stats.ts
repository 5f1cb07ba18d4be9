export interface Sample {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** CPU microseconds the hop process spent per request; undefined for the direct baseline. */
  readonly cpuPerRequest: number | undefined;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const lo = sorted[mid - 1] ?? 0;
  const hi = sorted[mid] ?? 0;
  return sorted.length % 2 === 0 ? (lo + hi) / 2 : hi;
}

export function summarise(samples: readonly Sample[]): Sample {
  return {
    rps: median(samples.map((s) => s.rps)),
    p50: median(samples.map((s) => s.p50)),
    p99: median(samples.map((s) => s.p99)),
    cpuPerRequest: samples.some((s) => s.cpuPerRequest === undefined)
      ? undefined
      : median(samples.map((s) => s.cpuPerRequest ?? 0)),
  };
}
