import { readDatabaseConfig } from '#libs/event-sourcing';
import { isTransientDatabaseError } from '#libs/event-store';
import { readServiceConfig, runService } from '#libs/platform';
import { readComputeConfig } from './compute.config.js';
import { ComputeModule } from './compute.module.js';

const config = readServiceConfig('compute', { variable: 'PORT', default: 4001 });
const module = ComputeModule.forRoot(config, readDatabaseConfig('compute'), readComputeConfig(process.env, config.natsCredentials));
await runService(module, config, { transientErrors: isTransientDatabaseError });
