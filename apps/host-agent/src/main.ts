import { readServiceConfig, runService } from '#libs/platform';
import { readAgentConfig } from './host/agent-config.js';
import { runProgramsApart } from './host/program.js';
import { HostAgentModule } from './host-agent.module.js';

// The environment is read here, once, and checked before anything starts.
const config = readServiceConfig('host-agent', { variable: 'PORT', default: 4004 }, process.env);
// The agent forks many programs (ip, nft, qemu-img, QEMU, LXC's tools): from a runner of its own, which forks cheaply.
runProgramsApart();
await runService(HostAgentModule.forRoot(config, readAgentConfig(process.env)), config);
