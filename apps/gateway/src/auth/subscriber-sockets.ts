import { randomUUID } from 'node:crypto';
import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { GraphQLError } from 'graphql';
import type { WebSocket } from 'ws';
import { AppError } from '#libs/contracts';
import { isTransientDatabaseError } from '#libs/event-store';
import { ConcurrencyLimiter } from '#libs/platform';
import type { Identity, Viewer } from '../identity/identity.js';

/** graphql-ws's close codes: the key no longer authenticates; the account may not listen; the gateway failed. */
const UNAUTHORIZED = 4401;
const FORBIDDEN = 4403;
const INTERNAL_SERVER_ERROR = 4500;
/** graphql-ws's own for too many: its clients do not open the socket again. */
const TOO_MANY = 4429;

/** The most graphql-ws sockets a key (or a signed-in person's session) holds open on a replica: a page holds one. */
export const SOCKETS_PER_KEY = 50;
/** WebSocket's own "Try Again Later" (RFC 6455): graphql-ws clients open the socket again, as they do not after 4401 or 4500. */
const TRY_AGAIN_LATER = 1013;

const logger = new Logger('graphql');

/** Why a key may hold no socket: its revocation, or its account's status; null while it may. */
export function closingOf(standing: { revoked: boolean; accountStatus: string } | undefined): { code: number; reason: string } | null {
  if (!standing || standing.revoked) return { code: UNAUTHORIZED, reason: standing ? 'Unauthorized: the API key was revoked, or the session ended' : 'Unauthorized: no such API key or session' };
  if (standing.accountStatus === 'SUSPENDED' || standing.accountStatus === 'CLOSED') {
    return { code: FORBIDDEN, reason: `Forbidden: the account is ${standing.accountStatus}` };
  }
  return null;
}

/** A close frame's reason is at most 123 bytes. */
export function shortReason(reason: string): string {
  const bytes = Buffer.from(reason);
  return bytes.length <= 123 ? reason : `${bytes.subarray(0, 120).toString('utf8').replace(/\uFFFD+$/, '')}...`;
}

function refusalOf(error: unknown): { code: number; reason: string } {
  if (error instanceof GraphQLError && error.extensions.code === 'RATE_LIMITED') return { code: TRY_AGAIN_LATER, reason: `Try again later: ${error.message}` };
  if (error instanceof GraphQLError || error instanceof AppError) return { code: FORBIDDEN, reason: `Forbidden: ${error.message}` };
  if (isTransientDatabaseError(error)) return { code: TRY_AGAIN_LATER, reason: "Try again later: the gateway's database is busy or away" };
  return { code: INTERNAL_SERVER_ERROR, reason: `Internal server error (correlation id ${loggedFault(logger, 'a subscriber socket', error)})` };
}

/** Logs a fault in opening a socket (`opening` what) under a new correlation id, which its close reason names for the operator. */
export function loggedFault(logger: Pick<Logger, 'error'>, opening: string, error: unknown): string {
  const correlationId = randomUUID();
  logger.error({ msg: `internal error in opening ${opening}`, correlationId, err: error });
  return correlationId;
}

/**
 * The graphql-ws sockets open on this replica and the key each was opened with. Every `checkEveryMs`
 * from the application's start to its shutdown, one query reads the standing of their keys (revoked,
 * or its account SUSPENDED or CLOSED) and closes the sockets of those that lost it; a revocation on
 * another replica reaches them this way too.
 */
export class SubscriberSockets implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly sockets = new Map<WebSocket, string>();
  /** Who each admitted graphql-ws socket is, and how many each key holds. */
  private readonly viewers = new WeakMap<WebSocket, Viewer>();
  private readonly perKey = new ConcurrencyLimiter(SOCKETS_PER_KEY);
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(
    private readonly identity: Identity,
    private readonly options: { checkEveryMs: number; onCheckError: (error: Error) => void },
  ) {}

  /**
   * Opens a socket to `caller` (its key's or session's check) where it has a live key of an account
   * that may listen, and keeps it to close when either changes. Else closes it saying why: as closingOf
   * does, 4403 for a refused session (another origin, not its CSRF token), 1013 where the check could not
   * be made now (the gateway's database busy or away: the key may be good; or the address has looked up
   * too many unknown keys), 4429 for one more than SOCKETS_PER_KEY, and 4500 for a fault, logged.
   */
  async admit(socket: WebSocket, caller: Promise<Viewer | null | undefined>): Promise<boolean> {
    let refusal: { code: number; reason: string } | null;
    let viewer: Viewer | null | undefined;
    try {
      viewer = await caller;
      refusal = closingOf(viewer ? { revoked: false, accountStatus: viewer.accountStatus } : undefined);
    } catch (error) {
      refusal = refusalOf(error);
    }
    const release = refusal ? null : this.perKey.take(viewer!.apiKeyId);
    if (!refusal && !release) refusal = { code: TOO_MANY, reason: `Too many sockets: this key holds ${SOCKETS_PER_KEY} open on this gateway` };
    if (refusal) {
      socket.close(refusal.code, shortReason(refusal.reason));
      return false;
    }
    this.add(socket, viewer!.apiKeyId);
    this.viewers.set(socket, viewer!);
    socket.once('close', release!);
    return true;
  }

  /** Who an admitted socket was opened by. */
  viewerOf(socket: WebSocket): Viewer | undefined {
    return this.viewers.get(socket);
  }

  add(socket: WebSocket, apiKeyId: string): void {
    this.sockets.set(socket, apiKeyId);
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** Closes the sockets whose key lost its standing; one check at a time. */
  check(): Promise<void> {
    this.checking ??= this.closeLost()
      .catch(this.options.onCheckError) // the next check tries again
      .finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async closeLost(): Promise<void> {
    if (this.sockets.size === 0) return;
    const standings = await this.identity.keyStandings([...new Set(this.sockets.values())]);
    for (const [socket, apiKeyId] of this.sockets) {
      const closing = closingOf(standings.get(apiKeyId));
      if (!closing) continue;
      this.sockets.delete(socket);
      socket.close(closing.code, closing.reason);
    }
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.check(), this.options.checkEveryMs).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
