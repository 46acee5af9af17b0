import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  AppError, CONSOLE_CHUNK_BYTES, CONSOLE_KEEPALIVE_MS, CONSOLE_PEER_TIMEOUT_MS, ConsoleFrame, consoleFrame, consoleFrameText,
  consoleInputSubject, consoleOutputSubject, PLATFORM_SCOPE, readConsoleFrame, type Caller, type InstanceStatus, type InstanceView,
} from '#libs/contracts';
import { isTransientDatabaseError } from '#libs/event-store';
import type { ServiceClient } from '#libs/messaging';
import { closingOf, loggedFault, shortReason, type SubscriberSockets } from '../auth/subscriber-sockets.js';
import type { Identity } from '../identity/identity.js';
import type { InstanceUpdates } from '../instances/instance-updates.js';
import { CONSOLE_PATH, type ConsoleGrant, type ConsoleTokens } from './console-tokens.js';

/** Close codes a console's client sees, beside the WebSocket's own (1000 the console ended, 1001 going away, 1011 an error). */
export const CONSOLE_CLOSE = {
  /** The token is unknown, used or expired, or the key that opened the console was revoked (as SubscriberSockets says). */
  UNAUTHORIZED: 4401,
  /** The instance is not (or no longer) running. */
  CONFLICT: 4409,
  /** No traffic either way for the idle timeout. */
  IDLE: 4408,
} as const;

/** The statuses a console stays open through: the guest runs on, in the same place. Any other (stopping, deleted, moving) ends it. */
const KEEPS_CONSOLE: readonly InstanceStatus[] = ['RUNNING', 'REBOOTING', 'RESIZING'];
/** The largest message a browser may send: more than any keystroke or RFB message, bounded (a paste is split below it). */
const MAX_CLIENT_MESSAGE_BYTES = 1024 * 1024;
/** How long compute has to record the opening and have the host attach it. */
const OPEN_TIMEOUT_MS = 20_000;

export interface ConsoleSocketsOptions {
  idleTimeoutMs: number;
  /** How often the sessions check their idle time and their host's keepalives. */
  tickMs?: number;
}

/**
 * The consoles' WebSocket endpoint, `/consoles/<token>`, on the gateway's HTTP server beside the
 * API. A socket redeems its token (single use, before it expires, any replica: the token is in the
 * database), then its session is opened through compute (recorded in the instance's history, attached
 * by the instance's host) and bridged: the browser's frames to the host, the console's bytes back,
 * over NATS on the session's subjects (consoles.ts), never more than a window ahead of what reached
 * the browser. It closes when the instance stops or goes, after the idle timeout, when the key that
 * opened it is revoked or its account suspended (SubscriberSockets), and when the console ends.
 */
export class ConsoleSockets implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('consoles');
  private readonly server = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
    perMessageDeflate: false,
    // noVNC asks for websockify's `binary` subprotocol (older versions) or none.
    handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : false),
  });
  private readonly sessions = new Set<GatewayConsoleSession>();

  constructor(
    private readonly httpServer: () => Server,
    private readonly parts: {
      tokens: ConsoleTokens;
      identity: Identity;
      sockets: SubscriberSockets;
      updates: InstanceUpdates;
      client: ServiceClient;
      nats: NatsConnection;
    },
    private readonly options: ConsoleSocketsOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.httpServer().on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = request.url ?? '';
      // Other paths are the API's own (graphql-ws on /graphql).
      if (!url.startsWith(CONSOLE_PATH)) return;
      this.server.handleUpgrade(request, socket, head, (ws) => {
        const session = new GatewayConsoleSession(ws, this.parts, this.options, this.logger);
        this.sessions.add(session);
        void session.run(url.slice(CONSOLE_PATH.length).split('?')[0]).finally(() => this.sessions.delete(session));
      });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.sessions].map((session) => session.close(1001, 'the gateway is shutting down')));
  }
}

