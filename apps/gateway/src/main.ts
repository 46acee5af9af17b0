import { readDatabaseConfig } from '#libs/event-sourcing';
import { isTransientDatabaseError } from '#libs/event-store';
import { readServiceConfig, readWholeNumber, runService } from '#libs/platform';
import { GatewayModule } from './gateway.module.js';

const config = readServiceConfig('gateway', { variable: 'GATEWAY_PORT', default: 4000 });
const maxBodyBytes = readWholeNumber('GATEWAY_MAX_REQUEST_BYTES', 102_400, { expected: 'bytes, at least 1024', min: 1024 });
await runService(GatewayModule.forRoot(config, readDatabaseConfig('gateway')), config, { maxBodyBytes, transientErrors: isTransientDatabaseError });
