import { randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { PLATFORM_SCOPE, SYSTEM_ACTOR, type AppError, type IpView, type PoolInput, type RequestOf } from '#libs/contracts';
import { createPool, EventStore, rebuildProjection } from '#libs/event-store';
import { type ServiceClient } from '#libs/messaging';
import { connectServiceClient, createServiceDatabase, failureOf, runBuilt, uniqueName, waitFor, type Fixture, type ServiceDatabase, type TestServiceClient } from '#libs/testing';
import { startNatsServer, type EmbeddedServer } from '../../../../scripts/embedded-servers.js';
import { networkEventStore } from '../network.event-store.js';
import { floatingLimitSettings } from './ips.js';

const QUARANTINE_SECONDS = 3;

/** A UDP port nothing listens on right now. */
async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  socket.close();
  return port;
}

describe('IP address management across three network service processes', () => {
  // A NATS of the test's own: the compute process a new pool's check goes to is this test's alone.
  let natsDir: string;
  let nats: EmbeddedServer;
  let database: ServiceDatabase;
  let caller: TestServiceClient;
  let client: ServiceClient;
  /** Network's schema, as the services keep it. */
  let db: pg.Pool;
  /** Network's schema through sessions whose accounts may have one floating address a region (network's settings, FLOATING_IPS_PER_ACCOUNT=1). */
  let limitedToOne: pg.Pool;
  const services: Fixture[] = [];
  const regionId = uniqueName('ipam-');
  const accountId = uniqueName('acct-');
  let dnsPort: number;
  /** As a well-behaved client does: UNAVAILABLE (a connection or lock not had in time, on a busy machine) is asked again. */
  const allocate = async (account = accountId, region = regionId): Promise<IpView> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await client.call('network.ip.allocate', { accountId: account, accountIds: [account], input: { regionId: region, family: 'IPV4' } }, 30_000);
      } catch (error) {
        if ((error as AppError).code !== 'UNAVAILABLE' || attempt === 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  };

  beforeAll(async () => {
    natsDir = mkdtempSync(path.join(os.tmpdir(), 'awan-ipam-nats-'));
    nats = await startNatsServer(natsDir, () => undefined, null);
    database = await createServiceDatabase('awan_network_');
    caller = await connectServiceClient('network-test', nats.url);
    client = caller.client;
    db = createPool(database.url, { schema: 'network' });
    limitedToOne = createPool(database.url, { schema: 'network', settings: floatingLimitSettings({ perAccount: 1, quarantineSeconds: QUARANTINE_SECONDS }) });
    dnsPort = await freeUdpPort();
    // Compute answers for the regions' hosts (none here) before a pool is made.
    services.push(runBuilt('dist/apps/compute/src/main.js', { DATABASE_URL: database.url, NATS_URL: nats.url, PORT: '0' }));
    await waitFor(() => client.call('compute.health', {}, 1000).then(() => true, () => false), 30_000, `compute to answer\n${services[0].output()}`);
    // One after another: the first migrates the schema, the others find it done.
    for (let i = 0; i < 3; i++) {
      services.push(runBuilt('dist/apps/network/src/main.js', {
        DATABASE_URL: database.url, NATS_URL: nats.url, PORT: '0', IP_QUARANTINE_SECONDS: String(QUARANTINE_SECONDS),
        FLOATING_IPS_PER_ACCOUNT: '1000', // one account fills a /24 here: the limit has its test in firewalls.int-spec
        ...(i === 0 ? { DNS_PORT: String(dnsPort) } : {}), // one of them answers DNS too
      }));
      await waitFor(() => client.call('network.health', {}, 1000).then(() => true, () => false), 30_000, `network to answer\n${services.at(-1)!.output()}`);
    }
  }, 120_000);

  afterAll(async () => {
    for (const service of services) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    await caller?.close();
    await db?.end();
    await limitedToOne?.end();
    await database?.drop();
    await nats?.stop();
    rmSync(natsDir, { recursive: true, force: true });
  }, 60_000);

  it('never hands out an address twice to 200 concurrent callers, and says when the /24 is full', async () => {
    const pool = await client.call('network.pool.create', { input: { id: `${regionId}-v4`, regionId, prefix: '198.51.100.0/24', gateway: '198.51.100.1' } });
    expect(pool).toMatchObject({ family: 'IPV4', usable: '253', allocated: 0 });

    const first = await Promise.all(Array.from({ length: 200 }, () => allocate()));
    const addresses = first.map((ip) => ip.address);
    expect(new Set(addresses).size).toBe(200);
    for (const address of addresses) {
      expect(address).toMatch(/^198\.51\.100\.\d+$/);
      expect(['198.51.100.0', '198.51.100.1', '198.51.100.255']).not.toContain(address);
    }

    const rest = await Promise.allSettled(Array.from({ length: 60 }, () => allocate()));
    const won = rest.flatMap((r) => (r.status === 'fulfilled' ? [r.value.address] : []));
    const refused = rest.flatMap((r) => (r.status === 'rejected' ? [r.reason as AppError] : []));
    expect(won).toHaveLength(53);
    expect(new Set([...addresses, ...won]).size).toBe(253);
    expect(refused).toHaveLength(7);
    for (const error of refused) {
      expect(error).toMatchObject({ code: 'INSUFFICIENT_CAPACITY', message: expect.stringContaining(`pool ${regionId}-v4 (198.51.100.0/24)`) });
    }
    expect(await client.call('network.pool.list', { regionId })).toEqual([expect.objectContaining({ allocated: 253 })]);
  }, 120_000);

  it('keeps a released address out of use for its quarantine, then hands it out again', async () => {
    const region = uniqueName('quar-');
    await client.call('network.pool.create', { input: { id: `${region}-v4`, regionId: region, prefix: '192.0.2.248/29', gateway: '192.0.2.249' } });
    const held = await Promise.all(Array.from({ length: 5 }, () => allocate(accountId, region)));
    expect(held.map((ip) => ip.address).sort()).toEqual(['192.0.2.250', '192.0.2.251', '192.0.2.252', '192.0.2.253', '192.0.2.254']);

    const released = await client.call('network.ip.release', { id: held[0].id, accountIds: [accountId] });
    expect(released.releasedAt).not.toBeNull();
    const releasedAt = Date.now();
    expect(await failureOf<AppError>(allocate(accountId, region))).toMatchObject({ code: 'INSUFFICIENT_CAPACITY' });

    const again = await waitFor(() => allocate(accountId, region).catch(() => undefined), 15_000, 'the quarantine to end');
    expect(Date.now() - releasedAt).toBeGreaterThanOrEqual(QUARANTINE_SECONDS * 1000 - 500);
    expect(again.address).toBe(held[0].address);
    expect(again.id).not.toBe(held[0].id);
    // The address's history stays with its old id.
    expect(await client.call('network.ip.get', { id: held[0].id, accountIds: [accountId] })).toMatchObject({ address: held[0].address, releasedAt: expect.any(String) });
  }, 60_000);

  it("counts an account's floating addresses at each commit once its lock is had: one committed by the lock's holder meanwhile is among them", async () => {
    const region = uniqueName('ipam-');
    const account = uniqueName('acct-');
    const poolId = `${region}-v4`;
    await client.call('network.pool.create', { input: { id: poolId, regionId: region, prefix: '192.0.2.64/29', gateway: '192.0.2.65' } });
    const record = (tx: pg.PoolClient, address: string) => tx.query(
      `INSERT INTO ip_addresses (id, position, pool_id, address, family, prefix_length, gateway, region_id, account_id, floating, allocated_at)
       VALUES ($1, 0, $2, $3, 'IPV4', 29, '192.0.2.65', $4, $5, true, now())`,
      [randomUUID(), poolId, address, region, account],
    );
    const [holder, waiter] = [await limitedToOne.connect(), await limitedToOne.connect()];
    try {
      // The holder has the account's lock, as its commit takes it, and an address recorded.
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`floating-ips:${account}:${region}`]);
      await record(holder, '192.0.2.66');
      const { rows: [{ pid }] } = await waiter.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await waiter.query('BEGIN');
      await record(waiter, '192.0.2.67');
      const committed = waiter.query('COMMIT');
      await waitFor(async () => (await db.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'`, [pid])).rows.length > 0, 10_000, 'the commit to wait on the lock');
      await holder.query('COMMIT'); // its count: 1, within the limit
      // Counted once the lock was had, not as the commit began: the holder's address too, over the limit.
      await expect(committed).rejects.toMatchObject({ code: 'AWQ01', detail: '2' });
    } finally {
      holder.release();
      waiter.release();
      // The rows have no events: a rebuild of the addresses would not know them.
      await db.query('DELETE FROM ip_addresses WHERE account_id = $1', [account]);
    }
  });

  it('hands out nothing more from a retired pool, in each process that had read it before', async () => {
    const region = uniqueName('retired-');
    await client.call('network.pool.create', { input: { id: `${region}-a`, regionId: region, prefix: '192.0.2.192/28', gateway: '192.0.2.193' } });
    await client.call('network.pool.create', { input: { id: `${region}-b`, regionId: region, prefix: '192.0.2.208/28', gateway: '192.0.2.209' } });
    // Twelve callers: each process most likely serves some, and reads the region's pools.
    const before = await Promise.all(Array.from({ length: 12 }, () => allocate(accountId, region)));
    expect(new Set(before.map((ip) => ip.poolId))).toEqual(new Set([`${region}-a`]));

    await client.call('network.pool.retire', { id: `${region}-a` });
    const after = await Promise.all(Array.from({ length: 6 }, () => allocate(accountId, region)));
    expect(after.map((ip) => ip.poolId)).toEqual(Array(6).fill(`${region}-b`));
  });

  it('hands out no address whose lease is live, even where its unit is listed free', async () => {
    const region = uniqueName('stale-');
    const poolId = `${region}-v4`;
    await client.call('network.pool.create', { input: { id: poolId, regionId: region, prefix: '192.0.2.232/29', gateway: '192.0.2.233' } });
    expect((await allocate(accountId, region)).address).toBe('192.0.2.234'); // the lowest free unit, 2
    // Unit 2 listed free again, as a fault might leave it: its live lease still decides.
    await db.query('INSERT INTO ip_free_units (pool_id, unit) VALUES ($1, 2)', [poolId]);
    expect((await allocate(accountId, region)).address).toBe('192.0.2.235');
    const { rows } = await db.query('SELECT unit::integer FROM ip_free_units WHERE pool_id = $1 ORDER BY unit', [poolId]);
    expect(rows.map((row) => row.unit)).toEqual([4, 5, 6]);
  });

  it("answers an instance that cannot have both families with the reason, and keeps none of the address it had claimed", async () => {
    const region = uniqueName('v4only-');
    const poolId = `${region}-v4`;
    await client.call('network.pool.create', { input: { id: poolId, regionId: region, prefix: '192.0.2.80/29', gateway: '192.0.2.81' } });
    const instance = { instanceId: randomUUID(), accountId, regionId: region, name: 'web-1' };
    const ask = () => client.call('network.instance.address', { instance, metadata: { correlationId: instance.instanceId, causationId: null, actor: SYSTEM_ACTOR } });
    const refused = { addresses: null, reason: `region ${region} has no IPV6 pool` };

    // Its IPv4 is claimed first, then there is no IPv6 to be had.
    expect(await ask()).toEqual(refused);
    expect(await client.call('network.pool.list', { regionId: region })).toEqual([expect.objectContaining({ id: poolId, allocated: 0 })]);
    expect((await client.call('network.ip.list', { instanceId: instance.instanceId, accountIds: [accountId] })).totalCount).toBe(0);
    expect((await db.query("SELECT type FROM events WHERE stream_id = $1", [`instance-${instance.instanceId}`])).rows).toEqual([{ type: 'InstanceAddressingFailed' }]);
    // The answer is given once: the same once the region has an IPv6 pool, and every IPv4 address is there for others.
    await client.call('network.pool.create', { input: { id: `${region}-v6`, regionId: region, prefix: '2001:db8:5eed::/64', gateway: '2001:db8:5eed::1' } });
    expect(await ask()).toEqual(refused);
    const five = await Promise.all(Array.from({ length: 5 }, () => allocate(accountId, region)));
    expect(five.map((ip) => ip.address).sort()).toEqual(['192.0.2.82', '192.0.2.83', '192.0.2.84', '192.0.2.85', '192.0.2.86']);
  });

  it('rebuilds the addresses, their leases and the free units from the events as they were, whatever the limit on floating ones now', async () => {
    const region = uniqueName('rebuild-');
    await client.call('network.pool.create', { input: { id: `${region}-v4`, regionId: region, prefix: '192.0.2.224/29', gateway: '192.0.2.225' } });
    const [kept, released] = [await allocate(accountId, region), await allocate(accountId, region)];
    await client.call('network.ip.release', { id: released.id, accountIds: [accountId] });
    const tables = async () => ({
      addresses: (await db.query('SELECT id, host(address) AS address, pool_id, instance_id, allocated_at, released_at FROM ip_addresses ORDER BY id')).rows,
      leases: (await db.query('SELECT pool_id, unit::text, ip_id, released_at FROM ip_leases ORDER BY pool_id, unit')).rows,
      free: (await db.query('SELECT pool_id, unit::text, released_at FROM ip_free_units ORDER BY pool_id, unit')).rows,
    });
    const before = await tables();
    expect(before.free.filter((row) => row.pool_id === `${region}-v4`)).toEqual([
      { pool_id: `${region}-v4`, unit: '3', released_at: expect.any(Date) }, // in quarantine
      ...['4', '5', '6'].map((unit) => ({ pool_id: `${region}-v4`, unit, released_at: null })),
    ]);
    expect(before.leases).toContainEqual({ pool_id: `${region}-v4`, unit: '2', ip_id: kept.id, released_at: null });

    // The account holds more than one floating address in the region: allocated within the limit of their day.
    await rebuildProjection(new EventStore(limitedToOne, 'network', networkEventStore.projections), 'ip-addresses');
    expect(await tables()).toEqual(before);
  });

  it('refuses a request for addresses that does not say whose it is, and an allocation for an account outside its scope', async () => {
    const region = uniqueName('scope-');
    await client.call('network.pool.create', { input: { id: `${region}-v4`, regionId: region, prefix: '192.0.2.240/29', gateway: '192.0.2.241' } });
    const input = { regionId: region, family: 'IPV4' } as const;
    // As a caller that forgot its scope would send them: nothing is assumed, so nothing is seen or taken.
    const unscoped = <S extends 'network.ip.allocate' | 'network.ip.list'>(subject: S, request: object) =>
      failureOf<AppError>(client.call(subject, request as RequestOf<S>));
    expect(await unscoped('network.ip.allocate', { accountId, input })).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('accountIds') });
    expect(await unscoped('network.ip.list', {})).toMatchObject({ code: 'FORBIDDEN' });
    expect(await failureOf<AppError>(client.call('network.ip.allocate', { accountId, accountIds: ['someone-else'], input })))
      .toMatchObject({ code: 'FORBIDDEN', message: `account ${accountId} is not one the caller acts for` });
    // An empty instance id names no instance: refused, never an unassigned address the caller did not ask for.
    expect(await failureOf<AppError>(client.call('network.ip.allocate', { accountId, accountIds: [accountId], input: { ...input, instanceId: '' } })))
      .toMatchObject({ code: 'NOT_FOUND' });
    expect(await client.call('network.pool.list', { regionId: region })).toEqual([expect.objectContaining({ allocated: 0 })]);

    // ADMIN's scope is every account.
    const ip = await client.call('network.ip.allocate', { accountId, accountIds: PLATFORM_SCOPE, input });
    expect(ip).toMatchObject({ accountId, regionId: region, floating: true });
    expect(await client.call('network.ip.get', { id: ip.id, accountIds: ['someone-else'] })).toBeNull();
  });

  it("assigns no floating address to an instance whose end is being recorded: the assignment waits for it, and sees it ended", async () => {
    const region = uniqueName('end-');
    await client.call('network.pool.create', { input: { id: `${region}-v4`, regionId: region, prefix: '192.0.2.96/29', gateway: '192.0.2.97' } });
    const instanceId = randomUUID();
    await db.query('INSERT INTO instances (id, account_id, region_id, name) VALUES ($1, $2, $3, $4)', [instanceId, accountId, region, 'ending']);
    const ip = await client.call('network.ip.allocate', { accountId, accountIds: [accountId], input: { regionId: region, family: 'IPV4' } });
    // As the consumer of compute's InstanceDeleted holds it: the row marked ended, its addresses being released.
    const ending = await db.connect();
    try {
      await ending.query('BEGIN');
      await ending.query('UPDATE instances SET ended_at = now() WHERE id = $1', [instanceId]);
      const assigning = failureOf<AppError>(client.call('network.ip.assign', { id: ip.id, instanceId, accountIds: [accountId] }, 30_000));
      await new Promise((resolve) => setTimeout(resolve, 500)); // the assignment is waiting on the row
      await ending.query('COMMIT');
      expect(await assigning).toMatchObject({ code: 'CONFLICT', message: `instance ${instanceId} is deleted` });
    } finally {
      ending.release();
    }
    expect(await client.call('network.ip.get', { id: ip.id, accountIds: [accountId] })).toMatchObject({ instanceId: null });
  });

  it('refuses bad pools, each with a BAD_USER_INPUT naming the field', async () => {
    const region = uniqueName('bad-');
    await client.call('network.pool.create', { input: { id: `${region}-v6`, regionId: region, prefix: '2001:db8:bad::/64', gateway: '2001:db8:bad::1' } });
    const create = (input: Pick<PoolInput, 'prefix' | 'gateway'>) => failureOf<AppError>(client.call('network.pool.create', { input: { id: uniqueName('p-'), regionId: region, ...input } }));
    expect(await create({ prefix: '2001:db8:bad::/48', gateway: '2001:db8:bad::1' }))
      .toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.prefix', message: expect.stringContaining(`overlaps pool ${region}-v6`) });
    expect(await create({ prefix: '203.0.113.9/24', gateway: '203.0.113.1' }))
      .toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.prefix', message: expect.stringContaining('not a network address') });
    expect(await create({ prefix: '2001:db8:beef::/64', gateway: '203.0.113.1' }))
      .toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.gateway', message: expect.stringContaining('IPV6 address for an IPV6 pool') });
    expect(await client.call('network.pool.list', { regionId: region })).toHaveLength(1);
  });

  it("answers a hundred changes of one address asked at once through the three processes, each decided in its turn", async () => {
    const region = uniqueName('turns-');
    await client.call('network.pool.create', { input: { id: `${region}-v4`, regionId: region, prefix: '192.0.2.0/27', gateway: '192.0.2.1' } });
    const ip = await allocate(accountId, region);
    // Each decision but the first loses to another's append at first; before, some lost ten times over and answered UNAVAILABLE.
    const names = Array.from({ length: 100 }, (_, i) => `host-${i}.example.com`);
    const settled = await Promise.allSettled(names.map((hostname) => client.call('network.ip.reverseDns.set', { id: ip.id, hostname, accountIds: [accountId] }, 30_000)));
    expect(settled.filter((outcome) => outcome.status === 'rejected').map((outcome) => String((outcome as PromiseRejectedResult).reason))).toEqual([]);
    // Every one recorded, and the address named as the last of them says.
    const { rows } = await db.query<{ hostname: string }>(
      "SELECT data->>'hostname' AS hostname FROM events WHERE stream_id = $1 AND type = 'ReverseDnsSet' ORDER BY version", [`ip-${ip.id}`],
    );
    expect(rows.map((row) => row.hostname).sort()).toEqual([...names].sort());
    expect((await client.call('network.ip.get', { id: ip.id, accountIds: [accountId] }))?.reverseDns).toBe(rows.at(-1)!.hostname);
  });

  it("serves a PTR name set on an address in its reverse zone, and refuses one that is not a host name or is the platform's", async () => {
    const region = uniqueName('ptr-');
    await client.call('network.pool.create', { input: { id: `${region}-v4`, regionId: region, prefix: '192.0.2.128/26', gateway: '192.0.2.129' } });
    const ip = await allocate(accountId, region);
    for (const hostname of ['mail..example.com', '1.2.3.4']) {
      expect(await failureOf<AppError>(client.call('network.ip.reverseDns.set', { id: ip.id, hostname, accountIds: [accountId] })))
        .toMatchObject({ code: 'BAD_USER_INPUT', field: 'hostname' });
    }
    expect(await failureOf<AppError>(client.call('network.ip.reverseDns.set', { id: ip.id, hostname: 'mail.example.com', accountIds: ['someone-else'] })))
      .toMatchObject({ code: 'NOT_FOUND' });
    // The platform's names (its regions' zone, awan.test here, and its nameserver's) would pass the address off as another's instance, or the platform's.
    for (const hostname of ['web-1.local.awan.test', 'NS1.Awan.Test.', 'awan.test']) {
      expect(await failureOf<AppError>(client.call('network.ip.reverseDns.set', { id: ip.id, hostname, accountIds: [accountId] }))).toMatchObject({
        code: 'BAD_USER_INPUT', field: 'hostname', message: "hostname: names in awan.test are the platform's: set a name of your own domain, or none for the instance's own",
      });
    }

    const set = await client.call('network.ip.reverseDns.set', { id: ip.id, hostname: 'Mail.Example.com.', accountIds: [accountId] });
    expect(set.reverseDns).toBe('mail.example.com');
    const owner = `${ip.address.split('.').reverse().join('.')}.in-addr.arpa`;
    expect(await client.call('network.dns.records', { zone: '2.0.192.in-addr.arpa' }))
      .toContainEqual({ name: owner, type: 'PTR', value: 'mail.example.com', ttl: 300 });
    // And over DNS itself, asked by Node's resolver.
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`127.0.0.1:${dnsPort}`]);
    expect(await resolver.reverse(ip.address)).toEqual(['mail.example.com']);
    await expect(resolver.reverse('192.0.2.190')).rejects.toMatchObject({ code: 'ENOTFOUND' }); // ours, but nobody's
    const zoneFile = await client.call('network.dns.zoneFile', { zone: '2.0.192.in-addr.arpa' });
    expect(zoneFile.text).toContain(`${owner}. 300 IN PTR mail.example.com.`);
    expect(zoneFile.text).toMatch(/^\$ORIGIN 2\.0\.192\.in-addr\.arpa\.$/m);

    await client.call('network.ip.reverseDns.set', { id: ip.id, hostname: null, accountIds: [accountId] });
    expect((await client.call('network.dns.records', { zone: '2.0.192.in-addr.arpa' })).map((r) => r.name)).not.toContain(owner);
  });
});
