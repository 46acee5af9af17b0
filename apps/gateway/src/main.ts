import { readServiceConfig, runService } from '#libs/platform';
import { GatewayModule } from './gateway.module.js';

const config = readServiceConfig('gateway', { variable: 'GATEWAY_PORT', default: 4000 });
await runService(GatewayModule.forRoot(config), config);
