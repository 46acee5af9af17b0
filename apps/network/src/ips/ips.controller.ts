import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { type Caller } from '#libs/contracts';
import { metadataOf, scopeOf } from '#libs/messaging';
import { InstanceAddressing } from '../instance-addressing/instance-addressing.js';
import { Ips, type AllocateIpInput, type IpListFilter } from './ips.js';

type IpPayload = Caller & { id: string };

/** `network.ip.*` for the gateway; `accountIds` limits each request to the caller's tenancy. */
@Controller()
export class IpsController {
  constructor(
    private readonly ips: Ips,
    private readonly instances: InstanceAddressing,
  ) {}

  @MessagePattern('network.ip.allocate')
  allocate(@Payload() payload: Caller & { accountId: string; input: AllocateIpInput }) {
    return this.ips.allocateFloating(payload?.accountId, payload?.input, this.instances, metadataOf(payload));
  }

  @MessagePattern('network.ip.get')
  get(@Payload() payload: IpPayload) {
    return this.ips.get(payload?.id, scopeOf(payload));
  }

  @MessagePattern('network.ip.list')
  list(@Payload() payload: IpListFilter) {
    return this.ips.list({ ...payload, ...scopeOf(payload) });
  }

  @MessagePattern('network.ip.assign')
  assign(@Payload() payload: IpPayload & { instanceId: string }) {
    return this.ips.assign(payload?.id, payload?.instanceId, scopeOf(payload), this.instances, metadataOf(payload));
  }

  @MessagePattern('network.ip.unassign')
  unassign(@Payload() payload: IpPayload) {
    return this.ips.unassign(payload?.id, scopeOf(payload), metadataOf(payload));
  }

  @MessagePattern('network.ip.release')
  release(@Payload() payload: IpPayload) {
    return this.ips.release(payload?.id, scopeOf(payload), metadataOf(payload));
  }

  @MessagePattern('network.ip.reverseDns.set')
  setReverseDns(@Payload() payload: IpPayload & { hostname: string | null }) {
    return this.ips.setReverseDns(payload?.id, payload?.hostname, scopeOf(payload), metadataOf(payload));
  }
}
