import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoggerService } from '@nestjs/common';
import { AppError } from '#libs/contracts';
import type { Authenticator } from '../auth/authenticator.js';
import type { RequestLimits } from '../auth/request-limits.js';
import { authenticated } from '../graphql/gateway-context.js';
import { firstHeader, isJson, sendAppError, sendError, sendRefusal } from '../graphql/http-requests.js';
import { refuseUnstorableStrings } from '../graphql/resolver-guard.js';
import type { Viewer } from '../identity/identity.js';
import type { SessionHolder } from './people.js';
import type { SessionAuth } from './session-auth.js';
import { sameOrigin } from './session-cookies.js';

/** A request as Express hands it on: `params` are its path's, decoded (`/store/:slug`). */
export type JsonRequest = IncomingMessage & { ip?: string; body?: unknown; params?: Record<string, string> };
export type Json = Record<string, unknown>;

export const bodyOf = (body: unknown): Json => (body && typeof body === 'object' && !Array.isArray(body) ? (body as Json) : {});

/** What the REST endpoints beside /graphql (/auth, /store) are framed by. */
export interface JsonEndpoints {
  limits: RequestLimits;
  sessions: SessionAuth;
  logger: LoggerService;
}

/**
 * One endpoint's frame: JSON bodies only (415), the gateway's own origin only (403), a token of the
 * caller's rate (its address's: most come before a key or session is known), then the work's answer
 * as JSON with `status`, or its error. `work` answering undefined has answered itself.
 */
export async function answerJson(endpoints: JsonEndpoints, request: JsonRequest, response: ServerResponse, work: () => Promise<Json | undefined>, status = 200): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://gateway');
  const path = url.pathname.split('/')[1];
  try {
    if (request.method === 'POST' && !isJson(firstHeader(request.headers['content-type']))) {
      return sendError(response, 415, { message: `content-type: /${path} takes a POST of application/json`, code: 'BAD_REQUEST' });
    }
    if (!sameOrigin(firstHeader(request.headers.origin), firstHeader(request.headers.host), endpoints.sessions.publicUrl)) {
      throw new AppError('FORBIDDEN', `origin: /${path} answers the gateway's own origin only`);
    }
    const limited = endpoints.limits.takeToken(undefined, request.ip);
    if (limited) return sendRefusal(response, limited);
    // As GraphQL's arguments are: PostgreSQL would refuse such a string with an error of its own.
    for (const [name, value] of [...Object.entries(request.params ?? {}), ...url.searchParams]) refuseUnstorableStrings(value, name);
    for (const [name, value] of Object.entries(bodyOf(request.body))) refuseUnstorableStrings(value, name);
    const answer = await work();
    if (answer === undefined) return;
    // Nest has set a POST's 201 already: each endpoint says its own.
    response.statusCode = status;
    response.setHeader('content-type', 'application/json; charset=utf-8');
    response.setHeader('cache-control', 'no-store');
    response.end(JSON.stringify(answer));
  } catch (error) {
    sendAppError(response, error, endpoints.logger);
  }
}

/** The caller: an API key (Authorization) or else a signed-in person (cookie and, unless `checkCsrf` is false, CSRF token); UNAUTHENTICATED without. */
export async function callerOf(request: JsonRequest, authenticator: Authenticator, sessions: SessionAuth, checkCsrf = true): Promise<Viewer> {
  if (request.headers.authorization) return authenticated(await authenticator.viewerOf(request.headers.authorization, request.ip));
  const holder = await sessions.holderOf(request, { checkCsrf });
  if (holder === undefined) throw new AppError('UNAUTHENTICATED', 'no API key and no session: send Authorization: Bearer <secret>, or sign in');
  return signedIn(holder).viewer;
}

export function signedIn(holder: SessionHolder | null | undefined): SessionHolder {
  if (!holder) throw new AppError('UNAUTHENTICATED', holder === null ? 'the session ended or expired: sign in again' : 'not signed in');
  return holder;
}
