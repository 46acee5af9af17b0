import type { ConsoleConnection } from './console-connections.js';

/** What a session hears from the console it is attached to. */
export interface ConsoleTapListener {
  output(chunk: Buffer): void;
  ended(reason: string): void;
}

/** A session's hold on a console: its input, and its say in whether the console is read (flow control). */
export interface ConsoleTap {
  write(data: Uint8Array): void;
  /** Bytes written and not yet taken by the console: a console that does not read its input fills this. */
  readonly pendingInput: number;
  /** Whether hold() stops the console's output; where it cannot, a session that can take no more drops it. */
  readonly canHold: boolean;
  /** This session can take no more output for now: the console is not read until it can. */
  hold(): void;
  release(): void;
  detach(): void;
}

export interface SharedConsoleOptions {
  /**
   * Whether the console may be left unread while a session catches up. Not LXC's: its monitor
   * writes a console's output to the client in a blocking write, so an unread client stalls the
   * monitor (lxc-info, lxc-stop), and one that leaves mid-write stalls it for good.
   */
  canHold: boolean;
  /**
   * Whether the connection stays when the last session leaves, until the console ends by itself
   * (the instance stopped): LXC's console client is never ended while its monitor may be writing to
   * it (Proxmox keeps its lxc-console under dtach for the same reason).
   */
  linger: boolean;
  /** The connection ended, or was closed. */
  onGone?: () => void;
}

/**
 * One connection to a console, shared by the sessions attached to it: each hears all of its output,
 * and each may type. Where it may, it is read while no session holds it (the slowest session sets the
 * pace); it is closed when the last session leaves, unless it lingers.
 */
export class SharedConsole {
  private readonly taps = new Map<ConsoleTap, { listener: ConsoleTapListener; held: boolean }>();
  private holds = 0;
  private over: string | null = null;

  constructor(
    private readonly connection: ConsoleConnection,
    private readonly options: SharedConsoleOptions,
  ) {
    connection.output.on('data', (chunk: Buffer) => {
      for (const { listener } of this.taps.values()) listener.output(chunk);
    });
    connection.output.resume();
    void connection.ended.then((reason) => {
      this.over = reason;
      this.options.onGone?.();
      for (const { listener } of [...this.taps.values()]) listener.ended(reason);
    });
  }

  /** A new session's tap; a console that has ended tells it so at once. */
  attach(listener: ConsoleTapListener): ConsoleTap {
    const entry = { listener, held: false };
    const { canHold } = this.options;
    const setHeld = (held: boolean) => {
      if (!canHold || entry.held === held || !this.taps.has(tap)) return;
      entry.held = held;
      this.holds += held ? 1 : -1;
      if (this.holds === 0) this.connection.output.resume();
      else this.connection.output.pause();
    };
    const input = this.connection.input;
    const tap: ConsoleTap = {
      write: (data) => {
        input.write(data);
      },
      get pendingInput() {
        return input.writableLength;
      },
      canHold,
      hold: () => setHeld(true),
      release: () => setHeld(false),
      detach: () => {
        setHeld(false);
        if (this.taps.delete(tap) && this.taps.size === 0 && !this.options.linger) this.close();
      },
    };
    this.taps.set(tap, entry);
    if (this.over !== null) queueMicrotask(() => listener.ended(this.over!));
    return tap;
  }

  /** Ends the connection (the agent stops, or the last session left a console that does not linger). */
  close(): void {
    this.connection.close();
    this.options.onGone?.();
  }
}
