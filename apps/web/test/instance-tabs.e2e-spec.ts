import { describeWithHardware, GraphqlClient, missingHardware, startTestAwan, uniqueName, type TestAwan } from '#libs/testing';
import type { Browser, Page } from 'playwright-core';
import { check as checkPage, errorBeside as errorBesideOn, invite, launchChromium, missingChromium, narrowPage, setPasswordAndSignIn } from './browser.js';

/**
 * The instance page's History, Snapshots, Backups and Firewalls tabs in Chromium, on npm start's
 * Awan with this machine's agent (snapshots are taken by a real host: the simulated one takes none):
 * a customer creates a container (a bad SSH key refused beside its field first), takes a snapshot
 * and watches it become AVAILABLE, is told a restore needs it stopped, stops it and restores it,
 * reads all of that in its history, sets a daily backup schedule and makes a firewall attached to
 * it; at 360 px wide, each tab checked by axe-core.
 */
describeWithHardware(
  "the instance page's tabs, in Chromium",
  missingHardware({ root: true, lxc: true }) ?? missingChromium(),
  () => {
    let awan: TestAwan;
    let browser: Browser;
    let page: Page;
    const email = `${uniqueName('tab-')}@example.test`;
    const browserErrors: string[] = [];

    beforeAll(async () => {
      awan = await startTestAwan('web_tabs');
      const admin = new GraphqlClient(awan.url).as(awan.adminKey);
      const { createAccount } = await admin.data(`mutation { createAccount(input: { name: "Tab's shop", kind: CUSTOMER }) { account { id } } }`);
      await invite(awan, { accountId: createAccount.account.id, email, name: 'Tab', role: 'CUSTOMER' });
      browser = await launchChromium();
      page = await narrowPage(browser, browserErrors);
      await setPasswordAndSignIn(page, awan, email);
    }, 240_000);

    afterAll(async () => {
      await browser?.close();
      await awan?.stop();
    }, 120_000);

    const check = (name: string) => checkPage(page, name);
    const errorBeside = (label: string) => errorBesideOn(page, label);
    const status = () => page.locator('.live-status');
    const tab = (name: string) => page.getByRole('tab', { name }).click();

    it('creates a container, after its bad SSH key is refused beside the field naming its line', async () => {
      await page.goto(`${awan.url.replace(/\/graphql$/, '')}/instances/new`);
      await page.getByLabel('Image').selectOption('dev-busybox-rootfs');
      await page.locator('input[name="plan"][value="ct-512m"]').check();
      await page.getByLabel('Region').selectOption('local');
      await page.getByLabel('Name').fill(uniqueName('tabs-'));
      await page.getByLabel('SSH keys (optional)').fill('\nssh-ed25519 AAAA!not-base64');
      await page.getByRole('button', { name: 'Create instance' }).click();
      await page.locator('textarea[aria-invalid="true"]').waitFor({ timeout: 20_000 });
      expect(await errorBeside('SSH keys (optional)')).toMatch(/^line 2 must be one OpenSSH public key line/);
      await check('create-instance-boot-config');

      await page.getByLabel('SSH keys (optional)').fill('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGz0bGFicy10ZXN0LWtleS1ub3QtcmVhbA tab@laptop');
      await page.getByLabel('User data (optional)').fill('#cloud-config\n{}\n');
      await page.getByRole('button', { name: 'Create instance' }).click();
      await status().filter({ hasText: 'RUNNING' }).waitFor({ timeout: 180_000 });
    }, 240_000);

    it('takes a snapshot and shows it taken, says a restore needs the instance stopped, then restores it once stopped', async () => {
      await tab('Snapshots');
      await page.getByText('No snapshots yet').waitFor();
      // A name the API refuses, beside the field.
      await page.getByLabel('Snapshot name').fill('Before_Change');
      await page.getByRole('button', { name: 'Take snapshot' }).click();
      await page.locator('input[aria-invalid="true"]').waitFor();
      expect(await errorBeside('Snapshot name')).toMatch(/label/i);

      await page.getByLabel('Snapshot name').fill('before-change');
      await page.getByRole('button', { name: 'Take snapshot' }).click();
      const row = page.locator('li.snapshot-row', { hasText: 'before-change' });
      // Asked for, it is listed at once; the tab asks again until the host has taken it.
      await row.waitFor();
      await row.filter({ hasText: 'AVAILABLE' }).waitFor({ timeout: 120_000 });
      expect(await row.innerText()).toMatch(/\d+ MB · taken/);
      const restore = row.getByRole('button', { name: 'Restore before-change…' });
      expect(await restore.isDisabled()).toBe(true);
      await row.getByText('Stop the instance to restore it.').waitFor();
      await check('instance-snapshots');

      await page.getByRole('button', { name: 'Stop' }).click();
      await status().filter({ hasText: 'STOPPED' }).waitFor({ timeout: 120_000 });
      await restore.click();
      await row.getByRole('button', { name: 'Replace the disk with before-change' }).click();
      // RESTORING, then STOPPED again, on the page's live status.
      await status().filter({ hasText: 'STOPPED' }).waitFor({ timeout: 120_000 });
      await row.filter({ hasText: 'AVAILABLE' }).waitFor();
    }, 300_000);

    it('reads what happened in its history: what, who and when', async () => {
      await tab('History');
      const history = page.locator('ol.history');
      await history.getByText("Restored from snapshot before-change: its disk is the snapshot's").waitFor({ timeout: 30_000 });
      const lines = await history.locator('li').allInnerTexts();
      const at = (words: string) => lines.find((line) => line.startsWith(words));
      expect(at('Created: a container on plan ct-512m')).toMatch(/By your account, /);
      expect(at('Snapshot before-change asked for')).toMatch(/By your account, /);
      expect(at('Snapshot before-change taken')).toMatch(/By Awan, /);
      expect(at('Stop asked for')).toBeDefined();
      expect(lines.indexOf(at('Snapshot before-change taken')!)).toBeLessThan(lines.indexOf(at('Restore from snapshot before-change asked for')!));
      expect(await history.locator('time').first().getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
      await check('instance-history');
    }, 60_000);

    it('sets a daily backup schedule, a keep count out of range refused beside its field', async () => {
      await tab('Backups');
      await page.getByText('None scheduled.').waitFor();
      await page.getByLabel('Hour (UTC, 0 to 23)').fill('4');
      await page.getByLabel('Keep the newest').fill('0');
      await page.getByRole('button', { name: 'Back up daily' }).click();
      await page.locator('input[aria-invalid="true"]').waitFor();
      expect(await errorBeside('Keep the newest')).toMatch(/^must be from 1 to \d+$/);
      await page.getByLabel('Keep the newest').fill('5');
      await page.getByRole('button', { name: 'Back up daily' }).click();
      await page.getByText('Every day at 04:00 UTC; the newest 5 scheduled backups are kept.').waitFor();
      await check('instance-backups');
    }, 60_000);

    it('makes a firewall attached to the instance, a bad address refused beside its rule', async () => {
      await tab('Firewalls');
      await page.getByText('Your account has no firewalls yet').waitFor();
      await page.getByRole('button', { name: 'New firewall…' }).click();
      await page.getByLabel('Firewall name').fill('ssh-only');
      await page.getByLabel('Addresses of rule 1').fill('0.0.0.0/0, nonsense');
      await page.getByRole('button', { name: 'Create firewall' }).click();
      await page.locator('input[aria-invalid="true"]').waitFor();
      expect(await errorBeside('Addresses of rule 1')).toMatch(/nonsense/);
      await page.getByLabel('Addresses of rule 1').fill('0.0.0.0/0, ::/0');
      await page.getByRole('button', { name: 'Create firewall' }).click();
      const row = page.locator('li.firewall-row', { hasText: 'ssh-only' });
      await row.filter({ hasText: 'Attached' }).waitFor();
      expect(await row.locator('.rules').innerText()).toBe('In: TCP port 22 from anyone');
      await check('instance-firewalls');

      await row.getByRole('button', { name: 'Detach ssh-only' }).click();
      await row.filter({ hasText: 'Not attached' }).waitFor();
      await tab('History');
      await page.locator('ol.history').getByText('Firewall ssh-only detached').waitFor({ timeout: 30_000 });
      // The one 401: the session asked for before signing in.
      expect(browserErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    }, 60_000);
  },
);
