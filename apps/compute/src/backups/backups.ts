import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type pg from 'pg';
import {
  AppError, type BackupSchedule, type BackupScheduleView, type BackupView, type CountedPage, type EventMetadata, type InstanceView, isUuid,
  type RestoreBackupInput, type Scope,
} from '#libs/contracts';
import { decideInTransaction, handleCommand, readState, withRetriedTransaction, type EventStore, type Sql } from '#libs/event-store';
import { accountsOf, decodeCursor, encodeCursor, inScope, pageSize, toPage } from '#libs/messaging';
import type { Catalog } from '../catalog/catalog.js';
import type { AccountQueue } from '#libs/platform';
import { instanceDecider, instanceStreamId, type InstanceCommand } from '../instances/instance.decider.js';
import { callerOf, type Instances } from '../instances/instances.js';
import type { InstancesRepository } from '../instances/instances.repository.js';
import { Quotas } from '../instances/quotas.js';
import type { AccountSuspensions } from '../suspensions/account-suspensions.js';
import { assertRestorable, backupDecider, backupStreamId } from './backup.decider.js';
import type { BackupsRepository } from './backups.repository.js';

/** Instances one batched lookup may name. */
const MAX_LISTED_INSTANCES = 100;

/**
 * The backups API of compute: take (by hand or by schedule), restore in place or as a new instance,
 * delete, list; and the schedules. Taking one decides on the backup's stream and its instance's in one
 * transaction; the provisioner has the instance's host write it, and the backups' consumer carries
 * the outcome to the backup and deletes backups from the store. Another account's backup or instance
 * is NOT_FOUND; a backup of a deleted instance stays its account's.
 */
