import type { ConditionReason, ConditionType } from '@portcullis/contract';
import { problemText } from '../resources/field-path.js';
import type { Problem } from '../resources/field-path.js';
import type { Condition, ConditionStatus } from './types.js';

/** metav1.Condition allows 32768 characters; a status that long helps nobody, so we stop far earlier. */
const MAX_MESSAGE = 4096;
const MAX_PROBLEMS_SHOWN = 8;

/**
 * Conditions for one generation of one object: `at(gen).false('Accepted', 'Invalid', message)`.
 * Binding the generation once keeps observedGeneration from ever disagreeing between conditions.
 */
export function at(observedGeneration: number) {
  const make =
    (status: ConditionStatus) =>
    (type: ConditionType, reason: ConditionReason, message: string): Condition => ({
      type,
      status,
      reason,
      message: clip(message),
      observedGeneration,
    });
  return { true: make('True'), false: make('False'), unknown: make('Unknown') };
}

/** `spec.a: x; spec.b: y (and 3 more)` — every message starts with the field path it is about. */
export function joinProblems(problems: readonly Problem[]): string {
  const shown = problems.slice(0, MAX_PROBLEMS_SHOWN).map(problemText).join('; ');
  const more = problems.length - MAX_PROBLEMS_SHOWN;
  return more > 0 ? `${shown} (and ${more} more)` : shown;
}

export function clip(message: string): string {
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE - 1)}…`;
}

/**
 * The tail of a message whose object keeps an older generation in force. Written here once, with
 * the pattern that finds it again: the status table keeps this tail when it shortens a message.
 */
export function staysInForce(generation: number): string {
  return `; generation ${generation} stays in force`;
}
export const STAYS_IN_FORCE_TAIL = /; (generation \d+ stays in force)$/;
