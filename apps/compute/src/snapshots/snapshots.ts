import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AppError, type EventMetadata, type InstanceView, isUuid, type Scope, type SnapshotView } from '#libs/contracts';
import { decideInTransaction, handleCommand, withRetriedTransaction, type EventStore } from '#libs/event-store';
import { accountsOf, inScope } from '#libs/messaging';
import type { AccountSuspensions } from '../suspensions/account-suspensions.js';
import type { AccountQueue } from '#libs/platform';
import { instanceDecider, instanceStreamId, type InstanceCommand } from '../instances/instance.decider.js';
import { callerOf } from '../instances/instances.js';
import type { InstancesRepository } from '../instances/instances.repository.js';
import type { SnapshotsRepository } from './snapshots.repository.js';

/** Instances one batched lookup may name. */
const MAX_LISTED_INSTANCES = 100;

/**
 * The snapshots API of compute: create, restore and delete, each a command of the snapshot's
 * instance (its decider holds the rules), carried out by the provisioner on the instance's host;
 * and the snapshots as the projection shows them. Another account's snapshot, or instance, is NOT_FOUND.
 */
export class Snapshots {
  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    private readonly instances: InstancesRepository,
    private readonly snapshots: SnapshotsRepository,
    private readonly suspensions: AccountSuspensions,
    /** Each account's writes, one at a time, queued without holding a connection. */
    private readonly accounts: AccountQueue,
    /** The most snapshots an instance may hold. */
    private readonly limit: number,
  ) {}

  async create(instanceId: unknown, name: unknown, scope: Scope, metadata: EventMetadata): Promise<SnapshotView> {
    const instance = await this.instanceInScope(instanceId, scope);
    const snapshotId = randomUUID();
    const command: InstanceCommand = { type: 'CreateSnapshot', snapshotId, name: name as string, limit: this.limit };
    return this.accounts.run(callerOf(metadata, instance.accountId), async () => {
      await withRetriedTransaction(this.pool, async (tx) => {
        // A suspended account's storage grows no more: it may still restore and delete.
        await this.suspensions.assertNotSuspended(tx, instance.accountId);
        await decideInTransaction(this.store, tx, instanceStreamId(instance.id), instanceDecider, command, metadata);
      });
      return (await this.snapshots.find(snapshotId))!;
    });
  }

  async get(id: unknown, scope: Scope): Promise<SnapshotView | null> {
    const view = typeof id === 'string' ? await this.snapshots.find(id) : null;
    return view && inScope(view.accountId, scope) ? view : null;
  }

  /** The live snapshots of the instances named, those in the caller's scope. */
  async list(instanceIds: unknown, scope: Scope): Promise<SnapshotView[]> {
    if (!Array.isArray(instanceIds) || instanceIds.length > MAX_LISTED_INSTANCES || !instanceIds.every(isUuid)) {
      throw AppError.badInput('instanceIds', `must be a list of at most ${MAX_LISTED_INSTANCES} instance ids`);
    }
    return this.snapshots.list(instanceIds, accountsOf(scope));
  }

  /** The snapshot's instance, STOPPED, is RESTORING until its host has made its disk the snapshot's. */
  async restore(id: unknown, scope: Scope, metadata: EventMetadata): Promise<InstanceView> {
    const snapshot = await this.require(id, scope);
    await this.decide(snapshot, { type: 'RestoreSnapshot', snapshotId: snapshot.id }, metadata);
    return (await this.instances.find(snapshot.instanceId))!;
  }

  async delete(id: unknown, scope: Scope, metadata: EventMetadata): Promise<SnapshotView> {
    const snapshot = await this.require(id, scope);
    await this.decide(snapshot, { type: 'DeleteSnapshot', snapshotId: snapshot.id }, metadata);
    return (await this.snapshots.find(snapshot.id))!;
  }

  private decide(snapshot: SnapshotView, command: InstanceCommand, metadata: EventMetadata) {
    return this.accounts.run(callerOf(metadata, snapshot.accountId), () =>
      handleCommand(this.store, instanceStreamId(snapshot.instanceId), instanceDecider, command, metadata));
  }

  private async instanceInScope(id: unknown, scope: Scope): Promise<InstanceView> {
    const view = typeof id === 'string' ? await this.instances.find(id) : null;
    if (!view || !inScope(view.accountId, scope)) throw AppError.notFound(`instance ${String(id)}`);
    return view;
  }

  private async require(id: unknown, scope: Scope): Promise<SnapshotView> {
    const view = await this.get(id, scope);
    if (!view) throw AppError.notFound(`snapshot ${String(id)}`);
    return view;
  }
}
