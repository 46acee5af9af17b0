import { Args, Context, ID, Mutation, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import type { InstanceView, SnapshotView } from '#libs/contracts';
import { callerOf, requireResellersOwn, requireRole, type GatewayContext } from '../graphql/gateway-context.js';
import { GatewayServiceClient } from '../graphql/service-calls.js';
import { Instance } from '../instances/instance.model.js';
import { OPERATORS } from '../instances/instances.resolver.js';
import { Snapshot } from './snapshot.model.js';

/** How long compute has to answer a snapshot's create, restore or delete (the host carries it out afterwards). */
const CHANGE_TIMEOUT_MS = 15_000;

/**
 * Snapshots: taken, restored and deleted by the instance's own account (a reseller's customers'
 * it sees, not changes; ADMIN any; FINANCE none), as the instance's other operations are.
 * Another tenant's instance or snapshot is NOT_FOUND.
 */
@Resolver(() => Snapshot)
export class SnapshotsResolver {
  constructor(private readonly client: GatewayServiceClient) {}

  @Mutation(() => Snapshot)
  async createSnapshot(
    @Args('instanceId', { type: () => ID }) instanceId: string,
    @Args('name') name: string,
    @Context() context: GatewayContext,
  ): Promise<SnapshotView> {
    const viewer = requireRole(context, OPERATORS, 'snapshot instances');
    await requireResellersOwn(viewer, () => this.client.call('compute.instance.get', { ...callerOf(context), id: instanceId }), `instance ${instanceId}`);
    return this.client.call('compute.snapshot.create', { ...callerOf(context), instanceId, name }, CHANGE_TIMEOUT_MS);
  }

  @Mutation(() => Instance, { description: "the instance must be STOPPED; its disk becomes the snapshot's, later snapshots stay" })
  async restoreSnapshot(@Args('id', { type: () => ID }) id: string, @Context() context: GatewayContext): Promise<InstanceView> {
    await this.requireChange(context, id, 'restore snapshots');
    return this.client.call('compute.snapshot.restore', { ...callerOf(context), id }, CHANGE_TIMEOUT_MS);
  }

  @Mutation(() => Snapshot)
  async deleteSnapshot(@Args('id', { type: () => ID }) id: string, @Context() context: GatewayContext): Promise<SnapshotView> {
    await this.requireChange(context, id, 'delete snapshots');
    return this.client.call('compute.snapshot.delete', { ...callerOf(context), id }, CHANGE_TIMEOUT_MS);
  }

  @ResolveField(() => Instance)
  instance(@Parent() snapshot: SnapshotView, @Context() context: GatewayContext): Promise<InstanceView> {
    return context.loaders.instanceOf(snapshot.instanceId, `snapshot ${snapshot.id}`);
  }

  private async requireChange(context: GatewayContext, id: string, what: string): Promise<void> {
    const viewer = requireRole(context, OPERATORS, what);
    await requireResellersOwn(viewer, () => this.client.call('compute.snapshot.get', { ...callerOf(context), id }), `snapshot ${id}`);
  }
}

/** An instance's snapshots, those not deleted, oldest first: one request for a whole page of instances. */
@Resolver(() => Instance)
export class InstanceSnapshotsResolver {
  @ResolveField(() => [Snapshot])
  snapshots(@Parent() instance: InstanceView, @Context() context: GatewayContext): Promise<SnapshotView[]> {
    return context.loaders.instanceSnapshots.load(instance.id);
  }
}