/** One browser's console session on this replica, from its token to its end. */
class GatewayConsoleSession {
  private grant: ConsoleGrant | null = null;
  private readonly sessionId = randomUUID();
  private hostId = '';
  private opened = 0;
  private subscription: Subscription | undefined;
  private watch: AsyncIterableIterator<{ instanceUpdated: InstanceView }> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Output bytes handed to the browser's socket, and the count last acknowledged to the host. */
  private delivered = 0;
  private acknowledged = 0;
  private lastTraffic = Date.now();
  private lastHeard = Date.now();
  private lastSent = Date.now();
  private ended: Promise<void> | undefined;
  private endedByHost = false;
  /** Compute was asked to open the session: its end is recorded whatever became of the asking. */
  private asked = false;
  /** Why this side closed the socket, when it did. */
  private closing: string | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly parts: ConsoleSockets['parts'],
    private readonly options: ConsoleSocketsOptions,
    private readonly logger: Logger,
  ) {}

  async run(token: string): Promise<void> {
    // Nothing the browser sends is read before its session is open.
    this.ws.pause();
    const closed = new Promise<{ code: number; reason: string }>((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    try {
      await this.open(token);
    } catch (error) {
      const { code, reason } = consoleRefusalOf(error, this.logger);
      await this.close(code, reason);
    }
    const { code, reason } = await closed;
    await this.finish(this.closing ?? (reason || closeMeaning(code)));
  }

  private async open(token: string): Promise<void> {
    this.grant = await this.parts.tokens.redeem(token);
    if (!this.grant) throw new Refusal(CONSOLE_CLOSE.UNAUTHORIZED, 'the console token is unknown, used or expired: open the console again');
    const standing = closingOf((await this.parts.identity.keyStandings([this.grant.apiKeyId])).get(this.grant.apiKeyId));
    if (standing) throw new Refusal(standing.code, standing.reason);
    // From here on the key's revocation, or its account's suspension, closes the socket (within API_KEY_CACHE_MS).
    this.parts.sockets.add(this.ws, this.grant.apiKeyId);
    const instance = await this.parts.client.call('compute.instance.get', { accountIds: PLATFORM_SCOPE, id: this.grant.instanceId });
    if (!instance || !KEEPS_CONSOLE.includes(instance.status) || !instance.hostId) {
      throw new Refusal(CONSOLE_CLOSE.CONFLICT, `the instance is ${instance?.status ?? 'gone'}: a console needs it RUNNING`);
    }
    this.hostId = instance.hostId;
    this.watchInstance(instance.id);
    // Listening before the host is asked: the host sends nothing before our first acknowledgement anyway.
    this.subscription = this.parts.nats.subscribe(consoleOutputSubject(this.hostId, this.sessionId), { callback: (_error, message) => this.fromHost(message.data) });
    this.asked = true;
    const { hostId } = await this.parts.client.call('compute.instance.console.open', { ...this.caller(), id: instance.id, sessionId: this.sessionId, kind: this.grant.kind, apiKeyId: this.grant.apiKeyId }, OPEN_TIMEOUT_MS);
    this.opened = Date.now();
    if (hostId !== this.hostId) throw new Refusal(1013, 'the instance moved to another host meanwhile: open the console again');
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.toHost(consoleFrame(ConsoleFrame.ACK, '0'));
    this.ws.on('message', (data: RawData) => this.fromBrowser(data));
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? 1000);
    this.ws.resume();
  }

  /** The session's own actor: the key's account in its role, as when it opened the console. */
  private caller(): Caller {
    return { accountIds: PLATFORM_SCOPE, metadata: { correlationId: this.sessionId, causationId: null, actor: { kind: 'account', accountId: this.grant!.accountId, role: this.grant!.role } } };
  }

  private watchInstance(instanceId: string): void {
    this.watch = this.parts.updates.subscribe({ accountIds: PLATFORM_SCOPE }, instanceId);
    void (async () => {
      for await (const { instanceUpdated } of this.watch!) {
        if (!KEEPS_CONSOLE.includes(instanceUpdated.status)) {
          await this.close(CONSOLE_CLOSE.CONFLICT, `the instance is ${instanceUpdated.status}`);
          return;
        }
      }
    })();
  }

  private fromBrowser(data: RawData): void {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    this.lastTraffic = Date.now();
    for (let at = 0; at < bytes.length; at += CONSOLE_CHUNK_BYTES) this.toHost(consoleFrame(ConsoleFrame.DATA, bytes.subarray(at, at + CONSOLE_CHUNK_BYTES)));
  }

  private fromHost(message: Uint8Array): void {
    const frame = readConsoleFrame(message);
    if (!frame) return;
    this.lastHeard = Date.now();
    switch (frame.type) {
      case ConsoleFrame.DATA: {
        this.lastTraffic = Date.now();
        const length = frame.body.length;
        // Acknowledged once the socket took it (a browser that reads slowly holds the host back, not this replica's
        // memory), every chunk's worth: the host hears of room well before its window is full.
        this.ws.send(Buffer.from(frame.body), { binary: true }, (error) => {
          if (error) return;
          this.delivered += length;
          if (this.delivered - this.acknowledged >= CONSOLE_CHUNK_BYTES) this.acknowledge();
        });
        return;
      }
      case ConsoleFrame.END:
        this.endedByHost = true;
        void this.close(1000, consoleFrameText(frame.body) || 'the console ended');
        return;
      default:
        return;
    }
  }

  private acknowledge(): void {
    this.acknowledged = this.delivered;
    this.toHost(consoleFrame(ConsoleFrame.ACK, String(this.delivered)));
  }

  private toHost(frame: Uint8Array): void {
    this.parts.nats.publish(consoleInputSubject(this.hostId, this.sessionId), frame);
    this.lastSent = Date.now();
  }

  private tick(): void {
    const now = Date.now();
    if (now - this.lastTraffic >= this.options.idleTimeoutMs) {
      void this.close(CONSOLE_CLOSE.IDLE, `no traffic for ${Math.round(this.options.idleTimeoutMs / 1000)} s`);
    } else if (now - this.lastHeard >= CONSOLE_PEER_TIMEOUT_MS) {
      void this.close(1011, `the instance's host has not answered for ${CONSOLE_PEER_TIMEOUT_MS / 1000} s`);
    } else if (now - this.lastSent >= CONSOLE_KEEPALIVE_MS) {
      // The latest count rides along: a keepalive is an acknowledgement too.
      this.acknowledge();
    }
  }

  /** Closes the browser's socket (once); `finish` follows from its close event. */
  close(code: number, reason: string): Promise<void> {
    this.closing ??= reason;
    if (this.ws.readyState === this.ws.CONNECTING || this.ws.readyState === this.ws.OPEN) this.ws.close(code, shortReason(reason));
    else if (this.ws.readyState !== this.ws.CLOSED) this.ws.terminate();
    return this.ended ?? Promise.resolve();
  }

  /** Lets go of everything the session held, tells the host, and has compute record how long it lasted and why. */
  private finish(reason: string): Promise<void> {
    this.ended ??= (async () => {
      clearInterval(this.timer);
      await this.watch?.return?.();
      if (this.opened && !this.endedByHost) this.toHost(consoleFrame(ConsoleFrame.END, reason));
      this.subscription?.unsubscribe();
      if (!this.asked) return;
      const durationMs = this.opened ? Date.now() - this.opened : 0;
      await this.parts.client
        .call('compute.instance.console.close', { ...this.caller(), id: this.grant!.instanceId, sessionId: this.sessionId, durationMs, reason })
        .catch((error: Error) => this.logger.warn(`console session ${this.sessionId} not recorded closed: ${error.message}`));
    })();
    return this.ended;
  }
}

