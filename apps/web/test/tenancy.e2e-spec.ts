import { createHmac } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { describeWithHardware, GraphqlClient, startTestAwan, uniqueName, waitFor, type TestAwan } from '#libs/testing';
import { check, errorBeside, invite, launchChromium, missingChromium, narrowPage, setPasswordAndSignIn } from './browser.js';

/**
 * A customer's own pages in a real browser, on Awan without a hypervisor (its simulated host runs
 * the instance): the first customer makes an API key (its secret shown once and copied), makes an
 * instance with it, allocates a floating IP, assigns it, sets and clears its reverse DNS (a bad
 * name refused beside the field), unassigns it, turns TOTP on and off; a second customer of the same
 * platform signs in and finds none of it, the first's instance a page that does not exist. At 360
 * px wide, each page checked by axe-core. Then the first releases the address and revokes the key.
 */
describeWithHardware("a customer's addresses, keys and sign-in, and a second customer's view, in Chromium", missingChromium(), () => {
  let awan: TestAwan;
  let browser: Browser;
  let first: Page;
  let second: Page;
  let admin: GraphqlClient;
  const firstEmail = `${uniqueName('una-')}@example.test`;
  const secondEmail = `${uniqueName('dos-')}@example.test`;
  const keyName = uniqueName('ci-');
  const instanceName = uniqueName('web-');
  let secret = '';
  let instanceId = '';
  let address = '';
  const browserErrors: string[] = [];

  beforeAll(async () => {
    awan = await startTestAwan('web_tenancy', {}, { localAgent: false });
    admin = new GraphqlClient(awan.url).as(awan.adminKey);
    for (const [name, email] of [['Una', firstEmail], ['Dos', secondEmail]]) {
      const { createAccount } = await admin.data<{ createAccount: { account: { id: string } } }>(
        `mutation { createAccount(input: { name: "${name} Ltd", kind: CUSTOMER }) { account { id } } }`,
      );
      await invite(awan, { accountId: createAccount.account.id, email, name, role: 'CUSTOMER' });
    }
    browser = await launchChromium();
    first = await narrowPage(browser, browserErrors);
    await first.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    second = await narrowPage(browser, browserErrors);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await awan?.stop();
  }, 120_000);

  const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
  const keyNames = async (page: Page) => page.getByRole('list', { name: 'API keys' }).getByRole('listitem').evaluateAll((items) => items.map((i) => i.getAttribute('aria-label')));
  const ipOf = async (id: string) => (await admin.data<{ ipAddresses: { edges: { node: { id: string; reverseDns: string | null; instance: { id: string } | null } }[] } }>(
    '{ ipAddresses(first: 100) { edges { node { id reverseDns instance { id } } } } }',
  )).ipAddresses.edges.map((e) => e.node).find((ip) => ip.id === id);

  it('makes an API key whose secret is shown once and copied, and which then works', async () => {
    await setPasswordAndSignIn(first, awan, firstEmail);
    await nav(first, 'API keys');
    await first.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
    expect(await first.title()).toBe('API keys · Awan');
    // The account's first key, made with it.
    await first.getByRole('list', { name: 'API keys' }).waitFor();
    expect(await keyNames(first)).toEqual(['first key']);

    await first.getByLabel('Key name').fill('  ');
    await first.getByRole('button', { name: 'Create key' }).click();
    await first.locator('input[name="name"][aria-invalid="true"]').waitFor();
    expect(await errorBeside(first, 'Key name')).toMatch(/1 to 100 characters/);

    await first.getByLabel('Key name').fill(keyName);
    await first.getByRole('button', { name: 'Create key' }).click();
    const shown = first.getByLabel(`Secret of ${keyName}`);
    secret = (await shown.textContent()) ?? '';
    expect(secret).toMatch(/^awan_/);
    await first.getByRole('button', { name: 'Copy the secret' }).click();
    await first.getByText('Copied.').waitFor();
    expect(await first.evaluate('navigator.clipboard.readText()')).toBe(secret);
    expect(await keyNames(first)).toEqual(['first key', keyName]);
    await check(first, 'customer-api-keys');

    // The key acts for the account: it makes the instance the address goes to.
    const customer = new GraphqlClient(awan.url).as(secret);
    instanceId = await waitFor(async () => {
      // A new account is known to billing a moment after it is made: asked again while UNAVAILABLE.
      const answer = await customer.request<{ createInstance: { id: string } }>('mutation ($input: CreateInstanceInput!) { createInstance(input: $input) { id } }', {
        input: { name: instanceName, kind: 'CONTAINER', imageId: 'dev-busybox-rootfs', planId: 'ct-512m', regionId: 'local', billingCycle: 'HOURLY' },
      });
      if (answer.errors?.some((e) => e.extensions?.code === 'UNAVAILABLE')) return undefined;
      if (answer.errors) throw new Error(JSON.stringify(answer.errors));
      return answer.data!.createInstance.id;
    }, 60_000, 'the instance made with the new key');
  }, 120_000);

  it('allocates a floating IP, assigns it, sets and clears its reverse DNS, and unassigns it', async () => {
    await nav(first, 'Floating IPs');
    await first.getByRole('heading', { name: 'No floating IPs yet' }).waitFor();
    expect(await first.title()).toBe('Floating IPs · Awan');
    await first.getByRole('button', { name: 'Allocate address' }).click();
    const made = await first.getByRole('status').filter({ hasText: ' is yours in ' }).textContent();
    address = /^(\S+) is yours/.exec(made ?? '')![1];
    const row = first.getByRole('listitem', { name: address });
    await row.getByText('IPv4 · local · not assigned').waitFor();
    const ipId = (await admin.data<{ ipAddresses: { edges: { node: { id: string; address: string } }[] } }>('{ ipAddresses(first: 100) { edges { node { id address } } } }'))
      .ipAddresses.edges.map((e) => e.node).find((ip) => ip.address === address)!.id;

    await row.getByLabel(`Assign ${address} to`).selectOption({ label: instanceName });
    await row.getByRole('button', { name: 'Assign' }).click();
    await row.getByRole('link', { name: instanceName }).waitFor();
    expect((await ipOf(ipId))?.instance?.id).toBe(instanceId);

    const reverse = `Reverse DNS of ${address}`;
    await row.getByLabel(reverse).fill('not a host!');
    await row.getByRole('button', { name: 'Save' }).click();
    await row.locator('input[name="hostname"][aria-invalid="true"]').waitFor();
    expect(await errorBeside(first, reverse)).toMatch(/must be a host name/);
    await row.getByLabel(reverse).fill('mail.example.test');
    await row.getByRole('button', { name: 'Save' }).click();
    await row.getByRole('button', { name: 'Clear' }).waitFor();
    expect((await ipOf(ipId))?.reverseDns).toBe('mail.example.test');
    await check(first, 'customer-floating-ips');
    await row.getByRole('button', { name: 'Clear' }).click();
    await row.getByRole('button', { name: 'Clear' }).waitFor({ state: 'detached' });
    expect(await row.getByLabel(reverse).inputValue()).toBe('');
    expect((await ipOf(ipId))?.reverseDns).toBeNull();

    await row.getByRole('button', { name: `Unassign from ${instanceName}` }).click();
    await row.getByText('IPv4 · local · not assigned').waitFor();
    expect((await ipOf(ipId))?.instance).toBeNull();
  }, 120_000);

  it('turns two-step sign-in on with a code of the offered secret, and off with a later one', async () => {
    await nav(first, 'Security');
    await first.getByRole('heading', { name: 'Security', level: 1 }).waitFor();
    await first.getByRole('button', { name: 'Set up two-step sign-in' }).click();
    await first.getByRole('img', { name: /QR code of the otpauth URI/ }).waitFor();
    const totpSecret = (await first.getByLabel('TOTP secret').textContent()) ?? '';
    expect(await first.getByLabel('otpauth URI', { exact: true }).textContent()).toContain(`secret=${totpSecret}`);
    await check(first, 'customer-security');

    await first.getByLabel('Code from your app').fill('000000');
    await first.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
    await first.locator('input[name="code"][aria-invalid="true"]').waitFor();
    expect(await errorBeside(first, 'Code from your app')).toMatch(/code/);
    const step = Math.floor(Date.now() / 30_000);
    await first.getByLabel('Code from your app').fill(totpCode(totpSecret, step));
    await first.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
    await first.getByText('Two-step sign-in is on').waitFor();
    // A code is good once: turning it off takes the next step's (the gateway allows one step of drift).
    await first.getByLabel('Code to turn it off').fill(totpCode(totpSecret, step + 1));
    await first.getByRole('button', { name: 'Turn off two-step sign-in' }).click();
    await first.getByText('Two-step sign-in is off').waitFor();
  }, 60_000);

  it("shows a second customer none of the first's things, and the first's instance as no page at all", async () => {
    await setPasswordAndSignIn(second, awan, secondEmail);
    await second.getByRole('heading', { name: 'No instances yet' }).waitFor();
    await nav(second, 'Floating IPs');
    await second.getByRole('heading', { name: 'No floating IPs yet' }).waitFor();
    expect(await second.getByText(address).count()).toBe(0);
    await check(second, 'second-customer-floating-ips');
    await nav(second, 'API keys');
    await second.getByRole('list', { name: 'API keys' }).waitFor();
    expect(await keyNames(second)).toEqual(['first key']);
    await second.goto(`${awan.url.replace(/\/graphql$/, '')}/instances/${instanceId}`);
    await second.getByRole('heading', { name: 'No such instance' }).waitFor();
    expect(await second.getByText(instanceName).count()).toBe(0);
    await check(second, 'second-customer-foreign-instance');
  }, 120_000);

  it('releases the address and revokes the key, each after a question', async () => {
    await nav(first, 'Floating IPs');
    const row = first.getByRole('listitem', { name: address });
    await row.getByRole('button', { name: `Release ${address}` }).click();
    await row.getByRole('button', { name: 'Keep it' }).click();
    await row.getByRole('button', { name: `Release ${address}` }).click();
    await row.getByRole('button', { name: 'Release it' }).click();
    await first.getByRole('heading', { name: 'No floating IPs yet' }).waitFor();

    await nav(first, 'API keys');
    await first.getByRole('button', { name: `Revoke ${keyName}` }).click();
    await first.getByRole('button', { name: 'Revoke it' }).click();
    await waitFor(async () => (await keyNames(first)).length === 1 || undefined, 10_000, 'the key gone from the list');
    expect((await new GraphqlClient(awan.url).as(secret).request('{ me { id } }')).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // The session asked for before signing in, and the refusals provoked above, answer 4xx; nothing else failed.
    expect(browserErrors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
  }, 60_000);
});

/** What an authenticator app shows at `step` for a base32 secret (RFC 6238: HMAC-SHA1, 6 digits), worked out here as the app would. */
function totpCode(secret: string, step: number): string {
  let bits = '';
  for (const char of secret.replace(/=+$/, '')) bits += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(char).toString(2).padStart(5, '0');
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}
