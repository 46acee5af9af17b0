import { readDatabaseConfig } from '#libs/event-sourcing';
import { isTransientDatabaseError } from '#libs/event-store';
import { readServiceConfig, runService } from '#libs/platform';
import { readBillingConfig } from './billing.config.js';
import { BillingModule } from './billing.module.js';

// The environment is read here, once: a bad value stops billing before it starts, naming the variable.
const service = readServiceConfig('billing', { variable: 'PORT', default: 4003 }, process.env);
const module = BillingModule.forRoot(service, readDatabaseConfig('billing', process.env), readBillingConfig(process.env));
await runService(module, service, { rawBody: true, transientErrors: isTransientDatabaseError });
