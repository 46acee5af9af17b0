import type pg from 'pg';
import {
  AppError, SYSTEM_ACTOR, type EventMetadata, type PriceGranularity, type PriceListOptionsView, type PriceView, type Scope, type SetPriceInput, type SetPriceListOptionsInput,
  type SetStoragePriceInput, type StoppedBilling,
} from '#libs/contracts';
import { ConcurrencyError, decideInTransaction, readState, withRetriedTransaction, type EventStore, type Sql } from '#libs/event-store';
import { AccountQueue } from '#libs/platform';
import { isPlatformWide } from '#libs/messaging';
import { Accounts } from '../accounts/accounts.js';
import { IPV4_SKU } from '../metering/meter.js';
import { formatScaled, parseDecimal, requireCurrency } from '../money/money.js';
import { priceBook, type Price, type PriceBook, type PriceHistory } from '../rating/rating.js';
import { PLATFORM, priceListDecider, priceListStreamId, type PriceEntry, type PriceListCommand, type PriceListEvent } from './price-list.decider.js';
import { ensureStoragePrices, hourlyOfMonthly, STORAGE_SKUS, storagePrice } from './storage-prices.js';

const SKU = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** The platform's first prices, per month, for the plans compute seeds and an extra IPv4. */
const SEED_MONTHLY: Record<string, string> = {
  'ct-512m': '2.00', 'ct-1g': '4.00', 'ct-2g': '8.00', 'ct-4g': '16.00', 'ct-8g': '32.00',
  'vm-512m': '3.00', 'vm-1g': '6.00', 'vm-2g': '12.00', 'vm-4g': '24.00', 'vm-8g': '48.00',
  [IPV4_SKU]: '1.00',
};
const SEED_CURRENCIES = ['EUR', 'USD'];
/** How long a change to a price list may queue behind its others: an answer well inside the gateway's 15 s. */
const LIST_QUEUE_WAIT_MS = 10_000;

interface PriceRow {
  ownerId: string;
  sku: string;
  hourly: string;
  monthly: string;
  stoppedHourly: string | null;
  stoppedMonthly: string | null;
}

/** An issuer's and the platform's price histories in a currency, as Prices.bookColumns reads them. */
export interface PriceHistories {
  prices: (PriceRow & { since: number })[];
  options: { ownerId: string; since: number; granularity: PriceGranularity; stoppedBilling: StoppedBilling }[];
}

const PRICE_COLUMNS = `owner_id AS "ownerId", sku, hourly::text, monthly::text, stopped_hourly::text AS "stoppedHourly", stopped_monthly::text AS "stoppedMonthly"`;
/**
 * A change is in force from the whole second it was set in, as usage counts from the whole second
 * of the event that began it: what began after a price was set is never rated at the price before.
 */
const SINCE = (column: string) => `floor(extract(epoch FROM ${column}))::bigint`;

const scaled = (row: PriceRow): Price => ({
  hourly: parseDecimal(row.hourly, 'hourly'),
  monthly: parseDecimal(row.monthly, 'monthly'),
  stoppedHourly: row.stoppedHourly === null ? null : parseDecimal(row.stoppedHourly, 'stoppedHourly'),
  stoppedMonthly: row.stoppedMonthly === null ? null : parseDecimal(row.stoppedMonthly, 'stoppedMonthly'),
});

const viewOf = (row: PriceRow, currency: string): PriceView => {
  const p = scaled(row);
  return {
    sku: row.sku, currency, ownerId: row.ownerId, hourlyPrice: formatScaled(p.hourly), monthlyPrice: formatScaled(p.monthly),
    stoppedHourlyPrice: p.stoppedHourly === null ? null : formatScaled(p.stoppedHourly),
    stoppedMonthlyPrice: p.stoppedMonthly === null ? null : formatScaled(p.stoppedMonthly),
  };
};

function validPrice(input: SetPriceInput): PriceEntry {
  const optional = (value: string | null | undefined, field: string) =>
    value === undefined || value === null ? null : formatScaled(parseDecimal(value, field));
  return {
    hourly: formatScaled(parseDecimal(input.hourlyPrice, 'input.hourlyPrice')),
    monthly: formatScaled(parseDecimal(input.monthlyPrice, 'input.monthlyPrice')),
    stoppedHourly: optional(input.stoppedHourlyPrice, 'input.stoppedHourlyPrice'),
    stoppedMonthly: optional(input.stoppedMonthlyPrice, 'input.stoppedMonthlyPrice'),
  };
}

/**
 * Price lists: the platform's per currency, and each reseller's for its customers. A reseller's
 * list lacking a plan falls back to the platform's price, and so do its options.
 */
