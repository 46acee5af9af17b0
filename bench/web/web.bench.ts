// The web console with 1,000 instances, as Chromium itself times it. Awan runs as npm start runs it
// (startTestAwan) without a hypervisor: a SimulatedHost of libs/testing in place of this machine's
// agent, big enough for WEB_INSTANCES (1,000) containers that one customer creates through the public
// GraphQL API (WEB_CONCURRENCY at a time). The customer, invited in development, signs in in
// Debian's chromium (playwright-core, /usr/bin/chromium; never a downloaded browser), at 1280×800, and:
//   load     the instances page opened LOADS times, each in a new context (nothing cached): first
//            paint and first contentful paint (the paint timing entries), the first rows on screen and
//            every page of the list in (performance.now() when the page says so): p50 and max
//   js       the JavaScript the page loaded before its list showed (resource timing: the bytes that
//            came, gzipped by the gateway, and as they are)
//   scroll   the whole list scrolled SCROLL_STEP px a frame (requestAnimationFrame), top to bottom:
//            each frame's time from the one before (p50, p99, max), frames dropped (the vsyncs
//            missed, at 60 Hz), long animation frames (over 50 ms) and their blocking time, and the
//            most rows in the DOM at once
// Needs PostgreSQL (DATABASE_URL as for the tests) and chromium; no root, no hypervisor. Prints JSON last.
// Usage: npm run bench:web
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { GraphqlClient, startTestAwan, uniqueName, waitFor } from '#libs/testing';
import type { Browser, Page } from 'playwright-core';
import { invitationLink, launchChromium, missingChromium, PASSWORD } from '../../apps/web/test/browser.js';

const INSTANCES = Number(process.env.WEB_INSTANCES ?? 1000);
const CONCURRENCY = Number(process.env.WEB_CONCURRENCY ?? 16);
const LOADS = Number(process.env.WEB_LOADS ?? 5);
const SCROLL_STEP = 120;
const FRAME_MS = 1000 / 60;
const CONTAINER = { kind: 'CONTAINER', imageId: 'dev-busybox-rootfs', planId: 'ct-512m', regionId: 'local', billingCycle: 'HOURLY' };

const log = (line: string) => console.error(`bench/web: ${line}`);
const round = (n: number, places = 1) => Math.round(n * 10 ** places) / 10 ** places;
/** Nearest rank: the smallest value with at least p % of them at or below it. */
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN);
};

const missing = missingChromium();
if (missing) {
  console.log(JSON.stringify({ skipped: missing }));
  process.exit(0);
}

