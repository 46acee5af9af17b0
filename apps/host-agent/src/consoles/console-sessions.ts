import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  AppError, CONSOLE_CHUNK_BYTES, CONSOLE_KEEPALIVE_MS, CONSOLE_KINDS, CONSOLE_PEER_TIMEOUT_MS, CONSOLE_WINDOW_BYTES, ConsoleFrame, consoleFrame, consoleFrameText,
  consoleInputSubject, consoleOutputSubject, isUuid, readConsoleFrame, type AgentReplyOf, type AgentRequestOf,
} from '#libs/contracts';
import { ConcurrencyLimiter } from '#libs/platform';
import type { InstanceFolders } from '../instances/instance-folder.js';
import type { QemuConsoleSocket } from '../instances/qemu.driver.js';
import { SharedConsole, type ConsoleTap } from './console-attachments.js';
import { attachLxcConsole, connectUnixSocket, type ConsoleConnection } from './console-connections.js';

/** Input the console has not taken yet, past which the session ends: a guest that never reads its serial port must not fill the agent's memory. */
const MAX_PENDING_INPUT_BYTES = 1024 * 1024;

/** Where the agent finds an instance's consoles, and how it connects to them (its folders, QEMU's sockets, LXC). */
export interface ConsoleEndpoints {
  folders: InstanceFolders;
  connectSocket(path: string, what: string): Promise<ConsoleConnection>;
  attachContainer(lxcPath: string, name: string): Promise<ConsoleConnection>;
}

export const HOST_CONSOLE_ENDPOINTS = (folders: InstanceFolders): ConsoleEndpoints => ({
  folders,
  connectSocket: connectUnixSocket,
  attachContainer: attachLxcConsole,
});

/**
 * One console session on this host: the console's output to the session's output subject, the
 * gateway's frames from its input subject. Nothing is published before the gateway's first frame
 * (its subscription is in place by then), and never more than CONSOLE_WINDOW_BYTES beyond what it
 * acknowledged: past that the console is not read until it acknowledges more.
 */
class AgentConsoleSession {
  private sent = 0;
  private acked = 0;
  private started = false;
  private readonly waiting: Buffer[] = [];
  private waitingBytes = 0;
  /** Output a console that cannot be held produced while the gateway was a window behind. */
  private dropped = 0;
  private lastHeard = Date.now();
  private lastSent = Date.now();
  private readonly timer: NodeJS.Timeout;
  private subscription: Subscription | undefined;
  private tap: ConsoleTap | undefined;
  private over = false;

  constructor(
    private readonly nats: NatsConnection,
    private readonly subjects: { input: string; output: string },
    private readonly onEnd: (reason: string) => void,
  ) {
    this.timer = setInterval(() => this.tick(), Math.min(1000, CONSOLE_KEEPALIVE_MS)).unref();
  }

  /** Listens to the gateway, then takes the console's tap. */
  start(attach: (listener: { output(chunk: Buffer): void; ended(reason: string): void }) => ConsoleTap): void {
    this.subscription = this.nats.subscribe(this.subjects.input, { callback: (_error, message) => this.heard(message.data) });
    this.tap = attach({ output: (chunk) => this.output(chunk), ended: (reason) => this.end(reason) });
  }

  private output(chunk: Buffer): void {
    if (this.over) return;
    if (this.unacknowledged() >= CONSOLE_WINDOW_BYTES && !this.tap?.canHold) {
      this.dropped += chunk.length;
      return;
    }
    if (this.started) this.publish(chunk);
    else {
      this.waiting.push(chunk);
      this.waitingBytes += chunk.length;
    }
    if (this.unacknowledged() >= CONSOLE_WINDOW_BYTES) this.tap?.hold();
  }

  private unacknowledged(): number {
    return this.sent + this.waitingBytes - this.acked;
  }

  private publish(chunk: Buffer): void {
    for (let at = 0; at < chunk.length; at += CONSOLE_CHUNK_BYTES) {
      this.nats.publish(this.subjects.output, consoleFrame(ConsoleFrame.DATA, chunk.subarray(at, at + CONSOLE_CHUNK_BYTES)));
    }
    this.sent += chunk.length;
    this.lastSent = Date.now();
  }

  private heard(message: Uint8Array): void {
    const frame = readConsoleFrame(message);
    if (!frame || this.over) return;
    this.lastHeard = Date.now();
    switch (frame.type) {
      case ConsoleFrame.DATA:
        this.tap?.write(frame.body);
        if ((this.tap?.pendingInput ?? 0) > MAX_PENDING_INPUT_BYTES) this.end('the console does not take its input');
        return;
      case ConsoleFrame.ACK: {
        const acked = Number(consoleFrameText(frame.body));
        if (Number.isSafeInteger(acked) && acked > this.acked) this.acked = Math.min(acked, this.sent);
        if (!this.started) {
          this.started = true;
          for (const chunk of this.waiting.splice(0)) this.publish(chunk);
          this.waitingBytes = 0;
        }
        if (this.sent - this.acked < CONSOLE_WINDOW_BYTES) {
          if (this.dropped > 0) {
            // Said in the console's own stream, where the gap is.
            this.publish(Buffer.from(`\r\n[awan: ${this.dropped} bytes of console output dropped: the client read too slowly]\r\n`));
            this.dropped = 0;
          }
          this.tap?.release();
        }
        return;
      }
      case ConsoleFrame.KEEPALIVE:
        return;
      case ConsoleFrame.END:
        this.end(consoleFrameText(frame.body) || 'closed by the gateway', false);
    }
  }

