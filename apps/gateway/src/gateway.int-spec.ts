import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildClientSchema, buildSchema, getIntrospectionQuery, type IntrospectionQuery } from 'graphql';
import { serverAudits } from 'graphql-http';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createServiceDatabase, runBuilt, waitFor, type Fixture, type ServiceDatabase } from '#libs/testing';
import { freePort, startNatsServer, type EmbeddedServer } from '../../../scripts/embedded-servers.js';
import { schemaDifferences } from './graphql/schema-differences.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const ADMIN_KEY = 'awan_test_admin_key_0123456789abcdef';

interface GraphqlResponse<T = Record<string, any>> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
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

  it("serves every type, field, argument and enum value of the contract, with the contract's types and nullability", async () => {
    const contractText = readFileSync(path.join(ROOT, 'api/contract.graphql'), 'utf8');
    const { data } = await graphql<IntrospectionQuery>(getIntrospectionQuery());
    expect(schemaDifferences(buildSchema(contractText), buildClientSchema(data!))).toEqual([]);
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
      const reseller = await graphql(`mutation { createAccount(input: { name: "Acme Hosting", kind: RESELLER, currency: "USD" }) { account { id } apiKey { secret apiKey { role } } } }`, ADMIN_KEY);
      const resellerKey = reseller.data!.createAccount.apiKey.secret;
      expect(reseller.data!.createAccount.apiKey.apiKey.role).toBe('RESELLER');
      const customer = await graphql(`mutation { createAccount(input: { name: "Ada", kind: CUSTOMER, email: "ada@example.test", taxRate: "0.19" }) {
        account { id currency taxRate email parent { name } } apiKey { apiKey { role account { name } } } } }`, resellerKey);
      const account = customer.data!.createAccount.account;
      expect(account).toMatchObject({ currency: 'USD', taxRate: '0.19', email: 'ada@example.test', parent: { name: 'Acme Hosting' } });
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
});
