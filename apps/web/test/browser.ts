import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { type FakeSmtpServer, waitFor, type TestAwan } from '#libs/testing';

/**
 * What the web console's browser tests share: Debian's Chromium, the checks each main page gets
 * (axe-core, 360 px, a screenshot), the API's errors beside their fields, and a person invited in
 * development who sets a password from the link in the gateway's log and signs in.
 */

/** Debian's chromium (apt-get install chromium): never a browser Playwright would download. */
export const CHROMIUM = '/usr/bin/chromium';
export const PASSWORD = 'correct horse battery staple';
/** Screenshots of each main page (dist is ignored by git). */
export const OUTPUT = path.resolve('dist', 'test-output', 'web-console');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Why the browser tests cannot run here, or null. */
export const missingChromium = (): string | null => (existsSync(CHROMIUM) ? null : 'needs chromium (apt-get install chromium)');

interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }

export async function launchChromium(): Promise<Browser> {
  mkdirSync(OUTPUT, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

/** A page 360 px wide whose blocked scripts or styles, failed requests and exceptions land in `errors`. */
export async function narrowPage(browser: Browser, errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 360, height: 780 } });
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  page.on('pageerror', (error) => errors.push(error.message));
  return page;
}

/** axe-core in the page: the violations a person with a screen reader or a keyboard would hit hardest. */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const violations = await page.evaluate('axe.run(document).then((r) => r.violations)') as AxeViolation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Checks the page as a person would meet it, and keeps its picture. */
export async function check(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(OUTPUT, `${name}.png`), fullPage: true });
  expect(await seriousViolations(page)).toEqual([]);
  // Usable at 360 px: nothing wider than the screen.
  expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
}

/** The error shown beside a field: the element its input names in aria-describedby. */
export async function errorBeside(page: Page, label: string): Promise<string> {
  const field = page.getByLabel(label, { exact: true });
  expect(await field.getAttribute('aria-invalid')).toBe('true');
  const note = await field.getAttribute('aria-describedby');
  return (await page.locator(`[id="${note}"]`).textContent()) ?? '';
}

/** Invites a person as ADMIN does (POST /auth/invitations); the mail goes to the gateway's log in development, or to SMTP_URL. */
export async function invite(awan: TestAwan, person: { accountId: string; email: string; name: string; role: string }): Promise<void> {
  const response = await fetch(`${awan.url.replace(/\/graphql$/, '')}/auth/invitations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${awan.adminKey}` },
    body: JSON.stringify(person),
  });
  expect(response.status).toBe(201);
}

/** The one-time link of the invitation to `email`: from the mail `smtp` took, else from the gateway's log (no SMTP_URL). */
export const invitationLink = (awan: TestAwan, email: string, smtp?: FakeSmtpServer): Promise<string> =>
  smtp?.linkTo(email) ??
  waitFor(() => new RegExp(`to ${email}[\\s\\S]*?(http://\\S+/set-password\\?token=[\\w-]{43})`).exec(awan.launcher.output())?.[1], 10_000, 'the invitation in the log');

/** Follows the invitation's link, sets the password, and signs in with it. */
export async function setPasswordAndSignIn(page: Page, awan: TestAwan, email: string, smtp?: FakeSmtpServer): Promise<void> {
  await page.goto(await invitationLink(awan, email, smtp));
  await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('The same password again').fill(PASSWORD);
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.getByRole('link', { name: 'Sign in' }).click();
  await signIn(page, email);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Fills in the sign-in page and sends it, as a person does; what it answers is the caller's to check. */
export async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
