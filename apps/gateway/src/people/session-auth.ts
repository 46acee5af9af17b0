import { timingSafeEqual } from 'node:crypto';
import { AppError } from '#libs/contracts';
import type { RequestLimits } from '../auth/request-limits.js';
import type { People, SessionHolder } from './people.js';
import { firstHeader } from '../graphql/http-requests.js';
import { hashSecret } from '../identity/identity.js';
import { CSRF_HEADER, parseCookies, sameOrigin, SESSION_COOKIE } from './session-cookies.js';

type Headers = Record<string, string | string[] | undefined>;

/** What a session is read from: a request's headers, and its caller's address (Express's `ip`). */
export interface SessionRequest {
  headers: Headers;
  ip?: string;
}

/**
 * A request's session cookie to its signed-in person. A cookie travels with whatever a browser
 * sends, so a cookie-authenticated request must also come from the gateway's own origin and carry
 * the session's CSRF token (the `X-CSRF-Token` header; a graphql-ws socket's `csrfToken`
 * connection parameter): a page of another site can do neither. FORBIDDEN otherwise.
 */
export class SessionAuth {
  constructor(
    private readonly people: Pick<People, 'session'>,
    /** Whose allowance a cookie that names no session is paid from: its caller address's. */
    private readonly limits: Pick<RequestLimits, 'credentialLookup'>,
    /** GATEWAY_PUBLIC_URL: the origin browsers reach the gateway at; null: the Host of each request. */
    readonly publicUrl: string | null,
  ) {}

  /** The session token of a request's cookies, if any. */
  tokenOf(headers: Headers): string | undefined {
    return parseCookies(headers.cookie).get(SESSION_COOKIE) || undefined;
  }

  /**
   * undefined: no session cookie; null: the cookie names no live session (ended, expired, unknown).
   * `csrf`: the token the request carries (the header, where none is given); `checkCsrf: false` only for safe reads (GET).
   */
  async holderOf({ headers, ip }: SessionRequest, options: { checkCsrf: boolean; csrf?: unknown } = { checkCsrf: true }): Promise<SessionHolder | null | undefined> {
    const token = this.tokenOf(headers);
    if (!token) return undefined;
    if (!sameOrigin(firstHeader(headers.origin), firstHeader(headers.host), this.publicUrl)) {
      throw new AppError('FORBIDDEN', 'origin: a request signed in by cookie must come from the gateway\'s own origin');
    }
    const holder = await this.limits.credentialLookup(ip, `session:${hashSecret(token)}`, () => this.people.session(token));
    if (!holder || !options.checkCsrf) return holder;
    const csrf = options.csrf !== undefined ? options.csrf : firstHeader(headers[CSRF_HEADER]);
    if (typeof csrf !== 'string' || !csrf) throw new AppError('FORBIDDEN', `${CSRF_HEADER}: a request signed in by cookie must send the session's CSRF token (the awan_csrf cookie) in the X-CSRF-Token header`);
    const given = Buffer.from(hashSecret(csrf));
    if (!timingSafeEqual(given, Buffer.from(holder.csrfHash))) throw new AppError('FORBIDDEN', `${CSRF_HEADER}: not this session's CSRF token`);
    return holder;
  }
}
