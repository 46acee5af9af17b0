import { readDatabaseConfig } from '#libs/event-sourcing';
import { isTransientDatabaseError } from '#libs/event-store';
import { readServiceConfig, runService } from '#libs/platform';
import { BillingModule } from './billing.module.js';

const config = readServiceConfig('billing', { variable: 'PORT', default: 4003 });
await runService(BillingModule.forRoot(config, readDatabaseConfig('billing')), config, { rawBody: true, transientErrors: isTransientDatabaseError });
