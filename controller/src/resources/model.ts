import { DNS_SUBDOMAIN } from '@portcullis/contract';
import { shown } from './field-path.js';
import type { FieldPath } from './field-path.js';
import { isJsonObject } from './json.js';
import type { JsonObject, JsonValue } from './json.js';

/**
 * The resource model: the Kubernetes objects Portcullis reads, identified (kind, namespace, name,
 * generation) but not yet validated. Both sources (folder and, later, the Kubernetes API) produce
 * these; the compiler validates the rest.
 */

export const PORTCULLIS_GROUP = 'portcullis.io';
export const PORTCULLIS_API_VERSION = 'portcullis.io/v1alpha1';
export const POLICY_KINDS = ['RouteClassification', 'GatewayPolicy'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];
export type ResourceKind = PolicyKind | 'Secret';

/** Where a document came from, so that errors can point at `file:line`. */
export interface Origin {
  readonly file: string;
  /** 1-based line of the document's first node. */
  readonly line: number;
  /** Best line for a field path inside the document (the deepest node that exists). */
  readonly lineOf?: (path: FieldPath) => number;
}

export interface Resource {
  readonly kind: ResourceKind;
  readonly namespace: string;
  readonly name: string;
  /** metadata.generation, or 1 when a file omits it (a file is its own first generation). */
  readonly generation: number;
  readonly creationTimestamp: string | undefined;
  /** The whole object, plain JSON (see hardenJson). */
  readonly object: JsonObject;
  readonly origin: Origin | undefined;
}

export function resourceKey(r: { kind: string; namespace: string; name: string }): string {
  return `${r.kind}/${r.namespace}/${r.name}`;
}

export function resourceLabel(r: { kind: string; namespace: string; name: string }): string {
  return `${r.kind} ${r.namespace}/${r.name}`;
}

export const DEFAULT_NAMESPACE = 'default';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** RFC 3339 as Kubernetes writes it (metav1.Time): seconds precision, optional fraction, Z or offset. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export type IdentifyResult =
  | { readonly type: 'resource'; readonly resource: Resource }
  | { readonly type: 'list'; readonly items: readonly JsonValue[] }
  | { readonly type: 'ignored'; readonly message: string }
  | { readonly type: 'error'; readonly path: FieldPath; readonly message: string };

/**
 * Identifies one parsed document. Unknown kinds from other APIs are ignored (a folder may hold a
 * whole application), but anything claiming the portcullis.io group that this build does not serve
 * is an error: a typo in `kind` or `apiVersion` must never make a policy silently disappear.
 */
export function identify(value: JsonValue, origin: Origin | undefined): IdentifyResult {
  if (!isJsonObject(value)) return { type: 'error', path: [], message: 'a document must be an object' };
  const { apiVersion, kind } = value;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || apiVersion === '' || kind === '') {
    return { type: 'error', path: [], message: 'apiVersion and kind are required strings' };
  }
  if (apiVersion === 'v1' && kind === 'List') {
    const items = value['items'];
    if (!Array.isArray(items)) return { type: 'error', path: ['items'], message: 'a List needs items' };
    return { type: 'list', items: items as readonly JsonValue[] };
  }
  const isPolicyKind = (POLICY_KINDS as readonly string[]).includes(kind);
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  if (group === PORTCULLIS_GROUP || isPolicyKind) {
    if (!isPolicyKind || apiVersion !== PORTCULLIS_API_VERSION) {
      return {
        type: 'error',
        path: [isPolicyKind ? 'apiVersion' : 'kind'],
        message: `${shown(apiVersion)} ${shown(kind)} is not served by this version of Portcullis (it reads ${PORTCULLIS_API_VERSION} RouteClassification and GatewayPolicy)`,
      };
    }
  } else if (!(apiVersion === 'v1' && kind === 'Secret')) {
    const meta = value['metadata'];
    const name = isJsonObject(meta) && typeof meta['name'] === 'string' ? ` ${shown(meta['name'])}` : '';
    // Every user string goes through `shown`: these are foreign objects, not checked at all.
    return {
      type: 'ignored',
      message: `ignoring ${shown(apiVersion)} ${shown(kind)}${name}: not a kind Portcullis reads`,
    };
  }

  const metadata = value['metadata'];
  if (!isJsonObject(metadata)) return { type: 'error', path: ['metadata'], message: 'required object' };
  const name = metadata['name'];
  if (typeof name !== 'string' || name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    return {
      type: 'error',
      path: ['metadata', 'name'],
      message: 'required, a lowercase DNS subdomain of at most 253 characters',
    };
  }
  const namespace = metadata['namespace'] ?? DEFAULT_NAMESPACE;
  if (typeof namespace !== 'string' || !DNS_LABEL.test(namespace)) {
    return {
      type: 'error',
      path: ['metadata', 'namespace'],
      message: 'must be a DNS label (lowercase, at most 63 characters)',
    };
  }
  const generation = metadata['generation'] ?? 1;
  if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 1) {
    return { type: 'error', path: ['metadata', 'generation'], message: 'must be a positive integer' };
  }
  const created = metadata['creationTimestamp'];
  if (created !== undefined && created !== null && (typeof created !== 'string' || !RFC3339.test(created))) {
    return {
      type: 'error',
      path: ['metadata', 'creationTimestamp'],
      message: 'must be an RFC 3339 time such as 2025-01-31T12:00:00Z',
    };
  }
  return {
    type: 'resource',
    resource: {
      kind: kind as ResourceKind,
      namespace,
      name,
      generation,
      creationTimestamp: typeof created === 'string' ? created : undefined,
      object: value,
      origin,
    },
  };
}
