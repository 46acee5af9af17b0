import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { HealthReports } from '#libs/platform';
import { InstanceManager } from '../instances/instance-manager.js';

/**
 * The instances' filters over the agent's life: at its start, every instance it holds gets its kept
 * filter again (the rules in place stay meanwhile, whatever ended the agent before); a host that can
 * enforce no firewall makes the agent's health degraded, saying why. Its stop leaves every rule in place.
 */
@Injectable()
export class FirewallsLifecycle implements OnApplicationBootstrap {
  private readonly logger = new Logger('firewalls');

  constructor(
    private readonly instances: InstanceManager,
    reports: HealthReports,
  ) {
    reports.add(() => instances.filters.firewall.problems());
  }

  async onApplicationBootstrap(): Promise<void> {
    const started = Date.now();
    try {
      const ports = await this.instances.enforceHeldFilters();
      // Start-up detail, unless there was something to enforce.
      this.logger[ports > 0 ? 'log' : 'debug'](`enforced the filters of ${ports} instance port(s) in ${Date.now() - started} ms`);
    } catch (error) {
      // Its rules in place stay; compute sends every filter again on seeing this agent's start.
      this.logger.error(`filters not enforced again: ${(error as Error).message}`);
    }
  }
}
