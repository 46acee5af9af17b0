import { readDatabaseConfig } from '#libs/event-sourcing';
import { isTransientDatabaseError } from '#libs/event-store';
import { readServiceConfig, runService } from '#libs/platform';
import { readGatewayConfig } from './gateway.config.js';
import { GatewayModule } from './gateway.module.js';

// The environment is read here, once: a bad value stops the gateway before it starts, naming the variable.
const service = readServiceConfig('gateway', { variable: 'GATEWAY_PORT', default: 4000 }, process.env);
const config = readGatewayConfig(process.env, service);
const module = GatewayModule.forRoot(service, readDatabaseConfig('gateway', process.env), config);
await runService(module, service, { maxBodyBytes: config.maxRequestBytes, trustProxy: config.trustProxy, transientErrors: isTransientDatabaseError });
