import { readdirSync } from 'node:fs';
import { describeWithHardware, GraphqlClient, missingHardware, startTestAwan, uniqueName, waitFor, type TestAwan } from '#libs/testing';
import type { Browser, Page } from 'playwright-core';
import { check, invite, launchChromium, missingChromium, narrowPage, setPasswordAndSignIn } from './browser.js';

/** Debian's cloud kernel, which the agent's dev-busybox-kernel image boots (as in the gateway's consoles e2e). */
const kernel = readdirSync('/boot').some((file) => /^vmlinuz-.*-cloud-amd64$/.test(file));

/** What the test reads of noVNC's canvas (the tests compile without the DOM's types). */
interface Canvas { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null }

/**
 * A virtual machine's display in the web console, in Chromium, with this machine's agent (the VM
 * boots under TCG): noVNC, loaded when the display is chosen, completes RFB's handshake over the
 * gateway's console socket and draws the guest's screen.
 */
describeWithHardware(
  "a VM's display (VNC) in the web console",
  missingHardware({ root: true, qemu: true }) ?? missingChromium() ?? (kernel ? null : 'needs a Debian cloud kernel (apt-get install --no-install-recommends linux-image-cloud-amd64)'),
  () => {
    let awan: TestAwan;
    let browser: Browser;
    let page: Page;
    let owner: GraphqlClient;
    const email = `${uniqueName('vi-')}@example.test`;
    const browserErrors: string[] = [];

    beforeAll(async () => {
      awan = await startTestAwan('webvnc', { AGENT_ACCELERATOR: 'tcg' });
      const admin = new GraphqlClient(awan.url).as(awan.adminKey);
      const { createAccount } = await admin.data(`mutation { createAccount(input: { name: "Vi's lab", kind: CUSTOMER }) { account { id } apiKey { secret } } }`);
      owner = admin.as(createAccount.apiKey.secret);
      await invite(awan, { accountId: createAccount.account.id, email, name: 'Vi', role: 'CUSTOMER' });
      browser = await launchChromium();
      page = await narrowPage(browser, browserErrors);
    }, 240_000);

    afterAll(async () => {
      await browser?.close();
      await awan?.stop();
    }, 120_000);

    it("shows a running VM's screen in noVNC, fitted to the page", async () => {
      const name = uniqueName('vm-');
      const input = `{ name: "${name}", kind: VM, imageId: "dev-busybox-kernel", planId: "vm-512m", regionId: "local", billingCycle: HOURLY }`;
      const { createInstance } = await waitFor(() => owner.data(`mutation { createInstance(input: ${input}) { id } }`).catch(() => undefined), 20_000, 'billing to know the account');
      await setPasswordAndSignIn(page, awan, email);
      // noVNC comes with the display, not with the page, nor with the console tab (its serial console first).
      const loaded: string[] = [];
      page.on('request', (request) => loaded.push(new URL(request.url()).pathname));
      const noVncLoaded = () => loaded.some((path) => /^\/assets\/vnc-console-[\w-]+\.js$/.test(path));
      await page.goto(`${awan.url.replace(/\/graphql$/, '')}/instances/${createInstance.id}`);
      await page.locator('.live-status').filter({ hasText: 'RUNNING' }).waitFor({ timeout: 180_000 });
      await page.getByRole('tab', { name: 'Console' }).click();
      await page.getByText('Connected: what you type goes to the instance.').waitFor({ timeout: 30_000 });
      expect(noVncLoaded()).toBe(false);
      await page.getByLabel('Display (VNC)').check();
      // noVNC says `connect` once RFB's handshake is done and the server has given the framebuffer's size.
      const connected = page.getByRole('status').filter({ hasText: /^Connected to the display \((\d+) × (\d+)\)/ });
      await connected.waitFor({ timeout: 60_000 });
      const [, width, height] = /\((\d+) × (\d+)\)/.exec((await connected.textContent())!)!;
      expect(noVncLoaded()).toBe(true);
      expect(Number(width)).toBeGreaterThanOrEqual(640);
      expect(Number(height)).toBeGreaterThanOrEqual(400);
      // The guest's screen is drawn: noVNC paints every pixel of a framebuffer update opaque, an untouched canvas is transparent.
      const screen = page.getByRole('region', { name: `Display of ${name}` });
      await waitFor(() => screen.locator('canvas').evaluate((canvas: Canvas) => {
        const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
        return undefined;
      }), 30_000, 'the guest screen drawn on the canvas');
      // Scaled down to the page's width, not the guest's.
      expect((await screen.locator('canvas').boundingBox())!.width).toBeLessThanOrEqual(360);
      await check(page, 'instance-vnc');
      // Before signing in, the page asked for a session and got 401: that is how it knows to ask for one.
      expect(browserErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);

      // Deleted from its page with the display open: its QEMU and tap go (a VM left running when the test's Awan stops keeps its tap).
      await page.getByRole('button', { name: 'Delete…' }).click();
      await page.getByRole('button', { name: `Delete ${name} for good` }).click();
      await page.locator('.live-status').filter({ hasText: 'DELETED' }).waitFor({ timeout: 120_000 });
    }, 400_000);
  },
);
