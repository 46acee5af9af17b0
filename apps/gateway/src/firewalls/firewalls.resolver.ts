import { Args, Context, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import type { CountedPage, FirewallRule as FirewallRuleView, FirewallView, InstanceView, RequestOf } from '#libs/contracts';
import { Account } from '../accounts/account.model.js';
import { callerOf, requireResellersOwn, requireRole, type GatewayContext } from '../graphql/gateway-context.js';
import { GatewayServiceClient } from '../graphql/service-calls.js';
import type { AccountView } from '../identity/identity.js';
import { Instance } from '../instances/instance.model.js';
import { OPERATORS } from '../instances/instances.resolver.js';
import { CreateFirewallInput, Firewall, FirewallConnection, FirewallRuleInput } from './firewall.model.js';

/** The changes to an existing firewall that its own account (not a reseller over it) makes. */
type FirewallChange = 'network.firewall.setRules' | 'network.firewall.attach' | 'network.firewall.detach' | 'network.firewall.delete';

/** Rules as the API states them, what GraphQL left out being null. */
const rulesOf = (rules: FirewallRuleInput[]): FirewallRuleView[] =>
  rules.map((rule) => ({ direction: rule.direction, protocol: rule.protocol, ports: rule.ports ?? null, addresses: rule.addresses, description: rule.description ?? null }));

/**
 * Firewalls: made, changed, attached and deleted by their own account (ADMIN any), as addresses are:
 * a reseller sees its customers' but changes none, FINANCE reads only, another tenant's firewall or
 * instance is NOT_FOUND. Network checks the rules (BAD_USER_INPUT naming the field) and that an
 * instance attached is the firewall's own account's.
 */
@Resolver(() => Firewall)
export class FirewallsResolver {
  constructor(private readonly client: GatewayServiceClient) {}

  @Query(() => FirewallConnection)
  firewalls(
    @Context() context: GatewayContext,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ): Promise<CountedPage<FirewallView>> {
    return this.client.call('network.firewall.list', { ...callerOf(context), first, after });
  }

  @Query(() => Firewall, { nullable: true })
  firewall(@Args('id', { type: () => ID }) id: string, @Context() context: GatewayContext): Promise<FirewallView | null> {
    return this.client.call('network.firewall.get', { ...callerOf(context), id });
  }

  @Mutation(() => Firewall)
  createFirewall(@Args('input') input: CreateFirewallInput, @Context() context: GatewayContext): Promise<FirewallView> {
    const viewer = requireRole(context, OPERATORS, 'create firewalls');
    return this.client.call('network.firewall.create', {
      ...callerOf(context), accountId: viewer.accountId, input: { name: input.name, rules: rulesOf(input.rules), instanceIds: input.instanceIds ?? null },
    });
  }

  @Mutation(() => Firewall)
  setFirewallRules(
    @Args('id', { type: () => ID }) id: string,
    @Args('rules', { type: () => [FirewallRuleInput] }) rules: FirewallRuleInput[],
    @Context() context: GatewayContext,
  ): Promise<FirewallView> {
    return this.operate(context, 'network.firewall.setRules', { ...callerOf(context), id, rules: rulesOf(rules) });
  }

  @Mutation(() => Firewall)
  attachFirewall(@Args('id', { type: () => ID }) id: string, @Args('instanceId', { type: () => ID }) instanceId: string, @Context() context: GatewayContext) {
    return this.operate(context, 'network.firewall.attach', { ...callerOf(context), id, instanceId });
  }

  @Mutation(() => Firewall)
  detachFirewall(@Args('id', { type: () => ID }) id: string, @Args('instanceId', { type: () => ID }) instanceId: string, @Context() context: GatewayContext) {
    return this.operate(context, 'network.firewall.detach', { ...callerOf(context), id, instanceId });
  }

  @Mutation(() => Firewall)
  deleteFirewall(@Args('id', { type: () => ID }) id: string, @Context() context: GatewayContext) {
    return this.operate(context, 'network.firewall.delete', { ...callerOf(context), id });
  }

  @ResolveField(() => Account)
  async account(@Parent() firewall: FirewallView, @Context() context: GatewayContext): Promise<AccountView> {
    return (await context.loaders.accounts.load(firewall.accountId))!;
  }

  @ResolveField(() => [Instance])
  instances(@Parent() firewall: FirewallView, @Context() context: GatewayContext): Promise<InstanceView[]> {
    return Promise.all(firewall.instanceIds.map((instanceId) => context.loaders.instanceOf(instanceId, `firewall ${firewall.id}`)));
  }

  private async operate<S extends FirewallChange>(context: GatewayContext, subject: S, request: RequestOf<S>): Promise<FirewallView> {
    const viewer = requireRole(context, OPERATORS, 'change firewalls');
    const { id } = request;
    await requireResellersOwn(viewer, () => this.client.call('network.firewall.get', { ...callerOf(context), id }), `firewall ${id}`);
    return this.client.call(subject, request);
  }
}

/** The firewalls attached to an instance: one request for a whole page of instances. */
@Resolver(() => Instance)
export class InstanceFirewallsResolver {
  @ResolveField(() => [Firewall])
  firewalls(@Parent() instance: InstanceView, @Context() context: GatewayContext): Promise<FirewallView[]> {
    return context.loaders.instanceFirewalls.load(instance.id);
  }
}
