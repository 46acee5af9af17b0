import { InvalidArgumentError, Option, type Command } from 'commander';
import { action, choiceOption, decimal, wholeNumber, type CliIo } from '../command-kit.js';
import { formatFields, formatTable, money } from '../output/table.js';
import {
  createRegion, images, INSTANCE_KINDS, plans, registerImage, regions, retireImage, retirePlan, savePlan, setPrice, setStoragePrice,
  type Image, type InstanceKind, type Plan, type PlanPriceInput, type Region,
} from './catalog.operations.js';

export const regionsTable = (rows: Region[]) =>
  formatTable(rows, [
    { header: 'ID', value: (r) => r.id },
    { header: 'NAME', value: (r) => r.name },
    { header: 'DNS ZONE', value: (r) => r.dnsZone },
  ]);

export const plansTable = (rows: Plan[]) =>
  formatTable(rows, [
    { header: 'ID', value: (p) => p.id },
    { header: 'NAME', value: (p) => p.name },
    { header: 'KIND', value: (p) => p.kind },
    { header: 'VCPUS', value: (p) => p.vcpus, align: 'right' },
    { header: 'MEMORY MB', value: (p) => p.memoryMb, align: 'right' },
    { header: 'DISK GB', value: (p) => p.diskGb, align: 'right' },
    { header: 'HOURLY', value: (p) => money(p.hourlyPrice), align: 'right' },
    { header: 'MONTHLY', value: (p) => money(p.monthlyPrice), align: 'right' },
    // what the platform charges a reseller; null for everyone else
    ...(rows.some((p) => p.cost) ? [{ header: 'YOUR COST', value: (p: Plan) => money(p.cost), align: 'right' as const }] : []),
    { header: 'RETIRED', value: (p) => (p.retired ? 'yes' : 'no') },
  ]);

export const imagesTable = (rows: Image[]) =>
  formatTable(rows, [
    { header: 'ID', value: (i) => i.id },
    { header: 'NAME', value: (i) => i.name },
    { header: 'OS', value: (i) => `${i.os} ${i.version}` },
    { header: 'KIND', value: (i) => i.kind },
    { header: 'STATUS', value: (i) => i.status },
    { header: 'SIZE MB', value: (i) => i.sizeMb, align: 'right' },
  ]);

const kindOption = (description: string) => choiceOption('--kind <kind>', description, INSTANCE_KINDS);

/** `--price EUR:0.0030:2.00`, once per currency. */
function planPrice(text: string, previous: PlanPriceInput[] = []): PlanPriceInput[] {
  const [currency, hourlyPrice, monthlyPrice, ...rest] = text.split(':');
  if (rest.length || !currency || !hourlyPrice || !monthlyPrice) throw new InvalidArgumentError('must be CURRENCY:HOURLY:MONTHLY, e.g. EUR:0.0030:2.00');
  return [...previous, { currency, hourlyPrice: decimal(hourlyPrice), monthlyPrice: decimal(monthlyPrice) }];
}

