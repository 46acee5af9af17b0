import { readServiceConfig, requireDatabaseUrl } from './service-config.js';

describe('service configuration from the environment', () => {
  it('uses the defaults of a local machine', () => {
    expect(readServiceConfig('compute', { variable: 'PORT', default: 4001 }, {})).toEqual({
      service: 'compute',
      databaseUrl: undefined,
      natsUrl: 'nats://127.0.0.1:4222',
      port: 4001,
      host: '127.0.0.1',
    });
  });

  it('takes the gateway port from GATEWAY_PORT', () => {
    expect(readServiceConfig('gateway', { variable: 'GATEWAY_PORT', default: 4000 }, { GATEWAY_PORT: '8080' }).port).toBe(8080);
  });

  it.each(['80a', '-1', '70000', ''])('names the variable when the port is %j', (value) => {
    expect(() => readServiceConfig('compute', { variable: 'PORT', default: 4001 }, { PORT: value })).toThrow(/^PORT must be a TCP port number/);
  });

  it('says how to get a database when a data-keeping service has none', () => {
    const config = readServiceConfig('billing', { variable: 'PORT', default: 4003 }, {});
    expect(() => requireDatabaseUrl(config)).toThrow('billing keeps data in PostgreSQL: set DATABASE_URL');
  });
});
