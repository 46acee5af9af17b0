import { readBillingConfig } from './billing.config.js';

describe("billing's configuration", () => {
  it('closes a month an hour after it ends, suspends after 7 days, runs its jobs every minute and has no Stripe, unless told otherwise', () => {
    expect(readBillingConfig({})).toEqual({ invoiceCloseAfterSeconds: 3600, dunningGraceSeconds: 604_800, jobIntervalMs: 60_000, issuerQueueWaitMs: 10_000, stripe: null });
    expect(readBillingConfig({ INVOICE_CLOSE_AFTER_MINUTES: '0', DUNNING_GRACE_SECONDS: '2', BILLING_JOB_INTERVAL_MS: '500' }))
      .toMatchObject({ invoiceCloseAfterSeconds: 0, dunningGraceSeconds: 2, jobIntervalMs: 500 });
  });

  it('talks to Stripe with STRIPE_SECRET_KEY, at STRIPE_API_BASE when set', () => {
    expect(readBillingConfig({ STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_WEBHOOK_SECRET: 'whsec_1' }).stripe)
      .toEqual({ secretKey: 'sk_test_1', webhookSecret: 'whsec_1', server: null });
    expect(readBillingConfig({ STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_API_BASE: 'http://[::1]:12111' }).stripe)
      .toEqual({ secretKey: 'sk_test_1', webhookSecret: null, server: { host: '::1', port: 12111, protocol: 'http' } });
    expect(readBillingConfig({ STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_API_BASE: 'https://stripe.example' }).stripe?.server)
      .toEqual({ host: 'stripe.example', port: 443, protocol: 'https' });
    // Without a key there is no Stripe, whatever else is set.
    expect(readBillingConfig({ STRIPE_SECRET_KEY: '', STRIPE_API_BASE: 'not a url' }).stripe).toBeNull();
  });

  it.each([
    [{ INVOICE_CLOSE_AFTER_MINUTES: '1h' }, 'INVOICE_CLOSE_AFTER_MINUTES must be a number of minutes, got "1h"'],
    [{ DUNNING_GRACE_SECONDS: '-1' }, 'DUNNING_GRACE_SECONDS must be a number of seconds, got "-1"'],
    [{ BILLING_JOB_INTERVAL_MS: '99' }, 'BILLING_JOB_INTERVAL_MS must be a number of milliseconds, at least 100, got "99"'],
    [{ STRIPE_SECRET_KEY: 'sk', STRIPE_API_BASE: 'stripe.example' }, 'STRIPE_API_BASE must be an http or https URL, not stripe.example'],
    [{ STRIPE_SECRET_KEY: 'sk', STRIPE_API_BASE: 'ftp://stripe.example' }, 'STRIPE_API_BASE must be an http or https URL'],
    [{ STRIPE_SECRET_KEY: 'sk', STRIPE_API_BASE: 'http://127.0.0.1:12111/v1' }, 'STRIPE_API_BASE must not have a path'],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => readBillingConfig(env)).toThrow(message);
  });
});
