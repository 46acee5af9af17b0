import Stripe from 'stripe';
import type { StripeServer } from '../billing.config.js';

/** The Stripe SDK the service talks to, or null without STRIPE_SECRET_KEY. */
export const STRIPE = Symbol('STRIPE');

/**
 * The Stripe SDK for `secretKey`. `server` (STRIPE_API_BASE) sends it to another server, such as
 * stripe-mock or a test's fake, instead of api.stripe.com.
 */
export function createStripeClient(secretKey: string, server?: StripeServer | null): Stripe {
  return new Stripe(secretKey, {
    // Every create we send carries our own idempotency key, so the SDK's retries are safe;
    // a few cover a blip, and the consumer's redelivery covers anything longer.
    maxNetworkRetries: 2,
    // The default (80 s) would hold a consumer's message far past its ack deadline.
    timeout: 10_000,
    ...server,
  });
}
