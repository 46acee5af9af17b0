import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { type AgentReplyOf, type AgentRequestOf, AppError, parseCidr } from '#libs/contracts';
import { HandlesAgentCommand } from '#libs/messaging';
import { overlapWithHost, readHostNetworkUse } from './host-network.js';

/** `address/length`, of either family, with a length the family has. */
const isPrefix = (text: unknown): text is string => !('error' in parseCidr(text));

/** `agent.<hostId>.network.*`: what this host says of a pool's prefix before the pool exists, by the rule its bridges are held to. */
export function hostNetworkController(hostId: string) {
  @Controller()
  class HostNetworkController {
    @HandlesAgentCommand(hostId, 'network.checkPrefix')
    async checkPrefix(@Payload() { prefix, bridge }: AgentRequestOf<'network.checkPrefix'>): Promise<AgentReplyOf<'network.checkPrefix'>> {
      if (!isPrefix(prefix)) throw AppError.badInput('prefix', 'must be a prefix in CIDR notation, e.g. 192.0.2.0/24');
      return { overlap: overlapWithHost(prefix, String(bridge), await readHostNetworkUse()) };
    }
  }
  return HostNetworkController;
}
