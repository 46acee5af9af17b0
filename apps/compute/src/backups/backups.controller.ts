import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { AppError, type RequestOf } from '#libs/contracts';
import { Handles, isPlatformWide, metadataOf, scopeOf } from '#libs/messaging';
import { Backups } from './backups.js';

/** `compute.backup.*` for the gateway (and operators' tools): each request, with its caller's scope, to the backups' use case. */
@Controller()
export class BackupsController {
  constructor(private readonly backups: Backups) {}

  @Handles('compute.backup.create')
  create(@Payload() payload: RequestOf<'compute.backup.create'>) {
    return this.backups.create(payload?.instanceId, scopeOf(payload), metadataOf(payload));
  }

  @Handles('compute.backup.get')
  get(@Payload() payload: RequestOf<'compute.backup.get'>) {
    return this.backups.get(payload?.id, scopeOf(payload));
  }

  @Handles('compute.backup.list')
  list(@Payload() payload: RequestOf<'compute.backup.list'>) {
    return this.backups.list({ ...scopeOf(payload), first: payload?.first, after: payload?.after, instanceId: payload?.instanceId });
  }

  @Handles('compute.backup.restore')
  restore(@Payload() payload: RequestOf<'compute.backup.restore'>) {
    return this.backups.restore(payload?.id, payload?.accountId, payload?.input, scopeOf(payload), metadataOf(payload));
  }

  @Handles('compute.backup.delete')
  delete(@Payload() payload: RequestOf<'compute.backup.delete'>) {
    return this.backups.delete(payload?.id, scopeOf(payload), metadataOf(payload));
  }

  @Handles('compute.backup.schedule.set')
  setSchedule(@Payload() payload: RequestOf<'compute.backup.schedule.set'>) {
    return this.backups.setSchedule(payload?.id, payload?.schedule, scopeOf(payload), metadataOf(payload));
  }

  @Handles('compute.backup.schedule.list')
  schedules(@Payload() payload: RequestOf<'compute.backup.schedule.list'>) {
    return this.backups.schedules(payload?.instanceIds, scopeOf(payload));
  }

  @Handles('compute.backup.schedule.run')
  async run(@Payload() payload: RequestOf<'compute.backup.schedule.run'>) {
    if (!isPlatformWide(scopeOf(payload))) throw new AppError('FORBIDDEN', "only ADMIN runs the backup schedules");
    const asOf = payload?.asOf === undefined ? new Date() : new Date(String(payload.asOf));
    if (Number.isNaN(asOf.getTime())) throw AppError.badInput('asOf', 'must be an ISO 8601 time');
    return { started: await this.backups.runDue(asOf, metadataOf(payload)) };
  }
}
