import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { GraphqlClient, SimulatedHost, startTestAwan, uniqueName, waitFor, type GraphqlResponse, type TestAwan } from '#libs/testing';

const POOL = 'id region { id } family cidr gateway bridge size used retiredAt';

interface Pool {
  id: string;
  region: { id: string };
  family: string;
  cidr: string;
  gateway: string | null;
  bridge: string;
  size: string;
  used: number;
  retiredAt: string | null;
}

/** A route the simulated host says it has: a pool's prefix within it must not go on a bridge there. */
const HOST_ROUTE = "198.51.100.0/26 overlaps the host's route 198.51.100.0/24 on eth1";

/**
 * The ADMIN's address pools through the GraphQL API, on the whole control plane started the README's
 * way with a simulated host (it needs no hypervisor, so it runs everywhere): the pools' fields, the
 * lifecycle, the bad input each refused naming its field, and what the region's hosts say of a prefix.
 * The refusal by this machine's own routes, with its real agent, is in ip-pools.e2e-spec.ts.
 */
describe('IP pools through the API, on a simulated host', () => {
  let awan: TestAwan;
  let admin: GraphqlClient;
  let customer: GraphqlClient;
  let customerId: string;

  beforeAll(async () => {
    // Its services wait on a database lock up to 15 s, three times what the gateway waits for an
    // answer to allocateIp: what one wait too long for the caller does is seen on its own.
    awan = await startTestAwan('pools_cp', { DATABASE_LOCK_TIMEOUT_MS: '15000' }, {
      localAgent: false,
      simulatedHost: { prefixOverlap: (prefix) => (prefix === '198.51.100.0/26' ? HOST_ROUTE : null) },
    });
    admin = new GraphqlClient(awan.url, awan.adminKey);
    const made = await admin.data('mutation { createAccount(input: { name: "Pool Customer", kind: CUSTOMER }) { account { id } apiKey { secret } } }');
    customer = admin.as(made.createAccount.apiKey.secret);
    customerId = made.createAccount.account.id;
  }, 240_000);

  afterAll(() => awan?.stop(), 120_000);

  const pools = async (regionId = 'local') => (await admin.data<{ ipPools: Pool[] }>(`{ ipPools(regionId: "${regionId}") { ${POOL} } }`)).ipPools;
  const createPool = (input: string) => admin.request<{ createIpPool: Pool }>(`mutation { createIpPool(input: { ${input} }) { ${POOL} } }`);
  const refusalOf = (response: GraphqlResponse) => ({ code: response.errors?.[0]?.extensions?.code, field: response.errors?.[0]?.extensions?.field, message: response.errors?.[0]?.message });

  it('shows the seeded pools with their size as a decimal string, what is used, and no retirement', async () => {
    expect(await pools()).toEqual([
      // 128 addresses less the network, the gateway and the broadcast
      { id: 'local-ipv4', region: { id: 'local' }, family: 'IPV4', cidr: '203.0.113.128/25', gateway: '203.0.113.129', bridge: 'awanbr0', size: '125', used: 0, retiredAt: null },
      // 2^64 less the subnet-router anycast and the gateway: more than a JavaScript number holds exactly
      { id: 'local-ipv6', region: { id: 'local' }, family: 'IPV6', cidr: '2001:db8:113::/64', gateway: '2001:db8:113::1', bridge: 'awanbr0', size: '18446744073709551614', used: 0, retiredAt: null },
    ]);
    expect(await pools('nowhere')).toEqual([]);
  });

  it('is ADMIN\'s alone: any other role is FORBIDDEN, and nothing changes', async () => {
    for (const query of [
      '{ ipPools { id } }',
      'mutation { createIpPool(input: { regionId: "local", cidr: "198.51.100.192/28", bridge: "awanbr0" }) { id } }',
      'mutation { retireIpPool(id: "local-ipv4") { id } }',
    ]) {
      expect(refusalOf(await customer.request(query)).code).toBe('FORBIDDEN');
    }
    expect((await pools()).map((p) => [p.id, p.retiredAt])).toEqual([['local-ipv4', null], ['local-ipv6', null]]);
  });

  it.each([
    ['cidr: "198.51.100.7/24", bridge: "awanbr0"', 'input.cidr', 'is not a network address: the host bits are set (the network is 198.51.100.0/24)'],
    ['cidr: "198.51.100.0/33", bridge: "awanbr0"', 'input.cidr', 'a prefix length is at most 32 for IPV4'],
    ['cidr: "a big one", bridge: "awanbr0"', 'input.cidr', 'must be a prefix in CIDR notation'],
    ['cidr: "203.0.113.192/26", bridge: "awanbr0"', 'input.cidr', '203.0.113.192/26 overlaps pool local-ipv4 (203.0.113.128/25)'],
    ['cidr: "198.51.100.192/28", gateway: "198.51.100.1", bridge: "awanbr0"', 'input.gateway', 'must lie in 198.51.100.192/28'],
    ['cidr: "2001:db8:5151::/64", gateway: "198.51.100.1", bridge: "awanbr0"', 'input.gateway', 'must be an IPV6 address for an IPV6 pool'],
    ['cidr: "198.51.100.192/28", assignmentLength: 64, bridge: "awanbr0"', 'input.assignmentLength', 'an IPv4 pool hands out single addresses'],
    ['cidr: "198.51.100.192/28", reserved: ["198.51.100.194", "198.51.100.1"], bridge: "awanbr0"', 'input.reserved[1]', 'inside 198.51.100.192/28'],
    ['cidr: "198.51.100.192/28", reserved: ["198.51.100.200-198.51.100.195"], bridge: "awanbr0"', 'input.reserved[0]', 'first-last'],
    ['cidr: "198.51.100.192/28", bridge: "Awan_Bridge"', 'input.bridge', 'must be a network interface name'],
    ['cidr: "198.51.100.192/28", bridge: "awan-bridge-0001"', 'input.bridge', 'at most 15'],
    ['cidr: "198.51.100.192/28", bridge: "other0"', 'input.bridge', "region local's pools are on bridge awanbr0"],
  ])('refuses %s as BAD_USER_INPUT on %s, and makes nothing', async (input, field, message) => {
    expect(refusalOf(await createPool(`regionId: "local", ${input}`))).toEqual({ code: 'BAD_USER_INPUT', field, message: expect.stringContaining(message) });
    expect(await pools()).toHaveLength(2);
  });

  it('refuses a pool in a region that does not exist, on input.regionId', async () => {
    expect(refusalOf(await createPool('regionId: "atlantis", cidr: "198.51.100.192/28", bridge: "awanbr0"')))
      .toEqual({ code: 'BAD_USER_INPUT', field: 'input.regionId', message: 'input.regionId: there is no region atlantis' });
    expect(await pools('atlantis')).toEqual([]);
  });

  it('refuses, on input.cidr, a prefix a host of the region uses, naming the host and its route', async () => {
    expect(refusalOf(await createPool('regionId: "local", cidr: "198.51.100.0/26", bridge: "awanbr0"'))).toEqual({
      code: 'BAD_USER_INPUT', field: 'input.cidr',
      message: `input.cidr: on host ${awan.hostId}, ${HOST_ROUTE}: give the pool a prefix the hosts of region local do not use`,
    });
    expect(await pools()).toHaveLength(2);
  });

  it('creates a pool that hands out addresses, counts the live ones, and once retired hands out none', async () => {
    // The seeded IPv4 pool retired first, so the new one is the region's only IPv4 pool.
    const seeded = (await admin.data<{ retireIpPool: Pool }>(`mutation { retireIpPool(id: "local-ipv4") { ${POOL} } }`)).retireIpPool;
    expect(seeded).toMatchObject({ id: 'local-ipv4', retiredAt: expect.any(String) });
    const response = await createPool('regionId: "local", cidr: "198.51.100.128/28", bridge: "awanbr0", reserved: ["198.51.100.130"]');
    const pool = response.data!.createIpPool;
    // 16 addresses less the network, the gateway (the first, as none was given), the broadcast and the reserved one.
    expect(pool).toEqual({ id: expect.any(String), region: { id: 'local' }, family: 'IPV4', cidr: '198.51.100.128/28', gateway: '198.51.100.129', bridge: 'awanbr0', size: '12', used: 0, retiredAt: null });

    const { allocateIp } = await customer.data('mutation { allocateIp(input: { regionId: "local", family: IPV4 }) { id address } }');
    expect(allocateIp.address).toMatch(/^198\.51\.100\.(13[1-9]|14[0-2])$/);
    expect((await pools()).find((p) => p.id === pool.id)).toMatchObject({ used: 1 });
    await customer.data(`mutation { releaseIp(ipId: "${allocateIp.id}") { id } }`);
    expect((await pools()).find((p) => p.id === pool.id)).toMatchObject({ used: 0 });

    const retired = (await admin.data<{ retireIpPool: Pool }>(`mutation { retireIpPool(id: "${pool.id}") { ${POOL} } }`)).retireIpPool;
    expect(retired).toEqual({ ...pool, retiredAt: expect.any(String) });
    // Again: nothing changes.
    expect((await admin.data<{ retireIpPool: Pool }>(`mutation { retireIpPool(id: "${pool.id}") { ${POOL} } }`)).retireIpPool).toEqual(retired);
    const refused = await customer.request('mutation { allocateIp(input: { regionId: "local", family: IPV4 }) { id } }');
    expect(refusalOf(refused)).toMatchObject({ code: 'INSUFFICIENT_CAPACITY', message: expect.stringContaining('region local has no IPV4 pool') });
    // A region there is not is the caller's mistake, not a want of capacity.
    expect(refusalOf(await customer.request('mutation { allocateIp(input: { regionId: "atlantis", family: IPV4 }) { id } }')))
      .toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.regionId', message: 'input.regionId: there is no region atlantis' });
    // Retired pools stay in the list: their addresses are in use until released.
    expect((await pools()).map((p) => [p.id, p.retiredAt !== null])).toEqual([['local-ipv4', true], ['local-ipv6', false], [pool.id, true]]);
    expect(refusalOf(await admin.request('mutation { retireIpPool(id: "no-such-pool") { id } }'))).toMatchObject({ code: 'NOT_FOUND' });

    // A pool of /64s: its gateway is link-local, and its size counts /64s.
    const routed = await createPool('regionId: "local", cidr: "2001:db8:5151::/48", assignmentLength: 64, bridge: "awanbr0"');
    expect(routed.data!.createIpPool).toMatchObject({ family: 'IPV6', gateway: 'fe80::1', size: '65535' });
  });

  it('answers allocateIp UNAVAILABLE when it cannot commit in time, makes nothing even once it could, and its retry makes one', async () => {
    const floating = async () => (await customer.data<{ ipAddresses: { totalCount: number } }>('{ ipAddresses { totalCount } }')).ipAddresses.totalCount;
    const before = await floating();
    // Another session holds the lock an allocation's commit takes to count the account's floating addresses.
    const holder = new pg.Client({ connectionString: awan.databaseUrl });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock(hashtextextended('floating-ips:' || $1 || ':local', 0))", [customerId]);
      const started = performance.now();
      const refused = refusalOf(await customer.request('mutation { allocateIp(input: { regionId: "local", family: IPV6 }) { id } }'));
      expect(refused.code).toBe('UNAVAILABLE');
      // The lock is let go once the gateway has answered, well within the services' own 15 s.
      await sleep(7000 - (performance.now() - started));
    } finally {
      await holder.end();
    }
    await sleep(1000);
    // Safe to retry, as the contract says: nothing was made, and the retry makes the one address.
    expect(await floating()).toBe(before);
    const { allocateIp } = await customer.data('mutation { allocateIp(input: { regionId: "local", family: IPV6 }) { id } }');
    expect(allocateIp.id).toEqual(expect.any(String));
    expect(await floating()).toBe(before + 1);
  }, 30_000);

  it('is UNAVAILABLE while a live host of the region does not answer in time, and makes nothing', async () => {
    const hostId = uniqueName('slow-');
    const { enrollHost } = await admin.data(`mutation { enrollHost(input: { id: "${hostId}", regionId: "local" }) { credentials } }`);
    const slow = await SimulatedHost.start({ hostId, natsUrl: awan.natsUrl, credentials: enrollHost.credentials, commandDelayMs: 6000 });
    try {
      await waitFor(async () => (await admin.data<{ hosts: { id: string; status: string }[] }>('{ hosts { id status } }')).hosts.some((h) => h.id === slow.hostId && h.status === 'UP'), 20_000, 'the slow host UP');
      const before = (await pools()).length;
      const refused = refusalOf(await createPool('regionId: "local", cidr: "198.51.100.224/28", bridge: "awanbr0"'));
      expect(refused).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining(`host ${slow.hostId}`) });
      expect(refused.message).not.toContain(awan.hostId); // the host that answered is not blamed
      expect(await pools()).toHaveLength(before);
    } finally {
      await slow.stop();
    }
  }, 60_000);
});
