import { isIP } from 'node:net';
import { readWholeNumber, type ServiceConfig } from '#libs/platform';
import { isIsoCurrency } from '#libs/contracts';
import { isAccountName } from './identity/account.decider.js';
import type { PeopleConfig } from './people/people.js';

/** What the gateway reads from its environment beyond every service's and its database's (README, Configuration). */
export interface GatewayConfig {
  /** The deepest query, and the most it may cost (GRAPHQL_MAX_DEPTH, GRAPHQL_MAX_COMPLEXITY). */
  query: { maxDepth: number; maxComplexity: number };
  /** Requests per API key (per address without one), per replica: the rate and the burst (RATE_LIMIT_PER_SECOND, RATE_LIMIT_BURST). */
  rateLimit: { perSecond: number; burst: number };
  /** Requests of one account a replica works on at once; more wait their turn (GATEWAY_REQUESTS_PER_ACCOUNT). */
  requestsPerAccount: number;
  /** How long a replica trusts a key it checked: a revocation, or a suspension, reaches every replica within it (API_KEY_CACHE_MS). */
  apiKeyCacheMs: number;
  /** The largest request body; more is refused with 413 (GATEWAY_MAX_REQUEST_BYTES). */
  maxRequestBytes: number;
  /** The gateway's address as clients reach it (GATEWAY_PUBLIC_URL), for consoles' URLs; null: the Host each request came to. */
  publicUrl: string | null;
  /**
   * The proxies in front whose X-Forwarded-For names the caller (GATEWAY_TRUST_PROXY), as Express's
   * `trust proxy` takes them: false for none, a number of hops, or addresses, CIDRs and the names
   * loopback, linklocal, uniquelocal. Behind a proxy not named here, every caller is the proxy's
   * address, and per-address limits (sign-in's lockout, sign-ups, requests without a key) are everyone's.
   */
  trustProxy: false | number | string;
  /** Consoles: how long a token may wait to be used (CONSOLE_TOKEN_TTL_MS), and a session may go without traffic (CONSOLE_IDLE_TIMEOUT_MS). */
  console: { tokenTtlMs: number; idleTimeoutMs: number };
  /** The platform account the first start makes (AWAN_PLATFORM_NAME, AWAN_PLATFORM_CURRENCY), and its ADMIN key when given (AWAN_ADMIN_API_KEY). */
  platform: { name: string; currency: string; adminSecret: string | null };
  /** People who sign in: sessions, invitations' links, the sign-in lockout, and mail (SMTP_URL). */
  people: PeopleConfig;
}

