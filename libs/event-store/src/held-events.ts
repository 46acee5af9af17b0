/** What held-events needs of a JetStream message. */
export interface HeldMessage {
  /** Gives it back for redelivery, to this replica or another. */
  nak(): void;
  /** Restarts its ack wait. */
  working(): void;
}

interface Turn<M> {
  msg: M;
  /** Set while it waits for a slot: resumes it, begun (true) or given back (false). */
  resume?: (begun: boolean) => void;
}

/**
 * The events one replica of a consumer holds, and when each is handled: at most `concurrency` at
 * once, the events of one stream one after another, in the order they came. It holds the events of
 * at most twice its concurrency streams (one batch running, the next ready): other replicas take the
 * rest of a backlog, and a stuck handler keeps few events from them. A stream's later events, which
 * must wait for its first wherever they are, take no room: a slow stream never holds the others back.
 * Stopping gives back at once what has not begun.
 */
export class HeldEvents<M extends HeldMessage> {
  private readonly held = new Set<Turn<M>>();
  /** Turns whose stream's earlier events are done, waiting for a slot, in the order they came. */
  private readonly waiting: Turn<M>[] = [];
  /** The last held event's run of each stream with events held: its size is the streams held. */
  private readonly lastOfStream = new Map<string, Promise<void>>();
  private busy = 0;
  private stopping = false;
  private wakeTaker: (() => void) | null = null;

  /** `onError` hears what `work` threw, and of which message: it was not settled and will be redelivered. */
  constructor(
    private readonly concurrency: number,
    private readonly onError: (error: Error, msg: M) => void,
  ) {}

  /** How many more events it may take now: as many as it has room for streams. */
  get room(): number {
    return 2 * this.concurrency - this.lastOfStream.size;
  }

  /** Resolves once at most half of its room is taken (or it stops), so the next take is a batch. */
  async roomToTake(): Promise<void> {
    while (!this.stopping && this.lastOfStream.size > this.concurrency) await new Promise<void>((resolve) => (this.wakeTaker = resolve));
  }

  /** Holds `msg` until `work` has run in its turn, or until it is given back. */
  take(msg: M, stream: string, work: () => Promise<void>): void {
    const turn: Turn<M> = { msg };
    this.held.add(turn);
    const run = (this.lastOfStream.get(stream) ?? Promise.resolve())
      .then(() => this.slot(turn))
      .then(async (begun) => {
        // Given back: for redelivery, to this replica or another.
        if (!begun) return attempt(() => msg.nak());
        try {
          await work();
        } finally {
          this.release();
        }
      })
      .catch((error: Error) => this.onError(error, msg))
      .finally(() => {
        this.held.delete(turn);
        if (this.lastOfStream.get(stream) !== run) return; // the stream has later events held
        this.lastOfStream.delete(stream);
        if (this.lastOfStream.size <= this.concurrency) this.wakeTaker?.();
      });
    this.lastOfStream.set(stream, run);
  }

  /** Restarts the ack wait of everything held, running or waiting its turn. */
  keepAlive(): void {
    // A closed connection ends the consumption; what it held is redelivered after its ack wait.
    for (const turn of this.held) attempt(() => turn.msg.working());
  }

  /**
   * Gives back at once every event waiting for a slot, and each later event of a stream as soon as
   * the one before it ends (so another replica never handles it first). Resolves when all are settled.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const turn of this.waiting.splice(0)) turn.resume!(false);
    this.wakeTaker?.();
    await Promise.all(this.lastOfStream.values());
  }

  private slot(turn: Turn<M>): Promise<boolean> | boolean {
    if (this.stopping) return false;
    if (this.busy < this.concurrency) {
      this.busy++;
      return true;
    }
    return new Promise((resolve) => {
      turn.resume = resolve;
      this.waiting.push(turn);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next.resume!(true);
    else this.busy--;
  }
}

function attempt(action: () => void): void {
  try {
    action();
  } catch {
    // The connection closed: the server redelivers after the ack wait.
  }
}
