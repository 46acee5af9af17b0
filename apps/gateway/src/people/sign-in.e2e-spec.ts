import { createClient, type Client } from 'graphql-ws';
import { request as httpRequest } from 'node:http';
import pg from 'pg';
import WebSocket from 'ws';
import { FakeSmtpServer, GraphqlClient, startTestAwan, type TestAwan } from '#libs/testing';

const PASSWORD = 'correct horse battery staple';

interface Answer {
  status: number;
  body: any;
  cookies: string[];
}

/**
 * People sign in, through the whole system (no hypervisor): invited by a key, the link mailed
 * over SMTP (a fake server of the test's own), a password set from it, sign-in with the session
 * cookie, GraphQL with the cookie and its CSRF token, and every way a cookie stops counting.
 */
describe('people sign in', () => {
  let smtp: FakeSmtpServer;
  let awan: TestAwan;
  let base: string;
  let admin: GraphqlClient;
  let database: pg.Client;
  const accounts: Record<'acme' | 'beta', { id: string; key: string }> = {} as never;
  let acmeFirewall: string;

  async function call(method: 'GET' | 'POST', path: string, options: { body?: unknown; cookie?: string; csrf?: string; key?: string; origin?: string; contentType?: string } = {}): Promise<Answer> {
    const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/json' };
    if (options.cookie) headers.cookie = options.cookie;
    if (options.csrf) headers['x-csrf-token'] = options.csrf;
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    if (options.origin) headers.origin = options.origin;
    const response = await fetch(`${base}${path}`, { method, headers, body: method === 'POST' ? JSON.stringify(options.body ?? {}) : undefined });
    return { status: response.status, body: await response.json(), cookies: response.headers.getSetCookie() };
  }

  const graphql = (query: string, options: { cookie?: string; csrf?: string; origin?: string }) => call('POST', '/graphql', { body: { query }, ...options });

  /**
   * Invites a person by `key`, reads the link from the mail the fake SMTP server took (tried again
   * where it was refusing: the answer says it was not sent), and sets the password from it.
   */
  async function invite(key: string, accountId: string, email: string, role = 'CUSTOMER') {
    const refused = smtp.refusing;
    const invited = await call('POST', '/auth/invitations', { key, body: { accountId, email, name: email.split('@')[0], role } });
    expect(invited.status).toBe(201);
    expect(invited.body.mailSent).toBe(refused === 0);
    const token = new URL(await smtp.linkTo(email, 1)).searchParams.get('token')!;
    expect((await call('POST', '/auth/password', { body: { token, password: PASSWORD } })).status).toBe(200);
    // The link works once.
    expect(await call('POST', '/auth/password', { body: { token, password: PASSWORD } })).toMatchObject({ status: 400, body: { errors: [{ extensions: { code: 'BAD_USER_INPUT', field: 'token' } }] } });
    return invited.body.user as { id: string };
  }

  /** Signs in; the session's cookie (as a Cookie header) and its CSRF token. */
  async function signIn(email: string): Promise<{ cookie: string; csrf: string; sessionCookie: string }> {
    const answer = await call('POST', '/auth/sign-in', { body: { email, password: PASSWORD } });
    expect(answer.status).toBe(200);
    const session = answer.cookies.find((c) => c.startsWith('awan_session='))!;
    const csrf = answer.cookies.find((c) => c.startsWith('awan_csrf='))!;
    return { cookie: [session, csrf].map((c) => c.split(';')[0]).join('; '), csrf: answer.body.csrfToken, sessionCookie: session };
  }

  /**
   * A graphql-ws socket as a browser on the gateway's page opens one: the session cookie with its
   * upgrade, the CSRF token as a connection parameter. Resolves 'connected', or the code it was closed with.
   */
  function subscriber(cookie: string, csrfToken: string): { client: Client; opened: Promise<'connected' | number>; closed: Promise<number> } {
    class CookieSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { headers: { cookie } });
      }
    }
    let closed!: (code: number) => void;
    const closing = new Promise<number>((resolve) => (closed = resolve));
    let opened!: (outcome: 'connected' | number) => void;
    const opening = new Promise<'connected' | number>((resolve) => (opened = resolve));
    const client = createClient({
      url: awan.url.replace(/^http/, 'ws'), webSocketImpl: CookieSocket, connectionParams: { csrfToken }, lazy: false, retryAttempts: 0, onNonLazyError: () => undefined,
      on: {
        connected: () => opened('connected'),
        closed: (event) => {
          opened((event as { code: number }).code);
          closed((event as { code: number }).code);
        },
      },
    });
    return { client, opened: opening, closed: closing };
  }

  beforeAll(async () => {
    smtp = await FakeSmtpServer.start();
    awan = await startTestAwan('signin', { SMTP_URL: smtp.url, SIGN_IN_MAX_FAILURES: '3', MAIL_RETRY_MS: '2000' }, { localAgent: false });
    base = awan.url.replace(/\/graphql$/, '');
    admin = new GraphqlClient(awan.url, awan.adminKey);
    for (const name of ['acme', 'beta'] as const) {
      const { createAccount } = await admin.data<{ createAccount: { account: { id: string }; apiKey: { secret: string } } }>(
        `mutation { createAccount(input: { name: "${name}", kind: CUSTOMER }) { account { id } apiKey { secret } } }`,
      );
      accounts[name] = { id: createAccount.account.id, key: createAccount.apiKey.secret };
    }
    const acme = admin.as(accounts.acme.key);
    acmeFirewall = (await acme.data<{ createFirewall: { id: string } }>(
      'mutation { createFirewall(input: { name: "web", rules: [{ direction: INGRESS, protocol: TCP, ports: "22", addresses: ["0.0.0.0/0"] }] }) { id } }',
    )).createFirewall.id;
    database = new pg.Client({ connectionString: awan.databaseUrl });
    await database.connect();
  }, 240_000);

  afterAll(async () => {
    await database?.end();
    await awan?.stop();
    await smtp?.stop();
  });

  it('invites (by ADMIN, and by an account of its own), signs in, and GraphQL takes the cookie with its CSRF token only', async () => {
    await invite(awan.adminKey, accounts.acme.id, 'ana@acme.test');
    // An account's own key invites into it; FINANCE never, nor into another tenant's account.
    await invite(accounts.beta.key, accounts.beta.id, 'bo@beta.test');
    expect(await call('POST', '/auth/invitations', { key: accounts.beta.key, body: { accountId: accounts.acme.id, email: 'eve@beta.test', name: 'Eve', role: 'CUSTOMER' } }))
      .toMatchObject({ status: 404, body: { errors: [{ extensions: { code: 'NOT_FOUND' } }] } });
    expect(await call('POST', '/auth/invitations', { key: accounts.beta.key, body: { accountId: accounts.beta.id, email: 'not-an-email', name: 'Eve', role: 'CUSTOMER' } }))
      .toMatchObject({ status: 400, body: { errors: [{ extensions: { code: 'BAD_USER_INPUT', field: 'email' } }] } });
    // A NUL, which PostgreSQL cannot hold, is refused naming its field: by anyone's sign-in or reset too.
    const nul = { status: 400, body: { errors: [{ message: 'email: must not contain NUL characters (U+0000)', extensions: { code: 'BAD_USER_INPUT', field: 'email' } }] } };
    expect(await call('POST', '/auth/invitations', { key: accounts.beta.key, body: { accountId: accounts.beta.id, email: 'e\u0000ve@beta.test', name: 'Eve', role: 'CUSTOMER' } })).toMatchObject(nul);
    expect(await call('POST', '/auth/sign-in', { body: { email: 'a\u0000na@acme.test', password: 'not the password' } })).toMatchObject(nul);
    expect(await call('POST', '/auth/password-reset', { body: { email: 'a\u0000na@acme.test' } })).toMatchObject(nul);
    // In a path too, and a lone surrogate (no character at all) likewise: a storefront's public endpoints are anyone's.
    expect(await call('GET', '/store/%00/catalog')).toMatchObject({ status: 400, body: { errors: [{ extensions: { code: 'BAD_USER_INPUT', field: 'slug' } }] } });
    expect(await call('POST', '/auth/sign-in', { body: { email: 'a\ud800@acme.test', password: 'not the password' } })).toMatchObject({
      status: 400, body: { errors: [{ message: 'email: must be well-formed Unicode: it holds a lone UTF-16 surrogate', extensions: { code: 'BAD_USER_INPUT', field: 'email' } }] },
    });

    expect(await call('POST', '/auth/sign-in', { body: { email: 'ana@acme.test', password: 'not the password' } })).toMatchObject({
      status: 401, body: { errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] },
    });
    const ana = await signIn('ana@acme.test');
    expect(ana.sessionCookie).toMatch(/HttpOnly/);
    expect(ana.sessionCookie).toMatch(/SameSite=Strict/);
    expect(ana.sessionCookie).not.toMatch(/Secure/); // 127.0.0.1: a browser keeps no Secure cookie over plain http there
    expect((await call('GET', '/auth/session', { cookie: ana.cookie })).body.user).toMatchObject({ email: 'ana@acme.test', role: 'CUSTOMER', accountId: accounts.acme.id });

    const query = `{ me { id } firewalls { totalCount } firewall(id: "${acmeFirewall}") { name } }`;
    expect(await graphql(query, { cookie: ana.cookie, csrf: ana.csrf })).toMatchObject({
      status: 200, body: { data: { me: { id: accounts.acme.id }, firewalls: { totalCount: 1 }, firewall: { name: 'web' } } },
    });
    // Without the CSRF token, with another session's, or from another origin: refused.
    for (const refused of [{ cookie: ana.cookie }, { cookie: ana.cookie, csrf: 'x'.repeat(43) }, { cookie: ana.cookie, csrf: ana.csrf, origin: 'https://evil.example' }]) {
      expect(await graphql(query, refused)).toMatchObject({ status: 403, body: { errors: [{ extensions: { code: 'FORBIDDEN' } }] } });
    }
    // The invoice documents take the cookie as they take a key: another tenant's (or no) invoice is NOT_FOUND, not UNAUTHENTICATED.
    expect(await call('GET', '/invoices/00000000-0000-4000-8000-000000000000.csv', { cookie: ana.cookie })).toMatchObject({ status: 404, body: { errors: [{ extensions: { code: 'NOT_FOUND' } }] } });
    // Subscriptions: the cookie with the session's CSRF token opens a socket; with another token, none.
    const listening = subscriber(ana.cookie, ana.csrf);
    expect(await listening.opened).toBe('connected');
    await listening.client.dispose();
    const refusedSocket = subscriber(ana.cookie, 'x'.repeat(43));
    expect(await refusedSocket.opened).toBe(4403);
    await refusedSocket.client.dispose();
    // While the session cannot be looked up (its table locked past the gateway's lock timeout), a request
    // is UNAVAILABLE and a socket is told to try again (1013), not refused as if the session were bad.
    await database.query('BEGIN; LOCK TABLE identity.sessions IN ACCESS EXCLUSIVE MODE');
    try {
      const locked = subscriber(ana.cookie, ana.csrf);
      const [request, socket] = await Promise.all([graphql(query, { cookie: ana.cookie, csrf: ana.csrf }), locked.opened]);
      expect(request).toMatchObject({ body: { errors: [{ extensions: { code: 'UNAVAILABLE' } }] } });
      expect(socket).toBe(1013);
      await locked.client.dispose();
    } finally {
      await database.query('COMMIT');
    }
    // A form post, as another site's page could make a browser send, is not executed.
    expect((await call('POST', '/graphql', { cookie: ana.cookie, csrf: ana.csrf, contentType: 'application/x-www-form-urlencoded' })).status).toBe(415);
  }, 60_000);

  it("shows a second account's person none of the first's", async () => {
    const bo = await signIn('bo@beta.test');
    const answer = await graphql(`{ me { id } firewalls { totalCount } firewall(id: "${acmeFirewall}") { name } accounts { totalCount } account(id: "${accounts.acme.id}") { id } }`, bo);
    expect(answer.body.data).toMatchObject({ me: { id: accounts.beta.id }, firewalls: { totalCount: 0 }, accounts: { totalCount: 1 }, account: null });
    expect(answer.body.data.firewall ?? null).toBeNull();
    expect((await call('GET', '/auth/users', { cookie: bo.cookie })).body.users.map((u: { email: string }) => u.email)).toEqual(['bo@beta.test']);
  }, 60_000);

  it('ends a session at sign-out, and refuses one past its expiry', async () => {
    const ana = await signIn('ana@acme.test');
    const listening = subscriber(ana.cookie, ana.csrf);
    expect(await listening.opened).toBe('connected');
    expect((await call('POST', '/auth/sign-out', { cookie: ana.cookie })).status).toBe(403); // sign-out wants the CSRF token too
    const out = await call('POST', '/auth/sign-out', { cookie: ana.cookie, csrf: ana.csrf });
    expect(out).toMatchObject({ status: 200, body: { signedOut: true } });
    expect(out.cookies.some((c) => /^awan_session=;.*Max-Age=0/.test(c))).toBe(true);
    expect(await graphql('{ me { id } }', ana)).toMatchObject({ body: { errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] } });
    // Its socket is closed as a revoked key's is, within the key cache's time (API_KEY_CACHE_MS, 5 s).
    expect(await Promise.race([listening.closed, new Promise((resolve) => setTimeout(resolve, 15_000, 'still open'))])).toBe(4401);
    await listening.client.dispose();

    const bo = await signIn('bo@beta.test');
    expect((await graphql('{ me { id } }', bo)).body.data).toEqual({ me: { id: accounts.beta.id } });
    const { rowCount } = await database.query(
      "UPDATE identity.sessions SET expires_at = now() - interval '1 second' WHERE ended_at IS NULL AND expires_at > now() AND user_id = (SELECT id FROM identity.users WHERE email_key = 'bo@beta.test')",
    );
    expect(rowCount).toBeGreaterThan(0);
    expect(await graphql('{ me { id } }', bo)).toMatchObject({ body: { errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] } });
    expect((await call('GET', '/auth/session', { cookie: bo.cookie })).status).toBe(401);
  }, 60_000);

  it("mails links at the gateway's own address, whatever Host a request names", async () => {
    /** A POST with another Host, as anyone can send one to a gateway reached directly (no Origin: not a browser's). */
    const posted = (path: string, body: unknown, key?: string) => new Promise<number>((resolve, reject) => {
      const url = new URL(path, base);
      const sent = httpRequest(url, {
        method: 'POST',
        headers: { host: 'attacker.example', 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      }, (response) => {
        response.resume();
        resolve(response.statusCode!);
      });
      sent.on('error', reject);
      sent.end(JSON.stringify(body));
    });
    const linkIn = async (email: string, count: number) => (await smtp.linkTo(email, count)).split('/set-password')[0];
    expect(await posted('/auth/invitations', { accountId: accounts.acme.id, email: 'cy@acme.test', name: 'Cy', role: 'CUSTOMER' }, accounts.acme.key)).toBe(201);
    expect(await linkIn('cy@acme.test', 1)).toBe(base);
    // A reset, asked by anyone for someone's email: the link, and its token, go to the gateway and nowhere else.
    await database.query("UPDATE identity.user_links SET created_at = now() - interval '2 minutes'"); // past the one link a minute
    expect(await posted('/auth/password-reset', { email: 'cy@acme.test' })).toBe(202);
    expect(await linkIn('cy@acme.test', 2)).toBe(base);
  }, 60_000);

  it('sends an invitation and a reset the mail server refused once it takes mail again, and their links set the password', async () => {
    smtp.refusing = 1;
    await invite(accounts.beta.key, accounts.beta.id, 'dee@beta.test');
    await database.query("UPDATE identity.user_links SET created_at = now() - interval '2 minutes'"); // past the one link a minute
    smtp.refusing = 2;
    expect((await call('POST', '/auth/password-reset', { body: { email: 'dee@beta.test' } })).status).toBe(202);
    // Refused at once and 2 s later; taken 4 s after that.
    const link = await smtp.linkTo('dee@beta.test', 2);
    expect(smtp.refusing).toBe(0);
    const token = new URL(link).searchParams.get('token')!;
    expect((await call('POST', '/auth/password', { body: { token, password: 'a password after the wait' } })).status).toBe(200);
    expect((await call('POST', '/auth/sign-in', { body: { email: 'dee@beta.test', password: 'a password after the wait' } })).status).toBe(200);
  }, 60_000);

  it('locks an email out after repeated failures, even for the right password', async () => {
    for (let i = 0; i < 3; i++) expect((await call('POST', '/auth/sign-in', { body: { email: 'ana@acme.test', password: 'wrong again!' } })).status).toBe(401);
    const locked = await fetch(`${base}/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ana@acme.test', password: PASSWORD }) });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await locked.json()).toMatchObject({ errors: [{ extensions: { code: 'RATE_LIMITED' } }] });
    // Another person signs in from the same address meanwhile.
    expect((await call('POST', '/auth/sign-in', { body: { email: 'bo@beta.test', password: PASSWORD } })).status).toBe(200);
  }, 60_000);
});
