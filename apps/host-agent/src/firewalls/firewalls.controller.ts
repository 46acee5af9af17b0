import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { AgentReplyOf, AgentRequestOf } from '#libs/contracts';
import { HandlesAgentCommand } from '#libs/messaging';
import { InstanceManager } from '../instances/instance-manager.js';

/** `agent.<hostId>.instance.filter.set`: what compute says an instance's port must enforce now. */
export function firewallsController(hostId: string) {
  @Controller()
  class FirewallsController {
    constructor(private readonly instances: InstanceManager) {}

    @HandlesAgentCommand(hostId, 'instance.filter.set')
    set(@Payload() { filter }: AgentRequestOf<'instance.filter.set'>): Promise<AgentReplyOf<'instance.filter.set'>> {
      return this.instances.setFilter(filter);
    }
  }
  return FirewallsController;
}
