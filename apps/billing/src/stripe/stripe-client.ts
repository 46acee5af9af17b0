import Stripe from 'stripe';

/**
 * The Stripe SDK for `secretKey`. `apiBase` (STRIPE_API_BASE, e.g. `http://127.0.0.1:12111`)
 * sends it to another server, such as stripe-mock or a test's fake, instead of api.stripe.com.
 */
export function createStripeClient(secretKey: string, apiBase?: string): Stripe {
  return new Stripe(secretKey, {
    // Every create we send carries our own idempotency key, so the SDK's retries are safe;
    // a few cover a blip, and the consumer's redelivery covers anything longer.
    maxNetworkRetries: 2,
    // The default (80 s) would hold a consumer's message far past its ack deadline.
    timeout: 10_000,
    ...(apiBase ? serverOf(apiBase) : {}),
  });
}

/** The SDK takes a base address as host, port and protocol, not as a URL. */
function serverOf(apiBase: string): { host: string; port: number; protocol: 'http' | 'https' } {
  const url = new URL(apiBase);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
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
