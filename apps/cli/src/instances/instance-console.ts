import WebSocket from 'ws';
import { ApiError, UnreachableError } from '../cli-errors.js';
import type { CliIo } from '../command-kit.js';

/** Ctrl-]: detaches, as telnet's escape does; every other byte, Ctrl-C included, goes to the console. */
export const ESCAPE_BYTE = 0x1d;
/** With stdin a pipe: once it has ended, the console is left after this long without output, so the last command's answer arrives. */
const QUIET_AFTER_INPUT_MS = 1000;

/**
 * Attaches the terminal to a SERIAL console's WebSocket (openConsole's URL): stdin to the console,
 * its bytes to stdout, raw mode on a terminal so every key goes through. Resolves with how it ended.
 */
export function attachConsole(io: CliIo, url: string): Promise<string> {
  const { stdin, stdout, stderr } = io;
  const terminal = Boolean(stdin.isTTY && stdin.setRawMode);
  const ws = new WebSocket(url);
  let opened = false;
  let quiet: NodeJS.Timeout | null = null;
  let inputEnded = false;

  const leaveLater = () => {
    if (quiet) clearTimeout(quiet);
    quiet = setTimeout(() => ws.close(1000, 'input ended'), QUIET_AFTER_INPUT_MS);
  };
  const onInput = (chunk: Buffer) => {
    const escape = terminal ? chunk.indexOf(ESCAPE_BYTE) : -1;
    const typed = escape >= 0 ? chunk.subarray(0, escape) : chunk;
    if (typed.length && ws.readyState === WebSocket.OPEN) ws.send(typed);
    if (escape >= 0) ws.close(1000, 'detached');
  };
  const onEnd = () => {
    inputEnded = true;
    leaveLater();
  };

  return new Promise<string>((resolve, reject) => {
    ws.on('open', () => {
      opened = true;
      if (terminal) {
        stdin.setRawMode!(true);
        stderr.write('Connected. Ctrl-] detaches.\r\n');
      }
      stdin.on('data', onInput);
      stdin.once('end', onEnd);
      stdin.resume();
    });
    ws.on('message', (data: Buffer) => {
      // A terminal slower than the console holds the socket, and the gateway holds the host (its flow control).
      if (!stdout.write(data)) {
        ws.pause();
        stdout.once('drain', () => ws.resume());
      }
      if (inputEnded) leaveLater();
    });
    ws.on('unexpected-response', (_request, response) => {
      reject(new UnreachableError(url, `the console's socket was refused with HTTP ${response.statusCode}`));
      ws.terminate();
    });
    ws.on('error', (error) => {
      if (!opened) reject(new UnreachableError(url, error.message));
    });
    ws.on('close', (code, reasonBuffer) => {
      if (quiet) clearTimeout(quiet);
      stdin.off('data', onInput);
      stdin.off('end', onEnd);
      stdin.pause();
      if (terminal) stdin.setRawMode!(false);
      const reason = reasonBuffer.toString();
      if (code === 4401) reject(new ApiError('UNAUTHENTICATED', `the console refused its token: ${reason || 'unknown, used or expired'}`));
      else if (code === 4403) reject(new ApiError('FORBIDDEN', `the console closed: ${reason || 'the account may not use it'}`));
      else resolve(reason ? `${reason} (${code})` : `closed (${code})`);
    });
  });
}
