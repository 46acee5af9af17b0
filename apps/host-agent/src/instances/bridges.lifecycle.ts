import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { HealthReports } from '#libs/platform';
import { InstanceManager } from './instance-manager.js';

/**
 * The agent's bridges over its life: a bridge it refused makes its health degraded, saying why;
 * when it stops, the bridges it made that no instance is on go, so a development machine is left
 * with no documentation range on a bridge once `npm start` has stopped with nothing running.
 */
@Injectable()
export class BridgesLifecycle implements OnApplicationShutdown {
  private readonly logger = new Logger('network');

  constructor(
    private readonly instances: InstanceManager,
    reports: HealthReports,
  ) {
    reports.add(() => instances.bridges.problems());
  }

  async onApplicationShutdown(): Promise<void> {
    const removed = await this.instances.bridges.removeUnused().catch((error: Error) => {
      this.logger.warn(`bridges not removed: ${error.message}`);
      return [];
    });
    if (removed.length > 0) this.logger.log(`removed the bridges no instance is on: ${removed.join(', ')}`);
  }
}
