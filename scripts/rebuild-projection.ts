// npm run projections:rebuild -- <service> <projection>: refolds a read model from the service's events.
import { createPool, EventStore, rebuildProjection } from '#libs/event-store';
import { connectionUrls } from './local-environment.js';
import { EVENT_STORES } from './services.js';

const [service, projection] = process.argv.slice(2);
const definition = EVENT_STORES.find((d) => d.service === service);
if (!definition || !projection) {
  console.error('usage: npm run projections:rebuild -- <service> <projection>');
  for (const d of EVENT_STORES) console.error(`  ${d.service}: ${d.projections.map((p) => p.name).join(', ') || '(no projections yet)'}`);
  process.exit(2);
}
const { databaseUrl } = connectionUrls();
if (!databaseUrl) {
  console.error('Set DATABASE_URL, or start Awan with "npm start" first.');
  process.exit(1);
}
const pool = createPool(databaseUrl, { schema: definition.service });
try {
  const applied = await rebuildProjection(new EventStore(pool, definition.service, definition.projections), projection);
  console.log(`${service}.${projection}: rebuilt from ${applied} events`);
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
} finally {
  await pool.end();
}
