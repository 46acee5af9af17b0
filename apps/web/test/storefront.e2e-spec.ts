import type { Browser, Page } from 'playwright-core';
import { describeWithHardware, GraphqlClient, startTestAwan, uniqueName, type TestAwan } from '#libs/testing';
import { check, errorBeside, invite, launchChromium, missingChromium, narrowPage, setPasswordAndSignIn } from './browser.js';

/**
 * A reseller's side of the web console in a real browser, on Awan without a hypervisor: the
 * reseller signs in, opens its storefront with its brand colour and sets a plan's price (its cost
 * and margin beside it); its public page then lists the plan at that price, refuses a bad email
 * beside the field, and signs up a customer under the reseller, who sets a password from the
 * mailed link and signs in. At 360 px wide, each page checked by axe-core.
 */
describeWithHardware('a reseller\'s storefront, in Chromium', missingChromium(), () => {
  let awan: TestAwan;
  let base: string;
  let browser: Browser;
  let page: Page;
  let admin: GraphqlClient;
  let resellerId: string;
  const slug = uniqueName('globex-').toLowerCase().replace(/[^a-z0-9-]/g, '');
  const resellerEmail = `${uniqueName('rita-')}@example.test`;
  const customerEmail = `${uniqueName('carl-')}@example.test`;
  const browserErrors: string[] = [];

  beforeAll(async () => {
    awan = await startTestAwan('storefront', {}, { localAgent: false });
    base = awan.url.replace(/\/graphql$/, '');
    admin = new GraphqlClient(awan.url).as(awan.adminKey);
    const { createAccount } = await admin.data(`mutation { createAccount(input: { name: "Globex Cloud", kind: RESELLER }) { account { id } apiKey { secret } } }`);
    resellerId = createAccount.account.id;
    // A customer it has already, for its customers page.
    const reseller = new GraphqlClient(awan.url).as(createAccount.apiKey.secret);
    await reseller.data('mutation { createAccount(input: { name: "First customer", kind: CUSTOMER }) { account { id } } }');
    await invite(awan, { accountId: resellerId, email: resellerEmail, name: 'Rita', role: 'RESELLER' });
    browser = await launchChromium();
    page = await narrowPage(browser, browserErrors);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await awan?.stop();
  }, 120_000);

  const signUp = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}/store/${slug}/sign-up`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('the reseller opens its storefront in its colour and sets a price, its cost and margin beside it', async () => {
    await setPasswordAndSignIn(page, awan, resellerEmail);
    await page.getByRole('heading', { name: 'Customers' }).waitFor();
    await check(page, 'reseller-customers');

    await page.getByRole('link', { name: 'Storefront' }).click();
    await page.getByLabel('Address').fill('Not a slug!');
    await page.getByRole('button', { name: 'Save storefront' }).click();
    await page.locator('input[name="slug"][aria-invalid="true"]').waitFor();
    expect(await errorBeside(page, 'Address')).toContain('lower-case letters');
    await page.getByLabel('Address').fill(slug);
    await page.getByLabel('Brand colour').fill('#ffd400'); // light: the page must pick dark text on it
    await page.getByRole('button', { name: 'Save storefront' }).click();
    await page.getByText(`/store/${slug}`).waitFor();
    await check(page, 'reseller-storefront');

    await page.getByRole('link', { name: 'Prices' }).click();
    const { plans } = await admin.data<{ plans: { id: string; name: string }[] }>('{ plans { id name } }');
    const name = plans.find((p) => p.id === 'ct-512m')!.name;
    const plan = page.getByRole('listitem', { name, exact: true });
    await plan.waitFor();
    await plan.getByLabel(`${name}: price an hour`).fill('0.0100');
    await plan.getByLabel(`${name}: price a month`).fill('6.00');
    await plan.getByRole('button', { name: 'Set price' }).click();
    await plan.getByText('Saved: your customers pay this from now on.').waitFor();
    // The platform's EUR price of ct-512m is 0.0030 an hour: the margin is the rest, exactly.
    await plan.getByText('0.007 EUR an hour').waitFor();
    await check(page, 'reseller-prices');
    await page.getByRole('button', { name: 'Sign out' }).click();
  }, 120_000);

  it('is public, from its own origin only, and takes no sign-up while closed', async () => {
    const catalog = await (await fetch(`${base}/store/${slug}/catalog`)).json() as { storefront: unknown; plans: { id: string; monthlyPrice: unknown }[] };
    expect(catalog.storefront).toEqual({ slug, name: 'Globex Cloud', brandColour: '#ffd400', currency: 'EUR' });
    expect(catalog.plans.find((p) => p.id === 'ct-512m')?.monthlyPrice).toEqual({ amount: expect.stringMatching(/^6(\.0+)?$/), currency: 'EUR' });
    const foreign = await signUp({ name: 'Eve', email: 'eve@example.test' }, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect((await signUp({ name: 'Eve', email: 'eve' })).status).toBe(400);
    expect((await fetch(`${base}/store/no-such-store/catalog`)).status).toBe(404);
  });

  it('signs up a customer under the reseller, who sets a password from the mailed link and signs in', async () => {
    await page.goto(`${base}/store/${slug}`);
    await page.getByRole('heading', { name: 'Globex Cloud', level: 1 }).waitFor();
    await page.getByText('6.00 EUR').first().waitFor();
    await check(page, 'storefront');

    await page.getByLabel('Your name').fill('Carl');
    await page.getByLabel('Email').fill('carl-at-example');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.locator('input[name="email"][aria-invalid="true"]').waitFor();
    expect(await errorBeside(page, 'Email')).toBe('must be an email address');
    await page.getByLabel('Email').fill(customerEmail);
    await page.getByLabel('Company (optional)').fill('Carl Ltd');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByText(`we sent a link to ${customerEmail}`).waitFor();
    await check(page, 'storefront-signed-up');

    await setPasswordAndSignIn(page, awan, customerEmail);
    await page.getByRole('heading', { name: 'No instances yet' }).waitFor();
    // The account is the reseller's customer, priced at the reseller's price.
    const { accounts } = await admin.data<{ accounts: { edges: { node: { name: string; parent: { id: string } | null } }[] } }>(
      `{ accounts(first: 100, parentId: "${resellerId}") { edges { node { name parent { id } } } } }`,
    );
    expect(accounts.edges.map((e) => e.node)).toContainEqual({ name: 'Carl Ltd', parent: { id: resellerId } });
    expect(browserErrors.filter((e) => !e.includes('the server responded with a status of 4'))).toEqual([]);
  }, 120_000);

  it('takes at most a few sign-ups from one address an hour', async () => {
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push((await signUp({ name: 'Flood', email: `${uniqueName('flood-')}@example.test` })).status);
    // One signed up above: four more pass, then 429.
    expect(answers).toEqual([202, 202, 202, 202, 429, 429]);
  });
});
