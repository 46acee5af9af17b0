// Address allocation through the network service: 50 concurrent callers asking over NATS, served by
// three network processes on one database, for three kinds of pool. Filling an IPv4 /24 is measured
// beside the same transaction run straight on PostgreSQL (one pg pool with as many connections as the
// three processes have, 50 callers), in rounds of the same run. Prints JSON: allocations/s, latency,
// and the number of addresses handed out twice (must be 0).
// Needs PostgreSQL (DATABASE_URL as for the tests) and nats-server, run on a port of the bench's own:
// no other process on a shared NATS answers its requests.
// Usage: npm run bench:ipam   (BENCH_ALLOCATIONS, default 5000 per IPv6 pool)
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatAddress, SYSTEM_ACTOR } from '#libs/contracts';
import { createPool, DEFAULT_POOL_LIMITS, EventStore, eventStoreMigrations, migrate } from '#libs/event-store';
import { connectServiceClient, createServiceDatabase, runBuilt, uniqueName, waitFor } from '#libs/testing';
import { startNatsServer } from '../../scripts/embedded-servers.js';
import { networkEventStore } from '../../apps/network/src/network.event-store.js';
import { floatingLimitSettings } from '../../apps/network/src/ips/ips.js';
import { addressOfUnit, createdOf, onLinkLength, validatePool, type Pool } from '../../apps/network/src/pools/pool.js';

const CONCURRENCY = 50;
const ALLOCATIONS = Number(process.env.BENCH_ALLOCATIONS ?? 5000);
const PROCESSES = 3;
/** The one account every allocation is made for, on both sides. */
const ACCOUNT = 'bench';
/** How long a released address rests, on both sides (network's IP_QUARANTINE_SECONDS, its default). */
const QUARANTINE_SECONDS = 3600;
/** The account's limit on both sides: out of the way, but still counted. */
const LIMIT = { perAccount: 10 * ALLOCATIONS, quarantineSeconds: QUARANTINE_SECONDS };
/** /24s filled by each side, alternately, after one each to warm up. */
const FILLS = 7;
const metadata = { correlationId: randomUUID(), causationId: null, actor: SYSTEM_ACTOR };

const natsDir = mkdtempSync(path.join(os.tmpdir(), 'awan-ipam-bench-'));
const nats = await startNatsServer(natsDir, () => undefined, null);
const database = await createServiceDatabase('awan_bench_');
const caller = await connectServiceClient('ipam-bench', nats.url);
// Compute answers network's question about the pools' regions' hosts (there are none) before a pool is made.
const services = [runBuilt('dist/apps/compute/src/main.js', { DATABASE_URL: database.url, NATS_URL: nats.url, PORT: '0' })];
await waitFor(() => caller.client.call('compute.health', {}, 1000).then(() => true, () => false), 30_000, 'compute to answer');
for (let i = 0; i < PROCESSES; i++) {
  services.push(runBuilt('dist/apps/network/src/main.js', {
    DATABASE_URL: database.url, NATS_URL: nats.url, PORT: '0', FLOATING_IPS_PER_ACCOUNT: String(LIMIT.perAccount), IP_QUARANTINE_SECONDS: String(LIMIT.quarantineSeconds),
  }));
  await waitFor(() => caller.client.call('network.health', {}, 1000).then(() => true, () => false), 30_000, 'network to answer');
}

// Raw: network's tables in a schema of their own, the pools made by network's projection; then only SQL.
const RAW_SCHEMA = 'ipam_raw';
// Network's sessions' limit too: PostgreSQL counts the account's floating addresses at each commit, under its lock.
const raw = createPool(database.url, { schema: RAW_SCHEMA, max: PROCESSES * DEFAULT_POOL_LIMITS.max, settings: floatingLimitSettings(LIMIT) });
await migrate(raw, RAW_SCHEMA, [...eventStoreMigrations, ...networkEventStore.migrations]);
const rawStore = new EventStore(raw, RAW_SCHEMA, networkEventStore.projections);

/**
 * What network does to allocate a floating address, as one pg pool sends it: claim a free unit,
 * record the event and the address; PostgreSQL counts the account's under its lock at the commit.
 */
