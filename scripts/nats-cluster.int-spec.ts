import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { eventStreamName } from '#libs/contracts';
import { ensureEventStream, EventConsumer } from '#libs/event-store';
import { natsConnectionOptions, natsListenerOptions, RpcErrorFilter } from '#libs/messaging';
import { connectServiceClient, TEST_DATABASE_URL, uniqueName, waitFor, type TestServiceClient } from '#libs/testing';
import { startNatsCluster, type NatsCluster } from './embedded-servers.js';

const service = uniqueName('svc');

@Controller()
class EchoController {
  @MessagePattern(`${service}.echo`)
  echo(@Payload() payload: { text: string }) {
    return { text: payload.text };
  }
}
@Module({ controllers: [EchoController] })
class EchoModule {}

/** The node whose monitoring lists a connection named `name` (a node killed lists none). */
async function nodeHolding(cluster: NatsCluster, name: string): Promise<number> {
  for (const [i, node] of cluster.nodes.entries()) {
    const connz = (await fetch(`${node.monitorUrl}/connz`).then((r) => r.json(), () => ({}))) as { connections?: { name?: string }[] };
    if (connz.connections?.some((c) => c.name === name)) return i;
  }
  return -1;
}

describe('Awan on a three-node NATS cluster', () => {
  let dir: string;
  let cluster: NatsCluster;
  let nats: NatsConnection;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'awan-nats-cluster-'));
    cluster = await startNatsCluster(dir, () => undefined);
    nats = await connect(natsConnectionOptions({ natsUrl: cluster.url }, 'awan-test'));
  }, 60_000);
  afterAll(async () => {
    await nats?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('raises a stream made with one replica, and its consumer, to NATS_STREAM_REPLICAS at start, its messages kept', async () => {
    const source = uniqueName('src');
    const stream = eventStreamName(source);
    await ensureEventStream(nats, source, 1);
    const js = jetstream(nats);
    for (let i = 0; i < 3; i++) await js.publish(`events.${source}.thing.Happened`, JSON.stringify({ i }));
    const jsm = await jetstreamManager(nats);
    expect((await jsm.streams.info(stream)).config.num_replicas).toBe(1);

    // A service started with NATS_STREAM_REPLICAS=3: its consumer's start reconciles the stream it reads and itself.
    const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
    const consumer = new EventConsumer({
      pool, schema: 'unused', service: source, nats, name: 'reader', source, streamReplicas: 3, eventTypes: ['Nothing'], handle: async () => undefined,
    });
    try {
      await consumer.start();
      await consumer.stop();
    } finally {
      await pool.end();
    }
    const info = await jsm.streams.info(stream);
    expect(info.config.num_replicas).toBe(3);
    await waitFor(async () => ((await jsm.streams.info(stream)).cluster?.replicas ?? []).filter((r) => r.current).length === 2, 20_000);
    expect((await jsm.streams.info(stream)).state.messages).toBe(3);
    expect((await jsm.consumers.info(stream, 'reader')).config.num_replicas).toBe(3);
    expect((await jsm.streams.info(`${stream}_DEADLETTER`)).config.num_replicas).toBe(3);
  }, 60_000);

  it("keeps answering requests, and keeping events, when the node a service was connected to is killed", async () => {
    const source = uniqueName('src');
    await ensureEventStream(nats, source, 3);
    const app: INestMicroservice = await NestFactory.createMicroservice(EchoModule, { ...natsListenerOptions(service, { natsUrl: cluster.url }), logger: false });
    app.useGlobalFilters(new RpcErrorFilter());
    await app.listen();
    let caller: TestServiceClient | null = null;
    try {
      caller = await connectServiceClient('caller', cluster.url);
      const client = caller.client as unknown as { send(subject: string, payload: unknown, timeoutMs?: number): Promise<{ text: string }> };
      expect((await client.send(`${service}.echo`, { text: 'before' })).text).toBe('before');

      const held = await nodeHolding(cluster, `awan-${service}`);
      expect(held).toBeGreaterThanOrEqual(0);
      await cluster.nodes[held].kill();
      try {
        // It reconnects to another node of NATS_URL within a second or two; until then a request may be UNAVAILABLE, never anything else.
        const failures: string[] = [];
        await waitFor(async () => {
          const reply = await client.send(`${service}.echo`, { text: 'after' }, 1000).catch((error: { code?: string }) => {
            failures.push(error.code ?? String(error));
            return null;
          });
          return reply?.text === 'after';
        }, 20_000);
        expect(failures.filter((code) => code !== 'UNAVAILABLE')).toEqual([]);
        expect(await nodeHolding(cluster, `awan-${service}`)).not.toBe(held);
        for (let i = 0; i < 20; i++) expect((await client.send(`${service}.echo`, { text: `n${i}` })).text).toBe(`n${i}`);
        // A stream of three replicas still takes events with one of its servers gone.
        await waitFor(async () => (await jetstream(nats).publish(`events.${source}.thing.Happened`, '{}').then(() => true, () => false)), 20_000);
      } finally {
        await cluster.nodes[held].start();
      }
    } finally {
      await caller?.close();
      await app.close();
    }
  }, 90_000);
});
