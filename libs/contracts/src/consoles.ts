/**
 * Consoles: a browser's WebSocket on the gateway, bridged over NATS to the host agent that holds the
 * instance, per session on subjects of that host's own (`agent.<hostId>.console.<sessionId>.*`), so NATS
 * lets a host's credentials carry only its own sessions, and no browser ever reaches a host.
 */

/** SERIAL: a VM's serial port or a container's console; VNC: a VM's display (RFB). */
export type ConsoleKind = 'SERIAL' | 'VNC';
export const CONSOLE_KINDS: readonly ConsoleKind[] = ['SERIAL', 'VNC'];

/** What the agent sends the session's browser: the console's bytes, and its own frames (end, keepalive). */
export const consoleOutputSubject = (hostId: string, sessionId: string) => `agent.${hostId}.console.${sessionId}.out`;
/** What the gateway sends the agent: the browser's bytes, and its own frames (acknowledgements, keepalive, end). */
export const consoleInputSubject = (hostId: string, sessionId: string) => `agent.${hostId}.console.${sessionId}.in`;

/** The first byte of every message on a session's subjects. */
export const ConsoleFrame = {
  /** The console's bytes (either way). */
  DATA: 0,
  /** Gateway → agent: how many bytes of output it has delivered to the browser so far (decimal text). */
  ACK: 1,
  /** Either way, when nothing else was sent for a while: the other side is still there. */
  KEEPALIVE: 2,
  /** Either way: the session is over, and why (text). */
  END: 3,
} as const;
export type ConsoleFrameType = (typeof ConsoleFrame)[keyof typeof ConsoleFrame];

/**
 * Output the agent sends beyond what the gateway acknowledged: past it the agent stops reading the
 * console (flow control), or, for a console that must always be read (LXC's), drops what it reads.
 * A megabyte: on a busy 2-core host, a container printing 16 MB flat out (read there at 3–18 MB/s)
 * lost part of it in every bench:consoles run at 256 KiB, in under half of them at 1 MiB.
 */
export const CONSOLE_WINDOW_BYTES = 1024 * 1024;
/** The largest message on a session's subjects: well under NATS's 1 MB default. */
export const CONSOLE_CHUNK_BYTES = 64 * 1024;
/** Each side sends a keepalive when it sent nothing else for this long… */
export const CONSOLE_KEEPALIVE_MS = 5_000;
/** …and ends a session whose other side sent nothing for this long (a gateway or an agent that died). */
export const CONSOLE_PEER_TIMEOUT_MS = 20_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One message of a session: its type, then its body. */
export function consoleFrame(type: ConsoleFrameType, body: Uint8Array | string = new Uint8Array(0)): Uint8Array {
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  const frame = new Uint8Array(bytes.length + 1);
  frame[0] = type;
  frame.set(bytes, 1);
  return frame;
}

/** A message's type and body; null for one that is not a frame (empty, or of an unknown type). */
export function readConsoleFrame(message: Uint8Array): { type: ConsoleFrameType; body: Uint8Array } | null {
  if (message.length === 0 || message[0] > ConsoleFrame.END) return null;
  return { type: message[0] as ConsoleFrameType, body: message.subarray(1) };
}

export const consoleFrameText = (body: Uint8Array) => decoder.decode(body);

/** ConsoleOpened: who opened which kind of console (an event of the instance's stream, in its history). */
export interface ConsoleOpenedData {
  sessionId: string;
  kind: ConsoleKind;
  accountId: string;
  role: string;
  apiKeyId: string;
}

/** ConsoleClosed: how long the session lasted, and why it ended. */
export interface ConsoleClosedData {
  sessionId: string;
  kind: ConsoleKind;
  durationMs: number;
  reason: string;
}
