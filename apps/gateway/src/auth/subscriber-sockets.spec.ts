import { Logger } from '@nestjs/common';
import { GraphQLError } from 'graphql';
import type { WebSocket } from 'ws';
import { AppError } from '#libs/contracts';
import type { Identity, Viewer } from '../identity/identity.js';
import { SubscriberSockets } from './subscriber-sockets.js';

/** What a socket was closed with, if it was. */
function socket() {
  const closed: { code?: number; reason?: string } = {};
  const ws = { close: (code: number, reason: string) => Object.assign(closed, { code, reason }), once: () => ws } as unknown as WebSocket;
  return { ws, closed };
}

const viewer = (accountStatus: string) => ({ apiKeyId: 'key-1', accountStatus }) as Viewer;

describe('a graphql-ws socket opening', () => {
  const sockets = new SubscriberSockets({} as Identity, { checkEveryMs: 1000, onCheckError: () => undefined });
  const logged: Record<string, unknown>[] = [];
  beforeAll(() => Logger.overrideLogger({ log: () => undefined, warn: () => undefined, debug: () => undefined, error: (line: Record<string, unknown>) => logged.push(line) } as never));
  afterAll(() => Logger.overrideLogger(false));

  async function admit(caller: () => Promise<Viewer | null | undefined>) {
    const { ws, closed } = socket();
    return { opened: await sockets.admit(ws, caller()), closed };
  }

  it("opens for a live key of an account in good standing, and leaves the socket open", async () => {
    expect(await admit(async () => viewer('ACTIVE'))).toEqual({ opened: true, closed: {} });
  });

  it('is closed 4401 without a known key or session, and 4403 for a SUSPENDED or CLOSED account', async () => {
    expect(await admit(async () => null)).toEqual({ opened: false, closed: { code: 4401, reason: 'Unauthorized: no such API key or session' } });
    expect(await admit(async () => undefined)).toMatchObject({ opened: false, closed: { code: 4401 } });
    expect(await admit(async () => viewer('SUSPENDED'))).toEqual({ opened: false, closed: { code: 4403, reason: 'Forbidden: the account is SUSPENDED' } });
    expect(await admit(async () => viewer('CLOSED'))).toMatchObject({ opened: false, closed: { code: 4403 } });
  });

  it("is closed 4403 for a refused session, saying why in a close frame's 123 bytes", async () => {
    const csrf = await admit(async () => { throw new GraphQLError("x-csrf-token: not this session's CSRF token"); });
    expect(csrf).toEqual({ opened: false, closed: { code: 4403, reason: "Forbidden: x-csrf-token: not this session's CSRF token" } });
    const long = await admit(async () => { throw new AppError('FORBIDDEN', `origin: ${'é'.repeat(200)}`); });
    expect(long.closed.code).toBe(4403);
    expect(Buffer.byteLength(long.closed.reason!)).toBeLessThanOrEqual(123);
    expect(long.closed.reason).toMatch(/^Forbidden: origin: é+\.\.\.$/);
  });

  it('is closed 1013 (try again later, which clients do) when the key could not be checked for now: the key may be good', async () => {
    const lockTimeout = Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' });
    expect(await admit(async () => { throw lockTimeout; })).toEqual({ opened: false, closed: { code: 1013, reason: "Try again later: the gateway's database is busy or away" } });
    const unreachable = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(await admit(async () => { throw unreachable; })).toMatchObject({ opened: false, closed: { code: 1013 } });
  });

  it('is closed 4500 with a correlation id for a fault of the gateway, not blamed on the key', async () => {
    const { opened, closed } = await admit(async () => { throw new TypeError("Cannot read properties of undefined (reading 'id')"); });
    expect(opened).toBe(false);
    expect(closed).toEqual({ code: 4500, reason: expect.stringMatching(/^Internal server error \(correlation id [0-9a-f-]{36}\)$/) });
    // The operator finds it under the id the client was given.
    const correlationId = /correlation id ([0-9a-f-]{36})/.exec(closed.reason!)![1];
    expect(logged).toEqual([expect.objectContaining({ correlationId, err: expect.any(TypeError) })]);
  });
});
