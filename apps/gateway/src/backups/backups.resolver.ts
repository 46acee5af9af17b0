import { Args, Context, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import type { BackupScheduleView, BackupView, CountedPage, InstanceView } from '#libs/contracts';
import { callerOf, requireResellersOwn, requireRole, type GatewayContext } from '../graphql/gateway-context.js';
import { GatewayServiceClient } from '../graphql/service-calls.js';
import { Instance } from '../instances/instance.model.js';
import { OPERATORS, requirePriced } from '../instances/instances.resolver.js';
import { Backup, BackupConnection, BackupSchedule, BackupScheduleInput, RestoreBackupInput } from './backup.model.js';

/** How long compute has to answer a backup's create, restore or delete, or a schedule (the host carries out the rest afterwards). */
const CHANGE_TIMEOUT_MS = 15_000;

/**
 * Backups: taken, scheduled, restored and deleted by the instance's own account (a reseller's
 * customers' it sees, not changes; ADMIN any; FINANCE none), as snapshots are. Another tenant's
 * instance or backup is NOT_FOUND. A backup outlives its instance: listed, and restored as a new
 * instance, after the instance is deleted.
 */
@Resolver(() => Backup)
export class BackupsResolver {
  constructor(private readonly client: GatewayServiceClient) {}

  @Query(() => BackupConnection, { description: 'backups the caller may see, including those of deleted instances' })
  backups(
    @Context() context: GatewayContext,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
    @Args('instanceId', { type: () => ID, nullable: true }) instanceId?: string,
  ): Promise<CountedPage<BackupView>> {
    return this.client.call('compute.backup.list', { ...callerOf(context), first, after, instanceId });
  }

  @Mutation(() => Backup)
  async createBackup(@Args('instanceId', { type: () => ID }) instanceId: string, @Context() context: GatewayContext): Promise<BackupView> {
    await this.requireInstanceChange(context, instanceId, 'back up instances');
    return this.client.call('compute.backup.create', { ...callerOf(context), instanceId }, CHANGE_TIMEOUT_MS);
  }

  @Mutation(() => Instance, { description: 'null schedule stops scheduled backups (those taken stay until deleted)' })
  async setBackupSchedule(
    @Args('instanceId', { type: () => ID }) instanceId: string,
    @Context() context: GatewayContext,
    @Args('schedule', { type: () => BackupScheduleInput, nullable: true }) schedule?: BackupScheduleInput | null,
  ): Promise<InstanceView> {
    await this.requireInstanceChange(context, instanceId, 'schedule backups');
    return this.client.call('compute.backup.schedule.set', { ...callerOf(context), id: instanceId, schedule: schedule ?? null }, CHANGE_TIMEOUT_MS);
  }

  /** As a new instance (input.name), refused like createInstance where its plan has no price for the caller's account. */
  @Mutation(() => Instance)
  async restoreBackup(
    @Args('id', { type: () => ID }) id: string,
    @Context() context: GatewayContext,
    @Args('input', { type: () => RestoreBackupInput, nullable: true }) input?: RestoreBackupInput | null,
  ): Promise<InstanceView> {
    const viewer = requireRole(context, OPERATORS, 'restore backups');
    const backup = await this.client.call('compute.backup.get', { ...callerOf(context), id });
    await requireResellersOwn(viewer, async () => backup, `backup ${id}`);
    // Where there is no such backup, compute says so.
    if (backup && input?.name) await requirePriced(this.client, context, viewer.accountId, input.planId ?? backup.planId);
    return this.client.call('compute.backup.restore', { ...callerOf(context), id, accountId: viewer.accountId, input: input ?? null }, CHANGE_TIMEOUT_MS);
  }

  @Mutation(() => Backup)
  async deleteBackup(@Args('id', { type: () => ID }) id: string, @Context() context: GatewayContext): Promise<BackupView> {
    const viewer = requireRole(context, OPERATORS, 'delete backups');
    await requireResellersOwn(viewer, () => this.client.call('compute.backup.get', { ...callerOf(context), id }), `backup ${id}`);
    return this.client.call('compute.backup.delete', { ...callerOf(context), id }, CHANGE_TIMEOUT_MS);
  }

  @ResolveField(() => Instance, { description: 'deleted or not: a backup outlives its instance' })
  instance(@Parent() backup: BackupView, @Context() context: GatewayContext): Promise<InstanceView> {
    return context.loaders.instanceOf(backup.instanceId, `backup ${backup.id}`);
  }

  private async requireInstanceChange(context: GatewayContext, instanceId: string, what: string): Promise<void> {
    const viewer = requireRole(context, OPERATORS, what);
    await requireResellersOwn(viewer, () => this.client.call('compute.instance.get', { ...callerOf(context), id: instanceId }), `instance ${instanceId}`);
  }
}

/** An instance's backups (newest first, DELETED ones left out) and its schedule, batched over a page of instances. */
@Resolver(() => Instance)
export class InstanceBackupsResolver {
  constructor(private readonly client: GatewayServiceClient) {}

  @ResolveField(() => BackupConnection)
  backups(
    @Parent() instance: InstanceView,
    @Context() context: GatewayContext,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ): Promise<CountedPage<BackupView>> {
    return this.client.call('compute.backup.list', { ...callerOf(context), first, after, instanceId: instance.id });
  }

  @ResolveField(() => BackupSchedule, { nullable: true, description: 'null when no backups are scheduled' })
  backupSchedule(@Parent() instance: InstanceView, @Context() context: GatewayContext): Promise<BackupScheduleView | null> {
    return context.loaders.instanceBackupSchedules.load(instance.id);
  }
}
