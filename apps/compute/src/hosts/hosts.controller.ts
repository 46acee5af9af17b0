import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { SYSTEM_ACTOR, type EventMetadata } from '#libs/contracts';
import { Handles } from '#libs/messaging';
import { Hosts } from './hosts.js';

/** `compute.host.*` for the gateway (ADMIN's). */
@Controller()
export class HostsController {
  constructor(private readonly hosts: Hosts) {}

  @Handles('compute.host.list')
  list() {
    return this.hosts.list();
  }

  @Handles('compute.host.setMaintenance')
  setMaintenance(@Payload() payload: { id: string; maintenance: boolean; metadata?: EventMetadata }) {
    const metadata = payload?.metadata ?? { correlationId: `maintenance-${payload?.id}`, causationId: null, actor: SYSTEM_ACTOR };
    return this.hosts.setMaintenance(payload?.id, payload?.maintenance, metadata);
  }
}
