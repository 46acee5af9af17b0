import { Controller, Logger, Module, type INestMicroservice, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { connectServiceClient, TEST_NATS_URL, uniqueName, type TestServiceClient } from '#libs/testing';
import { AppError } from '#libs/contracts';
import { natsListenerOptions } from './messaging.module.js';
import { RpcErrorFilter } from './rpc-error.filter.js';
import type { ServiceClient } from './service-client.js';

const service = uniqueName('svc');
const handled: string[] = [];
/** What the replicas logged, as Nest's Logger hands it to the process's logger. */
const logged: { level: string; message: Record<string, unknown> }[] = [];
const logger: LoggerService = Object.fromEntries(
  ['log', 'error', 'warn', 'debug', 'verbose'].map((level) => [level, (message: Record<string, unknown>) => logged.push({ level, message })]),
) as unknown as LoggerService;

/** A reply of `lines` invoice-like lines whose text JSON escapes or encodes in more than a byte. */
const largeReply = (lines: number) => ({
  lines: Array.from({ length: lines }, (_, i) => ({ n: i, description: `Customer "Ünïcødé" \\ ${i}\n 東京 🙂 nul\u0000`, amount: `${i}.01` })),
});

function replicaModule(replica: string) {
  @Controller()
  class ReplicaController {
    @MessagePattern(`${service}.echo`)
    echo(@Payload() payload: { text: string }) {
      handled.push(replica);
      return { text: payload.text, replica };
    }

    @MessagePattern(`${service}.refuse`)
    refuse() {
      throw AppError.badInput('input.name', 'must be an RFC 1123 label');
    }

    @MessagePattern(`${service}.crash`)
    crash() {
      throw new TypeError('cannot read properties of undefined (reading "secret")');
    }

    @MessagePattern(`${service}.large`)
    large(@Payload() payload: { lines: number }) {
      return largeReply(payload.lines);
    }

    @MessagePattern(`${service}.slow`)
    async slow() {
      await new Promise((resolve) => setTimeout(resolve, 700));
      return 'late';
    }
  }
  @Module({ controllers: [ReplicaController] })
  class ReplicaModule {}
  return ReplicaModule;
}

async function startReplica(replica: string): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(replicaModule(replica), { ...natsListenerOptions(service, { natsUrl: TEST_NATS_URL }), logger });
  app.useGlobalFilters(new RpcErrorFilter());
  await app.listen();
  return app;
}

describe('request-reply between services over NATS', () => {
  let replicas: INestMicroservice[];
  let caller: TestServiceClient;
  let client: ServiceClient;
  /** The transport beneath the typed calls, for this test's own subjects, which no contract names. */
  const sendAny = (subject: string, payload: unknown, timeoutMs?: number) =>
    (client as unknown as { send(subject: string, payload: unknown, timeoutMs?: number): Promise<unknown> }).send(subject, payload, timeoutMs);

  beforeAll(async () => {
    replicas = [await startReplica('r1'), await startReplica('r2')];
    caller = await connectServiceClient('caller');
    client = caller.client;
    Logger.overrideLogger(logger); // the caller's context, made with logger: false, turned it off for the process
  });
  afterAll(async () => {
    await caller.close();
    await Promise.all(replicas.map((r) => r.close()));
  });

  it('answers a request', async () => {
    const reply = (await sendAny(`${service}.echo`, { text: 'hello' })) as { text: string };
    expect(reply.text).toBe('hello');
  });

  it('shares requests between replicas in one queue group, each answered once', async () => {
    handled.length = 0;
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => sendAny(`${service}.echo`, { text: `m${i}` }) as Promise<{ text: string; replica: string }>),
    );
    expect(replies.map((r) => r.text)).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`));
    expect(handled).toHaveLength(40);
    expect(new Set(handled)).toEqual(new Set(['r1', 'r2']));
  });

  it('carries a refusal across the wire with its contract code and field, logged at debug without a stack', async () => {
    logged.length = 0;
    const error = await sendAny(`${service}.refuse`, {}).catch((e) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name', message: 'input.name: must be an RFC 1123 label' });
    expect(logged).toEqual([{ level: 'debug', message: expect.objectContaining({ subject: `${service}.refuse`, code: 'BAD_USER_INPUT' }) }]);
    expect(logged[0].message).not.toHaveProperty('err');
  });

  it('answers an unexpected fault as INTERNAL without its message or stack, logged as an error with both and the request\'s correlation id', async () => {
    logged.length = 0;
    const metadata = { correlationId: uniqueName('request-'), causationId: null, actor: { kind: 'system' } };
    const error = await sendAny(`${service}.crash`, { metadata }).catch((e) => e);
    expect(error).toMatchObject({ code: 'INTERNAL', message: 'internal error' });
    expect(JSON.stringify(error)).not.toContain('secret');
    expect(logged).toEqual([{ level: 'error', message: expect.objectContaining({ subject: `${service}.crash`, code: 'INTERNAL', correlationId: metadata.correlationId }) }]);
    expect((logged[0].message.err as Error).stack).toContain('TypeError: cannot read properties of undefined (reading "secret")');
  });

  it('fails with UNAVAILABLE, not a hang, when no replica of the service is up', async () => {
    const started = Date.now();
    const error = await sendAny(`${uniqueName('down')}.instance.get`, { id: 'x' }, 800).catch((e) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(900); // NATS reports "no responders" at once
  });

  it('delivers a reply too large for one NATS message (1 MB), whole and unchanged', async () => {
    const lines = 60_000;
    const loggedBefore = logged.length;
    const reply = await sendAny(`${service}.large`, { lines });
    expect(Buffer.byteLength(JSON.stringify(reply))).toBeGreaterThan(4 * 1024 * 1024);
    expect(reply).toEqual(largeReply(lines));
    expect(logged.slice(loggedBefore).filter((entry) => entry.level === 'error')).toEqual([]);
  });

  it('delivers a reply within the limit in characters but over it in bytes, in parts', async () => {
    // Measured in characters, it was sent whole: NATS refused it, and the caller waited out its deadline.
    const lines = 11_000; // about 1.02 million characters of JSON, 1.13 million bytes once encoded
    const packet = JSON.stringify({ response: largeReply(lines) });
    expect(packet.length).toBeLessThan(1024 * 1024);
    expect(Buffer.byteLength(packet)).toBeGreaterThan(1024 * 1024);
    expect(await sendAny(`${service}.large`, { lines }, 3000)).toEqual(largeReply(lines));
  });

  it('fails with UNAVAILABLE after the timeout when the service is up but does not answer in time', async () => {
    const started = Date.now();
    const error = await sendAny(`${service}.slow`, {}, 300).catch((e) => e);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', message: `${service}.slow did not answer within 300 ms` });
    expect(Date.now() - started).toBeGreaterThanOrEqual(295);
  });
});
