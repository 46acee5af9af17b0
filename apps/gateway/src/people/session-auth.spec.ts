import { AppError } from '#libs/contracts';
import type { SessionHolder } from './people.js';
import { RefusedRequest, RequestLimits, UNKNOWN_CREDENTIALS_BURST } from '../auth/request-limits.js';
import { hashSecret } from '../identity/identity.js';
import { SessionAuth } from './session-auth.js';

const TOKEN = 's'.repeat(43);
const CSRF = 'c'.repeat(43);
const holder = { csrfHash: hashSecret(CSRF), viewer: { apiKeyId: 'session:1' } } as unknown as SessionHolder;
let lookups = 0;
const people = { session: async (token: string) => (lookups++, token === TOKEN ? holder : null) };
const limits = () => new RequestLimits({ perSecond: 20, burst: 100, requestsPerAccount: 10 });
const auth = new SessionAuth(people, limits(), null);
const headers = (extra: Record<string, string> = {}, ip = '192.0.2.1') => ({ headers: { host: 'localhost:4000', cookie: `other=1; awan_session=${TOKEN}`, ...extra }, ip });
const codeOf = (promise: Promise<unknown>) => promise.then(() => 'accepted', (error: AppError) => `${error.code}: ${error.message.split(':')[0]}`);

describe('a session cookie', () => {
  it("counts with the session's CSRF token from the gateway's own origin", async () => {
    await expect(auth.holderOf(headers({ 'x-csrf-token': CSRF }))).resolves.toBe(holder);
    await expect(auth.holderOf(headers({ 'x-csrf-token': CSRF, origin: 'http://localhost:4000' }))).resolves.toBe(holder);
    await expect(auth.holderOf(headers(), { checkCsrf: true, csrf: CSRF })).resolves.toBe(holder); // a socket's connection parameter
  });

  it('is refused without the token, with another, or from another origin (FORBIDDEN, naming what is missing)', async () => {
    expect(await codeOf(auth.holderOf(headers()))).toBe('FORBIDDEN: x-csrf-token');
    expect(await codeOf(auth.holderOf(headers({ 'x-csrf-token': 'x'.repeat(43) })))).toBe('FORBIDDEN: x-csrf-token');
    expect(await codeOf(auth.holderOf(headers({ 'x-csrf-token': CSRF, origin: 'https://evil.example' })))).toBe('FORBIDDEN: origin');
    expect(await codeOf(auth.holderOf(headers({ origin: 'https://evil.example' }), { checkCsrf: false }))).toBe('FORBIDDEN: origin');
  });

  it('is no caller without a cookie (undefined), and an unknown session is null', async () => {
    await expect(auth.holderOf({ headers: { host: 'localhost:4000' } })).resolves.toBeUndefined();
    await expect(auth.holderOf(headers({ cookie: `awan_session=${'u'.repeat(43)}`, 'x-csrf-token': CSRF }))).resolves.toBeNull();
    await expect(auth.holderOf(headers(), { checkCsrf: false })).resolves.toBe(holder); // a safe read (GET) asks no token
  });
});

describe('session cookies that name no session', () => {
  it("are looked up only within their address's allowance, then refused RATE_LIMITED without asking; live sessions cost none of it", async () => {
    const own = new SessionAuth(people, limits(), null);
    const madeUp = (i: number, ip: string) => headers({ cookie: `awan_session=${String(i).padStart(43, 'u')}`, 'x-csrf-token': CSRF }, ip);
    // A signed-in person's requests from that address, however many, spend nothing.
    for (let i = 0; i < 3 * UNKNOWN_CREDENTIALS_BURST; i++) await expect(own.holderOf(headers({ 'x-csrf-token': CSRF }, '198.51.100.7'))).resolves.toBe(holder);
    lookups = 0;
    for (let i = 0; i < UNKNOWN_CREDENTIALS_BURST; i++) await expect(own.holderOf(madeUp(i, '198.51.100.7'))).resolves.toBeNull();
    const refused = await own.holderOf(madeUp(-1, '198.51.100.7')).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RefusedRequest);
    expect((refused as RefusedRequest).refusal).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(lookups).toBe(UNKNOWN_CREDENTIALS_BURST);
    // Another address has its own allowance.
    await expect(own.holderOf(madeUp(-2, '198.51.100.8'))).resolves.toBeNull();
  });
});
