import { at } from '../compiler/conditions.js';
import type { Condition, ObjectStatus } from '../compiler/types.js';
import { formatStatusTable } from './table.js';
import type { LiveAncestorStatus, LiveObjectStatus, ProgrammedCount, TimedCondition } from './types.js';

export interface StatusWriterOptions {
  /** Injected so that tests decide what time it is. */
  readonly now?: () => Date;
  /** Where the human table is printed on every change; nothing is printed without it. */
  readonly out?: NodeJS.WritableStream;
  /**
   * Called once per condition whose status, reason or message changed, with the full message (the
   * table shortens it): the controller logs these, so the log says why an object is not in force.
   */
  readonly onChange?: (change: StatusChange) => void;
}

export interface StatusChange {
  readonly object: string;
  readonly generation: number;
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

/**
 * Completes the compiler's statuses for local mode: adds lastTransitionTime (which changes only when
 * a condition's status flips, KEP-1623), the Programmed condition from proxy acks, and a Ready
 * summary for tools such as Flux's kstatus; prints the table when anything visible changed.
 */
export class StatusWriter {
  readonly #now: () => Date;
  readonly #out: NodeJS.WritableStream | undefined;
  readonly #onChange: ((change: StatusChange) => void) | undefined;
  #reported = new Map<string, string>();
  #transitions = new Map<string, { status: string; time: string }>();
  #lastTable: string | undefined;

  constructor(options: StatusWriterOptions = {}) {
    this.#now = options.now ?? (() => new Date());
    this.#out = options.out;
    this.#onChange = options.onChange;
  }

  update(
    statuses: readonly ObjectStatus[],
    programmedFor: (s: ObjectStatus) => ProgrammedCount,
  ): LiveObjectStatus[] {
    const now = rfc3339(this.#now());
    const seen = new Map<string, { status: string; time: string }>();
    const timed = (owner: string, c: Condition): TimedCondition => {
      const key = `${owner}|${c.type}`;
      const before = this.#transitions.get(key);
      const time = before !== undefined && before.status === c.status ? before.time : now;
      seen.set(key, { status: c.status, time });
      return { ...c, lastTransitionTime: time };
    };

    const out = statuses.map((s): LiveObjectStatus => {
      const owner = `${s.kind}/${s.namespace}/${s.name}`;
      const count = programmedFor(s);
      const programmed = programmedCondition(count, s.generation);
      const all = [...s.status.conditions, programmed];
      const conditions = [...all, readyCondition(all, s.generation)].map((c) => timed(owner, c));
      const ratio = `${count.programmed}/${count.total}`;
      if (s.kind === 'RouteClassification') {
        return { ...s, status: { ...s.status, programmed: ratio, conditions } };
      }
      const ancestors = s.status.ancestors.map((a): LiveAncestorStatus => ({
        ...a,
        conditions: a.conditions.map((c) => timed(`${owner}|${a.ancestorRef.name}`, c)),
      }));
      return { ...s, status: { ...s.status, programmed: ratio, ancestors, conditions } };
    });
    // Forget objects that are gone, so that a re-created one starts fresh and memory stays bounded.
    this.#transitions = seen;
    this.#report(out);
    this.#print(out);
    return out;
  }

  #report(statuses: readonly LiveObjectStatus[]): void {
    if (this.#onChange === undefined) return;
    const reported = new Map<string, string>();
    for (const s of statuses) {
      const object = `${s.kind} ${s.namespace}/${s.name}`;
      for (const c of s.status.conditions) {
        const key = `${object}|${c.type}`;
        const value = `${c.status}|${c.reason}|${c.message}`;
        reported.set(key, value);
        if (this.#reported.get(key) === value) continue;
        this.#onChange({
          object,
          generation: s.generation,
          type: c.type,
          status: c.status,
          reason: c.reason,
          message: c.message,
        });
      }
    }
    this.#reported = reported;
  }

  #print(statuses: readonly LiveObjectStatus[]): void {
    if (this.#out === undefined) return;
    const table = formatStatusTable(statuses);
    if (table === this.#lastTable) return;
    this.#lastTable = table;
    this.#out.write(table);
  }
}

function programmedCondition(count: ProgrammedCount, generation: number): Condition {
  const c = at(generation);
  // A generation that is not in force will never be programmed, however long one waits: say so,
  // rather than "Pending" or a ratio of proxies that run some other generation of the object.
  if (!count.inForce) {
    return c.false('Programmed', 'Invalid', `generation ${generation} is not accepted, so no proxy runs it`);
  }
  if (count.total === 0) return c.false('Programmed', 'Pending', 'no proxy is configured');
  const failures = count.errors ?? [];
  const why = failures.length === 0 ? '' : `; ${failures.slice(0, 3).join('; ')}`;
  const more = failures.length > 3 ? ` (and ${failures.length - 3} more)` : '';
  const ratio = `${count.programmed}/${count.total} proxies run a snapshot carrying generation ${generation}${why}${more}`;
  return count.programmed === count.total
    ? c.true('Programmed', 'Programmed', ratio)
    : c.false('Programmed', 'Pending', ratio);
}

/** A summary for tools that read one condition (Flux kstatus, Argo CD health). */
function readyCondition(conditions: readonly Condition[], generation: number): Condition {
  const failing = conditions.find((x) => x.status !== 'True');
  const c = at(generation);
  if (failing === undefined) return c.true('Ready', 'Ready', 'accepted, references resolved and programmed');
  return c.false('Ready', 'NotReady', `${failing.type} is ${failing.status}: ${failing.message}`);
}

/** metav1.Time: RFC 3339 with seconds precision. */
function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
