import { randomInt } from 'node:crypto';
import { GraphqlClient, runCommand, startTestAwan, type TestAwan } from '#libs/testing';

interface Route {
  dst: string;
  dev?: string;
}

/**
 * A pool's prefix against this machine's own networks, asked of its real host agent through the
 * GraphQL API: a prefix the machine routes elsewhere is refused before the pool exists, so no bridge
 * ever takes it. Nothing here is put on a bridge: a pool's bridge is made when an instance needs it.
 */
describe("IP pools and this machine's own networks, with its host agent", () => {
  let awan: TestAwan;
  let admin: GraphqlClient;

  beforeAll(async () => {
    awan = await startTestAwan('pools_host');
    admin = new GraphqlClient(awan.url, awan.adminKey);
  }, 240_000);

  afterAll(() => awan?.stop(), 120_000);

  const cidrs = async () => (await admin.data<{ ipPools: { cidr: string }[] }>('{ ipPools(regionId: "local") { cidr } }')).ipPools.map((p) => p.cidr);

  it('refuses a pool on a prefix this machine routes through one of its interfaces, on input.cidr, naming the host and the route', async () => {
    // This machine's own link (here 192.0.2.0/24 on eth0), as `ip route` shows it: a prefix a pool may have, away from the seeded pools.
    const routes = JSON.parse(await runCommand('ip', ['-json', '-4', 'route', 'show', 'table', 'main'])) as Route[];
    const route = routes.find((r) => r.dev && /^[\d.]+\/([0-9]|[12][0-9]|30)$/.test(r.dst) && !r.dst.startsWith('203.0.113.'));
    if (!route) throw new Error(`this machine has no IPv4 route of a /30 or larger on an interface: ${JSON.stringify(routes)}`);

    const refused = await admin.request(`mutation { createIpPool(input: { regionId: "local", cidr: "${route.dst}", bridge: "awanbr0" }) { id } }`);
    expect(refused.errors?.[0]).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'input.cidr' },
      message: `input.cidr: on host ${awan.hostId}, ${route.dst} overlaps the host's route ${route.dst} on ${route.dev}: give the pool a prefix the hosts of region local do not use`,
    });
    expect(await cidrs()).not.toContain(route.dst);
  }, 60_000);

  it('creates a pool on a prefix this machine does not use, and retires it', async () => {
    const cidr = `2001:db8:${randomInt(0x1000, 0xffff).toString(16)}::/64`;
    const { createIpPool } = await admin.data(`mutation { createIpPool(input: { regionId: "local", cidr: "${cidr}", bridge: "awanbr0" }) { id cidr used retiredAt } }`);
    expect(createIpPool).toMatchObject({ cidr, used: 0, retiredAt: null });
    expect(await cidrs()).toContain(cidr);
    const { retireIpPool } = await admin.data(`mutation { retireIpPool(id: "${createIpPool.id}") { retiredAt } }`);
    expect(retireIpPool.retiredAt).toEqual(expect.any(String));
  }, 60_000);
});
