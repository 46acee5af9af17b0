import { readWholeNumber } from '#libs/platform';

/** Where the Stripe SDK sends its requests: the SDK takes a host, port and protocol, not a URL. */
export interface StripeServer {
  host: string;
  port: number;
  protocol: 'http' | 'https';
}

/** Stripe, when STRIPE_SECRET_KEY is set. */
export interface StripeConfig {
  secretKey: string;
  /** The webhook's signing secret; without it every webhook is refused. */
  webhookSecret: string | null;
  /** Another server than api.stripe.com (stripe-mock, a test's fake); null for Stripe's own. */
  server: StripeServer | null;
}

/** What billing reads from its environment beyond every service's and its database's (README, Configuration). */
export interface BillingConfig {
  /** How long after a month ends its drafts are made: late events have time to arrive. */
  invoiceCloseAfterSeconds: number;
  /** How long an account stays PAST_DUE before it is suspended. */
  dunningGraceSeconds: number;
  /** How often the jobs look for months to close and accounts to suspend. */
  jobIntervalMs: number;
  /** How long a finalize may wait for its issuer's numbers behind others': an answer well inside the gateway's 30 s for one. */
  issuerQueueWaitMs: number;
  /** Null: no Stripe. */
  stripe: StripeConfig | null;
}

export const BILLING_CONFIG = Symbol('BILLING_CONFIG');

/** STRIPE_API_BASE, e.g. `http://127.0.0.1:12111`, as the SDK takes it. */
export function stripeServerOf(apiBase: string): StripeServer {
  let url: URL | null = null;
  try {
    url = new URL(apiBase);
  } catch {
    // named below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new Error(`STRIPE_API_BASE must be an http or https URL, not ${apiBase}`);
  }
  if (url.pathname !== '/' && url.pathname !== '') {
    // The SDK always requests /v1/…: a path here would be silently ignored.
    throw new Error(`STRIPE_API_BASE must not have a path (${apiBase}): the SDK adds /v1 itself`);
  }
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'), // an IPv6 literal, without the URL's brackets
    port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443,
    protocol,
  };
}

/** Read once at start; a bad value stops the process with the variable named. */
export function readBillingConfig(env: NodeJS.ProcessEnv): BillingConfig {
  return {
    invoiceCloseAfterSeconds: readWholeNumber('INVOICE_CLOSE_AFTER_MINUTES', 60, { expected: 'a number of minutes' }, env) * 60,
    dunningGraceSeconds: readWholeNumber('DUNNING_GRACE_SECONDS', 7 * 24 * 3600, { expected: 'a number of seconds' }, env),
    jobIntervalMs: readWholeNumber('BILLING_JOB_INTERVAL_MS', 60_000, { expected: 'a number of milliseconds, at least 100', min: 100 }, env),
    issuerQueueWaitMs: 10_000,
    stripe: env.STRIPE_SECRET_KEY
      ? {
          secretKey: env.STRIPE_SECRET_KEY,
          webhookSecret: env.STRIPE_WEBHOOK_SECRET || null,
          server: env.STRIPE_API_BASE ? stripeServerOf(env.STRIPE_API_BASE) : null,
        }
      : null,
  };
}
