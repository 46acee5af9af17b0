import { Logger } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { DependencyWatch, HealthReports } from './health.module.js';

describe("a service's dependencies, watched", () => {
  const said: string[] = [];
  beforeAll(() => Logger.overrideLogger({
    log: (m: { msg: string }) => said.push(`info ${m.msg}`),
    error: (m: { msg: string }) => said.push(`error ${m.msg}`),
    warn: () => undefined,
  }));
  afterAll(() => Logger.overrideLogger(false));

  it('says once that one is lost and once that it is back, however many rounds fail between', async () => {
    let postgresUp = true;
    const reports = new HealthReports();
    reports.addCheck('postgres', async () => {
      if (!postgresUp) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    });
    const watch = new DependencyWatch({ flush: async () => undefined } as unknown as NatsConnection, reports);
    await watch.watch();
    postgresUp = false;
    for (let round = 0; round < 3; round++) await watch.watch();
    postgresUp = true;
    await watch.watch();
    await watch.watch();
    expect(said).toEqual(['error PostgreSQL lost: connect ECONNREFUSED 127.0.0.1:5432', 'info PostgreSQL back']);
  });
});
