import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { describeWithHardware, FakeSmtpServer, GraphqlClient, startTestAwan, uniqueName, type TestAwan } from '#libs/testing';
import { check, errorBeside, invite, launchChromium, missingChromium, narrowPage, setPasswordAndSignIn } from './browser.js';

interface Host { id: string; status: string }

/**
 * An ADMIN person's side of the web console in a real browser, on Awan without a hypervisor (its
 * simulated host in region local stands for this machine's): the admin signs in, sees the host's
 * capacity bars, puts it in maintenance and back, creates a region and a plan and retires it,
 * registers an image served by this test (a bad sha256 refused beside the field) and watches its
 * import end AVAILABLE without reloading, and ERROR under a wrong sha256, opens the pools, creates
 * a customer and invites its first person, while the mail server is busy and once it is not (mail
 * goes to a fake SMTP server). At 360 px wide, each admin page checked by axe-core.
 */
describeWithHardware('the admin pages, in Chromium', missingChromium(), () => {
  let awan: TestAwan;
  let browser: Browser;
  let page: Page;
  let admin: GraphqlClient;
  let smtp: FakeSmtpServer;
  const email = `${uniqueName('ada-')}@example.test`;
  const browserErrors: string[] = [];
  // A file for the images to import, served on loopback once released: the simulated host fetches it for real.
  const body = Buffer.from('a rootfs tarball stands here\n');
  let server: Server;
  let released: () => void;
  const servable = new Promise<void>((resolve) => (released = resolve));
  const rootfs = { url: '', sha256: createHash('sha256').update(body).digest('hex'), release: () => released() };

  beforeAll(async () => {
    server = createServer((_request, response) => void servable.then(() => response.end(body)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    rootfs.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rootfs.tar`;
    smtp = await FakeSmtpServer.start();
    awan = await startTestAwan('web_admin', { SMTP_URL: smtp.url, MAIL_RETRY_MS: '2000' }, { localAgent: false });
    admin = new GraphqlClient(awan.url).as(awan.adminKey);
    const { me } = await admin.data<{ me: { id: string } }>('{ me { id } }');
    await invite(awan, { accountId: me.id, email, name: 'Ada', role: 'ADMIN' });
    browser = await launchChromium();
    page = await narrowPage(browser, browserErrors);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await awan?.stop();
    rootfs.release();
    server?.close();
    await smtp?.stop();
  }, 120_000);

  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
  const hostStatus = async () => (await admin.data<{ hosts: Host[] }>('{ hosts { id status } }')).hosts.find((h) => h.id === awan.hostId)?.status;

  it("shows the host's capacity as the API gives it, and puts it in maintenance and back", async () => {
    await setPasswordAndSignIn(page, awan, email, smtp);
    // An ADMIN person's home is the hosts, with the admin pages in the navigation.
    await page.getByRole('heading', { name: 'Hosts', level: 1 }).waitFor();
    expect(await page.title()).toBe('Hosts · Awan');
    const card = page.getByRole('listitem', { name: `${awan.hostId} (simulated)` });
    await card.waitFor();
    // The simulated host's capacity (64 vCPU, 256 GiB, 10,000 GB), nothing allocated yet.
    expect(await card.locator('.usage').allInnerTexts()).toEqual([
      'CPU\n0 of 64 vCPU allocated (0 %)', 'Memory\n0 of 262144 MB allocated (0 %)', 'Disk\n0 of 10000 GB allocated (0 %)',
    ]);
    expect(await card.getByRole('meter', { name: 'CPU' }).getAttribute('value')).toBe('0');
    await check(page, 'admin-hosts');

    await card.getByRole('button', { name: `Put ${awan.hostId} (simulated) in maintenance` }).click();
    await card.getByText('MAINTENANCE', { exact: true }).waitFor();
    expect(await hostStatus()).toBe('MAINTENANCE');
    // Back by keyboard alone.
    await card.getByRole('button', { name: `End maintenance of ${awan.hostId} (simulated)` }).focus();
    await page.keyboard.press('Enter');
    await card.getByText('UP', { exact: true }).waitFor();
    expect(await hostStatus()).toBe('UP');
  }, 120_000);

  it('creates a region, and a plan that it then retires', async () => {
    const region = uniqueName('r');
    await nav('Regions');
    await page.getByRole('heading', { name: 'Regions', level: 1 }).waitFor();
    await page.getByLabel('Region id').fill('Not A Label');
    await page.getByLabel('Region name').fill('Web region');
    await page.getByLabel('DNS zone').fill('cloud.example.test');
    await page.getByRole('button', { name: 'Create region' }).click();
    await page.locator('input[name="id"][aria-invalid="true"]').waitFor();
    expect(await errorBeside(page, 'Region id')).toMatch(/DNS label/);
    await page.getByLabel('Region id').fill(region);
    await page.getByRole('button', { name: 'Create region' }).click();
    await page.getByText('Region Web region created').waitFor();
    await page.getByRole('list', { name: 'Regions' }).getByText(region, { exact: true }).waitFor();
    expect((await admin.data<{ regions: { id: string }[] }>('{ regions { id } }')).regions.map((r) => r.id)).toContain(region);
    await check(page, 'admin-regions');

    const plan = uniqueName('ct-web-');
    await nav('Plans');
    await page.getByRole('heading', { name: 'Plans', level: 1 }).waitFor();
    await page.getByLabel('Plan id').fill(plan);
    await page.getByLabel('Plan name').fill('Web 512');
    await page.getByLabel('Kind').selectOption('CONTAINER');
    await page.getByLabel('Memory (MB)').fill('512');
    await page.getByLabel('Disk (GB)').fill('5');
    await page.getByLabel('Price an hour').fill('0.0100');
    // A month that costs less than an hour is refused beside the monthly price.
    await page.getByLabel('Price a month').fill('0.001');
    await page.getByRole('button', { name: 'Create plan' }).click();
    await page.locator('input[name="monthlyPrice"][aria-invalid="true"]').waitFor();
    expect(await errorBeside(page, 'Price a month')).toMatch(/at least one hour's price/);
    await page.getByLabel('Price a month').fill('5.00');
    await page.getByRole('button', { name: 'Create plan' }).click();
    const row = page.getByRole('listitem', { name: 'Web 512', exact: true });
    await row.getByText('0.01 EUR an hour, 5.00 EUR a month').waitFor();
    await check(page, 'admin-plans');

    await row.getByRole('button', { name: 'Retire Web 512…' }).click();
    await row.getByRole('button', { name: 'Retire Web 512 for good' }).click();
    await row.getByText('RETIRED').waitFor();
    const saved = (await admin.data<{ plans: { id: string; retired: boolean }[] }>('{ plans { id retired } }')).plans.find((p) => p.id === plan);
    expect(saved).toEqual({ id: plan, retired: true });
  }, 120_000);

  it("registers an image, refusing a bad sha256 beside the field, and watches its import end AVAILABLE, or ERROR for a wrong sha256, without a reload", async () => {
    const good = uniqueName('img-');
    const wrong = uniqueName('img-');
    const fill = async (id: string, sha256: string) => {
      await page.getByLabel('Image id').fill(id);
      await page.getByLabel('Image name').fill('Web test rootfs');
      await page.getByLabel('OS').fill('busybox');
      await page.getByLabel('Version').fill('1');
      await page.getByLabel('Source URL').fill(rootfs.url);
      await page.getByLabel('SHA-256').fill(sha256);
      await page.getByRole('button', { name: 'Register image' }).click();
    };
    await nav('Images');
    await page.getByRole('heading', { name: 'Images', level: 1 }).waitFor();
    await page.evaluate('window.sameDocument = true');
    await fill(good, 'not-a-checksum');
    await page.locator('input[name="sha256"][aria-invalid="true"]').waitFor();
    expect(await errorBeside(page, 'SHA-256')).toBe("must be the file's SHA-256 as 64 hexadecimal digits");
    await check(page, 'admin-image-refused');

    // The simulated host fetches the file from this test's server and checks its sha256; the server holds it back until the page has said IMPORTING.
    await page.getByLabel('SHA-256').fill(rootfs.sha256);
    await page.getByRole('button', { name: 'Register image' }).click();
    const row = page.getByRole('listitem', { name: good, exact: true });
    await row.getByText('IMPORTING…', { exact: true }).waitFor();
    await page.getByRole('status').getByText(`Image ${good}: Importing`).waitFor();
    rootfs.release();
    await row.getByText('AVAILABLE', { exact: true }).waitFor({ timeout: 60_000 });
    await row.getByText('Container rootfs · busybox 1 · 1 MB').waitFor();
    await page.getByRole('status').getByText(`Image ${good}: Available: customers can create instances from it.`).waitFor();
    await check(page, 'admin-images');

    // The same file under another sha256: the host refuses it, and the page says so as it happens.
    await fill(wrong, 'ab'.repeat(32));
    await page.getByRole('listitem', { name: wrong, exact: true }).getByText('ERROR', { exact: true }).waitFor({ timeout: 60_000 });
    await page.getByRole('status').getByText(`Image ${wrong}: Import failed`).waitFor();
    const failed = (await admin.data<{ images: { id: string; failureReason: string | null }[] }>('{ images { id failureReason } }')).images.find((i) => i.id === wrong);
    expect(failed?.failureReason).toBe(`checksum mismatch: the file's sha256 is ${rootfs.sha256}, not ${'ab'.repeat(32)} (region local)`);
    expect(await page.evaluate('window.sameDocument')).toBe(true);
  }, 120_000);

  it('shows the address pools, creates a customer and invites two people: one while the mail server is busy (told so, and mailed at its next try), one once it is not', async () => {
    await nav('IP pools');
    await page.getByRole('heading', { name: 'IP pools', level: 1 }).waitFor();
    await page.locator('.admin-cards, .empty').first().waitFor();
    await check(page, 'admin-pools');

    await nav('Accounts');
    await page.getByRole('heading', { name: 'Accounts', level: 1 }).waitFor();
    const name = `Web shop ${uniqueName('')}`;
    await page.getByLabel('Account name').fill(name);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText(`${name} created, with its first CUSTOMER API key`).waitFor();
    const secret = (await page.locator('code.secret').textContent())!;
    expect((await new GraphqlClient(awan.url).as(secret).data<{ me: { name: string } }>('{ me { name } }')).me.name).toBe(name);
    await page.getByRole('listitem', { name, exact: true }).waitFor();

    const person = `${uniqueName('cy-')}@example.test`;
    await page.getByLabel('Into account').selectOption({ label: `${name} (customer)` });
    await page.getByLabel('Their email').fill('not an email');
    await page.getByLabel('Their name').fill('Cy');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.locator('input[name="invite-email"][aria-invalid="true"]').waitFor();
    // The mail server is busy (451): the person is invited, the mail is not sent yet, and it goes on the next try.
    smtp.refusing = 1;
    await page.getByLabel('Their email').fill(person);
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByText(`${person} is invited to ${name} as CUSTOMER, but the mail server did not take the mail yet: it is tried again, with a new link, until it goes.`).waitFor();
    expect(await smtp.linkTo(person)).toMatch(/\/set-password\?token=/);
    await check(page, 'admin-accounts');

    const second = `${uniqueName('di-')}@example.test`;
    await page.getByLabel('Their email').fill(second);
    await page.getByLabel('Their name').fill('Di');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByText(`${second} is invited to ${name} as CUSTOMER: the mail holds a link to set a password.`).waitFor();
    expect(smtp.mails.filter((m) => m.to.includes(second))).toHaveLength(1);
    expect(browserErrors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
  }, 120_000);
});