  private tick(): void {
    if (Date.now() - this.lastHeard > CONSOLE_PEER_TIMEOUT_MS) this.end(`no word from the gateway for ${CONSOLE_PEER_TIMEOUT_MS / 1000} s`);
    else if (this.started && Date.now() - this.lastSent >= CONSOLE_KEEPALIVE_MS) {
      this.nats.publish(this.subjects.output, consoleFrame(ConsoleFrame.KEEPALIVE));
      this.lastSent = Date.now();
    }
  }

  /** Ends the session once: the gateway is told why (unless it said so itself), and the console is let go. */
  end(reason: string, tell = true): void {
    if (this.over) return;
    this.over = true;
    clearInterval(this.timer);
    if (tell) this.nats.publish(this.subjects.output, consoleFrame(ConsoleFrame.END, reason));
    this.subscription?.unsubscribe();
    this.tap?.detach();
    this.onEnd(reason);
  }
}

/**
 * The most console sessions open at once on one instance: each VNC session is a client of QEMU's
 * own (its buffers in QEMU, which runs as root), and every session holds a subscription, a timer
 * and a window here. A person has a console or two open; more are a tenant's flood.
 */
export const SESSIONS_PER_INSTANCE = 16;

/**
 * The console sessions of this host's instances (`console.open`). A VM's serial port and a
 * container's console take one client at a time: the sessions of one instance share one connection
 * to it. Each VNC session has a connection of its own. Sessions end when their console does (the
 * instance stopped), when the gateway says so or goes silent, and when the agent stops.
 */
export class ConsoleSessions implements OnApplicationShutdown {
  private readonly logger = new Logger('consoles');
  private readonly sessions = new Map<string, AgentConsoleSession>();
  /** The sessions open (or opening) on each instance. */
  private readonly perInstance = new ConcurrencyLimiter(SESSIONS_PER_INSTANCE);
  /** Each instance's shared serial console, while a session has it. */
  private readonly serials = new Map<string, Promise<SharedConsole>>();

  constructor(
    private readonly hostId: string,
    private readonly nats: NatsConnection,
    private readonly endpoints: ConsoleEndpoints,
  ) {}

  async open({ sessionId, instanceId, kind }: AgentRequestOf<'console.open'>): Promise<AgentReplyOf<'console.open'>> {
    if (!isUuid(sessionId)) throw AppError.badInput('sessionId', 'must be a UUID');
    if (!CONSOLE_KINDS.includes(kind)) throw AppError.badInput('kind', `must be one of ${CONSOLE_KINDS.join(', ')}`);
    if (this.sessions.has(sessionId)) return { sessionId };
    // Counted before anything is connected, so that a burst of opens cannot each find room.
    const release = this.perInstance.take(instanceId);
    if (!release) throw AppError.conflict(`instance ${instanceId} has ${SESSIONS_PER_INSTANCE} console sessions open, the most it may: close one first`);
    try {
      const spec = isUuid(instanceId) ? await this.endpoints.folders.readOwnSpec(instanceId) : null;
      if (!spec) throw AppError.notFound(`instance ${instanceId} on this host`);
      if (kind === 'VNC' && spec.kind !== 'VM') throw AppError.badInput('kind', 'VNC is a VM\'s display: a container has a SERIAL console only');
      const console = kind === 'VNC'
        ? new SharedConsole(await this.connectVm(instanceId, 'vnc.sock', 'VNC display'), { canHold: true, linger: false })
        : await this.serial(instanceId, spec.kind);
      const session = new AgentConsoleSession(
        this.nats,
        { input: consoleInputSubject(this.hostId, sessionId), output: consoleOutputSubject(this.hostId, sessionId) },
        (reason) => {
          this.sessions.delete(sessionId);
          release();
          this.logger.log(`console session ${sessionId} of ${instanceId} (${kind}) ended: ${reason}`);
        },
      );
      this.sessions.set(sessionId, session);
      session.start((listener) => console.attach(listener));
      return { sessionId };
    } catch (error) {
      release();
      throw error;
    }
  }

  private connectVm(instanceId: string, socket: QemuConsoleSocket, what: string): Promise<ConsoleConnection> {
    return this.endpoints.folders.runtimeFile(instanceId, socket).then((path) => this.endpoints.connectSocket(path, what));
  }

  /**
   * The instance's serial console, shared: the first session connects. A VM's is closed when the last
   * session leaves; a container's stays until the container stops (see SharedConsoleOptions).
   */
  private serial(instanceId: string, kind: 'VM' | 'CONTAINER'): Promise<SharedConsole> {
    const known = this.serials.get(instanceId);
    if (known) return known;
    const forget = () => {
      if (this.serials.get(instanceId) === shared) this.serials.delete(instanceId);
    };
    const shared: Promise<SharedConsole> = kind === 'VM'
      ? this.connectVm(instanceId, 'serial.sock', 'serial console').then((connection) => new SharedConsole(connection, { canHold: true, linger: false, onGone: forget }))
      : this.endpoints.attachContainer(this.endpoints.folders.root, instanceId).then((connection) => new SharedConsole(connection, { canHold: false, linger: true, onGone: forget }));
    this.serials.set(instanceId, shared);
    shared.catch(forget);
    return shared;
  }

  /** The number of sessions open on this host (for tests and the bench). */
  get size(): number {
    return this.sessions.size;
  }

  async onApplicationShutdown(): Promise<void> {
    for (const session of [...this.sessions.values()]) session.end('the host agent stopped');
    for (const shared of [...this.serials.values()]) (await shared.catch(() => null))?.close();
  }
}
