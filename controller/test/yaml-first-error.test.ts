import { describe, expect, it } from '@jest/globals';
import { parseYamlText } from '../src/resources/yaml.js';

describe('YAML syntax errors', () => {
  it('reports one error per broken document, the first in the text, not its cascade', () => {
    const text = [
      'kind: GatewayPolicy',
      'spec:',
      '  authentication:',
      '    jwt:',
      '      - algorithms: [ES256',
      '        clockSkewSeconds: 30',
      '        forwardClaims:',
      '          - claim: sub',
      '---',
      'kind: RouteClassification',
      'spec: {hosts: [a]',
      '',
    ].join('\n');
    const parsed = parseYamlText(text, 'p.yaml');
    expect(parsed.documents).toEqual([]);
    // One per document: each of the two documents is broken once.
    expect(parsed.errors).toHaveLength(2);
    expect(parsed.errors[0]?.line).toBeGreaterThanOrEqual(5);
    expect(parsed.errors[0]?.line).toBeLessThan(9);
    expect(parsed.errors[0]?.message).toMatch(/\]/);
    expect(parsed.errors[1]?.line).toBeGreaterThanOrEqual(11);
  });
});
