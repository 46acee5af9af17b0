// Address allocation through the network service: 50 concurrent callers asking over NATS, served by
// three network processes on one database, for three kinds of pool. Prints JSON: allocations/s,
// latency, and the number of addresses handed out twice (must be 0).
// Needs PostgreSQL and NATS (DATABASE_URL, NATS_URL as for the tests).
// Usage: npm run bench:ipam   (BENCH_ALLOCATIONS, default 5000 per IPv6 pool)
import os from 'node:os';
import { connectServiceClient, createServiceDatabase, runBuilt, TEST_NATS_URL, uniqueName, waitFor } from '#libs/testing';

const CONCURRENCY = 50;
const ALLOCATIONS = Number(process.env.BENCH_ALLOCATIONS ?? 5000);
const PROCESSES = 3;

const database = await createServiceDatabase('awan_bench_');
const caller = await connectServiceClient('ipam-bench');
// Compute answers network's question about the pools' regions' hosts (there are none) before a pool is made.
const services = [runBuilt('dist/apps/compute/src/main.js', { DATABASE_URL: database.url, NATS_URL: TEST_NATS_URL, PORT: '0' })];
await waitFor(() => caller.client.call('compute.health', {}, 1000).then(() => true, () => false), 30_000, 'compute to answer');
for (let i = 0; i < PROCESSES; i++) {
  services.push(runBuilt('dist/apps/network/src/main.js', { DATABASE_URL: database.url, NATS_URL: TEST_NATS_URL, PORT: '0' }));
  await waitFor(() => caller.client.call('network.health', {}, 1000).then(() => true, () => false), 30_000, 'network to answer');
}

/** `count` allocations from a new pool, `CONCURRENCY` in flight at any time. */
async function run(label: string, pool: { prefix: string; gateway: string; assignmentLength?: number }, count: number) {
  const regionId = uniqueName('bench-');
  await caller.client.call('network.pool.create', { input: { id: `${regionId}-pool`, regionId, ...pool } });
  const family = pool.prefix.includes(':') ? 'IPV6' : 'IPV4';
  const latencies: number[] = [];
  const addresses: string[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) {
      next++;
      const asked = process.hrtime.bigint();
      const ip = await caller.client.call('network.ip.allocate', { accountId: 'bench', accountIds: ['bench'], input: { regionId, family } }, 30_000);
      latencies.push(Number(process.hrtime.bigint() - asked) / 1e6);
      addresses.push(ip.address);
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

try {
  const results = [
    // every usable address of a /24: the search gets harder as it fills
    await run('IPv4 /24, filled', { prefix: '198.51.100.0/24', gateway: '198.51.100.1' }, 253),
    await run('IPv6 /112 (searched)', { prefix: '2001:db8:b::/112', gateway: '2001:db8:b::1' }, ALLOCATIONS),
    await run('IPv6 /64 (probed at random)', { prefix: '2001:db8:c::/64', gateway: '2001:db8:c::1' }, ALLOCATIONS),
  ];
  console.log(JSON.stringify({ concurrency: CONCURRENCY, networkProcesses: PROCESSES, cores: os.cpus().length, results }, null, 2));
} finally {
  for (const service of services) {
    service.child.kill('SIGTERM');
    await service.exited;
  }
  await caller.close();
  await database.drop();
}
