// Rating a month of a large installation into invoices: 10,000 accounts (100 resellers with 20
// customers each), 250,000 instances and 1,000,000 usage segments in September 2026, written with
// SQL as the meter writes them. Times the month close (one draft per account) and the finalizing of
// every draft (rate, number, freeze the lines; 8 at a time), with the peak memory of the latter and
// the CPU time each took here and in PostgreSQL, checks the lines and the totals, and gives the size
// of the lines stored; then exports the month's CSV as finance downloads it (in batches, as the
// gateway asks billing), with its time and peak memory. Prints JSON.
// Needs PostgreSQL (DATABASE_URL as for the tests); no NATS.
// Usage: npm run bench:billing   (BENCH_CONCURRENCY, default 8)
// The script bounds V8's heap (a 16 MB semi-space, 160 MB of old space): finalizing keeps about
// 32 MB live after every mark-compact (--trace-gc), and unbounded on a machine with much memory V8
// let its garbage and young generation grow the process to 490 MB before collecting.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { PLATFORM_SCOPE, SYSTEM_ACTOR } from '#libs/contracts';
import { createPool, EventStore } from '#libs/event-store';
import { migrateEventStore } from '#libs/event-sourcing';
import { AccountQueue } from '#libs/platform';
import { createServiceDatabase } from '#libs/testing';
import { billingEventStore } from '../../apps/billing/src/billing.event-store.js';
import { Dunning } from '../../apps/billing/src/accounts/dunning.js';
import { monthCsvRows } from '../../apps/gateway/src/invoices/invoice-documents.js';
import { InvoiceFinalization } from '../../apps/billing/src/invoices/invoice-finalization.js';
import { InvoiceQueries } from '../../apps/billing/src/invoices/invoice-queries.js';
import { InvoiceRating } from '../../apps/billing/src/invoices/invoice-rating.js';
import { InvoicesMetrics } from '../../apps/billing/src/invoices/invoices.metrics.js';
import { InvoicesRepository } from '../../apps/billing/src/invoices/invoices.repository.js';
import { MonthClose } from '../../apps/billing/src/invoices/month-close.js';
import { parseMinor } from '../../apps/billing/src/money/money.js';
import { Prices } from '../../apps/billing/src/prices/prices.js';
import { monthOf } from '../../apps/billing/src/rating/rating.js';
import { cpuMsOf } from '../common/processes.js';

const RESELLERS = 100;
const CUSTOMERS_PER_RESELLER = 20;
const ACCOUNTS = 10_000;
const RESOURCES_PER_ACCOUNT = 25;
const SEGMENTS_PER_RESOURCE = 4; // fixed by the SQL below
const RESOURCES = ACCOUNTS * RESOURCES_PER_ACCOUNT;
const SEGMENTS = RESOURCES * SEGMENTS_PER_RESOURCE;
const RESELLER_CUSTOMERS = RESELLERS * CUSTOMERS_PER_RESELLER;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const POOL_SIZE = CONCURRENCY + 4;
const MONTH = '2026-09';
const PLANS = ['ct-512m', 'ct-1g', 'ct-2g', 'ct-4g', 'ct-8g', 'vm-512m', 'vm-1g', 'vm-2g', 'vm-4g', 'vm-8g'];
const CURRENCY = 'EUR';

const metadata = () => ({ correlationId: randomUUID(), causationId: null, actor: SYSTEM_ACTOR });
const secondsSince = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;
const round = (n: number, places = 0) => Math.round(n * 10 ** places) / 10 ** places;
const mb = (bytes: number) => round(bytes / 2 ** 20, 1);

/** The highest RSS and heap used seen every 50 ms between start() and stop(). */
function memorySampler() {
  let rss = 0;
  let heapUsed = 0;
  const sample = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heapUsed = Math.max(heapUsed, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, 50);
  return () => {
    clearInterval(timer);
    sample();
    return { peakRssMb: mb(rss), peakHeapUsedMb: mb(heapUsed) };
  };
}

const database = await createServiceDatabase('awan_bench_');
const pool = createPool(database.url, { schema: billingEventStore.service, max: POOL_SIZE });
const localDatabase = ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(database.url).hostname);

/**
 * CPU seconds (user + system) used so far by this process and by each of the database's sessions of
 * this run (not the parallel workers a query may start), PostgreSQL's only where it runs on this
 * machine (/proc/<pid>/stat): on a shared machine the wall clock swings with the other work, CPU time far less.
 */
