import { z } from 'zod';
import { ENFORCEMENT_MODES, JWT_ALGORITHMS, isProxySetHeader } from '@portcullis/contract';
import type { JwtAlgorithm } from '@portcullis/contract';
import {
  dnsLabel,
  member,
  metadataWithName,
  objectName,
  secretKey,
  secretName,
  uniqueItems,
  unsupported,
} from './primitives.js';
import { validateWith } from './issues.js';
import type { Validated } from './issues.js';

/** GatewayPolicy shape (portcullis.io/v1alpha1): the part of the API this build enforces, and nothing else. */

export const GATEWAY_POLICY_LIMITS = {
  targetRefs: 16,
  targetRoutes: 64,
  jwtProviders: 8,
  audiences: 16,
  forwardClaims: 16,
  inlineKeys: 64,
} as const;

const targetRef = z.strictObject({
  group: z.literal('portcullis.io', { error: 'must be portcullis.io' }).optional(),
  kind: z.literal('RouteClassification', { error: 'must be RouteClassification' }),
  name: objectName,
  routes: z
    .array(dnsLabel)
    .min(1)
    .max(GATEWAY_POLICY_LIMITS.targetRoutes)
    .superRefine(...uniqueItems('route'))
    .optional(),
});

/**
 * `none` and HS* get their own messages because they are the two classic JWT mistakes (RFC 8725
 * §3.1, §3.2): an unsigned token, and a public key used as an HMAC secret.
 */
const algorithm = z
  .string()
  .max(16)
  .superRefine((alg, ctx) => {
    if (alg.toLowerCase() === 'none') {
      ctx.addIssue({ code: 'custom', message: '"none" is never allowed: it accepts unsigned tokens' });
    } else if (/^hs\d+$/i.test(alg)) {
      ctx.addIssue({
        code: 'custom',
        message: `${alg} is a shared-secret algorithm and is not allowed with a public key set; use one of ${JWT_ALGORITHMS.join(', ')}`,
      });
    } else if (!(JWT_ALGORITHMS as readonly string[]).includes(alg)) {
      ctx.addIssue({ code: 'custom', message: `must be one of ${JWT_ALGORITHMS.join(', ')}` });
    }
  })
  .transform((alg) => alg as JwtAlgorithm);

/**
 * Claims are forwarded as identity headers. Header names are case-insensitive; they are stored lower
 * case. Headers the proxy sets (forwarding, client IP, request id) are reserved: a token holder must not be able to set them.
 */
const forwardHeader = z
  .string()
  .max(64)
  .regex(/^x-[a-z0-9-]{1,62}$/i, 'must be a header name starting with x- (letters, digits, "-")')
  .transform((h) => h.toLowerCase())
  .refine((h) => !isProxySetHeader(h), {
    error: 'x-forwarded-*, x-real-ip and x-request-id are set by the proxy and cannot carry a claim',
  });

const jwks = z
  .strictObject({
    inline: z
      .strictObject({
        keys: z
          .array(z.record(z.string().max(64), z.unknown()))
          .min(1)
          .max(GATEWAY_POLICY_LIMITS.inlineKeys),
      })
      .optional(),
    secretRef: z.strictObject({ name: secretName, key: secretKey.default('jwks.json') }).optional(),
    uri: z
      .url({ protocol: /^https$/, error: 'must be an https:// URL' })
      .max(2048)
      .optional(),
  })
  .superRefine((j, ctx) => {
    const set = [j.inline, j.secretRef, j.uri].filter((v) => v !== undefined).length;
    if (set !== 1)
      ctx.addIssue({ code: 'custom', message: 'exactly one of inline, secretRef or uri is required' });
  });

const jwtProvider = z.strictObject({
  name: dnsLabel,
  issuer: z.string().min(1).max(2048),
  audiences: z
    .array(z.string().min(1).max(2048))
    .min(1)
    .max(GATEWAY_POLICY_LIMITS.audiences)
    .superRefine(...uniqueItems('audience')),
  jwks,
  algorithms: z
    .array(algorithm)
    .min(1)
    .max(JWT_ALGORITHMS.length)
    .superRefine(...uniqueItems('algorithm')),
  clockSkewSeconds: z.int().min(0).max(300).default(30),
  forwardClaims: z
    .array(z.strictObject({ claim: z.string().min(1).max(128), header: forwardHeader }))
    .max(GATEWAY_POLICY_LIMITS.forwardClaims)
    .superRefine(...uniqueItems('header', (c) => member('header')(c)?.toLowerCase()))
    .default([]),
});

/**
 * This build enforces JWT authentication only, so a policy must carry it: a policy with no control
 * at all would turn a protected tier into an open one just by attaching.
 */
export const GatewayPolicySpecSchema = z.strictObject({
  targetRefs: z.array(targetRef).min(1).max(GATEWAY_POLICY_LIMITS.targetRefs),
  enforcementMode: z.enum(ENFORCEMENT_MODES).default('Enforce'),
  authentication: z.strictObject({
    jwt: z
      .array(jwtProvider)
      .min(1)
      .max(GATEWAY_POLICY_LIMITS.jwtProviders)
      .superRefine(...uniqueItems('provider name', member('name'))),
    apiKeys: unsupported(),
    mtls: unsupported(),
  }),
  selector: unsupported(),
  authorization: unsupported(),
  rateLimits: unsupported(),
  validation: unsupported(),
  replayProtection: unsupported(),
  audit: unsupported(),
  ipRules: unsupported(),
  agents: unsupported(),
  guardrails: unsupported(),
});

export const GatewayPolicySchema = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: metadataWithName(),
  spec: GatewayPolicySpecSchema,
  status: z.unknown().optional(),
});

export type GatewayPolicySpec = z.output<typeof GatewayPolicySpecSchema>;
export type JwtProviderSpec = GatewayPolicySpec['authentication']['jwt'][number];

export function validateGatewayPolicy(object: unknown): Validated<GatewayPolicySpec> {
  const r = validateWith(GatewayPolicySchema, object);
  return r.ok ? { ok: true, value: r.value.spec } : r;
}
