import { readDatabaseConfig } from '#libs/event-sourcing';
import { isTransientDatabaseError } from '#libs/event-store';
import { readServiceConfig, runService } from '#libs/platform';
import { ComputeModule } from './compute.module.js';

const config = readServiceConfig('compute', { variable: 'PORT', default: 4001 });
await runService(ComputeModule.forRoot(config, readDatabaseConfig('compute')), config, { transientErrors: isTransientDatabaseError });
