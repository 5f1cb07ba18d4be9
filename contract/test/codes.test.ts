import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { ADMIN_REJECT_CODES, CONDITION_REASONS, DENY_CODES } from '@portcullis/contract';

const doc = readFileSync(new URL('../../docs/codes.md', import.meta.url), 'utf8');

/** The rows of the markdown table that follows `heading`: first cell and (if present) second cell. */
function tableRows(heading: string): Map<string, string> {
  const start = doc.indexOf(heading);
  if (start < 0) throw new Error(`docs/codes.md has no section "${heading}"`);
  const rest = doc.slice(start + heading.length);
  const end = rest.search(/\n## /);
  const section = end < 0 ? rest : rest.slice(0, end);
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const m = /^\|\s*`([A-Za-z]+)`\s*\|\s*([^|]+?)\s*\|/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) rows.set(m[1], m[2].trim());
  }
  return rows;
}

describe('the code catalogue and docs/codes.md', () => {
  it.each([
    ['## Deny codes', DENY_CODES],
    ['## Admin reject codes', ADMIN_REJECT_CODES],
  ] as const)(
    '%s: every code is documented with its HTTP status, and nothing else is',
    (heading, catalogue) => {
      const rows = tableRows(heading);
      expect([...rows.keys()].sort()).toEqual(Object.keys(catalogue).sort());
      for (const [code, entry] of Object.entries(catalogue))
        expect(rows.get(code)).toBe(String(entry.status));
    },
  );

  it('every condition reason is documented, and nothing else is', () => {
    expect([...tableRows('## Condition reasons').keys()].sort()).toEqual(
      Object.keys(CONDITION_REASONS).sort(),
    );
  });

  it('deny statuses are client or server errors, never a success', () => {
    for (const { status } of Object.values(DENY_CODES)) expect(status).toBeGreaterThanOrEqual(400);
  });
});
