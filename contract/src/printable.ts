import { createHash } from 'node:crypto';
import type { Snapshot } from './snapshot.js';

/**
 * The form of a snapshot that may be logged or printed. Key material is replaced by a short
 * fingerprint: public keys are not secret, but they are noise, and this is the one place where
 * secret-bearing fields (API key hashes, later) are redacted before anything reaches a log.
 */
export function printableSnapshot(snapshot: Snapshot): unknown {
  return {
    ...snapshot,
    policies: snapshot.policies.map((p) => ({
      ...p,
      authentication: {
        ...p.authentication,
        jwt: p.authentication.jwt.map((provider) => ({
          ...provider,
          keys: provider.keys.map((k) => ({ kty: k.kty, kid: k.kid, fingerprint: fingerprint(k) })),
        })),
      },
    })),
  };
}

function fingerprint(value: unknown): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16)}`;
}
