/**
 * @portcullis/proxy: the data plane. `startProxy` runs a proxy in-process (the binary, the e2e
 * tests and the benchmarks all use it); the rest lets tests and tools compile a snapshot and run
 * the decision pipeline without sockets.
 */
export { startProxy } from './start-proxy.js';
export type { ListenAddress, RunningProxy, StartProxyOptions } from './start-proxy.js';

export { compileSnapshot } from './compile/compile.js';
export type { CompileOptions, CompileResult } from './compile/compile.js';
export type {
  CompiledPolicy,
  CompiledProvider,
  CompiledRoute,
  CompiledSnapshot,
  CompiledUpstream,
} from './compile/compiled.js';
export { RouteTable } from './compile/route-table.js';
export type { RouteMatch } from './compile/route-table.js';

export { STAGES, evaluateRequest, runStages } from './traffic/pipeline.js';
export type { Evaluation } from './traffic/pipeline.js';
export type { PipelineEnv, RequestContext, RequestHead, WouldDeny } from './traffic/context.js';
export type { Decision } from './traffic/decision.js';
export { normaliseTarget } from './traffic/path-normalise.js';
export type { NormalisedTarget } from './traffic/path-normalise.js';

export { createLogger, REDACT_PATHS } from './logging/logger.js';
export { LAST_KNOWN_GOOD_FILE } from './state/last-known-good.js';
