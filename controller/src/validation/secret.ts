import { z } from 'zod';
import { secretKey } from './primitives.js';
import { validateWith } from './issues.js';
import type { Validated } from './issues.js';

/** A v1 Secret as a folder may hold it: `data` (base64) or `stringData` (plain), bounded like the API server's 1 MiB. */

const MAX_SECRET_BYTES = 1024 * 1024;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const entries = <T extends z.ZodType>(value: T) =>
  z.record(secretKey, value).superRefine((rec, ctx) => {
    if (Object.keys(rec).length > 256) ctx.addIssue({ code: 'custom', message: 'at most 256 keys' });
  });

export const SecretSchema = z
  .strictObject({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: z.looseObject({}),
    type: z.string().max(253).optional(),
    immutable: z.boolean().optional(),
    data: entries(z.string().max(MAX_SECRET_BYTES).regex(BASE64, 'must be base64')).optional(),
    stringData: entries(z.string().max(MAX_SECRET_BYTES)).optional(),
  })
  .superRefine((s, ctx) => {
    const size = [...Object.values(s.data ?? {}), ...Object.values(s.stringData ?? {})].reduce(
      (n, v) => n + v.length,
      0,
    );
    if (size > MAX_SECRET_BYTES) ctx.addIssue({ code: 'custom', message: 'data larger than 1 MiB' });
  });

export interface SecretContent {
  /** Decoded values by key; stringData wins over data, as the API server merges them. */
  readonly values: ReadonlyMap<string, Buffer>;
}

export function validateSecret(object: unknown): Validated<SecretContent> {
  const r = validateWith(SecretSchema, object);
  if (!r.ok) return r;
  const values = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(r.value.data ?? {})) values.set(k, Buffer.from(v, 'base64'));
  for (const [k, v] of Object.entries(r.value.stringData ?? {})) values.set(k, Buffer.from(v, 'utf8'));
  return { ok: true, value: { values } };
}
