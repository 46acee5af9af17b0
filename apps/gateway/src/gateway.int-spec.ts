import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { buildClientSchema, buildSchema, getIntrospectionQuery, type IntrospectionQuery } from 'graphql';
import { serverAudits } from 'graphql-http';
import { createClient } from 'graphql-ws';
import { WebSocket } from 'ws';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { createServiceDatabase, runBuilt, waitFor, type Fixture, type ServiceDatabase } from '#libs/testing';
import { freePort, startNatsServer, type EmbeddedServer } from '../../../scripts/embedded-servers.js';
import { schemaDifferences } from './graphql/schema-differences.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const ADMIN_KEY = 'awan_test_admin_key_0123456789abcdef';

interface GraphqlResponse<T = Record<string, any>> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string; field?: string } }[];
}

/**
 * The gateway alone, as a built process on its own database and its own NATS (no compute,
 * network or billing answers there): the schema, GraphQL over HTTP, identity, and the protections.
 */
describe('the gateway', () => {
  let nats: EmbeddedServer;
  let natsDir: string;
  let database: ServiceDatabase;
  const gateways: Fixture[] = [];
  let url: string;

  async function startGateway(env: Record<string, string>): Promise<string> {
    const port = await freePort();
    const gateway = runBuilt('dist/apps/gateway/src/main.js', { DATABASE_URL: database.url, NATS_URL: nats.url, GATEWAY_PORT: String(port), AWAN_ADMIN_API_KEY: ADMIN_KEY, ...env });
    gateways.push(gateway);
    await waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false), 30_000, `the gateway to start:\n${gateway.output()}`);
    return `http://127.0.0.1:${port}/graphql`;
  }

  async function graphql<T = Record<string, any>>(query: string, key?: string, variables?: Record<string, unknown>, target = url): Promise<GraphqlResponse<T>> {
    const response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, ...((await response.json()) as object) };
  }

  const codesOf = (response: GraphqlResponse) => response.errors?.map((e) => e.extensions?.code);

  beforeAll(async () => {
    natsDir = mkdtempSync(path.join(os.tmpdir(), 'awan-gw-nats-'));
    nats = await startNatsServer(natsDir, () => undefined, null);
    database = await createServiceDatabase('awan_gateway_');
    url = await startGateway({ RATE_LIMIT_BURST: '1000' });
  });

  afterAll(async () => {
    for (const gateway of gateways) gateway.child.kill('SIGTERM');
    await Promise.all(gateways.map((g) => g.exited));
    await database?.drop();
    await nats?.stop();
    rmSync(natsDir, { recursive: true, force: true });
  });

  /** How the schema the gateway at `target` answers by introspection differs from api/contract.graphql. */
  async function contractDifferences(target = url) {
    const contractText = readFileSync(path.join(ROOT, 'api/contract.graphql'), 'utf8');
    const { data, errors } = await graphql<IntrospectionQuery>(getIntrospectionQuery(), undefined, undefined, target);
    expect(errors).toBeUndefined();
    return schemaDifferences(buildSchema(contractText), buildClientSchema(data!));
  }

  it("serves every type, field, argument and enum value of the contract, with the contract's types and nullability", async () => {
    expect(await contractDifferences()).toEqual([]);
  });

  it('answers introspection with NODE_ENV=production too, as the Docker image runs it: tools and clients read the schema from it', async () => {
    expect(await contractDifferences(await startGateway({ NODE_ENV: 'production' }))).toEqual([]);
  });

  it('passes the GraphQL over HTTP server audits of graphql-http', async () => {
    const results = await Promise.all(serverAudits({ url }).map((audit) => audit.fn()));
    expect(results.filter((result) => result.status !== 'ok').map((result) => `${result.name}: ${'reason' in result ? result.reason : ''}`)).toEqual([]);
    expect(results.length).toBeGreaterThan(50);
  });

  it('makes the platform and its ADMIN key on the first start, from AWAN_ADMIN_API_KEY', async () => {
    const me = await graphql('{ me { kind name currency status parent { id } } }', ADMIN_KEY);
    expect(me.data).toEqual({ me: { kind: 'PLATFORM', name: 'Platform', currency: 'EUR', status: 'ACTIVE', parent: null } });
  });

  it('does not start with a bad variable, and names it', async () => {
    const gateway = runBuilt('dist/apps/gateway/src/main.js', {
      DATABASE_URL: database.url, NATS_URL: nats.url, GATEWAY_PORT: String(await freePort()), AWAN_ADMIN_API_KEY: ADMIN_KEY, GATEWAY_REQUESTS_PER_ACCOUNT: 'ten',
    });
    gateways.push(gateway);
    expect(await gateway.exited).not.toBe(0);
    expect(gateway.output()).toContain('GATEWAY_REQUESTS_PER_ACCOUNT must be requests, at least 1, got "ten"');
  });

  it('refuses a request without a key, with an unknown key, and with a revoked key (UNAUTHENTICATED)', async () => {
    expect(codesOf(await graphql('{ me { id } }'))).toEqual(['UNAUTHENTICATED']);
    expect(codesOf(await graphql('{ me { id } }', 'awan_no_such_key'))).toEqual(['UNAUTHENTICATED']);
    const made = await graphql(`mutation { createAccount(input: { name: "Short-lived", kind: CUSTOMER }) { account { id } apiKey { apiKey { id } secret } } }`, ADMIN_KEY);
    const { secret, apiKey } = made.data!.createAccount.apiKey;
    expect((await graphql('{ me { name } }', secret)).data).toEqual({ me: { name: 'Short-lived' } });
    const revoked = await graphql(`mutation { revokeApiKey(id: "${apiKey.id}") { id lastUsedAt } }`, ADMIN_KEY);
    expect(revoked.data!.revokeApiKey.lastUsedAt).not.toBeNull(); // it was used once
    expect(codesOf(await graphql('{ me { id } }', secret))).toEqual(['UNAUTHENTICATED']);
  });

  it('lets a reseller create its customers and their keys, and publishes AccountCreated on IDENTITY', async () => {
    const subscriber: NatsConnection = await connect({ servers: nats.url });
    const published: string[] = [];
    subscriber.subscribe('events.identity.account.AccountCreated', { callback: (_e, m) => void published.push(m.json<{ data: { name: string } }>().data.name) });
    try {
      // In the platform's currency: another one would need billing's word that the platform has a price list in it.
      const reseller = await graphql(`mutation { createAccount(input: { name: "Acme Hosting", kind: RESELLER }) { account { id } apiKey { secret apiKey { role } } } }`, ADMIN_KEY);
      const resellerKey = reseller.data!.createAccount.apiKey.secret;
      expect(reseller.data!.createAccount.apiKey.apiKey.role).toBe('RESELLER');
      const customer = await graphql(`mutation { createAccount(input: { name: "Ada", kind: CUSTOMER, email: "ada@example.test", taxRate: "0.19" }) {
        account { id currency taxRate email parent { name } } apiKey { apiKey { role account { name } } } } }`, resellerKey);
      const account = customer.data!.createAccount.account;
      expect(account).toMatchObject({ currency: 'EUR', taxRate: '0.19', email: 'ada@example.test', parent: { name: 'Acme Hosting' } });
      expect(customer.data!.createAccount.apiKey.apiKey).toEqual({ role: 'CUSTOMER', account: { name: 'Ada' } });
      // The reseller sees its customer at once, and the customer can get a FINANCE key from it.
      const listed = await graphql('{ me { customers { totalCount edges { node { name } } } } }', resellerKey);
      expect(listed.data!.me.customers).toEqual({ totalCount: 1, edges: [{ node: { name: 'Ada' } }] });
      const finance = await graphql(`mutation { createApiKey(input: { accountId: "${account.id}", name: "books", role: FINANCE }) { apiKey { role } secret } }`, resellerKey);
      expect(finance.data!.createApiKey.apiKey.role).toBe('FINANCE');
      expect(finance.data!.createApiKey.secret).toMatch(/^awan_[A-Za-z0-9_-]{43}$/);
      // Not ADMIN, not a customer under someone else, and not a reseller under itself.
      const admin = await graphql(`mutation { createApiKey(input: { accountId: "${account.id}", name: "x", role: ADMIN }) { secret } }`, resellerKey);
      expect(admin.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining('input.role') });
      const nested = await graphql('mutation { createAccount(input: { name: "Sub", kind: RESELLER }) { account { id } } }', resellerKey);
      expect(codesOf(nested)).toEqual(['BAD_USER_INPUT']);
      await waitFor(() => ['Acme Hosting', 'Ada'].every((name) => published.includes(name)), 10_000, 'AccountCreated on IDENTITY');
    } finally {
      await subscriber.close();
    }
  });

  it('names the field of bad input', async () => {
    const bad = await graphql('mutation { createAccount(input: { name: "X", kind: CUSTOMER, currency: "euro" }) { account { id } } }', ADMIN_KEY);
    expect(bad.errors![0]).toMatchObject({ message: 'input.currency: must be an ISO 4217 code such as EUR', extensions: { code: 'BAD_USER_INPUT', field: 'input.currency' } });
    const decimal = await graphql('mutation { createAccount(input: { name: "X", kind: CUSTOMER, taxRate: "lots" }) { account { id } } }', ADMIN_KEY);
    expect(codesOf(decimal)).toEqual(['BAD_USER_INPUT']);
  });

  it('answers UNAVAILABLE when a backing service does not answer in time', async () => {
    const regions = await graphql('{ regions { id } }', ADMIN_KEY);
    expect(codesOf(regions)).toEqual(['UNAVAILABLE']);
    expect(regions.errors![0].message).toContain('compute.catalog.regions');
  });

  it('refuses a query that is too deep or may cost too much, before asking any service', async () => {
    const deep = await graphql('{ me { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { id } } } } } } } } } } } } } }', ADMIN_KEY);
    expect(deep.status).toBe(400);
    expect(deep.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining('depth 14 is over the limit of 12') });
    const costly = await graphql('{ instances(first: 100) { edges { node { history(first: 100) { edges { node { id data } } } } } } }', ADMIN_KEY);
    expect(costly.errors![0].message).toMatch(/complexity \d+ is over the limit of 5000/);
  });

  it('refuses a request body over the size limit (413)', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify({ query: '{ me { id } }', variables: { padding: 'x'.repeat(200_000) } }),
    });
    expect(response.status).toBe(413);
  });

  it('limits each key to its rate (RATE_LIMITED, 429), other keys unaffected', async () => {
    const limited = await startGateway({ RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '3' });
    const made = await graphql('mutation { createAccount(input: { name: "Busy", kind: CUSTOMER }) { apiKey { secret } } }', ADMIN_KEY);
    const busy = made.data!.createAccount.apiKey.secret;
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await graphql('{ me { name } }', busy, undefined, limited));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers[3].errors![0].extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: 1 }); // and no stack trace
    expect((await graphql('{ me { name } }', ADMIN_KEY, undefined, limited)).data).toEqual({ me: { name: 'Platform' } });
  });

  /** A new customer of the platform and its key. */
  async function customer(name: string): Promise<{ id: string; key: string; keyId: string }> {
    const made = await graphql(`mutation { createAccount(input: { name: "${name}", kind: CUSTOMER }) { account { id } apiKey { secret apiKey { id } } } }`, ADMIN_KEY);
    const { account, apiKey } = made.data!.createAccount;
    return { id: account.id, key: apiKey.secret, keyId: apiKey.apiKey.id };
  }

  it('weighs a field that asks a service at what the service does: 2,400 aliases of upcomingInvoice are refused before billing is asked', async () => {
    const { key } = await customer('Aliases');
    const query = `{ ${Array.from({ length: 2400 }, (_, i) => `a${i}: upcomingInvoice { id }`).join(' ')} }`;
    expect(query.length).toBeGreaterThan(60_000);
    const refused = await graphql(query, key);
    expect(refused.status).toBe(400);
    expect(refused.errors).toHaveLength(1);
    expect(refused.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringMatching(/complexity \d+ is over the limit of 5000/) });
  });

  it('makes identical requests to a service once per operation, and no more than 100 of them', async () => {
    // Without compute every request fails at once (UNAVAILABLE); the complexity limit is raised so that only the cap refuses.
    const roomy = await startGateway({ RATE_LIMIT_BURST: '1000', GRAPHQL_MAX_COMPLEXITY: '1000000' });
    const aliases = (ids: string[]) => `{ ${ids.map((id, i) => `a${i}: instance(id: "${id}") { id }`).join(' ')} }`;
    const same = randomUUID();
    const repeated = await graphql(aliases(Array.from({ length: 150 }, () => same)), ADMIN_KEY, undefined, roomy);
    expect(codesOf(repeated)).toEqual(Array.from({ length: 150 }, () => 'UNAVAILABLE')); // one request, its answer shared
    const distinct = await graphql(aliases(Array.from({ length: 101 }, () => randomUUID())), ADMIN_KEY, undefined, roomy);
    const codes = codesOf(distinct)!;
    expect(codes.filter((code) => code === 'UNAVAILABLE')).toHaveLength(100);
    const beyond = distinct.errors!.filter((e) => e.extensions?.code === 'BAD_USER_INPUT');
    expect(beyond).toHaveLength(1);
    expect(beyond[0].message).toMatch(/more than 100 requests to services/);
  });

  it('refuses NUL characters and lone surrogates in any string input as BAD_USER_INPUT naming the field', async () => {
    const byVariable = await graphql('query($id: ID!) { account(id: $id) { id } }', ADMIN_KEY, { id: 'a\u0000b' });
    expect(byVariable.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'id' }, message: expect.stringContaining('id: ') });
    const nested = await graphql('mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }', ADMIN_KEY, {
      input: { accountId: 'x\u0000', name: 'k', role: 'CUSTOMER' },
    });
    expect(nested.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.accountId' });
    const literal = await graphql('mutation { createAccount(input: { name: "Nul", kind: CUSTOMER, email: "a\\u0000@example.test" }) { account { id } } }', ADMIN_KEY);
    expect(literal.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.email' });
    const surrogate = await graphql('mutation($input: CreateAccountInput!) { createAccount(input: $input) { account { id } } }', ADMIN_KEY, {
      input: { name: 'half \ud83d', kind: 'CUSTOMER' },
    });
    expect(surrogate.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.name' }, message: expect.stringContaining('lone UTF-16 surrogate') });
  });

  it('refuses a currency that is not ISO 4217, and asks billing whether the platform has a price list in another one', async () => {
    const made = await graphql('mutation { createAccount(input: { name: "Q", kind: CUSTOMER, currency: "QQQ" }) { account { id } } }', ADMIN_KEY);
    expect(made.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.currency' }, message: expect.stringContaining('ISO 4217') });
    const unknown = await graphql('mutation { createAccount(input: { name: "U", kind: CUSTOMER, currency: "USD" }) { account { id } } }', ADMIN_KEY);
    expect(unknown.errors![0]).toMatchObject({ extensions: { code: 'UNAVAILABLE' }, message: expect.stringContaining('billing.price.currencies') });
  });

  it('shows the services to ADMIN keys only', async () => {
    const { key } = await customer('Curious');
    expect(codesOf(await graphql('{ services { service status } }', key))).toEqual(['FORBIDDEN']);
    const seen = await graphql<{ services: { service: string; status: string }[] }>('{ services { service status } }', ADMIN_KEY);
    expect(seen.data!.services.map((s) => s.status)).toEqual(['unavailable', 'unavailable', 'unavailable', 'unavailable']);
  });

  it('answers a body that is not JSON with 400 and a coded error', async () => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` }, body: '{ "query": "{ me { id } }"' });
    expect(response.status).toBe(400);
    const body = (await response.json()) as GraphqlResponse;
    expect(body.errors).toEqual([{ message: expect.stringContaining('JSON'), extensions: { code: 'BAD_REQUEST' } }]);
  });

  it('serves no GraphiQL page, whatever NODE_ENV says (its scripts would come from a CDN, on the console\'s origin)', async () => {
    const page = await fetch(url, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toMatch(/graphiql|unpkg/i);
  });

  it('executes only application/json POSTs (415 for a form or plain text)', async () => {
    const post = (contentType: string, body: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${ADMIN_KEY}` }, body });
    for (const [contentType, body] of [
      ['application/x-www-form-urlencoded', new URLSearchParams({ query: '{ me { id } }' }).toString()],
      ['text/plain', JSON.stringify({ query: '{ me { id } }' })],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{ me { id } }\r\n--x--\r\n'],
    ]) {
      const response = await post(contentType, body);
      expect([contentType, response.status]).toEqual([contentType, 415]);
      expect(((await response.json()) as GraphqlResponse).errors![0].extensions).toEqual({ code: 'BAD_REQUEST' });
    }
    const json = await post('application/json; charset=utf-8', JSON.stringify({ query: '{ me { name } }' }));
    expect([json.status, await json.json()]).toEqual([200, { data: { me: { name: 'Platform' } } }]);
  });

  it('measures a subscription as it does a query', async () => {
    const { key } = await customer('Listener');
    const socket = createClient({ url: url.replace(/^http/, 'ws'), connectionParams: { authorization: `Bearer ${key}` }, retryAttempts: 0 });
    try {
      const histories = Array.from({ length: 20 }, (_, i) => `h${i}: history(first: 100) { edges { node { id data } } }`).join(' ');
      const error = await new Promise<unknown>((resolve) => {
        socket.subscribe({ query: `subscription { instanceUpdated { id ${histories} } }` }, { next: () => undefined, error: resolve, complete: () => resolve(null) });
        setTimeout(() => resolve('accepted'), 5000).unref();
      });
      expect(error).toEqual([expect.objectContaining({ message: expect.stringMatching(/complexity \d+ is over the limit of 5000/), extensions: { code: 'BAD_USER_INPUT' } })]);
    } finally {
      await socket.dispose();
    }
  });

  it('closes a socket whose message is over a request body\'s limit, before it has said who it is', async () => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    // graphql-ws would wait for this one's end as its connection_init: 100 MiB by ws's default, buffered whole.
    socket.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(200 * 1024) } }));
    expect(await closed).toBe(1009); // Message Too Big
  });

  it("counts a caller's address from X-Forwarded-For only behind the proxies GATEWAY_TRUST_PROXY names, an IPv6 one by its /64", async () => {
    const limits = { SIGN_IN_MAX_FAILURES_PER_ADDRESS: '2', SIGN_IN_MAX_FAILURES: '100' };
    const [proxied, direct] = await Promise.all([startGateway({ ...limits, GATEWAY_TRUST_PROXY: 'loopback' }), startGateway(limits)]);
    const signIn = (target: string, from: string) => fetch(target.replace(/\/graphql$/, '/auth/sign-in'), {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
      body: JSON.stringify({ email: `${randomUUID()}@example.test`, password: 'not the password' }),
    }).then((response) => response.status);
    // Behind the proxy (this machine's loopback), each caller is its own address: one's failures lock only that one out.
    expect([await signIn(proxied, '198.51.100.7'), await signIn(proxied, '198.51.100.7'), await signIn(proxied, '198.51.100.7')]).toEqual([401, 401, 429]);
    expect(await signIn(proxied, '198.51.100.8')).toBe(401);
    // An IPv6 caller is its /64, which a host is commonly given whole.
    expect([await signIn(proxied, '2001:db8:1:2::a'), await signIn(proxied, '2001:db8:1:2::b'), await signIn(proxied, '2001:db8:1:2:ffff::c')]).toEqual([401, 401, 429]);
    expect(await signIn(proxied, '2001:db8:1:3::a')).toBe(401);
    // Trusting no proxy, a header anyone can send changes nothing: every caller is the peer it connects from.
    expect([await signIn(direct, '203.0.113.200'), await signIn(direct, '203.0.113.201'), await signIn(direct, '203.0.113.202')]).toEqual([401, 401, 429]);
  });

  it('looks up at most 50 unknown keys or sessions from an address at once (then 429, Retry-After), its known keys and other addresses unaffected', async () => {
    const proxied = await startGateway({ GATEWAY_TRUST_PROXY: 'loopback' });
    const me = async (from: string, headers: Record<string, string>) => {
      const response = await fetch(proxied, {
        method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', 'x-forwarded-for': from, ...headers },
        body: JSON.stringify({ query: '{ me { name } }' }),
      });
      const body = (await response.json()) as { errors?: { extensions: { code: string } }[] };
      return { status: response.status, code: body.errors?.[0].extensions.code ?? 'OK', retryAfter: response.headers.get('retry-after') };
    };
    /** A graphql-ws socket's close code, or 0 once it is acknowledged (and closed by the test). */
    const socketOf = (from: string, key: string) => new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(proxied.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers: { 'x-forwarded-for': from } });
      socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } })));
      socket.once('message', () => (resolve(0), socket.close()));
      socket.once('close', resolve);
      socket.once('error', reject);
    });
    expect((await me('198.51.100.7', { authorization: `Bearer ${ADMIN_KEY}` })).code).toBe('OK');
    // Made-up keys and session cookies at once, as a script spraying them sends them: 50 are looked up (and a
    // token or so the address earns meanwhile, at 10 a second); the rest are refused before any lookup.
    const answers = await Promise.all([
      ...Array.from({ length: 60 }, (_, i) => me('198.51.100.7', { authorization: `Bearer awan_made_up_${i}` })),
      ...Array.from({ length: 10 }, (_, i) => me('198.51.100.7', { cookie: `awan_session=${String(i).padStart(43, 'u')}`, 'x-csrf-token': 'c'.repeat(43) })),
    ]);
    // Then sockets from that address, behind the proxy too: told to try again later, but for a token or so it earned.
    const sockets = await Promise.all(Array.from({ length: 10 }, (_, i) => socketOf('198.51.100.7', `awan_made_up_socket_${i}`)));
    const looked = answers.filter((a) => a.code === 'UNAUTHENTICATED').length + sockets.filter((code) => code === 4401).length;
    const refused = answers.filter((a) => a.code === 'RATE_LIMITED');
    expect(new Set(answers.map((a) => a.code))).toEqual(new Set(['UNAUTHENTICATED', 'RATE_LIMITED']));
    expect(sockets.every((code) => code === 4401 || code === 1013)).toBe(true);
    expect(looked).toBeGreaterThanOrEqual(50);
    expect(refused.length).toBeGreaterThanOrEqual(15);
    expect(refused.every((a) => a.status === 429 && Number(a.retryAfter) >= 1)).toBe(true);
    expect(sockets.filter((code) => code === 1013).length).toBeGreaterThanOrEqual(7);
    // A key the gateway knows is not looked up, and goes on; another address has its own allowance.
    expect((await me('198.51.100.7', { authorization: `Bearer ${ADMIN_KEY}` })).code).toBe('OK');
    expect(await socketOf('198.51.100.7', ADMIN_KEY)).toBe(0);
    expect((await me('198.51.100.8', { authorization: 'Bearer awan_made_up_0' })).code).toBe('UNAUTHENTICATED');
    expect(await socketOf('198.51.100.9', 'awan_made_up_socket_0')).toBe(4401);
  });

  it('takes only subscriptions on a socket, at most 100 on one and 50 sockets a key, each subscribe a token of the key\'s rate', async () => {
    const { key } = await customer('Many sockets');
    const limited = await startGateway({ RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '3' });
    const open = (target: string) => {
      let closed: (code: number) => void = () => undefined;
      const closing = new Promise<number>((resolve) => (closed = resolve));
      let opened: (yes: boolean) => void = () => undefined;
      const opening = new Promise<boolean>((resolve) => (opened = resolve));
      const client = createClient({
        url: target.replace(/^http/, 'ws'), connectionParams: { authorization: `Bearer ${key}` }, retryAttempts: 0, lazy: false, onNonLazyError: () => undefined,
        on: { connected: () => opened(true), closed: (event) => { closed((event as { code: number }).code); opened(false); } },
      });
      return { client, opening, closing };
    };
    /** What a subscribe comes to: its errors, or 'listening' while it runs. */
    const outcome = (client: ReturnType<typeof createClient>, query: string, waitMs = 1000) => new Promise<unknown>((resolve) => {
      client.subscribe({ query }, { next: () => undefined, error: resolve, complete: () => resolve('completed') });
      setTimeout(() => resolve('listening'), waitMs).unref();
    });
    const refusal = (code: string, message: RegExp) => [expect.objectContaining({ message: expect.stringMatching(message), extensions: expect.objectContaining({ code }) })];
    const sockets = [open(url)];
    try {
      const { client } = sockets[0];
      // A query or a mutation would run with none of a request's limits: each goes as POST /graphql.
      expect(await outcome(client, '{ me { id } }')).toEqual(refusal('BAD_USER_INPUT', /a query goes as POST \/graphql/));
      expect(await outcome(client, 'mutation { revokeApiKey(id: "x") { id } }')).toEqual(refusal('BAD_USER_INPUT', /a mutation goes as POST \/graphql/));
      const listening = await Promise.all(Array.from({ length: 100 }, () => outcome(client, 'subscription { instanceUpdated { id } }', 3000)));
      expect(new Set(listening)).toEqual(new Set(['listening']));
      expect(await outcome(client, 'subscription { instanceUpdated { id } }')).toEqual(refusal('RATE_LIMITED', /at most 100 subscriptions/));
      // 50 sockets of one key on a replica; the 51st is closed as too many, and the key's other sockets go on.
      for (let i = 1; i < 50; i++) sockets.push(open(url));
      expect(new Set(await Promise.all(sockets.map((s) => s.opening)))).toEqual(new Set([true]));
      const extra = open(url);
      expect(await extra.closing).toBe(4429);
      // A closed socket gives its place back once the gateway has seen it close, which may come a
      // moment after the client's own close: a new socket is tried for up to 5 s.
      const gone = sockets.pop()!;
      await gone.client.dispose();
      await gone.closing;
      const until = Date.now() + 5000;
      let again = open(url);
      sockets.push(again);
      while (!(await again.opening) && Date.now() < until) {
        await delay(100);
        sockets.push((again = open(url)));
      }
      expect(await again.opening).toBe(true);
      // Each subscribe takes a token, as a request does: a burst of 3, then RATE_LIMITED.
      const slow = open(limited);
      sockets.push(slow);
      const answers = await Promise.all(Array.from({ length: 4 }, () => outcome(slow.client, 'subscription { instanceUpdated { id } }')));
      expect(answers.filter((answer) => answer === 'listening')).toHaveLength(3);
      expect(answers.find((answer) => answer !== 'listening')).toEqual(refusal('RATE_LIMITED', /rate limit exceeded/));
    } finally {
      await Promise.all(sockets.map((s) => s.client.dispose()));
    }
  }, 60_000);

  describe("graphql-ws sockets: closed within API_KEY_CACHE_MS of the key's revocation, or of its account's suspension, on every replica", () => {
    const CACHE_MS = 1000;
    let replica: string;

    beforeAll(async () => {
      replica = await startGateway({ RATE_LIMIT_BURST: '1000', API_KEY_CACHE_MS: String(CACHE_MS), DATABASE_LOCK_TIMEOUT_MS: '500' });
    });

    /** A socket on the other replica with a live subscription; `closed` resolves with its close event and when it came. */
    async function listen(key: string) {
      let closedWith: (event: { code: number; reason: string; at: number }) => void = () => undefined;
      const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) => (closedWith = resolve));
      let opened: (value: boolean) => void = () => undefined;
      const open = new Promise<boolean>((resolve) => (opened = resolve));
      const socket = createClient({
        url: replica.replace(/^http/, 'ws'), connectionParams: { authorization: `Bearer ${key}` }, retryAttempts: 0, lazy: false,
        onNonLazyError: () => undefined, // a refusal is what one of the tests waits for
        on: {
          connected: () => opened(true),
          closed: (event) => {
            const { code, reason } = event as { code: number; reason: string };
            closedWith({ code, reason, at: Date.now() });
            opened(false);
          },
        },
      });
      socket.subscribe({ query: 'subscription { instanceUpdated { id status } }' }, { next: () => undefined, error: () => undefined, complete: () => undefined });
      if (!(await open)) {
        const { code, reason } = await closed;
        throw new Error(`the socket was refused: ${code} ${reason}`);
      }
      return { socket, closed };
    }

    it('refused with 1013 (try again later), not 4403, while the key cannot be checked (its table locked); a request is UNAVAILABLE; both go through after', async () => {
      const { key } = await customer('Locked out');
      const holder = new pg.Client({ connectionString: database.url });
      await holder.connect();
      try {
        // Past the replica's DATABASE_LOCK_TIMEOUT_MS, as a long migration or a stuck transaction would hold it.
        await holder.query('BEGIN; LOCK TABLE identity.api_keys IN ACCESS EXCLUSIVE MODE');
        expect(codesOf(await graphql('{ me { id } }', key, undefined, replica))).toEqual(['UNAVAILABLE']);
        await expect(listen(key)).rejects.toThrow("refused: 1013 Try again later: the gateway's database is busy or away");
        await holder.query('COMMIT');
        expect((await graphql('{ me { name } }', key, undefined, replica)).data).toEqual({ me: { name: 'Locked out' } });
        await (await listen(key)).socket.dispose();
      } finally {
        await holder.end();
      }
    });

    it('when its key is revoked on another replica', async () => {
      const { key, keyId } = await customer('Revoked');
      const { socket, closed } = await listen(key);
      try {
        await new Promise((resolve) => setTimeout(resolve, CACHE_MS)); // the replica has checked the key and cached it
        const revokedAt = Date.now();
        expect((await graphql(`mutation { revokeApiKey(id: "${keyId}") { id } }`, ADMIN_KEY)).errors).toBeUndefined();
        const event = await Promise.race([closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), 3 * CACHE_MS).unref())]);
        expect(event).toMatchObject({ code: 4401, reason: expect.stringContaining('revoked') });
        expect(event!.at - revokedAt).toBeLessThanOrEqual(CACHE_MS);
      } finally {
        await socket.dispose();
      }
    });

    it("when billing suspends its account, and a suspended account's key opens none", async () => {
      const { id, key } = await customer('Suspended');
      const { socket, closed } = await listen(key);
      const subscriber = await connect({ servers: nats.url });
      try {
        // What billing publishes when dunning suspends an account.
        await jetstream(subscriber).publish('events.billing.account.AccountSuspended', JSON.stringify({
          eventId: randomUUID(), type: 'AccountSuspended', streamId: `account-${id}`, version: 1, occurredAt: new Date().toISOString(),
          data: { accountId: id }, metadata: { correlationId: randomUUID(), causationId: null, actor: { kind: 'system' } },
        }));
        const suspendedAt = await waitFor(async () => {
          const { data } = await graphql(`{ account(id: "${id}") { status } }`, ADMIN_KEY);
          return data?.account.status === 'SUSPENDED' ? Date.now() : undefined;
        }, 15_000, 'identity to record the suspension');
        const event = await Promise.race([closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), 3 * CACHE_MS).unref())]);
        expect(event).toMatchObject({ code: 4403, reason: expect.stringContaining('SUSPENDED') });
        expect(event!.at - suspendedAt).toBeLessThanOrEqual(CACHE_MS);
        await new Promise((resolve) => setTimeout(resolve, CACHE_MS)); // past the replica's cache of the key
        const again = await listen(key).then(() => 'opened', () => 'refused');
        expect(again).toBe('refused');
      } finally {
        await socket.dispose();
        await subscriber.close();
      }
    });
  });
});
