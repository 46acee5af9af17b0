/**
 * A SERIAL console's WebSocket as the gateway serves it (README, "Consoles"): the console's bytes
 * both ways in binary frames; flow control is the gateway's (it acknowledges to the host what this
 * socket took), so the page only writes what comes and sends what is typed.
 */

/** Close codes the gateway gives beside the WebSocket's own (apps/gateway/src/consoles/console-sockets.ts). */
const MEANINGS: Record<number, string> = {
  4401: 'the console link was used or expired, or your session ended: open the console again',
  4403: 'your account may not open consoles now (suspended or closed)',
  4408: 'it was idle for too long: open it again',
  4409: 'the instance is not running: start it, then open the console',
  1001: 'Awan is restarting: open the console again in a moment',
};

/** Why a console closed, in words: the gateway's reason where it gave one, else what its code means. */
export function consoleClosedMessage(code: number, reason: string): string {
  if (code === 1000) return `The console ended${reason ? `: ${reason}` : ''}.`;
  const meaning = MEANINGS[code];
  if (meaning) return `The console closed: ${reason && code !== 4401 ? `${reason}; ` : ''}${meaning}.`;
  return `The console closed${reason ? `: ${reason}` : ` (${code})`}.`;
}

export interface ConsoleConnection {
  /** Sends what was typed (the terminal's text, as UTF-8). */
  type(text: string): void;
  close(): void;
}

/** Connects to a console's URL; `onOutput` gets the console's bytes as they come, `onClose` once, in words. */
export function connectConsole(
  url: string,
  handlers: { onOpen(): void; onOutput(bytes: Uint8Array): void; onClose(message: string): void },
): ConsoleConnection {
  const socket = new WebSocket(url);
  socket.binaryType = 'arraybuffer';
  const encoder = new TextEncoder();
  let closedByPage = false;
  socket.onopen = () => handlers.onOpen();
  socket.onmessage = (event) => handlers.onOutput(new Uint8Array(event.data as ArrayBuffer));
  socket.onclose = (event) => {
    if (!closedByPage) handlers.onClose(consoleClosedMessage(event.code, event.reason));
  };
  return {
    type: (text) => {
      if (socket.readyState === WebSocket.OPEN) socket.send(encoder.encode(text));
    },
    close: () => {
      closedByPage = true;
      socket.close(1000, 'closed in the web console');
    },
  };
}