/** Read once at start, beside the address the gateway listens at; a bad value stops the process with the variable named. */
export function readGatewayConfig(env: NodeJS.ProcessEnv, listen: Pick<ServiceConfig, 'host' | 'port'>): GatewayConfig {
  const name = env.AWAN_PLATFORM_NAME ?? 'Platform';
  if (!isAccountName(name)) throw new Error(`AWAN_PLATFORM_NAME must be 1 to 100 characters, no control characters, got "${name}"`);
  const currency = env.AWAN_PLATFORM_CURRENCY ?? 'EUR';
  if (!isIsoCurrency(currency)) throw new Error(`AWAN_PLATFORM_CURRENCY must be an ISO 4217 code such as EUR, got "${currency}"`);
  const adminSecret = env.AWAN_ADMIN_API_KEY ?? null;
  const publicUrl = env.GATEWAY_PUBLIC_URL ?? null;
  if (publicUrl !== null && !/^https?:\/\/[^/\s?#]+\/?$/.test(publicUrl)) throw new Error(`GATEWAY_PUBLIC_URL must be http(s)://host[:port], got "${publicUrl}"`);
  // The key itself is not repeated in the message: it would end up in a log.
  if (adminSecret !== null && !/^[\x21-\x7e]{24,256}$/.test(adminSecret)) throw new Error('AWAN_ADMIN_API_KEY must be 24 to 256 printable characters without spaces');
  const smtpUrl = env.SMTP_URL || null;
  // The URL may hold a password: it is not repeated.
  if (smtpUrl !== null && !/^smtps?:\/\/[^\s/?#]+\/?(\?\S*)?$/.test(smtpUrl)) throw new Error('SMTP_URL must be smtp://[user:password@]host[:port] or smtps://…');
  const mailFrom = env.SMTP_FROM ?? `${name} <no-reply@localhost>`;
  if (!/^[^\p{Cc}]*<?[^\s@<>]+@[^\s@<>]+>?$/u.test(mailFrom)) throw new Error(`SMTP_FROM must be an address, or Name <address>, got "${mailFrom}"`);
  return {
    query: {
      maxDepth: readWholeNumber('GRAPHQL_MAX_DEPTH', 12, { expected: 'a whole number from 2', min: 2 }, env),
      maxComplexity: readWholeNumber('GRAPHQL_MAX_COMPLEXITY', 5000, { expected: 'a whole number from 10', min: 10 }, env),
    },
    rateLimit: {
      perSecond: readWholeNumber('RATE_LIMIT_PER_SECOND', 20, { expected: 'requests a second, at least 1', min: 1 }, env),
      burst: readWholeNumber('RATE_LIMIT_BURST', 100, { expected: 'requests, at least 1', min: 1 }, env),
    },
    requestsPerAccount: readWholeNumber('GATEWAY_REQUESTS_PER_ACCOUNT', 10, { expected: 'requests, at least 1', min: 1 }, env),
    apiKeyCacheMs: readWholeNumber('API_KEY_CACHE_MS', 5000, { expected: 'milliseconds, at most 60000', max: 60_000 }, env),
    maxRequestBytes: readWholeNumber('GATEWAY_MAX_REQUEST_BYTES', 102_400, { expected: 'bytes, at least 1024', min: 1024 }, env),
    publicUrl,
    trustProxy: readTrustProxy(env.GATEWAY_TRUST_PROXY),
    console: {
      tokenTtlMs: readWholeNumber('CONSOLE_TOKEN_TTL_MS', 60_000, { expected: 'milliseconds, from 1000 to 600000', min: 1000, max: 600_000 }, env),
      idleTimeoutMs: readWholeNumber('CONSOLE_IDLE_TIMEOUT_MS', 900_000, { expected: 'milliseconds, at least 1000', min: 1000 }, env),
    },
    platform: { name, currency, adminSecret },
    people: {
      sessionTtlMs: readWholeNumber('SESSION_TTL_MS', 43_200_000, { expected: 'milliseconds, at least 1000', min: 1000 }, env),
      linkTtlMs: readWholeNumber('INVITATION_TTL_MS', 259_200_000, { expected: 'milliseconds, at least 1000', min: 1000 }, env),
      signIn: {
        maxFailures: readWholeNumber('SIGN_IN_MAX_FAILURES', 5, { expected: 'attempts, at least 1', min: 1 }, env),
        maxFailuresPerAddress: readWholeNumber('SIGN_IN_MAX_FAILURES_PER_ADDRESS', 50, { expected: 'attempts, at least 1', min: 1 }, env),
        windowMs: readWholeNumber('SIGN_IN_LOCKOUT_MS', 900_000, { expected: 'milliseconds, at least 1000', min: 1000 }, env),
      },
      smtpUrl,
      mailFrom,
      mailRetryMs: readWholeNumber('MAIL_RETRY_MS', 60_000, { expected: 'milliseconds, from 1000 to 3600000', min: 1000, max: 3_600_000 }, env),
      linkBase: publicUrl?.replace(/\/$/, '') ?? ownAddress(listen),
    },
  };
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** GATEWAY_TRUST_PROXY: unset for none, a number of hops, or a comma-separated list of addresses, CIDRs and PROXY_NAMES. */
function readTrustProxy(value: string | undefined): false | number | string {
  if (value === undefined || value.trim() === '') return false;
  if (/^\d+$/.test(value.trim()) && Number(value) >= 1 && Number(value) <= 10) return Number(value);
  const entries = value.split(',').map((entry) => entry.trim());
  const valid = (entry: string) => {
    if (PROXY_NAMES.includes(entry)) return true;
    const [address, length, ...rest] = entry.split('/');
    const family = isIP(address);
    return family !== 0 && rest.length === 0 && (length === undefined || (/^\d{1,3}$/.test(length) && Number(length) <= (family === 4 ? 32 : 128)));
  };
  if (!entries.every(valid)) {
    throw new Error(`GATEWAY_TRUST_PROXY must be a number of proxies (1 to 10), or addresses and CIDRs of the proxies (or ${PROXY_NAMES.join(', ')}) separated by commas, got "${value}"`);
  }
  return entries.join(', ');
}

/** The gateway as it listens, for links in mail where GATEWAY_PUBLIC_URL is unset: a wildcard address as localhost. */
function ownAddress({ host, port }: Pick<ServiceConfig, 'host' | 'port'>): string {
  const name = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${name}:${port}`;
}
