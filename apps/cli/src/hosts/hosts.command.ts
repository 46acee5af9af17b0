import { chmodSync, writeFileSync } from 'node:fs';
import { Argument, type Command } from 'commander';
import { action, type CliIo } from '../command-kit.js';
import { formatTable } from '../output/table.js';
import { enrollHost, hosts, retireHost, setHostMaintenance, type Host } from './hosts.operations.js';

export const hostsTable = (rows: Host[]) =>
  formatTable(rows, [
    { header: 'ID', value: (h) => h.id },
    { header: 'REGION', value: (h) => h.region.id },
    { header: 'STATUS', value: (h) => h.status },
    { header: 'KINDS', value: (h) => h.kinds.join(',') },
    { header: 'VCPUS', value: (h) => `${h.allocatedVcpus}/${h.vcpus}`, align: 'right' },
    { header: 'MEMORY MB', value: (h) => `${h.allocatedMemoryMb}/${h.memoryMb}`, align: 'right' },
    { header: 'DISK GB', value: (h) => `${h.allocatedDiskGb}/${h.diskGb}`, align: 'right' },
    { header: 'LAST HEARTBEAT', value: (h) => h.lastHeartbeatAt },
  ]);

/** Hypervisor hosts (ADMIN): their capacity and state, enrolment, maintenance. */
export function registerHosts(program: Command, io: CliIo): void {
  const host = program.command('hosts').description('hypervisor hosts (ADMIN): list, enroll, maintenance, retire');
  action(host.command('list').description('every host, with what is allocated of its capacity'), io, async (session) => {
    session.print((await session.client().request(hosts, {})).hosts, hostsTable);
  });
  action<{ id: string; region: string; credentialsFile?: string }>(
    host
      .command('enroll')
      .description("enroll a host: DOWN until its agent's first heartbeat; prints the NATS credentials its agent connects with (shown once)")
      .requiredOption('--id <id>', "the host's id (its agent's HOST_ID)")
      .requiredOption('--region <id>', 'its region')
      .option('--credentials-file <file>', 'write the credentials to this file (mode 0600) instead of printing them'),
    io,
    async (session, { options }) => {
      const { enrollHost: enrolled } = await session.client().request(enrollHost, { input: { id: options.id, regionId: options.region } });
      if (options.credentialsFile) {
        writeFileSync(options.credentialsFile, enrolled.credentials, { mode: 0o600 });
        chmodSync(options.credentialsFile, 0o600); // a file that was there keeps its mode through writeFileSync
      }
      session.print(enrolled, (e) =>
        hostsTable([e.host]) + (options.credentialsFile ? '' : `\nNATS credentials of its agent (NATS_CREDENTIALS), shown once:\n\n${e.credentials.trimEnd()}\n`),
      );
      if (options.credentialsFile) session.note(`The agent's NATS credentials are in ${options.credentialsFile} (NATS_CREDENTIALS).`);
    },
    { 'input.id': '--id', 'input.regionId': '--region' },
  );
  action(
    host
      .command('maintenance')
      .description("on: place nothing more on the host, and move its instances to the region's other hosts (a running VM live); off: back in service")
      .argument('<id>', 'the host')
      .addArgument(new Argument('<state>', 'on or off').choices(['on', 'off'])),
    io,
    async (session, { args: [id, state] }) => {
      session.print((await session.client().request(setHostMaintenance, { id, maintenance: state === 'on' })).setHostMaintenance, (h) => hostsTable([h]));
    },
  );
  action(
    host
      .command('retire')
      .description("take a host out for good: its agent's credentials stop working at once, and its instances are restarted elsewhere once it is DOWN")
      .argument('<id>', 'the host'),
    io,
    async (session, { args: [id] }) => {
      session.print((await session.client().request(retireHost, { id })).retireHost, (h) => hostsTable([h]));
    },
  );
}
