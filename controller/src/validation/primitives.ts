import { z } from 'zod';
import {
  DNS_SUBDOMAIN,
  HOST_PATTERN,
  MAX_PATH_LENGTH,
  UpstreamUrlSchema,
  parsePathTemplate,
} from '@portcullis/contract';

/** Schema pieces shared by every kind: one definition of a name, a host, a path, an unsupported field. */

export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const dnsLabel = z
  .string()
  .max(63)
  .regex(DNS_LABEL, 'must be a DNS label: lowercase letters, digits and "-", at most 63 characters');

/** A Kubernetes object name, as the contract's `source.name` takes it. */
export const objectName = z
  .string()
  .max(253)
  .regex(
    DNS_SUBDOMAIN,
    'must be a DNS subdomain: lowercase letters, digits, "-" and ".", at most 253 characters',
  );

export const secretName = objectName;

/** A key inside a Secret's data, as Kubernetes allows them. */
export const secretKey = z
  .string()
  .max(253)
  .regex(/^[-._a-zA-Z0-9]+$/, 'must be letters, digits, "-", "_" or "."');

export const host = z
  .string()
  .max(253)
  .regex(HOST_PATTERN, 'must be a lowercase DNS name, or one leading wildcard label (*.example.com)');

export const pathTemplate = z
  .string()
  .max(MAX_PATH_LENGTH)
  .superRefine((path, ctx) => {
    const parsed = parsePathTemplate(path);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
  });

/** An upstream URL, by the contract's own schema (the proxy re-checks every snapshot with it). */
export const httpUrl = UpstreamUrlSchema;

export const NOT_SUPPORTED = 'not supported by this version of Portcullis';

/**
 * A field the API defines but this build does not enforce yet. It fails whenever it is present:
 * a user who writes `rateLimits` must never believe a limit is in force when it is not.
 */
export function unsupported(message: string = NOT_SUPPORTED) {
  return z.custom<never>(() => false, { error: message }).optional();
}

/**
 * A refinement that also runs when other parts of the value are invalid (zod skips refinements after
 * an aborting issue by default), so that a user sees every mistake in one pass instead of fixing
 * them one run at a time. The value is therefore untrusted here: `fn` must check every type itself.
 */
export function always<T>(fn: (value: unknown, ctx: z.core.$RefinementCtx<T>) => void) {
  return [(value: T, ctx: z.core.$RefinementCtx<T>) => fn(value, ctx), { when: () => true }] as const;
}

/** Reports every duplicate in a list at its own index; `key` picks what must be unique (or skips an item). */
export function uniqueItems(what: string, key: (item: unknown) => string | undefined = asString) {
  return always<readonly unknown[]>((items, ctx) => {
    if (!Array.isArray(items)) return;
    const seen = new Map<string, number>();
    (items as readonly unknown[]).forEach((item, i) => {
      const k = key(item);
      if (k === undefined) return;
      const first = seen.get(k);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: [i], message: `duplicate ${what} (same as [${first}])` });
      } else {
        seen.set(k, i);
      }
    });
  });
}

export function asString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** The string member `name` of an object, if it has one. */
export function member(name: string): (v: unknown) => string | undefined {
  return (v) =>
    typeof v === 'object' && v !== null ? asString((v as Record<string, unknown>)[name]) : undefined;
}

/** Kubernetes metadata as a file may carry it; identity was checked by the loader, the name is re-checked here. */
export function metadataWithName() {
  return z.looseObject({ name: objectName });
}
