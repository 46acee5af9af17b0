import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AppError, PLATFORM_SCOPE, type PlanView, type PriceView } from '#libs/contracts';
import { callerAddress } from '../auth/caller-address.js';
import type { GatewayServiceClient } from '../graphql/service-calls.js';
import type { Identity, Viewer } from '../identity/identity.js';
import type { People } from '../people/people.js';
import { decideSignUp, decideStorefrontSettings, openStorefront, requireReseller, SIGN_UP_LIMITS, signUpWait, type Storefront, type StorefrontSettings } from './storefront.rules.js';

type Money = { amount: string; currency: string };

/** A plan as a storefront shows it: its size and what the reseller's customers pay. */
export interface StorefrontPlan {
  id: string;
  name: string;
  kind: PlanView['kind'];
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  hourlyPrice: Money;
  monthlyPrice: Money;
}

/** A refused sign-up for its rate, as HTTP answers it. */
export interface SignUpRefusal {
  status: 429;
  code: 'RATE_LIMITED';
  message: string;
  retryAfter: number;
}

const STOREFRONT_COLUMNS = `s.slug, s.brand_colour AS "brandColour", s.enabled, a.id AS "resellerId", a.name AS "resellerName", a.status AS "resellerStatus", a.currency`;

/**
 * Resellers' storefronts: a public page per reseller listing its plans at its prices, whose sign-up
 * opens a CUSTOMER account under the reseller with its first person, who sets a password from the
 * one-time link mailed to them (as an invitation's): the link proves the email is theirs before the
 * account can be used.
 */
export class Storefronts {
  constructor(
    private readonly pool: pg.Pool,
    private readonly identity: Identity,
    private readonly people: People,
    private readonly client: GatewayServiceClient,
  ) {}

  /** The storefront of the viewer's reseller account (or, for ADMIN, of `accountId`); null where none is set. */
  async settings(viewer: Viewer, accountId: unknown): Promise<(StorefrontSettings & { accountId: string }) | null> {
    const id = typeof accountId === 'string' && accountId ? accountId : viewer.accountId;
    const owner = await this.identity.account(id, viewer);
    requireReseller(owner, id);
    const { rows } = await this.pool.query<StorefrontSettings & { accountId: string }>(
      'SELECT account_id AS "accountId", slug, brand_colour AS "brandColour", enabled FROM storefronts WHERE account_id = $1',
      [owner.id],
    );
    return rows[0] ?? null;
  }

  /** Sets a reseller's storefront; a slug another reseller has is CONFLICT naming the field. */
  async set(viewer: Viewer, input: Record<string, unknown>): Promise<StorefrontSettings & { accountId: string }> {
    const id = typeof input.accountId === 'string' && input.accountId ? input.accountId : viewer.accountId;
    const settings = decideStorefrontSettings(viewer, await this.identity.account(id, viewer), { ...input, accountId: id });
    try {
      await this.pool.query(
        `INSERT INTO storefronts (account_id, slug, brand_colour, enabled) VALUES ($1, $2, $3, $4)
         ON CONFLICT (account_id) DO UPDATE SET slug = $2, brand_colour = $3, enabled = $4, updated_at = now()`,
        [settings.accountId, settings.slug, settings.brandColour, settings.enabled],
      );
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw new AppError('CONFLICT', `slug: /store/${settings.slug} is another reseller's already`, 'slug');
      throw error;
    }
    return settings;
  }

  /** An enabled storefront of a reseller in good standing, by slug; NOT_FOUND for any other. */
  async open(slug: string): Promise<Storefront> {
    const key = typeof slug === 'string' ? slug.toLowerCase() : '';
    const { rows } = await this.pool.query<Storefront>(`SELECT ${STOREFRONT_COLUMNS} FROM storefronts s JOIN accounts a ON a.id = s.account_id WHERE s.slug = $1`, [key]);
    return openStorefront(rows[0] ?? null, key);
  }

