import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { describeWithHardware, GraphqlClient, startTestAwan, uniqueName, type TestAwan } from '#libs/testing';
import { check, invite, launchChromium, missingChromium, narrowPage, setPasswordAndSignIn, signIn } from './browser.js';

/**
 * Signing in to the web console in Chromium, beyond a wrong password (console.e2e-spec.ts): locked
 * out after repeated failures, a session that expired sending the person back to sign in with a
 * word of why, and a page of another origin that posts to /graphql with the person's cookie
 * refused. The control plane only (a simulated host): nothing here needs a hypervisor.
 */
describeWithHardware('signing in to the web console, in Chromium', missingChromium(), () => {
  let awan: TestAwan;
  let browser: Browser;
  let page: Page;
  let database: pg.Client;
  let accountId: string;
  const browserErrors: string[] = [];

  /** A person of the account, with a password set, signed out. */
  async function person(prefix: string): Promise<string> {
    const email = `${uniqueName(prefix)}@example.test`;
    await invite(awan, { accountId, email, name: prefix, role: 'CUSTOMER' });
    await setPasswordAndSignIn(page, awan, email);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Awan' }).waitFor();
    return email;
  }

  beforeAll(async () => {
    // Three failures lock an email (the default is 5): the test needs fewer attempts.
    awan = await startTestAwan('web_sign_in', { SIGN_IN_MAX_FAILURES: '3' }, { localAgent: false });
    database = new pg.Client({ connectionString: awan.databaseUrl });
    await database.connect();
    const admin = new GraphqlClient(awan.url).as(awan.adminKey);
    const { createAccount } = await admin.data(`mutation { createAccount(input: { name: "Sign-in shop", kind: CUSTOMER }) { account { id } } }`);
    accountId = createAccount.account.id;
    browser = await launchChromium();
    page = await narrowPage(browser, browserErrors);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await database?.end();
    await awan?.stop();
  }, 120_000);

  it('locks a person out after repeated wrong passwords, says so in words, and refuses even the right one meanwhile', async () => {
    const email = await person('locked-');
    for (let attempt = 1; attempt <= 3; attempt++) {
      await signIn(page, email, `wrong password ${attempt}`);
      await page.getByText('the email or the password is wrong').waitFor();
    }
    await signIn(page, email);
    const refusal = page.getByRole('alert').filter({ hasText: 'too many failed sign-ins' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/^too many failed sign-ins for this email: try again in \d+ s$/);
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    expect(await page.evaluate('fetch("/auth/session").then((r) => r.status)')).toBe(401);
    await check(page, 'sign-in-locked-out');
  }, 120_000);

  it('sends a person whose session expired back to sign in, saying why, and lets them in again', async () => {
    const email = await person('expired-');
    await signIn(page, email);
    await page.getByRole('heading', { name: 'No instances yet' }).waitFor();
    // The session's end comes, as the server keeps it (SESSION_TTL_MS after sign-in): now.
    const { rowCount } = await database.query(
      `UPDATE identity.sessions SET expires_at = now() - interval '1 second'
       WHERE ended_at IS NULL AND expires_at > now() AND user_id = (SELECT id FROM identity.users WHERE email_key = $1)`,
      [email.toLowerCase()],
    );
    expect(rowCount).toBe(1);

    // The next thing the person does asks the API, which no longer knows the session.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Invoices' }).click();
    await page.getByRole('heading', { name: 'Sign in to Awan' }).waitFor();
    expect(await page.getByRole('status').filter({ hasText: 'session' }).textContent()).toBe('Your session has ended: sign in again to carry on.');
    await check(page, 'sign-in-session-expired');

    await signIn(page, email);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(await page.getByText('Your session has ended').count()).toBe(0);
    // Signing out oneself is no expiry: the page says nothing of it.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Awan' }).waitFor();
    expect(await page.getByText('Your session has ended').count()).toBe(0);
  }, 120_000);

  it("refuses what a page of another origin posts to /graphql with the person's cookie", async () => {
    const email = await person('csrf-');
    await signIn(page, email);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    const gateway = new URL(awan.url).origin;
    const mutation = (name: string) => JSON.stringify({ query: `mutation { createFirewall(input: { name: "${name}", rules: [] }) { id } }` });
    const firewalls = async () => (await page.evaluate(`fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': /awan_csrf=([^;]*)/.exec(document.cookie)[1] },
      body: JSON.stringify({ query: '{ firewalls(first: 100) { edges { node { name } } } }' }) }).then((r) => r.json())`) as any).data.firewalls.edges.map((e: any) => e.node.name) as string[];

    // Beside it, the same mutation from the console's own page, with the session's token, goes through: what is refused below is refused for where it came from.
    expect(await page.evaluate(`fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': /awan_csrf=([^;]*)/.exec(document.cookie)[1] }, body: ${JSON.stringify(mutation('own'))} }).then((r) => r.status)`)).toBe(200);

    // Another origin on this machine: same site as the gateway (another port of 127.0.0.1), so the browser sends its SameSite cookie along.
    const attacker = http.createServer((request, response) => {
      response.setHeader('content-type', 'text/html; charset=utf-8');
      if (request.url === '/form') {
        // The classic: a form of text/plain whose one field makes a JSON body (no script needed, no preflight).
        const field = `${mutation('csrf-form').slice(0, -1)}, "padding": "`;
        return response.end(`<!doctype html><title>Win a prize</title><form method="post" action="${gateway}/graphql" enctype="text/plain">
          <input type="hidden" name='${field}' value='"}'></form><script>document.forms[0].submit()</script>`);
      }
      response.end('<!doctype html><title>Win a prize</title><p>Nothing to see</p>');
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
    // The console's own pages so far met no error but the refusals above; the other origin's page below meets the browser's (CORS).
    expect(browserErrors.filter((e) => !/status of (401|429)/.test(e))).toEqual([]);
    // The person, signed in, opens the other origin's page in the same browser.
    const other = page;
    try {
      // The form posts the mutation with the cookie; the gateway answers it with a refusal.
      const sent = other.waitForRequest((r) => r.url() === `${gateway}/graphql` && r.method() === 'POST');
      const answered = other.waitForResponse(`${gateway}/graphql`);
      await other.goto(`${origin}/form`);
      expect((await (await sent).allHeaders()).cookie).toMatch(/awan_session=[\w-]{43}/);
      expect((await answered).status()).toBeGreaterThanOrEqual(400);

      // A script of that page fetches with the cookie, as JSON (the browser asks /graphql first, and is not let through) and as text.
      await other.goto(`${origin}/`);
      const outcomes = await other.evaluate(`Promise.all(['application/json', 'text/plain'].map((type) =>
        fetch(${JSON.stringify(`${gateway}/graphql`)}, { method: 'POST', credentials: 'include', headers: { 'content-type': type }, body: ${JSON.stringify(mutation('csrf-fetch'))} })
          .then((r) => 'answered ' + r.status, () => 'blocked')))`) as string[];
      for (const outcome of outcomes) expect(outcome).toMatch(/^(blocked|answered 4\d\d)$/);
    } finally {
      attacker.close();
    }
    await page.goto(`${gateway}/`);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    // Nothing the other origin sent took effect; the person's own did.
    expect((await firewalls()).sort()).toEqual(['own']);
  }, 120_000);
});
