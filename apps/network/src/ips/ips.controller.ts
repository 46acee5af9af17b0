import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { CountedPage, IpView, RequestOf } from '#libs/contracts';
import { Handles, metadataOf, scopeOf } from '#libs/messaging';
import { Ips } from './ips.js';

/** `network.ip.*` for the gateway; each request is limited to the caller's scope, and refused without one. */
@Controller()
export class IpsController {
  constructor(private readonly ips: Ips) {}

  @Handles('network.ip.allocate')
  allocate(@Payload() payload: RequestOf<'network.ip.allocate'>): Promise<IpView> {
    return this.ips.allocateFloating(payload?.accountId, payload?.input, scopeOf(payload), metadataOf(payload));
  }

  @Handles('network.ip.get')
  get(@Payload() payload: RequestOf<'network.ip.get'>): Promise<IpView | null> {
    return this.ips.get(payload?.id, scopeOf(payload));
  }

  @Handles('network.ip.list')
  list(@Payload() payload: RequestOf<'network.ip.list'>): Promise<CountedPage<IpView>> {
    return this.ips.list(payload, scopeOf(payload));
  }

  @Handles('network.ip.assign')
  assign(@Payload() payload: RequestOf<'network.ip.assign'>): Promise<IpView> {
    return this.ips.assign(payload?.id, payload?.instanceId, scopeOf(payload), metadataOf(payload));
  }

  @Handles('network.ip.unassign')
  unassign(@Payload() payload: RequestOf<'network.ip.unassign'>): Promise<IpView> {
    return this.ips.unassign(payload?.id, scopeOf(payload), metadataOf(payload));
  }

  @Handles('network.ip.release')
  release(@Payload() payload: RequestOf<'network.ip.release'>): Promise<IpView> {
    return this.ips.release(payload?.id, scopeOf(payload), metadataOf(payload));
  }

  @Handles('network.ip.reverseDns.set')
  setReverseDns(@Payload() payload: RequestOf<'network.ip.reverseDns.set'>): Promise<IpView> {
    return this.ips.setReverseDns(payload?.id, payload?.hostname, scopeOf(payload), metadataOf(payload));
  }
}
