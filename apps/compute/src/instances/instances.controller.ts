import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { Caller, CreateInstanceInput, InstanceListRequest, InstanceRequest, QuotaLimits, QuotaRequest } from '#libs/contracts';
import { Handles, metadataOf, scopeOf } from '#libs/messaging';
import { Instances, type InstanceOperationRequest } from './instances.js';
import { Quotas } from './quotas.js';

/** `compute.instance.*` and `compute.quota.*` for the gateway: each request, with its caller's scope, to its use case. */
@Controller()
export class InstancesController {
  constructor(
    private readonly instances: Instances,
    private readonly quotas: Quotas,
  ) {}

  @Handles('compute.instance.create')
  create(@Payload() payload: Caller & { accountId: string; input: CreateInstanceInput }) {
    return this.instances.create(payload?.accountId, payload?.input, scopeOf(payload), metadataOf(payload));
  }

  @Handles('compute.instance.get')
  get(@Payload() payload: InstanceRequest) {
    return this.instances.get(payload?.id, scopeOf(payload));
  }

  @Handles('compute.instance.list')
  list(@Payload() payload: InstanceListRequest) {
    return this.instances.list({ ...payload, ...scopeOf(payload) });
  }

  @Handles('compute.instance.history')
  history(@Payload() payload: InstanceRequest & { first?: number; after?: string }) {
    return this.instances.history(payload?.id, scopeOf(payload), payload?.first, payload?.after);
  }

  @Handles('compute.instance.start')
  start(@Payload() payload: InstanceRequest) {
    return this.operate(payload, { operation: 'start' });
  }

  @Handles('compute.instance.stop')
  stop(@Payload() payload: InstanceRequest & { force?: boolean }) {
    return this.operate(payload, { operation: 'stop', force: payload?.force === true });
  }

  @Handles('compute.instance.reboot')
  reboot(@Payload() payload: InstanceRequest) {
    return this.operate(payload, { operation: 'reboot' });
  }

  @Handles('compute.instance.resize')
  resize(@Payload() payload: InstanceRequest & { planId: string }) {
    return this.operate(payload, { operation: 'resize', planId: payload?.planId });
  }

  @Handles('compute.instance.delete')
  delete(@Payload() payload: InstanceRequest) {
    return this.operate(payload, { operation: 'delete' });
  }

  /** ADMIN only (the gateway checks): moves the instance to `hostId`, or where the scheduler chooses. */
  @Handles('compute.instance.migrate')
  migrate(@Payload() payload: InstanceRequest & { hostId?: string | null }) {
    return this.instances.migrate(payload?.id, payload?.hostId ?? null, scopeOf(payload), metadataOf(payload));
  }

  @Handles('compute.quota.get')
  quota(@Payload() payload: QuotaRequest) {
    return this.quotas.of(payload?.accountId, scopeOf(payload));
  }

  @Handles('compute.quota.set')
  setQuota(@Payload() payload: QuotaRequest & { limits: QuotaLimits }) {
    return this.quotas.set(payload?.accountId, payload?.limits, scopeOf(payload));
  }

  private operate(payload: InstanceRequest, request: InstanceOperationRequest) {
    return this.instances.operate(payload?.id, request, scopeOf(payload), metadataOf(payload));
  }
}
