import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { describeWithHardware, GraphqlClient, missingHardware, startTestAwan, uniqueName, waitFor, type TestAwan } from '#libs/testing';

/** Debian's chromium (apt-get install chromium): never a browser Playwright would download. */
const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'correct horse battery staple';
/** Screenshots of each main page (dist is ignored by git). */
const OUTPUT = path.resolve('dist', 'test-output', 'web-console');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }

/**
 * The web console in a real browser, on npm start's Awan with this machine's agent (a container is
 * made for real): a customer invited in development sets a password from the link in the gateway's
 * log, is refused a wrong password, signs in, creates a container, sees it RUNNING without reloading,
 * stops and deletes it, and signs out; at 360 px wide, each main page checked by axe-core.
 */
describeWithHardware(
  'the web console, in Chromium',
  missingHardware({ root: true, lxc: true }) ?? (existsSync(CHROMIUM) ? null : 'needs chromium (apt-get install chromium)'),
  () => {
    let awan: TestAwan;
    let base: string;
    let browser: Browser;
    let page: Page;
    const email = `${uniqueName('ana-')}@example.test`;
    const browserErrors: string[] = [];

    beforeAll(async () => {
      mkdirSync(OUTPUT, { recursive: true });
      awan = await startTestAwan('web');
      base = awan.url.replace(/\/graphql$/, '');
      const admin = new GraphqlClient(awan.url).as(awan.adminKey);
      const { createAccount } = await admin.data(`mutation { createAccount(input: { name: "Ana's shop", kind: CUSTOMER }) { account { id } } }`);
      const invited = await fetch(`${base}/auth/invitations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${awan.adminKey}` },
        body: JSON.stringify({ accountId: createAccount.account.id, email, name: 'Ana', role: 'CUSTOMER' }),
      });
      expect(invited.status).toBe(201);
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
      page = await browser.newPage({ viewport: { width: 360, height: 780 } });
      // A script or style the page's policy blocked, a failed request, an exception: each would show here.
      page.on('console', (message) => message.type() === 'error' && browserErrors.push(message.text()));
      page.on('pageerror', (error) => browserErrors.push(error.message));
    }, 240_000);

    afterAll(async () => {
      await browser?.close();
      await awan?.stop();
    }, 120_000);

    /** axe-core in the page: the violations a person with a screen reader or a keyboard would hit hardest. */
    async function seriousViolations(): Promise<string[]> {
      await page.evaluate(AXE);
      const violations = await page.evaluate('axe.run(document).then((r) => r.violations)') as AxeViolation[];
      return violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    }

    /** Checks the page as a person would meet it, and keeps its picture. */
    async function check(name: string): Promise<void> {
      await page.screenshot({ path: path.join(OUTPUT, `${name}.png`), fullPage: true });
      expect(await seriousViolations()).toEqual([]);
      // Usable at 360 px: nothing wider than the screen.
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    }

    /** The error shown beside a field: the element its input names in aria-describedby. */
    async function errorBeside(label: string): Promise<string> {
      const field = page.getByLabel(label, { exact: true });
      expect(await field.getAttribute('aria-invalid')).toBe('true');
      const note = await field.getAttribute('aria-describedby');
      return (await page.locator(`[id="${note}"]`).textContent()) ?? '';
    }

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
      const link = await waitFor(() => new RegExp(`to ${email}[\\s\\S]*?(http://\\S+/set-password\\?token=[\\w-]{43})`).exec(awan.launcher.output())?.[1], 10_000, 'the invitation in the log');
      await page.goto(link);
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
  },
);
