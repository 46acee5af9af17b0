import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { RequestOf } from '#libs/contracts';
import { Handles, metadataOf, scopeOf } from '#libs/messaging';
import { Snapshots } from './snapshots.js';

/** `compute.snapshot.*` for the gateway: each request, with its caller's scope, to the snapshots' use case. */
@Controller()
export class SnapshotsController {
  constructor(private readonly snapshots: Snapshots) {}

  @Handles('compute.snapshot.create')
  create(@Payload() payload: RequestOf<'compute.snapshot.create'>) {
    return this.snapshots.create(payload?.instanceId, payload?.name, scopeOf(payload), metadataOf(payload));
  }

  @Handles('compute.snapshot.get')
  get(@Payload() payload: RequestOf<'compute.snapshot.get'>) {
    return this.snapshots.get(payload?.id, scopeOf(payload));
  }

  @Handles('compute.snapshot.list')
  list(@Payload() payload: RequestOf<'compute.snapshot.list'>) {
    return this.snapshots.list(payload?.instanceIds, scopeOf(payload));
  }

  @Handles('compute.snapshot.restore')
  restore(@Payload() payload: RequestOf<'compute.snapshot.restore'>) {
    return this.snapshots.restore(payload?.id, scopeOf(payload), metadataOf(payload));
  }

  @Handles('compute.snapshot.delete')
  delete(@Payload() payload: RequestOf<'compute.snapshot.delete'>) {
    return this.snapshots.delete(payload?.id, scopeOf(payload), metadataOf(payload));
  }
}
