import type { Identity, Viewer } from '../identity/identity.js';
import { Authenticator } from './authenticator.js';
import { RefusedRequest, RequestLimits, UNKNOWN_CREDENTIALS_BURST } from './request-limits.js';

/** An identity whose keys are `key-<n>`; it counts the lookups that reach it (each a query of the database). */
function identityOfKeys() {
  const asked: string[] = [];
  const identity = {
    asked,
    authenticate: async (secret: string) => {
      asked.push(secret);
      return secret.startsWith('key-') ? ({ apiKeyId: secret, accountId: 'a1' } as Viewer) : null;
    },
    touch: async () => undefined,
  };
  return identity;
}

const authenticatorOf = (identity: ReturnType<typeof identityOfKeys>) =>
  new Authenticator(identity as unknown as Identity, new RequestLimits({ perSecond: 20, burst: 100, requestsPerAccount: 10 }), {
    cacheMs: 60_000, touchEveryMs: 60_000, onTouchError: () => undefined,
  });
const bearer = (secret: string) => `Bearer ${secret}`;

describe('API keys the gateway does not know', () => {
  it("are looked up only within their address's allowance, then refused RATE_LIMITED without a lookup", async () => {
    const identity = identityOfKeys();
    const authenticator = authenticatorOf(identity);
    await expect(authenticator.viewerOf(bearer('key-1'), '198.51.100.7')).resolves.toMatchObject({ apiKeyId: 'key-1' });

    for (let i = 0; i < UNKNOWN_CREDENTIALS_BURST; i++) await expect(authenticator.viewerOf(bearer(`made-up-${i}`), '198.51.100.7')).resolves.toBeNull();
    const refused = await authenticator.viewerOf(bearer('made-up-last'), '198.51.100.7').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RefusedRequest);
    expect((refused as RefusedRequest).refusal).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(identity.asked).toHaveLength(1 + UNKNOWN_CREDENTIALS_BURST);

    // A key it knows still answers from that address, with no lookup; another address has its own allowance.
    await expect(authenticator.viewerOf(bearer('key-1'), '198.51.100.7')).resolves.toMatchObject({ apiKeyId: 'key-1' });
    await expect(authenticator.viewerOf(bearer('made-up-elsewhere'), '198.51.100.8')).resolves.toBeNull();
    expect(identity.asked).toHaveLength(2 + UNKNOWN_CREDENTIALS_BURST);
  });

  it('spend nothing of the allowance where they are real: a storefront with many customers\' keys behind one address', async () => {
    const identity = identityOfKeys();
    const authenticator = authenticatorOf(identity);
    for (let i = 0; i < 4 * UNKNOWN_CREDENTIALS_BURST; i++) {
      await expect(authenticator.viewerOf(bearer(`key-${i}`), '2001:db8::1')).resolves.toMatchObject({ apiKeyId: `key-${i}` });
    }
  });

  it("cost one lookup and one token for a client's burst with one key, real or made-up, however many requests it holds", async () => {
    const identity = identityOfKeys();
    const authenticator = authenticatorOf(identity);
    const burst = (secret: string) => Promise.all(Array.from({ length: 4 * UNKNOWN_CREDENTIALS_BURST }, () => authenticator.viewerOf(bearer(secret), '198.51.100.7')));
    // Terraform's parallel calls with a key this replica has not cached (its first use, or its cache entry just ended).
    const viewers = await burst('key-1');
    expect(viewers.every((viewer) => viewer?.apiKeyId === 'key-1')).toBe(true);
    const made = await burst('made-up');
    expect(made.every((viewer) => viewer === null)).toBe(true);
    expect(identity.asked).toEqual(['key-1', 'made-up']);
    // The made-up key's burst spent one token of the address's allowance: the rest of it is still there.
    for (let i = 1; i < UNKNOWN_CREDENTIALS_BURST; i++) await expect(authenticator.viewerOf(bearer(`made-up-${i}`), '198.51.100.7')).resolves.toBeNull();
    await expect(authenticator.viewerOf(bearer('made-up-last'), '198.51.100.7')).rejects.toBeInstanceOf(RefusedRequest);
  });

  it('never push a known key out of the cache, however many come', async () => {
    const identity = identityOfKeys();
    const authenticator = authenticatorOf(identity);
    await authenticator.viewerOf(bearer('key-1'), '198.51.100.7');
    // More made-up keys than the cache holds, each from an address of its own (a /64 each).
    for (let i = 0; i < 10_001; i++) await authenticator.viewerOf(bearer(`made-up-${i}`), `2001:db8:${i.toString(16)}::1`);
    const asked = identity.asked.length;
    await expect(authenticator.viewerOf(bearer('key-1'), '198.51.100.7')).resolves.toMatchObject({ apiKeyId: 'key-1' });
    expect(identity.asked).toHaveLength(asked);
  });

  it('are looked up again once cached as unknown for cacheMs, when forgotten (a key just made on this replica)', async () => {
    const identity = identityOfKeys();
    const authenticator = authenticatorOf(identity);
    await expect(authenticator.viewerOf(bearer('made-up'), '198.51.100.7')).resolves.toBeNull();
    await expect(authenticator.viewerOf(bearer('made-up'), '198.51.100.7')).resolves.toBeNull();
    expect(identity.asked).toEqual(['made-up']);
    authenticator.forget();
    await authenticator.viewerOf(bearer('made-up'), '198.51.100.7');
    expect(identity.asked).toEqual(['made-up', 'made-up']);
  });
});
