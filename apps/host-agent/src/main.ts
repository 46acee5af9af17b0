import { readServiceConfig, runService } from '#libs/platform';
import { readAgentConfig } from './host/agent-config.js';
import { HostAgentModule } from './host-agent.module.js';

// The environment is read here, once, and checked before anything starts.
const config = readServiceConfig('host-agent', { variable: 'PORT', default: 4004 }, process.env);
await runService(HostAgentModule.forRoot(config, readAgentConfig(process.env)), config);
