import { describe, expect, it } from '@jest/globals';
import { originsMissingDemo } from '../src/cli/demo-reach.js';

const route = (url: string) => ({ upstream: { url, timeoutMs: 5000 } });

describe('originsMissingDemo (up --upstream-port sanity check)', () => {
  it('is quiet when a route points at the demo upstream, whatever loopback name it uses', () => {
    expect(originsMissingDemo([route('http://127.0.0.1:9000')], 'http://127.0.0.1:9000')).toBeUndefined();
    expect(
      originsMissingDemo([route('http://localhost:9000/base')], 'http://127.0.0.1:9000'),
    ).toBeUndefined();
    expect(
      originsMissingDemo(
        [route('https://api.example'), route('http://127.0.0.1:9000')],
        'http://127.0.0.1:9000',
      ),
    ).toBeUndefined();
  });

  it('names the origins in use when no route reaches the demo upstream', () => {
    expect(
      originsMissingDemo(
        [route('http://127.0.0.1:9000/a'), route('http://127.0.0.1:9000/b'), route('https://api.example')],
        'http://127.0.0.1:9001',
      ),
    ).toEqual(['http://127.0.0.1:9000', 'https://api.example']);
  });

  it('compares ports as the client will use them (default ports, scheme)', () => {
    expect(originsMissingDemo([route('http://127.0.0.1')], 'http://127.0.0.1:80')).toBeUndefined();
    expect(originsMissingDemo([route('https://127.0.0.1:9000')], 'http://127.0.0.1:9000')).toEqual([
      'https://127.0.0.1:9000',
    ]);
  });

  it('has nothing to judge when there are no routes', () => {
    expect(originsMissingDemo([], 'http://127.0.0.1:9001')).toBeUndefined();
  });
});
