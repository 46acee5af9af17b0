import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { AGENT_HEARTBEAT_SUBJECT, type HostHeartbeat } from '#libs/contracts';
import { NATS_CONNECTION } from '#libs/platform';
import type { AgentConfig } from '../host/agent-config.js';
import type { HostAbilities } from '../host/host-probe.js';
import { AGENT_CONFIG, HOST_ABILITIES } from '../host/tokens.js';
import { FencingService } from '../fencing/fencing.service.js';
import { InstanceManager } from '../instances/instance-manager.js';

/** Tells compute, every few seconds, that this host is alive, what it can run and what runs on it. */
@Injectable()
export class HeartbeatService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('heartbeat');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(AGENT_CONFIG) private readonly config: AgentConfig,
    @Inject(HOST_ABILITIES) private readonly abilities: HostAbilities,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    private readonly instances: InstanceManager,
    private readonly fencing: FencingService,
  ) {}

  async heartbeat(): Promise<HostHeartbeat> {
    const instances = await this.instances.list();
    const allocated = { vcpus: 0, memoryMb: 0, diskGb: 0 };
    for (const instance of instances) {
      allocated.vcpus += instance.vcpus;
      allocated.memoryMb += instance.memoryMb;
      allocated.diskGb += instance.diskGb;
    }
    return {
      hostId: this.config.hostId,
      name: this.config.hostName,
      regionId: this.config.regionId,
      kinds: this.abilities.kinds,
      capacity: this.abilities.capacity,
      allocated,
      instances,
      fenceTimeoutMs: this.config.fenceTimeoutMs,
      sentAt: new Date().toISOString(),
    };
  }

  /**
   * Publishes a heartbeat, then makes sure the NATS server has it (a round trip within one
   * interval): that is contact with the control plane, which keeps the fencing watchdog quiet.
   */
  private async beat(): Promise<void> {
    this.nats.publish(AGENT_HEARTBEAT_SUBJECT, JSON.stringify(await this.heartbeat()));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer from NATS')), this.config.heartbeatIntervalMs);
    });
    try {
      await Promise.race([this.nats.flush(), deadline]);
    } finally {
      clearTimeout(timer);
    }
    this.fencing.contact();
  }

  onApplicationBootstrap(): void {
    for (const note of this.abilities.notes) this.logger.warn(note);
    let running = false;
    const beat = () => {
      if (running) return; // the previous one still waits for NATS
      running = true;
      this.beat()
        .catch((error: Error) => this.logger.error(`heartbeat failed: ${error.message}`))
        .finally(() => (running = false));
    };
    beat();
    this.timer = setInterval(beat, this.config.heartbeatIntervalMs);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