async function rawAllocate(pool: Pool): Promise<string> {
  const client = await raw.connect();
  try {
    await client.query('BEGIN');
    const ipId = randomUUID();
    // Not prepared, as network's is not: a generic plan made while the table was small would sort a large pool's rows.
    const { rows: [claimed] } = await client.query<{ unit: string }>(
      `WITH candidate AS (
               SELECT unit FROM ip_free_units WHERE pool_id = $1 AND (released_at IS NULL OR released_at <= now() - make_interval(secs => $3))
               ORDER BY unit LIMIT 1 FOR UPDATE SKIP LOCKED
             ), taken AS (DELETE FROM ip_free_units f USING candidate c WHERE f.pool_id = $1 AND f.unit = c.unit RETURNING f.unit)
             INSERT INTO ip_leases (pool_id, unit, ip_id) SELECT $1, unit, $2 FROM taken
             ON CONFLICT (pool_id, unit) DO UPDATE SET ip_id = excluded.ip_id, released_at = NULL WHERE ip_leases.released_at <= now() - make_interval(secs => $3)
             RETURNING unit::text`,
      [pool.id, ipId, QUARANTINE_SECONDS],
    );
    const address = formatAddress(addressOfUnit(pool, BigInt(claimed.unit)));
    const data = {
      ipId, address, family: pool.family, regionId: pool.regionId, accountId: ACCOUNT, floating: true, poolId: pool.id,
      prefixLength: onLinkLength(pool), gateway: formatAddress(pool.gateway),
    };
    const occurredAt = new Date().toISOString();
    const { rows: [event] } = await client.query<{ global_position: string }>({
      name: 'event',
      text: `INSERT INTO events (event_id, stream_id, version, type, data, metadata, occurred_at) VALUES ($1, $2, 1, 'IpAllocated', $3, $4, $5)
             RETURNING global_position`,
      values: [randomUUID(), `ip-${ipId}`, JSON.stringify(data), JSON.stringify(metadata), occurredAt],
    });
    await client.query({
      name: 'address',
      text: `INSERT INTO ip_addresses (id, position, pool_id, address, family, prefix_length, gateway, region_id, account_id, floating, allocated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      values: [ipId, event.global_position, pool.id, address, pool.family, data.prefixLength, data.gateway, pool.regionId, ACCOUNT, true, occurredAt],
    });
    await client.query('COMMIT');
    return address;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

type Fill = Awaited<ReturnType<typeof measure>>;

/** `count` allocations, `CONCURRENCY` in flight at any time. */
async function measure(label: string, count: number, allocate: () => Promise<string>) {
  const latencies: number[] = [];
  const addresses: string[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) {
      next++;
      const asked = process.hrtime.bigint();
      addresses.push(await allocate());
      latencies.push(Number(process.hrtime.bigint() - asked) / 1e6);
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]);
  return {
    pool: label,
    allocations: addresses.length,
    allocationsPerSecond: Math.round(addresses.length / seconds),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    duplicates: addresses.length - new Set(addresses).size,
  };
}

/** `count` allocations through network from a new pool of a new region. */
async function run(label: string, pool: { prefix: string; gateway: string; assignmentLength?: number }, count: number) {
  const regionId = uniqueName('bench-');
  await caller.client.call('network.pool.create', { input: { id: `${regionId}-pool`, regionId, ...pool } });
  const family = pool.prefix.includes(':') ? 'IPV6' : 'IPV4';
  return measure(label, count, async () => {
    const ip = await caller.client.call('network.ip.allocate', { accountId: ACCOUNT, accountIds: [ACCOUNT], input: { regionId, family } }, 30_000);
    return ip.address;
  });
}

/** `count` allocations of the raw transaction from a new pool in the raw schema. */
async function runRaw(label: string, input: { prefix: string; gateway: string }, count: number) {
  const regionId = uniqueName('bench-');
  const pool = validatePool({ id: `${regionId}-pool`, regionId, ...input }, []);
  await rawStore.append(`pool-${pool.id}`, [{ type: 'IpPoolCreated', data: createdOf(pool) }], { expectedVersion: 0, metadata });
  return measure(label, count, () => rawAllocate(pool));
}

/**
 * Every usable address of /24s, network's and raw in turn (the last addresses are what all the
 * callers contend for): the median fill of each, and the median of the rounds' own ratios, so a
 * load the shared machine carried weighs on both.
 */
async function fillSlash24s() {
  const slash24 = (n: number) => ({ prefix: `198.18.${n}.0/24`, gateway: `198.18.${n}.1` });
  const label = 'IPv4 /24, filled';
  await run(label, slash24(0), 253);
  await runRaw(label, slash24(0), 253);
  const rounds: { network: Fill; raw: Fill }[] = [];
  for (let n = 1; n <= FILLS; n++) {
    // Each first in turn.
    if (n % 2 === 1) rounds.push({ network: await run(label, slash24(n), 253), raw: await runRaw(label, slash24(n), 253) });
    else rounds.push({ raw: await runRaw(label, slash24(n), 253), network: await run(label, slash24(n), 253) });
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const medianFill = (fills: Fill[]) => fills.find((fill) => fill.allocationsPerSecond === median(fills.map((f) => f.allocationsPerSecond)))!;
  const ours = medianFill(rounds.map((round) => round.network));
  const { pool: _, ...theirs } = medianFill(rounds.map((round) => round.raw));
  return {
    ...ours,
    fills: FILLS,
    duplicates: rounds.reduce((sum, round) => sum + round.network.duplicates, 0),
    raw: { ...theirs, duplicates: rounds.reduce((sum, round) => sum + round.raw.duplicates, 0) },
    ratioToRaw: Math.round(median(rounds.map((round) => round.network.allocationsPerSecond / round.raw.allocationsPerSecond)) * 100) / 100,
  };
}

try {
  const results = [
    await fillSlash24s(),
    await run('IPv6 /112 (free units listed)', { prefix: '2001:db8:b::/112', gateway: '2001:db8:b::1' }, ALLOCATIONS),
    await run('IPv6 /64 (probed at random)', { prefix: '2001:db8:c::/64', gateway: '2001:db8:c::1' }, ALLOCATIONS),
  ];
  console.log(JSON.stringify({ concurrency: CONCURRENCY, networkProcesses: PROCESSES, cores: os.cpus().length, results }, null, 2));
} finally {
  for (const service of services) {
    service.child.kill('SIGTERM');
    await service.exited;
  }
  await raw.end();
  await caller.close();
  await database.drop();
  await nats.stop();
  rmSync(natsDir, { recursive: true, force: true });
}
