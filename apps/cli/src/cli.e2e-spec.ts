import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { PLATFORM_SCOPE } from '#libs/contracts';
import { credentialsOptions } from '#libs/nats-auth';
import {
  connectServiceClient, describeWithHardware, eventEnvelope, missingHardware, publishEvent, runCommand, serviceLines, startTestAwan, uniqueName, waitFor, type TestAwan,
} from '#libs/testing';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = path.join(ROOT, 'dist/apps/cli/src/main.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `awan <args>` as a user runs it, its config in `config` (XDG_CONFIG_HOME): its exit code and output. Only what the test gives reaches it of AWAN_*. */
function runAwan(config: string, args: string[], env: Record<string, string> = {}, options: { input?: string; program?: string } = {}): Promise<Run> {
  const { AWAN_URL: _url, AWAN_API_KEY: _key, ...inherited } = process.env;
  const child = spawn(process.execPath, [options.program ?? MAIN, ...args], {
    cwd: ROOT, env: { ...inherited, XDG_CONFIG_HOME: config, ...env }, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  if (options.input !== undefined) child.stdin!.end(options.input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** A runner of `awan` with its own config folder; `ok` and `json` are runs that must succeed. */
function awanWith(config: string) {
  const cli = (args: string[], env: Record<string, string> = {}, options: { input?: string; program?: string } = {}) => runAwan(config, args, env, options);
  const ok = async (args: string[], env: Record<string, string> = {}): Promise<string> => {
    const run = await cli(args, env);
    if (run.code !== 0) throw new Error(`awan ${args.join(' ')} exited ${run.code}:\n${run.stderr}${run.stdout}`);
    return run.stdout;
  };
  const json = async <T = any>(args: string[], env: Record<string, string> = {}): Promise<T> => JSON.parse(await ok([...args, '--output', 'json'], env)) as T;
  return { cli, ok, json };
}

/**
 * The `awan` CLI as a user runs it: its own process, an argument vector, its config in a fresh
 * XDG_CONFIG_HOME or the API in AWAN_URL and AWAN_API_KEY; against the whole system started the
 * README's way with a simulated host (no hypervisor: it runs everywhere). Each role's main jobs.
 */
describe('the awan CLI against the whole system', () => {
  let awan: TestAwan;
  let gateway: string;
  const config = mkdtempSync(path.join(os.tmpdir(), 'awan-cli-e2e-'));
  const { cli, ok, json } = awanWith(config);

  beforeAll(async () => {
    awan = await startTestAwan('cli_e2e', {}, { localAgent: false });
    gateway = awan.url.replace(/\/graphql$/, '');
  }, 240_000);

  afterAll(async () => {
    await awan?.stop();
    rmSync(config, { recursive: true, force: true });
  }, 120_000);

  /** The cell under `header` on the table's row that has `marker`: columns are two spaces or more apart, and no cell is empty. */
  function cellUnder(table: string, header: string, marker: string): string {
    const [head, ...rows] = table.trimEnd().split('\n');
    const row = rows.find((line) => line.includes(marker));
    if (!row) throw new Error(`no row with ${marker} in\n${table}`);
    const cells = row.trim().split(/\s{2,}/);
    const headers = head.trim().split(/\s{2,}/);
    expect(cells).toHaveLength(headers.length);
    return cells[headers.indexOf(header)];
  }

  it("runs each role's main jobs: ADMIN onboards a reseller, the reseller prices and makes a customer and keys, the customer runs a container, finance reads the invoice", async () => {
    // ADMIN logs in (the gateway's address: /graphql is added); the key is checked before it is saved.
    const login = await ok(['login', '--url', gateway, '--key', awan.adminKey, '--context', 'admin']);
    expect(login).toContain(`Logged in to ${awan.url} as Platform (PLATFORM account`);
    const file = path.join(config, 'awan', 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ current: 'admin', contexts: { admin: { url: awan.url, key: awan.adminKey } } });

    // ADMIN lists the hosts: the simulated one is UP, as a table and as the API's data.
    const hosts = await ok(['hosts', 'list']);
    expect(cellUnder(hosts, 'STATUS', awan.hostId)).toBe('UP');
    expect((await json<{ id: string; status: string }[]>(['hosts', 'list'])).find((h) => h.id === awan.hostId)).toMatchObject({ status: 'UP' });

    // ADMIN creates a reseller; its first key's secret is printed once.
    const reseller = await json(['accounts', 'create', '--name', 'Acme Hosting', '--kind', 'RESELLER']);
    expect(reseller).toMatchObject({ account: { kind: 'RESELLER', name: 'Acme Hosting' }, apiKey: { secret: expect.stringMatching(/^awan_/), apiKey: { role: 'RESELLER' } } });
    const table = await ok(['accounts', 'list']);
    expect(cellUnder(table, 'KIND', reseller.account.id)).toBe('RESELLER');

    // The reseller logs in as a second context, sets its price and makes a customer and a finance key.
    // (its key from stdin, out of the shell's history)
    const piped = await cli(['login', '--url', gateway, '--key', '-', '--context', 'acme'], {}, { input: `${reseller.apiKey.secret}\n` });
    expect(piped).toMatchObject({ code: 0, stdout: expect.stringContaining('as Acme Hosting (RESELLER account') });
    expect(await json(['context', 'list'])).toEqual([
      { name: 'admin', url: awan.url, current: false },
      { name: 'acme', url: awan.url, current: true },
    ]);
    const priced = await ok(['prices', 'set', '--plan', 'ct-512m', '--hourly', '0.0200', '--monthly', '12.00']);
    expect(cellUnder(priced, 'HOURLY', 'ct-512m')).toBe('0.02 EUR');
    expect(cellUnder(priced, 'MONTHLY', 'ct-512m')).toBe('12.00 EUR');
    const customer = await json(['accounts', 'create', '--name', 'Acme Customer', '--kind', 'CUSTOMER', '--tax-rate', '0.20']);
    expect(customer.account).toMatchObject({ kind: 'CUSTOMER', taxRate: expect.stringMatching(/^0\.20*$/), parent: { id: reseller.account.id } });
    const finance = await json(['keys', 'create', '--account', reseller.account.id, '--name', 'books', '--role', 'FINANCE']);
    expect(finance).toMatchObject({ apiKey: { role: 'FINANCE', name: 'books' }, secret: expect.stringMatching(/^awan_/) });
    // Back to ADMIN's context by name.
    expect(await ok(['context', 'use', 'admin'])).toContain('Using context "admin"');

    // The customer works with AWAN_URL and AWAN_API_KEY, over any saved context.
    const asCustomer = { AWAN_URL: awan.url, AWAN_API_KEY: customer.apiKey.secret };
    await waitFor(async () => (await cli(['plans', 'list'], asCustomer)).stdout.includes('0.02 EUR'), 20_000, "the customer's plans at the reseller's price");
    const name = uniqueName('web-');
    // No --kind: the plan says CONTAINER. --wait shows each status on stderr (not a terminal) until RUNNING.
    const created = await cli(['instances', 'create', '--name', name, '--plan', 'ct-512m', '--image', 'dev-busybox-rootfs', '--region', 'local', '--wait'], asCustomer);
    expect(created).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Status: +RUNNING$/m), stderr: expect.stringContaining(`${name}: RUNNING\n`) });
    const id = /^ID: +(\S+)$/m.exec(created.stdout)![1];
    expect(created.stdout).toMatch(new RegExp(`^FQDN: +${name}\\.local\\.awan\\.test$`, 'm'));

    // Listed as the API's data and as an aligned table.
    const listed = await json(['instances', 'list'], asCustomer);
    expect(listed).toMatchObject({ totalCount: 1, edges: [{ node: { id, name, status: 'RUNNING', kind: 'CONTAINER', plan: { id: 'ct-512m' } } }] });
    const rows = await ok(['instances', 'list'], asCustomer);
    expect(rows.split('\n')[0]).toMatch(/^ID +NAME +KIND +STATUS +PLAN +IMAGE +REGION +ADDRESSES +ACCOUNT$/);
    expect(cellUnder(rows, 'STATUS', id)).toBe('RUNNING');
    const row = rows.split('\n').find((line) => line.startsWith(id))!;
    expect(row.indexOf('RUNNING')).toBe(rows.indexOf('STATUS')); // aligned under its header
    expect(cellUnder(rows, 'PLAN', id)).toBe('ct-512m');
    // Filtered by status; one instance's fields, its address among them.
    expect((await json(['instances', 'list', '--status', 'RUNNING'], asCustomer)).totalCount).toBe(1);
    expect((await json(['instances', 'list', '--status', 'STOPPED'], asCustomer)).totalCount).toBe(0);
    const got = await ok(['instances', 'get', id], asCustomer);
    expect(got).toMatch(new RegExp(`^Name: +${name}$`, 'm'));
    const address = /^IPv4: +(\S+)$/m.exec(got)![1];
    expect(cellUnder(await ok(['ips', 'list', '--instance', id], asCustomer), 'ADDRESS', address)).toBe(address);

    // A floating address: allocated onto the instance, taken off, given back.
    const floating = await json(['ips', 'allocate', '--region', 'local', '--instance', id], asCustomer);
    expect(floating).toMatchObject({ floating: true, family: 'IPV4', instance: { id } });
    expect((await json(['ips', 'unassign', floating.id], asCustomer)).instance).toBeNull();
    expect(await json(['ips', 'release', floating.id], asCustomer)).toMatchObject({ id: floating.id });

    // Reboot, stop, resize (it stays STOPPED), start at the new size, delete: each waited for.
    expect(await ok(['instances', 'reboot', id, '--wait'], asCustomer)).toMatch(/^Status: +RUNNING$/m);
    expect(await ok(['instances', 'stop', id, '--wait'], asCustomer)).toMatch(/^Status: +STOPPED$/m);
    const resized = await ok(['instances', 'resize', id, '--plan', 'ct-1g', '--wait'], asCustomer);
    expect(resized).toMatch(/^Status: +STOPPED$/m);
    expect(resized).toMatch(/^Plan: +ct-1g$/m);
    expect(await ok(['instances', 'start', id, '--wait'], asCustomer)).toMatch(/^Status: +RUNNING$/m);
    expect(await ok(['instances', 'delete', id, '--wait'], asCustomer)).toMatch(/^Status: +DELETED$/m);
    expect((await json(['instances', 'list'], asCustomer)).totalCount).toBe(0);
    expect((await json(['instances', 'list', '--include-deleted'], asCustomer)).edges.map((e: any) => e.node.status)).toEqual(['DELETED']);

    // Its history, oldest first.
    const history = await json(['instances', 'history', id], asCustomer);
    const types: string[] = history.edges.map((e: any) => e.node.type);
    for (const type of ['InstanceRequested', 'InstanceStarted', 'InstanceRebootRequested', 'InstanceStopped', 'InstanceResized', 'InstanceDeleted']) expect(types).toContain(type);
    expect(types.indexOf('InstanceStarted')).toBeLessThan(types.indexOf('InstanceResized'));
    expect(await ok(['instances', 'history', id], asCustomer)).toMatch(/^\S+ +InstanceResized +\{.*"toPlanId":"ct-1g"/m);

    // Finance lists the reseller's invoices (none drafted yet: no month ends in a test's life) and reads the customer's running one.
    const asFinance = { AWAN_URL: awan.url, AWAN_API_KEY: finance.secret };
    expect(await json(['invoices', 'list'], asFinance)).toMatchObject({ totalCount: 0, edges: [] });
    expect((await ok(['invoices', 'list'], asFinance)).trimEnd()).toMatch(/^ID +NUMBER +ACCOUNT +STATUS +PERIOD +TOTAL +ISSUED +PAID$/);
    const upcoming = await json(['invoices', 'upcoming', '--account', customer.account.id], asFinance);
    const invoice = await waitFor(async () => {
      const read = await json(['invoices', 'get', upcoming.id], asFinance);
      return read.lines.some((l: any) => l.resourceId === id && l.sku === 'ct-512m') ? read : undefined;
    }, 30_000, "the container's usage on the customer's invoice").catch((error: Error) => {
      throw new Error(`${error.message}; billing's last words:\n${serviceLines(awan.launcher, 'billing').join('\n')}`);
    });
    expect(invoice).toMatchObject({ id: upcoming.id, status: 'DRAFT', number: null, account: { id: customer.account.id } });
    expect(invoice.lines.find((l: any) => l.sku === 'ct-512m').unitPrice).toEqual({ amount: '0.02', currency: 'EUR' });
    const shown = await ok(['invoices', 'get', upcoming.id], asFinance);
    expect(shown).toMatch(/^Status: +DRAFT$/m);
    expect(cellUnder(shown.slice(shown.indexOf('DESCRIPTION')), 'UNIT PRICE', 'ct-512m')).toBe('0.02 EUR');
    expect(shown).toMatch(new RegExp(`^Total: +${invoice.total.amount.replace('.', '\\.')} EUR$`, 'm'));

    // Its documents from the gateway: CSV to stdout or a file, the PDF to a file (a DRAFT says so), the month's CSV.
    const csv = await ok(['invoices', 'csv', upcoming.id], asFinance);
    const [header, ...csvRows] = csv.trimEnd().split(/\r?\n/);
    expect(csvRows.some((line) => line.includes(id) && line.includes('ct-512m'))).toBe(true);
    const csvFile = path.join(config, 'invoice.csv');
    await ok(['invoices', 'csv', upcoming.id, '-o', csvFile], asFinance);
    expect(readFileSync(csvFile, 'utf8').split(/\r?\n/)[0]).toBe(header);
    const pdfFile = path.join(config, 'invoice.pdf');
    await ok(['invoices', 'pdf', upcoming.id, '-o', pdfFile], asFinance);
    expect(readFileSync(pdfFile).subarray(0, 5).toString()).toBe('%PDF-');
    const text = await runCommand('pdftotext', ['-layout', pdfFile, '-']);
    expect(text).toContain('DRAFT');
    expect(text).toContain('Acme Customer');
    const month = (await ok(['invoices', 'csv', '--month', upcoming.periodStart.slice(0, 7)], asFinance)).split(/\r?\n/)[0];
    expect(month).toBe(header);
    const badMonth = await cli(['invoices', 'csv', '--month', '2026-13'], asFinance);
    expect(badMonth).toMatchObject({ code: 3, stderr: expect.stringMatching(/^error: BAD_USER_INPUT: month: .*\(option --month\)\n$/) });
    const noFile = await cli(['invoices', 'pdf', upcoming.id], asFinance);
    expect(noFile).toMatchObject({ code: 2, stderr: "error: required option '-o, --out <file>' not specified\n" });
    // The customer's own invoice is not another customer's to download.
    const stranger = await json(['accounts', 'create', '--name', 'Other Customer', '--kind', 'CUSTOMER'], { AWAN_URL: awan.url, AWAN_API_KEY: reseller.apiKey.secret });
    const foreign = await cli(['invoices', 'pdf', upcoming.id, '-o', pdfFile], { AWAN_URL: awan.url, AWAN_API_KEY: stranger.apiKey.secret });
    expect(foreign).toMatchObject({ code: 3, stderr: expect.stringMatching(/^error: NOT_FOUND: /) });
  }, 600_000);

  it('exits 3 with UNAUTHENTICATED for a wrong key, 4 naming the URL where no API answers, 2 for a missing argument', async () => {
    const wrong = await cli(['regions', 'list'], { AWAN_URL: awan.url, AWAN_API_KEY: 'awan_not_a_key_0123456789abcdef' });
    expect(wrong).toMatchObject({ code: 3, stdout: '' });
    expect(wrong.stderr).toMatch(/^error: UNAUTHENTICATED: /);

    // login checks the key first, and saves nothing when it is refused
    const refused = await cli(['login', '--url', gateway, '--key', 'awan_not_a_key_0123456789abcdef', '--context', 'nobody']);
    expect(refused.code).toBe(3);
    expect(await json(['context', 'list'])).not.toContainEqual(expect.objectContaining({ name: 'nobody' }));

    const port = await closedPort();
    const unreachable = await cli(['instances', 'list'], { AWAN_URL: `http://127.0.0.1:${port}`, AWAN_API_KEY: awan.adminKey });
    expect(unreachable).toEqual({ code: 4, stdout: '', stderr: `error: cannot reach the Awan API at http://127.0.0.1:${port}/graphql: connection refused (is Awan running there?)\n` });

    const missing = await cli(['instances', 'get'], { AWAN_URL: awan.url, AWAN_API_KEY: awan.adminKey });
    expect(missing).toEqual({ code: 2, stdout: '', stderr: "error: missing required argument 'id'\n" });
  }, 60_000);

  it("names the option behind the API's BAD_USER_INPUT, and NOT_FOUND for what is not there", async () => {
    const asAdmin = { AWAN_URL: awan.url, AWAN_API_KEY: awan.adminKey };
    const bad = await cli(['instances', 'create', '--name', 'Not_A_Hostname', '--plan', 'ct-512m', '--image', 'dev-busybox-rootfs', '--region', 'local'], asAdmin);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/^error: BAD_USER_INPUT: input\.name: .* \(option --name\)\n$/);
    const unknown = await cli(['instances', 'get', '00000000-0000-4000-8000-000000000000'], asAdmin);
    expect(unknown).toEqual({ code: 3, stdout: '', stderr: 'error: NOT_FOUND: instance 00000000-0000-4000-8000-000000000000\n' });
  }, 60_000);

  it("runs ADMIN's catalog, pools and hosts: regions, plans and images created and retired, a pool, a host enrolled, in maintenance and retired", async () => {
    const asAdmin = { AWAN_URL: awan.url, AWAN_API_KEY: awan.adminKey };
    const region = uniqueName('cli');
    const created = await ok(['regions', 'create', '--id', region, '--name', 'CLI Region', '--dns-zone', `${region}.example.net`], asAdmin);
    expect(cellUnder(created, 'DNS ZONE', region)).toBe(`${region}.example.net`);
    expect(await json(['regions', 'list'], asAdmin)).toContainEqual({ id: region, name: 'CLI Region', dnsZone: `${region}.example.net` });

    const plan = uniqueName('ct-cli-');
    const saved = await ok(['plans', 'create', '--id', plan, '--name', 'CLI plan', '--kind', 'CONTAINER', '--vcpus', '1', '--memory-mb', '256', '--disk-gb', '2', '--price', 'EUR:0.0010:0.50'], asAdmin);
    expect(cellUnder(saved, 'MONTHLY', plan)).toBe('0.50 EUR');
    // Listed once billing, which prices the list, has it.
    await waitFor(async () => (await json<{ id: string }[]>(['plans', 'list', '--kind', 'CONTAINER'], asAdmin)).some((p) => p.id === plan), 20_000, `plan ${plan} listed`);
    expect(await json(['plans', 'retire', plan], asAdmin)).toMatchObject({ id: plan, retired: true });

    const image = uniqueName('img-cli-');
    const registered = await json(['images', 'register', '--id', image, '--os', 'debian', '--os-version', '13', '--kind', 'CONTAINER', '--url', 'https://images.invalid/rootfs.tar', '--sha256', 'ab'.repeat(32)], asAdmin);
    expect(registered).toMatchObject({ id: image, name: image, os: 'debian', version: '13', kind: 'CONTAINER', status: 'IMPORTING' });
    expect(cellUnder(await ok(['images', 'list'], asAdmin), 'OS', image)).toBe('debian 13');
    expect(await json(['images', 'retire', image], asAdmin)).toMatchObject({ id: image, status: 'RETIRED' });
    const badSum = await cli(['images', 'register', '--id', uniqueName('img-'), '--os', 'debian', '--os-version', '13', '--kind', 'VM', '--url', 'https://images.invalid/d.qcow2', '--sha256', 'nope'], asAdmin);
    expect(badSum).toMatchObject({ code: 3, stderr: expect.stringMatching(/^error: BAD_USER_INPUT: .*\(option --sha256\)\n$/) });

    const pool = await json(['pools', 'create', '--region', region, '--cidr', '198.51.100.0/28', '--bridge', 'clibr0', '--reserved', '198.51.100.2-198.51.100.4'], asAdmin);
    expect(pool).toMatchObject({ region: { id: region }, family: 'IPV4', cidr: '198.51.100.0/28', gateway: '198.51.100.1', bridge: 'clibr0', used: 0, retiredAt: null });
    expect(cellUnder(await ok(['pools', 'list', '--region', region], asAdmin), 'CIDR', pool.id)).toBe('198.51.100.0/28');
    expect((await json(['pools', 'retire', pool.id], asAdmin)).retiredAt).toEqual(expect.any(String));
    const overlap = await cli(['pools', 'create', '--region', region, '--cidr', '198.51.100.8/29', '--bridge', 'clibr0'], asAdmin);
    expect(overlap.code).toBe(3);

    // A host enrolled: DOWN until its agent's first heartbeat, its credentials in a file of its own.
    const hostId = uniqueName('hv-cli-');
    const creds = path.join(config, `${hostId}.creds`);
    const enrolled = await ok(['hosts', 'enroll', '--id', hostId, '--region', region, '--credentials-file', creds], asAdmin);
    expect(cellUnder(enrolled, 'STATUS', hostId)).toBe('DOWN');
    expect(statSync(creds).mode & 0o777).toBe(0o600);
    expect(readFileSync(creds, 'utf8')).toContain('NATS USER JWT');
    expect(cellUnder(await ok(['hosts', 'list'], asAdmin), 'REGION', hostId)).toBe(region);
    // The simulated host into maintenance and back, then the enrolled one retired.
    expect(await json(['hosts', 'maintenance', awan.hostId, 'on'], asAdmin)).toMatchObject({ id: awan.hostId, status: 'MAINTENANCE' });
    expect(await json(['hosts', 'maintenance', awan.hostId, 'off'], asAdmin)).toMatchObject({ id: awan.hostId, status: 'UP' });
    const badState = await cli(['hosts', 'maintenance', awan.hostId, 'maybe'], asAdmin);
    expect(badState).toEqual({ code: 2, stdout: '', stderr: "error: command-argument value 'maybe' is invalid for argument 'state'. Allowed choices are on, off.\n" });
    expect(await json(['hosts', 'retire', hostId], asAdmin)).toMatchObject({ id: hostId, status: 'DOWN' });
  }, 120_000);

  it("closes a month as finance: a customer's draft finalized, its PDF read back, credited and marked paid; the reseller's voided", async () => {
    const asAdmin = { AWAN_URL: awan.url, AWAN_API_KEY: awan.adminKey };
    const reseller = await json(['accounts', 'create', '--name', 'Month Hosting', '--kind', 'RESELLER', '--email', 'billing@month.example'], asAdmin);
    const asReseller = { AWAN_URL: awan.url, AWAN_API_KEY: reseller.apiKey.secret };
    const customer = await json(['accounts', 'create', '--name', 'Month Customer', '--kind', 'CUSTOMER', '--email', 'it@customer.example', '--tax-rate', '0.20'], asReseller);
    const books = await json(['keys', 'create', '--account', reseller.account.id, '--name', 'books', '--role', 'FINANCE'], asReseller);
    const asFinance = { AWAN_URL: awan.url, AWAN_API_KEY: books.secret };
    const platform = await json(['accounts', 'me'], asAdmin);
    const platformBooks = await json(['keys', 'create', '--account', platform.id, '--name', 'platform books', '--role', 'FINANCE'], asAdmin);
    const asPlatformFinance = { AWAN_URL: awan.url, AWAN_API_KEY: platformBooks.secret };

    // Last month, as docs.e2e-spec.ts stands in for it: the customer held a floating address for ten days, then billing closed the month.
    const now = new Date();
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
    const month = start.toISOString().slice(0, 7);
    const ipId = randomUUID();
    const network = await connect({ servers: awan.natsUrl, name: 'cli-e2e', ...credentialsOptions(awan.natsCredentials('network')) });
    const operator = await connectServiceClient('cli-e2e', awan.natsUrl, awan.natsCredentials('gateway'));
    type Draft = { id: string; periodStart: string; account: { id: string } };
    const draftsOf = async (env: Record<string, string>, accountId: string) =>
      (await json<{ edges: { node: Draft }[] }>(['invoices', 'list', '--status', 'DRAFT', '--account', accountId], env)).edges.map((e) => e.node).find((i) => i.periodStart.startsWith(month));
    let draft: Draft;
    let resellerDraft: Draft;
    try {
      const allocated = { ipId, address: '198.51.100.99', family: 'IPV4', regionId: 'local', accountId: customer.account.id, floating: true, poolId: 'cli', prefixLength: 25, gateway: '198.51.100.1' };
      await publishEvent(network, 'network', eventEnvelope(`ip-${ipId}`, 'IpAllocated', 1, allocated, new Date(start.getTime() + 2 * 86_400_000)));
      await publishEvent(network, 'network', eventEnvelope(`ip-${ipId}`, 'IpReleased', 2, { ipId }, new Date(start.getTime() + 12 * 86_400_000)));
      [draft, resellerDraft] = await waitFor(async () => {
        await operator.client.call('billing.invoice.closeMonth', { accountIds: PLATFORM_SCOPE, month });
        const found = [await draftsOf(asFinance, customer.account.id), await draftsOf(asPlatformFinance, reseller.account.id)];
        return found.every(Boolean) ? (found as Draft[]) : undefined;
      }, 60_000, `the drafts of ${month}`);
    } finally {
      await network.close();
      await operator.close();
    }

    // The reseller's finance finalizes its customer's invoice: numbered, and its PDF says so, line by line.
    const finalized = await ok(['invoices', 'finalize', draft.id], asFinance);
    expect(finalized).toMatch(/^Status: +FINALIZED$/m);
    const invoice = await json(['invoices', 'get', draft.id], asFinance);
    expect(invoice).toMatchObject({ status: 'FINALIZED', number: expect.any(String), account: { id: customer.account.id } });
    expect(invoice.lines.length).toBeGreaterThan(0);
    const pdfFile = path.join(config, `${invoice.number}.pdf`);
    await ok(['invoices', 'pdf', draft.id, '-o', pdfFile], asFinance);
    // The words as a reader sees them: a description wrapped over two rows reads as one.
    const flat = (words: string) => words.replace(/\s+/g, ' ').trim();
    const text = flat(await runCommand('pdftotext', [pdfFile, '-']));
    for (const expected of [invoice.number, 'Month Hosting', 'billing@month.example', 'Month Customer', 'it@customer.example', 'Tax (20%)', `${invoice.total.amount} ${invoice.total.currency}`]) {
      expect(text).toContain(expected);
    }
    // Each line: its description, and a row of its quantity, unit price and amount in that order, as the page lays them out.
    const rows = (await runCommand('pdftotext', ['-layout', pdfFile, '-'])).split('\n').map(flat);
    for (const line of invoice.lines) {
      expect(text).toContain(flat(line.description));
      expect(rows.some((row) => row.includes(`${line.quantity} ${line.unit} ${line.unitPrice.amount} ${line.amount.amount}`))).toBe(true);
    }
    expect(text).not.toContain('DRAFT');
    // The month's CSV for the books holds it, numbered.
    const monthCsv = await ok(['invoices', 'csv', '--month', month], asFinance);
    expect(monthCsv.split(/\r?\n/).filter((row) => row.startsWith(`${invoice.number},${draft.id},`))).toHaveLength(invoice.lines.length);

    // A credit note, then the bank transfer.
    const credit = await json(['invoices', 'credit', draft.id, '--amount', '0.01', '--reason', 'a minute of outage'], asFinance);
    expect(credit).toMatchObject({ number: expect.any(String), amount: { amount: '0.01' }, reason: 'a minute of outage' });
    const paid = await ok(['invoices', 'pay', draft.id, '--reference', 'SEPA-CLI-1'], asFinance);
    expect(paid).toMatch(/^Status: +PAID$/m);
    expect(paid).toContain(credit.number);
    // A paid invoice is not voided: the contract's CONFLICT, exit 3.
    const late = await cli(['invoices', 'void', draft.id, '--reason', 'too late'], asFinance);
    expect(late).toMatchObject({ code: 3, stderr: expect.stringMatching(/^error: CONFLICT: /) });

    // The platform's finance voids the reseller's draft; the customer's finance may not touch it.
    expect(await cli(['invoices', 'void', resellerDraft.id, '--reason', 'x'], asFinance)).toMatchObject({ code: 3 });
    expect(await json(['invoices', 'void', resellerDraft.id, '--reason', 'issued in error'], asPlatformFinance)).toMatchObject({ id: resellerDraft.id, status: 'VOID' });
  }, 180_000);

  it('is the bin of the package: bin/awan.mjs runs the build', async () => {
    const run = await cli(['--help'], {}, { program: path.join(ROOT, 'bin/awan.mjs') });
    expect(run).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: awan [options] [command]') });
    expect(existsSync(MAIN)).toBe(true);
  });
});

/**
 * `awan instances console` on npm start's Awan with this machine's agent (a container's console is
 * LXC's): what is piped in is typed there, what it prints comes out, and the CLI leaves once its input
 * has ended and the console has gone quiet.
 */
describeWithHardware("awan instances console, on this machine's agent", missingHardware({ root: true, lxc: true }), () => {
  let awan: TestAwan;
  const config = mkdtempSync(path.join(os.tmpdir(), 'awan-cli-console-'));
  const { cli, ok, json } = awanWith(config);
  let asCustomer: Record<string, string>;

  beforeAll(async () => {
    awan = await startTestAwan('cli_console');
    const { apiKey } = await json(['accounts', 'create', '--name', 'Console Customer', '--kind', 'CUSTOMER'], { AWAN_URL: awan.url, AWAN_API_KEY: awan.adminKey });
    asCustomer = { AWAN_URL: awan.url, AWAN_API_KEY: apiKey.secret };
  }, 240_000);

  afterAll(async () => {
    await awan?.stop();
    rmSync(config, { recursive: true, force: true });
  }, 120_000);

  it("attaches stdin and stdout to a container's console; a stopped instance's is CONFLICT", async () => {
    await waitFor(async () => (await cli(['plans', 'list'], asCustomer)).code === 0, 20_000, 'billing to know the customer');
    const created = await json(['instances', 'create', '--name', uniqueName('con-'), '--plan', 'ct-512m', '--image', 'dev-busybox-rootfs', '--region', 'local', '--wait'], asCustomer);
    const id: string = created.id;
    // The shell computes the marker, so only its output, not the echo of what was typed, has it.
    const n = Math.floor(Math.random() * 1e9);
    const attached = await cli(['instances', 'console', id], asCustomer, { input: `\recho awan-$((${n}+1))\r` });
    expect(attached).toMatchObject({ code: 0, stdout: expect.stringContaining(`awan-${n + 1}`), stderr: expect.stringContaining('Console closed: ') });
    const history = await json(['instances', 'history', id], asCustomer);
    expect(history.edges.map((e: any) => e.node.type)).toEqual(expect.arrayContaining(['ConsoleOpened', 'ConsoleClosed']));

    const url = await ok(['instances', 'console', id, '--url-only'], asCustomer);
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/consoles\/\S+\n$/);

    await ok(['instances', 'stop', id, '--wait'], asCustomer);
    const stopped = await cli(['instances', 'console', id], asCustomer, { input: '' });
    expect(stopped).toMatchObject({ code: 3, stderr: expect.stringMatching(/^error: CONFLICT: /) });
    await ok(['instances', 'delete', id, '--wait'], asCustomer);
  }, 300_000);
});
