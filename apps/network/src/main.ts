import { readDatabaseConfig } from '#libs/event-sourcing';
import { isTransientDatabaseError } from '#libs/event-store';
import { readServiceConfig, runService } from '#libs/platform';
import { NetworkModule } from './network.module.js';

const config = readServiceConfig('network', { variable: 'PORT', default: 4002 });
await runService(NetworkModule.forRoot(config, readDatabaseConfig('network')), config, { transientErrors: isTransientDatabaseError });
