import type { Command } from 'commander';
import { action, choiceOption, pageOf, paged, type CliIo } from '../command-kit.js';
import type { PageVariables } from '../graphql/operation.js';
import { formatTable } from '../output/table.js';
import { allocateIp, assignIp, ipAddresses, releaseIp, setReverseDns, unassignIp, type IpAddress, type IpFamily } from './ips.operations.js';

export const ipsTable = (rows: IpAddress[]) =>
  formatTable(rows, [
    { header: 'ID', value: (ip) => ip.id },
    { header: 'ADDRESS', value: (ip) => ip.address },
    { header: 'FAMILY', value: (ip) => ip.family },
    { header: 'REGION', value: (ip) => ip.region.id },
    { header: 'FLOATING', value: (ip) => (ip.floating ? 'yes' : 'no') },
    { header: 'INSTANCE', value: (ip) => (ip.instance ? `${ip.instance.name} (${ip.instance.id})` : null) },
    { header: 'REVERSE DNS', value: (ip) => ip.reverseDns },
  ]);

/** Addresses: an instance's own, and floating ones an account keeps and moves between its instances. */
export function registerIps(program: Command, io: CliIo): void {
  const group = program.command('ips').description('IP addresses: list; floating ones allocate, assign, unassign, release; reverse DNS');
  action<PageVariables & { instance?: string }>(
    paged(group.command('list').description('the addresses you may see').option('--instance <id>', "only this instance's")),
    io,
    async (session, { options }) => {
      session.printPage((await session.client().request(ipAddresses, { ...pageOf(options), instanceId: options.instance })).ipAddresses, ipsTable);
    },
    { instanceId: '--instance', first: '--first', after: '--after' },
  );
  action<{ region: string; family: IpFamily; instance?: string }>(
    group
      .command('allocate')
      .description('allocate a floating address to your account (billed while held)')
      .requiredOption('--region <id>', 'its region')
      .addOption(choiceOption('--family <family>', 'IPV4 or IPV6', ['IPV4', 'IPV6']).default('IPV4'))
      .option('--instance <id>', 'assign it to this instance at once'),
    io,
    async (session, { options }) => {
      const { allocateIp: allocated } = await session.client().request(allocateIp, { input: { regionId: options.region, family: options.family, instanceId: options.instance } });
      session.print(allocated, (ip) => ipsTable([ip]));
    },
    { 'input.regionId': '--region', 'input.family': '--family', 'input.instanceId': '--instance' },
  );
  action(
    group.command('assign').description('move a floating address to an instance of its account').argument('<ip-id>', 'the address').argument('<instance-id>', 'the instance'),
    io,
    async (session, { args: [ipId, instanceId] }) => {
      session.print((await session.client().request(assignIp, { ipId, instanceId })).assignIp, (ip) => ipsTable([ip]));
    },
  );
  action(group.command('unassign').description('take a floating address off its instance (the account keeps it)').argument('<ip-id>', 'the address'), io, async (session, { args: [ipId] }) => {
    session.print((await session.client().request(unassignIp, { ipId })).unassignIp, (ip) => ipsTable([ip]));
  });
  action(group.command('release').description('give a floating address back (it rests in quarantine before anyone gets it)').argument('<ip-id>', 'the address'), io, async (session, { args: [ipId] }) => {
    session.print((await session.client().request(releaseIp, { ipId })).releaseIp, (ip) => ipsTable([ip]));
  });
  action(
    group.command('reverse-dns').description("set an address's reverse DNS (PTR) name").argument('<ip-id>', 'the address').argument('<hostname>', 'e.g. mail.example.com'),
    io,
    async (session, { args: [ipId, hostname] }) => {
      session.print((await session.client().request(setReverseDns, { ipId, hostname })).setReverseDns, (ip) => ipsTable([ip]));
    },
    { hostname: '<hostname>' },
  );
}
