// Runs a relay that dies after JetStream acknowledged a batch and before its checkpoint moved.
import { EventRelay, EventStore } from '#libs/event-store';
import { fixtureEnvironment, killNow } from './fixture-env.js';

const { schema, service, pool, nats } = await fixtureEnvironment();
const relay = new EventRelay({ store: new EventStore(pool, schema), service, nats, onPublished: killNow });
relay.start();
