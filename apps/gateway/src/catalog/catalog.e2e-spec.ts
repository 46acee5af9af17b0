import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describeWithHardware, GraphqlClient, missingHardware, startTestAwan, uniqueName, waitFor, type TestAwan } from '#libs/testing';

interface Image {
  id: string;
  status: string;
  sizeMb: number | null;
  failureReason: string | null;
}

/**
 * The operators' catalog through the GraphQL API, on the whole system started the README's way
 * with this machine's agent: regions, plans with their prices, and images imported from a local
 * HTTP server by the agent, checked, and run.
 */
describeWithHardware('the catalog through the ADMIN API', missingHardware({ root: true, lxc: true, qemu: true }), () => {
  let awan: TestAwan;
  let admin: GraphqlClient;
  let customer: GraphqlClient;
  let server: http.Server;
  let base: string;
  const served = mkdtempSync(path.join(os.tmpdir(), 'awan-served-images-'));
  const instances: string[] = [];

  /** A file served by the test's HTTP server, and its SHA-256. */
  async function serve(name: string, make: (file: string) => unknown | Promise<unknown>): Promise<{ url: string; sha256: string }> {
    const file = path.join(served, name);
    await make(file);
    return { url: `${base}/${name}`, sha256: createHash('sha256').update(await readFile(file)).digest('hex') };
  }

  const codeOf = async (client: GraphqlClient, query: string) => (await client.request(query)).errors?.[0];
  const register = (id: string, kind: 'VM' | 'CONTAINER', source: string, sha256: string) =>
    admin.data<{ registerImage: Image }>(`mutation { registerImage(input: { id: "${id}", name: "${id}", os: "test", version: "1", kind: ${kind}, source: "${source}", sha256: "${sha256}" }) { id status sizeMb failureReason } }`);
  const imageAsAdminSees = async (id: string) => (await admin.data<{ images: Image[] }>('{ images { id status sizeMb failureReason } }')).images.find((i) => i.id === id);
  const settled = (id: string) => waitFor(async () => {
    const image = await imageAsAdminSees(id);
    return image && image.status !== 'IMPORTING' ? image : undefined;
  }, 120_000, `image ${id} to be imported or refused`);

  const createInstance = async (kind: 'VM' | 'CONTAINER', imageId: string, planId: string) => {
    const response = await customer.request<{ createInstance: { id: string } }>(
      `mutation { createInstance(input: { name: "${uniqueName('c-')}", kind: ${kind}, imageId: "${imageId}", planId: "${planId}", regionId: "local", billingCycle: HOURLY }) { id } }`,
    );
    if (response.data?.createInstance) instances.push(response.data.createInstance.id);
    return response;
  };
  const waitForStatus = (id: string, status: string) => waitFor(async () => {
    const { instance } = await customer.data<{ instance: { status: string } }>(`{ instance(id: "${id}") { status } }`);
    if (instance.status === 'ERROR') throw new Error(`instance ${id} failed`);
    return instance.status === status;
  }, 180_000, `instance ${id} to be ${status}`);

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      readFile(path.join(served, path.basename(req.url!))).then((data) => res.end(data), () => res.writeHead(404).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    awan = await startTestAwan('catalog_e2e');
    admin = new GraphqlClient(awan.url, awan.adminKey);
    const { createAccount } = await admin.data('mutation { createAccount(input: { name: "Catalog Customer", kind: CUSTOMER }) { apiKey { secret } } }');
    customer = admin.as(createAccount.apiKey.secret);
    await waitFor(() => customer.data('{ plans { id } }').then(() => true, () => false), 20_000, 'billing to know the customer');
  }, 300_000);

  afterAll(async () => {
    for (const id of instances) await customer?.request(`mutation { deleteInstance(id: "${id}") { id } }`);
    await Promise.all(instances.map((id) => waitForStatus(id, 'DELETED').catch(() => undefined)));
    await awan?.stop();
    await new Promise((resolve) => server?.close(resolve));
    rmSync(served, { recursive: true, force: true });
  }, 300_000);

  it('imports a qcow2 and a rootfs tarball from their URLs, and runs a VM and a container from them', async () => {
    // The development images work as they did: the container's rootfs the agent builds is the tarball the test serves next.
    const dev = await createInstance('CONTAINER', 'dev-busybox-rootfs', 'ct-512m');
    await waitForStatus(dev.data!.createInstance.id, 'RUNNING');
    const qcow2 = await serve('disk.qcow2', (file) => execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '1G']));
    const rootfs = await serve('rootfs.tar.gz', (file) => copyFile(path.join(awan.dataDir, 'agent', 'images', 'busybox-rootfs.tar.gz'), file));

    expect((await register('test-disk', 'VM', qcow2.url, qcow2.sha256)).registerImage).toEqual({ id: 'test-disk', status: 'IMPORTING', sizeMb: null, failureReason: null });
    await register('test-rootfs', 'CONTAINER', rootfs.url, rootfs.sha256);
    // Until it is AVAILABLE no one sees it, and it cannot be used.
    expect((await customer.data<{ images: Image[] }>('{ images { id } }')).images.map((i) => i.id)).not.toContain('test-disk');
    expect(await settled('test-disk')).toEqual({ id: 'test-disk', status: 'AVAILABLE', sizeMb: 1, failureReason: null });
    expect(await settled('test-rootfs')).toMatchObject({ status: 'AVAILABLE', sizeMb: expect.any(Number) });
    expect((await customer.data<{ images: Image[] }>('{ images { id status } }')).images).toEqual(expect.arrayContaining([
      { id: 'test-disk', status: 'AVAILABLE' }, { id: 'test-rootfs', status: 'AVAILABLE' },
    ]));

    const vm = (await createInstance('VM', 'test-disk', 'vm-512m')).data!.createInstance.id;
    const container = (await createInstance('CONTAINER', 'test-rootfs', 'ct-512m')).data!.createInstance.id;
    await Promise.all([waitForStatus(vm, 'RUNNING'), waitForStatus(container, 'RUNNING')]);
    // The VM's disk is an overlay on the imported image, in the storage the region's hosts share.
    const disk = path.join(awan.dataDir, 'agent', 'instances', vm, 'disk.qcow2');
    expect(JSON.parse(execFileSync('qemu-img', ['info', '--output=json', '-U', disk], { encoding: 'utf8' }))).toMatchObject({
      'full-backing-filename': path.join(awan.dataDir, 'agent', 'images', 'catalog', 'test-disk.qcow2'),
    });
  }, 600_000);

  it('ends an import ERROR, naming why: a wrong checksum, a text file called .qcow2', async () => {
    const qcow2 = await serve('other.qcow2', (file) => execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '1G']));
    const text = await serve('notes.qcow2', (file) => writeFile(file, 'these are notes, not a disk\n'));
    await register('wrong-sum', 'VM', qcow2.url, 'f'.repeat(64));
    await register('text-disk', 'VM', text.url, text.sha256);
    expect(await settled('wrong-sum')).toMatchObject({ status: 'ERROR', failureReason: expect.stringMatching(/^checksum mismatch: the file's sha256 is [0-9a-f]{64}, not f{64}/) });
    expect(await settled('text-disk')).toMatchObject({ status: 'ERROR', failureReason: expect.stringMatching(/^not an image: neither qcow2 nor a raw disk/) });
    const refused = await createInstance('VM', 'text-disk', 'vm-512m');
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.imageId' }, message: expect.stringContaining('ERROR') });
  }, 300_000);

  it('refuses a source outside http(s) and the image storage, naming the field', async () => {
    for (const source of ['file:///etc/shadow', '../etc/shadow', '/etc/shadow']) {
      const error = await codeOf(admin, `mutation { registerImage(input: { id: "${uniqueName('bad-')}", name: "x", os: "x", version: "1", kind: VM, source: "${source}", sha256: "${'a'.repeat(64)}" }) { id } }`);
      expect(error).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.source' } });
    }
    const error = await codeOf(admin, `mutation { registerImage(input: { id: "x", name: "x", os: "x", version: "1", kind: VM, source: "${base}/x", sha256: "not-a-checksum" }) { id } }`);
    expect(error).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.sha256' } });
  });

  it("refuses a plan whose disk is smaller than the VM image's virtual size", async () => {
    // 20 GB virtual, a few hundred KB on disk: vm-512m's 10 GB disk cannot hold it, vm-1g's 25 GB can.
    const large = await serve('large.qcow2', (file) => execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '20G']));
    await register('large-disk', 'VM', large.url, large.sha256);
    expect(await settled('large-disk')).toMatchObject({ status: 'AVAILABLE' });
    const small = await createInstance('VM', 'large-disk', 'vm-512m');
    expect(small.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.planId' }, message: expect.stringContaining('cannot hold image large-disk') });
    expect((await createInstance('VM', 'large-disk', 'vm-1g')).data?.createInstance.id).toEqual(expect.any(String));
  }, 300_000);

  it('offers a saved plan to the accounts priced in its currency, at its price, until it is retired', async () => {
    const plans = async (client: GraphqlClient) => (await client.data<{ plans: { id: string; hourlyPrice: { amount: string; currency: string }; retired: boolean }[] }>('{ plans { id hourlyPrice { amount currency } retired } }')).plans;
    const saved = await admin.data(`mutation { savePlan(input: { id: "ct-small", name: "Small container", kind: CONTAINER, vcpus: 1, memoryMb: 256, diskGb: 5,
      prices: [{ currency: "EUR", hourlyPrice: "0.0050", monthlyPrice: "3" }] }) { id retired hourlyPrice { amount currency } monthlyPrice { amount } } }`);
    expect(saved.savePlan).toEqual({ id: 'ct-small', retired: false, hourlyPrice: { amount: '0.005', currency: 'EUR' }, monthlyPrice: { amount: '3.00' } });
    // Billing takes the price from the plan's event: the customer, who pays in euros, sees it at that price.
    expect(await waitFor(async () => (await plans(customer)).find((p) => p.id === 'ct-small'), 20_000, 'the plan priced for the customer'))
      .toEqual({ id: 'ct-small', hourlyPrice: { amount: '0.005', currency: 'EUR' }, retired: false });

    // Priced in dollars only: not offered to a customer in euros, and not creatable.
    await admin.data(`mutation { savePlan(input: { id: "ct-dollar", name: "Dollar container", kind: CONTAINER, vcpus: 1, memoryMb: 256, diskGb: 5,
      prices: [{ currency: "USD", hourlyPrice: "0.01", monthlyPrice: "4" }] }) { id } }`);
    const { createAccount } = await admin.data('mutation { createAccount(input: { name: "Dollar Customer", kind: CUSTOMER, currency: "USD" }) { apiKey { secret } } }');
    const dollarCustomer = admin.as(createAccount.apiKey.secret);
    await waitFor(async () => (await plans(dollarCustomer).catch(() => [])).some((p) => p.id === 'ct-dollar'), 20_000, 'the dollar plan for the dollar customer');
    expect((await plans(customer)).map((p) => p.id)).not.toContain('ct-dollar');
    expect((await createInstance('CONTAINER', 'dev-busybox-rootfs', 'ct-dollar')).errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.planId' });

    // A plan's size never changes; bad input names its field.
    expect(await codeOf(admin, `mutation { savePlan(input: { id: "ct-small", name: "Small", kind: CONTAINER, vcpus: 2, memoryMb: 256, diskGb: 5,
      prices: [{ currency: "EUR", hourlyPrice: "0.005", monthlyPrice: "3" }] }) { id } }`)).toMatchObject({ extensions: { code: 'CONFLICT' } });
    for (const [prices, field] of [
      ['[]', 'input.prices'], ['[{ currency: "QQQ", hourlyPrice: "1", monthlyPrice: "2" }]', 'input.prices[0].currency'],
      ['[{ currency: "EUR", hourlyPrice: "1", monthlyPrice: "0.5" }]', 'input.prices[0].monthlyPrice'],
    ]) {
      expect(await codeOf(admin, `mutation { savePlan(input: { id: "ct-x", name: "x", kind: CONTAINER, vcpus: 1, memoryMb: 256, diskGb: 5, prices: ${prices} }) { id } }`))
        .toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field } });
    }
    expect(await codeOf(admin, `mutation { savePlan(input: { id: "ct-x", name: "x", kind: CONTAINER, vcpus: 0, memoryMb: 256, diskGb: 5, prices: [{ currency: "EUR", hourlyPrice: "1", monthlyPrice: "2" }] }) { id } }`))
      .toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.vcpus' } });

    // Retired, it is offered no more, but ADMIN still sees it.
    expect((await admin.data('mutation { retirePlan(id: "ct-small") { id retired } }')).retirePlan).toEqual({ id: 'ct-small', retired: true });
    expect((await plans(customer)).map((p) => p.id)).not.toContain('ct-small');
    expect((await plans(admin)).find((p) => p.id === 'ct-small')).toMatchObject({ retired: true });
    expect((await createInstance('CONTAINER', 'dev-busybox-rootfs', 'ct-small')).errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.planId' });
  }, 120_000);

  it('creates regions with DNS names, and retires images for new instances only', async () => {
    expect((await admin.data('mutation { createRegion(input: { id: "fra1", name: "Frankfurt 1", dnsZone: "Cloud.Example.TEST." }) { id name dnsZone } }')).createRegion)
      .toEqual({ id: 'fra1', name: 'Frankfurt 1', dnsZone: 'cloud.example.test' });
    expect(await codeOf(admin, 'mutation { createRegion(input: { id: "fra1", name: "Again", dnsZone: "example.test" }) { id } }')).toMatchObject({ extensions: { code: 'CONFLICT' } });
    expect(await codeOf(admin, 'mutation { createRegion(input: { id: "fra_2", name: "x", dnsZone: "example.test" }) { id } }')).toMatchObject({ extensions: { field: 'input.id' } });
    expect(await codeOf(admin, 'mutation { createRegion(input: { id: "fra2", name: "x", dnsZone: "bad_zone..test" }) { id } }')).toMatchObject({ extensions: { field: 'input.dnsZone' } });
    expect((await customer.data('{ regions { id } }')).regions.map((r: { id: string }) => r.id)).toEqual(['fra1', 'local']);

    const image = await serve('retired.qcow2', (file) => execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '1G']));
    await register('retired-disk', 'VM', image.url, image.sha256);
    await settled('retired-disk');
    expect((await admin.data('mutation { retireImage(id: "retired-disk") { id status } }')).retireImage).toEqual({ id: 'retired-disk', status: 'RETIRED' });
    expect((await customer.data<{ images: Image[] }>('{ images { id } }')).images.map((i) => i.id)).not.toContain('retired-disk');
    expect((await createInstance('VM', 'retired-disk', 'vm-512m')).errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.imageId' });
  }, 120_000);
});
