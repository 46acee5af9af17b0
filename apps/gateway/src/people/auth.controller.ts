import type { IncomingMessage, ServerResponse } from 'node:http';
import { Body, Controller, Get, Logger, Post, Req, Res } from '@nestjs/common';
import { AppError } from '#libs/contracts';
import { Authenticator } from '../auth/authenticator.js';
import { RequestLimits } from '../auth/request-limits.js';
import { authenticated } from '../graphql/gateway-context.js';
import { firstHeader, isJson, sendAppError, sendError } from '../graphql/http-requests.js';
import type { Viewer } from '../identity/identity.js';
import { People, type SessionHolder, type UserView } from './people.js';
import { SessionAuth } from './session-auth.js';
import { cookiesSecure, sameOrigin, sessionCookies } from './session-cookies.js';

type Request = IncomingMessage & { ip?: string };
type Json = Record<string, unknown>;

const bodyOf = (body: unknown): Json => (body && typeof body === 'object' && !Array.isArray(body) ? (body as Json) : {});

/**
 * People's REST endpoints under /auth, beside /graphql (the agreed contract has no operations for
 * people): invitations, a password set from a one-time link, sign-in and sign-out with the session
 * cookie, the signed-in person, and TOTP. Bodies are JSON; a POST of anything else is refused
 * (415), as is one from another origin (403).
 */
@Controller('auth')
export class AuthController {
  private readonly logger = new Logger('people');

  constructor(
    private readonly people: People,
    private readonly sessions: SessionAuth,
    private readonly authenticator: Authenticator,
    private readonly limits: RequestLimits,
  ) {}

  /** POST /auth/sign-in {email, password, totp?}: sets the session's cookies; answers the person and the CSRF token. */
  @Post('sign-in')
  signIn(@Body() body: unknown, @Req() request: Request, @Res() response: ServerResponse): Promise<void> {
    return this.answer(request, response, async () => {
      const result = await this.people.signIn(bodyOf(body), request.ip);
      if ('status' in result) {
        const headers: Record<string, string> = result.retryAfter ? { 'retry-after': String(result.retryAfter) } : {};
        sendError(response, result.status, { message: result.message, code: result.code, field: result.field }, headers);
        return undefined;
      }
      const maxAgeSeconds = Math.max(1, Math.floor((result.expiresAt.getTime() - Date.now()) / 1000));
      response.setHeader('set-cookie', sessionCookies({ token: result.token, csrfToken: result.csrfToken, maxAgeSeconds }, this.secure(request)));
      return { user: result.user, csrfToken: result.csrfToken, expiresAt: result.expiresAt.toISOString() };
    });
  }

  /** POST /auth/sign-out: ends the session server-side and clears its cookies. */
  @Post('sign-out')
  signOut(@Req() request: Request, @Res() response: ServerResponse): Promise<void> {
    return this.answer(request, response, async () => {
      const holder = await this.sessions.holderOf(request.headers);
      if (holder) await this.people.signOut(this.sessions.tokenOf(request.headers)!);
      response.setHeader('set-cookie', sessionCookies(null, this.secure(request)));
      return { signedOut: Boolean(holder) };
    });
  }

  /** GET /auth/session: the signed-in person and when the session ends (a read: no CSRF token needed). */
  @Get('session')
  session(@Req() request: Request, @Res() response: ServerResponse): Promise<void> {
    return this.answer(request, response, async () => {
      const holder = this.signedIn(await this.sessions.holderOf(request.headers, { checkCsrf: false }));
      return { user: holder.user, expiresAt: holder.expiresAt };
    });
  }

  /** POST /auth/password {token, password}: the password of the person a one-time link was sent to. */
  @Post('password')
  setPassword(@Body() body: unknown, @Req() request: Request, @Res() response: ServerResponse): Promise<void> {
    return this.answer(request, response, async () => ({ user: await this.people.setPassword(bodyOf(body)) }));
  }

  /** POST /auth/password-reset {email}: mails a new one-time link, if the email is a person's; 202 either way. */
  @Post('password-reset')
  requestPasswordReset(@Body() body: unknown, @Req() request: Request, @Res() response: ServerResponse): Promise<void> {
    return this.answer(request, response, async () => {
      await this.people.requestPasswordReset(bodyOf(body), this.publicOrigin(request));
      return { requested: true };
    }, 202);
  }

