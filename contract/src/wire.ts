import { z } from 'zod';
import { ADMIN_REJECT_CODES } from './codes.js';

/**
 * The admin channel between controller and proxy: plain HTTP(S) with JSON, no gRPC.
 *   PUT  /v1/snapshot          body: compact JWS (application/jose) -> ApplyResponse
 *   GET  /v1/snapshot          -> {version, hash, snapshot}: the snapshot in force, printable form
 *   GET  /v1/snapshot/status   -> ProxyStatus
 *   GET  /healthz, /readyz, /metrics
 */
export const ADMIN_PATHS = {
  snapshot: '/v1/snapshot',
  status: '/v1/snapshot/status',
  healthz: '/healthz',
  readyz: '/readyz',
  metrics: '/metrics',
} as const;

export const JWS_MEDIA_TYPE = 'application/jose';

const hash = z.string().regex(/^sha256:[0-9a-f]{64}$/);

export const ProxyStatusSchema = z.strictObject({
  version: z.int().min(1).nullable(),
  hash: hash.nullable(),
  ready: z.boolean(),
  /** ISO time the snapshot in force was applied (or loaded from disk); not part of any hash. */
  appliedAt: z.string().nullable(),
  /** Where the snapshot in force came from: a push, or the persisted last-known-good at boot. */
  origin: z.enum(['push', 'last-known-good']).nullable(),
});
export type ProxyStatus = z.infer<typeof ProxyStatusSchema>;

const adminRejectCode = z.enum(Object.keys(ADMIN_REJECT_CODES) as [keyof typeof ADMIN_REJECT_CODES]);

export const ApplyResponseSchema = z.union([
  z.strictObject({ result: z.enum(['Applied', 'Unchanged']), version: z.int().min(1), hash }),
  z.strictObject({
    error: z.strictObject({ code: adminRejectCode, message: z.string().max(1024) }),
    current: z.strictObject({ version: z.int().min(1).nullable(), hash: hash.nullable() }),
  }),
]);
export type ApplyResponse = z.infer<typeof ApplyResponseSchema>;