async function cpuSeconds(): Promise<{ bench: number; postgres: Map<number, number> | null }> {
  const { user, system } = process.cpuUsage();
  if (!localDatabase) return { bench: (user + system) / 1e6, postgres: null };
  const { rows } = await pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
  const postgres = new Map(rows.flatMap(({ pid }) => {
    const ms = cpuMsOf(pid);
    return ms === undefined ? [] : [[pid, ms / 1000] as const]; // a session gone meanwhile has nothing more to count
  }));
  return { bench: (user + system) / 1e6, postgres };
}
/** What was used in between, PostgreSQL's by the sessions open at the end (the pool closes only idle ones). */
const cpuSince = (before: Awaited<ReturnType<typeof cpuSeconds>>, after: Awaited<ReturnType<typeof cpuSeconds>>) => ({
  bench: round(after.bench - before.bench, 1),
  postgres: after.postgres && round([...after.postgres].reduce((sum, [pid, seconds]) => sum + seconds - (before.postgres?.get(pid) ?? 0), 0), 1),
});

const period = monthOf(Date.parse(`${MONTH}-01T00:00:00Z`) / 1000);

/**
 * Accounts 1..100 are resellers, 101..2,100 their customers (20 each), the rest direct customers.
 * Account n owns resources (n-1)*25+1 .. n*25. Each resource has 4 contiguous segments inside the
 * month, each one's id the event that opened it and closed by the next one's, as the meter folds
 * them: RUNNING, STOPPED, RUNNING, STOPPED, or (a quarter of them, resized while stopped) RUNNING,
 * STOPPED, STOPPED in another plan, RUNNING. Half are still open (never deleted), half ended by a
 * delete. One in 50 lives a few seconds only (the 60 s minimum). Times come from hashes of the
 * resource's number, so every run rates the same usage; only the uuids differ.
 */