/** The catalog: regions, plans and images (ADMIN changes them; everyone lists them), and prices. */
export function registerCatalog(program: Command, io: CliIo): void {
  const region = program.command('regions').description('regions: list them; ADMIN creates them');
  action(region.command('list').description('every region'), io, async (session) => {
    session.print((await session.client().request(regions, {})).regions, regionsTable);
  });
  action<{ id: string; name: string; dnsZone: string }>(
    region
      .command('create')
      .description('create a region (ADMIN)')
      .requiredOption('--id <id>', 'its id, e.g. fra1')
      .requiredOption('--name <name>', 'its name, e.g. Frankfurt 1')
      .requiredOption('--dns-zone <zone>', "the zone its instances' names are in, e.g. fra1.example.net"),
    io,
    async (session, { options }) => {
      const { createRegion: created } = await session.client().request(createRegion, { input: { id: options.id, name: options.name, dnsZone: options.dnsZone } });
      session.print(created, (r) => regionsTable([r]));
    },
    { 'input.id': '--id', 'input.name': '--name', 'input.dnsZone': '--dns-zone' },
  );

  const plan = program.command('plans').description('plans: list them, priced for your account; ADMIN creates and retires them');
  action<{ kind?: InstanceKind }>(
    plan.command('list').description('the plans you may use, at the prices your account pays').addOption(kindOption('only VM or CONTAINER plans')),
    io,
    async (session, { options }) => {
      session.print((await session.client().request(plans, { kind: options.kind })).plans, plansTable);
    },
  );
  action<{ id: string; name: string; kind: InstanceKind; vcpus: number; memoryMb: number; diskGb: number; price: PlanPriceInput[] }>(
    plan
      .command('create')
      .description("create a plan (ADMIN); a plan's size never changes: create another instead")
      .requiredOption('--id <id>', 'its id, e.g. ct-2g')
      .requiredOption('--name <name>', 'its name')
      .addOption(kindOption('VM or CONTAINER').makeOptionMandatory())
      .requiredOption('--vcpus <n>', 'virtual CPUs', wholeNumber(1, 1024))
      .requiredOption('--memory-mb <mb>', 'memory in MB', wholeNumber(1, 16_777_216))
      .requiredOption('--disk-gb <gb>', 'disk in GB', wholeNumber(1, 1_048_576))
      .addOption(new Option('--price <currency:hourly:monthly>', "the platform's price in a currency, e.g. EUR:0.0030:2.00 (repeat per currency)").argParser(planPrice).makeOptionMandatory()),
    io,
    async (session, { options }) => {
      const { id, name, kind, vcpus, memoryMb, diskGb, price } = options;
      const { savePlan: saved } = await session.client().request(savePlan, { input: { id, name, kind, vcpus, memoryMb, diskGb, prices: price } });
      session.print(saved, (p) => plansTable([p]));
    },
    { 'input.id': '--id', 'input.name': '--name', 'input.kind': '--kind', 'input.vcpus': '--vcpus', 'input.memoryMb': '--memory-mb', 'input.diskGb': '--disk-gb', 'input.prices': '--price' },
  );
  action(plan.command('retire').description('offer a plan no more (ADMIN); its instances keep it').argument('<id>', 'the plan'), io, async (session, { args: [id] }) => {
    session.print((await session.client().request(retirePlan, { id })).retirePlan, (p) => plansTable([p]));
  });

  const image = program.command('images').description('images: list them; ADMIN registers and retires them');
  action<{ kind?: InstanceKind }>(
    image.command('list').description('the images').addOption(kindOption('only VM or CONTAINER images')),
    io,
    async (session, { options }) => {
      session.print((await session.client().request(images, { kind: options.kind })).images, imagesTable);
    },
  );
  action<{ id: string; name?: string; os: string; osVersion: string; kind: InstanceKind; url: string; sha256: string }>(
    image
      .command('register')
      .description("register an image (ADMIN): the region's hosts fetch it once and check it (IMPORTING, then AVAILABLE or ERROR)")
      .requiredOption('--id <id>', 'its id, e.g. debian-13')
      .option('--name <name>', 'its name (default: the id)')
      .requiredOption('--os <os>', 'the operating system, e.g. debian')
      .requiredOption('--os-version <version>', "the operating system's version, e.g. 13")
      .addOption(kindOption('VM (a qcow2 or raw disk) or CONTAINER (a rootfs tarball)').makeOptionMandatory())
      .requiredOption('--url <source>', "an http(s) URL, or a path on the region's shared image storage")
      .requiredOption('--sha256 <hex>', "the file's SHA-256"),
    io,
    async (session, { options }) => {
      const { id, os, osVersion: version, kind, url, sha256 } = options;
      const { registerImage: registered } = await session.client().request(registerImage, { input: { id, name: options.name ?? id, os, version, kind, source: url, sha256 } });
      session.print(registered, (i) => imagesTable([i]));
    },
    { 'input.id': '--id', 'input.name': '--name', 'input.os': '--os', 'input.version': '--os-version', 'input.kind': '--kind', 'input.source': '--url', 'input.sha256': '--sha256' },
  );
  action(image.command('retire').description('offer an image no more (ADMIN)').argument('<id>', 'the image'), io, async (session, { args: [id] }) => {
    session.print((await session.client().request(retireImage, { id })).retireImage, (i) => imagesTable([i]));
  });

  const price = program.command('prices').description("prices: a reseller's for its customers, ADMIN's storage prices");
  action<{ plan: string; hourly: string; monthly: string; account?: string }>(
    price
      .command('set')
      .description("set what a reseller's customers pay for a plan, from now on (usage before is rated at the price it had)")
      .requiredOption('--plan <id>', 'the plan')
      .requiredOption('--hourly <price>', 'price per hour, in the reseller\'s currency', decimal)
      .requiredOption('--monthly <price>', 'price per month (and the monthly cap of hourly billing)', decimal)
      .option('--account <id>', 'the reseller (default: yours)'),
    io,
    async (session, { options }) => {
      const { setPrice: priced } = await session.client().request(setPrice, { input: { planId: options.plan, hourlyPrice: options.hourly, monthlyPrice: options.monthly, accountId: options.account } });
      session.print(priced, (p) => plansTable([p]));
    },
    { 'input.planId': '--plan', 'input.hourlyPrice': '--hourly', 'input.monthlyPrice': '--monthly', 'input.accountId': '--account' },
  );
  action<{ sku: string; monthly: string; currency?: string; account?: string }>(
    price
      .command('set-storage')
      .description('set the price of a GB-month of snapshots or backups (a reseller: its customers\'; ADMIN: the platform\'s, in a currency)')
      .addOption(choiceOption('--sku <sku>', 'what is priced', ['snapshot-storage', 'backup-storage']).makeOptionMandatory())
      .requiredOption('--monthly <price>', 'price per GB-month', decimal)
      .option('--currency <code>', "ADMIN: the platform's price in this currency (default: the platform's)")
      .option('--account <id>', 'the reseller (default: yours)'),
    io,
    async (session, { options }) => {
      const { setStoragePrice: priced } = await session.client().request(setStoragePrice, {
        input: { sku: options.sku, monthlyPrice: options.monthly, currency: options.currency, accountId: options.account },
      });
      session.print(priced, (p) => formatFields([['SKU', p.sku], ['Currency', p.currency], ['Per GB-month', money(p.monthlyPrice)]]));
    },
    { 'input.sku': '--sku', 'input.monthlyPrice': '--monthly', 'input.currency': '--currency', 'input.accountId': '--account' },
  );
}
