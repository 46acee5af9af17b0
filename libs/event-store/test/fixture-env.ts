import { connect } from '@nats-io/transport-node';
import { createPool } from '#libs/event-store';

/** What a crash fixture is told by the test that spawns it. */
export async function fixtureEnvironment() {
  const schema = process.env.FIXTURE_SCHEMA!;
  const pool = createPool(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', { schema });
  const nats = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
  return { schema, service: process.env.FIXTURE_SERVICE!, pool, nats };
}

/** Ends the process the way a power cut or OOM kill would: no cleanup, no flush. */
export function killNow(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}
