import { AppError } from '#libs/contracts';
import type { SessionHolder } from './people.js';
import { hashSecret } from '../identity/identity.js';
import { SessionAuth } from './session-auth.js';

const TOKEN = 's'.repeat(43);
const CSRF = 'c'.repeat(43);
const holder = { csrfHash: hashSecret(CSRF), viewer: { apiKeyId: 'session:1' } } as unknown as SessionHolder;
const people = { session: async (token: string) => (token === TOKEN ? holder : null) };
const auth = new SessionAuth(people, null);
const headers = (extra: Record<string, string> = {}) => ({ host: 'localhost:4000', cookie: `other=1; awan_session=${TOKEN}`, ...extra });
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
    await expect(auth.holderOf({ host: 'localhost:4000' })).resolves.toBeUndefined();
    await expect(auth.holderOf({ host: 'localhost:4000', cookie: `awan_session=${'u'.repeat(43)}`, 'x-csrf-token': CSRF })).resolves.toBeNull();
    await expect(auth.holderOf(headers(), { checkCsrf: false })).resolves.toBe(holder); // a safe read (GET) asks no token
  });
});
