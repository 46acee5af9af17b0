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
  private rounds: Rounds | undefined;
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
   * Sends the heartbeat, and once the NATS server has it (a flush within one interval) tells the
   * fencing watchdog of the contact. Only a heartbeat the control plane has is contact: compute judges
   * a host DOWN by its heartbeats alone, and restarts its instances elsewhere trusting that the host
   * fenced them first. So heartbeats that stop (a look at the instances hung on the shared storage,
   * say) must fence as a lost control plane does, though NATS answers, or the instances would run on
   * two hosts at once.
   */
  private async beat(): Promise<void> {
    this.nats.publish(agentHeartbeatSubject(this.config.hostId), JSON.stringify(await this.heartbeat()));
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
    this.rounds = new Rounds(this.config.heartbeatIntervalMs, this.logger, 'heartbeat', () => this.beat());
    this.rounds.start({ now: true });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.rounds?.stop();
  }
}