async function generate(): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Writing a million segments may take longer than a service's statements may on a busy machine.
    await client.query('SET LOCAL statement_timeout = 0');
    await client.query(
      `INSERT INTO accounts (id, name, kind, parent_id, currency, tax_rate, created_at)
       SELECT md5('account-' || n)::uuid::text,
              CASE WHEN n <= $1 THEN 'Reseller ' || n ELSE 'Customer ' || n END,
              CASE WHEN n <= $1 THEN 'RESELLER' ELSE 'CUSTOMER' END,
              CASE WHEN n > $1 AND n <= $1 + $1 * $2 THEN md5('account-' || ((n - $1 - 1) / $2 + 1))::uuid::text END,
              $4, 0.19, '2026-01-01T00:00:00Z'
       FROM generate_series(1, $3::integer) n`,
      [RESELLERS, CUSTOMERS_PER_RESELLER, ACCOUNTS, CURRENCY],
    );
    // Whole seconds since the epoch, as the meter keeps them.
    await client.query(
      `CREATE TEMP TABLE plan ON COMMIT DROP AS
       WITH r AS (
         SELECT n, (n - 1) / $2 + 1 AS account, n % 50 = 37 AS short, n % 8 IN (0, 3) AS resized, n % 2 = 0 AS monthly,
                hashint4extended(n, 6) & 1 = 0 AS open, ((hashint4extended(n, 7) & 1023) % 10)::integer AS plan_a, (1 + (hashint4extended(n, 8) & 1023) % 9)::integer AS plan_step
         FROM generate_series(1, $1::integer) n
       ), d AS (
         SELECT r.*, extract(epoch FROM $3::timestamptz)::bigint + (hashint4extended(n, 1) & 1048575) % 864000 AS t0,
                CASE WHEN short THEN 5 + (hashint4extended(n, 2) & 1023) % 10 ELSE 600 + (hashint4extended(n, 2) & 1048575) % 400000 END AS d1,
                CASE WHEN short THEN 5 + (hashint4extended(n, 3) & 1023) % 10 ELSE 600 + (hashint4extended(n, 3) & 1048575) % 400000 END AS d2,
                CASE WHEN short THEN 5 + (hashint4extended(n, 4) & 1023) % 10 ELSE 600 + (hashint4extended(n, 4) & 1048575) % 400000 END AS d3,
                CASE WHEN short THEN 5 + (hashint4extended(n, 5) & 1023) % 10 ELSE 600 + (hashint4extended(n, 5) & 1048575) % 400000 END AS d4
         FROM r
       )
       SELECT md5('resource-' || n)::uuid::text AS id, md5('account-' || account)::uuid::text AS account_id, 'web-' || n AS name,
              CASE WHEN monthly THEN 'MONTHLY' ELSE 'HOURLY' END AS billing_cycle, resized, open,
              ($4::text[])[plan_a + 1] AS sku_a, ($4::text[])[(plan_a + plan_step) % 10 + 1] AS sku_b,
              t0, t0 + d1 AS t1, t0 + d1 + d2 AS t2, t0 + d1 + d2 + d3 AS t3, t0 + d1 + d2 + d3 + d4 AS t4,
              gen_random_uuid() AS u1, gen_random_uuid() AS u2, gen_random_uuid() AS u3, gen_random_uuid() AS u4, gen_random_uuid() AS u5
       FROM d`,
      [RESOURCES, RESOURCES_PER_ACCOUNT, `${MONTH}-01T00:00:00Z`, PLANS],
    );
    // As Metering.save: closed_seconds the sum of the closed segments, open_since the open one's
    // start, ended_at the last one's end when none is open.
    await client.query(
      `INSERT INTO resources (id, type, account_id, name, billing_cycle, closed_seconds, open_since, ended_at)
       SELECT id, 'INSTANCE', account_id, name, billing_cycle,
              CASE WHEN open THEN t3 - t0 ELSE t4 - t0 END,
              CASE WHEN open THEN to_timestamp(t3) END,
              CASE WHEN open THEN NULL ELSE to_timestamp(t4) END
       FROM plan ORDER BY id`,
    );
    await client.query(
      `INSERT INTO usage_segments (id, resource_id, account_id, sku, state, started_at, ended_at, opened_by, closed_by)
       SELECT s.id, p.id, p.account_id, s.sku, s.state, to_timestamp(s.started_at), to_timestamp(s.ended_at), s.id, s.closed_by
       FROM plan p CROSS JOIN LATERAL (VALUES
         (p.u1, p.sku_a, 'RUNNING', p.t0, p.t1, p.u2),
         (p.u2, p.sku_a, 'STOPPED', p.t1, p.t2, p.u3),
         (p.u3, CASE WHEN p.resized THEN p.sku_b ELSE p.sku_a END, CASE WHEN p.resized THEN 'STOPPED' ELSE 'RUNNING' END, p.t2, p.t3, p.u4),
         (p.u4, CASE WHEN p.resized THEN p.sku_b ELSE p.sku_a END, CASE WHEN p.resized THEN 'RUNNING' ELSE 'STOPPED' END, p.t3,
                CASE WHEN p.open THEN NULL ELSE p.t4 END, CASE WHEN p.open THEN NULL ELSE p.u5 END)
       ) AS s (id, sku, state, started_at, ended_at, closed_by)`,
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

let failed = false;
const fail = (message: string) => {
  console.error(`bench/billing: ${message}`);
  failed = true;
};

try {
  await migrateEventStore(pool, billingEventStore);
  const store = new EventStore(pool, billingEventStore.service, billingEventStore.projections);
  const prices = new Prices(pool, store);
  await prices.seed();
  // As billing.module.ts wires them.
  const repository = new InvoicesRepository(pool);
  const rating = new InvoiceRating(prices);
  const queries = new InvoiceQueries(pool, repository, rating);
  const monthClose = new MonthClose(pool, store, repository);
  const finalization = new InvoiceFinalization(pool, store, repository, rating, queries, new Dunning(pool, store, repository), new InvoicesMetrics(), new AccountQueue(10_000));

  const generating = process.hrtime.bigint();
  await generate();
  await pool.query('ANALYZE');
  const generateSeconds = secondsSince(generating);
  const { rows: counted } = await pool.query<{ accounts: number; resources: number; segments: number }>(
    `SELECT (SELECT count(*)::integer FROM accounts) AS accounts, (SELECT count(*)::integer FROM resources) AS resources,
            (SELECT count(*)::integer FROM usage_segments) AS segments`,
  );
  if (counted[0].accounts !== ACCOUNTS || counted[0].resources !== RESOURCES || counted[0].segments !== SEGMENTS) {
    throw new Error(`generated ${JSON.stringify(counted[0])}, not ${ACCOUNTS} accounts, ${RESOURCES} resources, ${SEGMENTS} segments`);
  }

  // (a) The month close: one draft per account with usage, reseller or not.
  const cpuBeforeClose = await cpuSeconds();
  const closing = process.hrtime.bigint();
  const stopClosing = memorySampler();
  const closed = await monthClose.closeMonth(period, metadata());
  const closeMemory = stopClosing();
  const closeSeconds = secondsSince(closing);
  const closeCpu = cpuSince(cpuBeforeClose, await cpuSeconds());
  if (closed.drafted !== ACCOUNTS) fail(`closeMonth drafted ${closed.drafted} invoices, expected ${ACCOUNTS}`);
  if (closed.unknownAccounts.length > 0) fail(`closeMonth found usage of unknown accounts: ${closed.unknownAccounts.length}`);

  // As autovacuum has them within its minute of the close: statistics of the tables the close wrote.
  await pool.query('ANALYZE');

  // (b) Every draft finalized: rated, numbered, lines frozen, one transaction each.
  const { rows: drafts } = await pool.query<{ id: string }>(`SELECT id FROM invoices WHERE status = 'DRAFT' AND period_start = to_timestamp($1) ORDER BY position`, [period.start]);
  const rssBefore = mb(process.memoryUsage().rss);
  let next = 0;
  let totalMinor = 0n;
  let linesReturned = 0;
  const cpuBeforeFinalize = await cpuSeconds();
  const finalizing = process.hrtime.bigint();
  const stopFinalizing = memorySampler();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < drafts.length) {
      const { id } = drafts[next++];
      const invoice = await finalization.finalize(id, { accountIds: PLATFORM_SCOPE }, metadata());
      totalMinor += parseMinor(invoice.total, 'total', invoice.currency);
      linesReturned += invoice.lines.length;
    }
  }));
  const finalizeMemory = stopFinalizing();
  const finalizeSeconds = secondsSince(finalizing);
  const finalizeCpu = cpuSince(cpuBeforeFinalize, await cpuSeconds());

  // Checks: a line per resource and plan (one price each here) on its owner's invoice, and again on
  // the reseller's platform invoice for a reseller customer's resource, plus the cap lines; every
  // segment once per invoice it is on; quantity × unit price rounded half-even to the cent is the
  // amount on every line.
  const { rows: [pairs] } = await pool.query<{ all: number; resellers: number }>(
    `SELECT count(DISTINCT (s.resource_id, s.sku))::integer AS all,
            count(DISTINCT (s.resource_id, s.sku)) FILTER (WHERE a.parent_id IS NOT NULL)::integer AS resellers
     FROM usage_segments s JOIN accounts a ON a.id = s.account_id`,
  );
  const expectedUsageLines = pairs.all + pairs.resellers;
  const expectedUsage = SEGMENTS + RESELLER_CUSTOMERS * RESOURCES_PER_ACCOUNT * SEGMENTS_PER_RESOURCE;
  const { rows: [check] } = await pool.query<{
    lines: number; capLines: number; usage: number; linesBytes: string; finalized: number; numbers: number; transactions: number; total: string; mismatched: number; notAddingUp: number;
  }>(
    `SELECT (SELECT count(*)::integer FROM invoice_lines) AS lines,
            pg_total_relation_size('invoice_lines') AS "linesBytes",
            (SELECT count(*)::integer FROM invoice_lines WHERE unit = 'cap') AS "capLines",
            (SELECT sum(json_array_length(usage))::integer FROM invoice_lines) AS usage,
            (SELECT count(*)::integer FROM (SELECT amount, quantity * unit_price * 100 AS cents FROM invoice_lines) l
              WHERE amount * 100 <> CASE WHEN abs(cents - trunc(cents)) = 0.5 THEN 2 * round(cents / 2) ELSE round(cents) END) AS "notAddingUp",
            (SELECT count(*)::integer FROM invoices WHERE status = 'FINALIZED') AS finalized,
            (SELECT count(DISTINCT number)::integer FROM invoices) AS numbers,
            (SELECT count(DISTINCT xmin::text)::integer FROM events WHERE type = 'InvoiceFinalized') AS transactions,
            (SELECT coalesce(sum(total), 0)::text FROM invoices) AS total,
            (SELECT count(*)::integer FROM invoices i
              WHERE i.subtotal <> (SELECT coalesce(sum(amount), 0) FROM invoice_lines l WHERE l.invoice_id = i.id)) AS mismatched`,
  );
  if (check.lines - check.capLines !== expectedUsageLines) fail(`invoice_lines has ${check.lines - check.capLines} usage lines, expected ${expectedUsageLines}`);
  if (linesReturned !== check.lines) fail(`the finalized invoices show ${linesReturned} lines, invoice_lines has ${check.lines}`);
  if (check.notAddingUp !== 0) fail(`${check.notAddingUp} lines whose quantity × unit price does not round to their amount`);
  if (check.usage !== expectedUsage) fail(`the lines rate ${check.usage} segments, expected ${expectedUsage}`);
  if (check.finalized !== ACCOUNTS || check.numbers !== ACCOUNTS) fail(`${check.finalized} invoices finalized with ${check.numbers} distinct numbers, expected ${ACCOUNTS}`);
  if (check.mismatched !== 0) fail(`${check.mismatched} invoices whose subtotal is not the sum of their lines`);
  if (parseMinor(check.total, 'total', CURRENCY) !== totalMinor) fail(`the invoices' totals add up to ${check.total} in SQL, not ${totalMinor} cents`);

  // (c) The month's CSV as finance downloads it: its invoices listed, then their rows asked a batch at
  // a time as the gateway asks billing; only their size is kept, as the gateway only passes them on.
  // With statistics of the lines finalizing wrote, as autovacuum has them within its minute: without
  // them, a batch's lines were read by a parallel scan planned for nine times as many rows (74 ms, not 9).
  await pool.query('ANALYZE');
  const exporting = process.hrtime.bigint();
  const stopExporting = memorySampler();
  const ids = await queries.monthIds(MONTH, { accountIds: PLATFORM_SCOPE });
  let csvBytes = 0;
  let csvRows = 0;
  for await (const csv of monthCsvRows(ids, (batch, header) => queries.csvRows(batch, header, { accountIds: PLATFORM_SCOPE }))) {
    csvBytes += Buffer.byteLength(csv);
    for (let at = csv.indexOf('\r\n'); at >= 0; at = csv.indexOf('\r\n', at + 2)) csvRows++;
  }
  const exportMemory = stopExporting();
  const exportSeconds = secondsSince(exporting);
  // A header, then a row per line (every invoice here has lines).
  if (csvRows !== check.lines + 1) fail(`the month's CSV has ${csvRows} rows, expected a header and ${check.lines} lines`);

  const { rows: [server] } = await pool.query<{ version: string }>(`SELECT current_setting('server_version') AS version`);
  console.log(JSON.stringify({
    month: MONTH,
    accounts: ACCOUNTS,
    resellers: RESELLERS,
    resellerCustomers: RESELLER_CUSTOMERS,
    resources: RESOURCES,
    segments: SEGMENTS,
    generateSeconds: round(generateSeconds, 1),
    closeMonth: { drafts: closed.drafted, seconds: round(closeSeconds, 2), draftsPerSecond: round(closed.drafted / closeSeconds), cpuSeconds: closeCpu, ...closeMemory },
    finalize: {
      concurrency: CONCURRENCY,
      poolSize: POOL_SIZE,
      invoices: drafts.length,
      seconds: round(finalizeSeconds, 2),
      invoicesPerSecond: round(drafts.length / finalizeSeconds, 1),
      // An issuer's invoices finalized at once share a transaction, and their counter's lock.
      transactions: check.transactions,
      cpuSeconds: finalizeCpu,
      segmentsPerSecond: round(SEGMENTS / finalizeSeconds),
      linesWritten: check.lines,
      capLines: check.capLines,
      segmentUsagesWritten: check.usage,
      linesStoredMb: mb(Number(check.linesBytes)), // invoice_lines with its indexes and TOAST
      rssBeforeMb: rssBefore,
      ...finalizeMemory,
    },
    monthCsv: { invoices: ids.length, rows: csvRows, mb: mb(csvBytes), seconds: round(exportSeconds, 2), ...exportMemory },
    totalOfTotals: `${check.total} ${CURRENCY}`,
    ok: !failed,
    cores: os.cpus().length,
    loadAverage: round(os.loadavg()[0], 1), // the machine's, the last minute: other work shares the cores
    node: process.version,
    postgres: server.version,
  }, null, 2));
} finally {
  await pool.end();
  await database.drop();
}
if (failed) process.exit(1);
