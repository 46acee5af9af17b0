import { describeWithHardware, GraphqlClient, missingHardware, startTestAwan, uniqueName, waitFor, type GraphqlResponse, type TestAwan } from '#libs/testing';

const INSTANCE_FIELDS = 'id name status fqdn kind plan { id } ipAddresses { address family } host { id }';

interface Instance {
  id: string;
  name: string;
  status: string;
  fqdn: string;
  kind: string;
  plan: { id: string };
  ipAddresses: { address: string; family: string }[];
  host: { id: string } | null;
}

/**
 * The whole system started the README's way (`npm start`'s launcher, with DATABASE_URL set and its
 * own NATS), with this machine's host agent, used through the GraphQL API alone.
 */
describeWithHardware('Awan through its GraphQL API', missingHardware({ root: true, lxc: true, qemu: true }), () => {
  let awan: TestAwan;
  let api: GraphqlClient;
  let admin: GraphqlClient;
  let hostId: string;

  beforeAll(async () => {
    awan = await startTestAwan('gw_e2e');
    hostId = awan.hostId;
    api = new GraphqlClient(awan.url);
    admin = api.as(awan.adminKey);
  }, 240_000);

  afterAll(() => awan?.stop(), 120_000);

  /** A reseller and its customer, each with its key. */
  async function tenant(label: string) {
    const reseller = await admin.data(`mutation { createAccount(input: { name: "${label} Hosting", kind: RESELLER }) { account { id } apiKey { secret } } }`);
    const resellerApi = api.as(reseller.createAccount.apiKey.secret);
    const customer = await resellerApi.data(`mutation { createAccount(input: { name: "${label} Customer", kind: CUSTOMER, taxRate: "0.20" }) { account { id } apiKey { secret } } }`);
    const finance = await resellerApi.data(`mutation { createApiKey(input: { accountId: "${reseller.createAccount.account.id}", name: "books", role: FINANCE }) { secret } }`);
    return {
      resellerId: reseller.createAccount.account.id as string,
      customerId: customer.createAccount.account.id as string,
      reseller: resellerApi,
      customer: api.as(customer.createAccount.apiKey.secret),
      finance: api.as(finance.createApiKey.secret),
    };
  }

  const instanceOf = (client: GraphqlClient, id: string) => client.data<{ instance: Instance | null }>(`{ instance(id: "${id}") { ${INSTANCE_FIELDS} } }`).then((d) => d.instance);
  const waitForStatus = (client: GraphqlClient, id: string, status: string) =>
    waitFor(async () => {
      const instance = await instanceOf(client, id);
      if (instance?.status === 'ERROR') throw new Error(`instance ${id} failed`);
      return instance?.status === status ? instance : undefined;
    }, 120_000, `instance ${id} to be ${status}`);
  const createInstance = async (client: GraphqlClient, kind: 'CONTAINER' | 'VM', name: string, extra = '') => {
    const input = kind === 'CONTAINER'
      ? `{ name: "${name}", kind: CONTAINER, imageId: "dev-busybox-rootfs", planId: "ct-512m", regionId: "local", billingCycle: HOURLY ${extra} }`
      : `{ name: "${name}", kind: VM, imageId: "dev-blank-disk", planId: "vm-512m", regionId: "local", billingCycle: HOURLY ${extra} }`;
    return (await client.data<{ createInstance: Instance }>(`mutation { createInstance(input: ${input}) { ${INSTANCE_FIELDS} } }`)).createInstance;
  };

  it('a reseller sells, its customer runs a container and a VM, finance invoices them, and another customer sees none of it', async () => {
    const acme = await tenant('Acme');
    const other = await acme.reseller.data(`mutation { createAccount(input: { name: "Other Customer", kind: CUSTOMER }) { apiKey { secret } } }`);
    const stranger = api.as(other.createAccount.apiKey.secret);

    // The reseller's price is what its customers see.
    const priced = await acme.reseller.data(`mutation { setPrice(input: { planId: "ct-512m", hourlyPrice: "0.0200", monthlyPrice: "12.00" }) { id hourlyPrice { amount currency } monthlyPrice { amount } } }`);
    expect(priced.setPrice).toEqual({ id: 'ct-512m', hourlyPrice: { amount: '0.02', currency: 'EUR' }, monthlyPrice: { amount: '12.00' } });
    await waitFor(async () => {
      const { plans } = await acme.customer.data<{ plans: { id: string; hourlyPrice: { amount: string } }[] }>('{ plans(kind: CONTAINER) { id hourlyPrice { amount } } }').catch(() => ({ plans: [] }));
      return plans.find((p) => p.id === 'ct-512m')?.hourlyPrice.amount === '0.02';
    }, 20_000, "the customer's plans at the reseller's price");

    // Both customers listen to status changes; the stranger must hear nothing of Acme's.
    const heard: { name: string; status: string; at: number }[] = [];
    const strangerHeard: unknown[] = [];
    const listen = (client: GraphqlClient, sink: (value: any) => void) => {
      const socket = client.subscriptions();
      socket.subscribe({ query: 'subscription { instanceUpdated { id name status } }' }, { next: (value) => sink(value.data?.instanceUpdated), error: (e) => sink({ error: e }), complete: () => undefined });
      return socket;
    };
    const sockets = [listen(acme.customer, (i) => heard.push({ ...i, at: Date.now() })), listen(stranger, (i) => strangerHeard.push(i))];

    try {
      const key = `idempotencyKey: "${uniqueName('create-')}"`;
      const name = uniqueName('web-');
      const container = await createInstance(acme.customer, 'CONTAINER', name, key);
      // A retried create with the same key is the first call's instance; nothing more is made.
      expect((await createInstance(acme.customer, 'CONTAINER', name, key)).id).toBe(container.id);
      // The same key with other parameters is a mistake the caller hears of, as Stripe's API does.
      const reused = await acme.customer.request(`mutation { createInstance(input: { name: "${uniqueName('web-')}", kind: CONTAINER, imageId: "dev-busybox-rootfs",
        planId: "ct-512m", regionId: "local", billingCycle: HOURLY ${key} }) { id } }`);
      expect(reused.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' } });
      const vm = await createInstance(acme.customer, 'VM', uniqueName('db-'));
      expect((await acme.customer.data('{ instances { totalCount } }')).instances.totalCount).toBe(2);
      const running = await Promise.all([waitForStatus(acme.customer, container.id, 'RUNNING'), waitForStatus(acme.customer, vm.id, 'RUNNING')]);
      for (const instance of running) {
        expect(instance.fqdn).toBe(`${instance.name}.local.awan.test`);
        expect(instance.host).toBeNull(); // hosts are ADMIN's
        expect(instance.ipAddresses.map((ip) => ip.family).sort()).toEqual(['IPV4', 'IPV6']);
        expect(instance.ipAddresses.find((ip) => ip.family === 'IPV4')!.address).toMatch(/^203\.0\.113\.(1[3-9][0-9]|2[0-5][0-9])$/); // the seeded pool's upper half
      }
      expect((await instanceOf(admin, container.id))!.host).toEqual({ id: hostId });

      // The subscription told of RUNNING within a second of the event that made it so.
      const started = await acme.customer.data(`{ instance(id: "${container.id}") { history(first: 20) { edges { node { type occurredAt } } } } }`);
      const startedAt = Date.parse(started.instance.history.edges.find((e: any) => e.node.type === 'InstanceStarted').node.occurredAt);
      const told = await waitFor(() => heard.find((h) => h.name === container.name && h.status === 'RUNNING'), 5000, 'the RUNNING update');
      expect(told.at - startedAt).toBeLessThan(1000);

      // Stop, start, resize, delete: the container gracefully, the VM (a blank disk that boots nothing) by force.
      await acme.customer.data(`mutation { stopInstance(id: "${container.id}") { id } }`);
      await acme.customer.data(`mutation { stopInstance(id: "${vm.id}", force: true) { id } }`);
      await Promise.all([waitForStatus(acme.customer, container.id, 'STOPPED'), waitForStatus(acme.customer, vm.id, 'STOPPED')]);
      for (const id of [container.id, vm.id]) await acme.customer.data(`mutation { startInstance(id: "${id}") { id } }`);
      await Promise.all([waitForStatus(acme.customer, container.id, 'RUNNING'), waitForStatus(acme.customer, vm.id, 'RUNNING')]);
      await acme.customer.data(`mutation { resizeInstance(id: "${container.id}", planId: "ct-1g") { id } }`);
      await acme.customer.data(`mutation { resizeInstance(id: "${vm.id}", planId: "vm-1g") { id } }`);
      const resized = await Promise.all([waitForStatus(acme.customer, container.id, 'RUNNING'), waitForStatus(acme.customer, vm.id, 'RUNNING')]);
      expect(resized.map((i) => i.plan.id)).toEqual(['ct-1g', 'vm-1g']);
      for (const id of [container.id, vm.id]) await acme.customer.data(`mutation { deleteInstance(id: "${id}") { id } }`);
      await Promise.all([waitForStatus(acme.customer, container.id, 'DELETED'), waitForStatus(acme.customer, vm.id, 'DELETED')]);

      // The upcoming invoice shows the container at the reseller's price, and both instances.
      const upcoming = await waitFor(async () => {
        const { upcomingInvoice } = await acme.customer.data(`{ upcomingInvoice { id status currency total { amount } lines { resourceId sku unitPrice { amount currency } amount { amount } } } }`);
        const ids = new Set(upcomingInvoice.lines.map((l: any) => l.resourceId));
        return ids.has(container.id) && ids.has(vm.id) ? upcomingInvoice : undefined;
      }, 30_000, 'the usage on the upcoming invoice');
      expect(upcoming.status).toBe('DRAFT');
      expect(upcoming.lines.find((l: any) => l.resourceId === container.id && l.sku === 'ct-512m').unitPrice).toEqual({ amount: '0.02', currency: 'EUR' });

      // The reseller's finance may finalize it once its month has ended, not before.
      const early = await acme.finance.request(`mutation { finalizeInvoice(id: "${upcoming.id}") { number } }`);
      expect(early.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' }, message: expect.stringContaining('before its month ends') });

      // The other customer sees none of it.
      const seen = await stranger.data(`{ instances { totalCount } invoices { totalCount } ipAddresses { totalCount } instance(id: "${container.id}") { id } invoice(id: "${upcoming.id}") { id } }`);
      expect(seen).toEqual({ instances: { totalCount: 0 }, invoices: { totalCount: 0 }, ipAddresses: { totalCount: 0 }, instance: null, invoice: null });
      const foreign = await stranger.request(`{ upcomingInvoice(accountId: "${acme.customerId}") { id } }`);
      expect(foreign.errors?.[0].extensions?.code).toBe('NOT_FOUND');
      expect(strangerHeard).toEqual([]);
    } finally {
      await Promise.all(sockets.map((s) => s.dispose()));
    }
  }, 600_000);

  it("shows a reseller what the platform charges it for each plan (Plan.cost), and no one else", async () => {
    const globex = await tenant('Globex');
    const plans = (client: GraphqlClient) => client.data<{ plans: { id: string; cost: { amount: string; currency: string } | null }[] }>('{ plans { id cost { amount currency } } }');
    // Billing learns of a new account from identity's event: until then its plans are UNAVAILABLE, to be asked again.
    const costs = async (client: GraphqlClient) =>
      new Map((await waitFor(() => plans(client).catch((error: Error) => (error.message.startsWith('UNAVAILABLE') ? undefined : Promise.reject(error))), 20_000, 'billing to know the account')).plans.map((p) => [p.id, p.cost]));
    // The platform's EUR price of ct-512m, 2.00 a month, is 0.0030 an hour.
    expect((await costs(globex.reseller)).get('ct-512m')).toEqual({ amount: '0.003', currency: 'EUR' });
    // The reseller's own price is what its customers pay; its cost stays the platform's.
    const { setPrice } = await globex.reseller.data('mutation { setPrice(input: { planId: "ct-512m", hourlyPrice: "0.0100", monthlyPrice: "6.00" }) { hourlyPrice { amount } cost { amount currency } } }');
    expect(setPrice).toEqual({ hourlyPrice: { amount: '0.01' }, cost: { amount: '0.003', currency: 'EUR' } });
    for (const client of [globex.customer, globex.finance, admin]) expect([...(await costs(client)).values()].every((cost) => cost === null)).toBe(true);
  }, 60_000);

  it('bills an instance from its first start, with a line per plan that adds up and each segment naming its plan', async () => {
    const initech = await tenant('Initech');
    const container = await createInstance(initech.customer, 'CONTAINER', uniqueName('app-'));
    await waitForStatus(initech.customer, container.id, 'RUNNING');
    // A second or more on each plan: a segment of no whole second is rated on no line.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await initech.customer.data(`mutation { resizeInstance(id: "${container.id}", planId: "ct-1g") { id } }`);
    await waitFor(async () => {
      const instance = await instanceOf(initech.customer, container.id);
      return instance?.status === 'RUNNING' && instance.plan.id === 'ct-1g';
    }, 120_000, 'the resize');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await initech.customer.data(`mutation { deleteInstance(id: "${container.id}") { id } }`);
    await waitForStatus(initech.customer, container.id, 'DELETED');

    type Line = { sku: string; quantity: string; unitPrice: { amount: string }; amount: { amount: string }; usage: { sku: string; startedAt: string; seconds: number }[] };
    const lines = await waitFor(async () => {
      const { upcomingInvoice } = await initech.customer.data<{ upcomingInvoice: { lines: (Line & { resourceId: string })[] } }>(
        '{ upcomingInvoice { lines { resourceId sku quantity unitPrice { amount } amount { amount } usage { sku startedAt seconds } } } }',
      );
      const mine = upcomingInvoice.lines.filter((l) => l.resourceId === container.id);
      return mine.some((l) => l.sku === 'ct-1g') ? mine : undefined;
    }, 30_000, 'both plans on the upcoming invoice');
    expect(lines.map((l) => l.sku)).toEqual(['ct-512m', 'ct-1g']);
    // quantity × unitPrice, rounded half-even to the cent, is the amount on every line.
    const decimal = (text: string) => ({ n: BigInt(text.replace('.', '')), d: 10n ** BigInt(text.split('.')[1]?.length ?? 0) });
    const cents = (quantity: string, unitPrice: string) => {
      const q = decimal(quantity);
      const p = decimal(unitPrice);
      const [n, d] = [q.n * p.n * 100n, q.d * p.d];
      const [whole, twice] = [n / d, (n % d) * 2n];
      return twice > d || (twice === d && whole % 2n === 1n) ? whole + 1n : whole;
    };
    for (const line of lines) {
      expect(cents(line.quantity, line.unitPrice.amount)).toBe(cents('1', line.amount.amount));
      expect(line.usage.map((u) => u.sku)).toEqual(line.usage.map(() => line.sku));
    }
    // Its billed life begins when it first ran, not when it was placed on a host.
    const { instance } = await initech.customer.data(`{ instance(id: "${container.id}") { history(first: 50) { edges { node { type occurredAt } } } } }`);
    const startedAt = instance.history.edges.find((e: { node: { type: string } }) => e.node.type === 'InstanceStarted').node.occurredAt;
    expect(Date.parse(lines[0].usage[0].startedAt)).toBe(Math.floor(Date.parse(startedAt) / 1000) * 1000);
  }, 300_000);

  describe('who may do what: every operation by every role, in its own tenant and in a foreign one', () => {
    /** What a call came to: allowed (whatever the state made of it), or refused, or out of sight. */
    type Outcome = 'ok' | 'FORBIDDEN' | 'NOT_FOUND' | 'null' | 'empty';
    const ROLES = ['ADMIN', 'RESELLER', 'CUSTOMER', 'FINANCE'] as const;
    type Role = (typeof ROLES)[number];
    /** Per role: [in its own tenant, in the foreign one]. */
    type Expected = Record<Role, [Outcome, Outcome]>;
    const all = (outcome: Outcome): Expected => ({ ADMIN: [outcome, outcome], RESELLER: [outcome, outcome], CUSTOMER: [outcome, outcome], FINANCE: [outcome, outcome] });
    const adminOnly: Expected = { ADMIN: ['ok', 'ok'], RESELLER: ['FORBIDDEN', 'FORBIDDEN'], CUSTOMER: ['FORBIDDEN', 'FORBIDDEN'], FINANCE: ['FORBIDDEN', 'FORBIDDEN'] };
    const seesOwnTree = (foreign: Outcome): Expected => ({ ADMIN: ['ok', 'ok'], RESELLER: ['ok', foreign], CUSTOMER: ['ok', foreign], FINANCE: ['ok', foreign] });
    const invoiceLists: Expected = { ADMIN: ['empty', 'empty'], RESELLER: ['empty', 'NOT_FOUND'], CUSTOMER: ['empty', 'NOT_FOUND'], FINANCE: ['empty', 'NOT_FOUND'] };
    const accountLists: Expected = { ADMIN: ['ok', 'ok'], RESELLER: ['ok', 'NOT_FOUND'], CUSTOMER: ['NOT_FOUND', 'NOT_FOUND'], FINANCE: ['ok', 'NOT_FOUND'] };
    const resellerManages: Expected = { ADMIN: ['ok', 'ok'], RESELLER: ['ok', 'NOT_FOUND'], CUSTOMER: ['FORBIDDEN', 'FORBIDDEN'], FINANCE: ['FORBIDDEN', 'FORBIDDEN'] };
    /** Keys: ADMIN anyone's, a reseller its own and its customers', a customer its own; FINANCE none. */
    const keyHolders: Expected = { ADMIN: ['ok', 'ok'], RESELLER: ['ok', 'NOT_FOUND'], CUSTOMER: ['ok', 'NOT_FOUND'], FINANCE: ['FORBIDDEN', 'NOT_FOUND'] };
    const ownersRun: Expected = { ADMIN: ['ok', 'ok'], RESELLER: ['FORBIDDEN', 'NOT_FOUND'], CUSTOMER: ['ok', 'NOT_FOUND'], FINANCE: ['FORBIDDEN', 'FORBIDDEN'] };
    const anyoneButFinance: Expected = { ADMIN: ['ok', 'ok'], RESELLER: ['ok', 'ok'], CUSTOMER: ['ok', 'ok'], FINANCE: ['FORBIDDEN', 'FORBIDDEN'] };
    const financeOfIssuer: Expected = { ADMIN: ['ok', 'ok'], RESELLER: ['FORBIDDEN', 'FORBIDDEN'], CUSTOMER: ['FORBIDDEN', 'FORBIDDEN'], FINANCE: ['ok', 'NOT_FOUND'] };
    /** A firewall is made for the caller's own account, with instances of that account only: any other's is NOT_FOUND, ADMIN's too. */
    const firewallMakers: Expected = { ADMIN: ['NOT_FOUND', 'NOT_FOUND'], RESELLER: ['NOT_FOUND', 'NOT_FOUND'], CUSTOMER: ['ok', 'NOT_FOUND'], FINANCE: ['FORBIDDEN', 'FORBIDDEN'] };

    /** The things of one tenant the operations are tried on. */
    interface Things {
      resellerId: string;
      customerId: string;
      instanceId: string;
      ipId: string;
      invoiceId: string;
      /** The customer's, attached to its instance. */
      firewallId: string;
      spareKeyId: () => Promise<string>;
    }
    type Operation = [name: string, expected: Expected, query: (t: Things) => string | Promise<string>];

    /** A snapshot or a backup of the instance for the rows that restore and delete one: taken by ADMIN once, as soon as the instance is free for it. */
    const taken = new Map<string, Promise<string>>();
    const takenOnce = (mutation: 'createSnapshot' | 'createBackup', instanceId: string): Promise<string> => {
      const key = `${mutation} ${instanceId}`;
      if (!taken.has(key)) {
        const name = mutation === 'createSnapshot' ? `, name: "${uniqueName('m-')}"` : '';
        taken.set(key, waitFor(async () => {
          const response = await admin.request(`mutation { ${mutation}(instanceId: "${instanceId}"${name}) { id } }`);
          if (response.errors?.[0]?.extensions?.code === 'CONFLICT') return undefined; // another operation is under way
          if (response.errors) throw new Error(response.errors[0].message);
          return response.data![mutation].id as string;
        }, 120_000, `${mutation} of instance ${instanceId}`));
      }
      return taken.get(key)!;
    };
    const snapshotOf = (instanceId: string) => takenOnce('createSnapshot', instanceId);
    const backupOf = (instanceId: string) => takenOnce('createBackup', instanceId);

    // In order: what deletes or releases comes last, so that every other operation finds its target.
    const OPERATIONS: Operation[] = [
      ['me', all('ok'), () => '{ me { id } }'],
      ['regions', all('ok'), () => '{ regions { id } }'],
      ['plans', all('ok'), () => '{ plans { id hourlyPrice { amount } } }'],
      ['images', all('ok'), () => '{ images { id } }'],
      ['hosts', adminOnly, () => '{ hosts { id } }'],
      ['services', adminOnly, () => '{ services { service status } }'],
      ['account', seesOwnTree('null'), (t) => `{ account(id: "${t.customerId}") { id } }`],
      ['accounts', accountLists, (t) => `{ accounts(parentId: "${t.resellerId}") { totalCount } }`],
      ['instance', seesOwnTree('null'), (t) => `{ instance(id: "${t.instanceId}") { id account { id } ipAddresses { id } costToDate { amount } } }`],
      ['instances', seesOwnTree('NOT_FOUND'), (t) => `{ instances(accountId: "${t.customerId}") { totalCount edges { node { id } } } }`],
      ['ipAddresses', seesOwnTree('empty'), (t) => `{ ipAddresses(instanceId: "${t.instanceId}") { totalCount edges { node { id instance { id } } } } }`],
      ['invoice', seesOwnTree('null'), (t) => `{ invoice(id: "${t.invoiceId}") { id } }`],
      // No month ends in a test's life, so no invoice is drafted yet: a list let through is empty.
      ['invoices', invoiceLists, (t) => `{ invoices(accountId: "${t.customerId}") { totalCount } }`],
      ['upcomingInvoice', seesOwnTree('NOT_FOUND'), (t) => `{ upcomingInvoice(accountId: "${t.customerId}") { id } }`],
      ['createAccount', resellerManages, (t) => `mutation { createAccount(input: { name: "m", kind: CUSTOMER, parentId: "${t.resellerId}" }) { account { id } } }`],
      ['createApiKey', keyHolders, (t) => `mutation { createApiKey(input: { accountId: "${t.customerId}", name: "m", role: CUSTOMER }) { secret } }`],
      ['revokeApiKey', keyHolders, async (t) => `mutation { revokeApiKey(id: "${await t.spareKeyId()}") { id } }`],
      ['setPrice', resellerManages, (t) => `mutation { setPrice(input: { accountId: "${t.resellerId}", planId: "ct-1g", hourlyPrice: "0.03", monthlyPrice: "20" }) { id } }`],
      // A storage sku's price per GB-month: who may set which list's, as for setPrice.
      ['setStoragePrice', resellerManages, (t) => `mutation { setStoragePrice(input: { accountId: "${t.resellerId}", sku: "backup-storage", monthlyPrice: "0.03" }) { sku currency monthlyPrice { amount } } }`],
      // An unknown plan: an allowed caller gets BAD_USER_INPUT, and nothing is made.
      ['createInstance', anyoneButFinance, () => 'mutation { createInstance(input: { name: "m", kind: CONTAINER, imageId: "dev-busybox-rootfs", planId: "no-such-plan", regionId: "local", billingCycle: HOURLY }) { id } }'],
      ['allocateIp', anyoneButFinance, () => 'mutation { allocateIp(input: { regionId: "local", family: IPV6 }) { id } }'],
      // A console is the instance's own account's to open (ADMIN any); opened, it is a token only, connected to by no one here.
      ['openConsole', ownersRun, (t) => `mutation { openConsole(instanceId: "${t.instanceId}") { url kind expiresAt } }`],
      ['stopInstance', ownersRun, (t) => `mutation { stopInstance(id: "${t.instanceId}", force: true) { id } }`],
      ['startInstance', ownersRun, (t) => `mutation { startInstance(id: "${t.instanceId}") { id } }`],
      ['rebootInstance', ownersRun, (t) => `mutation { rebootInstance(id: "${t.instanceId}") { id } }`],
      ['resizeInstance', ownersRun, (t) => `mutation { resizeInstance(id: "${t.instanceId}", planId: "ct-1g") { id } }`],
      ['assignIp', ownersRun, (t) => `mutation { assignIp(ipId: "${t.ipId}", instanceId: "${t.instanceId}") { id } }`],
      ['unassignIp', ownersRun, (t) => `mutation { unassignIp(ipId: "${t.ipId}") { id } }`],
      ['setReverseDns', ownersRun, (t) => `mutation { setReverseDns(ipId: "${t.ipId}", hostname: "mail.example.test") { id } }`],
      // Snapshots are the instance's own account's to take, restore and delete; the instance runs, so a restore let through is CONFLICT.
      ['createSnapshot', ownersRun, (t) => `mutation { createSnapshot(instanceId: "${t.instanceId}", name: "${uniqueName('m-')}") { id } }`],
      ['snapshots', seesOwnTree('null'), (t) => `{ instance(id: "${t.instanceId}") { snapshots { id status instance { id } } } }`],
      ['restoreSnapshot', ownersRun, async (t) => `mutation { restoreSnapshot(id: "${await snapshotOf(t.instanceId)}") { id } }`],
      ['deleteSnapshot', ownersRun, async (t) => `mutation { deleteSnapshot(id: "${await snapshotOf(t.instanceId)}") { id status } }`],
      // Backups as snapshots: the instance's own account's; the instance runs, so an in-place restore let through is CONFLICT.
      ['createBackup', ownersRun, (t) => `mutation { createBackup(instanceId: "${t.instanceId}") { id } }`],
      ['setBackupSchedule', ownersRun, (t) => `mutation { setBackupSchedule(instanceId: "${t.instanceId}", schedule: { hourUtc: 3, keep: 2 }) { id backupSchedule { keep } } }`],
      ['restoreBackup', ownersRun, async (t) => `mutation { restoreBackup(id: "${await backupOf(t.instanceId)}") { id } }`],
      // After restoreBackup's rows: each instance has a backup (ADMIN's) to list.
      ['backups', seesOwnTree('empty'), (t) => `{ backups(instanceId: "${t.instanceId}") { totalCount edges { node { id instance { id } } } } }`],
      ['Instance.backups', seesOwnTree('null'), (t) => `{ instance(id: "${t.instanceId}") { backups { totalCount } backupSchedule { hourUtc keep } } }`],
      ['deleteBackup', ownersRun, async (t) => `mutation { deleteBackup(id: "${await backupOf(t.instanceId)}") { id status } }`],
      // Firewalls are their own account's to change (ADMIN any): a reseller sees its customers' and changes none, FINANCE reads only.
      ['firewall', seesOwnTree('null'), (t) => `{ firewall(id: "${t.firewallId}") { id rules { ports } account { id } instances { id } } }`],
      // The caller's own firewalls whatever the tenant: no one is refused, and each role's tree holds one.
      ['firewalls', all('ok'), () => '{ firewalls { totalCount edges { node { id } } } }'],
      ['Instance.firewalls', seesOwnTree('null'), (t) => `{ instance(id: "${t.instanceId}") { firewalls { id name } } }`],
      ['createFirewall', firewallMakers, (t) => `mutation { createFirewall(input: { name: "m", rules: [], instanceIds: ["${t.instanceId}"] }) { id } }`],
      ['setFirewallRules', ownersRun, (t) => `mutation { setFirewallRules(id: "${t.firewallId}", rules: [{ direction: INGRESS, protocol: TCP, ports: "443", addresses: ["0.0.0.0/0"] }]) { id } }`],
      ['detachFirewall', ownersRun, (t) => `mutation { detachFirewall(id: "${t.firewallId}", instanceId: "${t.instanceId}") { id } }`],
      ['attachFirewall', ownersRun, (t) => `mutation { attachFirewall(id: "${t.firewallId}", instanceId: "${t.instanceId}") { id } }`],
      // Attached again by the row above: a delete let through is CONFLICT.
      ['deleteFirewall', ownersRun, (t) => `mutation { deleteFirewall(id: "${t.firewallId}") { id } }`],
      ['setHostMaintenance', adminOnly, () => `mutation { setHostMaintenance(id: "${hostId}", maintenance: false) { id } }`],
      ['ipPools', adminOnly, () => '{ ipPools { id used } }'],
      // Overlapping the seeded pool: ADMIN is let through to BAD_USER_INPUT, and nothing is made.
      ['createIpPool', adminOnly, () => 'mutation { createIpPool(input: { regionId: "local", cidr: "203.0.113.128/26", bridge: "awanbr0" }) { id } }'],
      // An unknown pool: ADMIN is let through to NOT_FOUND, every other role stopped before.
      ['retireIpPool', { ...adminOnly, ADMIN: ['NOT_FOUND', 'NOT_FOUND'] }, () => 'mutation { retireIpPool(id: "no-such-pool") { id } }'],
      // The catalog: ADMIN's. A plan and an image of the matrix's own, saved or registered before they are retired.
      ['createRegion', adminOnly, () => `mutation { createRegion(input: { id: "${uniqueName('m-')}", name: "m", dnsZone: "m.example.test" }) { id } }`],
      ['savePlan', adminOnly, () => 'mutation { savePlan(input: { id: "matrix-plan", name: "m", kind: CONTAINER, vcpus: 1, memoryMb: 256, diskGb: 1, prices: [{ currency: "EUR", hourlyPrice: "0.01", monthlyPrice: "5" }] }) { id } }'],
      ['retirePlan', adminOnly, () => 'mutation { retirePlan(id: "matrix-plan") { id retired } }'],
      // A source no storage holds: imported by no host, it ends ERROR.
      ['registerImage', adminOnly, () => `mutation { registerImage(input: { id: "matrix-image", name: "m", os: "none", version: "0", kind: VM, source: "matrix/none.qcow2", sha256: "${'0'.repeat(64)}" }) { id status } }`],
      ['retireImage', adminOnly, () => 'mutation { retireImage(id: "matrix-image") { id status } }'],
      // Beyond the contract. With one host there is nowhere to go: the migration is let through, then aborted.
      ['migrateInstance', adminOnly, (t) => `mutation { migrateInstance(id: "${t.instanceId}") { id } }`],
      ['finalizeInvoice', financeOfIssuer, (t) => `mutation { finalizeInvoice(id: "${t.invoiceId}") { id } }`],
      ['issueCreditNote', financeOfIssuer, (t) => `mutation { issueCreditNote(input: { invoiceId: "${t.invoiceId}", amount: "0.01", reason: "m" }) { id } }`],
      ['markInvoicePaid', financeOfIssuer, (t) => `mutation { markInvoicePaid(id: "${t.invoiceId}", reference: "bank-1") { id } }`],
      ['voidInvoice', financeOfIssuer, (t) => `mutation { voidInvoice(id: "${t.invoiceId}", reason: "m") { id } }`],
      ['releaseIp', ownersRun, (t) => `mutation { releaseIp(ipId: "${t.ipId}") { id } }`],
      ['deleteInstance', ownersRun, (t) => `mutation { deleteInstance(id: "${t.instanceId}") { id } }`],
    ];

    function outcomeOf(response: GraphqlResponse): Outcome {
      const code = response.errors?.[0]?.extensions?.code;
      if (code === 'FORBIDDEN' || code === 'NOT_FOUND') return code;
      if (code === 'UNAUTHENTICATED' || code === 'INTERNAL_SERVER_ERROR' || code === 'UNAVAILABLE') throw new Error(`unexpected ${code}: ${response.errors![0].message}`);
      const value = response.data ? Object.values(response.data)[0] : undefined;
      if (value === null && !response.errors) return 'null';
      if (value && typeof value === 'object' && 'totalCount' in value && (value as { totalCount: number }).totalCount === 0) return 'empty';
      return 'ok'; // data, or an error the state gave (CONFLICT, BAD_USER_INPUT…): the caller was let through
    }

    /** A tenant with a RUNNING container, a floating address, a firewall attached to the container, and its customer's invoice of the running month. */
    async function tenantWithThings(label: string): Promise<Things & { keys: Record<Exclude<Role, 'ADMIN'>, GraphqlClient> }> {
      const t = await tenant(label);
      const instance = await createInstance(t.customer, 'CONTAINER', uniqueName('m-'));
      await waitForStatus(t.customer, instance.id, 'RUNNING');
      const { allocateIp } = await t.customer.data('mutation { allocateIp(input: { regionId: "local", family: IPV4 }) { id } }');
      const { createFirewall } = await t.customer.data(`mutation { createFirewall(input: { name: "ssh", rules: [{ direction: INGRESS, protocol: TCP, ports: "22", addresses: ["0.0.0.0/0"] }], instanceIds: ["${instance.id}"] }) { id } }`);
      const { upcomingInvoice } = await waitFor(() => t.customer.data('{ upcomingInvoice { id } }').catch(() => undefined), 20_000, 'billing to know the customer');
      return {
        resellerId: t.resellerId, customerId: t.customerId, instanceId: instance.id, ipId: allocateIp.id, invoiceId: upcomingInvoice.id, firewallId: createFirewall.id,
        spareKeyId: async () => (await admin.data(`mutation { createApiKey(input: { accountId: "${t.customerId}", name: "spare", role: CUSTOMER }) { apiKey { id } } }`)).createApiKey.apiKey.id,
        keys: { RESELLER: t.reseller, CUSTOMER: t.customer, FINANCE: t.finance },
      };
    }

    it('matches the specification, cell by cell', async () => {
      const own = await tenantWithThings('Own');
      const foreign = await tenantWithThings('Foreign');
      const clientOf = (role: Role) => (role === 'ADMIN' ? admin : own.keys[role]);
      const mismatches: string[] = [];
      let cells = 0;
      for (const [name, expected, query] of OPERATIONS) {
        for (const role of ROLES) {
          for (const [i, target] of [own, foreign].entries()) {
            const outcome = outcomeOf(await clientOf(role).request(await query(target)));
            cells++;
            if (outcome !== expected[role][i]) mismatches.push(`${name} by ${role} in ${i === 0 ? 'its own' : 'a foreign'} tenant: ${outcome}, expected ${expected[role][i]}`);
          }
        }
      }
      expect(mismatches).toEqual([]);
      expect(cells).toBe(OPERATIONS.length * ROLES.length * 2);
    }, 600_000);
  });
});