const started = performance.now();
const awan = await startTestAwan('bench_web', {
  // One customer holds them all; the defaults (20 instances, 40 vCPUs) would refuse them.
  QUOTA_INSTANCES: String(INSTANCES * 2), QUOTA_VCPUS: String(INSTANCES * 2), QUOTA_MEMORY_MB: String(INSTANCES * 1024),
}, { localAgent: false, simulatedHost: { capacity: { vcpus: INSTANCES * 2, memoryMb: INSTANCES * 1024, diskGb: INSTANCES * 10 } } });
let browser: Browser | undefined;
try {
  const base = awan.url.replace(/\/graphql$/, '');
  const admin = new GraphqlClient(awan.url).as(awan.adminKey);
  // Room for every address: the seeded pool holds 125.
  await admin.data('mutation { retireIpPool(id: "local-ipv4") { id } }');
  await admin.data('mutation { createIpPool(input: { regionId: "local", cidr: "10.96.0.0/16", bridge: "awanbr0", gateway: "10.96.0.1" }) { id } }');
  const { createAccount } = await admin.data(`mutation { createAccount(input: { name: "Many", kind: CUSTOMER }) { account { id } apiKey { secret } } }`);
  const customer = new GraphqlClient(awan.url).as(createAccount.apiKey.secret);

  log(`creating ${INSTANCES} containers, ${CONCURRENCY} at a time`);
  const creating = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < INSTANCES) {
      const name = `web-${String(next++).padStart(4, '0')}`;
      // A new account is known to billing a moment after it is made: asked again while UNAVAILABLE.
      await waitFor(async () => {
        const answer = await customer.request('mutation ($input: CreateInstanceInput!) { createInstance(input: $input) { id } }', { input: { ...CONTAINER, name } });
        if (answer.errors?.some((e) => e.extensions?.code === 'UNAVAILABLE')) return false;
        if (answer.errors) throw new Error(`create ${name}: ${JSON.stringify(answer.errors)}`);
        return true;
      }, 60_000, `create ${name}`);
    }
  }));
  const createSeconds = (performance.now() - creating) / 1000;
  await waitFor(async () => {
    const { instances } = await customer.data(`{ instances(first: 1, status: RUNNING) { totalCount } }`);
    return instances.totalCount >= INSTANCES || undefined;
  }, 600_000, `${INSTANCES} instances RUNNING`);
  log(`${INSTANCES} created in ${round(createSeconds)} s, all RUNNING after ${round((performance.now() - creating) / 1000)} s`);

  const email = `${uniqueName('many-')}@example.test`;
  const invited = await fetch(`${base}/auth/invitations`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${awan.adminKey}` },
    body: JSON.stringify({ accountId: createAccount.account.id, email, name: 'Many', role: 'CUSTOMER' }),
  });
  if (invited.status !== 201) throw new Error(`the invitation: ${invited.status} ${await invited.text()}`);
  const token = new URL(await invitationLink(awan, email)).searchParams.get('token');
  const set = await fetch(`${base}/auth/password`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, password: PASSWORD }) });
  if (set.status !== 200) throw new Error(`setting the password: ${set.status} ${await set.text()}`);

  browser = await launchChromium();
  /** A new context (no cache), signed in through the sign-in page. */
  const signedIn = async (): Promise<Page> => {
    const page = await (await browser!.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(`${base}/`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    // The session is the context's; the cache goes, so each load below fetches everything again.
    const session = await page.context().newCDPSession(page);
    await session.send('Network.clearBrowserCache');
    return page;
  };

  // ---- load ----
  const loads: { firstPaintMs: number; firstContentfulPaintMs: number; firstRowsMs: number; allRowsMs: number; jsBytes: number; jsGzippedBytes: number; jsFiles: number }[] = [];
  for (let i = 0; i < LOADS; i++) {
    const page = await signedIn();
    await page.goto(`${base}/instances`);
    await page.locator('li.instance-row').first().waitFor();
    const firstRowsMs = await page.evaluate('performance.now()') as number;
    await page.getByText(`${new Intl.NumberFormat('en').format(INSTANCES)} instances`, { exact: true }).waitFor({ timeout: 60_000 });
    const allRowsMs = await page.evaluate('performance.now()') as number;
    const timing = await page.evaluate(`(() => {
      const paint = Object.fromEntries(performance.getEntriesByType('paint').map((e) => [e.name, e.startTime]));
      const scripts = performance.getEntriesByType('resource').filter((e) => /\\.m?js(\\?|$)/.test(e.name) && e.startTime < ${firstRowsMs});
      return {
        firstPaintMs: paint['first-paint'], firstContentfulPaintMs: paint['first-contentful-paint'],
        jsGzippedBytes: scripts.reduce((sum, e) => sum + e.encodedBodySize, 0), jsBytes: scripts.reduce((sum, e) => sum + e.decodedBodySize, 0), jsFiles: scripts.length,
      };
    })()`) as Omit<(typeof loads)[number], 'firstRowsMs' | 'allRowsMs'>;
    loads.push({ ...timing, firstRowsMs, allRowsMs });
    log(`load ${i + 1}: ${JSON.stringify(loads.at(-1))}`);
    await page.context().close();
  }

  // ---- scroll ----
  const page = await signedIn();
  await page.goto(`${base}/instances`);
  await page.getByText(`${new Intl.NumberFormat('en').format(INSTANCES)} instances`, { exact: true }).waitFor({ timeout: 60_000 });
  await page.waitForTimeout(1000); // settled
  const scroll = await page.evaluate(`new Promise((resolve) => {
    const long = [];
    const observer = new PerformanceObserver((list) => long.push(...list.getEntries().map((e) => ({ duration: e.duration, blocking: e.blockingDuration ?? 0 }))));
    try { observer.observe({ type: 'long-animation-frame' }); } catch {}
    const frames = [];
    let rowsMax = 0;
    let last = null;
    const step = (now) => {
      if (last !== null) frames.push(now - last);
      last = now;
      rowsMax = Math.max(rowsMax, document.querySelectorAll('li.instance-row').length);
      const bottom = document.documentElement.scrollHeight - innerHeight;
      if (scrollY >= bottom) {
        observer.disconnect();
        return resolve({ frames, rowsMax, long, scrolledPx: scrollY, lastRow: document.querySelector('li.instance-row:last-child a')?.textContent });
      }
      scrollTo(0, Math.min(bottom, scrollY + ${SCROLL_STEP}));
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  })`) as { frames: number[]; rowsMax: number; long: { duration: number; blocking: number }[]; scrolledPx: number; lastRow: string };
  if (scroll.lastRow !== `web-${String(INSTANCES - 1).padStart(4, '0')}`) throw new Error(`the list ended at ${scroll.lastRow}`);

  const median = (key: keyof (typeof loads)[number]) => percentile(loads.map((l) => l[key]), 50);
  const max = (key: keyof (typeof loads)[number]) => round(Math.max(...loads.map((l) => l[key])));
  const result = {
    benchmark: 'web',
    scope: `the instances page of a customer with ${INSTANCES} instances (a simulated host), in Debian's Chromium ${browser.version()} headless at 1280×800, over http://127.0.0.1; ${LOADS} loads, each in a new context with an empty cache`,
    instances: INSTANCES,
    createSeconds: round(createSeconds),
    load: {
      firstPaintMs: { p50: median('firstPaintMs'), max: max('firstPaintMs') },
      firstContentfulPaintMs: { p50: median('firstContentfulPaintMs'), max: max('firstContentfulPaintMs'), aim: 1000 },
      firstRowsMs: { p50: median('firstRowsMs'), max: max('firstRowsMs') },
      allRowsMs: { p50: median('allRowsMs'), max: max('allRowsMs') },
    },
    initialJs: { files: loads[0].jsFiles, gzippedKb: round(loads[0].jsGzippedBytes / 1024), kb: round(loads[0].jsBytes / 1024), aimGzippedKb: 300 },
    scroll: {
      scrolledPx: scroll.scrolledPx,
      pxPerFrame: SCROLL_STEP,
      frames: scroll.frames.length,
      frameMs: { p50: percentile(scroll.frames, 50), p99: percentile(scroll.frames, 99), max: round(Math.max(...scroll.frames)) },
      droppedFrames: scroll.frames.reduce((sum, ms) => sum + Math.max(0, Math.round(ms / FRAME_MS) - 1), 0),
      longAnimationFrames: { count: scroll.long.length, blockingMs: round(scroll.long.reduce((sum, f) => sum + f.blocking, 0)) },
      rowsInDomAtMost: scroll.rowsMax,
    },
    seconds: round((performance.now() - started) / 1000),
    loadAverage: os.loadavg().map((l) => round(l, 2)),
    cores: os.cpus().length,
    node: process.version,
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await browser?.close();
  await awan.stop();
}
