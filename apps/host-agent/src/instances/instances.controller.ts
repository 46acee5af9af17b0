import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { type AgentCommands, agentSubject, AppError } from '#libs/contracts';
import { HOST_ABILITIES } from '../host/tokens.js';
import type { HostAbilities } from '../host/host-probe.js';
import { InstanceManager } from './instance-manager.js';

type Request<C extends keyof AgentCommands> = AgentCommands[C]['request'];

/** `agent.<hostId>.instance.*`: compute's commands to this host, answered by the instance manager. */
export function instancesController(hostId: string) {
  @Controller()
  class InstancesController {
    constructor(
      private readonly instances: InstanceManager,
      @Inject(HOST_ABILITIES) private readonly abilities: HostAbilities,
    ) {}

    @MessagePattern(agentSubject(hostId, 'instance.create'))
    create(@Payload() { spec, start }: Request<'instance.create'>) {
      if (spec && !this.abilities.kinds.includes(spec.kind)) {
        throw AppError.conflict(`host ${hostId} cannot run ${spec.kind}: ${this.abilities.notes.join('; ')}`);
      }
      return this.instances.create(spec, start !== false);
    }

    @MessagePattern(agentSubject(hostId, 'instance.start'))
    start(@Payload() { instanceId }: Request<'instance.start'>) {
      return this.instances.start(instanceId);
    }

    @MessagePattern(agentSubject(hostId, 'instance.stop'))
    stop(@Payload() { instanceId, force, timeoutMs }: Request<'instance.stop'>) {
      return this.instances.stop(instanceId, force === true, timeoutMs);
    }

    @MessagePattern(agentSubject(hostId, 'instance.reboot'))
    reboot(@Payload() { instanceId }: Request<'instance.reboot'>) {
      return this.instances.reboot(instanceId);
    }

    @MessagePattern(agentSubject(hostId, 'instance.resize'))
    resize(@Payload() { instanceId, vcpus, memoryMb, diskGb }: Request<'instance.resize'>) {
      return this.instances.resize(instanceId, { vcpus, memoryMb, diskGb });
    }

    @MessagePattern(agentSubject(hostId, 'instance.delete'))
    delete(@Payload() { instanceId }: Request<'instance.delete'>) {
      return this.instances.delete(instanceId);
    }

    @MessagePattern(agentSubject(hostId, 'instance.adopt'))
    adopt(@Payload() { instanceId, start }: Request<'instance.adopt'>) {
      return this.instances.adopt(instanceId, start === true);
    }

    @MessagePattern(agentSubject(hostId, 'instance.migrate.receive'))
    receive(@Payload() { instanceId }: Request<'instance.migrate.receive'>) {
      return this.instances.receive(instanceId);
    }

    @MessagePattern(agentSubject(hostId, 'instance.migrate.send'))
    send(@Payload() { instanceId, uri }: Request<'instance.migrate.send'>) {
      return this.instances.send(instanceId, uri);
    }

    @MessagePattern(agentSubject(hostId, 'instance.migrate.abort'))
    abort(@Payload() { instanceId }: Request<'instance.migrate.abort'>) {
      return this.instances.abortReceive(instanceId);
    }

    @MessagePattern(agentSubject(hostId, 'instance.status'))
    status(@Payload() { instanceId }: Request<'instance.status'>) {
      return this.instances.status(instanceId);
    }
  }
  return InstancesController;
}
