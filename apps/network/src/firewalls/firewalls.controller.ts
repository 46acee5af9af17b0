import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { CountedPage, FirewallView, InstanceFilter, ReplyOf, RequestOf } from '#libs/contracts';
import { Handles, metadataOf, scopeOf } from '#libs/messaging';
import { Firewalls } from './firewalls.js';
import { InstanceFilters } from './instance-filters.js';

/** `network.firewall.*` for the gateway, each limited to the caller's scope; `network.filter.ofInstances` for compute. */
@Controller()
export class FirewallsController {
  constructor(
    private readonly firewalls: Firewalls,
    private readonly filters: InstanceFilters,
  ) {}

  @Handles('network.firewall.create')
  create(@Payload() payload: RequestOf<'network.firewall.create'>): Promise<FirewallView> {
    return this.firewalls.create(payload?.accountId, payload?.input, scopeOf(payload), metadataOf(payload));
  }

  @Handles('network.firewall.get')
  get(@Payload() payload: RequestOf<'network.firewall.get'>): Promise<FirewallView | null> {
    return this.firewalls.get(payload?.id, scopeOf(payload));
  }

  @Handles('network.firewall.list')
  list(@Payload() payload: RequestOf<'network.firewall.list'>): Promise<CountedPage<FirewallView>> {
    return this.firewalls.list(payload, scopeOf(payload));
  }

  @Handles('network.firewall.ofInstances')
  ofInstances(@Payload() payload: RequestOf<'network.firewall.ofInstances'>): Promise<ReplyOf<'network.firewall.ofInstances'>> {
    return this.firewalls.ofInstances(payload?.instanceIds, scopeOf(payload));
  }

  @Handles('network.firewall.setRules')
  setRules(@Payload() payload: RequestOf<'network.firewall.setRules'>): Promise<FirewallView> {
    return this.firewalls.setRules(payload?.id, payload?.rules, scopeOf(payload), metadataOf(payload));
  }

  @Handles('network.firewall.attach')
  attach(@Payload() payload: RequestOf<'network.firewall.attach'>): Promise<FirewallView> {
    return this.firewalls.attach(payload?.id, payload?.instanceId, scopeOf(payload), metadataOf(payload));
  }

  @Handles('network.firewall.detach')
  detach(@Payload() payload: RequestOf<'network.firewall.detach'>): Promise<FirewallView> {
    return this.firewalls.detach(payload?.id, payload?.instanceId, scopeOf(payload), metadataOf(payload));
  }

  @Handles('network.firewall.delete')
  delete(@Payload() payload: RequestOf<'network.firewall.delete'>): Promise<FirewallView> {
    return this.firewalls.delete(payload?.id, scopeOf(payload), metadataOf(payload));
  }

  @Handles('network.filter.ofInstances')
  filtersOf(@Payload() payload: RequestOf<'network.filter.ofInstances'>): Promise<InstanceFilter[]> {
    return this.filters.of(payload?.instanceIds);
  }
}
