import { readDatabaseConfig } from '#libs/event-sourcing';
import { isTransientDatabaseError } from '#libs/event-store';
import { readServiceConfig, runService } from '#libs/platform';
import { readNetworkConfig } from './network.config.js';
import { NetworkModule } from './network.module.js';

// The environment is read here, once, and checked before anything starts.
const config = readServiceConfig('network', { variable: 'PORT', default: 4002 }, process.env);
const module = NetworkModule.forRoot(config, readDatabaseConfig('network', process.env), readNetworkConfig(process.env));
await runService(module, config, { transientErrors: isTransientDatabaseError });
