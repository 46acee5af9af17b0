import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { ApiError, UsageError } from '../cli-errors.js';
import { action, choiceOption, pageOf, paged, wholeNumber, type CliIo, type Session } from '../command-kit.js';
import { INSTANCE_KINDS, plans, type InstanceKind } from '../catalog/catalog.operations.js';
import type { PageVariables } from '../graphql/operation.js';
import { formatFields, formatTable, money } from '../output/table.js';
import { attachConsole, ESCAPE_BYTE } from './instance-console.js';
import { waitForInstance } from './instance-wait.js';
import {
  createInstance, deleteInstance, INSTANCE_STATUSES, instance, instanceHistory, instances, openConsole, rebootInstance, resizeInstance, startInstance, stopInstance,
  type BillingCycle, type ConsoleKind, type Instance, type InstanceDetail, type InstanceEvent, type InstanceState, type InstanceStatus,
} from './instances.operations.js';

const addressesOf = (i: Instance) => i.ipAddresses.map((ip) => ip.address).join(', ');

export const instancesTable = (rows: Instance[]) =>
  formatTable(rows, [
    { header: 'ID', value: (i) => i.id },
    { header: 'NAME', value: (i) => i.name },
    { header: 'KIND', value: (i) => i.kind },
    { header: 'STATUS', value: (i) => i.status },
    { header: 'PLAN', value: (i) => i.plan.id },
    { header: 'IMAGE', value: (i) => i.image.id },
    { header: 'REGION', value: (i) => i.region.id },
    { header: 'ADDRESSES', value: addressesOf },
    { header: 'ACCOUNT', value: (i) => i.account.name },
  ]);

const instanceFields = (i: InstanceDetail) =>
  formatFields([
    ['ID', i.id], ['Name', i.name], ['Kind', i.kind], ['Status', i.status], ['Account', `${i.account.name} (${i.account.id})`],
    ['Region', i.region.id], ['Plan', i.plan.id], ['Image', i.image.id], ['Billing', i.billingCycle], ['FQDN', i.fqdn],
    ...i.ipAddresses.map((ip): [string, string] => [ip.family === 'IPV4' ? 'IPv4' : 'IPv6', `${ip.address}${ip.floating ? ' (floating)' : ''}`]),
    ['Host', i.host?.id], ['Created', i.createdAt], ['Cost to date', money(i.costToDate)],
  ]);

const historyTable = (rows: InstanceEvent[]) =>
  formatTable(rows, [
    { header: 'OCCURRED', value: (e) => e.occurredAt },
    { header: 'TYPE', value: (e) => e.type },
    { header: 'DATA', value: (e) => (e.data === '{}' ? '' : e.data) },
  ]);

/** --wait and --timeout of every command that sets an instance on its way. */
function waitable(command: Command): Command {
  return command
    .option('--wait', 'wait until it gets there, showing its progress on stderr (exit 1 if it ends in ERROR or takes too long)')
    .addOption(new Option('--timeout <seconds>', 'how long --wait waits').argParser(wholeNumber(1, 86_400)).default(600));
}

interface WaitOptions {
  wait?: boolean;
  timeout: number;
}

/** The instance a command changed: printed at once, or once it has got where --wait waits for. */
async function settle(session: Session, options: WaitOptions, changed: Instance, goal: string, reached: (state: InstanceState) => boolean): Promise<void> {
  if (options.wait) {
    await waitForInstance(session, changed.id, goal, reached, options.timeout);
    const { instance: now } = await session.client().request(instance, { id: changed.id });
    if (now) return session.print(now, instanceFields);
  }
  session.print(changed, (i) => instancesTable([i]));
}

const statusIs = (status: InstanceStatus) => (state: InstanceState) => state.status === status;

const collect = (value: string, previous: string[] = []) => [...previous, value];

