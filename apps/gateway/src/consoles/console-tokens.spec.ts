import { consoleOriginOf } from './console-tokens.js';

describe("a console's URL", () => {
  it('is on the gateway as the caller reached it, or as GATEWAY_PUBLIC_URL names it (https: wss)', () => {
    expect(consoleOriginOf(null, '127.0.0.1:4000')).toBe('ws://127.0.0.1:4000');
    expect(consoleOriginOf('https://api.example.test/', '10.0.0.1:4000')).toBe('wss://api.example.test');
    expect(consoleOriginOf('http://gw.example.test:8080', undefined)).toBe('ws://gw.example.test:8080');
  });
});
