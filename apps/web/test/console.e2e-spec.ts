import { describeWithHardware, GraphqlClient, missingHardware, standInForLastMonth, startTestAwan, uniqueName, waitFor, type TestAwan } from '#libs/testing';
import type { Browser, Page } from 'playwright-core';
import { check as checkPage, errorBeside as errorBesideOn, invite, invitationLink, launchChromium, missingChromium, narrowPage, PASSWORD, setPasswordAndSignIn } from './browser.js';

/**
 * The web console in a real browser, on npm start's Awan with this machine's agent (a container is
 * made for real): a customer invited in development sets a password from the link in the gateway's
 * log, is refused a wrong password, signs in, creates a container, sees it RUNNING without reloading,
 * types a command in its serial console and reads the output, stops and deletes it, and signs out;
 * finance opens an ended month's invoice, drills into a line's usage and finalizes it, and the
 * customer finds it among its invoices. At 360 px wide, each main page checked by axe-core.
 */
describeWithHardware(
  'the web console, in Chromium',
  missingHardware({ root: true, lxc: true }) ?? missingChromium(),
  () => {
    let awan: TestAwan;
    let base: string;
    let browser: Browser;
    let page: Page;
    let customerId: string;
    const email = `${uniqueName('ana-')}@example.test`;
    const browserErrors: string[] = [];

    beforeAll(async () => {
      awan = await startTestAwan('web');
      base = awan.url.replace(/\/graphql$/, '');
      const admin = new GraphqlClient(awan.url).as(awan.adminKey);
      const { createAccount } = await admin.data(`mutation { createAccount(input: { name: "Ana's shop", kind: CUSTOMER }) { account { id } } }`);
      customerId = createAccount.account.id;
      await invite(awan, { accountId: customerId, email, name: 'Ana', role: 'CUSTOMER' });
      browser = await launchChromium();
      page = await narrowPage(browser, browserErrors);
    }, 240_000);

    afterAll(async () => {
      await browser?.close();
      await awan?.stop();
    }, 120_000);

    const check = (name: string) => checkPage(page, name);
    const errorBeside = (label: string) => errorBesideOn(page, label);

    it("is served at / beside the API, whose routes it never shadows", async () => {
      const html = { accept: 'text/html' };
      for (const route of ['/', '/instances/5d0c1c8e-8f5e-4b53-9d8e-0a1b2c3d4e5f']) {
        const response = await fetch(`${base}${route}`, { headers: html });
        expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(await response.text()).toContain('<div id="root">');
      }
      for (const route of ['/auth/session', '/invoices/5d0c1c8e-8f5e-4b53-9d8e-0a1b2c3d4e5f.pdf', '/graphql', '/health', '/metrics']) {
        const response = await fetch(`${base}${route}`, { headers: html });
        expect(`${route}: ${(await response.text()).includes('<div id="root">')}`).toBe(`${route}: false`);
      }
    });

    it('takes an invited person from the link in the log to signing in; a wrong password is refused beside the field', async () => {
      // Development: no SMTP_URL, so the invitation's mail, with its one-time link, is in the gateway's log.
      await page.goto(await invitationLink(awan, email));
      await page.getByRole('heading', { name: 'Set your password' }).waitFor();
      await check('set-password');
      await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
      await page.getByLabel('The same password again').fill(PASSWORD);
      await page.getByRole('button', { name: 'Set password' }).click();
      await page.getByRole('heading', { name: 'Your password is set' }).waitFor();
      await page.getByRole('link', { name: 'Sign in' }).click();

      await page.getByRole('heading', { name: 'Sign in to Awan' }).waitFor();
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password', { exact: true }).fill('not my password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('the email or the password is wrong').waitFor();
      expect(await errorBeside('Password')).toBe('the email or the password is wrong');
      await check('sign-in-refused');

      // By keyboard alone: the password field, the right password, Enter.
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'No instances yet' }).waitFor();
      await check('instances-empty');
    }, 60_000);

    it('creates a container that turns RUNNING on the page without a reload, then stops and deletes it', async () => {
      await page.getByRole('link', { name: 'Create your first instance' }).click();
      await page.getByRole('heading', { name: 'Create an instance' }).waitFor();
      await page.getByLabel('Image').selectOption('dev-busybox-rootfs');
      await page.locator('input[name="plan"][value="ct-512m"]').check();
      // The plan's price at the customer's reseller (here the platform's), exact.
      expect(await page.locator('label.plan', { has: page.locator('input[value="ct-512m"]') }).textContent()).toMatch(/\d+\.\d{2,} EUR an hour, at most \d+\.\d{2,} EUR a month/);
      await page.getByLabel('Region').selectOption('local');
      // The API's refusal of the name shows beside the name.
      await page.getByLabel('Name').fill('Not_A_Label');
      await page.getByRole('button', { name: 'Create instance' }).click();
      await waitFor(async () => (await page.getByLabel('Name').getAttribute('aria-invalid')) === 'true', 20_000, 'the name refused');
      expect(await errorBeside('Name')).toMatch(/label/i);
      await check('create-instance');

      const name = uniqueName('web-');
      await page.getByLabel('Name').fill(name);
      await page.getByRole('button', { name: 'Create instance' }).click();
      await page.getByRole('heading', { name }).waitFor();
      // A mark on the page's window: a reload would lose it.
      await page.evaluate('window.sameDocument = true');
      const status = page.locator('.live-status');
      await status.filter({ hasText: 'RUNNING' }).waitFor({ timeout: 180_000 });
      expect(await page.evaluate('window.sameDocument')).toBe(true);
      await check('instance-running');

      // Its serial console: a command typed there runs in the container, and its output comes back.
      await page.getByRole('tab', { name: 'Console' }).click();
      await page.getByText('Connected: what you type goes to the instance.').waitFor({ timeout: 30_000 });
      await page.locator('.xterm').click();
      await page.keyboard.press('Enter');
      await page.keyboard.type('echo web-$((40+2))');
      await page.keyboard.press('Enter');
      // What was typed comes back as typed; only the shell's answer reads web-42.
      await waitFor(async () => (await page.locator('.xterm-rows').innerText()).includes('web-42') || undefined, 30_000, 'the output on the console');
      await check('instance-console');
      await page.getByRole('tab', { name: 'Details' }).click();

      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Instances' }).click();
      const row = page.locator('li.instance-row', { hasText: name });
      await row.filter({ hasText: 'RUNNING' }).waitFor();
      await check('instances');
      await row.getByRole('link', { name }).click();

      await page.getByRole('button', { name: 'Stop' }).click();
      await status.filter({ hasText: 'STOPPED' }).waitFor({ timeout: 120_000 });
      await page.getByRole('button', { name: 'Delete…' }).click();
      await page.getByRole('button', { name: `Delete ${name} for good` }).click();
      await status.filter({ hasText: 'DELETED' }).waitFor({ timeout: 120_000 });
      expect(await page.evaluate('window.sameDocument')).toBe(true);

      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Instances' }).click();
      await page.getByRole('heading', { name: 'No instances yet' }).waitFor();
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in to Awan' }).waitFor();
      // Signed out server-side: the session is gone, not just the page.
      expect(await page.evaluate('fetch("/auth/session").then((r) => r.status)')).toBe(401);
      expect(browserErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    }, 420_000);

    it("has finance open an ended month's invoice, drill into a line's usage and finalize it; the customer then finds it", async () => {
      const { month } = await standInForLastMonth(awan, customerId);
      const admin = new GraphqlClient(awan.url).as(awan.adminKey);
      const { me } = await admin.data<{ me: { id: string } }>('{ me { id } }');
      const financeEmail = `${uniqueName('fin-')}@example.test`;
      await invite(awan, { accountId: me.id, email: financeEmail, name: 'Fin', role: 'FINANCE' });
      await setPasswordAndSignIn(page, awan, financeEmail);

      // Finance's home is the desk: last month's drafts, narrowed to the customer's.
      await page.getByRole('heading', { name: 'Invoice desk' }).waitFor();
      await page.getByLabel('Month', { exact: true }).selectOption(month);
      await page.getByLabel('Status').selectOption('DRAFT');
      await page.getByLabel('Account').selectOption({ label: "Ana's shop" });
      const row = page.locator('li.invoice-row', { hasText: "Ana's shop" });
      await row.filter({ hasText: 'DRAFT' }).waitFor();
      expect(await page.getByRole('status').filter({ hasText: 'invoices' }).textContent()).toMatch(/^1 of \d+ invoices$/);
      // The month's CSV for the books, from the link the desk gives.
      const monthCsv = await page.getByRole('link', { name: /^The CSV of / }).getAttribute('href');
      expect(monthCsv).toBe(`/invoices.csv?month=${month}`);
      expect(await page.evaluate(`fetch(${JSON.stringify(monthCsv)}).then(async (r) => [r.status, (await r.text()).split('\\n').length > 1])`)).toEqual([200, true]);
      await check('invoice-desk');

      await row.getByRole('link', { name: /^Draft · / }).click();
      await page.getByRole('heading', { name: 'Draft invoice' }).waitFor();
      // The line opens to the usage it was rated from: the address held from day 2 to day 12 of the month.
      const line = page.locator('details.line').first();
      await line.locator('summary').click();
      const segment = line.locator('li.segment');
      await segment.first().waitFor();
      expect(await segment.count()).toBe(1);
      const usage = await segment.innerText();
      expect(usage).toContain('ALLOCATED');
      expect(usage).toContain('10 d 0 h billed');
      expect(usage).toContain(`Opened ${new Date(`${month}-03T00:00:00Z`).toLocaleString('en', { timeZone: 'UTC', dateStyle: 'medium', timeStyle: 'short' })} UTC`);
      expect(usage).toContain(`Closed ${new Date(`${month}-13T00:00:00Z`).toLocaleString('en', { timeZone: 'UTC', dateStyle: 'medium', timeStyle: 'short' })} UTC`);
      await check('invoice-draft-usage');

      await page.getByRole('button', { name: 'Finalize this invoice' }).click();
      await page.getByText('Finalized: it is numbered and its lines are frozen.').waitFor();
      expect(await page.locator('.live-status').textContent()).toBe('Status: FINALIZED');
      const number = (await page.getByRole('heading', { level: 1 }).textContent())!;
      expect(number).not.toBe('Draft invoice');
      // Finalized, finance may mark it paid, credit it or void it; the PDF is there to send.
      for (const action of ['Mark paid', 'Issue credit note', 'Void this invoice']) await page.getByRole('button', { name: action }).waitFor();
      expect(await page.evaluate(`fetch(document.querySelector('a[href$=".pdf"]').href).then((r) => [r.status, r.headers.get('content-type')])`)).toEqual([200, 'application/pdf']);
      await check('invoice-finalized');

      // The customer finds it among its invoices, numbered, with its documents; and may not act on it.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Invoices' }).click();
      const own = page.locator('li.invoice-row', { hasText: number });
      await own.filter({ hasText: 'FINALIZED' }).waitFor();
      expect(await own.getByRole('link', { name: /^PDF of / }).getAttribute('href')).toMatch(/^\/invoices\/[\w-]+\.pdf$/);
      await check('invoices-customer');
      await own.getByRole('link', { name: `${number} · Ana's shop`, exact: false }).click();
      await page.getByRole('heading', { name: number }).waitFor();
      expect(await page.getByRole('button', { name: 'Void this invoice' }).count()).toBe(0);
      expect(browserErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    }, 240_000);
  },
);
