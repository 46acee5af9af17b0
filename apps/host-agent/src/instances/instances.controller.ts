import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { type AgentReplyOf, type AgentRequestOf, AppError } from '#libs/contracts';
import { HandlesAgentCommand } from '#libs/messaging';
import { HOST_ABILITIES } from '../host/tokens.js';
import type { HostAbilities } from '../host/host-probe.js';
import { InstanceManager } from './instance-manager.js';

/** `agent.<hostId>.instance.*`: compute's commands to this host, answered by the instance manager. */
export function instancesController(hostId: string) {
  @Controller()
  class InstancesController {
    constructor(
      private readonly instances: InstanceManager,
      @Inject(HOST_ABILITIES) private readonly abilities: HostAbilities,
    ) {}

    @HandlesAgentCommand(hostId, 'instance.create')
    create(@Payload() { spec, start, filter }: AgentRequestOf<'instance.create'>): Promise<AgentReplyOf<'instance.create'>> {
      if (spec && !this.abilities.kinds.includes(spec.kind)) {
        throw AppError.conflict(`host ${hostId} cannot run ${spec.kind}: ${this.abilities.notes.join('; ')}`);
      }
      return this.instances.create(spec, start !== false, filter);
    }

    @HandlesAgentCommand(hostId, 'instance.start')
    start(@Payload() { instanceId, filter }: AgentRequestOf<'instance.start'>): Promise<AgentReplyOf<'instance.start'>> {
      return this.instances.start(instanceId, filter);
    }

    @HandlesAgentCommand(hostId, 'instance.stop')
    stop(@Payload() { instanceId, force, timeoutMs }: AgentRequestOf<'instance.stop'>): Promise<AgentReplyOf<'instance.stop'>> {
      return this.instances.stop(instanceId, force === true, timeoutMs);
    }

    @HandlesAgentCommand(hostId, 'instance.reboot')
    reboot(@Payload() { instanceId }: AgentRequestOf<'instance.reboot'>): Promise<AgentReplyOf<'instance.reboot'>> {
      return this.instances.reboot(instanceId);
    }

    @HandlesAgentCommand(hostId, 'instance.resize')
    resize(@Payload() { instanceId, vcpus, memoryMb, diskGb }: AgentRequestOf<'instance.resize'>): Promise<AgentReplyOf<'instance.resize'>> {
      return this.instances.resize(instanceId, { vcpus, memoryMb, diskGb });
    }

    @HandlesAgentCommand(hostId, 'instance.delete')
    delete(@Payload() { instanceId }: AgentRequestOf<'instance.delete'>): Promise<AgentReplyOf<'instance.delete'>> {
      return this.instances.delete(instanceId);
    }

    @HandlesAgentCommand(hostId, 'instance.adopt')
    adopt(@Payload() { instanceId, start, filter }: AgentRequestOf<'instance.adopt'>): Promise<AgentReplyOf<'instance.adopt'>> {
      return this.instances.adopt(instanceId, start === true, filter);
    }

    @HandlesAgentCommand(hostId, 'instance.migrate.receive')
    receive(@Payload() { instanceId, filter }: AgentRequestOf<'instance.migrate.receive'>): Promise<AgentReplyOf<'instance.migrate.receive'>> {
      return this.instances.receive(instanceId, filter);
    }

    @HandlesAgentCommand(hostId, 'instance.migrate.send')
    send(@Payload() { instanceId, uri, key }: AgentRequestOf<'instance.migrate.send'>): Promise<AgentReplyOf<'instance.migrate.send'>> {
      return this.instances.send(instanceId, { uri, key });
    }

    @HandlesAgentCommand(hostId, 'instance.migrate.abort')
    abort(@Payload() { instanceId }: AgentRequestOf<'instance.migrate.abort'>): Promise<AgentReplyOf<'instance.migrate.abort'>> {
      return this.instances.abortReceive(instanceId);
    }

    @HandlesAgentCommand(hostId, 'instance.status')
    status(@Payload() { instanceId }: AgentRequestOf<'instance.status'>): Promise<AgentReplyOf<'instance.status'>> {
      return this.instances.status(instanceId);
    }
  }
  return InstancesController;
}
