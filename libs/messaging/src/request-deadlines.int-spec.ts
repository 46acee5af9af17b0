import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AppError } from '#libs/contracts';
import { isTransientDatabaseError, withTransaction } from '#libs/event-store';
import { connectServiceClient, createTestDatabase, TEST_NATS_URL, uniqueName, type TestDatabase, type TestServiceClient } from '#libs/testing';
import { natsListenerOptions } from './messaging.module.js';
import { RequestDeadlines } from './request-deadlines.js';
import { RpcErrorFilter } from './rpc-error.filter.js';
import type { ServiceClient } from './service-client.js';

const service = uniqueName('deadlines');
/** How long the slow subject takes to answer: longer than any caller here waits. */
const SLOW_MS = 2000;
let db: TestDatabase;

/** What a service does with a request, in real transactions on PostgreSQL. */
function serviceModule(client: () => ServiceClient) {
  @Controller()
  class RecordingController {
    /** Records `name` in one transaction, which takes `workMs` before it commits (a slow statement, a busy machine). */
    @MessagePattern(`${service}.record`)
    async record(@Payload() payload: { name: string; workMs: number }) {
      await withTransaction(db.pool, async (tx) => {
        await tx.query('INSERT INTO recorded (name) VALUES ($1)', [payload.name]);
        await sleep(payload.workMs);
      });
      return 'recorded';
    }

    /** Records `name` once the advisory lock `key` is had: the lock the test holds. */
    @MessagePattern(`${service}.recordLocked`)
    async recordLocked(@Payload() payload: { name: string; key: number }) {
      await withTransaction(db.pool, async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [payload.key]);
        await tx.query('INSERT INTO recorded (name) VALUES ($1)', [payload.name]);
      });
      return 'recorded';
    }

    /** Asks the slow subject in turn, allowing it far longer than its own caller waits. */
    @MessagePattern(`${service}.relay`)
    relay() {
      return sendAny(client(), `${service}.slow`, {}, 10_000);
    }

    @MessagePattern(`${service}.slow`)
    async slow() {
      await sleep(SLOW_MS);
      return 'late';
    }
  }
  @Module({ controllers: [RecordingController] })
  class RecordingModule {}
  return RecordingModule;
}

/** The transport beneath the typed calls, for this test's own subjects, which no contract names. */
const sendAny = (client: ServiceClient, subject: string, payload: unknown, timeoutMs: number) =>
  (client as unknown as { send(subject: string, payload: unknown, timeoutMs?: number): Promise<unknown> }).send(subject, payload, timeoutMs);

/**
 * A request's deadline across NATS, with a real service's listener (as runService sets it up) and
 * real transactions: a caller told UNAVAILABLE, which the API says is safe to retry, must find that
 * nothing of its request was recorded, however late the service got to it.
 */
describe('request deadlines', () => {
  let app: INestMicroservice;
  let caller: TestServiceClient;
  let serviceClient: TestServiceClient;

  beforeAll(async () => {
    db = await createTestDatabase('deadlines');
    await db.pool.query(`CREATE SCHEMA ${db.schema}`);
    await db.pool.query('CREATE TABLE recorded (name text PRIMARY KEY)');
    serviceClient = await connectServiceClient('service');
    app = await NestFactory.createMicroservice(serviceModule(() => serviceClient.client), { ...natsListenerOptions(service, { natsUrl: TEST_NATS_URL }), logger: false });
    app.useGlobalFilters(new RpcErrorFilter(isTransientDatabaseError));
    app.useGlobalInterceptors(new RequestDeadlines());
    await app.listen();
    caller = await connectServiceClient('caller');
  });
  afterAll(async () => {
    await caller?.close();
    await serviceClient?.close();
    await app?.close();
    await db?.close();
  });

  const recorded = async (name: string) => (await db.pool.query('SELECT 1 FROM recorded WHERE name = $1', [name])).rowCount === 1;

  it('records what was asked in time', async () => {
    const name = uniqueName('in-time-');
    await expect(sendAny(caller.client, `${service}.record`, { name, workMs: 100 }, 2000)).resolves.toBe('recorded');
    expect(await recorded(name)).toBe(true);
  });

  it('rolls back a transaction that would commit after its caller stopped waiting', async () => {
    const name = uniqueName('late-');
    const error = await sendAny(caller.client, `${service}.record`, { name, workMs: 1500 }, 1000).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('did not answer within 1000 ms') });
    await sleep(1500); // the service's transaction is over by now, one way or the other
    expect(await recorded(name)).toBe(false);
    // The retry the caller was promised is safe: it records it once.
    await expect(sendAny(caller.client, `${service}.record`, { name, workMs: 0 }, 2000)).resolves.toBe('recorded');
  });

  it('waits on a lock no longer than its caller does, and answers UNAVAILABLE itself, in time', async () => {
    const name = uniqueName('locked-');
    const key = Math.floor(Math.random() * 1e9);
    const holder = await db.pool.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [key]);
      const started = performance.now();
      // The pool's lock_timeout is 5 s; the caller waits 1.6 s, and so sends 0.8 s.
      const error = await sendAny(caller.client, `${service}.recordLocked`, { name, key }, 1600).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'UNAVAILABLE', message: `${service}.recordLocked is busy: retry` });
      expect(performance.now() - started).toBeLessThan(1500);
    } finally {
      await holder.query('SELECT pg_advisory_unlock($1)', [key]);
      holder.release();
    }
    expect(await recorded(name)).toBe(false);
  });

  it('cuts a request the handler makes in turn to the time its own caller has left', async () => {
    const started = performance.now();
    const error = await sendAny(caller.client, `${service}.relay`, {}, 1600).catch((e: unknown) => e);
    // The relay's own request gave up at 0.8 s, and the relay said so before its caller's wait ran out.
    expect(error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(new RegExp(`^${service}\\.slow did not answer within (79\\d|800) ms$`)) });
    expect(performance.now() - started).toBeLessThan(1500);
    await sleep(SLOW_MS - (performance.now() - started)); // the slow handler done, before the service closes
  });
});
