import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { AppError, SYSTEM_ACTOR, type Caller, type EnrollHostInput, type EventMetadata } from '#libs/contracts';
import { Handles, isPlatformWide, metadataOf, scopeOf } from '#libs/messaging';
import { HostEnrolment } from './host-enrolment.js';
import { Hosts } from './hosts.js';

/** Enrolments and retirements are the platform's: a request in a tenant's scope, or in none, is refused. */
function platformCaller(payload: Caller | undefined): EventMetadata {
  if (!isPlatformWide(scopeOf(payload))) throw new AppError('FORBIDDEN', 'only ADMIN enrolls and retires hosts');
  return metadataOf(payload);
}

/** `compute.host.*` for the gateway (ADMIN's). */
@Controller()
export class HostsController {
  constructor(
    private readonly hosts: Hosts,
    private readonly enrolment: HostEnrolment,
  ) {}

  @Handles('compute.host.list')
  list(@Payload() payload: { ids?: string[] }) {
    return this.hosts.list(payload?.ids ?? undefined);
  }

  @Handles('compute.host.setMaintenance')
  setMaintenance(@Payload() payload: { id: string; maintenance: boolean; metadata?: EventMetadata }) {
    const metadata = payload?.metadata ?? { correlationId: `maintenance-${payload?.id}`, causationId: null, actor: SYSTEM_ACTOR };
    return this.hosts.setMaintenance(payload?.id, payload?.maintenance, metadata);
  }

  @Handles('compute.host.enroll')
  enroll(@Payload() payload: Caller & { input: EnrollHostInput }) {
    return this.enrolment.enroll(payload?.input, platformCaller(payload));
  }

  @Handles('compute.host.retire')
  retire(@Payload() payload: Caller & { id: string }) {
    return this.enrolment.retire(payload?.id, platformCaller(payload));
  }
}