function readText(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${option}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** A plan's kind, so --kind may be left out: the plan says it. */
async function kindOfPlan(session: Session, planId: string): Promise<InstanceKind> {
  const plan = (await session.client().request(plans, {})).plans.find((p) => p.id === planId);
  if (!plan) throw new ApiError('BAD_USER_INPUT', `there is no plan ${planId} you may use (awan plans list)`, 'input.planId');
  return plan.kind;
}

interface CreateOptions extends WaitOptions {
  name: string;
  plan: string;
  image: string;
  region: string;
  kind?: InstanceKind;
  billing: BillingCycle;
  sshKey?: string[];
  sshKeyFile?: string[];
  userDataFile?: string;
  idempotencyKey?: string;
}

/** Instances: the customer's main job, and what resellers and ADMIN look after. */
export function registerInstances(program: Command, io: CliIo): void {
  const group = program.command('instances').description('virtual machines and containers: list, create, get, start, stop, reboot, resize, delete, history, console');

  action<PageVariables & { status?: InstanceStatus; account?: string; includeDeleted?: boolean }>(
    paged(
      group
        .command('list')
        .description('the instances you may see (a reseller: its customers\' too), every status but DELETED unless asked')
        .addOption(choiceOption('--status <status>', 'only this status', INSTANCE_STATUSES))
        .option('--account <id>', "only this account's")
        .option('--include-deleted', 'deleted ones too (kept readable for 13 months)'),
    ),
    io,
    async (session, { options }) => {
      const page = await session.client().request(instances, { ...pageOf(options), status: options.status, accountId: options.account, includeDeleted: options.includeDeleted });
      session.printPage(page.instances, instancesTable);
    },
    { status: '--status', accountId: '--account', first: '--first', after: '--after' },
  );

  action<CreateOptions>(
    waitable(
      group
        .command('create')
        .description('create an instance; with --wait, wait until it is RUNNING')
        .requiredOption('--name <name>', 'its name (its host name: <name>.<region>.<dns zone>)')
        .requiredOption('--plan <id>', 'its plan (awan plans list)')
        .requiredOption('--image <id>', 'its image (awan images list)')
        .requiredOption('--region <id>', 'its region (awan regions list)')
        .addOption(choiceOption('--kind <kind>', "VM or CONTAINER (default: the plan's)", INSTANCE_KINDS))
        .addOption(choiceOption('--billing <cycle>', 'HOURLY (capped at the monthly price) or MONTHLY', ['HOURLY', 'MONTHLY']).default('HOURLY'))
        .option('--ssh-key <key>', 'an SSH public key to let in (repeatable)', collect)
        .option('--ssh-key-file <file>', 'a file of SSH public keys, one a line (repeatable)', collect)
        .option('--user-data-file <file>', 'cloud-init user data')
        .option('--idempotency-key <key>', 'the same key within 24 hours returns the first call\'s instance and creates nothing'),
    ),
    io,
    async (session, { options }) => {
      const sshKeys = [
        ...(options.sshKey ?? []),
        ...(options.sshKeyFile ?? []).flatMap((file) => readText(file, '--ssh-key-file').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'))),
      ];
      const userData = options.userDataFile === undefined ? undefined : readText(options.userDataFile, '--user-data-file');
      const kind = options.kind ?? (await kindOfPlan(session, options.plan));
      const { createInstance: created } = await session.client().request(createInstance, {
        input: {
          name: options.name, kind, planId: options.plan, imageId: options.image, regionId: options.region, billingCycle: options.billing,
          sshKeys: sshKeys.length ? sshKeys : undefined, userData, idempotencyKey: options.idempotencyKey,
        },
      });
      await settle(session, options, created, 'RUNNING', statusIs('RUNNING'));
    },
    {
      'input.name': '--name', 'input.kind': '--kind', 'input.planId': '--plan', 'input.imageId': '--image', 'input.regionId': '--region',
      'input.billingCycle': '--billing', 'input.sshKeys': '--ssh-key', 'input.userData': '--user-data-file', 'input.idempotencyKey': '--idempotency-key',
    },
  );

  action(group.command('get').description('one instance, with its addresses and its cost so far this period').argument('<id>', 'the instance'), io, async (session, { args: [id] }) => {
    const { instance: found } = await session.client().request(instance, { id });
    if (!found) throw new ApiError('NOT_FOUND', `instance ${id}`);
    session.print(found, instanceFields);
  });

  action<WaitOptions>(waitable(group.command('start').description('start a stopped instance').argument('<id>', 'the instance')), io, async (session, { args: [id], options }) => {
    const { startInstance: changed } = await session.client().request(startInstance, { id });
    await settle(session, options, changed, 'RUNNING', statusIs('RUNNING'));
  });
  action<WaitOptions & { force?: boolean }>(
    waitable(group.command('stop').description('stop an instance: gracefully, then by force after the host\'s timeout').argument('<id>', 'the instance').option('--force', 'at once, as pulling the plug')),
    io,
    async (session, { args: [id], options }) => {
      const { stopInstance: changed } = await session.client().request(stopInstance, { id, force: options.force });
      await settle(session, options, changed, 'STOPPED', statusIs('STOPPED'));
    },
  );
  action<WaitOptions>(waitable(group.command('reboot').description('reboot a running instance').argument('<id>', 'the instance')), io, async (session, { args: [id], options }) => {
    const { rebootInstance: changed } = await session.client().request(rebootInstance, { id });
    await settle(session, options, changed, 'RUNNING', statusIs('RUNNING'));
  });
  action<WaitOptions & { plan: string }>(
    waitable(group.command('resize').description('move an instance (RUNNING or STOPPED) to another plan; it returns to where it was').argument('<id>', 'the instance').requiredOption('--plan <id>', 'the new plan')),
    io,
    async (session, { args: [id], options }) => {
      const { resizeInstance: changed } = await session.client().request(resizeInstance, { id, planId: options.plan });
      await settle(session, options, changed, `plan ${options.plan}`, (s) => s.plan.id === options.plan && (s.status === 'RUNNING' || s.status === 'STOPPED'));
    },
    { planId: '--plan' },
  );
  action<WaitOptions>(waitable(group.command('delete').description('delete an instance and its disk (its history stays readable)').argument('<id>', 'the instance')), io, async (session, { args: [id], options }) => {
    const { deleteInstance: changed } = await session.client().request(deleteInstance, { id });
    await settle(session, options, changed, 'DELETED', statusIs('DELETED'));
  });

  action<PageVariables>(
    paged(group.command('history').description("an instance's events, oldest first").argument('<id>', 'the instance')),
    io,
    async (session, { args: [id], options }) => {
      const { instance: found } = await session.client().request(instanceHistory, { id, ...pageOf(options) });
      if (!found) throw new ApiError('NOT_FOUND', `instance ${id}`);
      session.printPage(found.history, historyTable);
    },
    { first: '--first', after: '--after' },
  );

  action<{ kind: ConsoleKind; urlOnly?: boolean }>(
    group
      .command('console')
      .description(`attach this terminal to a running instance's serial console (a container's console, a VM's serial port); Ctrl-] detaches`)
      .argument('<id>', 'the instance')
      .addOption(choiceOption('--kind <kind>', 'SERIAL, or VNC (a VM\'s display, for noVNC: with --url-only)', ['SERIAL', 'VNC']).default('SERIAL'))
      .option('--url-only', "print the console's WebSocket URL (single use, within 60 s) instead of attaching")
      .addHelpText('after', `\nEverything typed goes to the console, Ctrl-C included; Ctrl-] (byte 0x${ESCAPE_BYTE.toString(16)}) detaches.\nWith stdin not a terminal, its bytes are sent as they are, and once it ends the console is left after a second without output.`),
    io,
    async (session, { args: [id], options }) => {
      if (options.kind === 'VNC' && !options.urlOnly) throw new UsageError('--kind VNC: a display is for a VNC client such as noVNC: add --url-only and give it the URL');
      const { openConsole: opened } = await session.client().request(openConsole, { instanceId: id, kind: options.kind });
      if (options.urlOnly) return session.print(opened, (c) => `${c.url}\n`);
      const ended = await attachConsole(io, opened.url);
      session.note(`\r\nConsole closed: ${ended}.`);
    },
    { kind: '--kind', instanceId: '<id>' },
  );
}
