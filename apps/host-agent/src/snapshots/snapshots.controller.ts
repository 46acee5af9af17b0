import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { AgentReplyOf, AgentRequestOf } from '#libs/contracts';
import { HandlesAgentCommand } from '#libs/messaging';
import { Snapshots } from './snapshots.js';

/** `agent.<hostId>.snapshot.*`: compute's snapshot commands to this host. */
export function snapshotsController(hostId: string) {
  @Controller()
  class SnapshotsController {
    constructor(private readonly snapshots: Snapshots) {}

    @HandlesAgentCommand(hostId, 'snapshot.create')
    create(@Payload() request: AgentRequestOf<'snapshot.create'>): Promise<AgentReplyOf<'snapshot.create'>> {
      return this.snapshots.create(request);
    }

    @HandlesAgentCommand(hostId, 'snapshot.restore')
    restore(@Payload() request: AgentRequestOf<'snapshot.restore'>): Promise<AgentReplyOf<'snapshot.restore'>> {
      return this.snapshots.restore(request);
    }

    @HandlesAgentCommand(hostId, 'snapshot.delete')
    delete(@Payload() request: AgentRequestOf<'snapshot.delete'>): Promise<AgentReplyOf<'snapshot.delete'>> {
      return this.snapshots.delete(request);
    }
  }
  return SnapshotsController;
}