  /** POST /auth/invitations {accountId, email, name, role}: by an API key or a signed-in person who may manage the account. */
  @Post('invitations')
  invite(@Body() body: unknown, @Req() request: Request, @Res() response: ServerResponse): Promise<void> {
    return this.answer(request, response, async () => {
      const user: UserView = await this.people.invite(await this.viewer(request), bodyOf(body), this.publicOrigin(request));
      return { user };
    }, 201);
  }

  /** GET /auth/users: the people of the accounts the caller sees. */
  @Get('users')
  users(@Req() request: Request, @Res() response: ServerResponse): Promise<void> {
    return this.answer(request, response, async () => ({ users: await this.people.users(await this.viewer(request, false)) }));
  }

  /** POST /auth/totp: a new TOTP secret (and its otpauth:// URI) for the signed-in person, on once confirmed. */
  @Post('totp')
  beginTotp(@Req() request: Request, @Res() response: ServerResponse): Promise<void> {
    return this.answer(request, response, async () => this.people.beginTotp(this.signedIn(await this.sessions.holderOf(request.headers))));
  }

  /** POST /auth/totp/confirm {code}: turns TOTP on with a code of the offered secret. */
  @Post('totp/confirm')
  confirmTotp(@Body() body: unknown, @Req() request: Request, @Res() response: ServerResponse): Promise<void> {
    return this.answer(request, response, async () => ({
      user: await this.people.confirmTotp(this.signedIn(await this.sessions.holderOf(request.headers)), bodyOf(body)),
    }));
  }

  /** POST /auth/totp/disable {code}: turns TOTP off with a current code. */
  @Post('totp/disable')
  disableTotp(@Body() body: unknown, @Req() request: Request, @Res() response: ServerResponse): Promise<void> {
    return this.answer(request, response, async () => ({
      user: await this.people.disableTotp(this.signedIn(await this.sessions.holderOf(request.headers)), bodyOf(body)),
    }));
  }

  /** The caller: an API key (Authorization) or else a signed-in person (cookie and CSRF token); UNAUTHENTICATED without. */
  private async viewer(request: Request, checkCsrf = true): Promise<Viewer> {
    if (request.headers.authorization) return authenticated(await this.authenticator.viewerOf(request.headers.authorization));
    const holder = await this.sessions.holderOf(request.headers, { checkCsrf });
    if (holder === undefined) throw new AppError('UNAUTHENTICATED', 'no API key and no session: send Authorization: Bearer <secret>, or sign in');
    return this.signedIn(holder).viewer;
  }

  private signedIn(holder: SessionHolder | null | undefined): SessionHolder {
    if (!holder) throw new AppError('UNAUTHENTICATED', holder === null ? 'the session ended or expired: sign in again' : 'not signed in');
    return holder;
  }

  private secure(request: Request): boolean {
    return cookiesSecure(firstHeader(request.headers.host), this.publicUrl);
  }

  private get publicUrl(): string | null {
    return this.sessions.publicUrl;
  }

  private publicOrigin(request: Request): string {
    if (this.publicUrl) return this.publicUrl.replace(/\/$/, '');
    return `${this.secure(request) ? 'https' : 'http'}://${firstHeader(request.headers.host) ?? 'localhost'}`;
  }

  /**
   * Each endpoint's frame: JSON bodies only, the origin checked, a token of the caller's rate (its
   * address's: most come before a key or session is known), then the work's answer as JSON, or its error.
   */
  private async answer(request: Request, response: ServerResponse, work: () => Promise<Json | undefined>, status = 200): Promise<void> {
    try {
      if (request.method === 'POST' && !isJson(firstHeader(request.headers['content-type']))) {
        return sendError(response, 415, { message: 'content-type: /auth takes a POST of application/json', code: 'BAD_REQUEST' });
      }
      if (!sameOrigin(firstHeader(request.headers.origin), firstHeader(request.headers.host), this.publicUrl)) {
        throw new AppError('FORBIDDEN', "origin: /auth answers the gateway's own origin only");
      }
      const limited = this.limits.takeToken(undefined, request.ip);
      if (limited) return sendError(response, limited.status, { message: limited.message, code: limited.code }, { 'retry-after': String(limited.retryAfter) });
      const answer = await work();
      if (answer === undefined) return;
      // Nest has set a POST's 201 already: each endpoint says its own.
      response.statusCode = status;
      response.setHeader('content-type', 'application/json; charset=utf-8');
      response.setHeader('cache-control', 'no-store');
      response.end(JSON.stringify(answer));
    } catch (error) {
      sendAppError(response, error, this.logger);
    }
  }
}
