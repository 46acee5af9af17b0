import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { HealthReports, Rounds } from '#libs/platform';
import type { AgentConfig } from '../host/agent-config.js';
import { AGENT_CONFIG } from '../host/tokens.js';
import { InstanceManager } from '../instances/instance-manager.js';

/**
 * The instances' filters over the agent's life: at its start, every instance it holds gets its kept
 * filter again (the rules in place stay meanwhile, whatever ended the agent before); then, every
 * FIREWALL_CHECK_MS, the rules of any instance gone from the tables (flushed by hand, or by a reload
 * of the host's own nftables rules) are put back. A host that can enforce no firewall makes the
 * agent's health degraded, saying why. Its stop leaves every rule in place.
 */
@Injectable()
export class FirewallsLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('firewalls');
  private readonly rounds: Rounds;

  constructor(
    private readonly instances: InstanceManager,
    @Inject(AGENT_CONFIG) config: AgentConfig,
    reports: HealthReports,
  ) {
    reports.add(() => instances.filters.firewall.problems());
    this.rounds = new Rounds(config.firewallCheckMs, this.logger, 'the firewall check', () => this.restoreMissing());
  }

  async onApplicationBootstrap(): Promise<void> {
    const started = Date.now();
    try {
      const { ports, failed } = await this.instances.enforceHeldFilters();
      // Start-up detail, unless there was something to enforce.
      this.logger[ports > 0 ? 'log' : 'debug'](`enforced the filters of ${ports} instance port(s) in ${Date.now() - started} ms`);
      if (failed.length > 0) {
        this.logger.error(`the kept filters of ${failed.length} instance(s) could not be read; their rules in place stay until compute sends theirs again: ${failed.join(', ')}`);
      }
    } catch (error) {
      // Its rules in place stay; compute sends every filter again on seeing this agent's start.
      this.logger.error(`filters not enforced again: ${(error as Error).message}`);
    }
    this.rounds.start({ now: true });
  }

  onApplicationShutdown(): Promise<void> {
    return this.rounds.stop();
  }

  private async restoreMissing(): Promise<void> {
    const { restored, failed } = await this.instances.restoreMissingFilters();
    if (restored.length > 0) {
      this.logger.warn(`the rules of ${restored.length} instance(s) were gone from this host's nftables tables (changed outside the agent), and are put back: ${restored.join(', ')}`);
    }
    // Said once while it lasts (Rounds), and tried again at every check.
    if (failed.length > 0) throw new Error(`the rules of ${failed.length} instance(s) gone from this host's nftables tables could not be put back: ${failed.join(', ')}`);
  }
}
