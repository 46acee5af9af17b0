// Runs a consumer that dies after its effect committed and before it acknowledged the event.
import { EventConsumer } from '#libs/event-store';
import { fixtureEnvironment, killNow } from './fixture-env.js';
import { recordEffect } from './effects.js';

const { schema, service, pool, nats } = await fixtureEnvironment();
const consumer = new EventConsumer({
  pool,
  schema,
  service,
  nats,
  name: process.env.FIXTURE_CONSUMER!,
  source: service,
  ackWaitMs: Number(process.env.FIXTURE_ACK_WAIT_MS),
  handle: recordEffect,
  onHandled: killNow,
});
await consumer.start();