  /** A storefront's face: the reseller's name, colour and currency, and its plans at its customers' prices. */
  async catalog(slug: string): Promise<{ storefront: { slug: string; name: string; brandColour: string; currency: string }; plans: StorefrontPlan[] }> {
    const storefront = await this.open(slug);
    const [plans, prices] = await Promise.all([this.client.call('compute.catalog.plans', { retired: false }), this.customerPrices(storefront.resellerId)]);
    return {
      storefront: { slug: storefront.slug, name: storefront.resellerName, brandColour: storefront.brandColour, currency: storefront.currency },
      // Only plans its customers can be billed for: billing prices just those.
      plans: plans.flatMap((plan) => {
        const price = prices.get(plan.id);
        return price ? [{
          id: plan.id, name: plan.name, kind: plan.kind, vcpus: plan.vcpus, memoryMb: plan.memoryMb, diskGb: plan.diskGb,
          hourlyPrice: { amount: price.hourlyPrice, currency: price.currency },
          monthlyPrice: { amount: price.monthlyPrice, currency: price.currency },
        }] : [];
      }),
    };
  }

  /** What the reseller's customers pay now per plan, as billing charges them: none while billing has not heard of a reseller just opened. */
  async customerPrices(resellerId: string): Promise<Map<string, PriceView>> {
    const prices = await this.client.call('billing.price.ofReseller', { accountIds: PLATFORM_SCOPE, resellerId }).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'NOT_FOUND') return [];
      throw error;
    });
    return new Map(prices.map((price) => [price.sku, price]));
  }

  /**
   * A sign-up through an open storefront: a CUSTOMER account under its reseller and its first person,
   * made together, the person mailed a one-time link to set a password. An email that is a person's
   * already gets a link to set a new password instead, and the answer is the same: it tells no one
   * who has an account here. Each counts against the address's limit.
   */
  async signUp(slug: string, input: Record<string, unknown>, address: string | undefined): Promise<{ email: string } | SignUpRefusal> {
    const storefront = await this.open(slug);
    const signUp = decideSignUp(input);
    const subject = callerAddress(address);
    const { rows: [recent] } = await this.pool.query<{ count: number; oldest: number | null; now: number }>(
      `SELECT count(*)::integer AS count, (extract(epoch FROM min(at)) * 1000)::float8 AS oldest, (extract(epoch FROM now()) * 1000)::float8 AS now
       FROM storefront_sign_ups WHERE address = $1 AND at > now() - $2 * interval '1 millisecond'`,
      [subject, SIGN_UP_LIMITS.windowMs],
    );
    const wait = signUpWait({ count: recent.count, oldestAt: recent.oldest }, SIGN_UP_LIMITS, recent.now);
    if (wait !== null) return { status: 429, code: 'RATE_LIMITED', retryAfter: wait, message: `too many sign-ups from this address: try again in ${wait} s` };
    await this.pool.query(
      `WITH gone AS (DELETE FROM storefront_sign_ups WHERE at < now() - $2 * interval '1 millisecond') INSERT INTO storefront_sign_ups (address) VALUES ($1)`,
      [subject, SIGN_UP_LIMITS.windowMs],
    );
    if (await this.people.emailTaken(signUp.emailKey)) {
      await this.people.requestPasswordReset({ email: signUp.email });
      return { email: signUp.email };
    }
    // The storefront acts as its reseller would, creating a customer under itself.
    const reseller: Viewer = {
      apiKeyId: `storefront:${storefront.resellerId}`, accountId: storefront.resellerId, accountKind: 'RESELLER', accountStatus: storefront.resellerStatus, role: 'RESELLER',
      accountIds: [storefront.resellerId],
    };
    const metadata = { correlationId: randomUUID(), causationId: null, actor: { kind: 'account' as const, accountId: storefront.resellerId, role: 'RESELLER' as const } };
    await this.identity.createAccount(reseller, { name: signUp.accountName, kind: 'CUSTOMER', email: signUp.email }, metadata, async (tx, accountId) => {
      // Its mail goes without the caller waiting: how long it took would tell whether the email was someone's already.
      await this.people.addPerson(tx, { accountId, email: signUp.email, emailKey: signUp.emailKey, name: signUp.name, role: 'CUSTOMER' }, reseller.apiKeyId);
    });
    return { email: signUp.email };
  }
}
