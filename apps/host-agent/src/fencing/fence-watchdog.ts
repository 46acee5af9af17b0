// The fencing watchdog: a process of its own beside the host agent, told by the agent each time
// it has reached the control plane. An agent that is frozen (SIGSTOP), stuck, dead or cut off
// stops telling it; after FENCE_TIMEOUT_MS the watchdog force-stops every instance this host
// runs, before compute (HOST_DOWN_TIMEOUT_MS, longer) restarts them elsewhere. As Proxmox VE's
// watchdog does for its HA manager, without the reboot.
import { performance } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';
import { createLogger, PinoLoggerService, readLogConfig, RecurringFailure } from '#libs/platform';
import { instanceManagerFor } from '../instances/instance-manager.js';
import { FENCE_RETRY_MS, FenceTimer, readWatchdogArguments, WATCHDOG_CONTACT, WATCHDOG_STOP } from './fence-timer.js';

const agent = readWatchdogArguments(process.argv.slice(2));
// Its lines go out as the agent's do (it shares the agent's stdout and environment), the instance code's it runs too.
const processLogger = createLogger(readLogConfig(process.env), 'host-agent');
Logger.overrideLogger(new PinoLoggerService(processLogger));
const logger = processLogger.child({ context: 'fence-watchdog', hostId: agent.hostId });
// Stopping needs no accelerator.
const instances = instanceManagerFor(agent, 'tcg');
const timer = new FenceTimer(agent.fenceTimeoutMs, performance.now());
let agentGone = false;
/** A fence under way: the watchdog outlives its agent until it ends. */
let fencing = false;
/** A fence failing is tried again every FENCE_RETRY_MS for as long as it takes: said once while it lasts, and once it works. */
const fenceFailures = new RecurringFailure(new PinoLoggerService(logger), `fencing (tried again every ${FENCE_RETRY_MS} ms while the control plane stays away)`);

process.on('message', (message) => {
  if (message === WATCHDOG_CONTACT) timer.contact(performance.now());
  if (message === WATCHDOG_STOP) process.exit(0);
});
// The agent is gone: the deadline stands, unless a new agent replaces this watchdog first.
process.on('disconnect', () => {
  agentGone = true;
  if (timer.fenced && !fencing) process.exit(0); // fenced already: nothing is left to guard
});

setInterval(() => {
  if (!timer.due(performance.now())) return;
  if (!timer.retrying) logger.warn(`no contact with the control plane for ${agent.fenceTimeoutMs} ms: fencing this host's instances`);
  fencing = true;
  instances.fence().finally(() => (fencing = false)).then(
    (ids) => {
      fenceFailures.succeeded();
      logger.warn({ instanceIds: ids }, `fenced ${ids.length} instance(s)`);
      if (agentGone) process.exit(0);
    },
    (error: Error) => {
      fenceFailures.failed(error);
      timer.failed(performance.now());
    },
  );
}, 200);
