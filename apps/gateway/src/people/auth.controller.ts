import type { ServerResponse } from 'node:http';
import { Body, Controller, Get, Logger, Post, Req, Res } from '@nestjs/common';
import { Authenticator } from '../auth/authenticator.js';
import { RequestLimits } from '../auth/request-limits.js';
import { firstHeader, sendError } from '../graphql/http-requests.js';
import { Identity, type Viewer } from '../identity/identity.js';
import { People, type SessionHolder } from './people.js';
import { SessionAuth } from './session-auth.js';
import { answerJson, bodyOf, callerOf, signedIn, type Json, type JsonRequest as Request } from './json-endpoints.js';
import { cookiesSecure, sessionCookies } from './session-cookies.js';

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
    private readonly identity: Identity,
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
      const holder = await this.sessions.holderOf(request);
      if (holder) await this.people.signOut(this.sessions.tokenOf(request.headers)!);
      response.setHeader('set-cookie', sessionCookies(null, this.secure(request)));
      return { signedOut: Boolean(holder) };
    });
  }

  /** GET /auth/session: the signed-in person and when the session ends (a read: no CSRF token needed). */
  @Get('session')
  session(@Req() request: Request, @Res() response: ServerResponse): Promise<void> {
    return this.answer(request, response, async () => {
      const holder = this.signedIn(await this.sessions.holderOf(request, { checkCsrf: false }));
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
      await this.people.requestPasswordReset(bodyOf(body));
      return { requested: true };
    }, 202);
  }

  /** POST /auth/invitations {accountId, email, name, role}: by an API key or a signed-in person who may manage the account. */
  @Post('invitations')
  invite(@Body() body: unknown, @Req() request: Request, @Res() response: ServerResponse): Promise<void> {
    return this.answer(request, response, async () => {
      return this.people.invite(await this.viewer(request), bodyOf(body));
    }, 201);
  }

  /** GET /auth/users: the people of the accounts the caller sees. */
  @Get('users')
  users(@Req() request: Request, @Res() response: ServerResponse): Promise<void> {
    return this.answer(request, response, async () => ({ users: await this.people.users(await this.viewer(request, false)) }));
  }

  /** GET /auth/api-keys: the live API keys of the accounts the caller sees (the contract has creating and revoking, no list). */
  @Get('api-keys')
  apiKeys(@Req() request: Request, @Res() response: ServerResponse): Promise<void> {
    return this.answer(request, response, async () => ({ apiKeys: await this.identity.apiKeys(await this.viewer(request, false)) }));
  }

  /** POST /auth/totp: a new TOTP secret (and its otpauth:// URI) for the signed-in person, on once confirmed. */
  @Post('totp')
  beginTotp(@Req() request: Request, @Res() response: ServerResponse): Promise<void> {
    return this.answer(request, response, async () => this.people.beginTotp(this.signedIn(await this.sessions.holderOf(request))));
  }

  /** POST /auth/totp/confirm {code}: turns TOTP on with a code of the offered secret. */
  @Post('totp/confirm')
  confirmTotp(@Body() body: unknown, @Req() request: Request, @Res() response: ServerResponse): Promise<void> {
    return this.answer(request, response, async () => ({
      user: await this.people.confirmTotp(this.signedIn(await this.sessions.holderOf(request)), bodyOf(body)),
    }));
  }

  /** POST /auth/totp/disable {code}: turns TOTP off with a current code. */
  @Post('totp/disable')
  disableTotp(@Body() body: unknown, @Req() request: Request, @Res() response: ServerResponse): Promise<void> {
    return this.answer(request, response, async () => ({
      user: await this.people.disableTotp(this.signedIn(await this.sessions.holderOf(request)), bodyOf(body)),
    }));
  }

  private viewer(request: Request, checkCsrf = true): Promise<Viewer> {
    return callerOf(request, this.authenticator, this.sessions, checkCsrf);
  }

  private signedIn(holder: SessionHolder | null | undefined): SessionHolder {
    return signedIn(holder);
  }

  private secure(request: Request): boolean {
    return cookiesSecure(firstHeader(request.headers.host), this.sessions.publicUrl);
  }

  private answer(request: Request, response: ServerResponse, work: () => Promise<Json | undefined>, status = 200): Promise<void> {
    return answerJson({ limits: this.limits, sessions: this.sessions, logger: this.logger }, request, response, work, status);
  }
}
