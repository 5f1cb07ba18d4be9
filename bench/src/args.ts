import { parseArgs } from 'node:util';

export const USAGE = `Usage: node bench/dist/run.js [options]     (or: npm run bench -- [options])

Throughput, latency and CPU per request through the Portcullis proxy, as ratios against
baselines measured in the same run. A run takes at most about 10 s of warm-up plus
rounds x 5 scenarios x 2 x duration seconds.

Options:
  --duration <seconds>   per scenario per round, 1-30, decimals allowed (default 3)
  --rounds <n>           rounds, an integer 1-10 (default 3)
  --connections <n>      autocannon connections, an integer 1-200 (default 20)
  --json                 print the result as JSON instead of a table
  -h, --help             print this help

Progress goes to stderr, the result to stdout. SIGTERM, SIGINT or SIGHUP (and a closed
stdout, as with "| head") stop the child processes it started and exit non-zero.
`;

export interface BenchOptions {
  readonly duration: number;
  readonly rounds: number;
  readonly connections: number;
  readonly json: boolean;
}

export type BenchArgs =
  | { readonly kind: 'help' }
  | { readonly kind: 'options'; readonly options: BenchOptions }
  | { readonly kind: 'error'; readonly message: string };

const DECIMAL = /^[0-9]+(\.[0-9]+)?$/;
const INTEGER = /^[0-9]+$/;

/** Numeric flags: plain decimal notation only (no '', '0x10', '1e1', 'Infinity'), within bounds. */
const NUMERIC = {
  duration: { pattern: DECIMAL, kind: 'a number of seconds', min: 1, max: 30, default: 3 },
  rounds: { pattern: INTEGER, kind: 'an integer', min: 1, max: 10, default: 3 },
  connections: { pattern: INTEGER, kind: 'an integer', min: 1, max: 200, default: 20 },
} as const;
type NumericFlag = keyof typeof NUMERIC;
const isNumeric = (name: string): name is NumericFlag => Object.hasOwn(NUMERIC, name);

/**
 * Parses the runner's flags without throwing: every mistake is one line naming the flag, so the
 * caller can print it with the usage and exit 2 (never a stack trace, never a NaN run).
 */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  // strict: false and tokens, so that the messages are ours (one line, naming the flag).
  const { tokens } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const values: Record<NumericFlag, number> = {
    duration: NUMERIC.duration.default,
    rounds: NUMERIC.rounds.default,
    connections: NUMERIC.connections.default,
  };
  let json = false;
  let help = false;
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') return error(`unexpected argument '${token.value}'`);
    const flag = token.rawName;
    if (token.name === 'json' || token.name === 'help') {
      if (token.inlineValue === true) return error(`${flag} takes no value`);
      if (token.name === 'json') json = true;
      else help = true;
      continue;
    }
    if (!isNumeric(token.name)) return error(`unknown flag ${flag}`);
    const spec = NUMERIC[token.name];
    if (token.value === undefined) return error(`${flag} needs a value`);
    const n = Number(token.value);
    if (!spec.pattern.test(token.value) || !Number.isFinite(n)) {
      return error(`${flag}: '${token.value}' is not ${spec.kind}`);
    }
    if (n < spec.min || n > spec.max)
      return error(`${flag}: ${token.value} is outside ${spec.min}-${spec.max}`);
    values[token.name] = n;
  }
  if (help) return { kind: 'help' };
  return { kind: 'options', options: { ...values, json } };
}

function error(message: string): BenchArgs {
  // A value echoed back stays one printable line whatever it contains.
  return { kind: 'error', message: message.replace(/\p{Cc}/gu, '?') };
}
