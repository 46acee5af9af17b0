// npm run migrate: brings every service's schema up to date (services also do it when they start).
import { createPool } from '#libs/event-store';
import { migrateEventStore } from '#libs/event-sourcing';
import { connectionUrls } from './local-environment.js';
import { EVENT_STORES } from './services.js';

const { databaseUrl } = connectionUrls();
if (!databaseUrl) {
  console.error('Set DATABASE_URL, or start Awan with "npm start" first.');
  process.exit(1);
}
const pool = createPool(databaseUrl);
try {
  for (const definition of EVENT_STORES) {
    const applied = await migrateEventStore(pool, definition);
    console.log(`${definition.service}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);
  }
} finally {
  await pool.end();
}
