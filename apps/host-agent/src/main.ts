import { readServiceConfig, runService } from '#libs/platform';
import { readAgentConfig } from './host/agent-config.js';
import { HostAgentModule } from './host-agent.module.js';

const config = readServiceConfig('host-agent', { variable: 'PORT', default: 4004 });
await runService(HostAgentModule.forRoot(config, readAgentConfig()), config);
