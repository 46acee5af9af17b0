import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { AgentReplyOf, AgentRequestOf } from '#libs/contracts';
import { HandlesAgentCommand } from '#libs/messaging';
import { ConsoleSessions } from './console-sessions.js';

/** `agent.<hostId>.console.open`: compute's request to attach a gateway's console session to an instance of this host. */
export function consolesController(hostId: string) {
  @Controller()
  class ConsolesController {
    constructor(private readonly sessions: ConsoleSessions) {}

    @HandlesAgentCommand(hostId, 'console.open')
    open(@Payload() request: AgentRequestOf<'console.open'>): Promise<AgentReplyOf<'console.open'>> {
      return this.sessions.open(request ?? {});
    }
  }
  return ConsolesController;
}
