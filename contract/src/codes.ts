/**
 * The catalogue of codes is an API: clients, dashboards and runbooks key on these strings. Every code
 * here must be documented in docs/codes.md and every code there must exist here (a test checks both).
 */

/** Why the proxy refused a request. The body carries only the code and the request id. */
export const DENY_CODES = {
  RouteNotFound: { status: 404, summary: 'No declared route matches host, method and path (shadow API).' },
  BadRequest: { status: 400, summary: 'The request is malformed or ambiguous (path encoding, Host header).' },
  RequestTimeout: {
    status: 408,
    summary: 'The client did not send its headers or body within the time limit (slow client).',
  },
  HttpVersionNotSupported: {
    status: 505,
    summary: 'Only HTTP/1.1 is accepted; HTTP/1.0 and older are refused.',
  },
  AuthenticationRequired: { status: 401, summary: 'The route requires credentials and none were sent.' },
  InvalidCredentials: {
    status: 401,
    summary: 'The credentials sent were not valid (signature, issuer, audience, expiry).',
  },
  NoSnapshot: {
    status: 503,
    summary: 'The proxy has no verified policy snapshot yet, so it serves nothing.',
  },
  UpstreamUnavailable: { status: 502, summary: 'The upstream could not be reached or failed mid-response.' },
  UpstreamTimeout: { status: 504, summary: 'The upstream did not answer within the route timeout.' },
  InternalError: {
    status: 500,
    summary: 'The proxy hit an unexpected error; the request was not forwarded.',
  },
} as const satisfies Record<string, { status: number; summary: string }>;

export type DenyCode = keyof typeof DENY_CODES;

/** Why the proxy's admin listener refused a snapshot. */
export const ADMIN_REJECT_CODES = {
  UnsupportedMediaType: {
    status: 415,
    summary: 'The snapshot must be sent as a compact JWS (application/jose).',
  },
  PayloadTooLarge: { status: 413, summary: 'The signed snapshot exceeds the admin body limit.' },
  SignatureInvalid: {
    status: 401,
    summary: 'The JWS does not verify against any trusted controller key, or its header is not allowed.',
  },
  SchemaInvalid: { status: 422, summary: 'The signed payload does not match the snapshot schema.' },
  HashMismatch: {
    status: 422,
    summary: 'The content hash in the payload is not the hash of the snapshot it carries.',
  },
  VersionNotNewer: {
    status: 409,
    summary: 'The version is not newer than the one in force (replay or rollback attempt).',
  },
  CompileFailed: {
    status: 422,
    summary: 'The snapshot verified but could not be compiled into the proxy (e.g. an unusable key).',
  },
  NotFound: { status: 404, summary: 'No such admin endpoint.' },
  InternalError: {
    status: 500,
    summary: 'The proxy hit an unexpected error; the snapshot in force is unchanged.',
  },
} as const satisfies Record<string, { status: number; summary: string }>;

export type AdminRejectCode = keyof typeof ADMIN_REJECT_CODES;

/**
 * Condition types and reasons written to object status (metav1.Condition, Gateway API GEP-713 names).
 * Reasons are CamelCase and stable.
 */
export const CONDITION_TYPES = ['Accepted', 'ResolvedRefs', 'Programmed', 'Ready'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

export const CONDITION_REASONS = {
  Accepted: { summary: 'The object is valid and its content is in the compiled snapshot.' },
  Invalid: { summary: 'The object fails validation; the message starts with the field path.' },
  Conflicted: {
    summary:
      'Another, older RouteClassification already claims the same host, method and path, or (in another namespace) declares a route that could match the same request; the older one wins.',
  },
  TargetNotFound: { summary: 'A targetRef names an object or route that does not exist in the namespace.' },
  ResolvedRefs: { summary: 'Every referenced Secret, key set and upstream was found and usable.' },
  RefNotFound: { summary: 'A referenced Secret (or key in it) does not exist.' },
  InvalidRef: {
    summary: 'A referenced Secret exists but its content is not usable (e.g. not a public JWKS).',
  },
  Programmed: { summary: 'Every known proxy runs a snapshot carrying this generation.' },
  Pending: { summary: 'Not every proxy has acknowledged a snapshot carrying this generation yet.' },
  Ready: { summary: 'Accepted, refs resolved and programmed.' },
  NotReady: { summary: 'At least one of Accepted, ResolvedRefs or Programmed is not True.' },
} as const satisfies Record<string, { summary: string }>;

export type ConditionReason = keyof typeof CONDITION_REASONS;
