import { describe, expect, it } from '@jest/globals';
import type { Resource } from '../src/resources/model.js';
import { GenerationCounter } from '../src/runtime/generations.js';

const policy = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): Resource => ({
  kind: 'GatewayPolicy',
  namespace: 'shop',
  name: 'p',
  generation: 1,
  creationTimestamp: undefined,
  object: {
    apiVersion: 'portcullis.io/v1alpha1',
    kind: 'GatewayPolicy',
    metadata: { name: 'p', ...metadata },
    spec,
  } as never,
  origin: undefined,
});

describe('local-mode generations', () => {
  it('start at 1 and go up by one when the spec changes, as the API server counts them', () => {
    const counter = new GenerationCounter();
    expect(counter.assign([policy({ enforcementMode: 'Enforce' })])[0]?.generation).toBe(1);
    expect(counter.assign([policy({ enforcementMode: 'Enforce' })])[0]?.generation).toBe(1);
    expect(counter.assign([policy({ enforcementMode: 'Audit' })])[0]?.generation).toBe(2);
    expect(counter.assign([policy({ enforcementMode: 'Enforce' })])[0]?.generation).toBe(3);
  });

  it('do not change when only metadata changes (labels, annotations)', () => {
    const counter = new GenerationCounter();
    counter.assign([policy({ a: 1 })]);
    expect(counter.assign([policy({ a: 1 }, { labels: { team: 'x' } })])[0]?.generation).toBe(1);
  });

  it('start again at 1 for an object that was deleted and created again', () => {
    const counter = new GenerationCounter();
    counter.assign([policy({ a: 1 })]);
    counter.assign([policy({ a: 2 })]);
    counter.assign([]);
    expect(counter.assign([policy({ a: 3 })])[0]?.generation).toBe(1);
  });

  it('keep a generation the file sets itself', () => {
    const counter = new GenerationCounter();
    const explicit = { ...policy({ a: 1 }, { generation: 7 }), generation: 7 };
    expect(counter.assign([explicit])[0]?.generation).toBe(7);
  });
});
