import { readDatabaseConfig } from './database-config.js';

describe("a data-keeping service's database configuration", () => {
  it('says how to get a database when there is none', () => {
    expect(() => readDatabaseConfig('billing', {})).toThrow('billing keeps data in PostgreSQL: set DATABASE_URL');
  });

  it('bounds every wait of a database session, each bound its own variable', () => {
    expect(readDatabaseConfig('compute', { DATABASE_URL: 'postgres://db/awan' })).toEqual({
      url: 'postgres://db/awan',
      limits: { max: 10, acquireTimeoutMs: 5000, lockTimeoutMs: 5000, statementTimeoutMs: 30_000, idleInTransactionTimeoutMs: 10_000 },
      leaderLeaseTimeoutMs: 5000,
    });
    const config = readDatabaseConfig('compute', { DATABASE_URL: 'postgres://db/awan', DATABASE_LOCK_TIMEOUT_MS: '2000', DATABASE_POOL_SIZE: '4' });
    expect(config.limits).toMatchObject({ lockTimeoutMs: 2000, max: 4 });
    expect(() => readDatabaseConfig('compute', { DATABASE_URL: 'postgres://db/awan', DATABASE_STATEMENT_TIMEOUT_MS: '0' })).toThrow(
      'DATABASE_STATEMENT_TIMEOUT_MS must be milliseconds, at least 100, got "0"',
    );
  });

  it("reads the leaders' lease timeout, at least a second (the server's keepalives count in seconds)", () => {
    expect(readDatabaseConfig('compute', { DATABASE_URL: 'postgres://db/awan', LEADER_LEASE_TIMEOUT_MS: '2000' }).leaderLeaseTimeoutMs).toBe(2000);
    expect(() => readDatabaseConfig('compute', { DATABASE_URL: 'postgres://db/awan', LEADER_LEASE_TIMEOUT_MS: '500' })).toThrow(
      'LEADER_LEASE_TIMEOUT_MS must be milliseconds, at least 1000, got "500"',
    );
  });
});
