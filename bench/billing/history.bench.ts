// What an account's upcoming invoice costs as its history grows: an account of 10 instances stopped
// and started twice a day for three years, and a reseller with 10 such customers, against the same
// accounts made this month, rated in the same run (the running month's invoice, as upcomingInvoice
// shows it), in alternating rounds. Each pair's invoices must be the same: what lies before the month
// is not on it. Prints milliseconds per invoice and the ratios (aim: ≤ 1.2, as with 10 instances or 10,000).
// Needs PostgreSQL (DATABASE_URL as for the tests); no NATS.
// Usage: npm run bench:invoice-history   (BENCH_ROUNDS, default 6; BENCH_YEARS, default 3)
import { isDeepStrictEqual } from 'node:util';
import { PLATFORM_SCOPE } from '#libs/contracts';
import { createPool, EventStore } from '#libs/event-store';
import { migrateEventStore } from '#libs/event-sourcing';
import { createServiceDatabase } from '#libs/testing';
import { billingEventStore } from '../../apps/billing/src/billing.event-store.js';
import { InvoiceQueries } from '../../apps/billing/src/invoices/invoice-queries.js';
import { InvoiceRating } from '../../apps/billing/src/invoices/invoice-rating.js';
import { InvoicesRepository } from '../../apps/billing/src/invoices/invoices.repository.js';
import { Prices } from '../../apps/billing/src/prices/prices.js';
import { monthOf } from '../../apps/billing/src/rating/rating.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const YEARS = Number(process.env.BENCH_YEARS ?? 3);
const INSTANCES = 10;
const CUSTOMERS = 10;
const PER_ROUND = 20;
const HALF_DAY = 43_200;

const database = await createServiceDatabase('awan_bench_');
const pool = createPool(database.url, { schema: billingEventStore.service, max: 4 });

/**
 * Accounts `${label}-direct` and reseller `${label}-reseller` with customers `${label}-customer-n`,
 * each with INSTANCES instances stopped and started every 12 hours from `from` (seconds) to now, the
 * last segment open: as the meter writes them.
 */
async function accountsOf(label: string, from: number): Promise<{ direct: string; reseller: string }> {
  const direct = `${label}-direct`;
  const reseller = `${label}-reseller`;
  await pool.query(
    `INSERT INTO accounts (id, name, kind, parent_id, currency, tax_rate, created_at)
     SELECT $1, $1, 'CUSTOMER', NULL, 'EUR', 0.19, to_timestamp($4) UNION ALL SELECT $2, $2, 'RESELLER', NULL, 'EUR', 0.19, to_timestamp($4)
     UNION ALL SELECT $3 || '-customer-' || n, 'customer ' || n, 'CUSTOMER', $2, 'EUR', 0.19, to_timestamp($4) FROM generate_series(1, $5::integer) n`,
    [direct, reseller, label, from, CUSTOMERS],
  );
  const now = Math.floor(Date.now() / 1000);
  const segments = Math.floor((now - from) / HALF_DAY) + 1;
  await pool.query(
    `WITH made AS (SELECT a.id AS account_id, a.id || '-i' || i AS resource_id FROM accounts a, generate_series(1, $2::integer) i WHERE a.id = $1 OR a.parent_id = $3),
     resources AS (
       INSERT INTO resources (id, type, account_id, name, billing_cycle, closed_seconds, open_since, ended_at)
       SELECT resource_id, 'INSTANCE', account_id, resource_id, 'HOURLY', ($5::bigint - 1) * ${HALF_DAY}, to_timestamp($4::bigint + ($5::bigint - 1) * ${HALF_DAY}), NULL FROM made
     ),
     s AS (SELECT made.*, k, gen_random_uuid() AS id FROM made, generate_series(0, $5::integer - 1) k)
     INSERT INTO usage_segments (id, resource_id, account_id, sku, state, started_at, ended_at, opened_by, closed_by)
     SELECT id, resource_id, account_id, 'ct-512m', CASE WHEN k % 2 = 0 THEN 'RUNNING' ELSE 'STOPPED' END, to_timestamp($4::bigint + k * ${HALF_DAY}),
            CASE WHEN k = $5::integer - 1 THEN NULL ELSE to_timestamp($4::bigint + (k + 1) * ${HALF_DAY}) END, id,
            CASE WHEN k = $5::integer - 1 THEN NULL ELSE gen_random_uuid() END
     FROM s`,
    [direct, INSTANCES, reseller, from, segments],
  );
  return { direct, reseller };
}

try {
  await migrateEventStore(pool, billingEventStore);
  // As billing.module.ts wires them.
  const prices = new Prices(pool, new EventStore(pool, billingEventStore.service, billingEventStore.projections));
  await prices.seed();
  const queries = new InvoiceQueries(pool, new InvoicesRepository(pool), new InvoiceRating(prices));

  // The same times of day from the start of this month on, for both: their invoices are the same.
  const month = monthOf(Math.floor(Date.now() / 1000));
  const longLived = await accountsOf('old', month.start - Math.round(YEARS * 365.25) * 2 * HALF_DAY);
  const newcomer = await accountsOf('new', month.start);
  await pool.query('ANALYZE');
  const { rows: [{ segments }] } = await pool.query<{ segments: number }>('SELECT count(*)::integer AS segments FROM usage_segments');

  const upcoming = (accountId: string) => queries.upcoming(accountId, { accountIds: PLATFORM_SCOPE });
  const comparable = async (accountId: string) => {
    const { lines, subtotal, tax, total } = await upcoming(accountId);
    return { lines: lines.map((line) => [line.sku, line.unit, line.quantity, line.amount]).sort(), subtotal, tax, total };
  };
  for (const kind of ['direct', 'reseller'] as const) {
    const [old, fresh] = await Promise.all([comparable(longLived[kind]), comparable(newcomer[kind])]);
    if (!isDeepStrictEqual(old, fresh) || old.lines.length === 0) throw new Error(`the ${kind} invoices differ: ${JSON.stringify({ old, fresh })}`);
  }

  /** Milliseconds per upcoming invoice of `accountId`, PER_ROUND of them one after another. */
  const msPer = async (accountId: string) => {
    const started = performance.now();
    for (let i = 0; i < PER_ROUND; i++) await upcoming(accountId);
    return (performance.now() - started) / PER_ROUND;
  };
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const results: Record<string, unknown> = {};
  for (const kind of ['direct', 'reseller'] as const) {
    await msPer(longLived[kind]);
    await msPer(newcomer[kind]);
    const old: number[] = [];
    const fresh: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2 === 0) old.push(await msPer(longLived[kind])), fresh.push(await msPer(newcomer[kind]));
      else fresh.push(await msPer(newcomer[kind])), old.push(await msPer(longLived[kind]));
    }
    const ratios = old.map((ms, i) => ms / fresh[i]);
    results[kind] = {
      accounts: kind === 'direct' ? 1 : 1 + CUSTOMERS,
      historyMs: Math.round(median(old) * 100) / 100,
      thisMonthOnlyMs: Math.round(median(fresh) * 100) / 100,
      ratio: Math.round(median(ratios) * 100) / 100,
    };
  }
  console.log(JSON.stringify({
    scope: "an account's upcoming invoice with years of history before the month, against the same account made this month",
    years: YEARS, instancesPerAccount: INSTANCES, segments, rounds: ROUNDS, invoicesPerRound: PER_ROUND, ...results,
  }, null, 2));
} finally {
  await pool.end();
  await database.drop();
}