export class Backups {
  private readonly logger = new Logger('backups');

  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    private readonly instances: InstancesRepository,
    private readonly backups: BackupsRepository,
    private readonly suspensions: AccountSuspensions,
    private readonly accounts: AccountQueue,
    private readonly instanceApi: Instances,
    private readonly catalog: Catalog,
    /** BACKUPS_PER_ACCOUNT: each is a copy in the region's store, which every tenant's backups share. */
    private readonly perAccount: number,
  ) {}

  async create(instanceId: unknown, scope: Scope, metadata: EventMetadata): Promise<BackupView> {
    const instance = await this.instanceInScope(instanceId, scope);
    const backupId = randomUUID();
    return this.accounts.run(callerOf(metadata, instance.accountId), async () => {
      await withRetriedTransaction(this.pool, (tx) => this.request(tx, instance, backupId, false, metadata));
      return (await this.backups.find(backupId))!;
    });
  }

  async get(id: unknown, scope: Scope): Promise<BackupView | null> {
    const view = typeof id === 'string' ? await this.backups.find(id) : null;
    return view && inScope(view.accountId, scope) ? view : null;
  }

  async list(request: { first?: number; after?: string; instanceId?: string | null } & Scope): Promise<CountedPage<BackupView>> {
    const size = pageSize(request.first);
    const before = decodeCursor('backup', request.after);
    const instanceId = request.instanceId ?? null;
    if (instanceId !== null && !isUuid(instanceId)) throw AppError.badInput('instanceId', 'must be an instance id');
    const { entries, total } = await this.backups.list({ accounts: accountsOf(request), instanceId }, before, size + 1);
    return { ...toPage(entries, size, (entry) => encodeCursor('backup', entry.position), (entry) => entry.view), totalCount: total };
  }

  /**
   * Without `input.name`: the backup's own instance, STOPPED, is RESTORING until its disk is the
   * backup's. With it: a new instance of `forAccount` (the caller's) made from it, on a host of the
   * backup's region, of the backup's plan or a larger one.
   */
  async restore(id: unknown, forAccount: unknown, input: RestoreBackupInput | null | undefined, scope: Scope, metadata: EventMetadata): Promise<InstanceView> {
    const backup = await this.require(id, scope);
    const { state } = await readState(this.store, backupStreamId(backup.id), backupDecider);
    assertRestorable(state, backup.id);
    if (input !== undefined && input !== null && typeof input !== 'object') throw AppError.badInput('input', 'must be an object');
    if (input?.name === undefined || input.name === null) return this.restoreInPlace(backup, input ?? {}, metadata);
    const regionId = input.regionId ?? backup.regionId;
    if (regionId !== backup.regionId) {
      throw AppError.badInput('input.regionId', `backup ${backup.id} is in region ${backup.regionId}'s backup store: an instance is made from it there`);
    }
    const planId = input.planId ?? backup.planId;
    await this.assertLargeEnough(backup, planId);
    return this.instanceApi.create(
      forAccount,
      { name: input.name, kind: backup.kind, imageId: backup.imageId, planId, regionId, billingCycle: backup.billingCycle },
      scope,
      metadata,
      { backupId: backup.id },
    );
  }

  async delete(id: unknown, scope: Scope, metadata: EventMetadata): Promise<BackupView> {
    const backup = await this.require(id, scope);
    await this.accounts.run(callerOf(metadata, backup.accountId), () => handleCommand(this.store, backupStreamId(backup.id), backupDecider, { type: 'DeleteBackup' }, metadata));
    return (await this.backups.find(backup.id))!;
  }

  async setSchedule(instanceId: unknown, schedule: unknown, scope: Scope, metadata: EventMetadata): Promise<InstanceView> {
    const instance = await this.instanceInScope(instanceId, scope);
    if (schedule !== null && (typeof schedule !== 'object' || schedule === undefined)) throw AppError.badInput('schedule', 'must be { hourUtc, keep } or null');
    const command: InstanceCommand = { type: 'SetBackupSchedule', schedule: schedule as BackupSchedule | null };
    await this.accounts.run(callerOf(metadata, instance.accountId), () => handleCommand(this.store, instanceStreamId(instance.id), instanceDecider, command, metadata));
    return (await this.instances.find(instance.id))!;
  }

  async schedules(instanceIds: unknown, scope: Scope): Promise<BackupScheduleView[]> {
    if (!Array.isArray(instanceIds) || instanceIds.length > MAX_LISTED_INSTANCES || !instanceIds.every(isUuid)) {
      throw AppError.badInput('instanceIds', `must be a list of at most ${MAX_LISTED_INSTANCES} instance ids`);
    }
    return this.backups.schedules(instanceIds, accountsOf(scope));
  }

  /**
   * Runs each schedule due as of `asOf` once for its day: the day's claim commits with the backup's
   * events or not at all, so a replica that claimed it first, or an earlier tick, wins; an instance
   * busy with another operation (CONFLICT) or a suspended account's is tried again at a later tick.
   * Answers the backups started.
   */
  async runDue(asOf: Date, metadata: EventMetadata): Promise<string[]> {
    const started: string[] = [];
    for (const due of await this.backups.due(asOf)) {
      const instance = await this.instances.find(due.instanceId);
      if (!instance) continue;
      const backupId = randomUUID();
      try {
        const claimed = await withRetriedTransaction(this.pool, async (tx) => {
          if (!(await this.backups.claim(tx, instance.id, due.day, backupId))) return false;
          await this.request(tx, instance, backupId, true, metadata);
          return true;
        });
        if (claimed) started.push(backupId);
      } catch (error) {
        if (!(error instanceof AppError) || error.code === 'UNAVAILABLE') throw error;
        this.logger.warn(`scheduled backup of instance ${instance.id} for ${due.day} waits: ${error.message}`);
      }
    }
    return started;
  }

  /** In `tx`: the backup's stream first (its row is what the instance's request completes), then the instance's, whose decider refuses a busy instance. */
  private async request(tx: Sql, instance: InstanceView, backupId: string, scheduled: boolean, metadata: EventMetadata): Promise<void> {
    // A suspended account's storage grows no more. Checked under the account's lock, which a suspension
    // is recorded under, so none is recorded between the check and the request; by hand, backups are
    // counted under it too, so that parallel requests cannot each find room for one more.
    await Quotas.lockAccount(tx, instance.accountId);
    await this.suspensions.assertNotSuspended(tx, instance.accountId);
    if (!scheduled) {
      const held = await this.backups.heldByHand(tx, instance.accountId);
      if (held >= this.perAccount) {
        throw new AppError('QUOTA_EXCEEDED', `account ${instance.accountId} may hold ${this.perAccount} backups taken by hand; it holds ${held}: delete one first`);
      }
    }
    await decideInTransaction(this.store, tx, backupStreamId(backupId), backupDecider, {
      type: 'RequestBackup',
      request: {
        backupId, instanceId: instance.id, accountId: instance.accountId, regionId: instance.regionId, kind: instance.kind, planId: instance.planId,
        imageId: instance.imageId, billingCycle: instance.billingCycle, instanceName: instance.name, scheduled,
      },
    }, metadata);
    await decideInTransaction(this.store, tx, instanceStreamId(instance.id), instanceDecider, { type: 'CreateBackup', backupId, scheduled }, metadata);
  }

  private async restoreInPlace(backup: BackupView, input: RestoreBackupInput, metadata: EventMetadata): Promise<InstanceView> {
    if (input.planId !== undefined && input.planId !== null) throw AppError.badInput('input.planId', 'is for a restore as a new instance (give input.name)');
    if (input.regionId !== undefined && input.regionId !== null) throw AppError.badInput('input.regionId', 'is for a restore as a new instance (give input.name)');
    const instance = await this.instances.find(backup.instanceId);
    if (!instance || instance.status === 'DELETED') {
      throw AppError.conflict(`instance ${backup.instanceId} of backup ${backup.id} is deleted: restore it as a new instance (input.name)`);
    }
    const command: InstanceCommand = { type: 'RestoreBackup', backupId: backup.id, kind: backup.kind };
    await this.accounts.run(callerOf(metadata, instance.accountId), () => handleCommand(this.store, instanceStreamId(instance.id), instanceDecider, command, metadata));
    return (await this.instances.find(instance.id))!;
  }

  /** A new instance holds the backup's disk: a plan of its kind, no smaller in any of its sizes than the backup's. */
  private async assertLargeEnough(backup: BackupView, planId: unknown): Promise<void> {
    const [plan, original] = await Promise.all([this.catalog.plan(String(planId)), this.catalog.plan(backup.planId)]);
    if (!plan) throw AppError.badInput('input.planId', `no plan ${String(planId)}`);
    if (plan.kind !== backup.kind) throw AppError.badInput('input.planId', `${plan.id} is a ${plan.kind} plan; the backup is of a ${backup.kind}`);
    if (original && (plan.vcpus < original.vcpus || plan.memoryMb < original.memoryMb || plan.diskGb < original.diskGb)) {
      throw AppError.badInput('input.planId', `plan ${plan.id} is smaller than the backup's plan ${original.id} (${original.vcpus} vCPUs, ${original.memoryMb} MB, ${original.diskGb} GB): choose it or a larger one`);
    }
  }

  private async instanceInScope(id: unknown, scope: Scope): Promise<InstanceView> {
    const view = typeof id === 'string' ? await this.instances.find(id) : null;
    if (!view || !inScope(view.accountId, scope)) throw AppError.notFound(`instance ${String(id)}`);
    return view;
  }

  private async require(id: unknown, scope: Scope): Promise<BackupView> {
    const view = await this.get(id, scope);
    if (!view) throw AppError.notFound(`backup ${String(id)}`);
    return view;
  }
}
