import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { agentHeartbeatSubject, type HostHeartbeat } from '#libs/contracts';
import { NATS_CONNECTION, Rounds } from '#libs/platform';
import type { AgentConfig } from '../host/agent-config.js';
import type { HostAbilities } from '../host/host-probe.js';
import { FencingService } from '../fencing/fencing.service.js';
import { AGENT_CONFIG, HOST_ABILITIES } from '../host/tokens.js';
import { InstanceManager } from '../instances/instance-manager.js';

/** Tells compute, every few seconds, that this host is alive, what it can run and what runs on it. */
@Injectable()
export class HeartbeatService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('heartbeat');
  private rounds: Rounds[] = [];
  /** This agent's start: a new one tells compute to send it every instance's filter again. */
  private readonly agentStartedAt = new Date().toISOString();

  constructor(
    @Inject(AGENT_CONFIG) private readonly config: AgentConfig,
    @Inject(HOST_ABILITIES) private readonly abilities: HostAbilities,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    private readonly instances: InstanceManager,
    private readonly fencing: FencingService,
  ) {}

  async heartbeat(): Promise<HostHeartbeat> {
    // Stamped when its facts are read: an agent frozen while it reads them sends them later, as old as they are.
    const sentAt = new Date().toISOString();
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
      agentStartedAt: this.agentStartedAt,
      sentAt,
    };
  }

  /**
   * A round trip to the NATS server within one interval: contact with the control plane, which
   * keeps the fencing watchdog quiet. Apart from the heartbeat, so that a slow look at many
   * instances never passes for a lost control plane.
   */
  private async checkContact(): Promise<void> {
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
    const every = this.config.heartbeatIntervalMs;
    this.rounds = [
      new Rounds(every, this.logger, 'heartbeat', async () => this.nats.publish(agentHeartbeatSubject(this.config.hostId), JSON.stringify(await this.heartbeat()))),
      new Rounds(every, this.logger, 'contact with the control plane', () => this.checkContact()),
    ];
    for (const rounds of this.rounds) rounds.start({ now: true });
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.rounds.map((rounds) => rounds.stop()));
  }
}
