import net from 'node:net';

/**
 * One QMP session over a VM's unix socket: capabilities negotiated first, then one command
 * at a time, each with a deadline. Events QEMU sends in between are skipped.
 */
export async function qmp<T = unknown>(socketPath: string, command: string, args?: Record<string, unknown>, timeoutMs = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const socket = net.connect(socketPath);
    let buffer = '';
    let stage: 'greeting' | 'capabilities' | 'command' = 'greeting';
    const timer = setTimeout(() => finish(new Error(`QMP ${command} timed out after ${timeoutMs} ms`)), timeoutMs);
    function finish(error: Error | null, value?: T) {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value as T);
    }
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(new Error(`QMP socket closed before ${command} answered`)));
    socket.on('data', (chunk) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (!line) continue;
        const message = JSON.parse(line) as { QMP?: unknown; return?: T; error?: { desc: string }; event?: string };
        if (message.event) continue;
        if (stage === 'greeting' && message.QMP) {
          stage = 'capabilities';
          socket.write(JSON.stringify({ execute: 'qmp_capabilities' }) + '\n');
        } else if (stage === 'capabilities') {
          if (message.error) return finish(new Error(`QMP capabilities: ${message.error.desc}`));
          stage = 'command';
          socket.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n');
        } else if (stage === 'command') {
          if (message.error) return finish(new Error(`QMP ${command}: ${message.error.desc}`));
          return finish(null, message.return as T);
        }
      }
    });
  });
}
