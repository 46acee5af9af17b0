import type { Command } from 'commander';
import { action, wholeNumber, type CliIo } from '../command-kit.js';
import { formatTable } from '../output/table.js';
import { createIpPool, ipPools, retireIpPool, type IpPool } from './pools.operations.js';

export const poolsTable = (rows: IpPool[]) =>
  formatTable(rows, [
    { header: 'ID', value: (p) => p.id },
    { header: 'REGION', value: (p) => p.region.id },
    { header: 'FAMILY', value: (p) => p.family },
    { header: 'CIDR', value: (p) => p.cidr },
    { header: 'GATEWAY', value: (p) => p.gateway },
    { header: 'BRIDGE', value: (p) => p.bridge },
    { header: 'USED', value: (p) => p.used, align: 'right' },
    { header: 'SIZE', value: (p) => p.size, align: 'right' },
    { header: 'RETIRED', value: (p) => p.retiredAt },
  ]);

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Address pools (ADMIN). */
export function registerPools(program: Command, io: CliIo): void {
  const pool = program.command('pools').description('IP address pools (ADMIN): list, create, retire');
  action<{ region?: string }>(
    pool.command('list').description("the pools, with how many of their addresses are in use").option('--region <id>', 'only this region\'s'),
    io,
    async (session, { options }) => {
      session.print((await session.client().request(ipPools, { regionId: options.region })).ipPools, poolsTable);
    },
  );
  action<{ region: string; cidr: string; bridge: string; gateway?: string; assignmentLength?: number; reserved?: string[] }>(
    pool
      .command('create')
      .description("create a pool: its prefix must not overlap another pool's nor a route of the region's hosts")
      .requiredOption('--region <id>', 'its region')
      .requiredOption('--cidr <prefix>', 'e.g. 198.51.100.0/24 or 2001:db8:1::/64')
      .requiredOption('--bridge <name>', "the hosts' bridge its addresses are on")
      .option('--gateway <address>', 'its gateway (default: the first address; fe80::1 for a pool of /64s)')
      .option('--assignment-length <bits>', 'IPv6: hand out prefixes of this length (64) instead of single addresses', wholeNumber(1, 128))
      .option('--reserved <address|first-last>', 'an address or range never handed out (repeatable)', collect),
    io,
    async (session, { options }) => {
      const { createIpPool: created } = await session.client().request(createIpPool, {
        input: { regionId: options.region, cidr: options.cidr, bridge: options.bridge, gateway: options.gateway, assignmentLength: options.assignmentLength, reserved: options.reserved },
      });
      session.print(created, (p) => poolsTable([p]));
    },
    { 'input.regionId': '--region', 'input.cidr': '--cidr', 'input.bridge': '--bridge', 'input.gateway': '--gateway', 'input.assignmentLength': '--assignment-length', 'input.reserved': '--reserved' },
  );
  action(pool.command('retire').description('hand out no more addresses from a pool (those in use stay)').argument('<id>', 'the pool'), io, async (session, { args: [id] }) => {
    session.print((await session.client().request(retireIpPool, { id })).retireIpPool, (p) => poolsTable([p]));
  });
}
