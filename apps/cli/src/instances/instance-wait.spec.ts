import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { OperationFailed } from '../cli-errors.js';
import { Session } from '../command-kit.js';
import { waitForInstance } from './instance-wait.js';

const ID = '0c6f4d52-5a0b-4c43-9f0e-6a1d2b3c4d5e';

/** An API whose instance(id) answers each status of `statuses` in turn (the last one from then on); no WebSocket, so the wait reads. */
async function apiAnswering(statuses: string[]) {
  let reads = 0;
  const server = http.createServer((req, res) => {
    // The subscription's WebSocket handshake is refused: only the reads are answered.
    if (req.method !== 'POST') return void res.writeHead(404).end();
    const status = statuses[Math.min(reads++, statuses.length - 1)];
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { instance: { id: ID, name: 'web-1', status, plan: { id: 'ct-512m' } } } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** A session of the CLI whose stderr is a terminal or a pipe, and what it wrote there. */
function sessionOn(url: string, terminal: boolean) {
  const stderr = Object.assign(new PassThrough(), { isTTY: terminal });
  let written = '';
  stderr.on('data', (chunk) => (written += chunk));
  const session = new Session({ stdout: new PassThrough(), stderr, stdin: new PassThrough(), env: { HOME: '/nonexistent', AWAN_URL: url, AWAN_API_KEY: 'k' } }, { output: 'table' });
  return { session, stderr: () => written };
}

describe('waitForInstance, the progress of --wait', () => {
  it('on a terminal, spins on one line with the status, the goal and the time, and clears it once there', async () => {
    const api = await apiAnswering(['STARTING', 'RUNNING']);
    try {
      const { session, stderr } = sessionOn(api.url, true);
      const state = await waitForInstance(session, ID, 'RUNNING', (s) => s.status === 'RUNNING', 30);
      expect(state).toMatchObject({ id: ID, status: 'RUNNING' });
      const frames = stderr().split('\r\x1b[K').filter(Boolean);
      expect(frames.length).toBeGreaterThan(10);
      expect(frames[0]).toMatch(/^\S web-1: STARTING, waiting for RUNNING \(0s\)$/);
      expect(new Set(frames.map((frame) => frame[0])).size).toBeGreaterThan(5); // it turns
      expect(stderr()).not.toContain('\n');
      expect(stderr().endsWith('\r\x1b[K')).toBe(true);
    } finally {
      await api.close();
    }
  });

  it('into a pipe, writes a line per status it sees', async () => {
    const api = await apiAnswering(['STARTING', 'RUNNING']);
    try {
      const { session, stderr } = sessionOn(api.url, false);
      await waitForInstance(session, ID, 'RUNNING', (s) => s.status === 'RUNNING', 30);
      expect(stderr()).toBe('web-1: STARTING\nweb-1: RUNNING\n');
    } finally {
      await api.close();
    }
  });

  it('fails, naming the instance and its status, when it ends in ERROR', async () => {
    const api = await apiAnswering(['ERROR']);
    try {
      const { session } = sessionOn(api.url, false);
      const waited = waitForInstance(session, ID, 'RUNNING', (s) => s.status === 'RUNNING', 30);
      await expect(waited).rejects.toThrow(new OperationFailed(`instance web-1 (${ID}) is ERROR, not RUNNING`));
    } finally {
      await api.close();
    }
  });
});
