import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { WebSocket } from 'ws';
import type { Identity } from '../identity/identity.js';

/** graphql-ws's close codes: the key no longer authenticates; the account may not listen. */
const UNAUTHORIZED = 4401;
const FORBIDDEN = 4403;

/** Why a key may hold no socket: its revocation, or its account's status; null while it may. */
export function closingOf(standing: { revoked: boolean; accountStatus: string } | undefined): { code: number; reason: string } | null {
  if (!standing || standing.revoked) return { code: UNAUTHORIZED, reason: standing ? 'Unauthorized: the API key was revoked, or the session ended' : 'Unauthorized: no such API key or session' };
  if (standing.accountStatus === 'SUSPENDED' || standing.accountStatus === 'CLOSED') {
    return { code: FORBIDDEN, reason: `Forbidden: the account is ${standing.accountStatus}` };
  }
  return null;
}

/**
 * The graphql-ws sockets open on this replica and the key each was opened with. Every `checkEveryMs`
 * from the application's start to its shutdown, one query reads the standing of their keys (revoked,
 * or its account SUSPENDED or CLOSED) and closes the sockets of those that lost it; a revocation on
 * another replica reaches them this way too.
 */
export class SubscriberSockets implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly sockets = new Map<WebSocket, string>();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(
    private readonly identity: Identity,
    private readonly options: { checkEveryMs: number; onCheckError: (error: Error) => void },
  ) {}

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