export class Prices {
  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    /** Each price list's changes in this process, one at a time (`changeList`). */
    private readonly lists = new AccountQueue(LIST_QUEUE_WAIT_MS),
  ) {}

  /**
   * A first start has prices to rate with: the platform's seed lists, appended once; and every start
   * prices storage in each currency the platform prices, an installation from before storage was billed too.
   */
  async seed(): Promise<void> {
    for (const currency of SEED_CURRENCIES) {
      const streamId = priceListStreamId(PLATFORM, currency);
      // Read first: a restart is the common case, and a refused insert is an error in PostgreSQL's log.
      if ((await this.store.streamVersion(streamId)) > 0) continue;
      const events: PriceListEvent[] = Object.entries(SEED_MONTHLY).map(([sku, monthly]) => ({
        type: 'PriceSet',
        data: { ownerId: PLATFORM, currency, sku, monthly, hourly: hourlyOfMonthly(monthly), stoppedHourly: null, stoppedMonthly: null },
      }));
      try {
        await this.store.append(streamId, events, {
          expectedVersion: 0,
          metadata: { correlationId: `seed-${currency}`, causationId: null, actor: SYSTEM_ACTOR },
        });
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error; // seeded meanwhile, by another replica
      }
    }
    for (const currency of await this.currencies()) {
      const metadata = { correlationId: `seed-storage-${currency}`, causationId: null, actor: SYSTEM_ACTOR };
      await withRetriedTransaction(this.pool, (tx) => ensureStoragePrices(this.store, tx, currency, metadata));
    }
  }

  /** What an issuer rates with in a currency: its list's history, each sku falling back to the platform's. */
  async bookFor(issuerId: string, currency: string, sql: Sql = this.pool): Promise<PriceBook> {
    const { rows: [histories] } = await sql.query<PriceHistories>({ name: 'billing_price_book', text: `SELECT ${this.bookColumns('$1', '$2')}`, values: [issuerId, currency] });
    return this.bookOf(issuerId, currency, histories);
  }

  /**
   * The issuer's and the platform's histories in a currency as two JSON columns, prices and options,
   * for a statement that reads them with more (rating reads them with the usage): every invoice
   * rated asks for them. The issuer and the currency are parameters (`$1`) or expressions.
   */
  bookColumns(issuer: string, currency: string): string {
    const owners = `owner_id IN (${issuer}, '${PLATFORM}')`;
    return `(SELECT coalesce(json_agg(p), '[]') FROM (SELECT ${PRICE_COLUMNS}, ${SINCE('set_at')} AS since FROM prices WHERE currency = ${currency} AND ${owners}) p) AS prices,
      (SELECT coalesce(json_agg(o), '[]') FROM (
        SELECT owner_id AS "ownerId", ${SINCE('set_at')} AS since, granularity, stopped_billing AS "stoppedBilling" FROM price_lists WHERE currency = ${currency} AND ${owners}
      ) o) AS options`;
  }

  /** The book of what bookColumns read. */
  bookOf(issuerId: string, currency: string, { prices, options }: PriceHistories): PriceBook {
    const owners = issuerId === PLATFORM ? [PLATFORM] : [issuerId, PLATFORM];
    const lists: PriceHistory[] = owners.map((owner) => ({
      prices: prices.filter((row) => row.ownerId === owner).map((row) => ({ sku: row.sku, since: row.since, price: scaled(row) })),
      options: options.filter((row) => row.ownerId === owner).map(({ since, granularity, stoppedBilling }) => ({ since, granularity, stoppedBilling })),
    }));
    return priceBook(lists, currency);
  }

  /**
   * The prices an account pays now, per sku it can be billed for in its currency: the platform must
   * have a price for it there (it bills the account, or the account's reseller, at that price). A
   * reseller's customer pays the reseller's price where the reseller set one, the platform's otherwise.
   */
  async forAccount(accountId: unknown, scope: Scope): Promise<PriceView[]> {
    const account = await Accounts.get(this.pool, accountId, scope);
    return (await this.current(account.issuerId, account.currency)).map((row) => viewOf(row, account.currency));
  }

  /** What a reseller's customers pay now: what forAccount answers for each of them, asked before it has any. */
  async ofReseller(resellerId: unknown, scope: Scope): Promise<PriceView[]> {
    const reseller = await Accounts.get(this.pool, resellerId, scope, 'resellerId');
    if (reseller.kind !== 'RESELLER') throw AppError.badInput('resellerId', `account ${reseller.id} is not a reseller`);
    return (await this.current(reseller.id, reseller.currency)).map((row) => viewOf(row, reseller.currency));
  }

  /** The platform's prices now in a currency: what it charges its direct customers and its resellers. */
  async platformList(currency: unknown): Promise<PriceView[]> {
    const code = requireCurrency(currency, 'currency');
    return (await this.current(PLATFORM, code)).map((row) => viewOf(row, code));
  }

  /** The currencies the platform has a price list in (at least one price): the ones an account can be billed in. */
  async currencies(): Promise<string[]> {
    const { rows } = await this.pool.query<{ currency: string }>(`SELECT DISTINCT currency FROM prices WHERE owner_id = '${PLATFORM}' ORDER BY currency`);
    return rows.map((row) => row.currency);
  }

  async set(input: SetPriceInput | undefined, scope: Scope, metadata: EventMetadata): Promise<PriceView> {
    if (!input || typeof input !== 'object') throw AppError.badInput('input', 'is required');
    if (typeof input.planId !== 'string' || !SKU.test(input.planId)) throw AppError.badInput('input.planId', 'must name a plan (a-z, 0-9, ., _ or -)');
    const price = validPrice(input);
    return this.setPrice(await this.ownerOf(input, scope), input.planId, price, metadata);
  }

  /**
   * A storage sku's price per GB-month (its hourly price derived), in the list `input` names as in
   * billing.price.set. The platform's only in a currency it prices plans in: storage alone makes no
   * currency one an account may be opened in.
   */
  async setStorage(input: SetStoragePriceInput | undefined, scope: Scope, metadata: EventMetadata): Promise<PriceView> {
    if (!input || typeof input !== 'object') throw AppError.badInput('input', 'is required');
    if (typeof input.sku !== 'string' || !STORAGE_SKUS.includes(input.sku)) throw AppError.badInput('input.sku', `must be a storage sku: ${STORAGE_SKUS.join(' or ')}`);
    const price = storagePrice(input.monthlyPrice, 'input.monthlyPrice');
    const owner = await this.ownerOf(input, scope);
    if (owner.ownerId === PLATFORM && !(await this.currencies()).includes(owner.currency)) {
      throw AppError.badInput('input.currency', `the platform prices nothing in ${owner.currency} yet: price a plan in it first`);
    }
    return this.setPrice(owner, input.sku, price, metadata);
  }

  /** Sets a sku's price in an owner's list in a currency (ownerOf: one the caller may set). */
  private async setPrice({ ownerId, currency }: { ownerId: string; currency: string }, sku: string, price: PriceEntry, metadata: EventMetadata): Promise<PriceView> {
    await this.changeList(ownerId, currency, { type: 'SetPrice', ownerId, currency, sku, price }, metadata);
    return { sku, currency, ownerId, hourlyPrice: price.hourly, monthlyPrice: price.monthly, stoppedHourlyPrice: price.stoppedHourly, stoppedMonthlyPrice: price.stoppedMonthly };
  }

  /**
   * Decides on an owner's list once this process's earlier changes to it are done, under the list's
   * stream's lock, which another replica's change waits for. All append to its stream: a reseller
   * setting thirty prices at once had some give up after ten decisions lost to the others' appends
   * (UNAVAILABLE). A currency the platform now prices in prices storage too, in the same transaction.
   */
  private async changeList(ownerId: string, currency: string, command: PriceListCommand, metadata: EventMetadata): Promise<string> {
    const streamId = priceListStreamId(ownerId, currency);
    await this.lists.run(streamId, () => withRetriedTransaction(this.pool, async (tx) => {
      await decideInTransaction(this.store, tx, streamId, priceListDecider, command, metadata);
      if (ownerId === PLATFORM) await ensureStoragePrices(this.store, tx, currency, metadata);
    }, [streamId]));
    return streamId;
  }

  async setOptions(input: SetPriceListOptionsInput | undefined, scope: Scope, metadata: EventMetadata): Promise<PriceListOptionsView> {
    if (!input || typeof input !== 'object') throw AppError.badInput('input', 'is required');
    const { ownerId, currency } = await this.ownerOf(input, scope);
    const streamId = await this.changeList(ownerId, currency, {
      type: 'SetOptions', ownerId, currency, granularity: input.granularity, stoppedBilling: input.stoppedBilling,
    }, metadata);
    const { state } = await readState(this.store, streamId, priceListDecider);
    return { ownerId, currency, granularity: state.granularity, stoppedBilling: state.stoppedBilling };
  }

  private async ownerOf(input: { accountId?: string | null; currency?: string }, scope: Scope): Promise<{ ownerId: string; currency: string }> {
    if (!input.accountId || input.accountId === PLATFORM) {
      if (!isPlatformWide(scope)) throw new AppError('FORBIDDEN', 'only ADMIN sets the platform\'s prices');
      return { ownerId: PLATFORM, currency: requireCurrency(input.currency, 'input.currency') };
    }
    const owner = await Accounts.get(this.pool, input.accountId, scope, 'input.accountId');
    if (owner.kind !== 'RESELLER') throw AppError.badInput('input.accountId', `must be a reseller; ${owner.id} is a ${owner.kind}`);
    if (input.currency !== undefined && input.currency !== owner.currency) {
      throw AppError.badInput('input.currency', `a reseller's prices are in its own currency, ${owner.currency}`);
    }
    return { ownerId: owner.id, currency: owner.currency };
  }

  /** The prices in force now for an issuer's accounts, each sku the issuer's or else the platform's, and only skus the platform prices. */
  private async current(issuerId: string, currency: string): Promise<PriceRow[]> {
    const { rows } = await this.pool.query<PriceRow>(
      `WITH latest AS (
         SELECT DISTINCT ON (owner_id, sku) * FROM prices WHERE currency = $2 AND owner_id IN ($1, '${PLATFORM}') ORDER BY owner_id, sku, set_at DESC
       )
       SELECT DISTINCT ON (sku) ${PRICE_COLUMNS} FROM latest
       WHERE sku IN (SELECT sku FROM latest WHERE owner_id = '${PLATFORM}')
       ORDER BY sku, owner_id = '${PLATFORM}'`,
      [issuerId, currency],
    );
    return rows;
  }
}
