import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { meterInstance } from '../apps/billing/src/metering/meter.js';
import { AWAN_SERVICES, describeWithHardware, GraphqlClient, missingHardware, servicePids, startTestAwan, type TestAwan, waitFor } from '#libs/testing';


/** At least this many containers come and go, and more while a service has not been killed yet (at most MAX_INSTANCES). */
const INSTANCES = 100;
const MAX_INSTANCES = 200;
const CONCURRENCY = 5;
const INSTANCE_TIMEOUT_MS = 60_000;
const TRANSITIONAL = ['PENDING', 'PROVISIONING', 'STARTING', 'STOPPING', 'REBOOTING', 'RESIZING', 'MIGRATING', 'DELETING'];

/**
 * The whole system started the README's way, 100 containers created and deleted through the
 * GraphQL API, while one service after another (gateway, compute, network, billing, the host
 * agent) is killed with -9 at random moments and restarted by the supervisor. Afterwards every
 * effect happened exactly once.
 */
describeWithHardware('Awan with its services killed at random', missingHardware({ root: true, lxc: true }), () => {
  let awan: TestAwan;
  let api: GraphqlClient;

  beforeAll(async () => {
    awan = await startTestAwan('crash_e2e', {
      INSTANCE_TIMEOUT_MS: String(INSTANCE_TIMEOUT_MS), QUOTA_INSTANCES: '1000', QUOTA_VCPUS: '1000', QUOTA_MEMORY_MB: '10000000',
      // More containers than the seeded pool's 125 addresses may come and go: a released one is free again at once.
      IP_QUARANTINE_SECONDS: '0',
    });
    const admin = new GraphqlClient(awan.url, awan.adminKey);
    const customer = await admin.data(`mutation { createAccount(input: { name: "Crash Customer", kind: CUSTOMER }) { apiKey { secret } } }`);
    api = admin.as(customer.createAccount.apiKey.secret);
  }, 240_000);

  afterAll(() => awan?.stop(), 120_000);

  /** A request repeated until a gateway answers it without a transient error: what a careful client does. */
  async function persist<T>(query: string): Promise<T> {
    for (;;) {
      const response = await api.request<T>(query).catch(() => null);
      const code = response?.errors?.[0]?.extensions?.code;
      if (response && !response.errors?.length) return response.data!;
      if (response && code !== 'UNAVAILABLE' && code !== 'INTERNAL') throw new Error(`${code}: ${response.errors![0].message}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  async function statusOf(id: string): Promise<string> {
    return (await persist<{ instance: { status: string } }>(`{ instance(id: "${id}") { status } }`)).instance.status;
  }

  async function settle(id: string, wanted: string[]): Promise<string> {
    return waitFor(async () => {
      const status = await statusOf(id);
      return wanted.includes(status) ? status : undefined;
    }, INSTANCE_TIMEOUT_MS * 3, `instance ${id} to be ${wanted.join(' or ')}`);
  }

  /** Create (one idempotency key however often it is sent), wait until it runs or failed, delete, wait until gone. */
  async function lifecycle(n: number): Promise<string> {
    const key = `crash-${n}`;
    const { createInstance } = await persist<{ createInstance: { id: string } }>(
      `mutation { createInstance(input: { name: "crash-${n}", kind: CONTAINER, imageId: "dev-busybox-rootfs", planId: "ct-512m", regionId: "local", billingCycle: HOURLY, idempotencyKey: "${key}" }) { id } }`,
    );
    await settle(createInstance.id, ['RUNNING', 'ERROR']);
    // A delete that outlived its timeout fails (ERROR, the watcher's promise); a client deletes again.
    for (let attempt = 1; ; attempt++) {
      await waitFor(async () => {
        const response = await api.request(`mutation { deleteInstance(id: "${createInstance.id}") { status } }`).catch(() => null);
        if (response && !response.errors?.length) return true;
        // No gateway, no compute, or CONFLICT (an operation under way, such as a fenced instance restarting): asked again shortly.
        await new Promise((resolve) => setTimeout(resolve, 500));
        return false;
      }, INSTANCE_TIMEOUT_MS * 2, `instance ${createInstance.id} to accept its delete`);
      if ((await settle(createInstance.id, ['DELETED', 'ERROR'])) === 'DELETED') break;
      const { instance } = await persist<{ instance: { history: { edges: { node: { type: string; occurredAt: string; data: string } }[] } } }>(
        `{ instance(id: "${createInstance.id}") { history(first: 100) { edges { node { type occurredAt data } } } } }`,
      );
      failedDeletes.push(`${createInstance.id}: ${instance.history.edges.map((e) => `${e.node.occurredAt.slice(11, 23)} ${e.node.type} ${e.node.data}`).join(' | ')}`);
      expect(attempt).toBeLessThan(3);
    }
    return createInstance.id;
  }

  const failedDeletes: string[] = [];

  it('creates and deletes 100 containers while services are killed with -9: nothing stuck, lost or done twice', async () => {
    const kills: string[] = [];
    let working = true;
    // One kill at a random moment, then the next once the supervisor has every service back:
    // each crash lands on a working system, as crashes in production do.
    const chaos = (async () => {
      // The services in a shuffled order, round after round: every one dies within five kills.
      let round: string[] = [];
      while (working) {
        await new Promise((resolve) => setTimeout(resolve, 1000 + Math.random() * 5000));
        if (round.length === 0) round = [...AWAN_SERVICES].sort(() => Math.random() - 0.5);
        const pids = servicePids(awan.launcher.pid);
        const name = round.shift()!;
        if (!working || !pids.has(name)) continue;
        process.kill(pids.get(name)!, 'SIGKILL');
        kills.push(name);
        await waitFor(() => servicePids(awan.launcher.pid).size === AWAN_SERVICES.length && servicePids(awan.launcher.pid).get(name) !== pids.get(name), 60_000, `${name} to be restarted`);
      }
    })();

    const ids: string[] = [];
    let next = 0;
    try {
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (next < INSTANCES || (new Set(kills).size < AWAN_SERVICES.length && next < MAX_INSTANCES)) ids.push(await lifecycle(next++));
      }));
    } finally {
      working = false;
      await chaos;
    }
    console.log(`killed while ${ids.length} containers came and went: ${kills.join(', ')}`);
    if (failedDeletes.length) console.log(`deletes that timed out and were asked again:\n${failedDeletes.join('\n')}`);
    expect(new Set(kills).size).toBe(AWAN_SERVICES.length); // each service died at least once

    const db = new pg.Client({ connectionString: awan.databaseUrl });
    await db.connect();
    try {
      // One instance per create, however often its request was sent; none left in a transitional status.
      const { rows: instances } = await db.query<{ id: string; status: string }>('SELECT id, status FROM compute.instances ORDER BY position');
      expect(instances).toHaveLength(ids.length);
      expect(instances.filter((i) => TRANSITIONAL.includes(i.status))).toEqual([]);
      expect(instances.every((i) => i.status === 'DELETED')).toBe(true);

      // Network: one IPv4 and one IPv6 each, all given back. Network releases them on InstanceDeleted,
      // so its consumer may still be catching up after its last restart.
      const addresses = async () =>
        (await db.query<{ instance_id: string; families: string[]; held: number }>(
          `SELECT instance_id, array_agg(family ORDER BY family) AS families, count(*) FILTER (WHERE released_at IS NULL)::integer AS held
           FROM network.ip_addresses WHERE instance_id IS NOT NULL GROUP BY instance_id`,
        )).rows;
      const lagging = (await addresses()).filter((row) => row.held > 0).length;
      const caughtUpFrom = Date.now();
      const ips = await waitFor(async () => {
        const rows = await addresses();
        if (rows.every((row) => row.held === 0)) return rows;
        await new Promise((resolve) => setTimeout(resolve, 500));
        return undefined;
      }, 60_000, 'network to have released every deleted instance\'s addresses').catch(() => addresses());
      if (lagging) console.log(`network released the addresses of ${lagging} deleted instance(s) ${Date.now() - caughtUpFrom} ms after the last delete`);
      // A create may fail (ERROR) before network answered it, as one whose network or compute was down for
      // its whole timeout: it never had addresses, and says so in its history. Every other instance had both.
      const addressed = new Set(ips.map((row) => row.instance_id));
      const { rows: unaddressed } = await db.query<{ id: string; events: string }>(
        `SELECT i.id, string_agg(e.type || coalesce(' (' || (e.data->>'reason') || ')', ''), ', ' ORDER BY e.version) AS events
         FROM compute.instances i JOIN compute.events e ON e.stream_id = 'instance-' || i.id WHERE i.id = ANY($1::uuid[]) GROUP BY i.id`,
        [ids.filter((id) => !addressed.has(id))],
      );
      if (unaddressed.length > 0) console.log(`never given addresses:\n${unaddressed.map((row) => `${row.id}: ${row.events}`).join('\n')}`);
      for (const { events } of unaddressed) expect(events).toMatch(/^InstanceRequested, InstanceScheduled, InstanceFailed \(/);
      expect(ips).toHaveLength(ids.length - unaddressed.length);
      for (const row of ips) expect(row).toMatchObject({ families: ['IPV4', 'IPV6'], held: 0 });

      // The host: nothing reserved, nothing left on disk.
      const { rows: reserved } = await db.query('SELECT instance_id FROM compute.host_reservations');
      expect(reserved).toEqual([]);
      const storage = path.join(awan.dataDir, 'agent', 'instances');
      expect(existsSync(storage) ? readdirSync(storage) : []).toEqual([]);

      // Billing: each instance's segments are what its events say (each event metered once, none
      // lost), one after another without a gap or an overlap, closed at the deletion.
      const segmentsOf = async (id: string) => {
        const { rows: events } = await db.query(
          `SELECT event_id AS "eventId", type, version, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "occurredAt", data
           FROM compute.events WHERE stream_id = $1 ORDER BY version`,
          [`instance-${id}`],
        );
        expect(events.filter((e) => e.type === 'InstanceRequested')).toHaveLength(1);
        expect(events.filter((e) => e.type === 'InstanceDeleted')).toHaveLength(1);
        const { rows: billed } = await db.query<{ id: string; started: number; ended: number | null }>(
          `SELECT id, extract(epoch FROM started_at)::integer AS started, extract(epoch FROM ended_at)::integer AS ended
           FROM billing.usage_segments WHERE resource_id = $1`,
          [id],
        );
        const order = (a: { started: number; ended: number | null }, b: { started: number; ended: number | null }) =>
          a.started - b.started || (a.ended ?? Infinity) - (b.ended ?? Infinity);
        const expected = meterInstance(id, events)!.segments.map((s) => ({ id: s.id, started: s.startedAt, ended: s.endedAt })).sort(order);
        return { expected, billed: billed.sort(order) };
      };
      // The meter's consumer may still be catching up after its last restart.
      await waitFor(async () => {
        for (const { id } of instances) {
          const { expected, billed } = await segmentsOf(id);
          if (JSON.stringify(expected) !== JSON.stringify(billed)) return false;
        }
        return true;
      }, 60_000, 'billing to have metered every event');
      for (const { id } of instances) {
        const { billed } = await segmentsOf(id);
        billed.forEach((segment, i) => i > 0 && expect(segment.started).toBe(billed[i - 1].ended));
        expect(billed.at(-1)?.ended).not.toBeNull();
      }
    } finally {
      await db.end();
    }
  }, 1_800_000);
});
