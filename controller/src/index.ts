/**
 * @portcullis/controller: sources, the pure compiler, the signed publisher and status, and the
 * runtime that connects them (used by the CLI and by `portcullis up`).
 */
export { compile, COMPILER_PASSES } from './compiler/compile.js';
export type {
  AcceptedObject,
  AncestorStatus,
  CompileInput,
  CompileOutput,
  CompileProblem,
  Condition,
  ConditionStatus,
  GatewayPolicyModel,
  GatewayPolicyStatus,
  ObjectStatus,
  RouteClassificationStatus,
} from './compiler/types.js';

export { formatPath, problemText } from './resources/field-path.js';
export type { FieldPath, Problem } from './resources/field-path.js';
export { hardenJson } from './resources/json.js';
export type { JsonObject, JsonValue } from './resources/json.js';
export {
  assembleResources,
  collectYamlFiles,
  loadPaths,
  loadYamlText,
  readYamlFile,
} from './resources/loader.js';
export type { LoadResult } from './resources/loader.js';
export { DEFAULT_NAMESPACE, PORTCULLIS_API_VERSION, identify, resourceKey } from './resources/model.js';
export type { Origin, Resource, ResourceKind } from './resources/model.js';
export { formatLoadIssue, parseYamlText } from './resources/yaml.js';
export type { LoadIssue, ParsedDocument, ParsedFile } from './resources/yaml.js';

export {
  shapeProblems,
  validateGatewayPolicy,
  validateRouteClassification,
  validateSecret,
  GatewayPolicySpecSchema,
  RouteClassificationSpecSchema,
} from './validation/index.js';

export { ControllerMetrics } from './metrics/metrics.js';
export type { ProxyStateSource, PushResult } from './metrics/metrics.js';
export { parseListenAddress, startMetricsServer } from './metrics/server.js';
export type { ListenAddress, MetricsServer } from './metrics/server.js';
export { Publisher } from './publisher/publisher.js';
export type { ProxyAck, ProxyView, PublisherOptions } from './publisher/publisher.js';
export { FolderSource } from './source/folder.js';
export type { FolderSourceOptions } from './source/folder.js';
export { StatusWriter } from './status/writer.js';
export { formatStatusTable } from './status/table.js';
export type { LiveObjectStatus, TimedCondition } from './status/types.js';

export { startController } from './runtime/controller.js';
export type { ControllerOptions, ControllerView, RunningController } from './runtime/controller.js';
