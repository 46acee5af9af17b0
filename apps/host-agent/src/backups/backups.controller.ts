import { Controller, type OnApplicationBootstrap } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { AgentReplyOf, AgentRequestOf } from '#libs/contracts';
import { HandlesAgentCommand } from '#libs/messaging';
import { Backups } from './backups.js';

/** `agent.<hostId>.backup.*`: compute's backup commands to this host; at start, what a stopped agent left unfinished is swept. */
export function backupsController(hostId: string) {
  @Controller()
  class BackupsController implements OnApplicationBootstrap {
    constructor(private readonly backups: Backups) {}

    onApplicationBootstrap(): void {
      void this.backups.sweep(); // the agent starts whether or not the store answers
    }

    @HandlesAgentCommand(hostId, 'backup.create')
    create(@Payload() request: AgentRequestOf<'backup.create'>): Promise<AgentReplyOf<'backup.create'>> {
      return this.backups.create(request);
    }

    @HandlesAgentCommand(hostId, 'backup.restore')
    restore(@Payload() request: AgentRequestOf<'backup.restore'>): Promise<AgentReplyOf<'backup.restore'>> {
      return this.backups.restore(request);
    }

    @HandlesAgentCommand(hostId, 'backup.delete')
    delete(@Payload() request: AgentRequestOf<'backup.delete'>): Promise<AgentReplyOf<'backup.delete'>> {
      return this.backups.delete(request);
    }
  }
  return BackupsController;
}
