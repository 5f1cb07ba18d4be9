import type { DenyCode } from '@portcullis/contract';

/**
 * What a pipeline stage decided. Never a boolean: a denial always carries a catalogue code (what the
 * client sees) and a reason (what only the log sees), so no stage can "forget" to say why it refused.
 */
export type Decision =
  { readonly kind: 'continue' } | { readonly kind: 'deny'; readonly code: DenyCode; readonly reason: string };

export const CONTINUE: Decision = Object.freeze({ kind: 'continue' });

export function deny(code: DenyCode, reason: string): Decision {
  return { kind: 'deny', code, reason };
}
