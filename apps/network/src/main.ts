import { readServiceConfig, runService } from '#libs/platform';
import { NetworkModule } from './network.module.js';

const config = readServiceConfig('network', { variable: 'PORT', default: 4002 });
await runService(NetworkModule.forRoot(config), config);
