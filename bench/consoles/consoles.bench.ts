// A console's cost: a container's console through Awan (browser WebSocket → gateway → NATS → host
// agent → lxc-console, and back) beside the same console read on the host itself (lxc-console
// under script, as the agent runs it), in the same run, on the same container:
//   echo        one keystroke at a time into `cat` (the container's terminal echoes it), the time
//               until that keystroke's echo is back: p50 and p99 over KEYSTROKES, after WARMUP keystrokes
//   throughput  the console printing THROUGHPUT_BYTES (`head -c … /dev/zero | tr`), the bytes that
//               arrived per second until the command's end marker, and the bytes the agent dropped
//               (a container's console is never held: past the flow-control window it drops)
// Awan runs as npm start runs it (startTestAwan: its own NATS and database, this machine's agent).
// Needs root, LXC, PostgreSQL (DATABASE_URL as for the tests) and nats-server on PATH. Prints JSON last.
// Usage: npm run bench:consoles
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { GraphqlClient, missingHardware, startTestAwan, uniqueName, waitFor } from '#libs/testing';
import { attachLxcConsole } from '../../apps/host-agent/src/consoles/console-connections.js';

const WARMUP = 20;
const KEYSTROKES = 300;
const THROUGHPUT_BYTES = 16_000_000;
const log = (line: string) => console.error(`bench/consoles: ${line}`);
const round = (n: number, places = 1) => Math.round(n * 10 ** places) / 10 ** places;
/** Nearest rank: the smallest value with at least p % of them at or below it. */
const percentile = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];

/**
 * A console as the bench drives it: bytes in, and what came out, kept as its chunks (16 MB made one
 * string again on every arrival would make the bench, not the console, the bottleneck).
 */
interface Terminal {
  type(text: string): void;
  /** How many bytes came out so far. */
  count(): number;
  /** What came out from byte `offset` on, as text (latin1: one character a byte). */
  since(offset: number): string;
  /** Resolves as soon as `check` holds (checked on each arrival, not by polling). */
  until(check: () => boolean, timeoutMs: number, what: string): Promise<void>;
  close(): void;
}

/** A terminal over a source of bytes: what arrives is kept, and waiters are checked as it does. */
function terminalOver(type: (text: string) => void, close: () => void): Terminal & { arrived(chunk: Buffer): void } {
  const chunks: { at: number; bytes: Buffer }[] = [];
  let count = 0;
  const waiters = new Set<() => void>();
  const since = (offset: number) => {
    let first = chunks.length;
    while (first > 0 && chunks[first - 1].at + chunks[first - 1].bytes.length > offset) first--;
    const tail = chunks.slice(first);
    return tail.length === 0 ? '' : Buffer.concat(tail.map((c) => c.bytes)).subarray(Math.max(0, offset - tail[0].at)).toString('latin1');
  };
  return {
    type,
    close,
    count: () => count,
    since,
    arrived(chunk) {
      chunks.push({ at: count, bytes: chunk });
      count += chunk.length;
      for (const waiter of [...waiters]) waiter();
    },
    until(check, timeoutMs, what) {
      if (check()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`timed out waiting for ${what}: ${count} bytes came, ending ${JSON.stringify(since(count - 200))}`));
        }, timeoutMs);
        const waiter = () => {
          if (!check()) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve();
        };
        waiters.add(waiter);
      });
    },
  };
}

/** Letters typed per line: each line is then ended untimed, and cat's copy of it awaited, so no output but a keystroke's own echo is ever timed. */
const LINE_LENGTH = 50;

async function echoLatency(terminal: Terminal): Promise<{ p50Ms: number; p99Ms: number; keystrokes: number }> {
  const start = terminal.count();
  terminal.type('\rcat\r');
  await terminal.until(() => terminal.since(start).includes('cat\r'), 10_000, 'cat to run');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const times: number[] = [];
  let line = '';
  for (let i = 0; i < WARMUP + KEYSTROKES; i++) {
    // A letter that cycles, so each echo is this keystroke's own.
    const key = String.fromCharCode(97 + (i % 26));
    const before = terminal.count();
    const sent = performance.now();
    terminal.type(key);
    await terminal.until(() => terminal.since(before).includes(key), 10_000, `the echo of ${key}`);
    if (i >= WARMUP) times.push(performance.now() - sent);
    line += key;
    if (line.length === LINE_LENGTH || i === WARMUP + KEYSTROKES - 1) {
      const from = terminal.count();
      terminal.type('\r');
      await terminal.until(() => terminal.since(from).includes(`${line}\r`), 10_000, "cat's copy of the line");
      line = '';
    }
  }
  terminal.type('\x03');
  times.sort((a, b) => a - b);
  return { p50Ms: round(percentile(times, 50), 2), p99Ms: round(percentile(times, 99), 2), keystrokes: times.length };
}

