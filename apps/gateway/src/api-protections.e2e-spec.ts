import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { PLATFORM_SCOPE } from '#libs/contracts';
import { MessagingModule, ServiceClient } from '#libs/messaging';
import { GraphqlClient, type GraphqlResponse, startTestAwan, type TestAwan, uniqueName, waitFor } from '#libs/testing';
import { startNatsServer, type EmbeddedServer } from '../../../scripts/embedded-servers.js';

const canRunContainers = process.getuid?.() === 0 && spawnSync('lxc-start', ['--version']).status === 0;
if (!canRunContainers) console.warn("skipping the gateway's protection tests: they run a container (root and LXC)");

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))];

/**
 * The gateway's protections against one tenant's load, and its edges, through the whole system
 * (`npm start`'s launcher on a NATS of the test's own, which the test also listens to), on the
 * seeded pools.
 */
(canRunContainers ? describe : describe.skip)('the GraphQL API under one tenant’s load, and at its edges', () => {
  let natsDir: string;
  let nats: EmbeddedServer;
  let awan: TestAwan;
  let api: GraphqlClient;
  let admin: GraphqlClient;
  let services: INestApplicationContext;
  let client: ServiceClient;
  let listener: NatsConnection;

  beforeAll(async () => {
    natsDir = mkdtempSync(path.join(os.tmpdir(), 'awan-gw-edges-nats-'));
    nats = await startNatsServer(natsDir, () => undefined, null);
    awan = await startTestAwan('gw_edges', { NATS_URL: nats.url });
    api = new GraphqlClient(awan.url);
    admin = api.as(awan.adminKey);
    services = await NestFactory.createApplicationContext(MessagingModule.forRoot({ service: 'gateway-edges-test', natsUrl: nats.url }), { logger: false });
    client = services.get(ServiceClient);
    listener = await connect({ servers: nats.url });
  }, 240_000);

  afterAll(async () => {
    await listener?.close();
    await services?.close();
    await awan?.stop();
    await nats?.stop();
    if (natsDir) rmSync(natsDir, { recursive: true, force: true });
  }, 120_000);

  /** A customer of the platform that billing knows already. */
  async function customer(name: string, currency?: string): Promise<{ id: string; api: GraphqlClient }> {
    const made = await admin.data(`mutation { createAccount(input: { name: "${name}", kind: CUSTOMER${currency ? `, currency: "${currency}"` : ''} }) { account { id } apiKey { secret } } }`);
    const account = { id: made.createAccount.account.id as string, api: api.as(made.createAccount.apiKey.secret) };
    await waitFor(() => account.api.data('{ upcomingInvoice { id } }').then(() => true, () => false), 20_000, `billing to know ${name}`);
    return account;
  }

  async function createContainer(owner: GraphqlClient): Promise<string> {
    const { createInstance } = await owner.data(`mutation { createInstance(input: { name: "${uniqueName('edge-')}", kind: CONTAINER, imageId: "dev-busybox-rootfs", planId: "ct-512m", regionId: "local", billingCycle: HOURLY }) { id } }`);
    return createInstance.id;
  }

  const statusOf = async (owner: GraphqlClient, id: string) => (await owner.data(`{ instance(id: "${id}") { status } }`)).instance?.status as string | undefined;
  const waitForStatus = (owner: GraphqlClient, id: string, status: string) =>
    waitFor(async () => (await statusOf(owner, id)) === status, 120_000, `instance ${id} to be ${status}`);

  /** Requests to a service's subject seen on NATS while `work` runs (a plain subscription sees every request, whoever answers it). */
  async function requestsTo(subject: string, work: () => Promise<unknown>): Promise<unknown[]> {
    const seen: unknown[] = [];
    const subscription = listener.subscribe(subject, { callback: (_e, message) => void seen.push(message.json<{ data: unknown }>().data) });
    await listener.flush();
    try {
      await work();
      await listener.flush();
      return seen;
    } finally {
      subscription.unsubscribe();
    }
  }

  it("refuses 2,400 aliases of upcomingInvoice with a code, and another tenant's upcomingInvoice and costToDate are not slowed meanwhile", async () => {
    const victim = await customer('Bystander');
    const attacker = await customer('Aliaser');
    await waitForStatus(victim.api, await createContainer(victim.api), 'RUNNING');
    const victimQuery = '{ upcomingInvoice { id total { amount } } instances { edges { node { costToDate { amount } } } } }';
    const timed = async () => {
      const started = performance.now();
      const response = await victim.api.request(victimQuery);
      return { ms: performance.now() - started, response };
    };
    const baseline: number[] = [];
    for (let i = 0; i < 30; i++) baseline.push((await timed()).ms);

    const attack = `{ ${Array.from({ length: 2400 }, (_, i) => `a${i}: upcomingInvoice { id }`).join(' ')} }`;
    expect(attack.length).toBeGreaterThan(60_000);
    const refusals: GraphqlResponse[] = [];
    let attacking = true;
    const attackers = (async () => {
      // Five at once, again and again, for as long as the bystander measures.
      while (attacking) refusals.push(...(await Promise.all(Array.from({ length: 5 }, () => attacker.api.request(attack)))));
    })();
    const during: { ms: number; response: GraphqlResponse }[] = [];
    const until = Date.now() + 10_000;
    while (Date.now() < until) during.push(await timed());
    attacking = false;
    await attackers;

    console.log(`victim's upcomingInvoice + costToDate, ms: alone p50 ${percentile(baseline, 50).toFixed(1)} p99 ${percentile(baseline, 99).toFixed(1)}; ` +
      `under attack (${refusals.length} attack requests) p50 ${percentile(during.map((d) => d.ms), 50).toFixed(1)} p95 ${percentile(during.map((d) => d.ms), 95).toFixed(1)} p99 ${percentile(during.map((d) => d.ms), 99).toFixed(1)} over ${during.length} requests`);
    expect(refusals.length).toBeGreaterThanOrEqual(5);
    expect(new Set(refusals.map((r) => `${r.errors?.[0]?.extensions?.code}: ${r.errors?.[0]?.message.replace(/\d+/g, 'N')}`))).toEqual(
      new Set(['BAD_USER_INPUT: query: complexity N is over the limit of N (ask for smaller pages, or fewer nested lists)']),
    );
    expect(during.filter((d) => d.response.errors).map((d) => d.response.errors)).toEqual([]);
    // p95 (some 15 of its requests), not p99 (3): on 2 busy cores a few of the bystander's requests
    // waited out a pause of the machine's (269 ms at p99 in one whole CI run, 81 to 108 ms alone),
    // where the attack, were it run and not refused, would slow most of them, not a few.
    expect(percentile(during.map((d) => d.ms), 95)).toBeLessThan(Math.max(250, 3 * percentile(baseline, 95)));
  }, 300_000);

  it('asks billing once for identical aliases, and lets an account run 2 expensive requests at once (RATE_LIMITED beyond), others unaffected', async () => {
    const busy = await customer('Busy');
    const other = await customer('Other');
    const aliases = `{ ${Array.from({ length: 19 }, (_, i) => `a${i}: upcomingInvoice { id total { amount } }`).join(' ')} }`;
    const asked = await requestsTo('billing.invoice.upcoming', async () => expect((await busy.api.request(aliases)).errors).toBeUndefined());
    expect(asked).toHaveLength(1);

    const statuses = await Promise.all(Array.from({ length: 20 }, async () => {
      const response = await fetch(awan.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${busy.api.key}` },
        body: JSON.stringify({ query: '{ upcomingInvoice { id } }' }),
      });
      const body = (await response.json()) as GraphqlResponse;
      return `${response.status} ${body.errors?.[0]?.extensions?.code ?? 'ok'} ${response.headers.get('retry-after') ?? ''}`.trim();
    }).concat(other.api.request('{ upcomingInvoice { id } }').then((r) => `other ${r.errors?.[0]?.extensions?.code ?? 'ok'}`)));
    const counts = statuses.reduce<Record<string, number>>((all, s) => ({ ...all, [s]: (all[s] ?? 0) + 1 }), {});
    expect(Object.keys(counts).sort()).toEqual(['200 ok', '429 RATE_LIMITED 1', 'other ok']);
    expect(counts['200 ok']).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it("shows an instance's host, bridge and gateway in its history to ADMIN only, and its subscription to its owner only", async () => {
    const owner = await customer('Owner');
    const stranger = await customer('Stranger');
    const id = await createContainer(owner.api);
    await waitForStatus(owner.api, id, 'RUNNING');
    const historyQuery = `{ instance(id: "${id}") { history(first: 50) { edges { node { type data } } } } }`;
    const historyOf = async (viewer: GraphqlClient) =>
      ((await viewer.data(historyQuery)).instance.history.edges as { node: { type: string; data: string } }[]).map((e) => e.node);
    const asAdmin = await historyOf(admin);
    const asOwner = await historyOf(owner.api);
    expect(asOwner.map((e) => e.type)).toEqual(asAdmin.map((e) => e.type));
    expect(JSON.parse(asAdmin.find((e) => e.type === 'InstanceScheduled')!.data)).toEqual({ hostId: awan.hostId });
    const addressed = JSON.parse(asAdmin.find((e) => e.type === 'InstanceAddressed')!.data) as { addresses: { address: string; bridge: string; gateway: string }[] };
    const shown = asOwner.map((e) => e.data).join('\n');
    for (const hostFact of [awan.hostId, ...addressed.addresses.flatMap((a) => [a.bridge, a.gateway]), 'hostId', 'bridge', 'gateway']) expect(shown).not.toContain(hostFact);
    // What is the tenant's stays: its addresses.
    expect(JSON.parse(asOwner.find((e) => e.type === 'InstanceAddressed')!.data).addresses.map((a: { address: string }) => a.address))
      .toEqual(addressed.addresses.map((a) => a.address));

    const subscribe = (viewer: GraphqlClient, heard: unknown[]) => {
      const socket = viewer.subscriptions();
      // A subscription refused as it starts ends with its errors (in a `next`, or an `error` message).
      const ended = new Promise<unknown>((resolve) => {
        socket.subscribe({ query: `subscription { instanceUpdated(id: "${id}") { id status } }` }, {
          next: (value) => (value.errors ? resolve(value.errors) : void heard.push(value.data?.instanceUpdated)),
          error: resolve,
          complete: () => resolve('complete'),
        });
      });
      return { socket, ended };
    };
    const heardByStranger: unknown[] = [];
    const heardByOwner: unknown[] = [];
    const foreign = subscribe(stranger.api, heardByStranger);
    const own = subscribe(owner.api, heardByOwner);
    try {
      expect(await foreign.ended).toEqual([expect.objectContaining({ extensions: { code: 'NOT_FOUND' } })]);
      await owner.api.data(`mutation { stopInstance(id: "${id}") { id } }`);
      // A subscription that ends (its socket closed) fails the test at once, saying how it ended.
      let listening = true;
      const endedEarly = own.ended.then((how) => {
        if (!listening) return;
        const { code, reason } = (how ?? {}) as { code?: number; reason?: string };
        throw new Error(`the owner's subscription ended before the stop was heard: ${code ? `closed ${code} ${reason}` : JSON.stringify(how)}`);
      });
      try {
        await Promise.race([waitFor(() => heardByOwner.some((i) => (i as { status: string }).status === 'STOPPED'), 60_000, 'the owner to hear of the stop'), endedEarly]);
      } finally {
        listening = false;
        endedEarly.catch(() => undefined);
      }
      expect(heardByStranger).toEqual([]);
    } finally {
      await Promise.all([foreign.socket.dispose(), own.socket.dispose()]);
    }

    // Deleted, it leaves the default list but not the one that asks for deleted instances too.
    await owner.api.data(`mutation { deleteInstance(id: "${id}") { id } }`);
    await waitForStatus(owner.api, id, 'DELETED');
    const listed = async (args: string) => ((await owner.api.data(`{ instances${args} { edges { node { id } } } }`)).instances.edges as { node: { id: string } }[]).map((e) => e.node.id);
    expect(await listed('')).not.toContain(id);
    expect(await listed('(includeDeleted: true)')).toContain(id);
  }, 300_000);

  it("refuses a plan with no price for the caller's account, and an account currency without a platform price list", async () => {
    const buyer = await customer('Buyer');
    const planId = uniqueName('unpriced-').toLowerCase();
    // Priced in Swiss francs only: none for the buyer, who pays in euros.
    await client.call('compute.catalog.plan.save', {
      accountIds: PLATFORM_SCOPE,
      input: { id: planId, name: 'Unpriced', kind: 'CONTAINER', vcpus: 1, memoryMb: 256, diskGb: 1, prices: [{ currency: 'CHF', hourlyPrice: '0.01', monthlyPrice: '5.00' }] },
    });
    const create = await buyer.api.request(`mutation { createInstance(input: { name: "${uniqueName('nope-')}", kind: CONTAINER, imageId: "dev-busybox-rootfs", planId: "${planId}", regionId: "local", billingCycle: HOURLY }) { id } }`);
    expect(create.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.planId' });
    expect((await buyer.api.data('{ instances(includeDeleted: true) { totalCount } }')).instances.totalCount).toBe(0);

    // XAF is ISO 4217, but the platform has no price list in it: its instances could never be rated.
    const unpriced = await admin.request('mutation { createAccount(input: { name: "Franc", kind: CUSTOMER, currency: "XAF" }) { account { id } } }');
    expect(unpriced.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.currency' }, message: expect.stringContaining('XAF') });
    await customer('Dollar', 'USD');
  }, 120_000);
});
