import net from 'node:net';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { freePort } from './embedded-servers.js';
import { testServers } from './test-servers.js';

const quiet = () => undefined;

describe("npm test's servers", () => {
  it('on a machine with neither, starts an embedded PostgreSQL with the test database and a NATS with JetStream, and removes them after', async () => {
    const ports = { postgres: await freePort(), nats: await freePort() };
    const servers = await testServers({}, quiet, ports);
    try {
      expect(servers.started).toHaveLength(2);
      const client = new pg.Client({ connectionString: servers.env.DATABASE_URL });
      await client.connect();
      const { rows } = await client.query<{ db: string; superuser: string }>("SELECT current_database() AS db, current_setting('is_superuser') AS superuser");
      // The tests make a database per whole-system test: they need a superuser.
      expect(rows[0]).toEqual({ db: 'test', superuser: 'on' });
      await client.end();

      const nats = await connect({ servers: servers.env.NATS_URL });
      const info = await (await jetstreamManager(nats)).getAccountInfo();
      expect(info.streams).toBe(0);
      await nats.close();
    } finally {
      await servers.stop();
    }
    const refused = (url: string) => new Promise<boolean>((resolve) => {
      const { hostname, port } = new URL(url);
      net.connect({ host: hostname, port: Number(port) }).once('connect', function (this: net.Socket) {
        this.destroy();
        resolve(false);
      }).once('error', () => resolve(true));
    });
    expect(await refused(servers.env.DATABASE_URL)).toBe(true);
    expect(await refused(servers.env.NATS_URL)).toBe(true);
  }, 120_000);

  it("uses what the environment names, else what answers on the standard ports, and starts nothing", async () => {
    const named = await testServers({ DATABASE_URL: 'postgres://u@db.example.test/x', NATS_URL: 'nats://nats.example.test:4222' }, quiet);
    expect(named.env).toEqual({ DATABASE_URL: 'postgres://u@db.example.test/x', NATS_URL: 'nats://nats.example.test:4222' });
    expect(named.started).toEqual([]);
    await named.stop();

    const listeners = [net.createServer(), net.createServer()];
    const ports = await Promise.all(listeners.map((server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)))));
    try {
      const found = await testServers({}, quiet, { postgres: ports[0], nats: ports[1] });
      expect(found.env).toEqual({ DATABASE_URL: `postgres://postgres@127.0.0.1:${ports[0]}/test`, NATS_URL: `nats://127.0.0.1:${ports[1]}` });
      expect(found.started).toEqual([]);
      await found.stop();
    } finally {
      for (const server of listeners) server.close();
    }
  });
});
