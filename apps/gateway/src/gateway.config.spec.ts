import { readGatewayConfig } from './gateway.config.js';

const LISTEN = { host: '127.0.0.1', port: 4000 };

describe("the gateway's configuration", () => {
  it("has the README's defaults, and takes each variable", () => {
    expect(readGatewayConfig({}, LISTEN)).toEqual({
      query: { maxDepth: 12, maxComplexity: 5000 },
      rateLimit: { perSecond: 20, burst: 100 },
      requestsPerAccount: 10,
      apiKeyCacheMs: 5000,
      maxRequestBytes: 102_400,
      publicUrl: null,
      trustProxy: false,
      console: { tokenTtlMs: 60_000, idleTimeoutMs: 900_000 },
      platform: { name: 'Platform', currency: 'EUR', adminSecret: null },
      people: {
        sessionTtlMs: 43_200_000, linkTtlMs: 259_200_000, signIn: { maxFailures: 5, maxFailuresPerAddress: 50, windowMs: 900_000 },
        smtpUrl: null, mailFrom: 'Platform <no-reply@localhost>', mailRetryMs: 60_000, linkBase: 'http://127.0.0.1:4000',
      },
    });
    expect(readGatewayConfig({
      GRAPHQL_MAX_DEPTH: '8', GRAPHQL_MAX_COMPLEXITY: '900', RATE_LIMIT_PER_SECOND: '5', RATE_LIMIT_BURST: '7', GATEWAY_REQUESTS_PER_ACCOUNT: '3',
      API_KEY_CACHE_MS: '0', GATEWAY_MAX_REQUEST_BYTES: '2048', AWAN_PLATFORM_NAME: 'Nimbus Cloud', AWAN_PLATFORM_CURRENCY: 'CHF',
      AWAN_ADMIN_API_KEY: 'awan_test_admin_key_0123456789abcdef', GATEWAY_PUBLIC_URL: 'https://api.example.test', CONSOLE_TOKEN_TTL_MS: '3000',
      CONSOLE_IDLE_TIMEOUT_MS: '60000', SESSION_TTL_MS: '3600000', INVITATION_TTL_MS: '86400000', SIGN_IN_MAX_FAILURES: '3',
      SIGN_IN_MAX_FAILURES_PER_ADDRESS: '20', SIGN_IN_LOCKOUT_MS: '60000', SMTP_URL: 'smtp://mailer:secret@mail.example.test:587', SMTP_FROM: 'Nimbus <ops@nimbus.test>',
      MAIL_RETRY_MS: '5000', GATEWAY_TRUST_PROXY: 'loopback, 10.0.0.0/8,2001:db8::7',
    }, LISTEN)).toEqual({
      query: { maxDepth: 8, maxComplexity: 900 },
      rateLimit: { perSecond: 5, burst: 7 },
      requestsPerAccount: 3,
      apiKeyCacheMs: 0,
      maxRequestBytes: 2048,
      publicUrl: 'https://api.example.test',
      trustProxy: 'loopback, 10.0.0.0/8, 2001:db8::7',
      console: { tokenTtlMs: 3000, idleTimeoutMs: 60_000 },
      platform: { name: 'Nimbus Cloud', currency: 'CHF', adminSecret: 'awan_test_admin_key_0123456789abcdef' },
      people: {
        sessionTtlMs: 3_600_000, linkTtlMs: 86_400_000, signIn: { maxFailures: 3, maxFailuresPerAddress: 20, windowMs: 60_000 },
        smtpUrl: 'smtp://mailer:secret@mail.example.test:587', mailFrom: 'Nimbus <ops@nimbus.test>', mailRetryMs: 5000, linkBase: 'https://api.example.test',
      },
    });
  });

  it('trusts a number of proxies in front', () => {
    expect(readGatewayConfig({ GATEWAY_TRUST_PROXY: '2' }, LISTEN).trustProxy).toBe(2);
  });

  it.each([
    [{ GATEWAY_TRUST_PROXY: 'everyone' }, 'GATEWAY_TRUST_PROXY must be a number of proxies (1 to 10), or addresses and CIDRs of the proxies (or loopback, linklocal, uniquelocal) separated by commas, got "everyone"'],
    [{ GATEWAY_TRUST_PROXY: '10.0.0.0/33' }, 'GATEWAY_TRUST_PROXY must be a number of proxies'],
    [{ GATEWAY_TRUST_PROXY: '0' }, 'GATEWAY_TRUST_PROXY must be a number of proxies'],
    [{ GRAPHQL_MAX_DEPTH: '1' }, 'GRAPHQL_MAX_DEPTH must be a whole number from 2, got "1"'],
    [{ GRAPHQL_MAX_COMPLEXITY: 'lots' }, 'GRAPHQL_MAX_COMPLEXITY must be a whole number from 10, got "lots"'],
    [{ RATE_LIMIT_PER_SECOND: '0' }, 'RATE_LIMIT_PER_SECOND must be requests a second, at least 1, got "0"'],
    [{ RATE_LIMIT_BURST: '-1' }, 'RATE_LIMIT_BURST must be requests, at least 1, got "-1"'],
    [{ GATEWAY_REQUESTS_PER_ACCOUNT: '2.5' }, 'GATEWAY_REQUESTS_PER_ACCOUNT must be requests, at least 1, got "2.5"'],
    [{ API_KEY_CACHE_MS: '60001' }, 'API_KEY_CACHE_MS must be milliseconds, at most 60000, got "60001"'],
    [{ GATEWAY_MAX_REQUEST_BYTES: '100' }, 'GATEWAY_MAX_REQUEST_BYTES must be bytes, at least 1024, got "100"'],
    [{ AWAN_PLATFORM_NAME: ' ' }, 'AWAN_PLATFORM_NAME must be 1 to 100 characters, no control characters'],
    [{ AWAN_PLATFORM_CURRENCY: 'euro' }, 'AWAN_PLATFORM_CURRENCY must be an ISO 4217 code such as EUR, got "euro"'],
    [{ GATEWAY_PUBLIC_URL: 'api.example.test' }, 'GATEWAY_PUBLIC_URL must be http(s)://host[:port], got "api.example.test"'],
    [{ GATEWAY_PUBLIC_URL: 'https://api.example.test/v1' }, 'GATEWAY_PUBLIC_URL must be http(s)://host[:port]'],
    [{ CONSOLE_TOKEN_TTL_MS: '999' }, 'CONSOLE_TOKEN_TTL_MS must be milliseconds, from 1000 to 600000, got "999"'],
    [{ CONSOLE_IDLE_TIMEOUT_MS: 'never' }, 'CONSOLE_IDLE_TIMEOUT_MS must be milliseconds, at least 1000, got "never"'],
    [{ SESSION_TTL_MS: '10' }, 'SESSION_TTL_MS must be milliseconds, at least 1000, got "10"'],
    [{ INVITATION_TTL_MS: 'a day' }, 'INVITATION_TTL_MS must be milliseconds, at least 1000, got "a day"'],
    [{ SIGN_IN_MAX_FAILURES: '0' }, 'SIGN_IN_MAX_FAILURES must be attempts, at least 1, got "0"'],
    [{ SIGN_IN_MAX_FAILURES_PER_ADDRESS: '-3' }, 'SIGN_IN_MAX_FAILURES_PER_ADDRESS must be attempts, at least 1, got "-3"'],
    [{ SIGN_IN_LOCKOUT_MS: '5' }, 'SIGN_IN_LOCKOUT_MS must be milliseconds, at least 1000, got "5"'],
    [{ SMTP_URL: 'mail.example.test' }, 'SMTP_URL must be smtp://[user:password@]host[:port] or smtps://…'],
    [{ SMTP_FROM: 'nobody' }, 'SMTP_FROM must be an address, or Name <address>, got "nobody"'],
    [{ MAIL_RETRY_MS: '999' }, 'MAIL_RETRY_MS must be milliseconds, from 1000 to 3600000, got "999"'],
    [{ AWAN_ADMIN_API_KEY: 'short' }, 'AWAN_ADMIN_API_KEY must be 24 to 256 printable characters without spaces'],
    [{ AWAN_ADMIN_API_KEY: 'awan key with spaces in it, long enough' }, 'AWAN_ADMIN_API_KEY must be 24 to 256 printable characters without spaces'],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => readGatewayConfig(env, LISTEN)).toThrow(message);
  });

  it("points links in mail at the gateway's own address without GATEWAY_PUBLIC_URL, never at a request's Host", () => {
    expect(readGatewayConfig({ GATEWAY_PUBLIC_URL: 'https://cloud.example.test/' }, LISTEN).people.linkBase).toBe('https://cloud.example.test');
    expect(readGatewayConfig({}, { host: '0.0.0.0', port: 8080 }).people.linkBase).toBe('http://localhost:8080');
    expect(readGatewayConfig({}, { host: '::', port: 8080 }).people.linkBase).toBe('http://localhost:8080');
    expect(readGatewayConfig({}, { host: '2001:db8::7', port: 4000 }).people.linkBase).toBe('http://[2001:db8::7]:4000');
  });

  it('does not repeat a refused ADMIN key, which would end up in a log', () => {
    const refusal = (() => {
      try {
        readGatewayConfig({ AWAN_ADMIN_API_KEY: 'hunter2 with a space' }, LISTEN);
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(refusal).toMatch(/^AWAN_ADMIN_API_KEY must be/);
    expect(refusal).not.toContain('hunter2');
  });
});