/** How long the shell waits after the flood before it prints the end marker: a console that dropped output has its window free again by then. */
const MARKER_DELAY_S = 2;

async function throughput(terminal: Terminal): Promise<{ bytes: number; seconds: number; megabytesPerSecond: number; droppedBytes: number }> {
  await new Promise((resolve) => setTimeout(resolve, 500));
  const from = terminal.count();
  const started = performance.now();
  let lastOfFlood = started;
  terminal.type(`head -c ${THROUGHPUT_BYTES} /dev/zero | tr '\\0' x; echo; sleep ${MARKER_DELAY_S}; echo done-$((40+2))\r`);
  // Every arrival before the marker's is the flood's (or the agent's note of what it dropped): the last one's time ends it.
  await terminal.until(() => {
    if (terminal.since(Math.max(from, terminal.count() - 100)).includes('done-42')) return true;
    lastOfFlood = performance.now();
    return false;
  }, 120_000, 'the end marker');
  const seconds = (lastOfFlood - started) / 1000;
  const output = terminal.since(from);
  const bytes = (output.match(/x{2,}/g) ?? []).reduce((sum, run) => sum + run.length, 0);
  const dropped = [...output.matchAll(/\[awan: (\d+) bytes of console output dropped/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  return { bytes, seconds: round(seconds, 2), megabytesPerSecond: round(bytes / seconds / 1e6, 2), droppedBytes: dropped };
}

function webSocketTerminal(url: string): Promise<Terminal> {
  const ws = new WebSocket(url);
  const terminal = terminalOver((t) => ws.send(Buffer.from(t), { binary: true }), () => ws.close());
  ws.on('message', (data: Buffer) => terminal.arrived(data));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(terminal));
    ws.once('error', reject);
    ws.once('close', (code, reason) => reject(new Error(`the console closed before it opened: ${code} ${reason.toString()}`)));
  });
}

async function hostTerminal(lxcPath: string, container: string): Promise<Terminal> {
  const connection = await attachLxcConsole(lxcPath, container);
  const terminal = terminalOver((t) => connection.input.write(t), () => connection.close());
  connection.output.on('data', (chunk: Buffer) => terminal.arrived(chunk));
  connection.output.resume();
  return terminal;
}

const missing = missingHardware({ root: true, lxc: true });
if (missing) {
  console.log(JSON.stringify({ skipped: missing }));
  process.exit(0);
}

log('starting Awan (npm start, this machine\'s agent)');
const awan = await startTestAwan('bench_consoles');
try {
  const admin = new GraphqlClient(awan.url).as(awan.adminKey);
  const name = uniqueName('bench-');
  const { createInstance } = await admin.data(`mutation { createInstance(input: { name: "${name}", kind: CONTAINER, imageId: "dev-busybox-rootfs", planId: "ct-512m", regionId: "local", billingCycle: HOURLY }) { id } }`);
  const id = createInstance.id as string;
  await waitFor(async () => (await admin.data(`{ instance(id: "${id}") { status } }`)).instance.status === 'RUNNING' || undefined, 120_000, 'the container to run');

  // On the host first: LXC gives its console to one client at a time, and Awan's stays attached once it has it.
  log('the console on the host (lxc-console under script)');
  const host = await hostTerminal(path.join(awan.dataDir, 'agent', 'instances'), id);
  const hostEcho = await echoLatency(host);
  const hostThroughput = await throughput(host);
  log(`on the host: echo ${JSON.stringify(hostEcho)}, throughput ${JSON.stringify(hostThroughput)}`);
  host.close();
  await new Promise((resolve) => setTimeout(resolve, 1000));

  log('the console through Awan (WebSocket → gateway → NATS → agent)');
  const { openConsole } = await admin.data(`mutation { openConsole(instanceId: "${id}") { url } }`);
  const awanTerminal = await webSocketTerminal(openConsole.url);
  const awanEcho = await echoLatency(awanTerminal);
  const awanThroughput = await throughput(awanTerminal);
  log(`through Awan: echo ${JSON.stringify(awanEcho)}, throughput ${JSON.stringify(awanThroughput)}`);
  awanTerminal.close();
  await admin.data(`mutation { deleteInstance(id: "${id}") { id } }`);
  await waitFor(async () => (await admin.data(`{ instance(id: "${id}") { status } }`)).instance.status === 'DELETED' || undefined, 120_000, 'the container to be deleted');

  console.log(JSON.stringify({
    echo: { awan: awanEcho, host: hostEcho, p99Ratio: round(awanEcho.p99Ms / hostEcho.p99Ms, 2) },
    throughput: { awan: awanThroughput, host: hostThroughput, ratio: round(awanThroughput.megabytesPerSecond / hostThroughput.megabytesPerSecond, 2) },
  }, null, 2));
} finally {
  await awan.stop();
}