/** A reason to refuse a socket, with the close code the client sees. */
class Refusal extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Why a socket closed, for its history, where the close frame gave no reason. */
function closeMeaning(code: number): string {
  if (code === 4401) return 'the key that opened it was revoked';
  if (code === 4403) return "the key's account may not hold it (suspended or closed)";
  return `the client closed it (${code})`;
}

/**
 * How a console that could not be opened closes: a refusal with its own code, an instance that is not
 * running 4409, what may open when asked again (a service, or the gateway's database, busy or away)
 * 1013, Try Again Later; anything else is a fault, 1011, logged where the operator finds it.
 */
export function consoleRefusalOf(error: unknown, logger: Pick<Logger, 'error'>): { code: number; reason: string } {
  if (error instanceof Refusal) return { code: error.code, reason: error.message };
  if (error instanceof AppError) {
    if (error.code === 'CONFLICT' || error.code === 'NOT_FOUND') return { code: CONSOLE_CLOSE.CONFLICT, reason: error.message };
    return { code: error.code === 'UNAVAILABLE' ? 1013 : 1011, reason: error.message };
  }
  if (isTransientDatabaseError(error)) return { code: 1013, reason: "the gateway's database is busy or away: open the console again" };
  return { code: 1011, reason: `the console could not be opened (correlation id ${loggedFault(logger, 'a console', error)})` };
}
